package mutate

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Site is one field an operator may mutate.
type Site struct {
	Doc   *Doc
	Leaf  Leaf
	Index *Index
}

// sibling returns the value of key next to the mutated field (in the same map).
func (s *Site) sibling(key string) any {
	v, _ := Get(s.Doc.Object, append(append(Path{}, s.Leaf.Path.Parent()...), key))
	return v
}

// Value is one replacement an operator proposes, with why it was chosen.
type Value struct {
	New  any
	Note string
}

// Transform proposes replacements for a site (none: the site is left alone).
type Transform func(s *Site) []Value

func str(v any) (string, bool) { s, ok := v.(string); return s, ok }

func integer(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

func num(i int64) json.Number { return json.Number(strconv.FormatInt(i, 10)) }

// portShift moves a port number (or a port written as a string) to the next port.
func portShift(s *Site) []Value {
	if n, ok := integer(s.Leaf.Value); ok {
		if n >= 65535 || n < 1 {
			return nil
		}
		return []Value{{num(n + 1), "the next port"}}
	}
	if v, ok := str(s.Leaf.Value); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n >= 65535 {
			return nil
		}
		return []Value{{strconv.Itoa(n + 1), "the next port"}}
	}
	return nil
}

// targetPortShift: a numeric target port moves to the next port; a named one to a port name
// the pod does not declare.
func targetPortShift(s *Site) []Value {
	if name, ok := str(s.Leaf.Value); ok {
		if _, err := strconv.Atoi(name); err != nil {
			if alt := name + "-alt"; len(alt) <= 15 {
				return []Value{{alt, "a port name no container declares"}}
			}
			return nil
		}
	}
	return portShift(s)
}

// weightShift moves 10 points of a route weight (weights are relative: the split changes).
func weightShift(s *Site) []Value {
	n, ok := integer(s.Leaf.Value)
	if !ok {
		return nil
	}
	if n <= 90 {
		return []Value{{num(n + 10), "10 points more"}}
	}
	return []Value{{num(n - 10), "10 points less"}}
}

// enum proposes every other value of a closed set (only when the current value is in it).
func enum(values ...string) Transform {
	return func(s *Site) []Value {
		cur, ok := str(s.Leaf.Value)
		if !ok || !contains(values, cur) {
			return nil
		}
		var out []Value
		for _, v := range values {
			if v != cur {
				out = append(out, Value{v, "another value of the field's enum"})
			}
		}
		return out
	}
}

// swap proposes the paired value of a two-valued choice.
func swap(a, b string) Transform {
	return func(s *Site) []Value {
		switch cur, _ := str(s.Leaf.Value); cur {
		case a:
			return []Value{{b, "the opposite choice"}}
		case b:
			return []Value{{a, "the opposite choice"}}
		}
		return nil
	}
}

func contains(l []string, v string) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

var alnumRun = regexp.MustCompile(`[A-Za-z0-9]+`)

// tweak changes the literal part of a string: an "x" after its last alphanumeric run
// ("/users/*" -> "/usersx/*", "always" -> "alwaysx"); "/" becomes "/x".
func tweak(v string) string {
	locs := alnumRun.FindAllStringIndex(v, -1)
	if len(locs) == 0 {
		return v + "x"
	}
	end := locs[len(locs)-1][1]
	return v[:end] + "x" + v[end:]
}

func tweakString(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok {
		return nil
	}
	return []Value{{tweak(v), "the literal changed by one character"}}
}

// pathTweak changes a request path or path pattern (a prefix then matches other requests).
func pathTweak(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok {
		return nil
	}
	return []Value{{tweak(v), "another path"}}
}

// method proposes another HTTP method.
func method(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok || v == "" {
		return nil
	}
	if v == "GET" {
		return []Value{{"POST", "another method"}}
	}
	return []Value{{"GET", "another method"}}
}

// issuerTweak changes the host of an issuer URL (another token issuer), else the literal.
func issuerTweak(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok {
		return nil
	}
	if i := strings.Index(v, "://"); i >= 0 {
		return []Value{{v[:i+3] + "x" + v[i+3:], "another issuer host"}}
	}
	return []Value{{tweak(v), "another value"}}
}

// durationScale doubles a duration, written in the group's format: Istio's protobuf durations
// are seconds ("2.5s"), the Gateway API's are whole units ("2500ms").
func durationScale(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return nil
	}
	d *= 2
	var out string
	switch {
	case d%time.Second == 0:
		out = fmt.Sprintf("%ds", d/time.Second)
	case strings.HasPrefix(s.Doc.GroupKind(), "gateway.networking.k8s.io/"):
		out = fmt.Sprintf("%dms", d/time.Millisecond)
	default:
		out = strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
	}
	return []Value{{out, "twice as long"}}
}

// intBump adds one to a count (attempts, connections, thresholds, status codes).
func intBump(s *Site) []Value {
	n, ok := integer(s.Leaf.Value)
	if !ok {
		return nil
	}
	return []Value{{num(n + 1), "one more"}}
}

// percent halves a percentage above 50 and doubles one at or below it (0 becomes 50).
func percent(s *Site) []Value {
	n, ok := s.Leaf.Value.(json.Number)
	if !ok {
		return nil
	}
	f, err := n.Float64()
	if err != nil {
		return nil
	}
	switch {
	case f == 0:
		f = 50
	case f > 50:
		f /= 2
	default:
		f *= 2
	}
	return []Value{{json.Number(strconv.FormatFloat(f, 'f', -1, 64)), "another percentage"}}
}

// boolFlip negates a boolean.
func boolFlip(s *Site) []Value {
	b, ok := s.Leaf.Value.(bool)
	if !ok {
		return nil
	}
	return []Value{{!b, "negated"}}
}

// identity replaces a SPIFFE principal's service account by another one of the output (same
// namespace first): a real other workload identity.
func identity(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok {
		return nil
	}
	td, rest, ok := strings.Cut(v, "/ns/")
	ns, sa, ok2 := strings.Cut(rest, "/sa/")
	if !ok || !ok2 || strings.Contains(v, "*") {
		return []Value{{tweak(v), "another principal"}}
	}
	if other := next(s.Index.ServiceAccounts[ns], sa, nil); other != "" {
		return []Value{{td + "/ns/" + ns + "/sa/" + other, "another service account of the namespace"}}
	}
	var all []string
	for n, sas := range s.Index.ServiceAccounts {
		for _, a := range sas {
			all = append(all, n+"/"+a)
		}
	}
	sort.Strings(all)
	if other := next(all, ns+"/"+sa, nil); other != "" {
		n, a, _ := strings.Cut(other, "/")
		return []Value{{td + "/ns/" + n + "/sa/" + a, "another service account of the output"}}
	}
	return []Value{{td + "/ns/" + ns + "/sa/" + sa + "-other", "an identity nobody has"}}
}

// serviceAccount runs the pod as another service account of its namespace.
func serviceAccount(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok {
		return nil
	}
	if other := next(s.Index.ServiceAccounts[s.Doc.Namespace()], v, nil); other != "" {
		return []Value{{other, "another service account of the namespace"}}
	}
	return nil
}

// namespace moves to another namespace of the output.
func namespace(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok {
		return nil
	}
	if other := next(s.Index.Namespaces, v, nil); other != "" {
		return []Value{{other, "another namespace of the output"}}
	}
	return nil
}

// egressNamespace changes the namespace part of a Sidecar egress host `<ns>/<host>`.
func egressNamespace(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok {
		return nil
	}
	ns, host, ok := strings.Cut(v, "/")
	if !ok || ns == "*" || ns == "." || ns == "~" {
		return nil
	}
	if other := next(s.Index.Namespaces, ns, nil); other != "" {
		return []Value{{other + "/" + host, "the host imported from another namespace"}}
	}
	return nil
}

// egressHost changes the host part of a Sidecar egress host `<ns>/<host>`.
func egressHost(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok {
		return nil
	}
	ns, host, ok := strings.Cut(v, "/")
	if !ok || host == "*" {
		return nil
	}
	alt := otherHost(s.Index, host, s.Doc.Namespace())
	if alt == "" {
		return nil
	}
	return []Value{{ns + "/" + alt, "another host imported"}}
}

// host replaces a host by another host of the output of the same form (a service FQDN by
// another service's FQDN, a short name by another service of the namespace, an external
// host by another external host), else by a host nobody serves.
func host(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok || v == "" || v == "*" {
		return nil
	}
	if alt := otherHost(s.Index, v, s.Doc.Namespace()); alt != "" {
		return []Value{{alt, "another host of the output"}}
	}
	return nil
}

func otherHost(ix *Index, v, ns string) string {
	switch {
	case strings.HasSuffix(v, ".svc."+DomainSuffix):
		// another service of the same namespace first (a sibling app), else of the output
		hostNS := strings.TrimSuffix(v, ".svc."+DomainSuffix)
		hostNS = hostNS[strings.LastIndex(hostNS, ".")+1:]
		sameNS := func(h string) bool { return strings.HasSuffix(h, "."+hostNS+".svc."+DomainSuffix) }
		if alt := next(ix.ServiceHosts, v, sameNS); alt != "" {
			return alt
		}
		if alt := next(ix.ServiceHosts, v, nil); alt != "" {
			return alt
		}
	case !strings.Contains(v, "."):
		if alt := next(ix.Services[ns], v, nil); alt != "" {
			return alt
		}
	case contains(ix.ExternalHosts, v):
		if alt := next(ix.ExternalHosts, v, nil); alt != "" {
			return alt
		}
	}
	return hostTweak(v)
}

// hostTweak prefixes the first non-wildcard label with "x": a host nobody serves.
func hostTweak(v string) string {
	labels := strings.Split(v, ".")
	for i, l := range labels {
		if l != "*" && l != "" {
			labels[i] = "x" + l
			return strings.Join(labels, ".")
		}
	}
	return ""
}

// subset routes to another subset of the destination host's DestinationRule (else to a
// subset no DestinationRule declares).
func subset(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok {
		return nil
	}
	h, _ := str(s.sibling("host"))
	if alt := next(s.Index.Subsets[FQDN(h, s.Doc.Namespace())], v, nil); alt != "" {
		return []Value{{alt, "another subset of the host"}}
	}
	return []Value{{v + "-x", "a subset no DestinationRule declares"}}
}

// labelValue selects with another value of the same label key seen in the output (another
// workload or version), else with a value nothing carries.
func labelValue(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok {
		return nil
	}
	key := s.Leaf.Path.Last()
	if alt := next(s.Index.LabelValues[s.Doc.Namespace()+"/"+key], v, nil); alt != "" {
		return []Value{{alt, "another value of label " + key + " in the namespace"}}
	}
	if alt := next(s.Index.LabelValues[key], v, nil); alt != "" {
		return []Value{{alt, "another value of label " + key + " in the output"}}
	}
	if len(v)+2 > 63 {
		return nil
	}
	return []Value{{v + "-x", "a value of label " + key + " nothing carries"}}
}

// serviceName names another Service of the object's namespace (or of the reference's own
// namespace field), else one that does not exist.
func serviceName(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok {
		return nil
	}
	ns := s.Doc.Namespace()
	if n, ok := str(s.sibling("namespace")); ok && n != "" {
		ns = n
	}
	if alt := next(s.Index.Services[ns], v, nil); alt != "" {
		return []Value{{alt, "another Service of the namespace"}}
	}
	return []Value{{v + "-x", "a Service that does not exist"}}
}

// parentName re-attaches a route: another Service (kind Service) or Gateway of the parent's
// namespace, else one that does not exist.
func parentName(s *Site) []Value {
	kind, _ := str(s.sibling("kind"))
	if kind == "" || kind == "Service" {
		return serviceName(s)
	}
	v, ok := str(s.Leaf.Value)
	if !ok {
		return nil
	}
	ns := s.Doc.Namespace()
	if n, ok := str(s.sibling("namespace")); ok && n != "" {
		ns = n
	}
	if alt := next(s.Index.K8sGateways[ns], v, nil); alt != "" {
		return []Value{{alt, "another Gateway of the namespace"}}
	}
	return []Value{{v + "-x", "a Gateway that does not exist"}}
}

// sectionName attaches to another listener of the parent Gateway.
func sectionName(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok {
		return nil
	}
	name, _ := str(s.sibling("name"))
	ns := s.Doc.Namespace()
	if n, ok := str(s.sibling("namespace")); ok && n != "" {
		ns = n
	}
	if alt := next(s.Index.Listeners[ns+"/"+name], v, nil); alt != "" {
		return []Value{{alt, "another listener of the Gateway"}}
	}
	return nil
}

// gatewayBinding binds a VirtualService (or one of its matches) to another gateway: "mesh"
// (the sidecars) or another Istio Gateway of the output.
func gatewayBinding(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok {
		return nil
	}
	cur := v
	if v != "mesh" && !strings.Contains(v, "/") {
		cur = s.Doc.Namespace() + "/" + v
	}
	candidates := append([]string{"mesh"}, s.Index.IstioGateways...)
	sort.Strings(candidates)
	if alt := next(candidates, cur, nil); alt != "" {
		return []Value{{alt, "another gateway"}}
	}
	return nil
}
