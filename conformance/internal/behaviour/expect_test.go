package behaviour

import (
	"encoding/json"
	"testing"
)

// The intent's side of the oracle: Istio's documented semantics evaluated on hand-written
// intent documents.

const shopIntent = `{
  "kind": "MeshIntent", "version": 1,
  "mesh": {"trustDomain": "cluster.local", "rootNamespace": "istio-system", "outboundTrafficPolicy": "REGISTRY_ONLY"},
  "services": [{
    "name": "orders", "namespace": "shop", "host": "orders.shop.svc.cluster.local", "serviceAccount": "orders",
    "selector": {"app": "orders"}, "stableVersion": "v1",
    "ports": [{"name": "http", "port": 80, "targetPort": 5000, "protocol": "http"}, {"name": "tcp-db", "port": 5432, "targetPort": 5432, "protocol": "tcp"}],
    "versions": [{"name": "v1", "podLabels": {"app": "orders", "version": "v1"}}, {"name": "v2", "podLabels": {"app": "orders", "version": "v2"}}],
    "routes": [
      {"name": "beta", "matches": [{"headers": [{"name": "x-beta", "match": {"kind": "exact", "value": "1"}}], "queryParams": [], "ignoreUriCase": false}],
       "destinations": [{"version": "v2"}]},
      {"name": "api", "matches": [{"path": {"kind": "prefix", "value": "/api"}, "headers": [], "queryParams": [], "ignoreUriCase": false}], "timeoutMs": 3000}
    ],
    "releases": [{"kind": "canary", "stable": "v1", "canary": "v2", "canaryWeight": 10,
      "pinned": [{"headers": [{"name": "x-canary", "match": {"kind": "exact", "value": "always"}}], "queryParams": [], "ignoreUriCase": false}]}]
  }],
  "peerAuthentications": [
    {"scope": "namespace", "namespace": "shop", "mode": "STRICT", "portLevel": []},
    {"scope": "workload", "namespace": "shop", "selector": {"app": "orders"}, "mode": "STRICT", "portLevel": [{"port": 5432, "mode": "PERMISSIVE"}]}
  ],
  "authorizationPolicies": [
    {"name": "orders-allow", "namespace": "shop", "selector": {"app": "orders"}, "action": "ALLOW", "rules": [
      {"from": [{"identities": [{"namespace": "shop", "serviceAccount": "web"}]}], "operation": {"methods": ["GET"], "paths": ["/api/*"]}},
      {"from": [{"namespaces": ["ops"]}], "operation": {"ports": ["5432"]}}
    ]},
    {"name": "orders-deny", "namespace": "shop", "selector": {"app": "orders"}, "action": "DENY", "rules": [
      {"from": [{"identities": [{"namespace": "shop", "serviceAccount": "web"}]}], "operation": {"paths": ["/api/admin"]}}
    ]},
    {"name": "orders-require-jwt", "namespace": "shop", "selector": {"app": "orders"}, "action": "DENY", "rules": [
      {"from": [{"notRequestPrincipals": ["https://auth.example/*"]}], "operation": {"paths": ["/api/orders/*"], "ports": ["5000"]}},
      {"operation": {"paths": ["/api/orders/*"], "ports": ["5000"]}, "when": [{"key": "request.auth.claims[scope]", "notValues": ["orders"]}]}
    ]}
  ],
  "jwtProviders": [{"issuer": "https://auth.example", "scope": "workload", "namespace": "shop", "selector": {"app": "orders"}, "audiences": ["shop"]}]
}`

func TestExpectAuthorization(t *testing.T) {
	in, err := ParseIntent([]byte(shopIntent))
	if err != nil {
		t.Fatal(err)
	}
	svc := in.Services[0]
	labels := svc.Versions[0].PodLabels
	web := identity{"shop", "web", true}
	good := &Token{Issuer: "https://auth.example", Subject: "u", Audiences: []string{"shop"}, Claims: map[string]any{"scope": []any{"orders"}}, Signed: true}
	noScope := &Token{Issuer: "https://auth.example", Subject: "u", Audiences: []string{"shop"}, Signed: true}
	get := func(path string, t *Token) httpReq { return httpReq{Method: "GET", Path: path, Token: t} }
	cases := []struct {
		name string
		from identity
		port int
		req  httpReq
		want Verdict
	}{
		{"admitted identity, method and path", web, 80, get("/api/items", nil), Reached},
		{"another method", web, 80, httpReq{Method: "POST", Path: "/api/items"}, Denied},
		{"a path outside /api/*", web, 80, get("/api", nil), Denied},
		{"DENY before ALLOW", web, 80, get("/api/admin", nil), Denied},
		{"another identity (deny by default)", identity{"shop", "cart", true}, 80, get("/api/items", nil), Denied},
		{"plaintext under STRICT", identity{}, 80, get("/api/items", nil), Reset},
		{"a token is required on /api/orders/*", web, 80, get("/api/orders/1", nil), Denied},
		{"a valid token with the claim", web, 80, get("/api/orders/1", good), Reached},
		{"a valid token without the claim", web, 80, get("/api/orders/1", noScope), Denied},
		{"a forged token", web, 80, get("/api/items", &Token{Issuer: "https://auth.example", Audiences: []string{"shop"}}), NoToken},
		{"a token of an issuer nobody trusts", web, 80, get("/api/items", &Token{Issuer: "https://x.example", Signed: true}), NoToken},
		{"port-level PERMISSIVE: plaintext reaches the TCP port, no identity admitted", identity{}, 5432, httpReq{TCP: true}, Denied},
		{"namespace source on the TCP port", identity{"ops", "backup", true}, 5432, httpReq{TCP: true}, Reached},
		{"HTTP-only ALLOW rule never matches TCP", web, 5432, httpReq{TCP: true}, Denied},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			port := *svc.Port(c.port)
			if got, why := in.expectAuth(svc, labels, port, c.from, c.req); got != c.want {
				t.Errorf("%s (%s), want %s", got, why, c.want)
			}
		})
	}
}

func TestExpectRouting(t *testing.T) {
	in, _ := ParseIntent([]byte(shopIntent))
	svc := in.Services[0]
	cases := []struct {
		name   string
		req    httpReq
		route  string
		shares map[string]float64
	}{
		{"the tester pin comes first", httpReq{Method: "GET", Path: "/api", Headers: map[string]string{"x-canary": "always", "x-beta": "1"}}, "tester pin", map[string]float64{"v2": 1}},
		{"routes in the order declared", httpReq{Method: "GET", Path: "/api", Headers: map[string]string{"x-beta": "1"}}, "beta", map[string]float64{"v2": 1}},
		{"a route without destinations follows the release", httpReq{Method: "GET", Path: "/api/x", Headers: map[string]string{}}, "api", map[string]float64{"v1": 0.9, "v2": 0.1}},
		{"the default route last", httpReq{Method: "GET", Path: "/", Headers: map[string]string{}}, "default", map[string]float64{"v1": 0.9, "v2": 0.1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := expectRoute(svc, c.req)
			if err != nil || got.Name != c.route || !sameShares(got.Shares, c.shares) {
				t.Errorf("route %q shares %v (%v), want %q %v", got.Name, got.Shares, err, c.route, c.shares)
			}
		})
	}
	managed := *svc
	managed.Releases = append([]ReleaseIntent(nil), svc.Releases...)
	_ = json.Unmarshal([]byte(`{"stable": "stable", "canary": "canary"}`), &managed.Releases[0].ManagedSubsets)
	if got := defaultShares(&managed); got["stable"] != 1 || got["canary"] != 0 {
		t.Errorf("a controller-driven release rests at 100%% stable in Git: %v", got)
	}
	managed.Releases[0] = ReleaseIntent{Kind: "blue-green", Stable: "v1", Canary: "v2"}
	if got := defaultShares(&managed); got["v1"] != 1 || len(got) != 1 {
		t.Errorf("blue-green sends everything to the active version: %v", got)
	}
}

func TestIntentPatternsAndGatewayTables(t *testing.T) {
	for _, c := range []struct {
		pattern, path string
		want          bool
	}{{"/users", "/users", true}, {"/users", "/users/1", false}, {"/users/*", "/users/1", true}, {"/users/*", "/users", false},
		{"*/info", "/a/info", true}, {"*", "/x", true}, {"/users/*", "/users/1?x=/y", true}} {
		if got := istioPathMatch(c.pattern, c.path); got != c.want {
			t.Errorf("path %q on %q: %v", c.pattern, c.path, got)
		}
	}
	g := &GatewayIntent{Routes: []GatewayRouteIntent{
		{Index: 0, Host: "*", CatchAll: true},
		{Index: 1, Host: "*", Matches: []MatchIntent{{Path: &StringMatchIntent{Kind: "prefix", Value: "/api"}}}},
		{Index: 2, Host: "admin.example.com", Matches: []MatchIntent{{Path: &StringMatchIntent{Kind: "prefix", Value: "/admin"}}}},
	}}
	var order []int
	for _, r := range gatewayRouteTable(g, "admin.example.com") {
		order = append(order, r.Index)
	}
	if len(order) != 3 || order[0] != 2 || order[1] != 1 || order[2] != 0 {
		t.Errorf("a host's own routes, then the any-host routes with matches, then the catch-all: %v", order)
	}
	if v, ok := sampleFor(&StringMatchIntent{Kind: "regex", Value: `^(.*?;\s*)?(canary=yes)(;.*)?$`}); !ok || v != "canary=yes" {
		t.Errorf("cookie pin sample: %q %v", v, ok)
	}
}
