package mutate

import "strings"

// Group/kind names as Doc.GroupKind writes them.
const (
	kVS   = "networking.istio.io/VirtualService"
	kDR   = "networking.istio.io/DestinationRule"
	kSE   = "networking.istio.io/ServiceEntry"
	kGW   = "networking.istio.io/Gateway"
	kSC   = "networking.istio.io/Sidecar"
	kWE   = "networking.istio.io/WorkloadEntry"
	kEF   = "networking.istio.io/EnvoyFilter"
	kAP   = "security.istio.io/AuthorizationPolicy"
	kRA   = "security.istio.io/RequestAuthentication"
	kPA   = "security.istio.io/PeerAuthentication"
	kTel  = "telemetry.istio.io/Telemetry"
	kWasm = "extensions.istio.io/WasmPlugin"
	kHR   = "gateway.networking.k8s.io/HTTPRoute"
	kGR   = "gateway.networking.k8s.io/GRPCRoute"
	kKGW  = "gateway.networking.k8s.io/Gateway"
	kRG   = "gateway.networking.k8s.io/ReferenceGrant"
	kSvc  = "Service"
	kNS   = "Namespace"
)

var (
	workloads = []string{"apps/Deployment", "apps/StatefulSet", "apps/DaemonSet", "argoproj.io/Rollout"}
	// meshConfig are the kinds whose only reader is istiod: moving one to another namespace
	// changes what it applies to.
	meshConfig = []string{kVS, kDR, kSE, kGW, kSC, kWE, kEF, kAP, kRA, kPA, kTel, kWasm, kHR, kGR, kKGW}
	routes     = []string{kHR, kGR}
	// policies select their workloads with spec.selector
	policies = []string{kAP, kRA, kPA, kTel, kWasm}
	// attached are the policies that may instead name a Service or Gateway (targetRefs)
	attached = []string{kAP, kRA, kTel, kWasm}
)

// Rule is where an operator applies: the kinds, the field paths (`[]` any index, `*` any
// key, `{a.b/c}` a key holding dots) and the replacement values.
type Rule struct {
	Kinds []string
	Paths []string
	T     Transform
}

// Operator is one kind of single-field change.
type Operator struct {
	Name  string
	Doc   string // what the change breaks
	Rules []Rule
	// compiled
	pats [][]pattern
}

func rule(kinds []string, t Transform, paths ...string) Rule {
	return Rule{Kinds: kinds, Paths: paths, T: t}
}

func k(kinds ...string) []string { return kinds }

// expand writes one path for each traffic policy location of a DestinationRule.
func trafficPolicies(suffixes ...string) []string {
	var out []string
	for _, pre := range []string{"spec.trafficPolicy", "spec.subsets[].trafficPolicy", "spec.trafficPolicy.portLevelSettings[]", "spec.subsets[].trafficPolicy.portLevelSettings[]"} {
		for _, s := range suffixes {
			out = append(out, pre+"."+s)
		}
	}
	return out
}

// routeKinds writes one path per route list of a VirtualService.
func vsRoutes(suffixes ...string) []string {
	var out []string
	for _, l := range []string{"http", "tcp", "tls"} {
		for _, s := range suffixes {
			out = append(out, "spec."+l+"[]."+s)
		}
	}
	return out
}

// Operators is the catalog, in report order.
var Operators = []*Operator{
	{Name: "port", Doc: "a port the mesh listens, routes or authorizes on", Rules: []Rule{
		rule(k(kSvc), notStatusPort(portShift), "spec.ports[].port"),
		rule(k(kSE), portShift, "spec.ports[].number"),
		rule(k(kGW), portShift, "spec.servers[].port.number"),
		rule(k(kKGW), portShift, "spec.listeners[].port"),
		rule(routes, portShift, "spec.parentRefs[].port", "spec.rules[].backendRefs[].port"),
		rule(k(kVS), portShift, append(vsRoutes("match[].port", "route[].destination.port.number"), "spec.http[].mirror.port.number")...),
		rule(k(kDR), portShift, "spec.trafficPolicy.portLevelSettings[].port.number", "spec.subsets[].trafficPolicy.portLevelSettings[].port.number"),
		rule(k(kAP), portShift, "spec.rules[].to[].operation.ports[]", "spec.rules[].to[].operation.notPorts[]"),
		rule(k(kSC), portShift, "spec.ingress[].port.number", "spec.egress[].port.number"),
	}},
	{Name: "target-port", Doc: "the pod port a Service or ServiceEntry port forwards to", Rules: []Rule{
		rule(k(kSvc, kSE), notStatusPort(targetPortShift), "spec.ports[].targetPort"),
	}},
	{Name: "protocol", Doc: "the protocol a port is treated as (HTTP features need HTTP)", Rules: []Rule{
		rule(k(kSvc), protocolSwap(false), "spec.ports[].appProtocol"),
		rule(k(kSE), protocolSwap(true), "spec.ports[].protocol"),
		rule(k(kGW), protocolSwap(true), "spec.servers[].port.protocol"),
	}},
	{Name: "principal", Doc: "the workload identity a policy names or a pod runs as", Rules: []Rule{
		rule(k(kAP), identity, "spec.rules[].from[].source.principals[]", "spec.rules[].from[].source.notPrincipals[]"),
		rule(workloads, serviceAccount, "spec.template.spec.serviceAccountName"),
	}},
	{Name: "namespace", Doc: "the namespace an object lives in or a rule or reference names", Rules: []Rule{
		rule(meshConfig, namespace, "metadata.namespace"),
		rule(k(kAP), namespace, "spec.rules[].from[].source.namespaces[]", "spec.rules[].from[].source.notNamespaces[]"),
		rule(routes, namespace, "spec.parentRefs[].namespace", "spec.rules[].backendRefs[].namespace"),
		rule(k(kVS, kDR, kSE), exportTo, "spec.exportTo[]"),
		rule(k(kSC), egressNamespace, "spec.egress[].hosts[]"),
	}},
	{Name: "host", Doc: "the host a route, policy, entry, gateway or egress scope names", Rules: []Rule{
		rule(k(kVS), host, append(vsRoutes("route[].destination.host"), "spec.hosts[]", "spec.http[].mirror.host", "spec.http[].mirrors[].destination.host", "spec.tls[].match[].sniHosts[]")...),
		rule(k(kDR), host, "spec.host"),
		rule(k(kSE), host, "spec.hosts[]"),
		rule(k(kGW), gatewayHost, "spec.servers[].hosts[]"),
		rule(routes, host, "spec.hostnames[]"),
		rule(k(kKGW), host, "spec.listeners[].hostname"),
		rule(k(kSC), egressHost, "spec.egress[].hosts[]"),
	}},
	{Name: "subset", Doc: "the subset a route sends to, or a subset's name", Rules: []Rule{
		rule(k(kVS), subset, append(vsRoutes("route[].destination.subset"), "spec.http[].mirror.subset")...),
		rule(k(kDR), suffix("-x", "a subset name no route uses"), "spec.subsets[].name"),
	}},
	{Name: "selector", Doc: "a label selector: which pods a Service, subset, policy, scope or gateway selects", Rules: []Rule{
		rule(k(kSvc), labelValue, "spec.selector.*"),
		rule(k(kDR), labelValue, "spec.subsets[].labels.*"),
		rule(policies, labelValue, "spec.selector.matchLabels.*"),
		rule(k(kSC, kSE, kEF), labelValue, "spec.workloadSelector.labels.*"),
		rule(k(kGW), labelValue, "spec.selector.*"),
		rule(k(kWE), labelValue, "spec.labels.*"),
	}},
	{Name: "waypoint", Doc: "ambient waypoint bindings: use-waypoint, ingress-use-waypoint, waypoint-for", Rules: []Rule{
		rule(k(kNS, kSvc, kSE), useWaypoint, "metadata.labels.{istio.io/use-waypoint}"),
		rule(workloads, useWaypoint, "spec.template.metadata.labels.{istio.io/use-waypoint}"),
		rule(k(kNS, kSvc, kSE), namespace, "metadata.labels.{istio.io/use-waypoint-namespace}"),
		rule(k(kNS, kSvc, kSE), swap("true", "false"), "metadata.labels.{istio.io/ingress-use-waypoint}"),
		rule(k(kKGW), enum("service", "workload", "all", "none"), "metadata.labels.{istio.io/waypoint-for}"),
	}},
	{Name: "dataplane", Doc: "sidecar injection and ambient capture (namespace and pod labels, pod annotations)", Rules: []Rule{
		rule(k(kNS), swap("enabled", "disabled"), "metadata.labels.{istio-injection}"),
		rule(k(kNS), swap("ambient", "none"), "metadata.labels.{istio.io/dataplane-mode}"),
		rule(workloads, swap("ambient", "none"), "spec.template.metadata.labels.{istio.io/dataplane-mode}"),
		rule(workloads, notSelected(swap("true", "false")), "spec.template.metadata.labels.{sidecar.istio.io/inject}", "spec.template.metadata.annotations.{sidecar.istio.io/inject}"),
		rule(k(kNS), tweakString, "metadata.labels.{istio.io/rev}"),
		rule(workloads, notSelected(tweakString), "spec.template.metadata.labels.{istio.io/rev}"),
	}},
	{Name: "workload-label", Doc: "a pod label Istio reads as the workload's canonical name or version", Rules: []Rule{
		rule(workloads, notSelected(labelValue), "spec.template.metadata.labels.{app.kubernetes.io/name}", "spec.template.metadata.labels.{app.kubernetes.io/version}",
			"spec.template.metadata.labels.{service.istio.io/canonical-name}", "spec.template.metadata.labels.{service.istio.io/canonical-revision}",
			"spec.template.metadata.labels.version", "spec.template.metadata.labels.app"),
	}},
	{Name: "weight", Doc: "a route weight (the traffic split)", Rules: []Rule{
		rule(k(kVS), weightShift, vsRoutes("route[].weight")...),
		rule(routes, weightShift, "spec.rules[].backendRefs[].weight"),
	}},
	{Name: "mtls-mode", Doc: "a PeerAuthentication mode", Rules: []Rule{
		rule(k(kPA), enum("STRICT", "PERMISSIVE", "DISABLE"), "spec.mtls.mode", "spec.portLevelMtls.*.mode"),
	}},
	{Name: "authz-action", Doc: "an AuthorizationPolicy action", Rules: []Rule{
		rule(k(kAP), swap("ALLOW", "DENY"), "spec.action"),
	}},
	{Name: "client-tls", Doc: "the TLS a client side originates (DestinationRule tls)", Rules: []Rule{
		rule(k(kDR), clientTLSMode, trafficPolicies("tls.mode")...),
		rule(k(kDR), hostTweakValue, trafficPolicies("tls.sni")...),
		rule(k(kDR), tweakString, trafficPolicies("tls.credentialName", "tls.subjectAltNames[]")...),
		rule(k(kDR), boolFlip, trafficPolicies("tls.insecureSkipVerify")...),
	}},
	{Name: "server-tls", Doc: "the TLS a gateway terminates or passes through", Rules: []Rule{
		rule(k(kGW), serverTLSMode, "spec.servers[].tls.mode"),
		rule(k(kGW), tweakString, "spec.servers[].tls.credentialName"),
		rule(k(kGW), boolFlip, "spec.servers[].tls.httpsRedirect"),
		rule(k(kKGW), swap("Terminate", "Passthrough"), "spec.listeners[].tls.mode"),
		rule(k(kKGW), tweakString, "spec.listeners[].tls.certificateRefs[].name"),
	}},
	{Name: "path", Doc: "a request path a policy or route matches, rewrites or redirects to", Rules: []Rule{
		rule(k(kAP), pathTweak, "spec.rules[].to[].operation.paths[]", "spec.rules[].to[].operation.notPaths[]"),
		rule(k(kVS), pathTweak, "spec.http[].match[].uri.exact", "spec.http[].match[].uri.prefix", "spec.http[].match[].uri.regex",
			"spec.http[].rewrite.uri", "spec.http[].redirect.uri"),
		rule(k(kHR), pathTweak, "spec.rules[].matches[].path.value", "spec.rules[].filters[].urlRewrite.path.replacePrefixMatch",
			"spec.rules[].filters[].urlRewrite.path.replaceFullPath", "spec.rules[].filters[].requestRedirect.path.replacePrefixMatch",
			"spec.rules[].filters[].requestRedirect.path.replaceFullPath"),
	}},
	{Name: "method", Doc: "an HTTP method a policy or route matches", Rules: []Rule{
		rule(k(kAP), method, "spec.rules[].to[].operation.methods[]", "spec.rules[].to[].operation.notMethods[]"),
		rule(k(kVS), method, "spec.http[].match[].method.exact"),
		rule(routes, method, "spec.rules[].matches[].method"),
	}},
	{Name: "issuer", Doc: "a JWT issuer, JWKS, audience or request principal", Rules: []Rule{
		rule(k(kRA), issuerTweak, "spec.jwtRules[].issuer", "spec.jwtRules[].jwksUri", "spec.jwtRules[].audiences[]"),
		rule(k(kAP), issuerTweak, "spec.rules[].from[].source.requestPrincipals[]", "spec.rules[].from[].source.notRequestPrincipals[]",
			"spec.rules[].when[].values[]", "spec.rules[].when[].notValues[]"),
	}},
	{Name: "target-ref", Doc: "the Service or Gateway a policy is attached to", Rules: []Rule{
		rule(append(k(kEF), attached...), parentName, "spec.targetRefs[].name"),
		rule(attached, parentName, "spec.targetRef.name"),
	}},
	{Name: "timeout", Doc: "a request, per-try, connect or idle timeout", Rules: []Rule{
		rule(k(kVS), durationScale, "spec.http[].timeout", "spec.http[].retries.perTryTimeout"),
		rule(k(kHR), durationScale, "spec.rules[].timeouts.request", "spec.rules[].timeouts.backendRequest"),
		rule(k(kDR), durationScale, trafficPolicies("connectionPool.tcp.connectTimeout", "connectionPool.http.idleTimeout")...),
	}},
	{Name: "retry", Doc: "retry attempts and conditions", Rules: []Rule{
		rule(k(kVS), intBump, "spec.http[].retries.attempts"),
		rule(k(kVS), retryOn, "spec.http[].retries.retryOn"),
	}},
	{Name: "header", Doc: "a header or query match (canary pins) or a header a route sets", Rules: []Rule{
		rule(k(kVS), tweakString, "spec.http[].match[].headers.*.exact", "spec.http[].match[].headers.*.prefix", "spec.http[].match[].headers.*.regex",
			"spec.http[].match[].withoutHeaders.*.exact", "spec.http[].match[].queryParams.*.exact", "spec.http[].match[].queryParams.*.prefix",
			"spec.http[].match[].queryParams.*.regex", "spec.http[].headers.request.set.*", "spec.http[].headers.request.add.*",
			"spec.http[].headers.response.set.*", "spec.http[].headers.response.add.*"),
		rule(routes, tweakString, "spec.rules[].matches[].headers[].value", "spec.rules[].matches[].headers[].name",
			"spec.rules[].filters[].requestHeaderModifier.set[].value", "spec.rules[].filters[].requestHeaderModifier.add[].value"),
		rule(k(kHR), tweakString, "spec.rules[].matches[].queryParams[].value", "spec.rules[].matches[].queryParams[].name"),
	}},
	{Name: "circuit-breaker", Doc: "connection pool, outlier detection and load balancing", Rules: []Rule{
		rule(k(kDR), intBump, trafficPolicies("connectionPool.tcp.maxConnections", "connectionPool.http.http1MaxPendingRequests",
			"connectionPool.http.http2MaxRequests", "connectionPool.http.maxRequestsPerConnection", "connectionPool.http.maxRetries",
			"outlierDetection.consecutive5xxErrors", "outlierDetection.consecutiveGatewayErrors", "outlierDetection.maxEjectionPercent",
			"outlierDetection.minHealthPercent")...),
		rule(k(kDR), durationScale, trafficPolicies("outlierDetection.interval", "outlierDetection.baseEjectionTime", "loadBalancer.consistentHash.httpCookie.ttl")...),
		rule(k(kDR), enum("LEAST_REQUEST", "ROUND_ROBIN", "RANDOM"), trafficPolicies("loadBalancer.simple")...),
		rule(k(kDR), tweakString, trafficPolicies("loadBalancer.consistentHash.httpHeaderName", "loadBalancer.consistentHash.httpCookie.name")...),
	}},
	{Name: "fault", Doc: "fault injection and mirroring", Rules: []Rule{
		rule(k(kVS), durationScale, "spec.http[].fault.delay.fixedDelay"),
		rule(k(kVS), percent, "spec.http[].fault.delay.percentage.value", "spec.http[].fault.abort.percentage.value",
			"spec.http[].mirrorPercentage.value", "spec.http[].mirrors[].percentage.value"),
		rule(k(kVS), intBump, "spec.http[].fault.abort.httpStatus"),
	}},
	{Name: "redirect", Doc: "redirects and authority rewrites", Rules: []Rule{
		rule(k(kVS), hostTweakValue, "spec.http[].redirect.authority", "spec.http[].rewrite.authority"),
		rule(k(kVS), swap("http", "https"), "spec.http[].redirect.scheme"),
		rule(k(kVS), intBump, "spec.http[].redirect.redirectCode", "spec.http[].redirect.port"),
		rule(k(kHR), swap("http", "https"), "spec.rules[].filters[].requestRedirect.scheme"),
		rule(k(kHR), swapNumber(301, 302), "spec.rules[].filters[].requestRedirect.statusCode"),
		rule(k(kHR), hostTweakValue, "spec.rules[].filters[].requestRedirect.hostname", "spec.rules[].filters[].urlRewrite.hostname"),
	}},
	{Name: "reference-grant", Doc: "what a ReferenceGrant admits (from namespace and kind, to name)", Rules: []Rule{
		rule(k(kRG), namespace, "metadata.namespace", "spec.from[].namespace"),
		rule(k(kRG), swap("HTTPRoute", "GRPCRoute"), "spec.from[].kind"),
		rule(k(kRG), serviceName, "spec.to[].name"),
	}},
	{Name: "gateway-binding", Doc: "which gateway or parent a route binds to", Rules: []Rule{
		rule(k(kVS), gatewayBinding, append(vsRoutes("match[].gateways[]"), "spec.gateways[]")...),
		rule(routes, parentName, "spec.parentRefs[].name"),
		rule(routes, sectionName, "spec.parentRefs[].sectionName"),
		rule(k(kKGW), swap("istio", "istio-waypoint"), "spec.gatewayClassName"),
	}},
	{Name: "egress", Doc: "outbound traffic policy and ServiceEntry location and resolution", Rules: []Rule{
		rule(k(kSC), swap("REGISTRY_ONLY", "ALLOW_ANY"), "spec.outboundTrafficPolicy.mode"),
		rule(k(kSE), swap("MESH_EXTERNAL", "MESH_INTERNAL"), "spec.location"),
		rule(k(kSE), enum("DNS", "DNS_ROUND_ROBIN", "NONE"), "spec.resolution"),
	}},
	{Name: "telemetry", Doc: "access logging, tracing and metrics providers", Rules: []Rule{
		rule(k(kTel), tweakString, "spec.accessLogging[].providers[].name", "spec.tracing[].providers[].name", "spec.metrics[].providers[].name"),
		rule(k(kTel), boolFlip, "spec.accessLogging[].disabled", "spec.tracing[].disableSpanReporting", "spec.metrics[].overrides[].disabled"),
		rule(k(kTel), percent, "spec.tracing[].randomSamplingPercentage"),
	}},
}

func init() {
	for _, op := range Operators {
		for _, r := range op.Rules {
			var ps []pattern
			for _, p := range r.Paths {
				ps = append(ps, compile(p))
			}
			op.pats = append(op.pats, ps)
		}
	}
}

// Find returns the operator named name.
func Find(name string) *Operator {
	for _, op := range Operators {
		if op.Name == name {
			return op
		}
	}
	return nil
}

// match returns the transform of the first rule of op matching the leaf of a document.
func (op *Operator) match(gk string, p Path) Transform {
	for i, r := range op.Rules {
		if !contains(r.Kinds, gk) {
			continue
		}
		for _, pt := range op.pats[i] {
			if pt.match(p) {
				return r.T
			}
		}
	}
	return nil
}

// --- transforms specific to one operator ---

// protocolSwap: HTTP-family protocols become TCP, others HTTP (upper case for Istio's enums).
func protocolSwap(upper bool) Transform {
	return func(s *Site) []Value {
		v, ok := str(s.Leaf.Value)
		if !ok || v == "" {
			return nil
		}
		alt := "http"
		switch strings.ToLower(v) {
		case "http", "http2", "grpc", "grpc-web":
			alt = "tcp"
		case "https":
			alt = "tls"
		case "tls":
			alt = "https"
		}
		if upper {
			alt = strings.ToUpper(alt)
		}
		return []Value{{alt, "another protocol"}}
	}
}

// exportTo: "*" becomes ".", "." becomes "*", a namespace another namespace.
func exportTo(s *Site) []Value {
	switch v, _ := str(s.Leaf.Value); v {
	case "*":
		return []Value{{".", "exported to its own namespace only"}}
	case ".":
		return []Value{{"*", "exported to every namespace"}}
	case "~":
		return nil
	}
	return namespace(s)
}

// gatewayHost changes a Gateway server host (`[<ns>/]<host>`).
func gatewayHost(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok {
		return nil
	}
	ns, h, found := strings.Cut(v, "/")
	if !found {
		ns, h = "", v
	}
	alt := hostTweak(h)
	if alt == "" {
		return nil
	}
	if found {
		alt = ns + "/" + alt
	}
	return []Value{{alt, "a host no client asks for"}}
}

func hostTweakValue(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok {
		return nil
	}
	if alt := hostTweak(v); alt != "" {
		return []Value{{alt, "another host name"}}
	}
	return nil
}

func suffix(sfx, note string) Transform {
	return func(s *Site) []Value {
		v, ok := str(s.Leaf.Value)
		if !ok {
			return nil
		}
		return []Value{{v + sfx, note}}
	}
}

// useWaypoint: a service bound to a waypoint opts out ("none"); another value names another
// Gateway of the namespace.
func useWaypoint(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok {
		return nil
	}
	if v == "none" {
		return nil
	}
	out := []Value{{"none", "opted out of the waypoint"}}
	if alt := next(s.Index.K8sGateways[s.Doc.Namespace()], v, nil); alt != "" {
		out = append(out, Value{alt, "another Gateway of the namespace"})
	}
	return out
}

// clientTLSMode: origination switched off, or switched to another kind that needs no
// certificate fields.
func clientTLSMode(s *Site) []Value {
	switch v, _ := str(s.Leaf.Value); v {
	case "ISTIO_MUTUAL":
		return []Value{{"DISABLE", "plaintext to the destination"}, {"SIMPLE", "one-way TLS instead of Istio mTLS"}}
	case "SIMPLE":
		return []Value{{"DISABLE", "no TLS origination"}, {"ISTIO_MUTUAL", "Istio mTLS to an external host"}}
	case "DISABLE":
		return []Value{{"ISTIO_MUTUAL", "Istio mTLS"}}
	case "MUTUAL":
		return []Value{{"SIMPLE", "no client certificate"}}
	}
	return nil
}

// serverTLSMode: what a gateway server does with TLS.
func serverTLSMode(s *Site) []Value {
	switch v, _ := str(s.Leaf.Value); v {
	case "SIMPLE":
		return []Value{{"PASSTHROUGH", "TLS passed through instead of terminated"}}
	case "PASSTHROUGH":
		return []Value{{"AUTO_PASSTHROUGH", "SNI-routed passthrough"}}
	case "ISTIO_MUTUAL":
		return []Value{{"PASSTHROUGH", "TLS passed through instead of Istio mTLS"}}
	case "MUTUAL":
		return []Value{{"SIMPLE", "no client certificate required"}}
	}
	return nil
}

// retryOn drops the first retry condition (or sets "5xx" when there is one).
func retryOn(s *Site) []Value {
	v, ok := str(s.Leaf.Value)
	if !ok || v == "" {
		return nil
	}
	if _, rest, found := strings.Cut(v, ","); found {
		return []Value{{rest, "one retry condition less"}}
	}
	if v == "5xx" {
		return []Value{{"connect-failure", "another retry condition"}}
	}
	return []Value{{"5xx", "another retry condition"}}
}

func swapNumber(a, b int64) Transform {
	return func(s *Site) []Value {
		switch n, _ := integer(s.Leaf.Value); n {
		case a:
			return []Value{{num(b), "the other status"}}
		case b:
			return []Value{{num(a), "the other status"}}
		}
		return nil
	}
}

// notSelected applies t to a pod template label only when the workload's own selector does not
// use the key (the API server rejects a template its selector no longer matches).
func notSelected(t Transform) Transform {
	return func(s *Site) []Value {
		p := s.Leaf.Path
		if len(p) >= 4 && p[0] == "spec" && p[1] == "template" && p[3] == "labels" {
			if _, ok := Get(s.Doc.Object, Path{"spec", "selector", "matchLabels", p.Last()}); ok {
				return nil
			}
		}
		return t(s)
	}
}

// notStatusPort leaves out a gateway's status port (its readiness endpoint, which no request
// of the mesh goes to).
func notStatusPort(t Transform) Transform {
	return func(s *Site) []Value {
		if name, _ := str(s.sibling("name")); name == "status-port" {
			return nil
		}
		return t(s)
	}
}
