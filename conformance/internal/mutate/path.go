package mutate

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Path addresses one field of a decoded object: string elements are map keys, int elements
// list indexes.
type Path []any

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// String renders the path as `spec.http[1].route[0].weight`; a key that is not a plain
// identifier is quoted: `metadata.labels["istio.io/use-waypoint"]`.
func (p Path) String() string {
	var b strings.Builder
	for _, e := range p {
		switch v := e.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", v)
		case string:
			if plainKey.MatchString(v) {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(v)
			} else {
				fmt.Fprintf(&b, "[%q]", v)
			}
		}
	}
	return b.String()
}

// Parent is the path without its last element.
func (p Path) Parent() Path { return p[:len(p)-1] }

// Last is the last element's key ("" for an index).
func (p Path) Last() string {
	s, _ := p[len(p)-1].(string)
	return s
}

// Get returns the value at p in v.
func Get(v any, p Path) (any, bool) {
	for _, e := range p {
		switch k := e.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[k]; !ok {
				return nil, false
			}
		case int:
			l, ok := v.([]any)
			if !ok || k < 0 || k >= len(l) {
				return nil, false
			}
			v = l[k]
		}
	}
	return v, true
}

// Set replaces the value at p in v (which must exist) and reports whether it did.
func Set(v any, p Path, value any) bool {
	if len(p) == 0 {
		return false
	}
	parent, ok := Get(v, p.Parent())
	if !ok {
		return false
	}
	switch k := p[len(p)-1].(type) {
	case string:
		m, ok := parent.(map[string]any)
		if !ok {
			return false
		}
		if _, ok := m[k]; !ok {
			return false
		}
		m[k] = value
	case int:
		l, ok := parent.([]any)
		if !ok || k < 0 || k >= len(l) {
			return false
		}
		l[k] = value
	}
	return true
}

// Leaf is one scalar field of an object (string, number, bool).
type Leaf struct {
	Path  Path
	Value any
}

// Leaves returns every scalar of v in a deterministic order (map keys sorted).
func Leaves(v any) []Leaf {
	var out []Leaf
	var walk func(v any, p Path)
	walk = func(v any, p Path) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(x[k], append(append(Path{}, p...), k))
			}
		case []any:
			for i, e := range x {
				walk(e, append(append(Path{}, p...), i))
			}
		case nil:
		default:
			out = append(out, Leaf{Path: p, Value: x})
		}
	}
	walk(v, nil)
	return out
}

// pattern matches paths: a literal key, any key (`*`), or any index (`[]`).
type pattern []patternElem

type patternElem struct {
	key      string
	anyKey   bool
	anyIndex bool
}

// compile parses `spec.http[].route[].weight`, `spec.selector.*` or
// `metadata.labels.{istio.io/use-waypoint}` (braces quote a key holding dots).
func compile(s string) pattern {
	var out pattern
	for s != "" {
		var seg string
		if strings.HasPrefix(s, "{") {
			end := strings.Index(s, "}")
			seg, s = s[1:end], strings.TrimPrefix(s[end+1:], ".")
			out = append(out, patternElem{key: seg})
			continue
		}
		if i := strings.IndexByte(s, '.'); i >= 0 {
			seg, s = s[:i], s[i+1:]
		} else {
			seg, s = s, ""
		}
		name, idx := strings.CutSuffix(seg, "[]")
		switch {
		case name == "*":
			out = append(out, patternElem{anyKey: true})
		case name != "":
			out = append(out, patternElem{key: name})
		}
		if idx {
			out = append(out, patternElem{anyIndex: true})
		}
	}
	return out
}

func (pt pattern) match(p Path) bool {
	if len(pt) != len(p) {
		return false
	}
	for i, e := range pt {
		switch k := p[i].(type) {
		case int:
			if !e.anyIndex {
				return false
			}
		case string:
			if e.anyIndex || (!e.anyKey && e.key != k) {
				return false
			}
		}
	}
	return true
}
