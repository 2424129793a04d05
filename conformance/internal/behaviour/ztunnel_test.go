package behaviour

import (
	"testing"

	"istio.io/istio/pkg/workloadapi/security"
)

// Hand-made ztunnel policies (the workload API's Authorization): one per match field, the
// policy scopes, and the DENY / ALLOW order.

func policy(name string, action security.Action, scope security.Scope, matches ...*security.Match) *security.Authorization {
	return &security.Authorization{Name: name, Namespace: "shop", Action: action, Scope: scope,
		Groups: []*security.Group{{Rules: []*security.Rules{{Matches: matches}}}}}
}

func from(ns, sa string) L4Attributes {
	return L4Attributes{TrustDomain: "cluster.local", Namespace: ns, ServiceAccount: sa, SourceIP: "10.1.0.9", DestIP: "10.1.0.2", DestPort: 5000}
}

func exactSM(s string) *security.StringMatch {
	return &security.StringMatch{MatchType: &security.StringMatch_Exact{Exact: s}}
}

func TestZtunnelMatchFields(t *testing.T) {
	plaintext := L4Attributes{SourceIP: "10.1.0.9", DestPort: 5000}
	cases := []struct {
		name      string
		m         *security.Match
		match, no L4Attributes
	}{
		{"principals exact", &security.Match{Principals: []*security.StringMatch{exactSM("cluster.local/ns/shop/sa/waypoint")}},
			from("shop", "waypoint"), from("shop", "order-service")},
		{"principals prefix", &security.Match{Principals: []*security.StringMatch{{MatchType: &security.StringMatch_Prefix{Prefix: "cluster.local/ns/shop/"}}}},
			from("shop", "x"), from("other", "x")},
		{"principals suffix", &security.Match{Principals: []*security.StringMatch{{MatchType: &security.StringMatch_Suffix{Suffix: "/sa/prometheus"}}}},
			from("istio-system", "prometheus"), from("istio-system", "grafana")},
		{"not_principals presence (a plaintext connection)", &security.Match{NotPrincipals: []*security.StringMatch{{MatchType: &security.StringMatch_Presence{}}}},
			plaintext, from("shop", "x")},
		{"namespaces", &security.Match{Namespaces: []*security.StringMatch{exactSM("shop")}}, from("shop", "a"), from("other", "a")},
		{"not_namespaces", &security.Match{NotNamespaces: []*security.StringMatch{exactSM("sandbox")}}, from("shop", "a"), from("sandbox", "a")},
		{"service_accounts", &security.Match{ServiceAccounts: []*security.ServiceAccountMatch{{Namespace: "shop", ServiceAccount: "a"}}}, from("shop", "a"), from("shop", "b")},
		{"destination_ports", &security.Match{DestinationPorts: []uint32{5000}}, from("shop", "a"), L4Attributes{DestPort: 80}},
		{"not_destination_ports", &security.Match{NotDestinationPorts: []uint32{80}}, from("shop", "a"), L4Attributes{DestPort: 80}},
		{"source_ips", &security.Match{SourceIps: []*security.Address{{Address: []byte{10, 1, 0, 0}, Length: 16}}}, from("shop", "a"), L4Attributes{SourceIP: "10.2.0.1"}},
		{"not_source_ips", &security.Match{NotSourceIps: []*security.Address{{Address: []byte{10, 1, 0, 9}, Length: 32}}}, L4Attributes{SourceIP: "10.1.0.8"}, from("shop", "a")},
		{"destination_ips", &security.Match{DestinationIps: []*security.Address{{Address: []byte{10, 1, 0, 2}, Length: 32}}}, from("shop", "a"), L4Attributes{DestIP: "10.1.0.3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pols := []*security.Authorization{policy("p", security.Action_ALLOW, security.Scope_NAMESPACE, c.m)}
			if d, err := EvalZtunnel(pols, c.match); err != nil || !d.Allowed {
				t.Errorf("matching connection: %+v %v, want allowed", d, err)
			}
			if d, err := EvalZtunnel(pols, c.no); err != nil || d.Allowed {
				t.Errorf("other connection: %+v %v, want denied", d, err)
			}
		})
	}
}

func TestZtunnelPolicyOrderAndScopes(t *testing.T) {
	allowWaypoint := policy("waypoint-only", security.Action_ALLOW, security.Scope_WORKLOAD_SELECTOR, &security.Match{Principals: []*security.StringMatch{exactSM("cluster.local/ns/shop/sa/waypoint")}})
	strict := &security.Authorization{Name: "istio_converted_static_strict", Namespace: "istio-system", Action: security.Action_DENY, Scope: security.Scope_WORKLOAD_SELECTOR,
		Groups: []*security.Group{{Rules: []*security.Rules{{Matches: []*security.Match{{NotPrincipals: []*security.StringMatch{{MatchType: &security.StringMatch_Presence{}}}}}}}}}}
	global := policy("deny-sandbox", security.Action_DENY, security.Scope_GLOBAL, &security.Match{Namespaces: []*security.StringMatch{exactSM("sandbox")}})
	otherNS := &security.Authorization{Name: "elsewhere", Namespace: "other", Action: security.Action_ALLOW, Scope: security.Scope_NAMESPACE,
		Groups: []*security.Group{{Rules: []*security.Rules{}}}}
	all := []*security.Authorization{allowWaypoint, strict, global, otherNS}

	applied := ApplicablePolicies(all, "shop", []string{"shop/waypoint-only", "istio-system/istio_converted_static_strict"})
	if len(applied) != 3 {
		t.Fatalf("applicable policies: %d, want the two the workload names and the global one", len(applied))
	}
	if d, _ := EvalZtunnel(applied, L4Attributes{DestPort: 5000}); d.Allowed || d.Policy != "istio-system/istio_converted_static_strict" {
		t.Errorf("plaintext under STRICT: %+v, want denied by the converted PeerAuthentication", d)
	}
	if d, _ := EvalZtunnel(applied, from("sandbox", "waypoint")); d.Allowed || d.Policy != "shop/deny-sandbox" {
		t.Errorf("DENY before ALLOW: %+v", d)
	}
	if d, _ := EvalZtunnel(applied, from("shop", "waypoint")); !d.Allowed {
		t.Errorf("the waypoint: %+v, want allowed", d)
	}
	if d, _ := EvalZtunnel(applied, from("shop", "order-service")); d.Allowed {
		t.Errorf("a caller around the waypoint: %+v, want denied", d)
	}
	if d, _ := EvalZtunnel(nil, L4Attributes{}); !d.Allowed {
		t.Error("no policy: want allowed")
	}
	// a group without rules (a rule with neither from, to nor when) matches every connection
	if d, _ := EvalZtunnel([]*security.Authorization{otherNS}, L4Attributes{}); !d.Allowed {
		t.Error("an ALLOW group without rules must match")
	}
	// an ALLOW policy whose rules needed L7 has no group: it matches nothing
	empty := &security.Authorization{Name: "l7", Namespace: "shop", Action: security.Action_ALLOW, Scope: security.Scope_NAMESPACE}
	if d, _ := EvalZtunnel([]*security.Authorization{empty}, from("shop", "a")); d.Allowed {
		t.Error("an ALLOW policy without groups admitted a connection")
	}
}
