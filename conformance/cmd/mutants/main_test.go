package main

import (
	"reflect"
	"testing"
)

func TestPartners(t *testing.T) {
	for in, want := range map[string]string{"flask-shop.istio-api": "flask-shop.gateway-api", "flask-shop-ambient.gateway-api": "flask-shop-ambient.istio-api", "flask-shop": ""} {
		if got := partnerName(in); got != want {
			t.Errorf("partnerName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewFailuresAndKillingStages(t *testing.T) {
	base := &outcome{Failures: []string{"shop [analysis] Gateway x: known"}}
	got := &outcome{Failures: []string{
		"shop [analysis] Gateway x: known",
		"shop [xds] sidecar shop/a: route differs",
		"shop [behaviour] GET /api without a token: allowed, want 401",
		"shop [validation] VirtualService shop/a: invalid",
		"shop [zz-later] x: y",
	}}
	fresh := newFailures(base, got)
	if len(fresh) != 4 {
		t.Fatalf("new failures %v", fresh)
	}
	if st := killingStages(fresh); !reflect.DeepEqual(st, []string{"validation", "xds", "behaviour", "zz-later"}) {
		t.Errorf("stages %v: the run order, then unknown stages by name", st)
	}
}

func TestFingerprintDifferences(t *testing.T) {
	a := &fingerprint{Proxies: map[string]string{"sidecar shop/a": "1", "sidecar shop/b": "2", "gateway x": "3"}, Ztunnel: "z"}
	b := &fingerprint{Proxies: map[string]string{"sidecar shop/a": "1", "sidecar shop/b": "9", "waypoint shop/w": "4"}, Ztunnel: "y"}
	want := []string{"gateway x (gone)", "sidecar shop/b", "waypoint shop/w (new)", "ztunnel (workloads, services, policies)"}
	if got := a.differences(b); !reflect.DeepEqual(got, want) {
		t.Errorf("differences %v, want %v", got, want)
	}
	if len(a.differences(a)) != 0 {
		t.Error("a fingerprint differs from itself")
	}
}

func TestScores(t *testing.T) {
	var tl tally
	for _, c := range []string{Killed, Killed, Killed, KilledValidation, Survived, Equivalent, Error} {
		tl.add(c)
	}
	// 6 non-equivalent, 4 killed (validation included); 5 schema-valid non-equivalent, 3 killed
	if s := tl.Score(); s != 4.0/6 {
		t.Errorf("score %v", s)
	}
	if s := tl.SemanticScore(); s != 3.0/5 {
		t.Errorf("semantic score %v", s)
	}
}
