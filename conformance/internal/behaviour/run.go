// Package behaviour is the conformance stage that judges what an output does, not how it is
// written: from the program's declared intent (mesh-intent.jsonc, which MeshApp writes beside
// the manifests) it derives concrete requests — caller, host, port, method, path, headers,
// token, mTLS or plaintext — with their expected outcome, and sends each along its real path
// through the Envoy configuration pilot generates for every proxy on it (sidecar outbound
// listener, route, cluster and endpoints, the callee's inbound chain or ztunnel, the waypoint,
// gateways), evaluating jwt_authn, RBAC and ztunnel's policies on the way. A request whose
// outcome differs from the intent's fails the stage, however well-formed the manifests are.
package behaviour

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	httpopts "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/equivalence"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/report"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/xds"
)

// Stage is the report stage name.
const Stage = "behaviour"

// trace prints every request with its expected and actual outcome (BEHAVIOUR_TRACE=1).
var trace = os.Getenv("BEHAVIOUR_TRACE") != ""

// maxShown is how many differing requests an assertion lists.
const maxShown = 3

// Run judges one output folder against its intent.
func Run(ex *manifest.Example, r *report.Report) error {
	in, err := LoadIntent(ex.Dir)
	if err != nil {
		r.Fail(ex.Name, Stage, "intent", err.Error())
		return nil
	}
	// the gateways' TLS Secrets, which the cluster's certificate issuer creates (the output names them)
	secrets, err := equivalence.TLSSecrets(ex)
	if err != nil {
		return err
	}
	env, err := xds.Load(equivalence.WithObjects(ex, secrets))
	if err != nil {
		r.Fail(ex.Name, Stage, "pilot", err.Error())
		return err
	}
	defer env.Close()
	res := Evaluate(env, in)
	for k, n := range res.Counts {
		r.Count(ex.Name, Stage, k, n)
	}
	for _, a := range res.Assertions {
		r.Check(a.OK, ex.Name, Stage, a.Subject, a.Message)
	}
	return nil
}

// Assertion is the verdict on one case.
type Assertion struct {
	Kind    Kind
	Subject string
	OK      bool
	Message string
}

// Result of evaluating an output: one assertion per case, and counters (requests, cases and
// requests by kind, outcomes).
type Result struct {
	Assertions []Assertion
	Counts     map[string]int
}

// Evaluate derives the cases from the intent and sends every request.
func Evaluate(env *xds.Env, in *Intent) Result {
	e := newEngine(env, in)
	p := &planner{in: in, env: env, e: e}
	var sets []caseSet
	sets = append(sets, p.meshCases()...)
	sets = append(sets, p.gatewayCases()...)
	sets = append(sets, p.egressCases()...)
	sets = append(sets, p.metricsCases()...)
	res := Result{Counts: map[string]int{}}
	for _, set := range sets {
		if len(set.probes) == 0 {
			continue
		}
		var bad []string
		judged := 0
		for _, pr := range set.probes {
			res.Counts["requests"]++
			for _, k := range pr.kinds {
				res.Counts["k:"+string(k)]++
			}
			if pr.want.Outcomes["unjudged"] > 0 {
				res.Counts["unjudged"]++
				continue
			}
			judged++
			flows := e.Send(pr.req)
			if trace {
				fmt.Fprintf(os.Stderr, "%s\n    intent: %s (%s)\n    got:    %s\n", pr.req, formatShares(pr.want.Outcomes), pr.want.Why, formatShares(distribution(flows, false)))
			}
			for _, f := range flows {
				if f.Fraction > 0 {
					res.Counts["o:"+string(verdictOf(f))]++
				}
			}
			if msg := compare(pr, flows, p); msg != "" {
				bad = append(bad, msg)
			}
		}
		if judged == 0 {
			continue
		}
		res.Counts["cases"]++
		a := Assertion{Kind: set.kind, Subject: fmt.Sprintf("[%s] %s", set.kind, set.subject), OK: len(bad) == 0}
		if a.OK {
			a.Message = fmt.Sprintf("%d requests end as the intent says", judged)
		} else {
			shown := bad
			if len(shown) > maxShown {
				shown = shown[:maxShown]
			}
			a.Message = fmt.Sprintf("%d of %d requests differ from the intent: %s", len(bad), judged, strings.Join(shown, " | "))
		}
		res.Assertions = append(res.Assertions, a)
	}
	return res
}

// compare returns "" when the flows do what the probe expects, else a description.
func compare(pr probe, flows []Flow, p *planner) string {
	bySubset := pr.want.Service != nil && len(pr.want.Service.Releases) > 0 && pr.want.Service.Releases[0].ManagedSubsets != nil
	got := distribution(flows, bySubset)
	if pr.want.Outcomes["reached *"] > 0 {
		for k, v := range got {
			if strings.HasPrefix(k, "reached ") {
				delete(got, k)
				got["reached *"] += v
			}
		}
	}
	describe := func(problem string) string {
		var f Flow
		for _, x := range flows {
			if x.Fraction > 0 {
				f = x
				break
			}
		}
		return fmt.Sprintf("%s: %s [path: %s; %s]", pr.req, problem, strings.Join(f.Hops, " → "), f.Detail)
	}
	if !sameShares(pr.want.Outcomes, got) {
		return describe(fmt.Sprintf("intent: %s (%s); got %s", formatShares(pr.want.Outcomes), pr.want.Why, formatShares(got)))
	}
	for _, f := range flows {
		if f.Fraction == 0 || verdictOf(f) != Reached {
			continue
		}
		if svc := pr.want.Service; svc != nil && f.Pod != nil && f.External == "" && (f.Pod.Namespace != svc.Namespace || !subset(svc.Selector, f.Pod.Labels)) {
			return describe(fmt.Sprintf("reached %s, not a pod of %s", f.Pod.ID(), svc.Host))
		}
		if svc := pr.want.Service; svc != nil && svc.ClientTLS == "ISTIO_MUTUAL" && f.External == "" && (f.Transport == "plaintext" || f.Transport == "tls") {
			return describe(fmt.Sprintf("sent to %s over %s by %s; declared client TLS ISTIO_MUTUAL", svc.Host, f.Transport, f.ClusterProxy))
		}
		if pr.want.Via != "" && !passed(f, pr.want.Via) {
			return describe("reached the service without passing " + pr.want.Via + ", which enforces its L7 intent")
		}
		if pr.want.Through != "" && !passed(f, pr.want.Through) {
			return describe("left the mesh without passing " + pr.want.Through)
		}
		if pr.want.Route != nil && f.Route != nil {
			if d := routeDiff(pr.want.Route, f, requestOf(pr.req)); d != "" {
				return describe("route " + pr.want.Route.Name + ": " + d)
			}
		}
		if pr.want.GwRoute != nil && f.Route != nil && pr.want.Service != nil && pr.want.Service.Waypoint == "" {
			if d := gatewayRouteDiff(pr.want.GwRoute, f, requestOf(pr.req).Path, pr.want.UpstreamPath); d != "" {
				return describe(fmt.Sprintf("gateway route %d: %s", pr.want.GwRoute.Index, d))
			}
		}
		if pr.want.Service != nil && f.Cluster != nil {
			if d := policyDiff(pr.want.Service, f); d != "" {
				return describe("traffic policy: " + d)
			}
		}
	}
	if pr.want.Route != nil {
		for _, f := range flows {
			if f.Fraction > 0 && verdictOf(f) == Reached && f.Route != nil {
				if d := mirrorDiff(pr.want.Mirror, f); d != "" {
					return describe(d)
				}
			}
		}
	}
	return ""
}

func passed(f Flow, proxy string) bool {
	for _, h := range f.Hops {
		if strings.HasPrefix(h, proxy) || strings.Contains(h, " "+proxy) {
			return true
		}
	}
	return f.RouteProxy == proxy || f.ClusterProxy == proxy
}

func ms(d time.Duration) int { return int(d / time.Millisecond) }

// routeDiff compares the Envoy route that handled a request with the declared route.
func routeDiff(rt *RouteIntent, f Flow, req httpReq) string {
	a := f.Route
	path := req.Path
	var diffs []string
	if rt.TimeoutMs != nil {
		if a.Timeout == nil || ms(*a.Timeout) != *rt.TimeoutMs {
			diffs = append(diffs, fmt.Sprintf("timeout %v, declared %dms", a.Timeout, *rt.TimeoutMs))
		}
	}
	if rt.Retries != nil {
		if a.Retries != rt.Retries.Attempts {
			diffs = append(diffs, fmt.Sprintf("%d retries, declared %d", a.Retries, rt.Retries.Attempts))
		}
		if rt.Retries.PerTryTimeoutMs != nil && ms(a.PerTry) != *rt.Retries.PerTryTimeoutMs {
			diffs = append(diffs, fmt.Sprintf("per-try timeout %v, declared %dms", a.PerTry, *rt.Retries.PerTryTimeoutMs))
		}
		if len(rt.Retries.RetryOn) > 0 && !sameSet(splitComma(a.RetryOn), rt.Retries.RetryOn, "retriable-status-codes") {
			diffs = append(diffs, fmt.Sprintf("retry on %q, declared %v", a.RetryOn, rt.Retries.RetryOn))
		}
	}
	if ft := rt.Fault; ft != nil && ft.Delay != nil {
		if a.Fault == nil || ms(a.Fault.Delay) != ft.Delay.FixedDelayMs || math.Abs(a.Fault.DelayFraction-ft.Delay.Percentage/100) > 1e-9 {
			diffs = append(diffs, fmt.Sprintf("fault delay %+v, declared %dms on %.4g%%", a.Fault, ft.Delay.FixedDelayMs, ft.Delay.Percentage))
		}
	}
	if rw := rt.Rewrite; rw != nil {
		if rw.URI != nil {
			want := rewrittenIntentPath(rt, req, *rw.URI)
			if gotPath := upstreamPath(a, path); gotPath != want {
				diffs = append(diffs, fmt.Sprintf("upstream path %q, declared rewrite to %q", gotPath, want))
			}
		}
		if rw.URIRegex != nil {
			rx, err := regexp.Compile(rw.URIRegex.Match)
			want := path
			if err == nil {
				want = rx.ReplaceAllString(path, envoySubstitution(rw.URIRegex.Rewrite))
			}
			if gotPath := upstreamPath(a, path); gotPath != want {
				diffs = append(diffs, fmt.Sprintf("upstream path %q, declared regex rewrite gives %q", gotPath, want))
			}
		}
		if rw.Authority != nil && a.HostRewrite != *rw.Authority {
			diffs = append(diffs, fmt.Sprintf("authority %q, declared %q", a.HostRewrite, *rw.Authority))
		}
	}
	if h := rt.RequestHeaders; h != nil {
		for k, v := range h.Set {
			if a.SetHeaders[strings.ToLower(k)] != v {
				diffs = append(diffs, fmt.Sprintf("header %s set to %q, declared %q", k, a.SetHeaders[strings.ToLower(k)], v))
			}
		}
		for k, v := range h.Add {
			if a.AddHeaders[strings.ToLower(k)] != v {
				diffs = append(diffs, fmt.Sprintf("header %s added as %q, declared %q", k, a.AddHeaders[strings.ToLower(k)], v))
			}
		}
		for _, k := range h.Remove {
			if !containsString(a.RemoveHeaders, strings.ToLower(k)) {
				diffs = append(diffs, fmt.Sprintf("header %s not removed", k))
			}
		}
	}
	return strings.Join(diffs, "; ")
}

// rewrittenIntentPath: Istio's rewrite.uri replaces the matched prefix: the declared prefix
// of the match that took the request, the whole path of an exact match, and "/" (every path's
// prefix) for a match without a path condition.
func rewrittenIntentPath(rt *RouteIntent, req httpReq, uri string) string {
	for _, m := range rt.Matches {
		if ok, _ := matchIntent(m, req); !ok {
			continue
		}
		switch {
		case m.Path == nil:
			return uri + strings.TrimPrefix(req.Path, "/")
		case m.Path.Kind == "prefix":
			return uri + strings.TrimPrefix(req.Path, m.Path.Value)
		}
		return uri
	}
	return uri + strings.TrimPrefix(req.Path, "/")
}

// requestOf: what the intent's matches see of a request.
func requestOf(r Request) httpReq {
	out := httpReq{Method: r.Method, Path: r.Path, Headers: map[string]string{}, Query: map[string]string{}, Token: r.Token, TCP: r.TCP}
	if p, q, ok := strings.Cut(r.Path, "?"); ok {
		out.Path = p
		for k, v := range queryOf("?" + q) {
			out.Query[k] = v[0]
		}
	}
	for k, v := range r.Headers {
		out.Headers[strings.ToLower(k)] = v
	}
	return out
}

// upstreamPath: the path Envoy sends upstream after the route's rewrite.
func upstreamPath(a *RouteAction, path string) string {
	switch {
	case a.RegexPattern != "":
		rx, err := regexp.Compile(a.RegexPattern)
		if err != nil {
			return path
		}
		return rx.ReplaceAllString(path, envoySubstitution(a.RegexRewrite))
	case a.PrefixRewrite != "" && a.MatchPrefix != "":
		return a.PrefixRewrite + strings.TrimPrefix(path, a.MatchPrefix)
	case a.PrefixRewrite != "" && a.MatchPath != "":
		return a.PrefixRewrite
	case a.PrefixRewrite != "":
		return a.PrefixRewrite + strings.TrimPrefix(path, "/")
	}
	return path
}

// envoySubstitution turns RE2 substitution groups (\1) into Go's (${1}).
func envoySubstitution(s string) string {
	return regexp.MustCompile(`\\(\d)`).ReplaceAllString(s, `$${$1}`)
}

func gatewayRouteDiff(rt *GatewayRouteIntent, f Flow, path, upstream string) string {
	var diffs []string
	if rt.TimeoutMs != nil && (f.Route.Timeout == nil || ms(*f.Route.Timeout) != *rt.TimeoutMs) {
		diffs = append(diffs, fmt.Sprintf("timeout %v, declared %dms", f.Route.Timeout, *rt.TimeoutMs))
	}
	if upstream != "" {
		if got := upstreamPath(f.Route, path); got != upstream {
			diffs = append(diffs, fmt.Sprintf("upstream path %q, the declared rewrite gives %q", got, upstream))
		}
	}
	return strings.Join(diffs, "; ")
}

func mirrorDiff(want *mirrorIntent, f Flow) string {
	var got []Mirror
	for _, m := range f.Route.Mirrors {
		got = append(got, m)
	}
	if want == nil {
		if len(got) > 0 {
			return fmt.Sprintf("mirrors to %s, none declared", got[0].Cluster)
		}
		return ""
	}
	for _, m := range got {
		parts := strings.Split(m.Cluster, "|")
		sub := ""
		if len(parts) == 4 {
			sub = parts[2]
			if parts[0] == "inbound-vip" {
				_, sub, _ = strings.Cut(parts[2], "/")
			}
			if sub == "" {
				// a version Service (Gateway API): <service>-<version>
				sub = parts[3][:strings.Index(parts[3]+".", ".")]
				sub = sub[strings.LastIndex(sub, "-")+1:]
			}
		}
		if sub == want.Subset && math.Abs(m.Fraction-want.Fraction) < 1e-6 {
			return ""
		}
	}
	return fmt.Sprintf("declared mirror of %.4g%% to %s, Envoy mirrors %v", want.Fraction*100, want.Subset, got)
}

// policyDiff compares the cluster a reached request used with the service's declared traffic
// policy (the version's overrides merged over the service-wide policy).
func policyDiff(svc *ServiceIntent, f Flow) string {
	tp := TrafficPolicyIntent{}
	if svc.TrafficPolicy != nil {
		tp = *svc.TrafficPolicy
	}
	if vp, ok := svc.VersionPolicies[f.Version]; ok {
		if vp.LoadBalancer != nil {
			tp.LoadBalancer = vp.LoadBalancer
		}
		if vp.ConnectionPool != nil {
			tp.ConnectionPool = vp.ConnectionPool
		}
		if vp.OutlierDetection != nil {
			tp.OutlierDetection = vp.OutlierDetection
		}
	}
	cl := f.Cluster
	if !strings.Contains(cl.Name, "|"+svc.Host) && !strings.Contains(cl.Name, "|"+svc.Name+"-") {
		return "" // not the service's cluster (a passthrough)
	}
	var diffs []string
	th := &cluster.CircuitBreakers_Thresholds{}
	if t := cl.GetCircuitBreakers().GetThresholds(); len(t) > 0 {
		th = t[0]
	}
	check := func(what string, want *int, got uint32) {
		if want != nil && uint32(*want) != got {
			diffs = append(diffs, fmt.Sprintf("%s %d, declared %d", what, got, *want))
		}
	}
	if cp := tp.ConnectionPool; cp != nil {
		check("max connections", cp.MaxConnections, th.GetMaxConnections().GetValue())
		check("max pending requests", cp.HTTP1MaxPendingRequests, th.GetMaxPendingRequests().GetValue())
		check("max requests", cp.HTTP2MaxRequests, th.GetMaxRequests().GetValue())
		check("max retries", cp.MaxRetries, th.GetMaxRetries().GetValue())
		if cp.ConnectTimeoutMs != nil && ms(cl.GetConnectTimeout().AsDuration()) != *cp.ConnectTimeoutMs {
			diffs = append(diffs, fmt.Sprintf("connect timeout %v, declared %dms", cl.GetConnectTimeout().AsDuration(), *cp.ConnectTimeoutMs))
		}
		if cp.MaxRequestsPerConnection != nil {
			o := &httpopts.HttpProtocolOptions{}
			if a := cl.GetTypedExtensionProtocolOptions()["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]; a != nil {
				_ = a.UnmarshalTo(o)
			}
			check("max requests per connection", cp.MaxRequestsPerConnection, o.GetCommonHttpProtocolOptions().GetMaxRequestsPerConnection().GetValue())
		}
	}
	if od := tp.OutlierDetection; od != nil {
		o := cl.GetOutlierDetection()
		check("outlier consecutive 5xx", od.Consecutive5xxErrors, o.GetConsecutive_5Xx().GetValue())
		check("outlier max ejection %", od.MaxEjectionPercent, o.GetMaxEjectionPercent().GetValue())
		if od.IntervalMs != nil && ms(o.GetInterval().AsDuration()) != *od.IntervalMs {
			diffs = append(diffs, fmt.Sprintf("outlier interval %v, declared %dms", o.GetInterval().AsDuration(), *od.IntervalMs))
		}
		if od.BaseEjectionTimeMs != nil && ms(o.GetBaseEjectionTime().AsDuration()) != *od.BaseEjectionTimeMs {
			diffs = append(diffs, fmt.Sprintf("base ejection time %v, declared %dms", o.GetBaseEjectionTime().AsDuration(), *od.BaseEjectionTimeMs))
		}
	}
	if lb := tp.LoadBalancer; lb != nil && lb.Simple != "" {
		want := map[string]cluster.Cluster_LbPolicy{"ROUND_ROBIN": cluster.Cluster_ROUND_ROBIN, "LEAST_REQUEST": cluster.Cluster_LEAST_REQUEST, "RANDOM": cluster.Cluster_RANDOM}
		if w, ok := want[lb.Simple]; ok && cl.GetLbPolicy() != w {
			diffs = append(diffs, fmt.Sprintf("load balancer %v, declared %s", cl.GetLbPolicy(), lb.Simple))
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprintf("cluster %s (%s): %s", cl.Name, f.ClusterProxy, strings.Join(diffs, "; "))
}

func splitComma(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// sameSet compares two string sets, ignoring `ignore` in a.
func sameSet(a, b []string, ignore string) bool {
	m := map[string]bool{}
	for _, x := range a {
		if x != ignore {
			m[x] = true
		}
	}
	if len(m) != len(b) {
		return false
	}
	for _, x := range b {
		if !m[x] {
			return false
		}
	}
	return true
}

// SortedCounts lists counters for printing (tests).
func (r Result) SortedCounts() []string {
	var out []string
	for k, v := range r.Counts {
		out = append(out, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(out)
	return out
}
