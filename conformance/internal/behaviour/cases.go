package behaviour

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/xds"
)

// The requests derived from the intent and what each should do. A case is one intent statement
// ("user-service admits order-service: GET /users", "10% of order-service's requests reach
// v2", "/api requires a token", "undeclared hosts are not reachable") sent as a set of
// concrete requests; it passes when every request ends as the intent says.

// Kind names what part of the intent a case exercises (the report counts cases by kind).
type Kind string

const (
	KindAuthz   Kind = "authz"   // allowFrom, deny-by-default, methods, paths, DENY rules
	KindJWT     Kind = "jwt"     // RequestAuthentication and requireJwt
	KindMTLS    Kind = "mtls"    // STRICT / PERMISSIVE per port
	KindRouting Kind = "routing" // matches, weights, pins, redirects, rewrites, timeouts, retries, faults, mirrors
	KindPolicy  Kind = "policy"  // circuit breakers, load balancing, outlier detection
	KindScoping Kind = "scoping" // Sidecar egress: declared reachable, undeclared not
	KindGateway Kind = "gateway" // ingress hosts, TLS, routes
	KindEgress  Kind = "egress"  // external services, egress gateway, TLS origination
	KindAmbient Kind = "ambient" // ztunnel L4, waypoint L7, waypoint-only guards, ingress through the waypoint
	KindMetrics Kind = "metrics" // Prometheus scrapes the app's metrics endpoint
)

// expected is what one request should do: the share of each outcome ("reached v1",
// "denied", "401", ...) and, for reached requests, what the deciding route applies.
type expected struct {
	Outcomes map[string]float64
	Why      string
	Route    *RouteIntent // a declared route whose actions (timeout, retries, ...) reach Envoy
	GwRoute  *GatewayRouteIntent
	Mirror   *mirrorIntent
	Service  *ServiceIntent // the service a reached request lands on
	Via      string         // a proxy the reached flows must pass ("waypoint shop/waypoint")
	External string         // egress: "host:port (tls sni=...)" the request must reach
	Through  string         // egress: the gateway the request must pass
	// UpstreamPath: the path a gateway route's rewrite sends upstream ("" without a rewrite).
	UpstreamPath string
}

type probe struct {
	kinds []Kind
	req   Request
	want  expected
}

// caseSet is one assertion: requests for one intent statement.
type caseSet struct {
	kind    Kind
	subject string
	probes  []probe
}

// outcomeKey names a flow's outcome for comparison with the expectation.
func outcomeKey(f Flow, keyBySubset bool) string {
	v := verdictOf(f)
	switch v {
	case Reached:
		if f.External != "" {
			return "external " + f.External
		}
		if keyBySubset {
			return "reached subset " + f.Subset
		}
		return "reached " + f.Version
	case Redirect:
		return "redirect"
	}
	if f.Status != 0 && v != Denied && v != NoToken && v != Blocked && v != NotFound {
		return fmt.Sprintf("status %d", f.Status)
	}
	return string(v)
}

// distribution aggregates flows into outcome shares.
func distribution(flows []Flow, keyBySubset bool) map[string]float64 {
	out := map[string]float64{}
	for _, f := range flows {
		out[outcomeKey(f, keyBySubset)] += f.Fraction
	}
	for k, v := range out {
		if v < 1e-9 {
			delete(out, k)
		}
	}
	return out
}

func sameShares(a, b map[string]float64) bool {
	keys := map[string]bool{}
	for k, v := range a {
		if v > 1e-9 {
			keys[k] = true
		}
	}
	for k, v := range b {
		if v > 1e-9 {
			keys[k] = true
		}
	}
	for k := range keys {
		if math.Abs(a[k]-b[k]) > 1e-6 {
			return false
		}
	}
	return true
}

func formatShares(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v > 1e-9 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if math.Abs(m[k]-1) < 1e-9 {
			parts = append(parts, k)
		} else {
			parts = append(parts, fmt.Sprintf("%s %.4g%%", k, m[k]*100))
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// ---- the planner: from the intent to cases ----

type planner struct {
	in  *Intent
	env *xds.Env
	e   *engine
}

// callerOf returns the workload of a declared service's stable version, if the output has it.
func (p *planner) workloadOf(svc *ServiceIntent, version string) *xds.Workload {
	v := svc.Version(version)
	for _, w := range p.env.Workloads {
		if w.Probe || w.Gateway || w.Waypoint || w.Namespace != svc.Namespace || len(w.Pods) == 0 {
			continue
		}
		if v != nil && subset(map[string]string{"app": svc.Selector["app"], "version": v.Name}, w.Labels) {
			return w
		}
	}
	// a release driven by a controller runs its versions in one workload
	for _, w := range p.env.Workloads {
		if !w.Probe && !w.Gateway && !w.Waypoint && w.Namespace == svc.Namespace && len(w.Pods) > 0 && subset(svc.Selector, w.Labels) {
			return w
		}
	}
	return nil
}

func (p *planner) callerFor(svc *ServiceIntent) (Caller, bool) {
	w := p.workloadOf(svc, svc.StableVersion)
	if w == nil {
		return Caller{}, false
	}
	return Caller{Name: fmt.Sprintf("%s (%s)", svc.Name, svc.DataPlane), Workload: w, Namespace: svc.Namespace, ServiceAccount: svc.ServiceAccount}, true
}

// calls reports whether svc declares a call to host (dependsOn or an allowFrom edge).
func calls(svc *ServiceIntent, host string) bool {
	for _, c := range svc.Calls {
		if c.Host == host {
			return true
		}
	}
	return false
}

// probeHeaders returns request variants for a service's HTTP port: paths, methods, headers
// from its routes, release pins and authorization rules.
func variants(svc *ServiceIntent, in *Intent) []httpReq {
	paths := map[string]bool{"/": true, "/zz-unlisted": true}
	methods := map[string]bool{"GET": true, "POST": true}
	var headerSets []map[string]string
	var querySets []map[string]string
	addMatch := func(m MatchIntent) {
		if m.Path != nil {
			if v, ok := sampleFor(m.Path); ok {
				if m.Path.Kind == "prefix" {
					paths[strings.TrimSuffix(v, "probe")] = true
					paths[strings.TrimSuffix(m.Path.Value, "/")+"/sub"] = true
				} else {
					paths[v] = true
				}
			}
		}
		if m.Method != "" {
			methods[m.Method] = true
		}
		h := map[string]string{}
		for _, x := range m.Headers {
			if v, ok := sampleFor(x.Match); ok {
				h[strings.ToLower(x.Name)] = v
			}
		}
		if len(h) > 0 {
			headerSets = append(headerSets, h)
		}
		q := map[string]string{}
		for _, x := range m.QueryParams {
			if v, ok := sampleFor(x.Match); ok {
				q[x.Name] = v
			}
		}
		if len(q) > 0 {
			querySets = append(querySets, q)
		}
	}
	for _, r := range svc.Routes {
		for _, m := range r.Matches {
			addMatch(m)
		}
	}
	for _, rel := range svc.Releases {
		for _, m := range rel.Pinned {
			addMatch(m)
		}
	}
	for _, pol := range in.AuthorizationPolicies {
		if pol.Namespace != svc.Namespace || (pol.Selector != nil && !subset(pol.Selector, svc.Selector)) {
			continue
		}
		for _, rule := range pol.Rules {
			if rule.Operation == nil {
				continue
			}
			for _, m := range rule.Operation.Methods {
				methods[m] = true
			}
			for _, x := range rule.Operation.Paths {
				switch {
				case strings.HasSuffix(x, "/*"):
					paths[strings.TrimSuffix(x, "*")+"item"] = true
					paths[strings.TrimSuffix(x, "/*")] = true
				case strings.HasPrefix(x, "*"):
					paths["/any"+strings.TrimPrefix(x, "*")] = true
				case x != "*":
					paths[x] = true
				}
			}
		}
	}
	var out []httpReq
	for _, path := range sortedSet(paths) {
		for _, m := range sortedSet(methods) {
			out = append(out, httpReq{Method: m, Path: path, Headers: map[string]string{}, Query: map[string]string{}})
		}
	}
	for _, h := range headerSets {
		for _, path := range []string{"/"} {
			out = append(out, httpReq{Method: "GET", Path: path, Headers: h, Query: map[string]string{}})
		}
	}
	for _, q := range querySets {
		out = append(out, httpReq{Method: "GET", Path: "/", Headers: map[string]string{}, Query: q})
	}
	return out
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// tokensFor returns the token variants for requests to svc: none, a valid token of each
// provider that applies to it (with the claims its requirements ask for), a token of an
// issuer nobody trusts, and a forged one.
func tokensFor(svc *ServiceIntent, in *Intent) []*Token {
	out := []*Token{nil}
	var applicable []JwtProviderIntent
	for _, p := range in.JwtProviders {
		if (p.Scope == "workload" && p.Namespace == svc.Namespace && subset(p.Selector, svc.Selector)) ||
			(p.Scope != "workload" && (p.Namespace == svc.Namespace || p.Namespace == in.Mesh.RootNamespace)) {
			applicable = append(applicable, p)
		}
	}
	if len(applicable) == 0 {
		return out
	}
	claims := map[string]any{}
	for _, pol := range in.AuthorizationPolicies {
		if pol.Namespace != svc.Namespace || !subset(pol.Selector, svc.Selector) {
			continue
		}
		for _, rule := range pol.Rules {
			for _, w := range rule.When {
				if c, ok := strings.CutPrefix(w.Key, "request.auth.claims["); ok && len(w.NotValues) > 0 {
					claims[strings.TrimSuffix(c, "]")] = []any{w.NotValues[0]}
				}
			}
		}
	}
	for _, p := range applicable {
		aud := p.Audiences
		if len(aud) > 1 {
			aud = aud[:1]
		}
		out = append(out, &Token{Issuer: p.Issuer, Subject: "user-1", Audiences: aud, Claims: claims, Signed: true, KeysURI: p.JwksURI})
		if len(claims) > 0 {
			out = append(out, &Token{Issuer: p.Issuer, Subject: "user-2", Audiences: aud, Signed: true, KeysURI: p.JwksURI}) // without the required claims
		}
		out = append(out, &Token{Issuer: p.Issuer, Subject: "user-1", Audiences: aud, Claims: claims, Signed: false, KeysURI: p.JwksURI})
		if len(p.Audiences) > 0 {
			out = append(out, &Token{Issuer: p.Issuer, Subject: "user-1", Audiences: []string{"another-audience"}, Claims: claims, Signed: true, KeysURI: p.JwksURI})
		}
	}
	out = append(out, &Token{Issuer: "https://issuer.not-trusted.example", Subject: "user-1", Signed: true})
	return out
}

func (r httpReq) withToken(t *Token) httpReq {
	r.Token = t
	return r
}

// pathWithQuery renders a request path with its query parameters.
func pathWithQuery(r httpReq) string {
	if len(r.Query) == 0 {
		return r.Path
	}
	v := url.Values{}
	for k, x := range r.Query {
		v.Set(k, x)
	}
	return r.Path + "?" + v.Encode()
}
