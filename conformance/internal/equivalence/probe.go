package equivalence

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
)

// When two route tables are laid out differently (the Gateway API's precedence order, a
// tester pin repeated per route), they are compared by what they do: a set of probe
// requests built from every condition either table tests is routed through both, first
// match wins as in Envoy, and the chosen routes' actions must be equal. Probes never use
// a path that continues a prefix without a '/' (the listed path-prefix difference).

// probe is one request: path, method and headers (query parameters as "?k" headers).
type probe struct {
	path    string
	method  string
	headers map[string]string
}

func (p probe) String() string {
	keys := make([]string, 0, len(p.headers))
	for k := range p.headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+p.headers[k])
	}
	return fmt.Sprintf("%s %s {%s}", p.method, p.path, strings.Join(parts, ", "))
}

type condition struct {
	name  string // header name, "?param" for a query parameter
	value string // a value that satisfies it
}

// sampleString returns a value that satisfies an Envoy string matcher (JSON form), if it can.
func sampleString(sm map[string]any) (string, bool) {
	if v, ok := sm["exact"].(string); ok {
		return v, true
	}
	if v, ok := sm["prefix"].(string); ok {
		return v + "probe", true
	}
	if sr, ok := sm["safe_regex"].(map[string]any); ok {
		re, _ := sr["regex"].(string)
		if lit, ok := literalPrefix(re); ok {
			return lit + "probe", true
		}
		if lit, ok := literalRegex(re); ok {
			return lit, true
		}
	}
	return "", false
}

// literalRegex is the string a regex without metacharacters matches (escapes undone).
func literalRegex(re string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(re); i++ {
		ch := re[i]
		if ch == '\\' && i+1 < len(re) {
			i++
			b.WriteByte(re[i])
			continue
		}
		if strings.ContainsRune(`.*+?^$()[]{}|`, rune(ch)) {
			return "", false
		}
		b.WriteByte(ch)
	}
	return b.String(), true
}

func matchOf(route any) map[string]any {
	m, _ := route.(map[string]any)
	match, _ := m["match"].(map[string]any)
	return match
}

// probes builds requests from the conditions of every route of both tables.
func probes(tables ...[]any) []probe {
	paths := map[string]bool{"/": true, "/zz-other/x": true}
	methods := map[string]bool{"GET": true}
	var condSets [][]condition
	for _, t := range tables {
		for _, r := range t {
			m := matchOf(r)
			for _, k := range []string{"prefix", "path_separated_prefix"} {
				if v, ok := m[k].(string); ok {
					paths[v] = true
					paths[strings.TrimSuffix(v, "/")+"/sub/x"] = true
				}
			}
			if v, ok := m["path"].(string); ok {
				paths[v] = true
			}
			var set []condition
			for _, h := range manifest.Maps(m["headers"]) {
				name, _ := h["name"].(string)
				if h["present_match"] == true {
					set = append(set, condition{name, "present"})
					continue
				}
				sm, _ := h["string_match"].(map[string]any)
				if v, ok := sampleString(sm); ok {
					if name == ":method" {
						methods[v] = true
						continue
					}
					set = append(set, condition{name, v})
				}
			}
			for _, q := range manifest.Maps(m["query_parameters"]) {
				name, _ := q["name"].(string)
				sm, _ := q["string_match"].(map[string]any)
				if v, ok := sampleString(sm); ok {
					set = append(set, condition{"?" + name, v})
				} else if q["present_match"] == true {
					set = append(set, condition{"?" + name, "present"})
				}
			}
			condSets = append(condSets, set)
		}
	}
	condSets = append(condSets, nil)
	var out []probe
	seen := map[string]bool{}
	for path := range paths {
		for method := range methods {
			for _, set := range condSets {
				h := map[string]string{}
				for _, c := range set {
					h[c.name] = c.value
				}
				p := probe{path: path, method: method, headers: h}
				if !seen[p.String()] {
					seen[p.String()] = true
					out = append(out, p)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func stringMatches(sm map[string]any, v string) bool {
	if x, ok := sm["exact"].(string); ok {
		return v == x
	}
	if x, ok := sm["prefix"].(string); ok {
		return strings.HasPrefix(v, x)
	}
	if sr, ok := sm["safe_regex"].(map[string]any); ok {
		re, _ := sr["regex"].(string)
		rx, err := regexp.Compile("^(?:" + re + ")$")
		return err == nil && rx.MatchString(v)
	}
	return false
}

// routeMatches evaluates an Envoy route match (JSON form) on a probe.
func routeMatches(m map[string]any, p probe) bool {
	path := p.path
	switch {
	case m["prefix"] != nil:
		if !strings.HasPrefix(path, m["prefix"].(string)) {
			return false
		}
	case m["path_separated_prefix"] != nil:
		pre := m["path_separated_prefix"].(string)
		if path != pre && !strings.HasPrefix(path, strings.TrimSuffix(pre, "/")+"/") {
			return false
		}
	case m["path"] != nil:
		if path != m["path"].(string) {
			return false
		}
	case m["safe_regex"] != nil:
		re, _ := m["safe_regex"].(map[string]any)["regex"].(string)
		rx, err := regexp.Compile("^(?:" + re + ")$")
		if err != nil || !rx.MatchString(path) {
			return false
		}
	}
	for _, h := range manifest.Maps(m["headers"]) {
		name, _ := h["name"].(string)
		v, present := p.headers[name]
		if name == ":method" {
			v, present = p.method, true
		}
		if h["present_match"] == true {
			if !present {
				return false
			}
			continue
		}
		sm, _ := h["string_match"].(map[string]any)
		if !present || !stringMatches(sm, v) {
			return false
		}
	}
	for _, q := range manifest.Maps(m["query_parameters"]) {
		name, _ := q["name"].(string)
		v, present := p.headers["?"+name]
		if q["present_match"] == true {
			if !present {
				return false
			}
			continue
		}
		sm, _ := q["string_match"].(map[string]any)
		if !present || !stringMatches(sm, v) {
			return false
		}
	}
	return true
}

// selectRoute is the first route of a table matching the probe (-1 when none).
func selectRoute(table []any, p probe) int {
	for i, r := range table {
		if routeMatches(matchOf(r), p) {
			return i
		}
	}
	return -1
}

// sameBehaviour routes every probe through both normalized tables and compares the
// actions of the chosen routes (everything but the match). It returns the number of
// probes and the first difference ("" when none).
func sameBehaviour(a, b []any) (int, string) {
	ps := probes(a, b)
	for _, p := range ps {
		i, j := selectRoute(a, p), selectRoute(b, p)
		if (i < 0) != (j < 0) {
			return len(ps), fmt.Sprintf("probe %s: route %d (Istio API) vs %d (Gateway API)", p, i, j)
		}
		if i < 0 {
			continue
		}
		ra, rb := copyWithout(a[i].(map[string]any), "match"), copyWithout(b[j].(map[string]any), "match")
		if d := firstDiff(ra, rb); d != "" {
			return len(ps), fmt.Sprintf("probe %s: routes[%d] (Istio API) vs routes[%d] (Gateway API): %s", p, i, j, d)
		}
	}
	return len(ps), ""
}
