package behaviour

import (
	"fmt"
	"strings"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
)

// Envoy's route selection within a virtual host (the first route whose match fits: path
// specifier, headers, query parameters, case sensitivity) and what the selected route does, for
// the request attributes the behaviour stage varies. pilot's simulation package selects the
// listener, filter chain and virtual host; its route matching looks at the path only, so the
// route itself is chosen here.

// routeMatchMatches evaluates an Envoy RouteMatch on request headers (lower-case names, with
// :path including the query string, :method, :authority).
func routeMatchMatches(m *route.RouteMatch, headers map[string]string) (bool, error) {
	if m == nil {
		return true, nil
	}
	full := headers[":path"]
	path := full
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	cs := m.GetCaseSensitive() == nil || m.GetCaseSensitive().GetValue()
	fold := func(s string) string {
		if cs {
			return s
		}
		return strings.ToLower(s)
	}
	switch p := m.PathSpecifier.(type) {
	case *route.RouteMatch_Prefix:
		if !strings.HasPrefix(fold(path), fold(p.Prefix)) {
			return false, nil
		}
	case *route.RouteMatch_Path:
		if fold(path) != fold(p.Path) {
			return false, nil
		}
	case *route.RouteMatch_PathSeparatedPrefix:
		pre := fold(strings.TrimSuffix(p.PathSeparatedPrefix, "/"))
		if fold(path) != pre && !strings.HasPrefix(fold(path), pre+"/") {
			return false, nil
		}
	case *route.RouteMatch_SafeRegex:
		ok, err := fullMatch(p.SafeRegex.GetRegex(), path)
		if err != nil || !ok {
			return false, err
		}
	case nil:
	default:
		return false, fmt.Errorf("unsupported route path specifier %T", m.PathSpecifier)
	}
	for _, h := range m.GetHeaders() {
		ok, err := headerMatches(h, headers)
		if err != nil || !ok {
			return false, err
		}
	}
	if len(m.GetQueryParameters()) > 0 {
		q := queryOf(full)
		for _, qp := range m.GetQueryParameters() {
			vals, present := q[qp.GetName()]
			switch s := qp.QueryParameterMatchSpecifier.(type) {
			case *route.QueryParameterMatcher_PresentMatch:
				if present != s.PresentMatch {
					return false, nil
				}
			case *route.QueryParameterMatcher_StringMatch:
				if !present {
					return false, nil
				}
				ok, err := stringMatches(s.StringMatch, vals[0])
				if err != nil || !ok {
					return false, err
				}
			default:
				if !present {
					return false, nil
				}
			}
		}
	}
	if m.GetRuntimeFraction() != nil || m.GetGrpc() != nil || len(m.GetDynamicMetadata()) > 0 || m.GetTlsContext() != nil {
		return false, fmt.Errorf("route match on runtime fraction, gRPC, metadata or TLS context is not evaluated")
	}
	return true, nil
}

// SelectRoute returns the first route of a virtual host that matches the request, or nil.
func SelectRoute(vh *route.VirtualHost, headers map[string]string) (*route.Route, error) {
	for _, r := range vh.GetRoutes() {
		ok, err := routeMatchMatches(r.GetMatch(), headers)
		if err != nil {
			return nil, fmt.Errorf("route %q: %w", r.GetName(), err)
		}
		if ok {
			return r, nil
		}
	}
	return nil, nil
}

// Backend is one cluster a route sends to, with its share of the route's requests.
type Backend struct {
	Cluster  string
	Fraction float64
}

// RouteAction is what the selected route does with a request.
type RouteAction struct {
	Name string
	// MatchPrefix is the route's path prefix (what prefix_rewrite replaces), "" for other matches.
	MatchPrefix string
	MatchPath   string
	Backends    []Backend // empty for redirects and direct responses
	// Redirect: status (301 by default) and the parts Envoy rewrites.
	Redirect *route.RedirectAction
	// DirectResponse status, 0 when none.
	DirectStatus uint32
	Timeout      *time.Duration // nil: Envoy's default (15s); 0: none
	Retries      int
	PerTry       time.Duration
	RetryOn      string
	Mirrors      []Mirror
	// Fault injected by the route's envoy.filters.http.fault config, when set.
	Fault *Fault
	// Request header edits: set (overwrite), add (append), remove.
	SetHeaders    map[string]string
	AddHeaders    map[string]string
	RemoveHeaders []string
	PrefixRewrite string
	RegexRewrite  string
	RegexPattern  string
	HostRewrite   string
}

// Mirror is a shadow target of a route.
type Mirror struct {
	Cluster  string
	Fraction float64
}

// ActionOf reads a route's action.
func ActionOf(r *route.Route) RouteAction {
	a := RouteAction{Name: r.GetName(), Fault: faultOf(r), MatchPrefix: r.GetMatch().GetPrefix(), MatchPath: r.GetMatch().GetPath()}
	if p := r.GetMatch().GetPathSeparatedPrefix(); p != "" {
		a.MatchPrefix = p
	}
	a.SetHeaders, a.AddHeaders, a.RemoveHeaders = headerOpsOf(r)
	if rd := r.GetRedirect(); rd != nil {
		a.Redirect = rd
		return a
	}
	if dr := r.GetDirectResponse(); dr != nil {
		a.DirectStatus = dr.GetStatus()
		return a
	}
	ra := r.GetRoute()
	if ra == nil {
		return a
	}
	if c := ra.GetCluster(); c != "" {
		a.Backends = []Backend{{Cluster: c, Fraction: 1}}
	}
	if wc := ra.GetWeightedClusters(); wc != nil {
		total := uint32(0)
		for _, c := range wc.GetClusters() {
			total += c.GetWeight().GetValue()
		}
		for _, c := range wc.GetClusters() {
			f := 0.0
			if total > 0 {
				f = float64(c.GetWeight().GetValue()) / float64(total)
			}
			a.Backends = append(a.Backends, Backend{Cluster: c.GetName(), Fraction: f})
		}
	}
	if ra.Timeout != nil {
		d := ra.Timeout.AsDuration()
		a.Timeout = &d
	}
	if rp := ra.GetRetryPolicy(); rp != nil {
		a.Retries = int(rp.GetNumRetries().GetValue())
		if rp.NumRetries == nil {
			a.Retries = 1 // Envoy's default when a retry policy is set
		}
		a.PerTry = rp.GetPerTryTimeout().AsDuration()
		a.RetryOn = rp.GetRetryOn()
	}
	for _, m := range ra.GetRequestMirrorPolicies() {
		f := 1.0
		if rf := m.GetRuntimeFraction(); rf != nil {
			f = fractionOf(rf.GetDefaultValue().GetNumerator(), rf.GetDefaultValue().GetDenominator().String())
		}
		a.Mirrors = append(a.Mirrors, Mirror{Cluster: m.GetCluster(), Fraction: f})
	}
	a.PrefixRewrite = ra.GetPrefixRewrite()
	a.RegexRewrite = ra.GetRegexRewrite().GetSubstitution()
	a.RegexPattern = ra.GetRegexRewrite().GetPattern().GetRegex()
	a.HostRewrite = ra.GetHostRewriteLiteral()
	return a
}

// fractionOf converts an Envoy FractionalPercent to a fraction of 1.
func fractionOf(num uint32, denominator string) float64 {
	switch denominator {
	case "TEN_THOUSAND":
		return float64(num) / 10000
	case "MILLION":
		return float64(num) / 1000000
	}
	return float64(num) / 100
}

// Fault is the fault a route injects: an abort with a status and/or a fixed delay, each on a
// fraction of the requests.
type Fault struct {
	AbortStatus   uint32
	AbortFraction float64
	Delay         time.Duration
	DelayFraction float64
}

func faultOf(r *route.Route) *Fault {
	a := r.GetTypedPerFilterConfig()["envoy.filters.http.fault"]
	if a == nil {
		return nil
	}
	f := &faultv3.HTTPFault{}
	if a.UnmarshalTo(f) != nil {
		return nil
	}
	out := &Fault{}
	if ab := f.GetAbort(); ab != nil {
		out.AbortStatus = ab.GetHttpStatus()
		out.AbortFraction = fractionOf(ab.GetPercentage().GetNumerator(), ab.GetPercentage().GetDenominator().String())
	}
	if d := f.GetDelay(); d != nil {
		out.Delay = d.GetFixedDelay().AsDuration()
		out.DelayFraction = fractionOf(d.GetPercentage().GetNumerator(), d.GetPercentage().GetDenominator().String())
	}
	return out
}

func headerOpsOf(r *route.Route) (set, add map[string]string, remove []string) {
	set, add = map[string]string{}, map[string]string{}
	for _, h := range r.GetRequestHeadersToAdd() {
		k, v := strings.ToLower(h.GetHeader().GetKey()), h.GetHeader().GetValue()
		switch h.GetAppendAction() {
		case core.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD, core.HeaderValueOption_OVERWRITE_IF_EXISTS:
			set[k] = v
		default:
			if h.GetAppend() != nil && !h.GetAppend().GetValue() {
				set[k] = v
			} else {
				add[k] = v
			}
		}
	}
	for _, k := range r.GetRequestHeadersToRemove() {
		remove = append(remove, strings.ToLower(k))
	}
	return set, add, remove
}
