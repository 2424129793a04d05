package behaviour

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	jwtauthn "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	rbachttp "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	rbacnet "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	tcpproxy "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pkg/workloadapi"
	"istio.io/istio/pkg/workloadapi/security"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/xds"
)

// The path engine: one request sent from a caller, hop by hop through the configuration pilot
// generates for each proxy on its way (and ztunnel's policies), to the pod that answers it or
// the hop that stops it. A route that splits traffic splits the request into flows, each with
// its fraction of the requests.

// Caller is who sends a request.
type Caller struct {
	Name string
	// Workload is the pod that sends (nil: a client outside the cluster's mesh workloads).
	Workload *xds.Workload
	// Namespace and ServiceAccount: the identity (mTLS) of a mesh caller without a workload of
	// its own in the output (a workload the program does not declare).
	Namespace, ServiceAccount string
	// Plaintext: a pod outside the mesh (no sidecar, not captured by ztunnel).
	Plaintext bool
}

// Request is one HTTP request (or TCP connection when TCP is set).
type Request struct {
	From    Caller
	Host    string // the host the caller addresses (Service or external host; gateway: the Host header)
	Port    int    // the port the caller addresses
	Method  string
	Path    string
	Headers map[string]string
	Token   *Token
	TCP     bool
	// TLS: the client opens TLS itself (a gateway's HTTPS server; with TCP, an external TLS
	// service the sidecar passes through), with SNI = Host.
	TLS bool
	// Direct: address the pod (the first pod of the Service's workloads matching DirectLabels) on
	// Port instead of the Service (metrics scrapes).
	Direct       bool
	DirectLabels map[string]string
	// viaWaypoint: a mesh caller without a workload of its own reaches the service the way an
	// ambient pod would (through the service's waypoint).
	viaWaypoint bool
}

func (r Request) String() string {
	var b strings.Builder
	if r.TCP {
		kind := "TCP"
		if r.TLS {
			kind = "TLS"
		}
		fmt.Fprintf(&b, "%s %s:%d", kind, r.Host, r.Port)
	} else {
		scheme := "http"
		if r.TLS {
			scheme = "https"
		}
		fmt.Fprintf(&b, "%s %s://%s:%d%s", r.Method, scheme, r.Host, r.Port, r.Path)
	}
	keys := make([]string, 0, len(r.Headers))
	for k := range r.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s:%s", k, r.Headers[k])
	}
	if r.Token != nil {
		t := "token(iss=" + r.Token.Issuer
		if !r.Token.Signed {
			t += ", forged"
		}
		b.WriteString(" " + t + ")")
	}
	return fmt.Sprintf("%s from %s", b.String(), r.From.Name)
}

// Flow is one branch of a request's journey and how it ends.
type Flow struct {
	Fraction float64
	// Status: 200 when an application pod answers; an Envoy local reply (403, 401, 404, 301,
	// 502, 503); 0 when the connection is reset or refused.
	Status int
	Detail string
	// Pod that answered (Status 200), its version label and the subset the route chose.
	Pod     *xds.Workload
	Subset  string
	Version string
	// External destination reached (egress): "host:port", and how (tls/plaintext, SNI).
	External string
	// Route is the L7 route that decided where the request goes (the last L7 proxy that routed).
	Route *RouteAction
	// RouteProxy names that proxy.
	RouteProxy string
	// Cluster is the last cluster the request was sent through (its circuit breaker, load
	// balancer and outlier detection apply), ClusterProxy the proxy that owns it.
	Cluster      *cluster.Cluster
	ClusterProxy string
	// Transport is how that cluster connected to the endpoint: mtls, hbone, tls or plaintext.
	Transport string
	Hops      []string
}

// conn is what a hop knows of the connection it receives.
type conn struct {
	mtls      bool   // Istio mTLS or HBONE with a workload certificate
	tls       bool   // TLS without a client certificate (a client's own TLS)
	principal string // "spiffe://td/ns/x/sa/y" when mtls
	sni       string
	sourceIP  string
}

type engine struct {
	env      *xds.Env
	in       *Intent
	proxies  map[*xds.Workload]*xds.Proxy
	configs  map[*xds.Workload]*xds.Config
	podByIP  map[string]*xds.Workload
	services map[string]*workloadapi.Service // ambient index: "namespace/hostname"
	wlByIP   map[string]*workloadapi.Workload
	policies []*security.Authorization
	tokens   map[string]*Token
	td       string
}

func newEngine(env *xds.Env, in *Intent) *engine {
	e := &engine{env: env, in: in, proxies: map[*xds.Workload]*xds.Proxy{}, configs: map[*xds.Workload]*xds.Config{},
		podByIP: map[string]*xds.Workload{}, services: map[string]*workloadapi.Service{}, wlByIP: map[string]*workloadapi.Workload{},
		tokens: map[string]*Token{}, td: env.Mesh.GetTrustDomain()}
	for _, w := range env.Workloads {
		for _, p := range w.Pods {
			e.podByIP[p.Status.PodIP] = w
		}
	}
	if idx := env.Server.Env().AmbientIndexes; idx != nil && env.Ambient() {
		all, _ := idx.AddressInformation(nil)
		for _, a := range all {
			if s := a.GetService(); s != nil {
				e.services[s.Namespace+"/"+s.Hostname] = s
			}
			if w := a.GetWorkload(); w != nil {
				for _, ip := range w.Addresses {
					if addr, ok := netip.AddrFromSlice(ip); ok {
						e.wlByIP[addr.String()] = w
					}
				}
			}
		}
		for _, wa := range idx.Policies(nil) {
			if wa.Authorization != nil {
				e.policies = append(e.policies, wa.Authorization)
			}
		}
	}
	return e
}

func (e *engine) config(w *xds.Workload) *xds.Config {
	if c, ok := e.configs[w]; ok {
		return c
	}
	p := e.env.ProxyFor(w)
	e.proxies[w] = p
	c := e.env.Generate(p)
	e.configs[w] = c
	return c
}

func (e *engine) sim(w *xds.Workload) *simulation.Simulation {
	c := e.config(w)
	return &simulation.Simulation{Listeners: c.Listeners, Clusters: c.Clusters, Routes: c.Routes}
}

func (e *engine) principal(ns, sa string) string {
	return fmt.Sprintf("spiffe://%s/ns/%s/sa/%s", e.td, ns, sa)
}

func proxyName(w *xds.Workload) string {
	kind := "sidecar"
	switch {
	case w.Waypoint:
		kind = "waypoint"
	case w.Gateway:
		kind = "gateway"
	}
	return fmt.Sprintf("%s %s/%s", kind, w.Namespace, w.Name)
}

// headersOf builds the request headers Envoy sees: pseudo-headers, the caller's headers and the
// token (Authorization: Bearer <id>).
func (e *engine) headersOf(r Request, authority string) map[string]string {
	h := map[string]string{":method": r.Method, ":path": r.Path, ":authority": authority, ":scheme": "http"}
	for k, v := range r.Headers {
		h[strings.ToLower(k)] = v
	}
	if r.Token != nil {
		id := fmt.Sprintf("token-%d", len(e.tokens)+1)
		for k, t := range e.tokens {
			if t == r.Token {
				id = k
			}
		}
		e.tokens[id] = r.Token
		h["authorization"] = "Bearer " + id
	}
	return h
}

// Send sends a request from its caller and returns its flows.
func (e *engine) Send(r Request) []Flow {
	if r.Method == "" {
		r.Method = "GET"
	}
	if r.Path == "" {
		r.Path = "/"
	}
	start := Flow{Fraction: 1}
	w := r.From.Workload
	switch {
	case r.Direct:
		return e.direct(start, r)
	case r.viaWaypoint:
		return e.strangerViaWaypoint(start, r)
	case w != nil && w.Gateway:
		return e.gatewayIn(start, w, r, conn{}, r.Port)
	case w != nil && w.Injected:
		return e.sidecarOut(start, w, r)
	case w != nil && w.Ambient:
		return e.ztunnelOut(start, w, r)
	}
	// a caller without a proxy: the Service's ClusterIP, balanced by kube-proxy over its pods
	c := conn{}
	if !r.From.Plaintext {
		c = conn{mtls: true, principal: e.principal(r.From.Namespace, r.From.ServiceAccount)}
	}
	return e.toServicePods(start, r, c)
}

// direct sends to one pod of the Service's workloads selected by DirectLabels, on r.Port: a
// scrape by pod address, through the caller's data plane.
func (e *engine) direct(f Flow, r Request) []Flow {
	var target *xds.Workload
	for _, w := range e.env.Workloads {
		if !w.Probe && !w.Waypoint && !w.Gateway && subset(r.DirectLabels, w.Labels) && len(w.Pods) > 0 {
			target = w
			break
		}
	}
	if target == nil {
		return []Flow{end(f, 503, "no pod matches "+fmt.Sprint(r.DirectLabels))}
	}
	c := conn{}
	from := r.From.Workload
	switch {
	case from != nil && from.Ambient:
		c = conn{mtls: true, principal: e.principal(from.Namespace, from.ServiceAccount)}
		f.Hops = append(f.Hops, "ztunnel (caller) → HBONE to pod "+target.Name)
	case from != nil && from.Injected:
		// a sidecar sends pod-addressed traffic through its passthrough: plaintext unless the
		// destination's sidecar or ztunnel upgrades it (not modelled: the scrape cases use ambient or no proxy)
		f.Hops = append(f.Hops, "sidecar (caller) → passthrough to pod "+target.Name)
	}
	return e.deliver(f, target, target.Pods[0].Status.PodIP, r.Port, r, c)
}

// toServicePods: a caller without a proxy reaches the Service's pods through kube-proxy.
func (e *engine) toServicePods(f Flow, r Request, c conn) []Flow {
	svc := e.env.ServiceOf(r.Host)
	if svc == nil {
		return []Flow{end(f, 0, "no Service "+r.Host)}
	}
	targetPort := 0
	for _, p := range svc.Spec.Ports {
		if int(p.Port) == r.Port {
			targetPort = int(xds.TargetPort(p, nil))
		}
	}
	if targetPort == 0 {
		return []Flow{end(f, 0, fmt.Sprintf("Service %s has no port %d", r.Host, r.Port))}
	}
	var pods []*xds.Workload
	for _, w := range e.env.Workloads {
		if w.Namespace == svc.Namespace && !w.Probe && len(svc.Spec.Selector) > 0 && subset(svc.Spec.Selector, w.Labels) {
			pods = append(pods, w)
		}
	}
	if len(pods) == 0 {
		return []Flow{end(f, 503, "the Service selects no pod")}
	}
	total := 0
	for _, w := range pods {
		total += len(w.Pods)
	}
	var out []Flow
	for _, w := range pods {
		g := f
		g.Fraction *= float64(len(w.Pods)) / float64(total)
		g.Hops = append(append([]string(nil), f.Hops...), "kube-proxy → pod of "+w.Name)
		targetPort := targetPort
		for _, p := range svc.Spec.Ports {
			if int(p.Port) == r.Port {
				targetPort = int(xds.TargetPort(p, w.Pods))
			}
		}
		out = append(out, e.deliver(g, w, w.Pods[0].Status.PodIP, targetPort, r, c)...)
	}
	return out
}

func end(f Flow, status int, detail string) Flow {
	f.Status = status
	f.Detail = detail
	return f
}

// ---- a sidecar's outbound side ----

func (e *engine) sidecarOut(f Flow, w *xds.Workload, r Request) []Flow {
	sim := e.sim(w)
	name := proxyName(w)
	addr := "1.1.1.1" // a DNS name outside the cluster resolves to an address the mesh does not know
	if svc := e.env.ServiceOf(r.Host); svc != nil && svc.Spec.ClusterIP != "" {
		addr = svc.Spec.ClusterIP
	}
	call := simulation.Call{Address: addr, Port: r.Port, Protocol: simulation.HTTP, HostHeader: r.Host, Path: r.Path, CallMode: simulation.CallModeOutbound}
	if r.TCP {
		call.Protocol, call.HostHeader = simulation.TCP, ""
		if r.TLS { // the app's own TLS: the sidecar sees its SNI and passes the bytes through
			call.TLS, call.Sni = simulation.TLS, r.Host
		}
	}
	res := sim.Run(call)
	f.Hops = append(f.Hops, fmt.Sprintf("%s outbound listener %s", name, res.ListenerMatched))
	// the simulation matches routes on the path only: the route is selected below
	if res.Error != nil && res.Error != simulation.ErrNoRoute {
		return []Flow{end(f, 0, fmt.Sprintf("%s: %v", name, res.Error))}
	}
	cfg := e.config(w)
	fc := chainByName(cfg.Listener(res.ListenerMatched), res.FilterChainMatched, call)
	if r.TCP || fc == nil || httpManager(fc) == nil {
		return e.tcpProxy(f, w, cfg, fc, r, name)
	}
	rc := cfg.Route(res.RouteConfigMatched)
	if rc == nil {
		rc = httpManager(fc).GetRouteConfig()
	}
	var vh *route.VirtualHost
	for _, v := range rc.GetVirtualHosts() {
		if v.Name == res.VirtualHostMatched {
			vh = v
		}
	}
	if vh == nil {
		return []Flow{end(f, 404, fmt.Sprintf("%s: no virtual host for %s in route %s", name, r.Host, res.RouteConfigMatched))}
	}
	return e.routeVH(f, w, cfg, vh, r, e.headersOf(r, r.Host), name)
}

// tcpProxy follows a chain's tcp_proxy (one cluster or weighted clusters).
func (e *engine) tcpProxy(f Flow, w *xds.Workload, cfg *xds.Config, fc *listener.FilterChain, r Request, name string) []Flow {
	for _, flt := range fc.GetFilters() {
		tp := &tcpproxy.TcpProxy{}
		if flt.GetName() != "envoy.filters.network.tcp_proxy" || flt.GetTypedConfig().UnmarshalTo(tp) != nil {
			continue
		}
		if c := tp.GetCluster(); c != "" {
			return e.upstream(f, w, cfg, c, r, nil, name)
		}
		total := uint32(0)
		for _, c := range tp.GetWeightedClusters().GetClusters() {
			total += c.GetWeight()
		}
		var out []Flow
		for _, c := range tp.GetWeightedClusters().GetClusters() {
			if c.GetWeight() == 0 || total == 0 {
				continue
			}
			g := f
			g.Fraction *= float64(c.GetWeight()) / float64(total)
			g.Hops = append([]string(nil), f.Hops...)
			out = append(out, e.upstream(g, w, cfg, c.GetName(), r, nil, name)...)
		}
		if len(out) > 0 {
			return out
		}
	}
	return []Flow{end(f, 0, name+": chain without a TCP proxy")}
}

// routeVH selects the route of a virtual host and follows its action.
func (e *engine) routeVH(f Flow, w *xds.Workload, cfg *xds.Config, vh *route.VirtualHost, r Request, headers map[string]string, name string) []Flow {
	rt, err := SelectRoute(vh, headers)
	if err != nil {
		return []Flow{end(f, 0, name+": "+err.Error())}
	}
	if rt == nil {
		return []Flow{end(f, 404, fmt.Sprintf("%s: no route of virtual host %s matches", name, vh.Name))}
	}
	a := ActionOf(rt)
	f.Route, f.RouteProxy = &a, name
	f.Hops = append(f.Hops, fmt.Sprintf("%s route %q", name, rt.GetName()))
	switch {
	case a.Redirect != nil:
		code := 301
		switch a.Redirect.GetResponseCode() {
		case route.RedirectAction_FOUND:
			code = 302
		case route.RedirectAction_SEE_OTHER:
			code = 303
		case route.RedirectAction_TEMPORARY_REDIRECT:
			code = 307
		case route.RedirectAction_PERMANENT_REDIRECT:
			code = 308
		}
		return []Flow{end(f, code, "redirect "+redirectTarget(a.Redirect))}
	case a.DirectStatus != 0:
		return []Flow{end(f, int(a.DirectStatus), fmt.Sprintf("%s: direct response %d (route %q)", name, a.DirectStatus, rt.GetName()))}
	case len(a.Backends) == 0:
		return []Flow{end(f, 404, name+": route without a destination")}
	}
	var out []Flow
	var aborted []Flow
	if a.Fault != nil && a.Fault.AbortFraction > 0 {
		g := f
		g.Fraction *= a.Fault.AbortFraction
		aborted = append(aborted, end(g, int(a.Fault.AbortStatus), name+": fault injection (abort)"))
		f.Fraction *= 1 - a.Fault.AbortFraction
	}
	r = forwarded(r, &a)
	for _, b := range a.Backends {
		if b.Fraction == 0 {
			continue
		}
		g := f
		g.Fraction *= b.Fraction
		g.Hops = append([]string(nil), f.Hops...)
		out = append(out, e.upstream(g, w, cfg, b.Cluster, r, headers, name)...)
	}
	return append(out, aborted...)
}

// forwarded is the request as the route sends it upstream: its path rewritten, its request
// headers edited.
func forwarded(r Request, a *RouteAction) Request {
	path, query, hasQuery := strings.Cut(r.Path, "?")
	r.Path = upstreamPath(a, path)
	if hasQuery {
		r.Path += "?" + query
	}
	if len(a.SetHeaders)+len(a.AddHeaders)+len(a.RemoveHeaders) > 0 {
		h := map[string]string{}
		for k, v := range r.Headers {
			h[strings.ToLower(k)] = v
		}
		for _, k := range a.RemoveHeaders {
			delete(h, k)
		}
		for k, v := range a.SetHeaders {
			h[k] = v
		}
		for k, v := range a.AddHeaders {
			if old, ok := h[k]; ok {
				h[k] = old + "," + v
			} else {
				h[k] = v
			}
		}
		r.Headers = h
	}
	return r
}

func redirectTarget(rd *route.RedirectAction) string {
	var parts []string
	if rd.GetHttpsRedirect() {
		parts = append(parts, "scheme https")
	}
	if s := rd.GetSchemeRedirect(); s != "" {
		parts = append(parts, "scheme "+s)
	}
	if h := rd.GetHostRedirect(); h != "" {
		parts = append(parts, "host "+h)
	}
	if p := rd.GetPortRedirect(); p != 0 {
		parts = append(parts, fmt.Sprintf("port %d", p))
	}
	if p := rd.GetPathRedirect(); p != "" {
		parts = append(parts, "path "+p)
	}
	if p := rd.GetPrefixRewrite(); p != "" {
		parts = append(parts, "prefix "+p)
	}
	return strings.Join(parts, ", ")
}

// upstream sends to a cluster of a proxy: its transport and endpoints decide the next hop.
func (e *engine) upstream(f Flow, from *xds.Workload, cfg *xds.Config, name string, r Request, headers map[string]string, proxy string) []Flow {
	f.Hops = append(f.Hops, proxy+" cluster "+name)
	// the subset of the last routing decision (a gateway's route to a waypoint is routed again there)
	if parts := strings.Split(name, "|"); len(parts) == 4 {
		sub := parts[2]
		if parts[0] == "inbound-vip" {
			_, sub, _ = strings.Cut(parts[2], "/")
		}
		f.Subset = sub
	}
	switch name {
	case "BlackHoleCluster":
		return []Flow{end(f, 502, proxy+": BlackHoleCluster (the host is not in the proxy's registry: REGISTRY_ONLY)")}
	case "PassthroughCluster":
		// the original destination: the Service address, plaintext (no mesh features)
		g := f
		g.Hops = append(g.Hops, proxy+" passthrough (plaintext, no mTLS)")
		if e.env.ServiceOf(r.Host) == nil {
			return []Flow{end(g, 200, "left the mesh unrouted (PassthroughCluster)")}
		}
		return e.toServicePods(g, r, conn{sourceIP: podIP(from)})
	}
	cl := cfg.Cluster(name)
	if cl == nil {
		return []Flow{end(f, 503, fmt.Sprintf("%s: cluster %s was not generated (NC)", proxy, name))}
	}
	f.Cluster, f.ClusterProxy = cl, proxy
	if cl.GetType() == cluster.Cluster_ORIGINAL_DST {
		return e.toServicePods(f, r, conn{sourceIP: podIP(from)})
	}
	var eps []*endpoint.LbEndpoint
	if cla := cfg.Endpoint(name); cla != nil {
		for _, le := range cla.GetEndpoints() {
			eps = append(eps, le.GetLbEndpoints()...)
		}
	} else if cl.GetLoadAssignment() != nil {
		for _, le := range cl.GetLoadAssignment().GetEndpoints() {
			eps = append(eps, le.GetLbEndpoints()...)
		}
	}
	if len(eps) == 0 {
		return []Flow{end(f, 503, fmt.Sprintf("%s: cluster %s has no endpoints (no healthy upstream)", proxy, name))}
	}
	var out []Flow
	for _, ep := range eps {
		g := f
		g.Fraction /= float64(len(eps))
		g.Hops = append([]string(nil), f.Hops...)
		out = append(out, e.toEndpoint(g, from, cl, ep, r, headers, proxy)...)
	}
	return out
}

// transport returns how a cluster connects to an endpoint: "hbone", "mtls", "tls" (with SNI)
// or "plaintext".
func transport(cl *cluster.Cluster, ep *endpoint.LbEndpoint) (kind, sni string) {
	md := map[string]string{}
	if s := ep.GetMetadata().GetFilterMetadata()["envoy.transport_socket_match"]; s != nil {
		for k, v := range s.GetFields() {
			md[k] = v.GetStringValue()
		}
	}
	var ts *core.TransportSocket
	for _, m := range cl.GetTransportSocketMatches() {
		ok := true
		for k, v := range m.GetMatch().GetFields() {
			if md[k] != v.GetStringValue() {
				ok = false
			}
		}
		if ok {
			ts = m.GetTransportSocket()
			break
		}
	}
	if ts == nil {
		ts = cl.GetTransportSocket()
	}
	if ts == nil {
		return "plaintext", ""
	}
	switch ts.GetTypedConfig().GetTypeUrl() {
	case "type.googleapis.com/envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport":
		// an internal listener: HBONE (mTLS with the proxy's certificate) through connect_originate
		if ep.GetEndpoint().GetAddress().GetEnvoyInternalAddress().GetServerListenerName() == "connect_originate" {
			return "hbone", ""
		}
		return "plaintext", ""
	case "type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer":
		return "plaintext", ""
	}
	ctx := &tlsv3.UpstreamTlsContext{}
	if ts.GetTypedConfig() == nil || ts.GetTypedConfig().UnmarshalTo(ctx) != nil {
		return "plaintext", ""
	}
	certs := ctx.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs()
	if len(certs) > 0 && certs[0].GetName() == "default" {
		return "mtls", ctx.GetSni()
	}
	return "tls", ctx.GetSni()
}

// toEndpoint connects to one endpoint of a cluster.
func (e *engine) toEndpoint(f Flow, from *xds.Workload, cl *cluster.Cluster, ep *endpoint.LbEndpoint, r Request, headers map[string]string, proxy string) []Flow {
	kind, sni := transport(cl, ep)
	f.Transport = kind
	c := conn{sourceIP: podIP(from), sni: sni}
	if kind == "mtls" || kind == "hbone" {
		c.mtls, c.principal = true, e.principal(from.Namespace, from.ServiceAccount)
	}
	c.tls = kind == "tls"
	a := ep.GetEndpoint().GetAddress()
	ip, port := a.GetSocketAddress().GetAddress(), int(a.GetSocketAddress().GetPortValue())
	original := ""
	if ia := a.GetEnvoyInternalAddress(); ia != nil {
		host, p, _ := strings.Cut(ia.GetEndpointId(), ":")
		ip = host
		fmt.Sscanf(p, "%d", &port)
		if od := ep.GetMetadata().GetFilterMetadata()["envoy.filters.listener.original_dst"]; od != nil {
			original = od.GetFields()["local"].GetStringValue()
		}
	}
	target := e.podByIP[ip]
	switch {
	case cl.GetType() == cluster.Cluster_STRICT_DNS || cl.GetType() == cluster.Cluster_LOGICAL_DNS || (target == nil && a.GetSocketAddress() != nil && isDNSName(ip)):
		ext := fmt.Sprintf("%s:%d", ip, port)
		how := kind
		if sni != "" {
			how += " sni=" + sni
		}
		g := f
		g.External = ext + " (" + how + ")"
		g.Hops = append(g.Hops, proxy+" → external "+g.External)
		return []Flow{end(g, 200, "reached external "+g.External)}
	case target == nil:
		return []Flow{end(f, 503, fmt.Sprintf("%s: endpoint %s is no pod of the output", proxy, ip))}
	}
	if original != "" && target.Waypoint {
		vip, p, _ := strings.Cut(original, ":")
		var vport int
		fmt.Sscanf(p, "%d", &vport)
		f.Hops = append(f.Hops, proxy+" → HBONE to waypoint for "+original)
		return e.waypoint(f, target, vip, vport, r, c)
	}
	return e.deliver(f, target, ip, port, r, c)
}

func isDNSName(ip string) bool {
	_, err := netip.ParseAddr(ip)
	return err != nil // a DNS name
}

func podIP(w *xds.Workload) string {
	if w == nil || len(w.Pods) == 0 {
		return ""
	}
	return w.Pods[0].Status.PodIP
}

// deliver: a connection reaches a pod on a port, through whatever captures it there.
func (e *engine) deliver(f Flow, w *xds.Workload, ip string, port int, r Request, c conn) []Flow {
	switch {
	case w.Gateway:
		return e.gatewayIn(f, w, r, c, port)
	case w.Injected:
		return e.sidecarIn(f, w, ip, port, r, c)
	case w.Ambient:
		return e.ztunnelIn(f, w, ip, port, r, c)
	}
	f.Hops = append(f.Hops, "pod "+w.Name+" (no proxy)")
	if c.mtls {
		return []Flow{end(f, 0, fmt.Sprintf("pod %s has no proxy to terminate mTLS", w.Name))}
	}
	return []Flow{e.answered(f, w, port)}
}

// answered: the application of a pod answers on the ports its program declares it listens on
// (the service's target ports and metrics port); on another port the connection is refused.
func (e *engine) answered(f Flow, w *xds.Workload, port int) Flow {
	for _, svc := range e.in.Services {
		if svc.Namespace != w.Namespace || !subset(svc.Selector, w.Labels) {
			continue
		}
		listens := svc.Metrics != nil && svc.Metrics.Port == port
		for _, p := range svc.Ports {
			listens = listens || p.TargetPort == port
		}
		if !listens {
			return end(f, 0, fmt.Sprintf("connection refused: %s listens on its declared ports, not %d", w.Name, port))
		}
	}
	f.Pod = w
	f.Version = w.Labels["version"]
	return end(f, 200, "answered by "+w.Namespace+"/"+w.Name)
}

// ---- a sidecar's inbound side ----

func (e *engine) sidecarIn(f Flow, w *xds.Workload, ip string, port int, r Request, c conn) []Flow {
	name := proxyName(w)
	call := simulation.Call{Address: ip, Port: port, Protocol: simulation.HTTP, CallMode: simulation.CallModeInbound, TLS: simulation.Plaintext}
	if r.TCP {
		call.Protocol = simulation.TCP
	}
	if c.mtls {
		call.TLS = simulation.MTLS
	}
	res := e.sim(w).Run(call)
	f.Hops = append(f.Hops, fmt.Sprintf("%s inbound chain %q", name, res.FilterChainMatched))
	if res.Error != nil {
		return []Flow{end(f, 0, fmt.Sprintf("%s inbound: %v (connection reset)", name, res.Error))}
	}
	cfg := e.config(w)
	fc := chainByName(cfg.Listener("virtualInbound"), res.FilterChainMatched, call)
	if fc == nil {
		return []Flow{end(f, 0, name+": inbound filter chain not found")}
	}
	attrs := Attributes{Principal: c.principal, SourceIP: c.sourceIP, DestIP: ip, DestPort: uint32(port), SNI: c.sni}
	return e.serve(f, w, fc, attrs, r, r.Host, name, func(g Flow) []Flow { return []Flow{e.answered(g, w, port)} })
}

// serve runs a chain's filters (network RBAC; HTTP: jwt_authn, RBAC) and, when they pass,
// continues with next (the application, or the chain's own routing for a waypoint).
func (e *engine) serve(f Flow, w *xds.Workload, fc *listener.FilterChain, attrs Attributes, r Request, authority, name string, next func(Flow) []Flow) []Flow {
	for _, flt := range fc.GetFilters() {
		if flt.GetName() != "envoy.filters.network.rbac" {
			continue
		}
		rb := &rbacnet.RBAC{}
		if flt.GetTypedConfig().UnmarshalTo(rb) != nil {
			continue
		}
		d, err := EvalRBAC(rb.GetRules(), attrs)
		if err != nil {
			return []Flow{end(f, 0, name+": "+err.Error())}
		}
		if !d.Allowed {
			return []Flow{end(f, 0, fmt.Sprintf("%s: network RBAC denied (%s): connection closed", name, d.Policy))}
		}
	}
	h := httpManager(fc)
	if h == nil || r.TCP {
		if h != nil && r.TCP {
			return []Flow{end(f, 0, name+": TCP sent to an HTTP chain")}
		}
		return next(f)
	}
	attrs.Headers = e.headersOf(r, authority)
	for _, hf := range h.GetHttpFilters() {
		switch hf.GetName() {
		case "envoy.filters.http.jwt_authn":
			cfg := &jwtauthn.JwtAuthentication{}
			if hf.GetTypedConfig().UnmarshalTo(cfg) != nil {
				continue
			}
			res, err := EvalJWT(cfg, attrs.Headers, e.tokens)
			if err != nil {
				return []Flow{end(f, 0, name+": "+err.Error())}
			}
			if res.Status != jwtOK {
				return []Flow{end(f, 401, fmt.Sprintf("%s: jwt_authn: %s", name, res.Status))}
			}
			attrs.Metadata = res.Metadata
		case "envoy.filters.http.rbac":
			rb := &rbachttp.RBAC{}
			if hf.GetTypedConfig().UnmarshalTo(rb) != nil {
				continue
			}
			d, err := EvalRBAC(rb.GetRules(), attrs)
			if err != nil {
				return []Flow{end(f, 0, name+": "+err.Error())}
			}
			if !d.Allowed {
				why := "no ALLOW policy matches"
				if rb.GetRules().GetAction() == rbacv3.RBAC_DENY {
					why = "DENY policy " + d.Policy
				}
				return []Flow{end(f, 403, fmt.Sprintf("%s: RBAC: access denied (%s)", name, why))}
			}
		}
	}
	return next(f)
}

// ---- ztunnel ----

func (e *engine) ztunnelIn(f Flow, w *xds.Workload, ip string, port int, r Request, c conn) []Flow {
	wl := e.wlByIP[ip]
	if wl == nil {
		return []Flow{end(f, 0, "ztunnel: pod "+ip+" is not in the ambient index")}
	}
	a := L4Attributes{TrustDomain: e.td, SourceIP: c.sourceIP, DestIP: ip, DestPort: uint32(port)}
	if c.mtls {
		a.TrustDomain, a.Namespace, a.ServiceAccount = splitPrincipal(c.principal)
	}
	d, err := EvalZtunnel(ApplicablePolicies(e.policies, wl.Namespace, wl.AuthorizationPolicies), a)
	if err != nil {
		return []Flow{end(f, 0, "ztunnel: "+err.Error())}
	}
	via := "HBONE"
	if !c.mtls {
		via = "plaintext"
	}
	f.Hops = append(f.Hops, fmt.Sprintf("ztunnel (node of %s) inbound %s port %d", w.Name, via, port))
	if !d.Allowed {
		why := "no ALLOW policy matches"
		if d.Policy != "" {
			why = "DENY policy " + d.Policy
		}
		if strings.HasSuffix(d.Policy, "/istio_converted_static_strict") {
			return []Flow{end(f, 0, fmt.Sprintf("ztunnel: plaintext connection to %s refused: mTLS required (STRICT)", w.Name))}
		}
		return []Flow{end(f, 0, fmt.Sprintf("ztunnel: connection to %s denied (%s)", w.Name, why))}
	}
	return []Flow{e.answered(f, w, port)}
}

func splitPrincipal(p string) (td, ns, sa string) {
	rest := strings.TrimPrefix(p, "spiffe://")
	td, rest, _ = strings.Cut(rest, "/ns/")
	ns, sa, _ = strings.Cut(rest, "/sa/")
	return td, ns, sa
}

func (e *engine) ztunnelOut(f Flow, w *xds.Workload, r Request) []Flow {
	c := conn{mtls: true, principal: e.principal(w.Namespace, w.ServiceAccount), sourceIP: podIP(w)}
	ns := ""
	if svc := e.env.ServiceOf(r.Host); svc != nil {
		ns = svc.Namespace
	}
	var info *workloadapi.Service
	for key, s := range e.services {
		if s.Hostname == r.Host && (ns == "" || strings.HasPrefix(key, ns+"/")) {
			info = s
		}
	}
	f.Hops = append(f.Hops, "ztunnel (node of "+w.Name+") outbound")
	if info == nil {
		// a host the ambient index does not know: ztunnel passes the connection through
		f.Hops = append(f.Hops, "ztunnel passthrough (no mesh service)")
		if e.env.ServiceOf(r.Host) == nil {
			return []Flow{end(f, 200, "left the mesh directly (ztunnel passthrough) to "+r.Host)}
		}
		return e.toServicePods(f, r, conn{sourceIP: podIP(w)})
	}
	if wp := info.GetWaypoint(); wp != nil {
		way := e.waypointByAddress(wp)
		if way == nil {
			return []Flow{end(f, 503, "ztunnel: the service's waypoint has no pod")}
		}
		// a ServiceEntry without addresses: istiod's IP allocator gives it one that ztunnel's DNS
		// proxy answers with; the oracle runs no allocator, and pilot keys its chain on 0.0.0.0
		vip := "0.0.0.0"
		if len(info.Addresses) > 0 {
			if a, ok := netip.AddrFromSlice(info.Addresses[0].Address); ok {
				vip = a.String()
			}
		}
		f.Hops = append(f.Hops, "ztunnel → HBONE to waypoint "+way.Name)
		return e.waypoint(f, way, vip, r.Port, r, c)
	}
	if e.env.ServiceOf(r.Host) == nil {
		return []Flow{end(f, 200, "left the mesh directly (ztunnel) to "+r.Host)}
	}
	return e.toServicePods(f, r, c)
}

// strangerViaWaypoint: a mesh identity that is not a workload of the output, sent the way ztunnel
// sends an ambient pod's request to a service with a waypoint.
func (e *engine) strangerViaWaypoint(f Flow, r Request) []Flow {
	c := conn{mtls: true, principal: e.principal(r.From.Namespace, r.From.ServiceAccount), sourceIP: "10.250.0.1"}
	for _, s := range e.services {
		if s.Hostname != r.Host || s.GetWaypoint() == nil {
			continue
		}
		way := e.waypointByAddress(s.GetWaypoint())
		if way == nil {
			return []Flow{end(f, 503, "the service's waypoint has no pod")}
		}
		vip := "0.0.0.0"
		if len(s.Addresses) > 0 {
			if a, ok := netip.AddrFromSlice(s.Addresses[0].Address); ok {
				vip = a.String()
			}
		}
		f.Hops = append(f.Hops, "ztunnel → HBONE to waypoint "+way.Name)
		return e.waypoint(f, way, vip, r.Port, r, c)
	}
	f.Hops = append(f.Hops, "no waypoint in the ambient index: to the pods")
	return e.toServicePods(f, r, c)
}

func (e *engine) waypointByAddress(g *workloadapi.GatewayAddress) *xds.Workload {
	host := ""
	if h := g.GetHostname(); h != nil {
		host = h.GetHostname()
	}
	ip := ""
	if a := g.GetAddress(); a != nil {
		if x, ok := netip.AddrFromSlice(a.GetAddress()); ok {
			ip = x.String()
		}
	}
	for _, s := range e.env.Services {
		h := fmt.Sprintf("%s.%s.svc.%s", s.Name, s.Namespace, xds.DomainSuffix)
		if (host != "" && h == host) || (ip != "" && s.Spec.ClusterIP == ip) {
			for _, w := range e.env.Workloads {
				if w.Waypoint && w.Namespace == s.Namespace && w.Name == s.Name {
					return w
				}
			}
		}
	}
	return nil
}

// ---- waypoint ----

func (e *engine) waypoint(f Flow, w *xds.Workload, vip string, port int, r Request, c conn) []Flow {
	name := proxyName(w)
	cfg := e.config(w)
	l := cfg.Listener("main_internal")
	chainName, err := matchChain(l.GetFilterChainMatcher(), vip, uint32(port))
	if err != nil {
		return []Flow{end(f, 0, name+": "+err.Error())}
	}
	var fc *listener.FilterChain
	for _, x := range l.GetFilterChains() {
		if x.GetName() == chainName {
			fc = x
		}
	}
	if fc == nil {
		if l.GetDefaultFilterChain() == nil {
			return []Flow{end(f, 0, fmt.Sprintf("%s: no filter chain for %s:%d", name, vip, port))}
		}
		fc = l.GetDefaultFilterChain()
	}
	f.Hops = append(f.Hops, fmt.Sprintf("%s chain %q", name, fc.GetName()))
	attrs := Attributes{Principal: c.principal, SourceIP: c.sourceIP, DestIP: vip, DestPort: uint32(port)}
	return e.serve(f, w, fc, attrs, r, r.Host, name, func(g Flow) []Flow {
		h := httpManager(fc)
		if h == nil {
			for _, flt := range fc.GetFilters() {
				tp := &tcpproxy.TcpProxy{}
				if flt.GetName() == "envoy.filters.network.tcp_proxy" && flt.GetTypedConfig().UnmarshalTo(tp) == nil {
					return e.upstream(g, w, cfg, tp.GetCluster(), r, nil, name)
				}
			}
			return []Flow{end(g, 0, name+": chain without HTTP or TCP proxy")}
		}
		rc := h.GetRouteConfig()
		if rc == nil {
			rc = cfg.Route(h.GetRds().GetRouteConfigName())
		}
		if rc == nil || len(rc.GetVirtualHosts()) == 0 {
			return []Flow{end(g, 404, name+": chain without routes")}
		}
		return e.routeVH(g, w, cfg, rc.GetVirtualHosts()[0], r, e.headersOf(r, r.Host), name)
	})
}

// ---- gateways ----

// gatewayIn: a gateway pod receives a request on a container port (the Service's targetPort).
func (e *engine) gatewayIn(f Flow, w *xds.Workload, r Request, c conn, port int) []Flow {
	name := proxyName(w)
	call := simulation.Call{Address: podIP(w), Port: port, Protocol: simulation.HTTP, HostHeader: r.Host, Path: r.Path, CallMode: simulation.CallModeGateway}
	switch {
	case c.mtls:
		call.TLS, call.Sni = simulation.MTLS, c.sni
	case r.TLS && r.From.Workload == w:
		call.TLS, call.Sni = simulation.TLS, r.Host
		if r.TCP {
			call.Protocol = simulation.TCP
		}
	case c.tls:
		call.TLS, call.Sni = simulation.TLS, c.sni
	}
	res := e.sim(w).Run(call)
	f.Hops = append(f.Hops, fmt.Sprintf("%s listener %s chain %q", name, res.ListenerMatched, res.FilterChainMatched))
	switch res.Error {
	case nil, simulation.ErrNoRoute: // the route is selected below (headers, query, method)
	case simulation.ErrTLSRedirect:
		return []Flow{end(f, 301, "redirect scheme https (the server requires TLS)")}
	case simulation.ErrNoVirtualHost:
		return []Flow{end(f, 404, fmt.Sprintf("%s: no virtual host for %s", name, r.Host))}
	case simulation.ErrNoListener, simulation.ErrNoFilterChain:
		return []Flow{end(f, 0, fmt.Sprintf("%s: %v on port %d (connection refused)", name, res.Error, port))}
	default:
		return []Flow{end(f, 0, fmt.Sprintf("%s: %v", name, res.Error))}
	}
	cfg := e.config(w)
	fc := chainByName(cfg.Listener(res.ListenerMatched), res.FilterChainMatched, call)
	if fc == nil {
		return []Flow{end(f, 0, name+": filter chain not found")}
	}
	attrs := Attributes{Principal: c.principal, SourceIP: c.sourceIP, DestIP: podIP(w), DestPort: uint32(port), SNI: call.Sni}
	return e.serve(f, w, fc, attrs, r, r.Host, name, func(g Flow) []Flow {
		h := httpManager(fc)
		if h == nil {
			return e.tcpProxy(g, w, cfg, fc, r, name)
		}
		rc := cfg.Route(res.RouteConfigMatched)
		if rc == nil {
			rc = h.GetRouteConfig()
		}
		for _, vh := range rc.GetVirtualHosts() {
			if vh.GetName() == res.VirtualHostMatched {
				return e.routeVH(g, w, cfg, vh, r, e.headersOf(r, r.Host), name)
			}
		}
		return []Flow{end(g, 404, name+": virtual host "+res.VirtualHostMatched+" not found")}
	})
}

// ---- helpers over the generated config ----

func httpManager(fc *listener.FilterChain) *hcm.HttpConnectionManager {
	if fc == nil {
		return nil
	}
	for _, f := range fc.GetFilters() {
		if f.GetName() == "envoy.filters.network.http_connection_manager" {
			h := &hcm.HttpConnectionManager{}
			if f.GetTypedConfig().UnmarshalTo(h) == nil {
				return h
			}
		}
	}
	return nil
}

// chainByName finds the filter chain the simulation selected (by name; among chains sharing a
// name, the one whose transport protocol fits the call).
func chainByName(l *listener.Listener, name string, call simulation.Call) *listener.FilterChain {
	if l == nil {
		return nil
	}
	var same []*listener.FilterChain
	for _, fc := range l.GetFilterChains() {
		if fc.GetName() == name {
			same = append(same, fc)
		}
	}
	if d := l.GetDefaultFilterChain(); d != nil && d.GetName() == name {
		same = append(same, d)
	}
	if len(same) <= 1 {
		if len(same) == 1 {
			return same[0]
		}
		return nil
	}
	for _, fc := range same {
		tp := fc.GetFilterChainMatch().GetTransportProtocol()
		if call.Port != 0 && fc.GetFilterChainMatch().GetDestinationPort() != nil && int(fc.GetFilterChainMatch().GetDestinationPort().GetValue()) != call.Port {
			continue
		}
		if (tp == "tls") == (call.TLS == simulation.TLS || call.TLS == simulation.MTLS) || tp == "" {
			return fc
		}
	}
	return same[0]
}

func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}
