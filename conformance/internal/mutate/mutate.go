// Package mutate derives single-field mutants from a synthesized output folder: each
// operator of the catalog (Operators) finds the fields it applies to in the emitted objects
// and proposes replacement values chosen from what the folder declares (another identity,
// host, subset or namespace of the output), so most mutants are schema-valid, self-consistent
// objects that mean something else. The mutants measure the conformance oracle: a mutant the
// oracle does not fail shows an intent it does not check.
package mutate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
)

// Mutant is one single-field change of one object of a folder.
type Mutant struct {
	ID       string `json:"id"` // short stable hash of Key
	Key      string `json:"key"`
	Program  string `json:"program"`
	Operator string `json:"operator"`
	File     string `json:"file"`
	Doc      int    `json:"doc"`    // document index in File
	Object   string `json:"object"` // "Kind namespace/name"
	Path     string `json:"path"`
	Old      any    `json:"old"`
	New      any    `json:"new"`
	Note     string `json:"note"`

	path Path
}

// Generate returns every mutant the catalog proposes for a folder, in a deterministic order
// (file, document, field, operator, value). A replacement equal to the current value, or one
// an earlier operator already proposed for the field, is dropped.
func Generate(program string, f *Folder) []*Mutant {
	ix := NewIndex(f)
	var out []*Mutant
	seen := map[string]bool{}
	for _, file := range f.Files {
		for di, d := range file.Docs {
			if d.Object == nil || !ix.InScope(d) {
				continue
			}
			gk := d.GroupKind()
			for _, leaf := range Leaves(d.Object) {
				for _, op := range Operators {
					t := op.match(gk, leaf.Path)
					if t == nil {
						continue
					}
					for _, v := range t(&Site{Doc: d, Leaf: leaf, Index: ix}) {
						if same(v.New, leaf.Value) {
							continue
						}
						m := &Mutant{Program: program, Operator: op.Name, File: file.Name, Doc: di, Object: d.ID(),
							Path: leaf.Path.String(), Old: leaf.Value, New: v.New, Note: v.Note, path: leaf.Path}
						m.Key = fmt.Sprintf("%s|%s|%s|%s|%s=%v", program, file.Name, m.Object, op.Name, m.Path, v.New)
						sum := sha256.Sum256([]byte(m.Key))
						m.ID = hex.EncodeToString(sum[:6])
						change := fmt.Sprintf("%s|%d|%s=%v", file.Name, di, m.Path, v.New)
						if !seen[change] {
							seen[change] = true
							out = append(out, m)
						}
					}
				}
			}
		}
	}
	return out
}

func same(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// Apply returns the mutated file's name and content: the folder's file with the one document
// rewritten (every other document byte-identical).
func (m *Mutant) Apply(f *Folder) (string, []byte, error) {
	for _, file := range f.Files {
		if file.Name != m.File {
			continue
		}
		if m.Doc >= len(file.Docs) || file.Docs[m.Doc].Object == nil {
			return "", nil, fmt.Errorf("%s: no document %d in %s", m.Key, m.Doc, m.File)
		}
		obj, err := m.Mutated(file.Docs[m.Doc].Object)
		if err != nil {
			return "", nil, err
		}
		doc, err := Encode(obj)
		if err != nil {
			return "", nil, err
		}
		return file.Name, file.Bytes(m.Doc, doc), nil
	}
	return "", nil, fmt.Errorf("%s: no file %s", m.Key, m.File)
}

// Mutated returns a copy of obj with the mutant's field replaced.
func (m *Mutant) Mutated(obj map[string]any) (map[string]any, error) {
	cp := deepCopy(obj).(map[string]any)
	cur, ok := Get(cp, m.path)
	if !ok || !same(cur, m.Old) {
		return nil, fmt.Errorf("%s: field %s is %v, expected %v", m.Key, m.Path, cur, m.Old)
	}
	if !Set(cp, m.path, m.New) {
		return nil, fmt.Errorf("%s: cannot set %s", m.Key, m.Path)
	}
	return cp, nil
}

// Select keeps at most perOperator mutants of each operator of a program: those whose IDs
// sort first (the ID is a hash of the mutant, so the choice is deterministic and spread over
// the objects rather than the first objects of the first file). The result keeps the input
// order. perOperator <= 0 keeps all.
func Select(ms []*Mutant, perOperator int) []*Mutant {
	if perOperator <= 0 {
		return ms
	}
	groups := map[string][]*Mutant{}
	for _, m := range ms {
		k := m.Program + "|" + m.Operator
		groups[k] = append(groups[k], m)
	}
	keep := map[*Mutant]bool{}
	for _, g := range groups {
		sorted := append([]*Mutant(nil), g...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
		for i := 0; i < len(sorted) && i < perOperator; i++ {
			keep[sorted[i]] = true
		}
	}
	var out []*Mutant
	for _, m := range ms {
		if keep[m] {
			out = append(out, m)
		}
	}
	return out
}
