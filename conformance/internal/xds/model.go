package xds

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	networking "istio.io/api/networking/v1alpha3"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/schema/gvk"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
)

// What the emitted objects declare, read independently of pilot: the expectation
// each assertion compares Envoy's config against.

// Port of a mesh host.
type Port struct {
	Number int
	Name   string
	HTTP   bool
}

// Host is a Kubernetes Service or a ServiceEntry host.
type Host struct {
	Name      string // FQDN
	Namespace string
	Ports     []Port
	Selector  map[string]string // nil for ServiceEntries
	ExportTo  []string
}

// Hosts of the example, by FQDN.
func (e *Env) Hosts() map[string]*Host {
	out := map[string]*Host{}
	for _, s := range e.Services {
		h := &Host{Name: s.Name + "." + s.Namespace + ".svc." + DomainSuffix, Namespace: s.Namespace, Selector: s.Spec.Selector}
		if v := s.Annotations["networking.istio.io/exportTo"]; v != "" {
			h.ExportTo = strings.Split(v, ",")
		}
		for _, p := range s.Spec.Ports {
			h.Ports = append(h.Ports, Port{Number: int(p.Port), Name: p.Name, HTTP: httpPort(p)})
		}
		out[h.Name] = h
	}
	for _, c := range e.configs(gvk.ServiceEntry) {
		se := c.Spec.(*networking.ServiceEntry)
		for _, name := range se.Hosts {
			h := &Host{Name: name, Namespace: c.Namespace, ExportTo: se.ExportTo}
			for _, p := range se.Ports {
				proto := strings.ToUpper(p.Protocol)
				h.Ports = append(h.Ports, Port{Number: int(p.Number), Name: p.Name, HTTP: proto == "HTTP" || proto == "HTTP2" || proto == "GRPC"})
			}
			out[name] = h
		}
	}
	return out
}

func httpPort(p corev1.ServicePort) bool {
	proto := strings.ToLower(p.Name)
	if p.AppProtocol != nil {
		proto = strings.ToLower(*p.AppProtocol)
	}
	for _, pre := range []string{"http", "grpc", "h2c", "kubernetes.io/h2c"} {
		if proto == pre || strings.HasPrefix(proto, pre+"-") || (pre == "http" && strings.HasPrefix(proto, "http2")) {
			return true
		}
	}
	return false
}

func (e *Env) configs(k config.GroupVersionKind) []config.Config {
	var out []config.Config
	for _, c := range e.Configs {
		if c.GroupVersionKind == k {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func (e *Env) rootNamespace() string {
	if e.Mesh.GetRootNamespace() != "" {
		return e.Mesh.GetRootNamespace()
	}
	return "istio-system"
}

// sidecarFor returns the Sidecar resource that applies to a workload, as Istio
// documents the choice: a selector match in its namespace, else its namespace's
// selector-less Sidecar, else the root namespace's selector-less Sidecar.
func (e *Env) sidecarFor(w *Workload) *config.Config {
	var nsDefault, rootDefault *config.Config
	for _, c := range e.configs(gvk.Sidecar) {
		c := c
		sc := c.Spec.(*networking.Sidecar)
		switch {
		case c.Namespace == w.Namespace && sc.WorkloadSelector != nil && len(sc.WorkloadSelector.Labels) > 0:
			if subset(sc.WorkloadSelector.Labels, w.Labels) {
				return &c
			}
		case c.Namespace == w.Namespace && (sc.WorkloadSelector == nil || len(sc.WorkloadSelector.Labels) == 0):
			if nsDefault == nil {
				nsDefault = &c
			}
		case c.Namespace == e.rootNamespace() && (sc.WorkloadSelector == nil || len(sc.WorkloadSelector.Labels) == 0):
			if rootDefault == nil {
				rootDefault = &c
			}
		}
	}
	if nsDefault != nil {
		return nsDefault
	}
	return rootDefault
}

// exported is whether a host (or config) with exportTo in namespace ns is visible from proxyNS.
func exported(exportTo []string, ns, proxyNS string) bool {
	if len(exportTo) == 0 {
		return true
	}
	for _, x := range exportTo {
		if x == "*" || x == proxyNS || (x == "." && ns == proxyNS) {
			return true
		}
	}
	return false
}

// egressMatch is whether an egress host "namespace/dnsName" of a Sidecar in sidecarNS selects h.
func egressMatch(pattern, sidecarNS string, h *Host) bool {
	ns, name, ok := strings.Cut(pattern, "/")
	if !ok {
		return false
	}
	switch ns {
	case "*":
	case ".":
		if h.Namespace != sidecarNS {
			return false
		}
	case "~":
		return false
	default:
		if h.Namespace != ns {
			return false
		}
	}
	return hostMatch(name, h.Name)
}

// hostMatch matches a hostname pattern ("*", "*.suffix", exact) against a host.
func hostMatch(pattern, host string) bool {
	switch {
	case pattern == "*":
		return true
	case strings.HasPrefix(pattern, "*"):
		return strings.HasSuffix(host, pattern[1:])
	default:
		return pattern == host
	}
}

// expectedVisible derives, from the emitted Sidecar, VirtualServices and exportTo,
// the hosts a workload's proxy should have clusters for. scoped is false when no
// Sidecar applies (the proxy sees every exported host).
func (e *Env) expectedVisible(w *Workload, hosts map[string]*Host) (visible map[string]bool, sidecar *config.Config) {
	visible = map[string]bool{}
	sidecar = nil
	if !w.Gateway {
		sidecar = e.sidecarFor(w)
	}
	for name, h := range hosts {
		if !exported(h.ExportTo, h.Namespace, w.Namespace) {
			continue
		}
		if sidecar == nil {
			visible[name] = true
			continue
		}
		for _, eg := range sidecar.Spec.(*networking.Sidecar).Egress {
			for _, pat := range eg.Hosts {
				if egressMatch(pat, sidecar.Namespace, h) {
					visible[name] = true
				}
			}
		}
	}
	if sidecar == nil {
		return visible, nil
	}
	// Istio adds the destinations of the VirtualServices a scoped proxy imports.
	for _, c := range e.configs(gvk.VirtualService) {
		vs := c.Spec.(*networking.VirtualService)
		if !exported(vs.ExportTo, c.Namespace, w.Namespace) || !boundTo(vs, c.Namespace, "mesh") {
			continue
		}
		imported := false
		for _, eg := range sidecar.Spec.(*networking.Sidecar).Egress {
			for _, pat := range eg.Hosts {
				ns, name, _ := strings.Cut(pat, "/")
				if ns != "*" && ns != c.Namespace && !(ns == "." && c.Namespace == sidecar.Namespace) {
					continue
				}
				for _, vh := range vs.Hosts {
					if hostMatch(name, fqdn(vh, c.Namespace)) {
						imported = true
					}
				}
			}
		}
		if !imported {
			continue
		}
		for _, d := range vsDestinations(vs) {
			if _, ok := hosts[fqdn(d, c.Namespace)]; ok {
				visible[fqdn(d, c.Namespace)] = true
			}
		}
	}
	// Gateway API: pilot converts a mesh (GAMMA) HTTPRoute into a VirtualService of
	// its parent Service's host, so its backends are imported the same way.
	for _, o := range e.Example.ByKind("gateway.networking.k8s.io", "HTTPRoute") {
		parents, backends := gammaRoute(o)
		imported := false
		for _, parent := range parents {
			if !visible[parent] {
				continue
			}
			for _, eg := range sidecar.Spec.(*networking.Sidecar).Egress {
				for _, pat := range eg.Hosts {
					if h, ok := hosts[parent]; ok && egressMatch(pat, sidecar.Namespace, h) {
						imported = true
					}
				}
			}
		}
		if !imported {
			continue
		}
		for _, b := range backends {
			if _, ok := hosts[b]; ok {
				visible[b] = true
			}
		}
	}
	return visible, sidecar
}

// gammaRoute returns the Service hosts a Gateway API HTTPRoute is attached to (parentRefs of
// kind Service) and the hosts of its Service backends (backendRefs and RequestMirror filters).
func gammaRoute(o manifest.Object) (parents, backends []string) {
	ns := o.GetNamespace()
	host := func(ref map[string]any) (string, bool) {
		kind, _ := ref["kind"].(string)
		group, _ := ref["group"].(string)
		if kind != "Service" || group != "" {
			return "", false
		}
		name, _ := ref["name"].(string)
		refNS, _ := ref["namespace"].(string)
		if refNS == "" {
			refNS = ns
		}
		return name + "." + refNS + ".svc." + DomainSuffix, true
	}
	spec, _, _ := unstructuredMap(o.Object, "spec")
	for _, p := range manifest.Maps(spec["parentRefs"]) {
		if h, ok := host(p); ok {
			parents = append(parents, h)
		}
	}
	for _, rule := range manifest.Maps(spec["rules"]) {
		for _, b := range manifest.Maps(rule["backendRefs"]) {
			if h, ok := host(b); ok {
				backends = append(backends, h)
			}
		}
		for _, f := range manifest.Maps(rule["filters"]) {
			if m, ok := f["requestMirror"].(map[string]any); ok {
				if ref, ok := m["backendRef"].(map[string]any); ok {
					if h, ok := host(ref); ok {
						backends = append(backends, h)
					}
				}
			}
		}
	}
	return parents, backends
}

func vsDestinations(vs *networking.VirtualService) []string {
	var out []string
	for _, r := range vs.Http {
		for _, d := range r.Route {
			out = append(out, d.GetDestination().GetHost())
		}
		if r.Mirror != nil {
			out = append(out, r.Mirror.Host)
		}
	}
	for _, r := range vs.Tcp {
		for _, d := range r.Route {
			out = append(out, d.GetDestination().GetHost())
		}
	}
	for _, r := range vs.Tls {
		for _, d := range r.Route {
			out = append(out, d.GetDestination().GetHost())
		}
	}
	return out
}

// fqdn resolves a short Kubernetes name relative to the config's namespace.
func fqdn(h, ns string) string {
	if strings.Contains(h, ".") || h == "*" {
		return h
	}
	return h + "." + ns + ".svc." + DomainSuffix
}

// boundTo is whether a VirtualService applies to the gateway ("mesh" or "ns/name").
func boundTo(vs *networking.VirtualService, ns, gw string) bool {
	if len(vs.Gateways) == 0 {
		return gw == "mesh"
	}
	for _, g := range vs.Gateways {
		if g == gw || (!strings.Contains(g, "/") && g != "mesh" && ns+"/"+g == gw) {
			return true
		}
	}
	return false
}

// matchBound is whether a match condition applies to the gateway (and the listener port).
func matchApplies(m *networking.HTTPMatchRequest, ns, gw string, port int, labels map[string]string, proxyNS string) bool {
	if m == nil {
		return true
	}
	if m.Port != 0 && int(m.Port) != port {
		return false
	}
	if len(m.Gateways) > 0 {
		for _, g := range m.Gateways {
			if g == gw || (!strings.Contains(g, "/") && g != "mesh" && ns+"/"+g == gw) {
				return true
			}
		}
		return false
	}
	if !subset(m.SourceLabels, labels) {
		return false
	}
	return m.SourceNamespace == "" || m.SourceNamespace == proxyNS
}
