package xds

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"istio.io/istio/pilot/pkg/features"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/report"
)

// testdata/ambient is cdk8s-mesh's synthesis of this program (platform.k8s.yaml trimmed to the
// namespaces, the mesh config and istiod):
//
//	new IstioControlPlane(platform, 'istio', { crds: false, dataPlane: DataPlaneMode.AMBIENT });
//	new MeshNamespace(platform, 'shop', { dataPlaneMode: DataPlaneMode.AMBIENT });
//	const web = new MeshService(shop, 'web', { versions: [{ name: 'v1', image: 'ghcr.io/acme/web:1.0.0' }] });
//	const cart = new MeshService(shop, 'cart', { versions: [{ name: 'v1', image: 'ghcr.io/acme/cart:1.0.0' }] });
//	web.dependsOn(cart);
//	cart.addRoute({ name: 'reads', timeout: Duration.seconds(3), retries: { attempts: 2 } });
//	cart.allowFrom(web, { methods: [HttpMethod.GET] });

func ambientFixture(t *testing.T, edits ...[2]string) *manifest.Example {
	t.Helper()
	return fixtureFrom(t, "testdata/ambient", edits...)
}

// ambientGatewayAPIFixture is the ambient program of ../equivalence/equivalence_test.go rendered
// with RoutingApi.GATEWAY_API (cart: a canary split and a route as a GAMMA HTTPRoute, per-version
// Services attached to the waypoint).
func ambientGatewayAPIFixture(t *testing.T, edits ...[2]string) *manifest.Example {
	t.Helper()
	return fixtureFrom(t, "../equivalence/testdata/ambient-gateway-api", edits...)
}

func fixtureFrom(t *testing.T, from string, edits ...[2]string) *manifest.Example {
	t.Helper()
	dir := t.TempDir()
	files, _ := filepath.Glob(filepath.Join(from, "*.k8s.yaml"))
	applied := make([]bool, len(edits))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for i, e := range edits {
			if strings.Contains(s, e[0]) {
				s = strings.ReplaceAll(s, e[0], e[1])
				applied[i] = true
			}
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, ok := range applied {
		if !ok {
			t.Fatalf("edit %q did not apply", edits[i][0])
		}
	}
	ex, err := manifest.Load("ambient", dir)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func runAmbient(t *testing.T, ex *manifest.Example) *report.Report {
	t.Helper()
	r := report.New()
	if err := Run(ex, r); err != nil {
		t.Fatal(err)
	}
	return r
}

func containsEntry(es []report.Entry, subject, msg string) bool {
	for _, e := range es {
		if strings.Contains(e.Subject, subject) && strings.Contains(e.Message, msg) {
			return true
		}
	}
	return false
}

func TestWaypointGetsTheDeclaredRoutesAndRBAC(t *testing.T) {
	r := runAmbient(t, ambientFixture(t))
	for _, e := range entries(r, report.Fail) {
		t.Errorf("unexpected failure: %s: %s", e.Subject, e.Message)
	}
	pass := entries(r, report.Pass)
	for _, want := range [][2]string{
		{"waypoint shop/waypoint", "serves the services attached to it: cart.shop.svc.cluster.local"},
		{"waypoint shop/waypoint cart.shop.svc.cluster.local:80 VirtualService shop/cart", "1 routes (matches, weighted subsets, retries, timeouts, faults) as declared, served by the waypoint"},
		{"waypoint shop/waypoint cart.shop.svc.cluster.local:80 AuthorizationPolicy shop/cart-allow", "1 rules enforced by the waypoint as ALLOW RBAC policies"},
		{"Service shop/cart", "attached to waypoint \"waypoint\""},
		{"ztunnel AuthorizationPolicy shop/cart-waypoint-only", "ztunnel enforces 1 of its 1 rules"},
		{"ztunnel AuthorizationPolicy shop/cart-allow", "enforced by the waypoint, not handed to ztunnel: true"},
	} {
		if !containsEntry(pass, want[0], want[1]) {
			t.Errorf("missing pass %q: %q", want[0], want[1])
		}
	}
	// the ambient features are restored for the next (sidecar) example
	if features.EnableAmbient || features.EnableHBONESend {
		t.Error("pilot's ambient features were not restored after the example")
	}
}

func TestWaypointChecksCanFail(t *testing.T) {
	cases := []struct {
		name  string
		edits [][2]string
		want  [2]string
	}{
		{
			// the waypoint Gateway is not a waypoint: the Service is attached to nothing
			name:  "no waypoint",
			edits: [][2]string{{"gatewayClassName: istio-waypoint", "gatewayClassName: istio"}},
			want:  [2]string{"Service shop/cart", "which a Gateway of class istio-waypoint in shop declares: false"},
		},
		{
			// an L7 condition in a policy ztunnel enforces: the rule is dropped (the ALLOW narrows)
			name:  "L7 rule for ztunnel",
			edits: [][2]string{{"              - cluster.local/ns/shop/sa/waypoint\n", "              - cluster.local/ns/shop/sa/waypoint\n      to:\n        - operation:\n            methods:\n              - GET\n"}},
			want:  [2]string{"ztunnel AuthorizationPolicy shop/cart-waypoint-only", "ztunnel enforces 0 of its 1 rules"},
		},
		{
			// the route sends to a subset the DestinationRule does not declare: the waypoint has no cluster for it
			name:  "missing subset",
			edits: [][2]string{{"subset: v1", "subset: v9"}},
			want:  [2]string{"VirtualService shop/cart", "which pilot did not generate"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runAmbient(t, ambientFixture(t, tc.edits...))
			if !containsEntry(entries(r, report.Fail), tc.want[0], tc.want[1]) {
				var got []string
				for _, e := range entries(r, report.Fail) {
					got = append(got, e.Subject+": "+e.Message)
				}
				t.Errorf("want a failure %q: %q; failures: %v", tc.want[0], tc.want[1], got)
			}
		})
	}
}

func TestWaypointServesTheHTTPRoutes(t *testing.T) {
	r := runAmbient(t, ambientGatewayAPIFixture(t))
	for _, e := range entries(r, report.Fail) {
		t.Errorf("unexpected failure: %s: %s", e.Subject, e.Message)
	}
	pass := entries(r, report.Pass)
	for _, want := range [][2]string{
		{"waypoint shop/waypoint cart.shop.svc.cluster.local:80 HTTPRoute shop/cart", "sending to its 2 backend Services through generated clusters, served by the waypoint"},
		{"waypoint shop/waypoint cart-v2.shop.svc.cluster.local:80 AuthorizationPolicy shop/cart-allow", "1 rules enforced by the waypoint as ALLOW RBAC policies"},
		{"Service shop/cart-v1", "attached to waypoint \"waypoint\""},
	} {
		if !containsEntry(pass, want[0], want[1]) {
			t.Errorf("missing pass %q: %q", want[0], want[1])
		}
	}
}

// An HTTPRoute backend that is no Service of the output: the waypoint cannot route to it.
func TestWaypointHTTPRouteCheckCanFail(t *testing.T) {
	r := runAmbient(t, ambientGatewayAPIFixture(t, [2]string{"          name: cart-v2\n          port: 80\n          weight: 30", "          name: cart-v3\n          port: 80\n          weight: 30"}))
	if !containsEntry(entries(r, report.Fail), "waypoint shop/waypoint cart.shop.svc.cluster.local:80 HTTPRoute shop/cart", "backend cart-v3.shop.svc.cluster.local is no Service of the output") {
		var got []string
		for _, e := range entries(r, report.Fail) {
			got = append(got, e.Subject+": "+e.Message)
		}
		t.Errorf("want the HTTPRoute check to fail; failures: %v", got)
	}
}
