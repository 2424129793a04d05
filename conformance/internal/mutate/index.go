package mutate

import (
	"sort"
	"strings"
)

// DomainSuffix is the cluster domain of the hosts the library writes.
const DomainSuffix = "cluster.local"

// Index holds what a folder declares that the value operators choose replacements from, so a
// mutant points at something that exists (another identity, another host, another subset)
// rather than at a made-up name, wherever the folder has one.
type Index struct {
	Namespaces      []string
	ServiceAccounts map[string][]string // namespace -> names
	Services        map[string][]string // namespace -> names
	ServiceHosts    []string            // <svc>.<ns>.svc.cluster.local
	ExternalHosts   []string            // ServiceEntry hosts
	Subsets         map[string][]string // FQDN host -> DestinationRule subset names
	LabelValues     map[string][]string // label key, and <namespace>/<key> -> values on pod templates and selectors
	IstioGateways   []string            // <ns>/<name> of networking.istio.io Gateways
	K8sGateways     map[string][]string // namespace -> gateway.networking.k8s.io Gateway names
	Listeners       map[string][]string // <ns>/<name> of a Gateway API Gateway -> listener names
	// InMesh holds the Doc.ID of every workload with a proxy or captured by ztunnel, every
	// Service selecting one, and every Namespace carrying an Istio label (Scope).
	InMesh map[string]bool
}

// workloadKinds carry a pod template at spec.template.
var workloadKinds = map[string]bool{
	"apps/Deployment": true, "apps/StatefulSet": true, "apps/DaemonSet": true, "argoproj.io/Rollout": true,
}

// NewIndex indexes a folder.
func NewIndex(f *Folder) *Index {
	ix := &Index{
		ServiceAccounts: map[string][]string{}, Services: map[string][]string{}, Subsets: map[string][]string{},
		LabelValues: map[string][]string{}, K8sGateways: map[string][]string{}, Listeners: map[string][]string{},
		InMesh: map[string]bool{},
	}
	sets := map[string]map[string]bool{}
	add := func(set, v string) {
		if v == "" {
			return
		}
		if sets[set] == nil {
			sets[set] = map[string]bool{}
		}
		sets[set][v] = true
	}
	for _, file := range f.Files {
		for _, d := range file.Docs {
			if d.Object == nil {
				continue
			}
			ix.indexDoc(d, add)
		}
	}
	list := func(set string) []string {
		var out []string
		for v := range sets[set] {
			out = append(out, v)
		}
		sort.Strings(out)
		return out
	}
	ix.Namespaces = list("ns")
	ix.ServiceHosts = list("svchost")
	ix.ExternalHosts = list("exthost")
	ix.IstioGateways = list("istiogw")
	ix.scope(f)
	for set := range sets {
		kind, key, ok := strings.Cut(set, ":")
		if !ok {
			continue
		}
		switch kind {
		case "sa":
			ix.ServiceAccounts[key] = list(set)
		case "svc":
			ix.Services[key] = list(set)
		case "subset":
			ix.Subsets[key] = list(set)
		case "label":
			ix.LabelValues[key] = list(set)
		case "k8sgw":
			ix.K8sGateways[key] = list(set)
		case "listener":
			ix.Listeners[key] = list(set)
		}
	}
	return ix
}

func (ix *Index) indexDoc(d *Doc, add func(set, v string)) {
	ns := d.Namespace()
	add("ns", ns)
	switch gk := d.GroupKind(); {
	case gk == "Namespace":
		add("ns", d.Name())
	case gk == "ServiceAccount":
		add("sa:"+ns, d.Name())
	case gk == "Service":
		add("svc:"+ns, d.Name())
		add("svchost", d.Name()+"."+ns+".svc."+DomainSuffix)
		sel, _ := Get(d.Object, Path{"spec", "selector"})
		addLabels(sel, ns, add)
	case gk == "networking.istio.io/ServiceEntry":
		hosts, _ := Get(d.Object, Path{"spec", "hosts"})
		for _, h := range strings_(hosts) {
			add("exthost", h)
		}
	case gk == "networking.istio.io/DestinationRule":
		host, _ := Get(d.Object, Path{"spec", "host"})
		h, _ := host.(string)
		subsets, _ := Get(d.Object, Path{"spec", "subsets"})
		for _, s := range maps(subsets) {
			name, _ := s["name"].(string)
			add("subset:"+FQDN(h, ns), name)
		}
	case gk == "networking.istio.io/Gateway":
		add("istiogw", ns+"/"+d.Name())
	case gk == "gateway.networking.k8s.io/Gateway":
		add("k8sgw:"+ns, d.Name())
		ls, _ := Get(d.Object, Path{"spec", "listeners"})
		for _, l := range maps(ls) {
			name, _ := l["name"].(string)
			add("listener:"+ns+"/"+d.Name(), name)
		}
	case workloadKinds[gk]:
		labels, _ := Get(d.Object, Path{"spec", "template", "metadata", "labels"})
		addLabels(labels, ns, add)
	}
}

func addLabels(v any, ns string, add func(set, v string)) {
	m, _ := v.(map[string]any)
	for k, x := range m {
		if s, ok := x.(string); ok {
			add("label:"+k, s)
			add("label:"+ns+"/"+k, s)
		}
	}
}

// FQDN expands a short or namespace-qualified service host the way Istio resolves a host
// written in an object of namespace ns.
func FQDN(host, ns string) string {
	if host == "" || strings.Contains(host, "*") {
		return host
	}
	switch strings.Count(host, ".") {
	case 0:
		return host + "." + ns + ".svc." + DomainSuffix
	case 1:
		return host + ".svc." + DomainSuffix
	}
	if strings.HasSuffix(host, ".svc") {
		return host + "." + DomainSuffix
	}
	return host
}

func strings_(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func maps(v any) []map[string]any {
	l, _ := v.([]any)
	var out []map[string]any
	for _, x := range l {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// next returns the first element of sorted after cur (cyclically) that differs from cur
// and satisfies ok, or "".
func next(sorted []string, cur string, ok func(string) bool) string {
	start := sort.SearchStrings(sorted, cur)
	for i := 0; i < len(sorted); i++ {
		v := sorted[(start+i)%len(sorted)]
		if v != cur && (ok == nil || ok(v)) {
			return v
		}
	}
	return ""
}
