// Package manifest loads what cdk8s synthesized: every object of every *.k8s.yaml of
// one example's output folder, as one cluster would see it.
package manifest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Object is one synthesized object and where it came from.
type Object struct {
	*unstructured.Unstructured
	File string // base name of the *.k8s.yaml it was read from
	Raw  []byte // the YAML document as written
}

// ID is "Kind namespace/name" (or "Kind name" for cluster-scoped objects).
func (o Object) ID() string {
	if ns := o.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", o.GetKind(), ns, o.GetName())
	}
	return fmt.Sprintf("%s %s", o.GetKind(), o.GetName())
}

// Group is the API group of the object ("" for core).
func (o Object) Group() string { return o.GroupVersionKind().Group }

// Example is one synthesized program: its name and all objects of its output folder.
type Example struct {
	Name    string
	Dir     string
	Files   []string
	Objects []Object
}

// ByKind returns the objects of one group and kind.
func (e *Example) ByKind(group, kind string) []Object {
	var out []Object
	for _, o := range e.Objects {
		if o.GetKind() == kind && o.Group() == group {
			out = append(out, o)
		}
	}
	return out
}

// Find returns the object of group/kind/namespace/name, if any.
func (e *Example) Find(group, kind, namespace, name string) (Object, bool) {
	for _, o := range e.Objects {
		if o.GetKind() == kind && o.Group() == group && o.GetNamespace() == namespace && o.GetName() == name {
			return o, true
		}
	}
	return Object{}, false
}

// Load reads every *.k8s.yaml in dir (sorted by name) into one Example.
func Load(name, dir string) (*Example, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.k8s.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no *.k8s.yaml in %s", name, dir)
	}
	ex := &Example{Name: name, Dir: dir, Files: files}
	for _, f := range files {
		objs, err := LoadFile(f)
		if err != nil {
			return nil, err
		}
		ex.Objects = append(ex.Objects, objs...)
	}
	return ex, nil
}

// LoadFile parses one multi-document YAML file.
func LoadFile(path string) ([]Object, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(filepath.Base(path), data)
}

// Parse splits multi-document YAML into objects (empty documents are skipped).
func Parse(file string, data []byte) ([]Object, error) {
	var out []Object
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 0; ; i++ {
		doc, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i, err)
		}
		if len(strings.TrimSpace(string(doc))) == 0 {
			continue
		}
		m := map[string]any{}
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i, err)
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, Object{Unstructured: &unstructured.Unstructured{Object: m}, File: file, Raw: doc})
	}
	return out, nil
}

// Maps returns the JSON objects of a decoded JSON array (`[]any` of
// `map[string]any`), skipping other elements; nil for anything else.
func Maps(v any) []map[string]any {
	l, _ := v.([]any)
	var out []map[string]any
	for _, x := range l {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
