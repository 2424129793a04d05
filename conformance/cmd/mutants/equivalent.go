package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/mutate"
)

// When is a survivor equivalent? Pilot's generated config (the fingerprint) being identical
// proves it only for what pilot alone reads, translated by pilot's own code. The oracle's
// environment does not run everything else that acts on an output: it models sidecar
// injection (the webhook's selectors), istio-cni's capture and the waypoint Deployment that
// istiod's deployment controller creates. A field one of those reads can change what a
// cluster does while the modelled config stays identical, so such a survivor stays a
// survivor unless an argument below, checked against the output, shows it is equivalent.

// readOnlyByPilot returns "" when pilot is the only reader of the mutated field, else what
// else reads it.
func readOnlyByPilot(f *mutate.Folder, m *mutate.Mutant) string {
	d := doc(f, m)
	if d == nil {
		return "the mutated object is not in the output"
	}
	gk := d.GroupKind()
	group, _, _ := strings.Cut(gk, "/")
	switch {
	case strings.HasSuffix(group, ".istio.io"):
		return ""
	case gk == "gateway.networking.k8s.io/Gateway":
		if class, _ := mutate.Get(d.Object, mutate.Path{"spec", "gatewayClassName"}); class == "istio-waypoint" && m.Path != `metadata.labels["istio.io/waypoint-for"]` {
			return "istiod's deployment controller builds the waypoint's Deployment and Service from this Gateway, which the oracle's environment models"
		}
		return ""
	case group == "gateway.networking.k8s.io":
		return ""
	case gk == "Namespace", gk == "Service":
		return "Kubernetes admission, istio-cni and ztunnel read it too, which the oracle's environment models rather than runs"
	}
	return "the pod template is read by the injection webhook's selectors and istio-cni, which the oracle's environment models rather than runs"
}

// argued returns the argument that a survivor is equivalent, when one applies to it ("" otherwise):
// identical tells whether pilot's config is identical to the original's. Each argument names
// the code that settles it and is checked against the output.
func argued(f *mutate.Folder, m *mutate.Mutant, identical bool) string {
	d := doc(f, m)
	if d == nil {
		return ""
	}
	// a gateway listens on the target port of its Service port (pilot's port translation,
	// pilot/pkg/model/gateway.go): the Service and the gateway's listener move together
	if m.Operator == "target-port" && d.GroupKind() == "Service" && selectsGateway(f, d) {
		return "the Service selects an injected gateway, whose listener pilot binds to the Service port's target port (pilot/pkg/model/gateway.go, port translation): requests still enter through the Service port and reach the listener; the container port is informational"
	}
	// a DestinationRule subset no route sends to: its clusters receive no request
	if d.GroupKind() == "networking.istio.io/DestinationRule" && strings.HasPrefix(m.Path, "spec.subsets[") {
		if name, host, ok := subsetOf(d, m.Path); ok && !subsetReferenced(f, d, name, host) {
			return fmt.Sprintf("no route of the output sends to subset %q of %s (no VirtualService destination or mirror names it, no Rollout manages the DestinationRule): pilot builds its clusters, but no request reaches them", name, host)
		}
	}
	// istio.io/ingress-use-waypoint only changes where a gateway sends a request for the
	// Service (pilot: the gateway's cluster for it goes through the waypoint); a gateway
	// forwards only what one of its routes sends to a backend
	if m.Path == `metadata.labels["istio.io/ingress-use-waypoint"]` && d.GroupKind() == "Service" && !gatewayRoutesTo(f, d) {
		return fmt.Sprintf("no gateway route of the output sends to Service %s/%s (no HTTPRoute, GRPCRoute, TLSRoute or TCPRoute of a Gateway parent names it as a backend, no VirtualService bound to a gateway routes to its host): the gateways' clusters for it change, but a gateway forwards only what a route sends, so no request reaches them", d.Namespace(), d.Name())
	}
	if !identical {
		return ""
	}
	// a pod with a sidecar is never captured by istio-cni (cni/pkg/util/enablement_selector.go:
	// podHasSidecar opts it out), and the injection webhook's selectors do not read the label
	if m.Path == `spec.template.metadata.labels["istio.io/dataplane-mode"]` && m.New == "ambient" {
		inject, _ := mutate.Get(d.Object, mutate.Path{"spec", "template", "metadata", "labels", "sidecar.istio.io/inject"})
		if inject == "true" {
			return "the pod asks for a sidecar (sidecar.istio.io/inject: \"true\", which the injection webhook's object selector reads; it does not read istio.io/dataplane-mode), and istio-cni never captures a pod with a sidecar (cni/pkg/util/enablement_selector.go, podHasSidecar): the label has no reader"
		}
	}
	return ""
}

func doc(f *mutate.Folder, m *mutate.Mutant) *mutate.Doc {
	for _, file := range f.Files {
		if file.Name == m.File && m.Doc < len(file.Docs) {
			return file.Docs[m.Doc]
		}
	}
	return nil
}

// selectsGateway reports whether a Service selects pods injected with the gateway template.
func selectsGateway(f *mutate.Folder, svc *mutate.Doc) bool {
	sel, _ := mutate.Get(svc.Object, mutate.Path{"spec", "selector"})
	want, _ := sel.(map[string]any)
	if len(want) == 0 {
		return false
	}
	for _, file := range f.Files {
		for _, d := range file.Docs {
			if d.Object == nil || d.Namespace() != svc.Namespace() {
				continue
			}
			tpl, _ := mutate.Get(d.Object, mutate.Path{"spec", "template", "metadata", "annotations", "inject.istio.io/templates"})
			if tpl != "gateway" {
				continue
			}
			l, _ := mutate.Get(d.Object, mutate.Path{"spec", "template", "metadata", "labels"})
			labels, _ := l.(map[string]any)
			matches := true
			for k, v := range want {
				matches = matches && labels[k] == v
			}
			if matches {
				return true
			}
		}
	}
	return false
}

// subsetOf returns the subset a DestinationRule field path is in (spec.subsets[i]...) and the
// rule's host (FQDN).
func subsetOf(dr *mutate.Doc, path string) (string, string, bool) {
	rest := strings.TrimPrefix(path, "spec.subsets[")
	i, err := strconv.Atoi(rest[:strings.Index(rest+"]", "]")])
	if err != nil {
		return "", "", false
	}
	name, _ := mutate.Get(dr.Object, mutate.Path{"spec", "subsets", i, "name"})
	host, _ := mutate.Get(dr.Object, mutate.Path{"spec", "host"})
	n, _ := name.(string)
	h, _ := host.(string)
	return n, mutate.FQDN(h, dr.Namespace()), n != ""
}

// subsetReferenced reports whether a VirtualService routes or mirrors to the subset of host,
// or a Rollout manages the DestinationRule's subsets.
func subsetReferenced(f *mutate.Folder, dr *mutate.Doc, subset, host string) bool {
	for _, file := range f.Files {
		for _, d := range file.Docs {
			if d.Object == nil {
				continue
			}
			switch d.GroupKind() {
			case "argoproj.io/Rollout":
				name, _ := mutate.Get(d.Object, mutate.Path{"spec", "strategy", "canary", "trafficRouting", "istio", "destinationRule", "name"})
				if name == dr.Name() && d.Namespace() == dr.Namespace() {
					return true
				}
			case "networking.istio.io/VirtualService":
				for _, l := range mutate.Leaves(d.Object) {
					if l.Path.Last() != "subset" || l.Value != subset {
						continue
					}
					h, _ := mutate.Get(d.Object, append(append(mutate.Path{}, l.Path.Parent()...), "host"))
					if hs, _ := h.(string); mutate.FQDN(hs, d.Namespace()) == host {
						return true
					}
				}
			}
		}
	}
	return false
}

// gatewayRoutesTo reports whether a route attached to a gateway (not to a Service, not the
// mesh) sends requests to the Service.
func gatewayRoutesTo(f *mutate.Folder, svc *mutate.Doc) bool {
	host := mutate.FQDN(svc.Name(), svc.Namespace())
	for _, file := range f.Files {
		for _, d := range file.Docs {
			if d.Object == nil {
				continue
			}
			gk := d.GroupKind()
			switch {
			case gk == "networking.istio.io/VirtualService":
				gws, _ := mutate.Get(d.Object, mutate.Path{"spec", "gateways"})
				list, _ := gws.([]any)
				bound := false
				for _, g := range list {
					bound = bound || (g != "mesh" && g != nil)
				}
				if !bound {
					continue
				}
				for _, l := range mutate.Leaves(d.Object) {
					if h, ok := l.Value.(string); ok && l.Path.Last() == "host" && mutate.FQDN(h, d.Namespace()) == host {
						return true
					}
				}
			case strings.HasPrefix(gk, "gateway.networking.k8s.io/") && strings.HasSuffix(gk, "Route"):
				parents, _ := mutate.Get(d.Object, mutate.Path{"spec", "parentRefs"})
				list, _ := parents.([]any)
				toGateway := false
				for _, p := range list {
					pm, _ := p.(map[string]any)
					kind, _ := pm["kind"].(string)
					toGateway = toGateway || kind == "" || kind == "Gateway"
				}
				if !toGateway {
					continue
				}
				for _, l := range mutate.Leaves(d.Object) {
					if l.Path.Last() != "name" || len(l.Path) < 2 || !strings.Contains(l.Path.String(), "backendRefs") {
						continue
					}
					ref, _ := mutate.Get(d.Object, l.Path.Parent())
					rm, _ := ref.(map[string]any)
					ns, _ := rm["namespace"].(string)
					if ns == "" {
						ns = d.Namespace()
					}
					kind, _ := rm["kind"].(string)
					if (kind == "" || kind == "Service") && rm["name"] == svc.Name() && ns == svc.Namespace() {
						return true
					}
				}
			}
		}
	}
	return false
}
