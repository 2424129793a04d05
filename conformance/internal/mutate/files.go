package mutate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Folder is one synthesized output folder: its *.k8s.yaml files split into documents.
type Folder struct {
	Dir   string
	Files []*File
}

// File is one *.k8s.yaml of a folder.
type File struct {
	Name string // base name
	Docs []*Doc
}

// Doc is one YAML document: the bytes as written and the decoded object (numbers kept as
// json.Number, so an integer stays an integer when the document is written back).
type Doc struct {
	Raw    []byte
	Object map[string]any // nil for an empty document
}

// GroupKind is "Kind" for the core group, else "group/Kind".
func (d *Doc) GroupKind() string {
	api, _ := d.Object["apiVersion"].(string)
	kind, _ := d.Object["kind"].(string)
	group, _, found := strings.Cut(api, "/")
	if !found {
		return kind
	}
	return group + "/" + kind
}

// Namespace is metadata.namespace ("" when cluster-scoped).
func (d *Doc) Namespace() string {
	v, _ := Get(d.Object, Path{"metadata", "namespace"})
	s, _ := v.(string)
	return s
}

// Name is metadata.name.
func (d *Doc) Name() string {
	v, _ := Get(d.Object, Path{"metadata", "name"})
	s, _ := v.(string)
	return s
}

// ID is "Kind namespace/name" (as the conformance report names objects).
func (d *Doc) ID() string {
	kind, _ := d.Object["kind"].(string)
	if ns := d.Namespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", kind, ns, d.Name())
	}
	return fmt.Sprintf("%s %s", kind, d.Name())
}

// ReadFolder reads every *.k8s.yaml of dir (sorted by name).
func ReadFolder(dir string) (*Folder, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.k8s.yaml"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no *.k8s.yaml in %s", dir)
	}
	sort.Strings(names)
	f := &Folder{Dir: dir}
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		file, err := ParseFile(filepath.Base(n), data)
		if err != nil {
			return nil, err
		}
		f.Files = append(f.Files, file)
	}
	return f, nil
}

// ParseFile splits a multi-document YAML file into documents.
func ParseFile(name string, data []byte) (*File, error) {
	file := &File{Name: name}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 0; ; i++ {
		raw, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, i, err)
		}
		obj, err := Decode(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, i, err)
		}
		file.Docs = append(file.Docs, &Doc{Raw: raw, Object: obj})
	}
	return file, nil
}

// Decode parses one YAML document; numbers are kept as json.Number.
func Decode(raw []byte) (map[string]any, error) {
	if len(strings.TrimSpace(string(raw))) == 0 {
		return nil, nil
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// Encode writes an object as a YAML document (keys sorted, as cdk8s writes them).
func Encode(obj map[string]any) ([]byte, error) {
	js, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	return yaml.JSONToYAML(js)
}

// Bytes reassembles the file, with document i replaced by replacement when i >= 0.
func (f *File) Bytes(i int, replacement []byte) []byte {
	var b bytes.Buffer
	for j, d := range f.Docs {
		if j > 0 {
			b.WriteString("---\n")
		}
		raw := d.Raw
		if j == i {
			raw = replacement
		}
		b.Write(raw)
		if len(raw) > 0 && raw[len(raw)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// deepCopy copies a decoded JSON value.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	default:
		return x
	}
}
