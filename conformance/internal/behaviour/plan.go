package behaviour

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/xds"
)

// callerKind is how a caller reaches a service.
type callerKind string

const (
	viaSidecar   callerKind = "sidecar"   // its own sidecar routes (client-side L7)
	viaZtunnel   callerKind = "ambient"   // its node's ztunnel: to the service's waypoint, else to a pod
	viaStranger  callerKind = "stranger"  // a mesh identity the program does not declare
	viaPlaintext callerKind = "plaintext" // a pod outside the mesh
	viaGateway   callerKind = "gateway"   // an ingress gateway's route
)

// expectMesh: what a request from a caller to a service's port should do.
func (p *planner) expectMesh(kind callerKind, from *ServiceIntent, id identity, svc *ServiceIntent, port PortIntent, r httpReq) expected {
	out := expected{Outcomes: map[string]float64{}, Service: svc}
	// a per-version Service is a host of its own: a caller's Sidecar lists it only when declared
	if kind == viaSidecar && from != nil && from.EgressScoped && from.Host != svc.declaredHost() && !calls(from, svc.Host) {
		switch p.in.Mesh.OutboundTrafficPolicy {
		case "REGISTRY_ONLY":
			out.Outcomes["blocked"] = 1
			out.Why = fmt.Sprintf("%s does not declare a call to %s (Sidecar egress) and the mesh is REGISTRY_ONLY", from.Name, svc.Name)
			return out
		default:
			// outside the proxy's registry, ALLOW_ANY: plaintext to the Service, no mesh routing
			id.MTLS = false
			kind = viaPlaintext
		}
	}
	key := func(sub string) string {
		if len(svc.Releases) > 0 && svc.Releases[0].ManagedSubsets != nil {
			return "reached subset " + sub
		}
		return "reached " + sub
	}
	auth := func() (Verdict, string) {
		v, why := p.in.expectAuth(svc, p.labelsOf(svc), port, id, r)
		return v, why
	}
	direct := func() expected {
		if svc.Ambient() && svc.WaypointOnly {
			if !id.MTLS {
				if m, by := p.in.mtlsMode(svc.Namespace, p.labelsOf(svc), port.TargetPort); m == "STRICT" {
					out.Outcomes["reset"] = 1
					out.Why = "STRICT mTLS (" + by + ") refuses plaintext"
					return out
				}
			}
			out.Outcomes["denied"] = 1
			out.Why = svc.Name + "'s pods accept its waypoint only"
			return out
		}
		v, why := auth()
		out.Why = why
		if v == Reached {
			out.Outcomes["reached *"] = 1
		} else {
			out.Outcomes[string(v)] = 1
		}
		return out
	}
	routed := func(authFirst bool) expected {
		if port.Protocol == "tcp" || r.TCP {
			v, why := auth()
			out.Why = why
			if v == Reached {
				for sub, f := range defaultShares(svc) {
					out.Outcomes[key(sub)] += f
				}
			} else {
				out.Outcomes[string(v)] = 1
			}
			return out
		}
		if authFirst {
			if v, why := auth(); v != Reached {
				out.Outcomes[string(v)], out.Why = 1, why
				return out
			}
		}
		rt, err := expectRoute(svc, r)
		if err != nil {
			out.Outcomes["unjudged"], out.Why = 1, err.Error()
			return out
		}
		out.Route, out.Mirror = rt.Route, rt.Mirror
		if rt.Redirect {
			out.Outcomes["redirect"], out.Why = 1, "route "+rt.Name+" redirects"
			return out
		}
		rest := 1.0
		if rt.Route != nil && rt.Route.Fault != nil && rt.Route.Fault.Abort != nil {
			a := rt.Route.Fault.Abort.Percentage / 100
			out.Outcomes[fmt.Sprintf("status %d", rt.Route.Fault.Abort.HTTPStatus)] += a
			rest -= a
		}
		v, why := Reached, ""
		if !authFirst {
			v, why = auth()
		}
		out.Why = "route " + rt.Name + "; " + why
		for sub, f := range rt.Shares {
			if v == Reached {
				out.Outcomes[key(sub)] += f * rest
			} else {
				out.Outcomes[string(v)] += f * rest
			}
		}
		return out
	}
	switch {
	case kind == viaPlaintext:
		return direct()
	case kind == viaStranger && svc.Waypoint == "":
		return direct()
	case kind == viaSidecar:
		if svc.Ambient() && svc.WaypointOnly {
			// sidecars call ambient pods directly, not through their waypoint (AMB004 rejects this at synth)
			return direct()
		}
		return routed(false)
	case svc.Waypoint != "": // ambient callers and strangers reach the service through its waypoint
		out.Via = "waypoint " + svc.Namespace + "/" + svc.Waypoint
		return routed(true)
	case kind == viaZtunnel && !svc.Ambient():
		// ztunnel to a sidecar pod: HBONE terminated by the sidecar, which applies server-side policy
		return direct()
	}
	return direct()
}

// labelsOf: the stable version's pod labels (authorization selectors are the service's `app`).
func (p *planner) labelsOf(svc *ServiceIntent) map[string]string {
	if v := svc.Version(svc.StableVersion); v != nil {
		return v.PodLabels
	}
	return svc.Selector
}

// ---- mesh cases: every caller to every service ----

func (p *planner) meshCases() []caseSet {
	var out []caseSet
	type callerSpec struct {
		c    Caller
		kind callerKind
		from *ServiceIntent
		id   identity
	}
	var callers []callerSpec
	for _, s := range p.in.Services {
		c, ok := p.callerFor(s)
		if !ok {
			continue
		}
		kind := viaSidecar
		if c.Workload.Ambient {
			kind = viaZtunnel
		} else if !c.Workload.Injected {
			kind = viaPlaintext
		}
		callers = append(callers, callerSpec{c, kind, s, identity{s.Namespace, s.ServiceAccount, kind != viaPlaintext}})
	}
	// the oracle's client pod of each namespace with routes (a sidecar without a Sidecar resource):
	// any new workload there, which declares nothing and sees every host
	for _, w := range p.env.Workloads {
		if w.Probe && len(w.Pods) > 0 {
			callers = append(callers, callerSpec{Caller{Name: fmt.Sprintf("a new sidecar workload %s/%s", w.Namespace, w.ServiceAccount), Workload: w,
				Namespace: w.Namespace, ServiceAccount: w.ServiceAccount}, viaSidecar, nil, identity{w.Namespace, w.ServiceAccount, true}})
		}
	}
	stranger := identity{"behaviour-stranger", "stranger", true}
	callers = append(callers,
		callerSpec{Caller{Name: "an undeclared mesh workload (behaviour-stranger/stranger)", Namespace: stranger.Namespace, ServiceAccount: stranger.ServiceAccount}, viaStranger, nil, stranger},
		callerSpec{Caller{Name: "a pod outside the mesh (plaintext)", Plaintext: true}, viaPlaintext, nil, identity{}})
	for _, svc := range p.targets() {
		if p.workloadOf(svc, svc.StableVersion) == nil {
			continue // the output runs no pod of it (e.g. a release whose controller is absent)
		}
		for _, port := range svc.Ports {
			for _, cs := range callers {
				if cs.from != nil && cs.from.Host == svc.declaredHost() {
					continue
				}
				set := caseSet{kind: KindAuthz, subject: fmt.Sprintf("%s → %s:%d", cs.c.Name, svc.Name, port.Port)}
				reqs := []httpReq{{Method: "GET", Path: "/", Headers: map[string]string{}, TCP: !port.HTTP()}}
				if port.HTTP() {
					reqs = variants(svc, p.in)
					var withTokens []httpReq
					for _, t := range tokensFor(svc, p.in) {
						for i, r := range reqs {
							if t != nil && i%3 != 0 && !strings.HasPrefix(r.Path, "/api") {
								continue // token variants on a third of the requests and on every /api path
							}
							withTokens = append(withTokens, r.withToken(t))
						}
					}
					reqs = withTokens
				}
				for _, r := range reqs {
					want := p.expectMesh(cs.kind, cs.from, cs.id, svc, port, r)
					kinds := kindsOf(p.in, svc, cs.kind, r, want)
					req := Request{From: cs.c, Host: svc.Host, Port: port.Port, Method: r.Method, Path: pathWithQuery(r), Headers: r.Headers, Token: r.Token, TCP: r.TCP}
					if cs.kind == viaStranger && svc.Waypoint != "" {
						req.From.Workload = nil
						req.viaWaypoint = true
					}
					set.probes = append(set.probes, probe{kinds: kinds, req: req, want: want})
				}
				if cs.kind == viaSidecar && cs.from != nil && cs.from.EgressScoped && !calls(cs.from, svc.Host) {
					set.kind = KindScoping
				}
				out = append(out, set)
			}
		}
	}
	return out
}

// targets are the declared services, and the per-version Services of a service routed with the
// Gateway API (a caller can address `<service>-<version>` directly: the same policies apply, and
// the request reaches that version).
func (p *planner) targets() []*ServiceIntent {
	out := append([]*ServiceIntent(nil), p.in.Services...)
	for _, svc := range p.in.Services {
		for _, vs := range svc.VersionServices {
			v := *svc
			v.Name = vs.Name
			v.Host = fmt.Sprintf("%s.%s.svc.%s", vs.Name, svc.Namespace, p.in.Mesh.ClusterDomain)
			if p.in.Mesh.ClusterDomain == "" {
				v.Host = fmt.Sprintf("%s.%s.svc.cluster.local", vs.Name, svc.Namespace)
			}
			v.StableVersion, v.Routes, v.Releases, v.parent = vs.Version, nil, nil, svc
			out = append(out, &v)
		}
	}
	return out
}

// kindsOf names what a mesh request exercises.
func kindsOf(in *Intent, svc *ServiceIntent, kind callerKind, r httpReq, want expected) []Kind {
	var out []Kind
	if want.Outcomes["blocked"] > 0 {
		return []Kind{KindScoping}
	}
	out = append(out, KindAuthz)
	if r.Token != nil || len(in.JwtProviders) > 0 && strings.HasPrefix(r.Path, "/api") {
		out = append(out, KindJWT)
	}
	if kind == viaPlaintext {
		out = append(out, KindMTLS)
	}
	if want.Route != nil || len(svc.Releases) > 0 || len(r.Headers) > 0 {
		out = append(out, KindRouting)
	}
	if svc.Ambient() {
		out = append(out, KindAmbient)
	}
	return out
}

// ---- gateways ----

// gatewayRouteTable is a host's routes on a gateway, in evaluation order: its own routes with
// matches, its own catch-all, then the any-host routes unless it has a catch-all of its own.
func gatewayRouteTable(g *GatewayIntent, host string) []GatewayRouteIntent {
	ordered := func(h string) []GatewayRouteIntent {
		var m, c []GatewayRouteIntent
		for _, r := range g.Routes {
			if r.Host != h {
				continue
			}
			if r.CatchAll {
				c = append(c, r)
			} else {
				m = append(m, r)
			}
		}
		return append(m, c...)
	}
	own := ordered(host)
	if host == "*" {
		return own
	}
	for _, r := range own {
		if r.CatchAll {
			return own
		}
	}
	return append(own, ordered("*")...)
}

// sampleHost: a concrete host a server host pattern accepts.
func sampleHost(pattern string) string {
	if _, h, ok := strings.Cut(pattern, "/"); ok {
		pattern = h
	}
	switch {
	case pattern == "*":
		return "any-host.behaviour.example"
	case strings.HasPrefix(pattern, "*."):
		return "sub" + pattern[1:]
	}
	return pattern
}

func hostAccepts(pattern, host string) bool {
	if _, h, ok := strings.Cut(pattern, "/"); ok {
		pattern = h
	}
	switch {
	case pattern == "*":
		return true
	case strings.HasPrefix(pattern, "*."):
		return strings.HasSuffix(host, pattern[1:])
	}
	return pattern == host
}

func (p *planner) gatewayCases() []caseSet {
	var out []caseSet
	for _, g := range p.in.Gateways {
		if g.Direction != "ingress" {
			continue
		}
		gw := p.gatewayWorkload(g)
		if gw == nil {
			continue
		}
		id := p.in.Identity(g.Path)
		gid := identity{Namespace: g.Namespace, ServiceAccount: "", MTLS: true}
		if id != nil {
			gid.ServiceAccount = id.ServiceAccount
		} else if gw.ServiceAccount != "" {
			gid.ServiceAccount = gw.ServiceAccount // a gateway installed by someone else: its identity is the pod's
		}
		hosts := map[string]bool{}
		for _, s := range g.Servers {
			for _, h := range s.Hosts {
				hosts[sampleHost(h)] = true
			}
		}
		for _, r := range g.Routes {
			if r.Host != "*" {
				hosts[r.Host] = true // a route's own host (accepted through a wildcard server host)
			}
		}
		hosts["not-served.behaviour.example"] = true
		for _, s := range g.Servers {
			tport := p.gatewayTargetPort(gw, s.Port)
			for _, host := range sortedSet(hosts) {
				set := caseSet{kind: KindGateway, subject: fmt.Sprintf("client → gateway %s/%s %s port %d host %s", g.Namespace, g.Name, s.Protocol, s.Port, host)}
				for _, r := range p.gatewayVariants(g, host) {
					want := p.expectGateway(g, gid, s, host, r)
					req := Request{From: Caller{Name: "a client outside the cluster", Workload: gw}, Host: host, Port: tport, Method: r.Method,
						Path: pathWithQuery(r), Headers: r.Headers, Token: r.Token, TLS: s.Protocol == "HTTPS" || s.Protocol == "TLS", TCP: s.TLSMode == "PASSTHROUGH"}
					kinds := []Kind{KindGateway}
					if r.Token != nil {
						kinds = append(kinds, KindJWT)
					}
					if want.Via != "" {
						kinds = append(kinds, KindAmbient)
					}
					set.probes = append(set.probes, probe{kinds: kinds, req: req, want: want})
				}
				out = append(out, set)
			}
		}
	}
	return out
}

func (p *planner) gatewayWorkload(g *GatewayIntent) *xds.Workload {
	for _, w := range p.env.Workloads {
		if w.Gateway && (!g.Attached && w.Namespace == g.Namespace || g.Attached) && subset(g.Selector, w.Labels) && len(w.Pods) > 0 {
			return w
		}
	}
	return nil
}

// gatewayTargetPort maps a gateway Service port to the container port (the gateway's Service).
func (p *planner) gatewayTargetPort(w *xds.Workload, port int) int {
	for _, s := range p.env.Services {
		if s.Namespace != w.Namespace || len(s.Spec.Selector) == 0 || !subset(s.Spec.Selector, w.Labels) {
			continue
		}
		for _, sp := range s.Spec.Ports {
			if int(sp.Port) == port {
				return int(xds.TargetPort(sp, w.Pods))
			}
		}
	}
	return port
}

func (p *planner) gatewayVariants(g *GatewayIntent, host string) []httpReq {
	paths := map[string]bool{"/": true, "/zz-unlisted": true}
	var headerSets []map[string]string
	for _, rt := range gatewayRouteTable(g, host) {
		for _, m := range rt.Matches {
			if m.Path != nil {
				if v, ok := sampleFor(m.Path); ok {
					paths[strings.TrimSuffix(v, "probe")] = true
				}
			}
		}
		if svc := p.in.Service(rt.ServiceHost); svc != nil {
			for _, rel := range svc.Releases {
				for _, m := range rel.Pinned {
					h := map[string]string{}
					for _, x := range m.Headers {
						if v, ok := sampleFor(x.Match); ok {
							h[strings.ToLower(x.Name)] = v
						}
					}
					if len(h) > 0 {
						headerSets = append(headerSets, h)
					}
				}
			}
		}
	}
	// tokens of the routes' destinations (a valid one, a forged one, ...), on GET requests
	var tokens []*Token
	seen := map[string]bool{}
	for _, rt := range gatewayRouteTable(g, host) {
		if svc := p.in.Service(rt.ServiceHost); svc != nil && !seen[svc.Host] {
			seen[svc.Host] = true
			for _, t := range tokensFor(svc, p.in) {
				if t != nil {
					tokens = append(tokens, t)
				}
			}
		}
	}
	var out []httpReq
	for _, path := range sortedSet(paths) {
		for _, m := range []string{"GET", "POST"} {
			out = append(out, httpReq{Method: m, Path: path, Headers: map[string]string{}, Query: map[string]string{}})
		}
		for _, h := range headerSets {
			out = append(out, httpReq{Method: "GET", Path: path, Headers: h, Query: map[string]string{}})
		}
		for _, t := range tokens {
			out = append(out, httpReq{Method: "GET", Path: path, Headers: map[string]string{}, Query: map[string]string{}, Token: t})
			for _, h := range headerSets {
				out = append(out, httpReq{Method: "GET", Path: path, Headers: h, Query: map[string]string{}, Token: t})
			}
		}
	}
	return out
}

func (p *planner) expectGateway(g *GatewayIntent, gid identity, s GatewayServerIntent, host string, r httpReq) expected {
	out := expected{Outcomes: map[string]float64{}}
	var server *GatewayServerIntent
	for i := range g.Servers {
		x := &g.Servers[i]
		if x.Port != s.Port {
			continue
		}
		for _, h := range x.Hosts {
			if hostAccepts(h, host) && server == nil {
				server = x
			}
		}
	}
	if server == nil {
		if s.Protocol == "HTTPS" || s.Protocol == "TLS" {
			out.Outcomes["reset"], out.Why = 1, "no TLS server of the gateway accepts SNI "+host+": the handshake fails"
			return out
		}
		out.Outcomes["not-found"], out.Why = 1, "no server of the gateway accepts host "+host+" on this port"
		return out
	}
	if server.TLSMode == "PASSTHROUGH" {
		// TLS passed through by SNI needs a TLS route, which gateway routes (HTTP) never are
		out.Outcomes["reset"], out.Why = 1, "a TLS passthrough server without a TLS route for "+host+": nothing accepts the connection"
		return out
	}
	if server.HTTPSRedirect {
		out.Outcomes["redirect"], out.Why = 1, "plain HTTP is redirected to HTTPS"
		return out
	}
	var chosen *GatewayRouteIntent
	var matched *MatchIntent
	for _, rt := range gatewayRouteTable(g, host) {
		rt := rt
		if rt.CatchAll || len(rt.Matches) == 0 {
			chosen = &rt
			break
		}
		for i := range rt.Matches {
			if ok, _ := matchIntent(rt.Matches[i], r); ok {
				chosen, matched = &rt, &rt.Matches[i]
				break
			}
		}
		if chosen != nil {
			break
		}
	}
	if chosen == nil {
		out.Outcomes["not-found"], out.Why = 1, "no gateway route of host "+host+" matches"
		return out
	}
	out.GwRoute = chosen
	svc := p.in.Service(chosen.ServiceHost)
	if svc == nil {
		out.Outcomes["unjudged"], out.Why = 1, "route to "+chosen.ServiceHost+", which the program does not declare"
		return out
	}
	port := svc.Ports[0]
	if chosen.Port != nil {
		if x := svc.Port(*chosen.Port); x != nil {
			port = *x
		}
	}
	inner := r
	upstream := ""
	if chosen.RewritePrefix != nil && matched != nil && matched.Path != nil && matched.Path.Kind == "prefix" {
		// the matched prefix is replaced; a rewrite to "/" does not leave a double slash
		rest := strings.TrimPrefix(r.Path, matched.Path.Value)
		if strings.HasSuffix(*chosen.RewritePrefix, "/") {
			rest = strings.TrimLeft(rest, "/")
		}
		inner.Path = *chosen.RewritePrefix + rest
		upstream = inner.Path
	}
	if svc.Waypoint != "" {
		// istio.io/ingress-use-waypoint: the gateway sends to the waypoint, which applies the service's intent
		want := p.expectMesh(viaGateway, nil, gid, svc, port, inner)
		want.GwRoute = chosen
		want.Route = nil
		return want
	}
	out.Service = svc
	out.UpstreamPath = upstream
	v, why := p.in.expectAuth(svc, p.labelsOf(svc), port, gid, inner)
	out.Why = why
	shares := defaultShares(svc)
	if len(svc.Releases) > 0 {
		rel := svc.Releases[0]
		for _, m := range rel.Pinned {
			if ok, _ := matchIntent(m, r); ok {
				sub := rel.Canary
				if rel.ManagedSubsets != nil {
					sub = rel.ManagedSubsets.Canary
				}
				shares = map[string]float64{sub: 1}
			}
		}
	}
	for sub, f := range shares {
		if v != Reached {
			out.Outcomes[string(v)] += f
			continue
		}
		k := "reached " + sub
		if len(svc.Releases) > 0 && svc.Releases[0].ManagedSubsets != nil {
			k = "reached subset " + sub
		}
		out.Outcomes[k] += f
	}
	return out
}

// ---- egress ----

func (p *planner) egressCases() []caseSet {
	var out []caseSet
	for _, x := range p.in.ExternalServices {
		for _, svc := range p.in.Services {
			c, ok := p.callerFor(svc)
			if !ok {
				continue
			}
			declared := false
			for _, h := range svc.ExternalHosts {
				for _, xh := range x.Hosts {
					declared = declared || h == x.Namespace+"/"+xh
				}
			}
			for _, port := range x.Ports {
				passthrough := port.Protocol == "TLS" || port.Protocol == "HTTPS"
				if port.Protocol != "HTTP" && !(passthrough && c.Workload != nil && c.Workload.Injected) {
					continue // TLS the app opens itself: judged from sidecar callers, whose proxy reads its SNI
				}
				want := expected{Outcomes: map[string]float64{}}
				host := x.Hosts[0]
				switch {
				case !declared && svc.EgressScoped && !c.Workload.Ambient && p.in.Mesh.OutboundTrafficPolicy == "REGISTRY_ONLY":
					want.Outcomes["blocked"], want.Why = 1, svc.Name+" does not declare "+host
				case !declared:
					continue // reachable or not by other rules (ambient callers, unscoped sidecars): not this intent's statement
				default:
					ext := fmt.Sprintf("%s:%d (plaintext)", host, port.Number)
					if x.TLSOrigination != nil && x.TLSOrigination.Port == port.Number {
						ext = fmt.Sprintf("%s:%d (tls sni=%s)", host, x.TLSOrigination.TargetPort, x.TLSOrigination.SNI)
					}
					want.External = ext
					want.Outcomes["external "+ext] = 1
					if g := p.in.Gateway(x.EgressGatewayPath); g != nil {
						want.Through = "gateway " + g.Namespace + "/" + g.Name
					}
					want.Why = "declared external service"
				}
				req := Request{From: c, Host: host, Port: port.Number, Method: "GET", Path: "/v1/charges", Headers: map[string]string{}}
				if passthrough {
					req = Request{From: c, Host: host, Port: port.Number, TCP: true, TLS: true}
				}
				out = append(out, caseSet{kind: KindEgress, subject: fmt.Sprintf("%s → %s:%d", c.Name, host, port.Number),
					probes: []probe{{kinds: []Kind{KindEgress}, req: req, want: want}}})
			}
		}
	}
	return out
}

// ---- metrics scrapes ----

func (p *planner) metricsCases() []caseSet {
	var out []caseSet
	for _, prom := range p.in.Prometheus {
		scraper := p.workloadAt(prom.URL)
		if scraper == nil {
			continue
		}
		for _, svc := range p.in.Services {
			if svc.Metrics == nil || !svc.Ambient() {
				continue // a sidecar serves the app's metrics on its agent's merged endpoint, outside Envoy
			}
			target := p.workloadOf(svc, svc.StableVersion)
			if target == nil {
				continue
			}
			want := expected{Outcomes: map[string]float64{"reached *": 1}, Why: svc.Name + " declares metrics on port " + fmt.Sprint(svc.Metrics.Port) + " and the app has a Prometheus"}
			req := Request{From: Caller{Name: "Prometheus " + scraper.Namespace + "/" + scraper.Name, Workload: scraper}, Host: svc.Host, Port: svc.Metrics.Port,
				Method: "GET", Path: svc.Metrics.Path, Headers: map[string]string{}, Direct: true, DirectLabels: target.Labels}
			out = append(out, caseSet{kind: KindMetrics, subject: fmt.Sprintf("Prometheus scrapes %s:%d%s", svc.Name, svc.Metrics.Port, svc.Metrics.Path),
				probes: []probe{{kinds: []Kind{KindMetrics}, req: req, want: want}}})
		}
	}
	return out
}

// workloadAt: the workload behind an in-cluster URL's Service.
func (p *planner) workloadAt(rawURL string) *xds.Workload {
	h := strings.TrimPrefix(strings.TrimPrefix(rawURL, "http://"), "https://")
	h, _, _ = strings.Cut(h, "/")
	h, _, _ = strings.Cut(h, ":")
	svc := p.env.ServiceOf(h)
	if svc == nil {
		return nil
	}
	var names []string
	for _, w := range p.env.Workloads {
		if w.Namespace == svc.Namespace && len(svc.Spec.Selector) > 0 && subset(svc.Spec.Selector, w.Labels) && len(w.Pods) > 0 {
			names = append(names, w.Name)
		}
	}
	sort.Strings(names)
	for _, w := range p.env.Workloads {
		if len(names) > 0 && w.Name == names[0] && w.Namespace == svc.Namespace {
			return w
		}
	}
	return nil
}
