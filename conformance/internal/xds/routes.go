package xds

import (
	"fmt"
	"strconv"
	"strings"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	networking "istio.io/api/networking/v1alpha3"
	"istio.io/istio/pkg/config"
)

// expectedCluster is the Envoy cluster name pilot must route a destination to:
// outbound|port|subset|host, the port being the destination's, else the host's only
// port, else the listener port.
func expectedCluster(d *networking.Destination, vsNS string, hosts map[string]*Host, listenPort int) string {
	h := fqdn(d.Host, vsNS)
	port := int(d.GetPort().GetNumber())
	if port == 0 {
		if hh, ok := hosts[h]; ok && len(hh.Ports) == 1 {
			port = hh.Ports[0].Number
		} else {
			port = listenPort
		}
	}
	return fmt.Sprintf("outbound|%d|%s|%s", port, d.Subset, h)
}

// routeProblems compares one translated Envoy route with the VirtualService HTTP
// route (and match condition) it came from; it returns what did not reach Envoy,
// and the destination clusters the route sends traffic to.
func routeProblems(got *route.Route, in *networking.HTTPRoute, m *networking.HTTPMatchRequest, vs config.Config,
	hosts map[string]*Host, listenPort int,
) (problems []string, clusters []string) {
	bad := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }
	// match
	if m != nil {
		if m.Uri != nil {
			switch u := m.Uri.MatchType.(type) {
			case *networking.StringMatch_Prefix:
				if got.GetMatch().GetPrefix() != u.Prefix && got.GetMatch().GetPathSeparatedPrefix() != strings.TrimSuffix(u.Prefix, "/") {
					bad("uri prefix %q not matched (Envoy match %v)", u.Prefix, got.GetMatch().GetPathSpecifier())
				}
			case *networking.StringMatch_Exact:
				if got.GetMatch().GetPath() != u.Exact {
					bad("uri exact %q not matched", u.Exact)
				}
			case *networking.StringMatch_Regex:
				if got.GetMatch().GetSafeRegex().GetRegex() != u.Regex {
					bad("uri regex %q not matched", u.Regex)
				}
			}
		}
		for name, sm := range m.Headers {
			var hm *route.HeaderMatcher
			for _, h := range got.GetMatch().GetHeaders() {
				if h.Name == name {
					hm = h
				}
			}
			if hm == nil {
				bad("header match %q missing", name)
				continue
			}
			if sm == nil || sm.MatchType == nil {
				// an empty StringMatch declares "header present" (pilot: present_match)
				if !hm.GetPresentMatch() {
					bad("header match %q: declared presence, Envoy %v", name, hm.GetHeaderMatchSpecifier())
				}
				continue
			}
			if !stringMatchEqual(sm, hm.GetStringMatch()) {
				bad("header match %q: declared %v, Envoy %v", name, sm, hm.GetStringMatch())
			}
		}
	}
	// destinations
	var want []*networking.HTTPRouteDestination
	for _, d := range in.Route {
		if len(in.Route) == 1 || d.Weight != 0 {
			want = append(want, d)
		}
	}
	if in.Redirect == nil && in.DirectResponse == nil {
		act := got.GetRoute()
		if act == nil {
			bad("no route action (got %T)", got.GetAction())
			return
		}
		if len(in.Route) == 1 {
			name := expectedCluster(in.Route[0].Destination, vs.Namespace, hosts, listenPort)
			clusters = append(clusters, name)
			if act.GetCluster() != name {
				bad("routes to %q, declared %q", act.GetCluster(), name)
			}
		} else {
			wc := act.GetWeightedClusters().GetClusters()
			if len(wc) != len(want) {
				bad("%d weighted clusters, declared %d non-zero destinations", len(wc), len(want))
			} else {
				for i, d := range want {
					name := expectedCluster(d.Destination, vs.Namespace, hosts, listenPort)
					clusters = append(clusters, name)
					if wc[i].Name != name || wc[i].GetWeight().GetValue() != uint32(d.Weight) {
						bad("weighted cluster %d is %s=%d, declared %s=%d", i, wc[i].Name, wc[i].GetWeight().GetValue(), name, d.Weight)
					}
				}
			}
		}
		// timeout
		if in.Timeout != nil && !durEqual(act.GetTimeout(), in.Timeout) {
			bad("timeout %v, declared %v", act.GetTimeout().AsDuration(), in.Timeout.AsDuration())
		}
		// retries
		if r := in.Retries; r != nil {
			rp := act.GetRetryPolicy()
			switch {
			case r.Attempts <= 0 && rp != nil:
				bad("retries disabled but Envoy retries %d times", rp.GetNumRetries().GetValue())
			case r.Attempts > 0 && rp == nil:
				bad("no retry policy, declared %d attempts", r.Attempts)
			case r.Attempts > 0:
				if rp.GetNumRetries().GetValue() != uint32(r.Attempts) {
					bad("retries %d, declared %d", rp.GetNumRetries().GetValue(), r.Attempts)
				}
				if r.PerTryTimeout != nil && !durEqual(rp.GetPerTryTimeout(), r.PerTryTimeout) {
					bad("perTryTimeout %v, declared %v", rp.GetPerTryTimeout().AsDuration(), r.PerTryTimeout.AsDuration())
				}
				gotOn := map[string]bool{}
				for _, x := range strings.Split(rp.GetRetryOn(), ",") {
					gotOn[x] = true
				}
				for _, x := range strings.Split(r.RetryOn, ",") {
					x = strings.TrimSpace(x)
					if x == "" {
						continue
					}
					if code, err := strconv.Atoi(x); err == nil {
						found := false
						for _, c := range rp.GetRetriableStatusCodes() {
							found = found || int(c) == code
						}
						if !found {
							bad("retriable status %d missing", code)
						}
					} else if !gotOn[x] {
						bad("retryOn %q missing (Envoy %q)", x, rp.GetRetryOn())
					}
				}
			}
		}
	}
	// fault injection
	if f := in.Fault; f != nil {
		anyCfg := got.GetTypedPerFilterConfig()["envoy.filters.http.fault"]
		hf := &faultv3.HTTPFault{}
		if anyCfg == nil || anyCfg.UnmarshalTo(hf) != nil {
			bad("no envoy.filters.http.fault config on the route")
		} else {
			if d := f.Delay; d != nil {
				if hf.GetDelay() == nil {
					bad("fault delay missing")
				} else {
					if fd := d.GetFixedDelay(); fd != nil && !durEqual(hf.GetDelay().GetFixedDelay(), fd) {
						bad("fault delay %v, declared %v", hf.GetDelay().GetFixedDelay().AsDuration(), fd.AsDuration())
					}
					if d.Percentage != nil && !percentEqual(hf.GetDelay().GetPercentage().GetNumerator(), hf.GetDelay().GetPercentage().GetDenominator().String(), d.Percentage.Value) {
						bad("fault delay percentage %v, declared %v%%", hf.GetDelay().GetPercentage(), d.Percentage.Value)
					}
				}
			}
			if a := f.Abort; a != nil {
				if hf.GetAbort() == nil {
					bad("fault abort missing")
				} else {
					if s := a.GetHttpStatus(); s != 0 && hf.GetAbort().GetHttpStatus() != uint32(s) {
						bad("fault abort status %d, declared %d", hf.GetAbort().GetHttpStatus(), s)
					}
					if a.Percentage != nil && !percentEqual(hf.GetAbort().GetPercentage().GetNumerator(), hf.GetAbort().GetPercentage().GetDenominator().String(), a.Percentage.Value) {
						bad("fault abort percentage %v, declared %v%%", hf.GetAbort().GetPercentage(), a.Percentage.Value)
					}
				}
			}
		}
	}
	if in.Redirect != nil && got.GetRedirect() == nil {
		bad("declared redirect missing")
	}
	if in.Rewrite != nil && in.Rewrite.Uri != "" && got.GetRoute().GetPrefixRewrite() != in.Rewrite.Uri && got.GetRoute().GetRegexRewrite() == nil {
		bad("uri rewrite %q missing", in.Rewrite.Uri)
	}
	return problems, clusters
}

func percentEqual(num uint32, denom string, pct float64) bool {
	scale := map[string]float64{"HUNDRED": 100, "TEN_THOUSAND": 10000, "MILLION": 1000000}[denom]
	if scale == 0 {
		return false
	}
	got := float64(num) * 100 / scale
	d := got - pct
	return d < 1e-6 && d > -1e-6
}

func durEqual(a, b *durationpb.Duration) bool {
	return a.AsDuration() == b.AsDuration()
}

func stringMatchEqual(in *networking.StringMatch, got *matcher.StringMatcher) bool {
	switch m := in.MatchType.(type) {
	case *networking.StringMatch_Exact:
		return got.GetExact() == m.Exact
	case *networking.StringMatch_Prefix:
		return got.GetPrefix() == m.Prefix
	case *networking.StringMatch_Regex:
		return got.GetSafeRegex().GetRegex() == m.Regex
	}
	return got != nil
}

// findVirtualHost finds the virtual host serving host in a route configuration.
func findVirtualHost(rc *route.RouteConfiguration, host string) *route.VirtualHost {
	for _, vh := range rc.GetVirtualHosts() {
		for _, d := range vh.Domains {
			if d == host || strings.TrimSuffix(d, ":*") == host {
				return vh
			}
		}
	}
	return nil
}

// expectedRoutes lists, in order, the (route, match) pairs of a VirtualService that
// apply to a proxy on a gateway ("mesh" for sidecars) and listener port.
type routeMatch struct {
	route *networking.HTTPRoute
	match *networking.HTTPMatchRequest
	index int
}

func expectedRoutes(vs *networking.VirtualService, ns, gw string, port int, labels map[string]string, proxyNS string) []routeMatch {
	var out []routeMatch
	for i, r := range vs.Http {
		if len(r.Match) == 0 {
			out = append(out, routeMatch{r, nil, i})
			continue
		}
		for _, m := range r.Match {
			if matchApplies(m, ns, gw, port, labels, proxyNS) {
				out = append(out, routeMatch{r, m, i})
			}
		}
	}
	return out
}

// checkVirtualHost asserts every applicable route of vs reached the virtual host,
// in order. It returns the problems and the clusters the routes target with a
// non-zero weight.
func checkVirtualHost(vh *route.VirtualHost, vsCfg config.Config, want []routeMatch, hosts map[string]*Host, port int) ([]string, []string) {
	var problems, clusters []string
	if len(vh.Routes) < len(want) {
		problems = append(problems, fmt.Sprintf("virtual host %s has %d routes, the VirtualService declares %d", vh.Name, len(vh.Routes), len(want)))
		return problems, nil
	}
	for i, rm := range want {
		got := vh.Routes[i]
		label := fmt.Sprintf("http[%d]", rm.index)
		if rm.route.Name != "" {
			label += " " + rm.route.Name
		}
		p, c := routeProblems(got, rm.route, rm.match, vsCfg, hosts, port)
		for _, x := range p {
			problems = append(problems, label+": "+x)
		}
		clusters = append(clusters, c...)
	}
	return problems, clusters
}
