package behaviour

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/equivalence"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/xds"
)

// testdata/shop-{sidecar,ambient,ambient-gateway-api} are the flask-shop flavours as
// `npm run conformance` synthesizes them (examples/flask-shop; SHOP_DATAPLANE=ambient, and
// SHOP_ROUTING=gateway-api), with their mesh-intent.jsonc; left out: the CRDs, webhook
// configurations, RBAC, the injector and dashboard ConfigMaps, the ztunnel and istio-cni
// DaemonSets, the Argo CD objects and the addons other than Prometheus, none of which a request
// passes. Each test below edits the manifests by hand, keeping them schema-valid and
// self-consistent, so that they no longer do what the intent says: the stage must fail.

func evaluate(t *testing.T, dir string, edit func(ex *manifest.Example)) Result {
	t.Helper()
	ex, err := manifest.Load(filepath.Base(dir), dir)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(ex)
		for i := range ex.Objects {
			raw, err := yaml.Marshal(ex.Objects[i].Object)
			if err != nil {
				t.Fatal(err)
			}
			ex.Objects[i].Raw = raw
		}
	}
	in, err := LoadIntent(dir)
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := equivalence.TLSSecrets(ex)
	if err != nil {
		t.Fatal(err)
	}
	env, err := xds.Load(equivalence.WithObjects(ex, secrets))
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	return Evaluate(env, in)
}

func failures(r Result) []Assertion {
	var out []Assertion
	for _, a := range r.Assertions {
		if !a.OK {
			out = append(out, a)
		}
	}
	return out
}

func object(t *testing.T, ex *manifest.Example, kind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	for i := range ex.Objects {
		o := ex.Objects[i]
		if o.GetKind() == kind && o.GetNamespace() == ns && o.GetName() == name {
			return o.Unstructured
		}
	}
	t.Fatalf("no %s %s/%s in the testdata", kind, ns, name)
	return nil
}

func remove(t *testing.T, ex *manifest.Example, kind, ns, name string) {
	t.Helper()
	for i, o := range ex.Objects {
		if o.GetKind() == kind && o.GetNamespace() == ns && o.GetName() == name {
			ex.Objects = append(ex.Objects[:i], ex.Objects[i+1:]...)
			return
		}
	}
	t.Fatalf("no %s %s/%s in the testdata", kind, ns, name)
}

// field returns the map at a path of maps and list indexes ("spec", "http", 0, ...).
func field(t *testing.T, o *unstructured.Unstructured, path ...any) map[string]any {
	t.Helper()
	var cur any = o.Object
	for _, p := range path {
		switch k := p.(type) {
		case string:
			cur = cur.(map[string]any)[k]
		case int:
			cur = cur.([]any)[k]
		}
	}
	m, ok := cur.(map[string]any)
	if !ok {
		t.Fatalf("%s %s: %v is not an object", o.GetKind(), o.GetName(), path)
	}
	return m
}

func TestTheShopBehavesAsDeclared(t *testing.T) {
	for _, dir := range []string{"shop-sidecar", "shop-ambient", "shop-ambient-gateway-api"} {
		t.Run(dir, func(t *testing.T) {
			r := evaluate(t, filepath.Join("testdata", dir), nil)
			if f := failures(r); len(f) > 0 || r.Counts["requests"] < 150 {
				t.Fatalf("%d requests; failing cases: %v", r.Counts["requests"], f)
			}
			for _, kind := range []string{"k:authz", "k:jwt", "k:mtls", "k:routing", "k:gateway", "k:egress"} {
				if r.Counts[kind] == 0 {
					t.Errorf("no %s request", kind)
				}
			}
		})
	}
}

// Each edit, and the case it must fail (a substring of the failing assertion's subject).
var tampers = []struct {
	dir, name, fails string
	edit             func(t *testing.T, ex *manifest.Example)
}{
	{"shop-ambient", "require-jwt names the workload port, which the waypoint never sees", "→ order-service:80", func(t *testing.T, ex *manifest.Example) {
		op := field(t, object(t, ex, "AuthorizationPolicy", "shop", "order-service-require-jwt"), "spec", "rules", 0, "to", 0, "operation")
		op["ports"] = []any{"5000"}
	}},
	{"shop-ambient", "user-service is no longer attached to the waypoint", "→ user-service:80", func(t *testing.T, ex *manifest.Example) {
		o := object(t, ex, "Service", "shop", "user-service")
		labels := o.GetLabels()
		delete(labels, "istio.io/use-waypoint")
		delete(labels, "istio.io/ingress-use-waypoint")
		o.SetLabels(labels)
	}},
	{"shop-ambient", "ingress no longer goes through order-service's waypoint", "client → gateway", func(t *testing.T, ex *manifest.Example) {
		o := object(t, ex, "Service", "shop", "order-service")
		labels := o.GetLabels()
		delete(labels, "istio.io/ingress-use-waypoint")
		o.SetLabels(labels)
	}},
	{"shop-ambient", "Prometheus is no longer admitted on the metrics port", "[metrics]", func(t *testing.T, ex *manifest.Example) {
		remove(t, ex, "AuthorizationPolicy", "shop", "user-service-metrics-scrape")
	}},
	{"shop-ambient", "the waypoint-only guard is gone (with the scrape policy, the pods' last ALLOW policy)", "xds-probe → user-service", func(t *testing.T, ex *manifest.Example) {
		remove(t, ex, "AuthorizationPolicy", "shop", "user-service-waypoint-only")
		remove(t, ex, "AuthorizationPolicy", "shop", "user-service-metrics-scrape")
	}},
	{"shop-ambient", "the waypoint-only guard is gone (the scrape policy now denies the waypoint)", "→ user-service:80", func(t *testing.T, ex *manifest.Example) {
		remove(t, ex, "AuthorizationPolicy", "shop", "user-service-waypoint-only")
	}},
	{"shop-ambient", "user-service's reads timeout is 30s instead of 3s", "→ user-service:80", func(t *testing.T, ex *manifest.Example) {
		field(t, object(t, ex, "VirtualService", "shop", "user-service"), "spec", "http", 0)["timeout"] = "30s"
	}},
	{"shop-sidecar", "user-service admits POST instead of GET", "order-service (sidecar) → user-service", func(t *testing.T, ex *manifest.Example) {
		field(t, object(t, ex, "AuthorizationPolicy", "shop", "user-service-allow"), "spec", "rules", 0, "to", 0, "operation")["methods"] = []any{"POST"}
	}},
	{"shop-sidecar", "user-service admits every path", "order-service (sidecar) → user-service", func(t *testing.T, ex *manifest.Example) {
		field(t, object(t, ex, "AuthorizationPolicy", "shop", "user-service-allow"), "spec", "rules", 0, "to", 0, "operation")["paths"] = []any{"/*"}
	}},
	{"shop-sidecar", "another issuer validated and required, consistently", "→ order-service:80", func(t *testing.T, ex *manifest.Example) {
		field(t, object(t, ex, "RequestAuthentication", "shop", "order-service-jwt"), "spec", "jwtRules", 0)["issuer"] = "https://auth.other.example"
		field(t, object(t, ex, "AuthorizationPolicy", "shop", "order-service-require-jwt"), "spec", "rules", 0, "from", 0, "source")["notRequestPrincipals"] = []any{"https://auth.other.example/*"}
	}},
	{"shop-sidecar", "the namespace accepts plaintext (PERMISSIVE)", "a pod outside the mesh", func(t *testing.T, ex *manifest.Example) {
		field(t, object(t, ex, "PeerAuthentication", "shop", "default"), "spec", "mtls")["mode"] = "PERMISSIVE"
	}},
	{"shop-sidecar", "testers are pinned on another header value at the gateway", "client → gateway", func(t *testing.T, ex *manifest.Example) {
		vs := object(t, ex, "VirtualService", "istio-system", "istio-ingressgateway-shop-example-com")
		field(t, vs, "spec", "http", 0, "match", 0, "headers")["x-canary"] = map[string]any{"exact": "yes"}
	}},
	{"shop-sidecar", "user-service's Service forwards to another container port", "→ user-service:80", func(t *testing.T, ex *manifest.Example) {
		field(t, object(t, ex, "Service", "shop", "user-service"), "spec", "ports", 0)["targetPort"] = int64(5001)
	}},
	{"shop-sidecar", "order-service no longer declares user-service in its Sidecar", "order-service (sidecar) → user-service", func(t *testing.T, ex *manifest.Example) {
		eg := field(t, object(t, ex, "Sidecar", "shop", "order-service"), "spec", "egress", 0)
		var keep []any
		for _, h := range eg["hosts"].([]any) {
			if !strings.Contains(h.(string), "user-service") {
				keep = append(keep, h)
			}
		}
		eg["hosts"] = keep
	}},
	{"shop-sidecar", "user-service's circuit breaker ejects after 50 errors, not 5", "→ user-service:80", func(t *testing.T, ex *manifest.Example) {
		field(t, object(t, ex, "DestinationRule", "shop", "user-service"), "spec", "trafficPolicy", "outlierDetection")["consecutive5xxErrors"] = int64(50)
	}},
	{"shop-sidecar", "the gateway serves another host", "host shop.example.com", func(t *testing.T, ex *manifest.Example) {
		for _, s := range object(t, ex, "Gateway", "istio-system", "istio-ingressgateway").Object["spec"].(map[string]any)["servers"].([]any) {
			s.(map[string]any)["hosts"] = []any{"shop.example.org"}
		}
		field(t, object(t, ex, "VirtualService", "istio-system", "istio-ingressgateway-shop-example-com"), "spec")["hosts"] = []any{"shop.example.org"}
	}},
	{"shop-ambient-gateway-api", "order-service's canary gets 50% instead of 10%", "→ order-service:80", func(t *testing.T, ex *manifest.Example) {
		refs := field(t, object(t, ex, "HTTPRoute", "shop", "order-service"), "spec")["rules"].([]any)
		last := refs[len(refs)-1].(map[string]any)["backendRefs"].([]any)
		last[0].(map[string]any)["weight"] = int64(50)
		last[1].(map[string]any)["weight"] = int64(50)
	}},
}

func TestHandEditedManifestsFail(t *testing.T) {
	for _, c := range tampers {
		t.Run(fmt.Sprintf("%s: %s", c.dir, c.name), func(t *testing.T) {
			r := evaluate(t, filepath.Join("testdata", c.dir), func(ex *manifest.Example) { c.edit(t, ex) })
			f := failures(r)
			for _, a := range f {
				if strings.Contains(a.Subject, c.fails) {
					return
				}
			}
			t.Fatalf("no failing case about %q; failing: %v", c.fails, f)
		})
	}
}

func TestNoIntentNoVerdict(t *testing.T) {
	if _, err := LoadIntent(t.TempDir()); err == nil || !strings.Contains(err.Error(), IntentFile) {
		t.Fatalf("a folder without %s: %v", IntentFile, err)
	}
	if _, err := ParseIntent([]byte(`{"kind":"MeshIntent","version":2}`)); err == nil {
		t.Fatal("an intent of another version was read")
	}
}
