package analysis

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/report"
)

// example loads testdata/base plus the given broken fixture folders as one output.
func example(t *testing.T, dirs ...string) *manifest.Example {
	t.Helper()
	ex := &manifest.Example{Name: strings.Join(append([]string{"base"}, dirs...), "+")}
	for _, d := range append([]string{"base"}, dirs...) {
		files, _ := filepath.Glob(filepath.Join("testdata", d, "*.k8s.yaml"))
		for _, f := range files {
			objs, err := manifest.LoadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			ex.Files = append(ex.Files, f)
			ex.Objects = append(ex.Objects, objs...)
		}
	}
	return ex
}

func failures(r *report.Report) []report.Entry {
	var out []report.Entry
	for _, e := range r.Entries() {
		if e.Verdict == report.Fail {
			out = append(out, e)
		}
	}
	return out
}

// hasFailure: a failure on subject whose message contains every part.
func hasFailure(r *report.Report, subject string, parts ...string) bool {
	for _, e := range failures(r) {
		if e.Subject != subject {
			continue
		}
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(e.Message, p)
		}
		if ok {
			return true
		}
	}
	return false
}

func run(t *testing.T, ex *manifest.Example) *report.Report {
	t.Helper()
	r := report.New()
	if err := Run(ex, r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHealthyBaseHasNoMessages(t *testing.T) {
	r := run(t, example(t))
	if f := failures(r); len(f) != 0 {
		t.Fatalf("base fixture: want no failures, got %+v", f)
	}
	if p, _ := r.Totals(); p == 0 {
		t.Fatal("base fixture: want a passed assertion")
	}
}

func TestRouteToMissingHost(t *testing.T) {
	// virtualservice.DestinationHostAnalyzer
	r := run(t, example(t, "vs-missing-host"))
	if !hasFailure(r, "VirtualService shop/order", "IST0101", "ghost.shop.svc.cluster.local") {
		t.Fatalf("want IST0101 ReferencedResourceNotFound for the route's host, got %+v", failures(r))
	}
}

func TestSubsetMatchingNoPod(t *testing.T) {
	// destinationrule.SubsetSelectPodAnalyzer, on the Pods derived from the Deployments
	r := run(t, example(t, "dr-subset-no-pod"))
	if !hasFailure(r, "DestinationRule shop/order", "IST0173", "v2") {
		t.Fatalf("want IST0173 DestinationRuleSubsetNotSelectPods for subset v2, got %+v", failures(r))
	}
	if hasFailure(r, "DestinationRule shop/order", "IST0173", "subset v1") || hasFailure(r, "DestinationRule shop/order", "IST0173", "\"v1\"") {
		t.Fatalf("subset v1 selects order-v1's pod and must not be reported: %+v", failures(r))
	}
}

func TestPrincipalAndNamespaceThatDoNotExist(t *testing.T) {
	r := run(t, example(t, "authz-missing"))
	// authz.AuthorizationPoliciesAnalyzer catches the namespace...
	if !hasFailure(r, "AuthorizationPolicy shop/order-allow", "IST0101", "ghost-namespace") {
		t.Fatalf("want IST0101 for namespace ghost-namespace, got %+v", failures(r))
	}
	// ...but no Istio analyzer looks at principals: the suite's own check catches it
	if !hasFailure(r, "AuthorizationPolicy shop/order-allow", "cluster.local/ns/shop/sa/ghost", "no ServiceAccount shop/ghost") {
		t.Fatalf("want the principal check to report sa/ghost, got %+v", failures(r))
	}
	if hasFailure(r, "AuthorizationPolicy shop/order-allow", "sa/user\"") {
		t.Fatalf("principal sa/user exists and must not fail: %+v", failures(r))
	}
}

func TestAnalyzeSuppressAnnotationIsNotHonoured(t *testing.T) {
	ex := example(t, "vs-missing-host")
	for _, o := range ex.Objects {
		if o.GetKind() == "VirtualService" {
			o.SetAnnotations(map[string]string{"galley.istio.io/analyze-suppress": "IST0101"})
		}
	}
	r := run(t, ex)
	if !hasFailure(r, "VirtualService shop/order", "IST0101") || !hasFailure(r, "VirtualService shop/order", "analyze-suppress") {
		t.Fatalf("a suppress annotation must neither hide IST0101 nor pass unnoticed: %+v", failures(r))
	}
}

func TestPrincipalOfAnotherTrustDomain(t *testing.T) {
	r := report.New()
	ex := example(t)
	objs, err := manifest.Parse("td.k8s.yaml", []byte(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: td, namespace: shop}
spec:
  selector: {matchLabels: {app: order}}
  rules:
    - from:
        - source:
            principals: [other.example/ns/shop/sa/user, cluster.local/ns/shop/sa/user]
`))
	if err != nil {
		t.Fatal(err)
	}
	ex.Objects = append(ex.Objects, objs...)
	CheckPrincipals(ex, r, "corp.example")
	if !hasFailure(r, "AuthorizationPolicy shop/td", `"other.example/ns/shop/sa/user"`, "trust domain") {
		t.Fatalf("want a trust-domain failure, got %+v", failures(r))
	}
	if len(failures(r)) != 1 {
		t.Fatalf("cluster.local stands for the local trust domain and must pass: %+v", failures(r))
	}
}
