package inject

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Difference is one field where the pod injected with cdk8s-mesh's ConfigMap
// differs from the same pod injected with upstream's templates and values.
type Difference struct {
	Path   string // e.g. spec.containers[istio-proxy].image
	Ours   any    // nil: absent in ours
	Theirs any    // nil: absent in upstream's
}

func (d Difference) String() string {
	return fmt.Sprintf("%s: ours %s, upstream %s", d.Path, show(d.Ours), show(d.Theirs))
}

func show(v any) string {
	if v == nil {
		return "(absent)"
	}
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

// Deviation is a difference accepted on purpose, with the reason.
type Deviation struct {
	// Path is a pattern over Difference.Path; "*" matches any run of characters.
	Path string
	// Applies further restricts the deviation to particular values (nil: any).
	Applies func(d Difference) bool
	Reason  string
}

// Accepted returns the deviation that explains d, if any.
func Accepted(table []Deviation, d Difference) (Deviation, bool) {
	for _, dev := range table {
		if glob(dev.Path, d.Path) && (dev.Applies == nil || dev.Applies(d)) {
			return dev, true
		}
	}
	return Deviation{}, false
}

// ComparePods returns every field where the two pods differ, keyed by name in
// named lists (containers, env, volumes, mounts, ports), sorted by path.
func ComparePods(ours, theirs *corev1.Pod) ([]Difference, error) {
	a, err := toGeneric(ours)
	if err != nil {
		return nil, err
	}
	b, err := toGeneric(theirs)
	if err != nil {
		return nil, err
	}
	var out []Difference
	diff("", a, b, &out)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func toGeneric(p *corev1.Pod) (any, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var v any
	return v, json.Unmarshal(b, &v)
}

// listKey names a list element when every element of the list has the key field
// (name for containers/env/volumes/volumeMounts, containerPort for unnamed ports).
func listKey(list []any) (func(any) string, bool) {
	for _, field := range []string{"name", "mountPath", "containerPort"} {
		ok := len(list) > 0
		seen := map[string]bool{}
		for _, e := range list {
			m, isMap := e.(map[string]any)
			if !isMap {
				ok = false
				break
			}
			v, has := m[field]
			k := fmt.Sprint(v)
			if !has || seen[k] {
				ok = false
				break
			}
			seen[k] = true
		}
		if ok {
			f := field
			return func(e any) string { return fmt.Sprint(e.(map[string]any)[f]) }, true
		}
	}
	return nil, false
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func diff(p string, a, b any, out *[]Difference) {
	if reflect.DeepEqual(a, b) {
		return
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		for k := range keys {
			diff(join(p, k), av[k], bv[k], out)
		}
		return
	case []any:
		bv, ok := b.([]any)
		if !ok {
			break
		}
		ka, okA := listKey(av)
		kb, okB := listKey(bv)
		if okA && okB || (okA && len(bv) == 0) || (okB && len(av) == 0) {
			key := ka
			if key == nil {
				key = kb
			}
			ia := map[string]any{}
			var order []string
			for _, e := range av {
				ia[key(e)] = e
				order = append(order, key(e))
			}
			ib := map[string]any{}
			for _, e := range bv {
				k := key(e)
				ib[k] = e
				if _, dup := ia[k]; !dup {
					order = append(order, k)
				}
			}
			for _, k := range order {
				diff(fmt.Sprintf("%s[%s]", p, k), ia[k], ib[k], out)
			}
			// the same elements in another order is a difference too (container order matters)
			if len(av) == len(bv) {
				var oa, ob []string
				for _, e := range av {
					oa = append(oa, key(e))
				}
				for _, e := range bv {
					ob = append(ob, key(e))
				}
				if strings.Join(oa, ",") != strings.Join(ob, ",") && sameSet(oa, ob) {
					*out = append(*out, Difference{Path: p + "(order)", Ours: oa, Theirs: ob})
				}
			}
			return
		}
	}
	*out = append(*out, Difference{Path: p, Ours: a, Theirs: b})
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func glob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$").MatchString(s)
}
