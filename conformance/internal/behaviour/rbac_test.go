package behaviour

import (
	"testing"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	exprv1 "google.golang.org/genproto/googleapis/api/expr/v1alpha1"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Hand-made RBAC configs, one per permission and principal kind pilot emits, each checked on a
// request that matches and one that does not.

func exact(s string) *matcher.StringMatcher {
	return &matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_Exact{Exact: s}}
}

func prefix(s string) *matcher.StringMatcher {
	return &matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_Prefix{Prefix: s}}
}

func anyPrincipal() *rbacv3.Principal {
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_Any{Any: true}}
}

func anyPermission() *rbacv3.Permission {
	return &rbacv3.Permission{Rule: &rbacv3.Permission_Any{Any: true}}
}

func allowWith(perm *rbacv3.Permission, pr *rbacv3.Principal) *rbacv3.RBAC {
	return &rbacv3.RBAC{Action: rbacv3.RBAC_ALLOW, Policies: map[string]*rbacv3.Policy{
		"p": {Permissions: []*rbacv3.Permission{perm}, Principals: []*rbacv3.Principal{pr}},
	}}
}

func request(method, path string) Attributes {
	return Attributes{
		Principal: "spiffe://cluster.local/ns/shop/sa/order-service", SourceIP: "10.1.0.7", DestIP: "10.1.0.2", DestPort: 5000,
		Headers: map[string]string{":method": method, ":path": path, ":authority": "user-service"},
	}
}

func TestRBACPermissionKinds(t *testing.T) {
	cidr := func(ip string, l uint32) *core.CidrRange {
		return &core.CidrRange{AddressPrefix: ip, PrefixLen: wrapperspb.UInt32(l)}
	}
	cases := []struct {
		name      string
		perm      *rbacv3.Permission
		match, no Attributes
	}{
		{"any", anyPermission(), request("GET", "/"), Attributes{}},
		{"header exact :method",
			&rbacv3.Permission{Rule: &rbacv3.Permission_Header{Header: &route.HeaderMatcher{Name: ":method", HeaderMatchSpecifier: &route.HeaderMatcher_StringMatch{StringMatch: exact("GET")}}}},
			request("GET", "/"), request("POST", "/")},
		{"url_path exact ignores the query",
			&rbacv3.Permission{Rule: &rbacv3.Permission_UrlPath{UrlPath: &matcher.PathMatcher{Rule: &matcher.PathMatcher_Path{Path: exact("/users")}}}},
			request("GET", "/users?page=2"), request("GET", "/users/1")},
		{"url_path prefix",
			&rbacv3.Permission{Rule: &rbacv3.Permission_UrlPath{UrlPath: &matcher.PathMatcher{Rule: &matcher.PathMatcher_Path{Path: prefix("/users/")}}}},
			request("GET", "/users/1"), request("GET", "/users")},
		{"url_path suffix",
			&rbacv3.Permission{Rule: &rbacv3.Permission_UrlPath{UrlPath: &matcher.PathMatcher{Rule: &matcher.PathMatcher_Path{Path: &matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_Suffix{Suffix: "/info"}}}}}},
			request("GET", "/a/info"), request("GET", "/a/infos")},
		{"destination_port",
			&rbacv3.Permission{Rule: &rbacv3.Permission_DestinationPort{DestinationPort: 5000}},
			request("GET", "/"), Attributes{DestPort: 80, Headers: map[string]string{}}},
		{"destination_port_range",
			&rbacv3.Permission{Rule: &rbacv3.Permission_DestinationPortRange{DestinationPortRange: &typev3.Int32Range{Start: 5000, End: 5010}}},
			Attributes{DestPort: 5009}, Attributes{DestPort: 5010}},
		{"destination_ip",
			&rbacv3.Permission{Rule: &rbacv3.Permission_DestinationIp{DestinationIp: cidr("10.1.0.0", 24)}},
			request("GET", "/"), Attributes{DestIP: "10.2.0.1"}},
		{"requested_server_name",
			&rbacv3.Permission{Rule: &rbacv3.Permission_RequestedServerName{RequestedServerName: exact("api.example.com")}},
			Attributes{SNI: "api.example.com"}, Attributes{SNI: "other.example.com"}},
		{"not_rule",
			&rbacv3.Permission{Rule: &rbacv3.Permission_NotRule{NotRule: &rbacv3.Permission{Rule: &rbacv3.Permission_DestinationPort{DestinationPort: 5000}}}},
			Attributes{DestPort: 80}, request("GET", "/")},
		{"and_rules of or_rules (pilot's shape)",
			&rbacv3.Permission{Rule: &rbacv3.Permission_AndRules{AndRules: &rbacv3.Permission_Set{Rules: []*rbacv3.Permission{
				{Rule: &rbacv3.Permission_OrRules{OrRules: &rbacv3.Permission_Set{Rules: []*rbacv3.Permission{
					{Rule: &rbacv3.Permission_UrlPath{UrlPath: &matcher.PathMatcher{Rule: &matcher.PathMatcher_Path{Path: prefix("/api/")}}}},
				}}}},
				{Rule: &rbacv3.Permission_OrRules{OrRules: &rbacv3.Permission_Set{Rules: []*rbacv3.Permission{
					{Rule: &rbacv3.Permission_DestinationPort{DestinationPort: 5000}},
				}}}},
			}}}},
			request("GET", "/api/orders"), func() Attributes { a := request("GET", "/api/orders"); a.DestPort = 80; return a }()},
		{"metadata (a validated token's issuer)",
			&rbacv3.Permission{Rule: &rbacv3.Permission_Metadata{Metadata: &matcher.MetadataMatcher{
				Filter: "envoy.filters.http.jwt_authn",
				Path:   []*matcher.MetadataMatcher_PathSegment{{Segment: &matcher.MetadataMatcher_PathSegment_Key{Key: "payload"}}, {Segment: &matcher.MetadataMatcher_PathSegment_Key{Key: "iss"}}},
				Value:  &matcher.ValueMatcher{MatchPattern: &matcher.ValueMatcher_StringMatch{StringMatch: exact("https://issuer.example")}},
			}}},
			Attributes{Metadata: map[string]map[string]any{"envoy.filters.http.jwt_authn": {"payload": map[string]any{"iss": "https://issuer.example"}}}},
			Attributes{Metadata: map[string]map[string]any{}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rules := allowWith(c.perm, anyPrincipal())
			if d, err := EvalRBAC(rules, c.match); err != nil || !d.Allowed {
				t.Errorf("matching request: allowed=%v err=%v, want allowed", d.Allowed, err)
			}
			if c.name == "any" {
				return // matches every request
			}
			if d, err := EvalRBAC(rules, c.no); err != nil || d.Allowed {
				t.Errorf("other request: allowed=%v err=%v, want denied", d.Allowed, err)
			}
		})
	}
}

func TestRBACPrincipalKinds(t *testing.T) {
	peer := "spiffe://cluster.local/ns/shop/sa/order-service"
	cases := []struct {
		name      string
		pr        *rbacv3.Principal
		match, no Attributes
	}{
		{"authenticated principal_name exact",
			&rbacv3.Principal{Identifier: &rbacv3.Principal_Authenticated_{Authenticated: &rbacv3.Principal_Authenticated{PrincipalName: exact(peer)}}},
			Attributes{Principal: peer}, Attributes{Principal: "spiffe://cluster.local/ns/shop/sa/other"}},
		{"authenticated without a certificate never matches",
			&rbacv3.Principal{Identifier: &rbacv3.Principal_Authenticated_{Authenticated: &rbacv3.Principal_Authenticated{}}},
			Attributes{Principal: peer}, Attributes{}},
		{"authenticated namespace regex",
			&rbacv3.Principal{Identifier: &rbacv3.Principal_Authenticated_{Authenticated: &rbacv3.Principal_Authenticated{PrincipalName: &matcher.StringMatcher{
				MatchPattern: &matcher.StringMatcher_SafeRegex{SafeRegex: &matcher.RegexMatcher{Regex: ".*/ns/shop/.*"}}}}}},
			Attributes{Principal: peer}, Attributes{Principal: "spiffe://cluster.local/ns/other/sa/x"}},
		{"filter_state peer principal (waypoints)",
			&rbacv3.Principal{Identifier: &rbacv3.Principal_FilterState{FilterState: &matcher.FilterStateMatcher{Key: "io.istio.peer_principal",
				Matcher: &matcher.FilterStateMatcher_StringMatch{StringMatch: exact(peer)}}}},
			Attributes{Principal: peer}, Attributes{}},
		{"source_ip", &rbacv3.Principal{Identifier: &rbacv3.Principal_SourceIp{SourceIp: &core.CidrRange{AddressPrefix: "10.1.0.0", PrefixLen: wrapperspb.UInt32(16)}}},
			Attributes{SourceIP: "10.1.2.3"}, Attributes{SourceIP: "10.2.0.1"}},
		{"direct_remote_ip", &rbacv3.Principal{Identifier: &rbacv3.Principal_DirectRemoteIp{DirectRemoteIp: &core.CidrRange{AddressPrefix: "10.1.2.3", PrefixLen: wrapperspb.UInt32(32)}}},
			Attributes{SourceIP: "10.1.2.3"}, Attributes{SourceIP: "10.1.2.4"}},
		{"remote_ip", &rbacv3.Principal{Identifier: &rbacv3.Principal_RemoteIp{RemoteIp: &core.CidrRange{AddressPrefix: "10.0.0.0", PrefixLen: wrapperspb.UInt32(8)}}},
			Attributes{SourceIP: "10.9.9.9"}, Attributes{SourceIP: "192.168.0.1"}},
		{"header present (inverted: absent)",
			&rbacv3.Principal{Identifier: &rbacv3.Principal_Header{Header: &route.HeaderMatcher{Name: "x-user", HeaderMatchSpecifier: &route.HeaderMatcher_PresentMatch{PresentMatch: true}, InvertMatch: true}}},
			Attributes{Headers: map[string]string{}}, Attributes{Headers: map[string]string{"x-user": "a"}}},
		{"url_path", &rbacv3.Principal{Identifier: &rbacv3.Principal_UrlPath{UrlPath: &matcher.PathMatcher{Rule: &matcher.PathMatcher_Path{Path: exact("/healthz")}}}},
			Attributes{Headers: map[string]string{":path": "/healthz"}}, Attributes{Headers: map[string]string{":path": "/"}}},
		{"not_id (a request without a valid token)",
			&rbacv3.Principal{Identifier: &rbacv3.Principal_NotId{NotId: &rbacv3.Principal{Identifier: &rbacv3.Principal_Metadata{Metadata: &matcher.MetadataMatcher{
				Filter: "envoy.filters.http.jwt_authn",
				Path:   []*matcher.MetadataMatcher_PathSegment{{Segment: &matcher.MetadataMatcher_PathSegment_Key{Key: "payload"}}, {Segment: &matcher.MetadataMatcher_PathSegment_Key{Key: "sub"}}},
				Value:  &matcher.ValueMatcher{MatchPattern: &matcher.ValueMatcher_PresentMatch{PresentMatch: true}},
			}}}}},
			Attributes{Metadata: map[string]map[string]any{}},
			Attributes{Metadata: map[string]map[string]any{"envoy.filters.http.jwt_authn": {"payload": map[string]any{"sub": "u"}}}}},
		{"and_ids / or_ids",
			&rbacv3.Principal{Identifier: &rbacv3.Principal_AndIds{AndIds: &rbacv3.Principal_Set{Ids: []*rbacv3.Principal{
				{Identifier: &rbacv3.Principal_OrIds{OrIds: &rbacv3.Principal_Set{Ids: []*rbacv3.Principal{
					{Identifier: &rbacv3.Principal_Authenticated_{Authenticated: &rbacv3.Principal_Authenticated{PrincipalName: exact("spiffe://x")}}},
					{Identifier: &rbacv3.Principal_Authenticated_{Authenticated: &rbacv3.Principal_Authenticated{PrincipalName: exact(peer)}}},
				}}}},
				{Identifier: &rbacv3.Principal_SourceIp{SourceIp: &core.CidrRange{AddressPrefix: "10.1.0.0", PrefixLen: wrapperspb.UInt32(16)}}},
			}}}},
			Attributes{Principal: peer, SourceIP: "10.1.0.1"}, Attributes{Principal: peer, SourceIP: "10.5.0.1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rules := allowWith(anyPermission(), c.pr)
			if d, err := EvalRBAC(rules, c.match); err != nil || !d.Allowed {
				t.Errorf("matching peer: allowed=%v err=%v, want allowed", d.Allowed, err)
			}
			if d, err := EvalRBAC(rules, c.no); err != nil || d.Allowed {
				t.Errorf("other peer: allowed=%v err=%v, want denied", d.Allowed, err)
			}
		})
	}
}

func TestRBACActions(t *testing.T) {
	onPort := &rbacv3.Policy{Permissions: []*rbacv3.Permission{{Rule: &rbacv3.Permission_DestinationPort{DestinationPort: 5000}}}, Principals: []*rbacv3.Principal{anyPrincipal()}}
	deny := &rbacv3.RBAC{Action: rbacv3.RBAC_DENY, Policies: map[string]*rbacv3.Policy{"d": onPort}}
	if d, _ := EvalRBAC(deny, Attributes{DestPort: 5000}); d.Allowed || d.Policy != "d" {
		t.Errorf("DENY policy matching: %+v, want denied by d", d)
	}
	if d, _ := EvalRBAC(deny, Attributes{DestPort: 80}); !d.Allowed {
		t.Errorf("DENY policy not matching: %+v, want allowed", d)
	}
	empty := &rbacv3.RBAC{Action: rbacv3.RBAC_ALLOW}
	if d, _ := EvalRBAC(empty, Attributes{DestPort: 5000}); d.Allowed {
		t.Error("ALLOW without policies (allow-nothing) admitted a request")
	}
	if d, _ := EvalRBAC(nil, Attributes{}); !d.Allowed {
		t.Error("no RBAC filter denied a request")
	}
	tcp := allowWith(&rbacv3.Permission{Rule: &rbacv3.Permission_Header{Header: &route.HeaderMatcher{Name: ":method", HeaderMatchSpecifier: &route.HeaderMatcher_PresentMatch{PresentMatch: true}}}}, anyPrincipal())
	if d, _ := EvalRBAC(tcp, Attributes{DestPort: 5000}); d.Allowed {
		t.Error("an HTTP header permission matched a TCP connection")
	}
	cel := &rbacv3.RBAC{Action: rbacv3.RBAC_ALLOW, Policies: map[string]*rbacv3.Policy{"c": {Permissions: []*rbacv3.Permission{anyPermission()},
		Principals: []*rbacv3.Principal{anyPrincipal()}, Condition: &exprv1.Expr{}}}}
	if _, err := EvalRBAC(cel, Attributes{}); err == nil {
		t.Error("a CEL condition was evaluated as if absent; it must be reported as not evaluated")
	}
}

func TestStringAndHeaderMatchers(t *testing.T) {
	ok, _ := stringMatches(&matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_Prefix{Prefix: "/API"}, IgnoreCase: true}, "/api/x")
	if !ok {
		t.Error("ignore_case prefix did not match")
	}
	if ok, _ := stringMatches(&matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_SafeRegex{SafeRegex: &matcher.RegexMatcher{Regex: "/a.*"}}}, "x/a/b"); ok {
		t.Error("safe_regex matched a value it does not fully match")
	}
	if ok, _ := stringMatches(&matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_Contains{Contains: "sers"}}, "/users"); !ok {
		t.Error("contains did not match")
	}
	inverted := &route.HeaderMatcher{Name: "x-canary", HeaderMatchSpecifier: &route.HeaderMatcher_StringMatch{StringMatch: exact("always")}, InvertMatch: true}
	if ok, _ := headerMatches(inverted, map[string]string{}); ok {
		t.Error("inverted exact matcher: a missing header does not match (Envoy's HeaderUtility)")
	}
	if ok, _ := headerMatches(inverted, map[string]string{"x-canary": "never"}); !ok {
		t.Error("inverted exact matcher did not match another value")
	}
	if ok, _ := headerMatches(inverted, map[string]string{"x-canary": "always"}); ok {
		t.Error("inverted exact matcher matched the value it inverts")
	}
	absent := &route.HeaderMatcher{Name: "x-canary", HeaderMatchSpecifier: &route.HeaderMatcher_PresentMatch{PresentMatch: false}}
	if ok, _ := headerMatches(absent, map[string]string{}); !ok {
		t.Error("present_match false must match a missing header")
	}
}
