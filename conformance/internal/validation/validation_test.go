package validation

import (
	"strings"
	"testing"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/report"
)

func TestInvalidValuesAreRejected(t *testing.T) {
	objs, err := manifest.LoadFile("testdata/invalid.k8s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"VirtualService shop/negative-retries":   "attempts",
		"DestinationRule shop/bad-outlier":       "percentage 150 is not in range",
		"PeerAuthentication shop/misspelt-field": "portLevelMtl",
		"VirtualService shop/bad-timeout":        "duration",
	}
	r := report.New()
	if err := Run(&manifest.Example{Name: "invalid", Objects: objs}, r); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range r.Entries() {
		if e.Verdict == report.Fail {
			got[e.Subject] = e.Message
		}
	}
	for subject, part := range want {
		msg, ok := got[subject]
		if !ok {
			t.Errorf("%s: want a validation failure, got none", subject)
			continue
		}
		if !strings.Contains(strings.ToLower(msg), strings.ToLower(part)) {
			t.Errorf("%s: failure %q does not mention %q", subject, msg, part)
		}
	}
	if _, f := r.Totals(); f != len(want) {
		t.Errorf("want %d failures, got %d: %v", len(want), f, got)
	}
}

func TestValidObjectPasses(t *testing.T) {
	objs, err := manifest.LoadFile("testdata/valid.k8s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := report.New()
	if err := Run(&manifest.Example{Name: "valid", Objects: objs}, r); err != nil {
		t.Fatal(err)
	}
	if p, f := r.Totals(); p != 1 || f != 0 {
		t.Fatalf("want 1 passed, 0 failed; got %d, %d: %+v", p, f, r.Entries())
	}
}

func TestGatewayAPIStrictDecode(t *testing.T) {
	parse := func(doc string) manifest.Object {
		objs, err := manifest.Parse("t", []byte(doc))
		if err != nil || len(objs) != 1 {
			t.Fatalf("parse: %v", err)
		}
		return objs[0]
	}
	good := "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: shop}\nspec:\n  parentRefs: [{group: '', kind: Service, name: r, port: 80}]\n  rules: [{backendRefs: [{name: r-v1, port: 80, weight: 90}]}]\n"
	if err := ValidateGatewayAPI(parse(good)); err != nil {
		t.Fatalf("valid HTTPRoute rejected: %v", err)
	}
	bad := strings.Replace(good, "weight: 90", "wieght: 90", 1)
	if err := ValidateGatewayAPI(parse(bad)); err == nil || !strings.Contains(err.Error(), "wieght") {
		t.Fatalf("misspelt field accepted: %v", err)
	}
}
