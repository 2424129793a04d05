package behaviour

import (
	"testing"
	"time"

	xdscore "github.com/cncf/xds/go/xds/core/v3"
	xdsmatcher "github.com/cncf/xds/go/xds/type/matcher/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	faultv3common "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/common/fault/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Hand-made route tables: each match kind, first-match order, and the actions the stage reads.

func to(cluster string) *route.Route_Route {
	return &route.Route_Route{Route: &route.RouteAction{ClusterSpecifier: &route.RouteAction_Cluster{Cluster: cluster}}}
}

func TestRouteMatchKinds(t *testing.T) {
	req := func(path string, h ...string) map[string]string {
		m := map[string]string{":path": path, ":method": "GET"}
		for i := 0; i+1 < len(h); i += 2 {
			m[h[i]] = h[i+1]
		}
		return m
	}
	cases := []struct {
		name    string
		match   *route.RouteMatch
		yes, no map[string]string
	}{
		{"prefix", &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/users"}}, req("/users/1"), req("/orders")},
		{"path (exact, query ignored)", &route.RouteMatch{PathSpecifier: &route.RouteMatch_Path{Path: "/moved"}}, req("/moved?x=1"), req("/moved/x")},
		{"path_separated_prefix", &route.RouteMatch{PathSpecifier: &route.RouteMatch_PathSeparatedPrefix{PathSeparatedPrefix: "/api"}}, req("/api/x"), req("/apis")},
		{"safe_regex (whole path)", &route.RouteMatch{PathSpecifier: &route.RouteMatch_SafeRegex{SafeRegex: &matcher.RegexMatcher{Regex: "/old/.*"}}}, req("/old/a"), req("/x/old/a")},
		{"case insensitive prefix", &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/API"}, CaseSensitive: wrapperspb.Bool(false)}, req("/api/x"), req("/ap")},
		{"header exact", &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/"}, Headers: []*route.HeaderMatcher{{Name: "x-canary",
			HeaderMatchSpecifier: &route.HeaderMatcher_StringMatch{StringMatch: exact("always")}}}}, req("/", "x-canary", "always"), req("/", "x-canary", "never")},
		{"method", &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/"}, Headers: []*route.HeaderMatcher{{Name: ":method",
			HeaderMatchSpecifier: &route.HeaderMatcher_StringMatch{StringMatch: exact("POST")}}}}, func() map[string]string { m := req("/"); m[":method"] = "POST"; return m }(), req("/")},
		{"query parameter value", &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/"}, QueryParameters: []*route.QueryParameterMatcher{{Name: "debug",
			QueryParameterMatchSpecifier: &route.QueryParameterMatcher_StringMatch{StringMatch: exact("1")}}}}, req("/?debug=1"), req("/?debug=2")},
		{"query parameter present", &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/"}, QueryParameters: []*route.QueryParameterMatcher{{Name: "debug",
			QueryParameterMatchSpecifier: &route.QueryParameterMatcher_PresentMatch{PresentMatch: true}}}}, req("/?debug"), req("/")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if ok, err := routeMatchMatches(c.match, c.yes); err != nil || !ok {
				t.Errorf("matching request: %v %v", ok, err)
			}
			if ok, err := routeMatchMatches(c.match, c.no); err != nil || ok {
				t.Errorf("other request: %v %v", ok, err)
			}
		})
	}
}

func TestRouteSelectionAndActions(t *testing.T) {
	fault, _ := anypb.New(&faultv3.HTTPFault{
		Abort: &faultv3.FaultAbort{ErrorType: &faultv3.FaultAbort_HttpStatus{HttpStatus: 503}, Percentage: &typev3.FractionalPercent{Numerator: 25, Denominator: typev3.FractionalPercent_HUNDRED}},
		Delay: &faultv3common.FaultDelay{FaultDelaySecifier: &faultv3common.FaultDelay_FixedDelay{FixedDelay: durationpb.New(2 * time.Second)},
			Percentage: &typev3.FractionalPercent{Numerator: 10, Denominator: typev3.FractionalPercent_HUNDRED}},
	})
	vh := &route.VirtualHost{Name: "vh", Routes: []*route.Route{
		{Name: "pinned", Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/"}, Headers: []*route.HeaderMatcher{{Name: "x-canary",
			HeaderMatchSpecifier: &route.HeaderMatcher_StringMatch{StringMatch: exact("always")}}}}, Action: to("outbound|80|v2|orders")},
		{Name: "moved", Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Path{Path: "/moved"}},
			Action: &route.Route_Redirect{Redirect: &route.RedirectAction{PathRewriteSpecifier: &route.RedirectAction_PathRedirect{PathRedirect: "/new"}, PortRedirect: 8443}}},
		{Name: "faulty", Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/chaos"}}, Action: to("outbound|80|v1|orders"),
			TypedPerFilterConfig: map[string]*anypb.Any{"envoy.filters.http.fault": fault}},
		{Name: "default", Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/"}}, Action: &route.Route_Route{Route: &route.RouteAction{
			ClusterSpecifier: &route.RouteAction_WeightedClusters{WeightedClusters: &route.WeightedCluster{Clusters: []*route.WeightedCluster_ClusterWeight{
				{Name: "outbound|80|v1|orders", Weight: wrapperspb.UInt32(90)}, {Name: "outbound|80|v2|orders", Weight: wrapperspb.UInt32(10)}}}},
			Timeout:     durationpb.New(3 * time.Second),
			RetryPolicy: &route.RetryPolicy{RetryOn: "gateway-error,connect-failure", NumRetries: wrapperspb.UInt32(2), PerTryTimeout: durationpb.New(time.Second)},
			RequestMirrorPolicies: []*route.RouteAction_RequestMirrorPolicy{{Cluster: "outbound|80|v2|orders",
				RuntimeFraction: &core.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{Numerator: 50, Denominator: typev3.FractionalPercent_HUNDRED}}}},
		}}},
	}}
	pick := func(path string, h ...string) *route.Route {
		m := map[string]string{":path": path, ":method": "GET"}
		if len(h) == 2 {
			m[h[0]] = h[1]
		}
		r, err := SelectRoute(vh, m)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := pick("/moved", "x-canary", "always"); r.GetName() != "pinned" {
		t.Errorf("first match wins: got %q", r.GetName())
	}
	if a := ActionOf(pick("/moved")); a.Redirect == nil || a.Redirect.GetPathRedirect() != "/new" || a.Redirect.GetPortRedirect() != 8443 {
		t.Errorf("redirect: %+v", a)
	}
	if a := ActionOf(pick("/chaos")); a.Fault == nil || a.Fault.AbortStatus != 503 || a.Fault.AbortFraction != 0.25 || a.Fault.Delay != 2*time.Second || a.Fault.DelayFraction != 0.1 {
		t.Errorf("fault: %+v", a.Fault)
	}
	a := ActionOf(pick("/"))
	if len(a.Backends) != 2 || a.Backends[0].Fraction != 0.9 || a.Backends[1].Fraction != 0.1 {
		t.Errorf("weighted clusters as fractions: %+v", a.Backends)
	}
	if a.Timeout == nil || *a.Timeout != 3*time.Second || a.Retries != 2 || a.PerTry != time.Second || a.RetryOn != "gateway-error,connect-failure" {
		t.Errorf("timeout and retries: %+v", a)
	}
	if len(a.Mirrors) != 1 || a.Mirrors[0].Fraction != 0.5 {
		t.Errorf("mirror: %+v", a.Mirrors)
	}
}

func TestFilterChainMatcher(t *testing.T) {
	action := func(chain string) *xdsmatcher.Matcher_OnMatch {
		sv, _ := anypb.New(wrapperspb.String(chain))
		return &xdsmatcher.Matcher_OnMatch{OnMatch: &xdsmatcher.Matcher_OnMatch_Action{Action: &xdscore.TypedExtensionConfig{Name: chain, TypedConfig: sv}}}
	}
	input := func(url string) *xdscore.TypedExtensionConfig {
		return &xdscore.TypedExtensionConfig{Name: "in", TypedConfig: &anypb.Any{TypeUrl: url}}
	}
	ports := func(m map[string]string) *xdsmatcher.Matcher_OnMatch {
		mm := map[string]*xdsmatcher.Matcher_OnMatch{}
		for p, c := range m {
			mm[p] = action(c)
		}
		return &xdsmatcher.Matcher_OnMatch{OnMatch: &xdsmatcher.Matcher_OnMatch_Matcher{Matcher: &xdsmatcher.Matcher{MatcherType: &xdsmatcher.Matcher_MatcherTree_{
			MatcherTree: &xdsmatcher.Matcher_MatcherTree{Input: input("type.googleapis.com/envoy.extensions.matching.common_inputs.network.v3.DestinationPortInput"),
				TreeType: &xdsmatcher.Matcher_MatcherTree_ExactMatchMap{ExactMatchMap: &xdsmatcher.Matcher_MatcherTree_MatchMap{Map: mm}}}}}}}
	}
	ipm, _ := anypb.New(&xdsmatcher.IPMatcher{RangeMatchers: []*xdsmatcher.IPMatcher_IPRangeMatcher{
		{Ranges: []*xdscore.CidrRange{{AddressPrefix: "10.96.0.0", PrefixLen: wrapperspb.UInt32(16)}}, OnMatch: ports(map[string]string{"80": "wide"})},
		{Ranges: []*xdscore.CidrRange{{AddressPrefix: "10.96.0.3", PrefixLen: wrapperspb.UInt32(32)}}, OnMatch: ports(map[string]string{"80": "orders-80", "9090": "orders-9090"})},
	}})
	m := &xdsmatcher.Matcher{MatcherType: &xdsmatcher.Matcher_MatcherTree_{MatcherTree: &xdsmatcher.Matcher_MatcherTree{
		Input:    input("type.googleapis.com/envoy.extensions.matching.common_inputs.network.v3.DestinationIPInput"),
		TreeType: &xdsmatcher.Matcher_MatcherTree_CustomMatch{CustomMatch: &xdscore.TypedExtensionConfig{Name: "ip", TypedConfig: ipm}}}},
		OnNoMatch: action("fallback")}
	for _, c := range []struct {
		ip   string
		port uint32
		want string
	}{{"10.96.0.3", 80, "orders-80"}, {"10.96.0.3", 9090, "orders-9090"}, {"10.96.0.7", 80, "wide"}, {"10.97.0.1", 80, "fallback"}, {"10.96.0.3", 81, ""}} {
		got, err := matchChain(m, c.ip, c.port)
		if err != nil || got != c.want {
			t.Errorf("%s:%d → %q (%v), want %q", c.ip, c.port, got, err, c.want)
		}
	}
}
