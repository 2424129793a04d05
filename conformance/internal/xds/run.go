package xds

import (
	"fmt"
	"sort"
	"strings"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	rbachttp "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	rbacnet "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpopts "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/protojson"

	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/schema/gvk"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/report"
)

// Stage is the report stage name.
const Stage = "xds"

// Run loads the example into pilot, generates the xDS of every named proxy and
// asserts that the declared intents reached Envoy.
func Run(ex *manifest.Example, r *report.Report) error {
	env, err := Load(ex)
	if err != nil {
		r.Fail(ex.Name, Stage, "pilot", err.Error())
		return err
	}
	defer env.Close()
	c := newChecker(env, r)
	c.generate()
	c.assert()
	return nil
}

func newChecker(env *Env, r *report.Report) *checker {
	return &checker{env: env, r: r, ex: env.Example.Name, hosts: env.Hosts(), eds: map[string]bool{}}
}

type checker struct {
	env     *Env
	r       *report.Report
	ex      string
	hosts   map[string]*Host
	eds     map[string]bool
	proxies []*Proxy
	configs map[*Proxy]*Config
}

func (c *checker) pass(subject, msg string) { c.r.Pass(c.ex, Stage, subject, msg) }
func (c *checker) fail(subject, msg string) { c.r.Fail(c.ex, Stage, subject, msg) }
func (c *checker) check(ok bool, subject, msg string) bool {
	return c.r.Check(ok, c.ex, Stage, subject, msg)
}

// generate runs pilot for every named proxy.
func (c *checker) generate() {
	c.proxies = c.env.Proxies()
	c.configs = map[*Proxy]*Config{}
	for _, p := range c.proxies {
		c.configs[p] = c.env.Generate(p)
	}
}

// assert compares each proxy's generated config with the declared intents.
func (c *checker) assert() {
	for _, p := range c.proxies {
		cfg := c.configs[p]
		c.r.Count(c.ex, Stage, "proxies", 1)
		c.r.Count(c.ex, Stage, "resources", cfg.Count())
		errs := cfg.Validate()
		if len(errs) == 0 {
			c.pass(p.Name, fmt.Sprintf("%d Envoy resources pass proto validation", cfg.Count()))
		}
		for _, e := range errs {
			c.fail(p.Name, "proto validation: "+e.Error())
		}
	}
	for _, p := range c.proxies {
		cfg := c.configs[p]
		if p.Workload.Waypoint {
			c.waypoint(p, cfg) // waypoint.go: routes and authorization of the attached services
			continue
		}
		if p.Workload.Gateway {
			c.gateway(p, cfg)
		} else {
			c.scoping(p, cfg)
			c.meshRoutes(p, cfg)
			c.inbound(p, cfg)
		}
		c.destinationRules(p, cfg)
		c.telemetryChecks(p, cfg)
	}
	c.authorizedCallers()
	c.waypointsExist()
	c.ztunnelPolicies()
}

// ---- Sidecar scoping ----

func (c *checker) scoping(p *Proxy, cfg *Config) {
	visible, sidecar := c.env.expectedVisible(p.Workload, c.hosts)
	seen := map[string]bool{}
	var extra []string
	for _, cl := range cfg.Clusters {
		dir, _, h, _ := parseClusterName(cl.Name)
		if dir != "outbound" {
			continue
		}
		seen[h] = true
		if !visible[h] {
			extra = append(extra, cl.Name)
		}
	}
	var missing []string
	for h := range visible {
		if !seen[h] && len(c.hosts[h].Ports) > 0 {
			missing = append(missing, h)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	what := "no Sidecar applies: sees every exported host"
	if sidecar != nil {
		what = fmt.Sprintf("Sidecar %s/%s egress", sidecar.Namespace, sidecar.Name)
	}
	if len(missing) == 0 && len(extra) == 0 {
		c.pass(p.Name, fmt.Sprintf("%s: clusters for exactly the %d hosts declared", what, len(visible)))
		return
	}
	if len(missing) > 0 {
		c.fail(p.Name, fmt.Sprintf("%s: declared hosts without an Envoy cluster: %s", what, strings.Join(missing, ", ")))
	}
	if len(extra) > 0 {
		c.fail(p.Name, fmt.Sprintf("%s: Envoy has clusters outside the declared egress: %s", what, strings.Join(extra, ", ")))
	}
}

// parseClusterName splits "outbound|80|v1|host".
func parseClusterName(n string) (dir, subset, host string, port int) {
	parts := strings.Split(n, "|")
	if len(parts) != 4 {
		return "", "", "", 0
	}
	_, _ = fmt.Sscanf(parts[1], "%d", &port)
	return parts[0], parts[2], parts[3], port
}

// ---- VirtualService routes on sidecars ----

func (c *checker) meshRoutes(p *Proxy, cfg *Config) {
	visible, _ := c.env.expectedVisible(p.Workload, c.hosts)
	for _, vsCfg := range c.env.configs(gvk.VirtualService) {
		vs := vsCfg.Spec.(*networking.VirtualService)
		if !boundTo(vs, vsCfg.Namespace, "mesh") || !exported(vs.ExportTo, vsCfg.Namespace, p.Workload.Namespace) || len(vs.Http) == 0 {
			continue
		}
		for _, vh := range vs.Hosts {
			host := fqdn(vh, vsCfg.Namespace)
			h, ok := c.hosts[host]
			if !ok || !visible[host] {
				continue
			}
			for _, port := range h.Ports {
				if !port.HTTP {
					continue
				}
				subject := fmt.Sprintf("%s VirtualService %s/%s %s:%d", p.Name, vsCfg.Namespace, vsCfg.Name, host, port.Number)
				want := expectedRoutes(vs, vsCfg.Namespace, "mesh", port.Number, p.Workload.Labels, p.Workload.Namespace)
				if len(want) == 0 {
					continue
				}
				rc := cfg.Route(fmt.Sprint(port.Number))
				vhost := findVirtualHost(rc, host)
				if rc == nil || vhost == nil {
					c.fail(subject, fmt.Sprintf("no virtual host for %s in route %d", host, port.Number))
					continue
				}
				c.routesResult(subject, cfg, vhost, vsCfg, want, port.Number, false)
			}
		}
	}
}

func (c *checker) routesResult(subject string, cfg *Config, vh *route.VirtualHost, vsCfg config.Config, want []routeMatch, port int, router bool) {
	problems, clusters := checkVirtualHost(vh, vsCfg, want, c.hosts, port)
	for _, cl := range clusters {
		if cfg.Cluster(cl) == nil {
			problems = append(problems, fmt.Sprintf("routes to cluster %s, which pilot did not generate (missing host or DestinationRule subset): traffic gets 503", cl))
			continue
		}
		c.endpoints(cfg, cl, subject, router)
	}
	if len(problems) == 0 {
		c.pass(subject, fmt.Sprintf("%d routes (matches, weighted clusters, retries, timeouts, faults) as declared", len(want)))
		return
	}
	for _, x := range problems {
		c.fail(subject, x)
	}
}

// ---- endpoints ----

// endpoints asserts the EDS of a routed cluster holds exactly the pods the
// Service selector and the DestinationRule subset select (once per cluster).
func (c *checker) endpoints(cfg *Config, name, subject string, router bool) {
	key := name
	if c.env.ambient {
		key = fmt.Sprintf("%s|router=%v", name, router) // gateways and sidecars see different EDS (ambient.go)
	}
	if c.eds[key] {
		return
	}
	c.eds[key] = true
	_, subsetName, host, _ := parseClusterName(name)
	h := c.hosts[host]
	if h == nil || h.Selector == nil {
		return // ServiceEntry hosts resolve by DNS or their own endpoints
	}
	cl := cfg.Cluster(name)
	if cl.GetType() != cluster.Cluster_EDS {
		return
	}
	sel := copyMap(h.Selector)
	if subsetName != "" {
		sub := c.env.subset(host, subsetName)
		if sub == nil {
			return
		}
		for k, v := range sub.Labels {
			sel[k] = v
		}
	}
	want := 0
	for _, w := range c.env.Workloads {
		if w.Namespace == h.Namespace && subset(sel, w.Labels) {
			want += len(w.Pods)
		}
	}
	wp := c.env.ingressWaypointOf(host)
	if wp != nil && router {
		// ambient: gateways send the host's traffic to its waypoint (ambient.go); sidecars send
		// it to the pods directly (HBONE)
		sel, want = wp.Labels, len(wp.Pods)
	}
	got := 0
	for _, le := range cfg.Endpoint(name).GetEndpoints() {
		got += len(le.LbEndpoints)
	}
	if want == 0 {
		c.fail("endpoints "+name, fmt.Sprintf("no pod matches the Service selector and subset labels %v, yet %s routes to it: Envoy has 0 endpoints (503)", sel, subject))
		return
	}
	if c.env.ambient {
		// the count alone cannot tell a waypoint's pod from the service's: compare addresses
		c.check(got == want && sameEndpoints(cfg, name, c.env, sel, h.Namespace), "endpoints "+name+edsView(router),
			fmt.Sprintf("EDS has %d endpoints at the addresses of the pods matching %v: %d", got, sel, want))
		return
	}
	c.check(got == want, "endpoints "+name, fmt.Sprintf("EDS has %d endpoints; the pods matching %v: %d", got, sel, want))
}

func (e *Env) subset(host, name string) *networking.Subset {
	for _, c := range e.configs(gvk.DestinationRule) {
		dr := c.Spec.(*networking.DestinationRule)
		if fqdn(dr.Host, c.Namespace) != host {
			continue
		}
		for _, s := range dr.Subsets {
			if s.Name == name {
				return s
			}
		}
	}
	return nil
}

// ---- DestinationRules on clusters ----

func (c *checker) destinationRules(p *Proxy, cfg *Config) {
	for _, drCfg := range c.env.configs(gvk.DestinationRule) {
		dr := drCfg.Spec.(*networking.DestinationRule)
		if !exported(dr.ExportTo, drCfg.Namespace, p.Workload.Namespace) {
			continue
		}
		host := fqdn(dr.Host, drCfg.Namespace)
		for _, cl := range cfg.Clusters {
			dir, sub, h, port := parseClusterName(cl.Name)
			if dir != "outbound" || h != host {
				continue
			}
			var subPolicy *networking.TrafficPolicy
			if sub != "" {
				s := c.env.subset(host, sub)
				if s == nil {
					continue
				}
				subPolicy = s.TrafficPolicy
			}
			eff := effectivePolicy(dr.TrafficPolicy, subPolicy, port)
			problems := clusterProblems(cl, eff)
			subject := fmt.Sprintf("%s DestinationRule %s/%s cluster %s", p.Name, drCfg.Namespace, drCfg.Name, cl.Name)
			if eff == nil {
				continue
			}
			if len(problems) == 0 {
				c.pass(subject, "traffic policy (connection pool, outlier detection, load balancer, TLS) as declared")
			}
			for _, x := range problems {
				c.fail(subject, x)
			}
		}
	}
}

// effectivePolicy merges as Istio documents: subset fields override the top level,
// port-level settings override both for their port.
func effectivePolicy(top, sub *networking.TrafficPolicy, port int) *networking.TrafficPolicy {
	out := &networking.TrafficPolicy{}
	set := false
	apply := func(tp *networking.TrafficPolicy) {
		if tp == nil {
			return
		}
		if tp.ConnectionPool != nil {
			out.ConnectionPool, set = tp.ConnectionPool, true
		}
		if tp.OutlierDetection != nil {
			out.OutlierDetection, set = tp.OutlierDetection, true
		}
		if tp.LoadBalancer != nil {
			out.LoadBalancer, set = tp.LoadBalancer, true
		}
		if tp.Tls != nil {
			out.Tls, set = tp.Tls, true
		}
		for _, pl := range tp.PortLevelSettings {
			if int(pl.GetPort().GetNumber()) != port {
				continue
			}
			if pl.ConnectionPool != nil {
				out.ConnectionPool, set = pl.ConnectionPool, true
			}
			if pl.OutlierDetection != nil {
				out.OutlierDetection, set = pl.OutlierDetection, true
			}
			if pl.LoadBalancer != nil {
				out.LoadBalancer, set = pl.LoadBalancer, true
			}
			if pl.Tls != nil {
				out.Tls, set = pl.Tls, true
			}
		}
	}
	apply(top)
	apply(sub)
	if !set {
		return nil
	}
	return out
}

func clusterProblems(cl *cluster.Cluster, tp *networking.TrafficPolicy) []string {
	var problems []string
	bad := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }
	if cp := tp.GetConnectionPool(); cp != nil {
		var th *cluster.CircuitBreakers_Thresholds
		if t := cl.GetCircuitBreakers().GetThresholds(); len(t) > 0 {
			th = t[0]
		}
		if tcp := cp.Tcp; tcp != nil {
			if tcp.MaxConnections > 0 && th.GetMaxConnections().GetValue() != uint32(tcp.MaxConnections) {
				bad("max_connections %d, declared %d", th.GetMaxConnections().GetValue(), tcp.MaxConnections)
			}
			if tcp.ConnectTimeout != nil && !durEqual(cl.ConnectTimeout, tcp.ConnectTimeout) {
				bad("connect_timeout %v, declared %v", cl.ConnectTimeout.AsDuration(), tcp.ConnectTimeout.AsDuration())
			}
		}
		if h := cp.Http; h != nil {
			if h.Http1MaxPendingRequests > 0 && th.GetMaxPendingRequests().GetValue() != uint32(h.Http1MaxPendingRequests) {
				bad("max_pending_requests %d, declared %d", th.GetMaxPendingRequests().GetValue(), h.Http1MaxPendingRequests)
			}
			if h.Http2MaxRequests > 0 && th.GetMaxRequests().GetValue() != uint32(h.Http2MaxRequests) {
				bad("max_requests %d, declared %d", th.GetMaxRequests().GetValue(), h.Http2MaxRequests)
			}
			if h.MaxRetries > 0 && th.GetMaxRetries().GetValue() != uint32(h.MaxRetries) {
				bad("max_retries %d, declared %d", th.GetMaxRetries().GetValue(), h.MaxRetries)
			}
			if h.MaxRequestsPerConnection > 0 {
				o := &httpopts.HttpProtocolOptions{}
				a := cl.GetTypedExtensionProtocolOptions()["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
				if a == nil || a.UnmarshalTo(o) != nil || o.GetCommonHttpProtocolOptions().GetMaxRequestsPerConnection().GetValue() != uint32(h.MaxRequestsPerConnection) {
					bad("max_requests_per_connection %d, declared %d", o.GetCommonHttpProtocolOptions().GetMaxRequestsPerConnection().GetValue(), h.MaxRequestsPerConnection)
				}
			}
		}
	}
	if od := tp.GetOutlierDetection(); od != nil {
		o := cl.GetOutlierDetection()
		if o == nil {
			bad("no outlier_detection, declared %v", od)
		} else {
			if od.Consecutive_5XxErrors != nil && o.GetConsecutive_5Xx().GetValue() != od.Consecutive_5XxErrors.Value {
				bad("consecutive_5xx %d, declared %d", o.GetConsecutive_5Xx().GetValue(), od.Consecutive_5XxErrors.Value)
			}
			if od.ConsecutiveGatewayErrors != nil && o.GetConsecutiveGatewayFailure().GetValue() != od.ConsecutiveGatewayErrors.Value {
				bad("consecutive_gateway_failure %d, declared %d", o.GetConsecutiveGatewayFailure().GetValue(), od.ConsecutiveGatewayErrors.Value)
			}
			if od.Interval != nil && !durEqual(o.Interval, od.Interval) {
				bad("interval %v, declared %v", o.Interval.AsDuration(), od.Interval.AsDuration())
			}
			if od.BaseEjectionTime != nil && !durEqual(o.BaseEjectionTime, od.BaseEjectionTime) {
				bad("base_ejection_time %v, declared %v", o.BaseEjectionTime.AsDuration(), od.BaseEjectionTime.AsDuration())
			}
			if od.MaxEjectionPercent > 0 && o.GetMaxEjectionPercent().GetValue() != uint32(od.MaxEjectionPercent) {
				bad("max_ejection_percent %d, declared %d", o.GetMaxEjectionPercent().GetValue(), od.MaxEjectionPercent)
			}
		}
	}
	if lb := tp.GetLoadBalancer(); lb != nil {
		want := map[networking.LoadBalancerSettings_SimpleLB]cluster.Cluster_LbPolicy{
			networking.LoadBalancerSettings_LEAST_REQUEST: cluster.Cluster_LEAST_REQUEST,
			networking.LoadBalancerSettings_ROUND_ROBIN:   cluster.Cluster_ROUND_ROBIN,
			networking.LoadBalancerSettings_RANDOM:        cluster.Cluster_RANDOM,
		}
		if s, ok := lb.LbPolicy.(*networking.LoadBalancerSettings_Simple); ok {
			if w, ok := want[s.Simple]; ok && cl.LbPolicy != w {
				bad("lb_policy %v, declared %v", cl.LbPolicy, s.Simple)
			}
		}
	}
	if t := tp.GetTls(); t != nil {
		ctx := upstreamTLS(cl)
		switch t.Mode {
		case networking.ClientTLSSettings_ISTIO_MUTUAL, networking.ClientTLSSettings_SIMPLE, networking.ClientTLSSettings_MUTUAL:
			if ctx == nil {
				bad("no TLS transport socket, declared %v", t.Mode)
			} else if t.Sni != "" && ctx.Sni != t.Sni {
				bad("TLS SNI %q, declared %q", ctx.Sni, t.Sni)
			}
		case networking.ClientTLSSettings_DISABLE:
			if ctx != nil {
				bad("TLS transport socket although TLS is DISABLE")
			}
		}
	}
	return problems
}

// upstreamTLS returns the cluster's TLS context (direct, or the mTLS match of
// auto-mTLS transport socket matches).
func upstreamTLS(cl *cluster.Cluster) *tlsv3.UpstreamTlsContext {
	sockets := []*core.TransportSocket{cl.GetTransportSocket()}
	for _, m := range cl.GetTransportSocketMatches() {
		sockets = append(sockets, m.GetTransportSocket())
	}
	for _, s := range sockets {
		if s == nil || s.GetTypedConfig() == nil {
			continue
		}
		ctx := &tlsv3.UpstreamTlsContext{}
		if s.GetTypedConfig().UnmarshalTo(ctx) == nil {
			return ctx
		}
	}
	return nil
}

// ---- inbound: authorization, mTLS, JWT ----

// inboundChains returns the filter chains of virtualInbound for the workload's ports.
func (c *checker) inboundChains(p *Proxy, cfg *Config) (chains []*listener.FilterChain, ports map[uint32]bool) {
	ports = map[uint32]bool{}
	for _, svc := range c.env.Services {
		if svc.Namespace != p.Workload.Namespace || len(svc.Spec.Selector) == 0 || !subset(svc.Spec.Selector, p.Workload.Labels) {
			continue
		}
		for _, sp := range svc.Spec.Ports {
			ports[uint32(targetPort(sp, p.Workload.Pods))] = true
		}
	}
	l := cfg.Listener("virtualInbound")
	for _, fc := range l.GetFilterChains() {
		if ports[fc.GetFilterChainMatch().GetDestinationPort().GetValue()] {
			chains = append(chains, fc)
		}
	}
	return chains, ports
}

func (c *checker) inbound(p *Proxy, cfg *Config) {
	chains, ports := c.inboundChains(p, cfg)
	if len(ports) == 0 {
		return
	}
	c.authz(p, cfg, chains)
	c.mtls(p, cfg, ports)
	c.jwt(p, chains)
}

func (c *checker) applies(w *Workload, ns string, sel map[string]string) bool {
	if ns == c.env.rootNamespace() && len(sel) == 0 {
		return true
	}
	return ns == w.Namespace && subset(sel, w.Labels)
}

type rbacFilter struct {
	action   rbacv3.RBAC_Action
	policies map[string]*rbacv3.Policy
}

// rbacFilters returns the RBAC filters (HTTP or network) of a chain.
func rbacFilters(fc *listener.FilterChain) []rbacFilter {
	var out []rbacFilter
	for _, f := range fc.Filters {
		switch f.Name {
		case "envoy.filters.network.rbac":
			r := &rbacnet.RBAC{}
			if f.GetTypedConfig().UnmarshalTo(r) == nil && r.Rules != nil {
				out = append(out, rbacFilter{r.Rules.Action, r.Rules.Policies})
			}
		case "envoy.filters.network.http_connection_manager":
			h := &hcm.HttpConnectionManager{}
			if f.GetTypedConfig().UnmarshalTo(h) != nil {
				continue
			}
			for _, hf := range h.HttpFilters {
				if hf.Name != "envoy.filters.http.rbac" {
					continue
				}
				r := &rbachttp.RBAC{}
				if hf.GetTypedConfig().UnmarshalTo(r) == nil && r.Rules != nil {
					out = append(out, rbacFilter{r.Rules.Action, r.Rules.Policies})
				}
			}
		}
	}
	return out
}

func httpChain(fc *listener.FilterChain) *hcm.HttpConnectionManager {
	for _, f := range fc.Filters {
		if f.Name == "envoy.filters.network.http_connection_manager" {
			h := &hcm.HttpConnectionManager{}
			if f.GetTypedConfig().UnmarshalTo(h) == nil {
				return h
			}
		}
	}
	return nil
}

func (c *checker) authz(p *Proxy, cfg *Config, chains []*listener.FilterChain) {
	for _, apCfg := range c.env.configs(gvk.AuthorizationPolicy) {
		ap := apCfg.Spec.(*security.AuthorizationPolicy)
		if len(ap.TargetRefs) > 0 || ap.TargetRef != nil || !c.applies(p.Workload, apCfg.Namespace, ap.GetSelector().GetMatchLabels()) {
			continue
		}
		var action rbacv3.RBAC_Action
		switch ap.Action {
		case security.AuthorizationPolicy_ALLOW:
			action = rbacv3.RBAC_ALLOW
		case security.AuthorizationPolicy_DENY:
			action = rbacv3.RBAC_DENY
		default:
			continue
		}
		subject := fmt.Sprintf("%s AuthorizationPolicy %s/%s", p.Name, apCfg.Namespace, apCfg.Name)
		var problems []string
		checked := 0
		for _, fc := range chains {
			if httpChain(fc) == nil {
				continue // HTTP-only conditions do not apply to TCP chains
			}
			checked++
			for i, rule := range ap.Rules {
				key := fmt.Sprintf("ns[%s]-policy[%s]-rule[%d]", apCfg.Namespace, apCfg.Name, i)
				var pol *rbacv3.Policy
				for _, rf := range rbacFilters(fc) {
					if rf.action == action && rf.policies[key] != nil {
						pol = rf.policies[key]
					}
				}
				if pol == nil {
					problems = append(problems, fmt.Sprintf("chain %s: no %v RBAC policy %s", fc.Name, action, key))
					continue
				}
				js := protojson.Format(pol)
				for _, from := range rule.From {
					s := from.GetSource()
					for _, pr := range append(append([]string{}, s.GetPrincipals()...), s.GetNotPrincipals()...) {
						if lit := strings.Trim(pr, "*"); lit != "" && !strings.Contains(js, lit) {
							problems = append(problems, fmt.Sprintf("chain %s: principal %q not in %s", fc.Name, pr, key))
						}
					}
					for _, pr := range append(append([]string{}, s.GetRequestPrincipals()...), s.GetNotRequestPrincipals()...) {
						// "<iss>/<sub>": Istio matches the JWT's iss and sub claims separately
						iss, sub := pr, ""
						if i := strings.LastIndex(pr, "/"); i > 0 {
							iss, sub = pr[:i], pr[i+1:]
						}
						if lit := strings.Trim(iss, "*"); (lit != "" && !strings.Contains(js, lit)) || (strings.Trim(sub, "*") != "" && !strings.Contains(js, strings.Trim(sub, "*"))) {
							problems = append(problems, fmt.Sprintf("chain %s: request principal %q not in %s", fc.Name, pr, key))
						}
					}
					for _, ns := range append(append([]string{}, s.GetNamespaces()...), s.GetNotNamespaces()...) {
						if !strings.Contains(js, "/ns/"+strings.Trim(ns, "*")) {
							problems = append(problems, fmt.Sprintf("chain %s: namespace %q not in %s", fc.Name, ns, key))
						}
					}
				}
				for _, to := range rule.To {
					for _, path := range append(append([]string{}, to.GetOperation().GetPaths()...), to.GetOperation().GetNotPaths()...) {
						if lit := strings.Trim(path, "*"); lit != "" && !strings.Contains(js, lit) {
							problems = append(problems, fmt.Sprintf("chain %s: path %q not in %s", fc.Name, path, key))
						}
					}
					for _, m := range to.GetOperation().GetMethods() {
						if !strings.Contains(js, m) {
							problems = append(problems, fmt.Sprintf("chain %s: method %q not in %s", fc.Name, m, key))
						}
					}
				}
			}
		}
		if checked == 0 {
			continue
		}
		if len(problems) == 0 {
			c.pass(subject, fmt.Sprintf("%v RBAC filter with the declared principals and operations on %d inbound HTTP chains", action, checked))
		}
		for _, x := range problems {
			c.fail(subject, x)
		}
		c.principalsExist(apCfg, ap)
	}
}

// principalsExist: each declared principal names a ServiceAccount of the output
// (an RBAC rule naming an identity nobody has never matches).
func (c *checker) principalsExist(apCfg config.Config, ap *security.AuthorizationPolicy) {
	key := "principals " + apCfg.Namespace + "/" + apCfg.Name
	if c.eds[key] {
		return
	}
	c.eds[key] = true
	td := c.env.Mesh.GetTrustDomain()
	for _, rule := range ap.Rules {
		for _, from := range rule.From {
			for _, pr := range from.GetSource().GetPrincipals() {
				if strings.Contains(pr, "*") {
					continue
				}
				rest, ok := strings.CutPrefix(pr, td+"/ns/")
				ns, sa, ok2 := strings.Cut(rest, "/sa/")
				subject := fmt.Sprintf("AuthorizationPolicy %s/%s principal %s", apCfg.Namespace, apCfg.Name, pr)
				if !ok || !ok2 {
					c.fail(subject, fmt.Sprintf("not a SPIFFE identity of trust domain %q (<td>/ns/<ns>/sa/<sa>)", td))
					continue
				}
				_, found := c.env.Example.Find("", "ServiceAccount", ns, sa)
				c.check(found, subject, fmt.Sprintf("names ServiceAccount %s/%s (emitted: %v)", ns, sa, found))
			}
		}
	}
}

// peerAuthMode returns the effective mTLS mode for a workload port, and whether any
// PeerAuthentication declared it.
func (c *checker) peerAuthMode(w *Workload, port uint32) (security.PeerAuthentication_MutualTLS_Mode, string) {
	var ws, ns, root *config.Config
	for _, pa := range c.env.configs(gvk.PeerAuthentication) {
		pa := pa
		spec := pa.Spec.(*security.PeerAuthentication)
		sel := spec.GetSelector().GetMatchLabels()
		switch {
		case pa.Namespace == w.Namespace && len(sel) > 0 && subset(sel, w.Labels):
			if ws == nil {
				ws = &pa
			}
		case pa.Namespace == w.Namespace && len(sel) == 0:
			if ns == nil {
				ns = &pa
			}
		case pa.Namespace == c.env.rootNamespace() && len(sel) == 0:
			if root == nil {
				root = &pa
			}
		}
	}
	for _, pa := range []*config.Config{ws, ns, root} {
		if pa == nil {
			continue
		}
		spec := pa.Spec.(*security.PeerAuthentication)
		if pl, ok := spec.PortLevelMtls[port]; ok && pl.Mode != security.PeerAuthentication_MutualTLS_UNSET {
			return pl.Mode, pa.Namespace + "/" + pa.Name
		}
		if m := spec.GetMtls().GetMode(); m != security.PeerAuthentication_MutualTLS_UNSET {
			return m, pa.Namespace + "/" + pa.Name
		}
	}
	return security.PeerAuthentication_MutualTLS_UNSET, ""
}

func (c *checker) mtls(p *Proxy, cfg *Config, ports map[uint32]bool) {
	l := cfg.Listener("virtualInbound")
	for port := range ports {
		mode, by := c.peerAuthMode(p.Workload, port)
		if by == "" {
			continue
		}
		subject := fmt.Sprintf("%s PeerAuthentication %s port %d", p.Name, by, port)
		var tlsChains, plain int
		for _, fc := range l.GetFilterChains() {
			if fc.GetFilterChainMatch().GetDestinationPort().GetValue() != port {
				continue
			}
			ctx := &tlsv3.DownstreamTlsContext{}
			if ts := fc.GetTransportSocket(); ts != nil && ts.GetTypedConfig().UnmarshalTo(ctx) == nil && ctx.GetRequireClientCertificate().GetValue() {
				tlsChains++
			} else {
				plain++
			}
		}
		switch mode {
		case security.PeerAuthentication_MutualTLS_STRICT:
			c.check(tlsChains > 0 && plain == 0, subject,
				fmt.Sprintf("STRICT: %d inbound chains require a client certificate, %d accept plaintext", tlsChains, plain))
		case security.PeerAuthentication_MutualTLS_PERMISSIVE:
			c.check(tlsChains > 0 && plain > 0, subject,
				fmt.Sprintf("PERMISSIVE: %d mTLS chains, %d plaintext chains", tlsChains, plain))
		case security.PeerAuthentication_MutualTLS_DISABLE:
			c.check(tlsChains == 0 && plain > 0, subject,
				fmt.Sprintf("DISABLE: %d mTLS chains, %d plaintext chains", tlsChains, plain))
		}
	}
}

func (c *checker) jwt(p *Proxy, chains []*listener.FilterChain) {
	for _, raCfg := range c.env.configs(gvk.RequestAuthentication) {
		ra := raCfg.Spec.(*security.RequestAuthentication)
		if len(ra.TargetRefs) > 0 || ra.TargetRef != nil || !c.applies(p.Workload, raCfg.Namespace, ra.GetSelector().GetMatchLabels()) {
			continue
		}
		subject := fmt.Sprintf("%s RequestAuthentication %s/%s", p.Name, raCfg.Namespace, raCfg.Name)
		checked, problems := 0, []string{}
		for _, fc := range chains {
			h := httpChain(fc)
			if h == nil {
				continue
			}
			checked++
			var js string
			for _, hf := range h.HttpFilters {
				if hf.Name == "envoy.filters.http.jwt_authn" {
					js = protojson.Format(hf)
				}
			}
			for _, rule := range ra.JwtRules {
				if !strings.Contains(js, rule.Issuer) {
					problems = append(problems, fmt.Sprintf("chain %s: no jwt_authn provider for issuer %s", fc.Name, rule.Issuer))
				}
			}
		}
		if checked == 0 {
			continue
		}
		if len(problems) == 0 {
			c.pass(subject, fmt.Sprintf("jwt_authn with the declared issuers on %d inbound HTTP chains", checked))
		}
		for _, x := range problems {
			c.fail(subject, x)
		}
	}
}

// authorizedCallers: a caller that a callee's ALLOW policy admits must be able to
// reach the callee (its proxy has a cluster for the callee's Service).
func (c *checker) authorizedCallers() {
	td := c.env.Mesh.GetTrustDomain()
	for _, apCfg := range c.env.configs(gvk.AuthorizationPolicy) {
		ap := apCfg.Spec.(*security.AuthorizationPolicy)
		if ap.Action != security.AuthorizationPolicy_ALLOW || len(ap.TargetRefs) > 0 {
			continue
		}
		// the callee's hosts
		var calleeHosts []string
		seenHost := map[string]bool{}
		for _, w := range c.env.Workloads {
			if !c.applies(w, apCfg.Namespace, ap.GetSelector().GetMatchLabels()) || w.Gateway {
				continue
			}
			for name, h := range c.hosts {
				if h.Selector != nil && h.Namespace == w.Namespace && subset(h.Selector, w.Labels) && !seenHost[name] {
					seenHost[name] = true
					calleeHosts = append(calleeHosts, name)
				}
			}
		}
		sort.Strings(calleeHosts)
		for _, rule := range ap.Rules {
			for _, from := range rule.From {
				for _, pr := range from.GetSource().GetPrincipals() {
					rest, ok := strings.CutPrefix(pr, td+"/ns/")
					ns, sa, ok2 := strings.Cut(rest, "/sa/")
					if !ok || !ok2 || strings.Contains(pr, "*") {
						continue
					}
					for _, p := range c.proxies {
						if p.Workload.Namespace != ns || p.Workload.ServiceAccount != sa {
							continue
						}
						cfg := c.configs[p]
						for _, h := range calleeHosts {
							found := false
							for _, cl := range cfg.Clusters {
								if dir, _, hh, _ := parseClusterName(cl.Name); (dir == "outbound" || dir == "inbound-vip") && hh == h {
									found = true
								}
							}
							c.check(found, fmt.Sprintf("%s → %s", p.Name, h),
								fmt.Sprintf("admitted by AuthorizationPolicy %s/%s as %s; caller's Envoy has a cluster for it: %v", apCfg.Namespace, apCfg.Name, pr, found))
						}
					}
				}
			}
		}
	}
}
