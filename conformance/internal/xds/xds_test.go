package xds

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/report"
)

// fixture copies testdata/shop to a temp dir, applying "old => new" edits (each must apply).
func fixture(t *testing.T, edits ...[2]string) *manifest.Example {
	t.Helper()
	dir := t.TempDir()
	files, _ := filepath.Glob("testdata/shop/*.k8s.yaml")
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
	ex, err := manifest.Load("shop", dir)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func entries(r *report.Report, v report.Verdict) []report.Entry {
	var out []report.Entry
	for _, e := range r.Entries() {
		if e.Verdict == v {
			out = append(out, e)
		}
	}
	return out
}

func requireEntry(t *testing.T, r *report.Report, v report.Verdict, subject, msg string) {
	t.Helper()
	for _, e := range entries(r, v) {
		if strings.Contains(e.Subject, subject) && strings.Contains(e.Message, msg) {
			return
		}
	}
	var sb strings.Builder
	r.Print(&sb, true)
	t.Fatalf("no entry (verdict %d) with subject ~ %q and message ~ %q:\n%s", v, subject, msg, sb.String())
}

func TestDeclaredIntentsReachEnvoy(t *testing.T) {
	r := report.New()
	if err := Run(fixture(t), r); err != nil {
		t.Fatal(err)
	}
	if f := entries(r, report.Fail); len(f) > 0 {
		var sb strings.Builder
		r.Print(&sb, false)
		t.Fatalf("failures on the good fixture:\n%s", sb.String())
	}
	for _, want := range [][2]string{
		{"sidecar shop/web-v1 VirtualService shop/api api.shop.svc.cluster.local:80", "2 routes"},
		{"probe shop/xds-probe VirtualService shop/api", "2 routes"},
		{"endpoints outbound|80|v1|api.shop.svc.cluster.local", "EDS has 2 endpoints"},
		{"endpoints outbound|80|v2|api.shop.svc.cluster.local", "EDS has 1 endpoints"},
		{"DestinationRule shop/api cluster outbound|80|v1|api.shop.svc.cluster.local", "as declared"},
		{"sidecar shop/api-v1 AuthorizationPolicy shop/api-allow", "ALLOW RBAC filter"},
		{"sidecar shop/api-v2 PeerAuthentication shop/default port 8080", "STRICT: 1 inbound chains require a client certificate, 0 accept plaintext"},
	} {
		requireEntry(t, r, report.Pass, want[0], want[1])
	}
	requireEntry(t, r, report.Pass, "gateway istio-system/ingress Gateway istio-system/ingress server HTTP:80", "listener 0.0.0.0_8080")
	requireEntry(t, r, report.Pass, "gateway istio-system/ingress Gateway istio-system/ingress server HTTPS:443", "listener 0.0.0.0_8443")
	requireEntry(t, r, report.Pass, "server HTTPS:443 VirtualService istio-system/web-ingress web.example.com", "1 routes")
	requireEntry(t, r, report.Pass, "sidecar shop/web-v1", "Sidecar shop/web egress: clusters for exactly the 3 hosts declared")
	requireEntry(t, r, report.Pass, "sidecar shop/api-v1", "Sidecar shop/api egress: clusters for exactly the 2 hosts declared")
	requireEntry(t, r, report.Pass, "probe shop/xds-probe", "no Sidecar applies: sees every exported host")
	requireEntry(t, r, report.Pass, "sidecar shop/web-v1 → api.shop.svc.cluster.local", "true")
	requireEntry(t, r, report.Pass, "gateway istio-system/ingress", "Envoy resources pass proto validation")
	requireEntry(t, r, report.Pass, "sidecar shop/api-v1 Telemetry istio-system/mesh-default accessLogging", "access log [{path:/dev/stdout format:JSON filter:response.code >= 400}]")
	requireEntry(t, r, report.Pass, "sidecar shop/api-v1 Telemetry istio-system/mesh-default tracing", "envoy.tracers.opentelemetry tracer with the declared sampling")
}

// Broken outputs: each declared intent pilot cannot honour is a failure.
func TestBrokenOutputsFail(t *testing.T) {
	cases := []struct {
		name    string
		edits   [][2]string
		subject string
		msg     string
	}{
		{
			"VirtualService weight to a subset the DestinationRule lacks",
			[][2]string{{"    - name: v2\n      labels:\n        version: v2\n", ""}},
			"VirtualService shop/api", "routes to cluster outbound|80|v2|api.shop.svc.cluster.local, which pilot did not generate",
		},
		{
			"VirtualService route to a missing host",
			[][2]string{{"            host: web.shop.svc.cluster.local\n            subset: v1", "            host: nosuch.shop.svc.cluster.local"}},
			"VirtualService istio-system/web-ingress", "routes to cluster outbound|80||nosuch.shop.svc.cluster.local, which pilot did not generate",
		},
		{
			"DestinationRule subset that matches no pod",
			[][2]string{{"    - name: v2\n      labels:\n        version: v2\n", "    - name: v2\n      labels:\n        version: v3\n"}},
			"endpoints outbound|80|v2|api.shop.svc.cluster.local", "no pod matches",
		},
		{
			"Sidecar that excludes a declared dependency",
			[][2]string{{"        - shop/api.shop.svc.cluster.local\n", ""}},
			"sidecar shop/web-v1 → api.shop.svc.cluster.local", "caller's Envoy has a cluster for it: false",
		},
		{
			"mesh config accessLogFile that a Telemetry provider overrides",
			[][2]string{{"accessLogFile: /dev/stdout", "accessLogFile: /var/log/mesh.log"}},
			"sidecar shop/web-v1 Telemetry istio-system/mesh-default accessLogging", `mesh config accessLogFile "/var/log/mesh.log" has no effect: provider "envoy" writes to "/dev/stdout"`,
		},
		{
			"tracing provider whose collector Service is not emitted",
			[][2]string{{"  name: collector\n", "  name: collector-renamed\n"}},
			"sidecar shop/web-v1 Telemetry istio-system/mesh-default tracing", `tracer "", declared "envoy.tracers.opentelemetry" (otel)`,
		},
		{
			"principal that does not exist",
			[][2]string{{"cluster.local/ns/shop/sa/web\n", "cluster.local/ns/shop/sa/webb\n"}},
			"principal cluster.local/ns/shop/sa/webb", "names ServiceAccount shop/webb (emitted: false)",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := report.New()
			if err := Run(fixture(t, tc.edits...), r); err != nil {
				t.Fatal(err)
			}
			requireEntry(t, r, report.Fail, tc.subject, tc.msg)
		})
	}
}

// Each Envoy-side assertion fails when pilot's output lacks what was declared:
// generate from the good fixture, take the intent out of the Envoy config, assert.
func TestEachAssertionCanFail(t *testing.T) {
	env, err := Load(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	proxy := func(c *checker, name string) (*Proxy, *Config) {
		for _, p := range c.proxies {
			if p.Name == name {
				return p, c.configs[p]
			}
		}
		t.Fatalf("no proxy %s", name)
		return nil, nil
	}
	apiRoutes := func(cfg *Config) *route.VirtualHost {
		vh := findVirtualHost(cfg.Route("80"), "api.shop.svc.cluster.local")
		if vh == nil || len(vh.Routes) < 2 {
			t.Fatal("no api virtual host")
		}
		return vh
	}
	editHCM := func(cfg *Config, port uint32, fn func(*hcm.HttpConnectionManager)) {
		for _, fc := range cfg.Listener("virtualInbound").FilterChains {
			if fc.GetFilterChainMatch().GetDestinationPort().GetValue() != port {
				continue
			}
			for _, f := range fc.Filters {
				h := &hcm.HttpConnectionManager{}
				if f.GetTypedConfig().UnmarshalTo(h) != nil {
					continue
				}
				fn(h)
				a, _ := anypb.New(h)
				f.ConfigType = &listener.Filter_TypedConfig{TypedConfig: a}
			}
		}
	}
	cases := []struct {
		name    string
		tamper  func(c *checker)
		subject string
		msg     string
	}{
		{"weighted clusters", func(c *checker) {
			_, cfg := proxy(c, "sidecar shop/web-v1")
			apiRoutes(cfg).Routes[1].GetRoute().GetWeightedClusters().Clusters[0].Weight = wrapperspb.UInt32(50)
		}, "sidecar shop/web-v1 VirtualService shop/api", "weighted cluster 0 is outbound|80|v1|api.shop.svc.cluster.local=50, declared outbound|80|v1|api.shop.svc.cluster.local=90"},
		{"header-pinned route", func(c *checker) {
			_, cfg := proxy(c, "sidecar shop/web-v1")
			apiRoutes(cfg).Routes[0].Match.Headers = nil
		}, "sidecar shop/web-v1 VirtualService shop/api", `header match "x-canary" missing`},
		{"retries", func(c *checker) {
			_, cfg := proxy(c, "sidecar shop/web-v1")
			apiRoutes(cfg).Routes[1].GetRoute().RetryPolicy.NumRetries = wrapperspb.UInt32(1)
		}, "sidecar shop/web-v1 VirtualService shop/api", "retries 1, declared 3"},
		{"timeout", func(c *checker) {
			_, cfg := proxy(c, "sidecar shop/web-v1")
			apiRoutes(cfg).Routes[1].GetRoute().Timeout = durationpb.New(0)
		}, "sidecar shop/web-v1 VirtualService shop/api", "timeout 0s, declared 10s"},
		{"fault filter", func(c *checker) {
			_, cfg := proxy(c, "sidecar shop/web-v1")
			delete(apiRoutes(cfg).Routes[1].TypedPerFilterConfig, "envoy.filters.http.fault")
		}, "sidecar shop/web-v1 VirtualService shop/api", "no envoy.filters.http.fault config on the route"},
		{"outlier detection", func(c *checker) {
			_, cfg := proxy(c, "sidecar shop/web-v1")
			cfg.Cluster("outbound|80|v1|api.shop.svc.cluster.local").OutlierDetection.Consecutive_5Xx = wrapperspb.UInt32(1)
		}, "sidecar shop/web-v1 DestinationRule shop/api cluster outbound|80|v1|api.shop.svc.cluster.local", "consecutive_5xx 1, declared 5"},
		{"connection pool", func(c *checker) {
			_, cfg := proxy(c, "sidecar shop/web-v1")
			cfg.Cluster("outbound|80|v2|api.shop.svc.cluster.local").CircuitBreakers.Thresholds[0].MaxConnections = wrapperspb.UInt32(7)
		}, "DestinationRule shop/api cluster outbound|80|v2|api.shop.svc.cluster.local", "max_connections 7, declared 100"},
		{"RBAC principals", func(c *checker) {
			_, cfg := proxy(c, "sidecar shop/api-v1")
			editHCM(cfg, 8080, func(h *hcm.HttpConnectionManager) {
				var keep []*hcm.HttpFilter
				for _, f := range h.HttpFilters {
					if f.Name != "envoy.filters.http.rbac" {
						keep = append(keep, f)
					}
				}
				h.HttpFilters = keep
			})
		}, "sidecar shop/api-v1 AuthorizationPolicy shop/api-allow", "no ALLOW RBAC policy ns[shop]-policy[api-allow]-rule[0]"},
		{"STRICT mTLS", func(c *checker) {
			_, cfg := proxy(c, "sidecar shop/api-v2")
			for _, fc := range cfg.Listener("virtualInbound").FilterChains {
				fc.TransportSocket = nil
			}
		}, "sidecar shop/api-v2 PeerAuthentication shop/default port 8080", "STRICT: 0 inbound chains require a client certificate, 1 accept plaintext"},
		{"access log", func(c *checker) {
			_, cfg := proxy(c, "sidecar shop/api-v1")
			editHCM(cfg, 8080, func(h *hcm.HttpConnectionManager) { h.AccessLog = nil })
		}, "sidecar shop/api-v1 Telemetry istio-system/mesh-default accessLogging", "lack the declared access log"},
		{"tracing", func(c *checker) {
			_, cfg := proxy(c, "sidecar shop/api-v1")
			editHCM(cfg, 8080, func(h *hcm.HttpConnectionManager) { h.Tracing.RandomSampling.Value = 100 })
		}, "sidecar shop/api-v1 Telemetry istio-system/mesh-default tracing", "sampling 100%, declared 10%"},
		{"gateway listener", func(c *checker) {
			_, cfg := proxy(c, "gateway istio-system/ingress")
			cfg.Listener("0.0.0.0_8080").Name = "0.0.0.0_9999"
		}, "gateway istio-system/ingress Gateway istio-system/ingress server HTTP:80", "no listener 0.0.0.0_8080"},
		{"gateway TLS", func(c *checker) {
			_, cfg := proxy(c, "gateway istio-system/ingress")
			for _, fc := range cfg.Listener("0.0.0.0_8443").FilterChains {
				fc.TransportSocket = nil
			}
		}, "server HTTPS:443", "terminates no TLS, declared SIMPLE"},
		{"Sidecar scoping: a cluster outside the egress", func(c *checker) {
			_, cfg := proxy(c, "sidecar shop/api-v1")
			cfg.Clusters = append(cfg.Clusters, &cluster.Cluster{Name: "outbound|80||web.shop.svc.cluster.local"})
		}, "sidecar shop/api-v1", "Envoy has clusters outside the declared egress: outbound|80||web.shop.svc.cluster.local"},
		{"Sidecar scoping: a declared host without cluster", func(c *checker) {
			_, cfg := proxy(c, "sidecar shop/web-v1")
			var keep []*cluster.Cluster
			for _, cl := range cfg.Clusters {
				if !strings.HasSuffix(cl.Name, "|api.shop.svc.cluster.local") {
					keep = append(keep, cl)
				}
			}
			cfg.Clusters = keep
		}, "sidecar shop/web-v1", "declared hosts without an Envoy cluster: api.shop.svc.cluster.local"},
		{"proto validation", func(c *checker) {
			_, cfg := proxy(c, "sidecar shop/web-v1")
			cfg.Route("80").VirtualHosts[0].Domains = nil
		}, "sidecar shop/web-v1", "proto validation: route 80: envoy.config.route.v3.RouteConfiguration"},
		{"proto validation inside a typed config", func(c *checker) {
			_, cfg := proxy(c, "sidecar shop/api-v1")
			editHCM(cfg, 8080, func(h *hcm.HttpConnectionManager) { h.StatPrefix = "" })
		}, "sidecar shop/api-v1", "HttpConnectionManager"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := report.New()
			c := newChecker(env, r)
			c.generate()
			tc.tamper(c)
			c.assert()
			requireEntry(t, r, report.Fail, tc.subject, tc.msg)
		})
	}
}
