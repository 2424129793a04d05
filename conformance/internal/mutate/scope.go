package mutate

import "strings"

// The mutants' scope is the mesh the program declares: every Istio and Gateway API object,
// and the Namespaces, Services and workloads of the meshed applications and gateways. The
// control plane's and the add-ons' own workloads and Services (istiod, istio-cni, ztunnel,
// Prometheus, Grafana, Jaeger, Kiali: no proxy, not captured) are outside it: no request of
// the mesh's intent goes through them.

// InScope reports whether a document is a mutation target.
func (ix *Index) InScope(d *Doc) bool {
	gk := d.GroupKind()
	switch {
	case gk == kSvc || gk == kNS || workloadKinds[gk]:
		return ix.InMesh[d.ID()]
	case strings.HasSuffix(strings.SplitN(gk, "/", 2)[0], ".istio.io"), strings.HasPrefix(gk, "gateway.networking.k8s.io/"):
		return true
	}
	return false
}

// scope fills InMesh: workloads with a sidecar or gateway proxy or captured by ztunnel, the
// Services selecting them, and the Namespaces with an Istio label.
func (ix *Index) scope(f *Folder) {
	nsLabels := map[string]map[string]any{}
	var services, pods []*Doc
	for _, file := range f.Files {
		for _, d := range file.Docs {
			if d.Object == nil {
				continue
			}
			switch gk := d.GroupKind(); {
			case gk == kNS:
				l, _ := Get(d.Object, Path{"metadata", "labels"})
				m, _ := l.(map[string]any)
				nsLabels[d.Name()] = m
				for k := range m {
					if k == "istio-injection" || strings.HasPrefix(k, "istio.io/") {
						ix.InMesh[d.ID()] = true
					}
				}
			case gk == kSvc:
				services = append(services, d)
			case workloadKinds[gk]:
				pods = append(pods, d)
			}
		}
	}
	type meshed struct {
		ns     string
		labels map[string]any
	}
	var in []meshed
	for _, d := range pods {
		l, _ := Get(d.Object, Path{"spec", "template", "metadata", "labels"})
		a, _ := Get(d.Object, Path{"spec", "template", "metadata", "annotations"})
		labels, _ := l.(map[string]any)
		annotations, _ := a.(map[string]any)
		if meshedPod(labels, annotations, nsLabels[d.Namespace()]) {
			ix.InMesh[d.ID()] = true
			in = append(in, meshed{d.Namespace(), labels})
		}
	}
	for _, d := range services {
		s, _ := Get(d.Object, Path{"spec", "selector"})
		sel, _ := s.(map[string]any)
		if len(sel) == 0 {
			continue
		}
		for _, w := range in {
			if w.ns == d.Namespace() && selects(sel, w.labels) {
				ix.InMesh[d.ID()] = true
				break
			}
		}
	}
}

// meshedPod: a gateway (injected from the gateway template), a pod with a sidecar (asked
// for, or by its namespace's injection label), or a pod ztunnel captures (ambient by its own
// label or its namespace's).
func meshedPod(labels, annotations, ns map[string]any) bool {
	get := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	if get(annotations, "inject.istio.io/templates") != "" {
		return true
	}
	inject := get(labels, "sidecar.istio.io/inject")
	if inject == "" {
		inject = get(annotations, "sidecar.istio.io/inject")
	}
	if inject == "true" {
		return true
	}
	mode := get(labels, "istio.io/dataplane-mode")
	if mode == "ambient" || (mode != "none" && get(ns, "istio.io/dataplane-mode") == "ambient") {
		return true
	}
	if inject == "false" {
		return false
	}
	return get(ns, "istio-injection") == "enabled" || (get(ns, "istio-injection") != "disabled" && get(ns, "istio.io/rev") != "")
}

func selects(sel, labels map[string]any) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}
