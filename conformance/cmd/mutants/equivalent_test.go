package main

import (
	"strings"
	"testing"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/mutate"
)

func meshMutants(t *testing.T) (*mutate.Folder, []*mutate.Mutant) {
	t.Helper()
	f, err := mutate.ReadFolder("../../internal/mutate/testdata/mesh")
	if err != nil {
		t.Fatal(err)
	}
	return f, mutate.Generate("mesh", f)
}

func mutantOf(t *testing.T, ms []*mutate.Mutant, op, object, path string) *mutate.Mutant {
	t.Helper()
	for _, m := range ms {
		if m.Operator == op && m.Object == object && m.Path == path {
			return m
		}
	}
	t.Fatalf("no %s mutant of %s %s", op, object, path)
	return nil
}

func TestOnlyWhatPilotAloneReadsIsProvedByIdenticalConfig(t *testing.T) {
	f, ms := meshMutants(t)
	for _, c := range []struct {
		op, object, path string
		pilotOnly        bool
	}{
		{"weight", "VirtualService shop/order-service", "spec.http[3].route[0].weight", true},
		{"gateway-binding", "HTTPRoute store/edge-redirect", "spec.parentRefs[0].sectionName", true},
		{"waypoint", "Gateway store/waypoint", `metadata.labels["istio.io/waypoint-for"]`, true},
		{"port", "Gateway store/waypoint", "spec.listeners[0].port", false}, // the waypoint Deployment is modelled
		{"dataplane", "Namespace shop", "metadata.labels.istio-injection", false},
		{"principal", "Deployment shop/order-service-v1", "spec.template.spec.serviceAccountName", false},
		{"port", "Service shop/order-service", "spec.ports[0].port", false},
	} {
		why := readOnlyByPilot(f, mutantOf(t, ms, c.op, c.object, c.path))
		if (why == "") != c.pilotOnly {
			t.Errorf("%s %s: read by pilot alone %t, want %t (%s)", c.object, c.path, why == "", c.pilotOnly, why)
		}
	}
}

func TestArguments(t *testing.T) {
	f, ms := meshMutants(t)
	gw := mutantOf(t, ms, "target-port", "Service istio-system/ingress", "spec.ports[1].targetPort")
	if arg := argued(f, gw, false); !strings.Contains(arg, "port translation") {
		t.Errorf("a gateway Service's target port: %q", arg)
	}
	app := mutantOf(t, ms, "target-port", "Service shop/user-service", "spec.ports[0].targetPort")
	if arg := argued(f, app, false); arg != "" {
		t.Errorf("an app Service's target port is not equivalent: %q", arg)
	}
	// the ingress gateway asks for a sidecar: istio-cni would never capture it
	amb := &mutate.Mutant{Operator: "dataplane", File: gw.File, Object: "Deployment istio-system/ingress",
		Path: `spec.template.metadata.labels["istio.io/dataplane-mode"]`, New: "ambient"}
	for _, file := range f.Files {
		for i, d := range file.Docs {
			if d.Object != nil && d.ID() == amb.Object {
				amb.File, amb.Doc = file.Name, i
			}
		}
	}
	if arg := argued(f, amb, true); !strings.Contains(arg, "podHasSidecar") {
		t.Errorf("ambient label on a pod with a sidecar: %q", arg)
	}
	if arg := argued(f, amb, false); arg != "" {
		t.Errorf("the argument needs identical config: %q", arg)
	}
}

func TestAnUnreferencedSubsetIsArguedEquivalent(t *testing.T) {
	f, ms := meshMutants(t)
	// order-service's subsets are routed to by its VirtualService
	used := mutantOf(t, ms, "subset", "DestinationRule shop/order-service", "spec.subsets[0].name")
	if arg := argued(f, used, false); arg != "" {
		t.Errorf("a routed subset: %q", arg)
	}
	// drop the route to v2 from the folder: subset v2 is referenced by no route
	for _, file := range f.Files {
		for _, d := range file.Docs {
			if d.Object != nil && d.ID() == "VirtualService shop/order-service" {
				for _, l := range mutate.Leaves(d.Object) {
					if l.Path.Last() == "subset" && l.Value == "v2" {
						mutate.Set(d.Object, l.Path, "v1")
					}
				}
			}
		}
	}
	unused := mutantOf(t, ms, "selector", "DestinationRule shop/order-service", "spec.subsets[1].labels.version")
	if arg := argued(f, unused, false); !strings.Contains(arg, `no route of the output sends to subset "v2"`) {
		t.Errorf("an unreferenced subset: %q", arg)
	}
}

func TestIngressUseWaypointOfAServiceNoGatewayRoutesTo(t *testing.T) {
	f, ms := meshMutants(t)
	// the edge Gateway's HTTPRoute sends to catalog: the label decides whether that goes
	// through the waypoint
	m := mutantOf(t, ms, "waypoint", "Service store/catalog", `metadata.labels["istio.io/ingress-use-waypoint"]`)
	if arg := argued(f, m, false); arg != "" {
		t.Errorf("a Service a gateway route sends to: %q", arg)
	}
	// the gateway's route sends elsewhere: no request through a gateway reaches catalog
	for _, file := range f.Files {
		for _, d := range file.Docs {
			if d.Object != nil && d.GroupKind() == "gateway.networking.k8s.io/HTTPRoute" {
				for _, l := range mutate.Leaves(d.Object) {
					if l.Path.Last() == "name" && l.Value == "catalog" && strings.Contains(l.Path.String(), "backendRefs") {
						mutate.Set(d.Object, l.Path, "reviews")
					}
				}
			}
		}
	}
	if arg := argued(f, m, false); !strings.Contains(arg, "no gateway route of the output sends to Service store/catalog") {
		t.Errorf("a Service no gateway route sends to: %q", arg)
	}
}
