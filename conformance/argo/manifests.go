package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// manifests are the objects of one synthesized output directory.
type manifests struct {
	objects []*unstructured.Unstructured
}

func load(dir string) (*manifests, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.k8s.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.k8s.yaml in %s", dir)
	}
	sort.Strings(files)
	m := &manifests{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			obj := map[string]any{}
			if err := dec.Decode(&obj); err != nil {
				if err.Error() == "EOF" {
					break
				}
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			if len(obj) == 0 {
				continue
			}
			m.objects = append(m.objects, &unstructured.Unstructured{Object: obj})
		}
	}
	return m, nil
}

// find returns the object of a kind, namespace (any when "") and name.
func (m *manifests) find(kind, namespace, name string) *unstructured.Unstructured {
	for _, o := range m.objects {
		if o.GetKind() == kind && o.GetName() == name && (namespace == "" || o.GetNamespace() == namespace) {
			return o
		}
	}
	return nil
}

func (m *manifests) all(kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range m.objects {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}
