package equivalence

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/report"
)

// testdata holds the shop and gateways charts of conformance/equivalence/routing-ingress.ts
// rendered with each API (synthesized by the library; no upstream files).
func load(t *testing.T, rendering string, edits ...[2]string) *manifest.Example {
	t.Helper()
	dir := t.TempDir()
	files, _ := filepath.Glob(filepath.Join("testdata", rendering, "*.k8s.yaml"))
	applied := make([]bool, len(edits))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for i, e := range edits {
			if strings.Contains(s, e[0]) {
				s = strings.Replace(s, e[0], e[1], 1)
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
	ex, err := manifest.Load("ingress"+rendering, dir)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func run(t *testing.T, edits ...[2]string) (pass, fail, listed []report.Entry) {
	t.Helper()
	return runPair(t, "", edits...)
}

// runPair compares testdata/<prefix>istio-api with testdata/<prefix>gateway-api (edited).
func runPair(t *testing.T, prefix string, edits ...[2]string) (pass, fail, listed []report.Entry) {
	t.Helper()
	r := report.New()
	if err := Compare("ingress", load(t, prefix+"istio-api"), load(t, prefix+"gateway-api", edits...), r); err != nil {
		t.Fatal(err)
	}
	for _, e := range r.Entries() {
		switch e.Verdict {
		case report.Pass:
			pass = append(pass, e)
		case report.Fail:
			fail = append(fail, e)
		case report.Listed:
			listed = append(listed, e)
		}
	}
	return
}

func TestEquivalentRenderings(t *testing.T) {
	pass, fail, listed := run(t)
	if len(fail) != 0 {
		t.Fatalf("expected no failure, got %v", fail)
	}
	if len(pass) < 20 {
		t.Fatalf("expected the gateway's and sidecars' routes and clusters compared, got %d passes", len(pass))
	}
	var all []string
	for _, e := range listed {
		all = append(all, e.Message)
	}
	joined := strings.Join(all, "\n")
	for _, key := range []string{"https-redirect", "path-prefix", "cluster-identity", "tls-secrets"} {
		if !strings.Contains(joined, Differences[key]) {
			t.Errorf("listed differences lack %s:\n%s", key, joined)
		}
	}
}

func TestDifferentWeightsFail(t *testing.T) {
	_, fail, _ := run(t, [2]string{"weight: 70", "weight: 60"})
	if len(fail) == 0 || !strings.Contains(fail[0].Message, "weight") {
		t.Fatalf("expected a weight difference, got %v", fail)
	}
}

func TestDifferentTimeoutFails(t *testing.T) {
	_, fail, _ := run(t, [2]string{"request: 10s", "request: 11s"})
	if len(fail) == 0 || !strings.Contains(fail[0].Message, "timeout") {
		t.Fatalf("expected a timeout difference, got %v", fail)
	}
}

func TestDifferentClusterPolicyFails(t *testing.T) {
	_, fail, _ := run(t, [2]string{"host: orders-v2.shop.svc.cluster.local\n  trafficPolicy:\n    tls:\n      mode: ISTIO_MUTUAL", "host: orders-v2.shop.svc.cluster.local\n  trafficPolicy:\n    loadBalancer:\n      simple: RANDOM\n    tls:\n      mode: ISTIO_MUTUAL"})
	found := false
	for _, e := range fail {
		if strings.Contains(e.Subject, "cluster outbound|80|v2|orders.shop.svc.cluster.local") && strings.Contains(e.Message, "lb_policy") {
			found = true
		}
	}
	if !found {
		t.Fatalf("expected the v2 cluster's load balancer to differ, got %v", fail)
	}
}

func TestLiteralPrefix(t *testing.T) {
	for re, want := range map[string]string{`beta-.*`: "beta-", `a\.b.*`: "a.b"} {
		if got, ok := literalPrefix(re); !ok || got != want {
			t.Errorf("literalPrefix(%q) = %q, %v; want %q", re, got, ok, want)
		}
	}
	for _, re := range []string{`a+.*`, `team-[0-9]+`, `.*x`} {
		if _, ok := literalPrefix(re); ok {
			t.Errorf("literalPrefix(%q) accepted a regex that is not a literal prefix", re)
		}
	}
}

// Without the ReferenceGrant pilot may not send the gateway's traffic to the backend Services in
// the shop namespace: the gateway's routes then differ from the Istio API rendering's.
func TestMissingReferenceGrantFails(t *testing.T) {
	_, fail, _ := run(t, [2]string{"      kind: HTTPRoute\n      namespace: istio-system", "      kind: HTTPRoute\n      namespace: elsewhere"})
	found := false
	for _, e := range fail {
		if strings.HasPrefix(e.Subject, "gateway istio-system/istio-ingressgateway route 443") {
			found = true
		}
	}
	if !found {
		t.Fatalf("expected the gateway's HTTPS routes to differ without a matching ReferenceGrant, got %v", fail)
	}
}

// testdata/ambient-{istio,gateway}-api: the ambient program below rendered with each API
// (shop.k8s.yaml synthesized by the library; platform.k8s.yaml is ../xds/testdata/ambient's):
//
//	new IstioControlPlane(platform, 'istio', { crds: false, dataPlane: DataPlaneMode.AMBIENT });
//	new MeshNamespace(platform, 'shop', { dataPlaneMode: DataPlaneMode.AMBIENT });
//	const web = new MeshService(shop, 'web', { versions: [{ name: 'v1', image: 'ghcr.io/acme/web:1.0.0' }] });
//	const cart = new MeshService(shop, 'cart', { versions: [v1, v2 of ghcr.io/acme/cart] });
//	new CanaryRelease(shop, 'cart-canary', { service: cart, stable: 'v1', canary: 'v2', canaryPercentage: 30,
//	  pinHeader: HeaderMatch.exact('x-canary', 'always') });
//	cart.addRoute({ name: 'reads', timeout: Duration.seconds(3) });
//	web.dependsOn(cart);
//	cart.allowFrom(web, { methods: [HttpMethod.GET] });
const cartVhost = "waypoint shop/waypoint route 80 cart.shop.svc.cluster.local"

func TestAmbientWaypointEquivalent(t *testing.T) {
	pass, fail, listed := runPair(t, "ambient-")
	if len(fail) != 0 {
		t.Fatalf("expected no failure, got %v", fail)
	}
	want := map[string]bool{
		cartVhost: false,
		"waypoint shop/waypoint cluster inbound-vip|80|http/v2|cart.shop.svc.cluster.local": false,
		"waypoint shop/waypoint cluster inbound-vip|80|http/v1|cart.shop.svc.cluster.local": false,
	}
	for _, e := range pass {
		if _, ok := want[e.Subject]; ok {
			want[e.Subject] = true
		}
	}
	for subject, seen := range want {
		if !seen {
			t.Errorf("expected a passing comparison of %s", subject)
		}
	}
	var all []string
	for _, e := range listed {
		all = append(all, e.Message)
	}
	if joined := strings.Join(all, "\n"); !strings.Contains(joined, Differences["waypoint-version-hosts"]) {
		t.Errorf("listed differences lack waypoint-version-hosts:\n%s", joined)
	}
}

func failsOn(fail []report.Entry, subject, text string) bool {
	for _, e := range fail {
		if strings.HasPrefix(e.Subject, subject) && strings.Contains(e.Message, text) {
			return true
		}
	}
	return false
}

// A different split in the HTTPRoute changes the waypoint's routes.
func TestAmbientWaypointDifferentWeightsFail(t *testing.T) {
	_, fail, _ := runPair(t, "ambient-", [2]string{"weight: 70", "weight: 60"})
	if !failsOn(fail, cartVhost, "weight") {
		t.Fatalf("expected the waypoint's cart routes to differ in weight, got %v", fail)
	}
}

// A version Service left off the waypoint: the waypoint sends its share through an outbound
// cluster (no inbound-vip cluster, the version's DestinationRule not applied as the Istio
// rendering's subset is), and the route tables differ.
func TestAmbientVersionServiceNotAttachedFails(t *testing.T) {
	_, fail, _ := runPair(t, "ambient-", [2]string{"    istio.io/ingress-use-waypoint: \"true\"\n    istio.io/use-waypoint: waypoint\n    version: v2\n  name: cart-v2\n", "    version: v2\n  name: cart-v2\n"})
	if !failsOn(fail, cartVhost, "") {
		t.Fatalf("expected the waypoint's cart routes to differ, got %v", fail)
	}
}

// A version DestinationRule with another policy than the Istio rendering's subset: the
// waypoint's cluster of that version differs.
func TestAmbientVersionClusterPolicyFails(t *testing.T) {
	_, fail, _ := runPair(t, "ambient-", [2]string{"host: cart-v2.shop.svc.cluster.local\n  trafficPolicy:\n", "host: cart-v2.shop.svc.cluster.local\n  trafficPolicy:\n    loadBalancer:\n      simple: RANDOM\n"})
	if !failsOn(fail, "waypoint shop/waypoint cluster inbound-vip|80|http/v2|cart.shop.svc.cluster.local", "lb_policy") {
		t.Fatalf("expected the waypoint's v2 cluster to differ in lb_policy, got %v", fail)
	}
}
