package xds

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/proto"

	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
	"istio.io/istio/pkg/config/schema/gvk"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
)

// waypoint asserts a waypoint proxy's generated config against the declared intent of the
// services attached to it (istio.io/use-waypoint): for every HTTP port of each service, a
// virtual host whose routes are the service's VirtualService routes (matches, weighted
// subsets, retries, timeouts, faults: the same comparison as for sidecars), and in front of
// them the RBAC policies of every AuthorizationPolicy that targets the Service (one Envoy
// policy per rule, the declared action).
//
// A waypoint names the clusters of a service `inbound-vip|<port>|http[/<subset>]|<host>`
// where a sidecar uses `outbound|<port>|<subset>|<host>`; the routes are compared with the
// waypoint's names translated to the sidecar's, and each translated cluster must exist.
func (c *checker) waypoint(p *Proxy, cfg *Config) {
	var attached []string
	for host := range c.hosts {
		if w := c.env.waypointOf(host); w != nil && w == p.Workload {
			attached = append(attached, host)
		}
	}
	sort.Strings(attached)
	c.check(len(attached) > 0, p.Name, fmt.Sprintf("serves the services attached to it: %s", strings.Join(attached, ", ")))
	chains := waypointChains(cfg)
	for _, host := range attached {
		h := c.hosts[host]
		for _, port := range h.Ports {
			if !port.HTTP {
				continue
			}
			fc, vh := findWaypointHost(chains, host, port.Number)
			subject := fmt.Sprintf("%s %s:%d", p.Name, host, port.Number)
			if vh == nil {
				c.fail(subject, "no HTTP filter chain with a virtual host for the service: its L7 intent would not apply")
				continue
			}
			c.waypointRoutes(p, cfg, subject, host, port.Number, vh)
			c.waypointAuthz(subject, host, fc)
		}
	}
}

// waypointChains are the HTTP filter chains of the waypoint's listeners.
func waypointChains(cfg *Config) []*listener.FilterChain {
	var out []*listener.FilterChain
	for _, l := range cfg.Listeners {
		for _, fc := range l.FilterChains {
			if httpChain(fc) != nil {
				out = append(out, fc)
			}
		}
	}
	return out
}

// findWaypointHost finds the chain serving a service's VIP on a port and its virtual host: the
// waypoint's chain per service carries an inline route configuration named
// `inbound-vip|<port>|http|<host>` with one virtual host (domains "*": the chain is the service's).
func findWaypointHost(chains []*listener.FilterChain, host string, port int) (*listener.FilterChain, *route.VirtualHost) {
	name := fmt.Sprintf("inbound-vip|%d|http|%s", port, host)
	for _, fc := range chains {
		rc := httpChain(fc).GetRouteConfig()
		if rc.GetName() == name && len(rc.GetVirtualHosts()) == 1 {
			return fc, rc.VirtualHosts[0]
		}
	}
	return nil, nil
}

// sidecarClusterName translates a waypoint cluster name to the sidecar's.
func sidecarClusterName(n string) string {
	parts := strings.Split(n, "|")
	if len(parts) != 4 || parts[0] != "inbound-vip" {
		return n
	}
	_, subset, _ := strings.Cut(parts[2], "/")
	return strings.Join([]string{"outbound", parts[1], subset, parts[3]}, "|")
}

// withSidecarClusterNames returns a copy of vh whose route clusters carry sidecar names.
func withSidecarClusterNames(vh *route.VirtualHost) (*route.VirtualHost, map[string]string) {
	out := proto.Clone(vh).(*route.VirtualHost)
	back := map[string]string{}
	for _, r := range out.Routes {
		a := r.GetRoute()
		if a == nil {
			continue
		}
		if cl := a.GetCluster(); cl != "" {
			back[sidecarClusterName(cl)] = cl
			a.ClusterSpecifier = &route.RouteAction_Cluster{Cluster: sidecarClusterName(cl)}
		}
		for _, wc := range a.GetWeightedClusters().GetClusters() {
			back[sidecarClusterName(wc.Name)] = wc.Name
			wc.Name = sidecarClusterName(wc.Name)
		}
	}
	return out, back
}

func (c *checker) waypointRoutes(p *Proxy, cfg *Config, subject, host string, port int, vh *route.VirtualHost) {
	checked := 0
	for _, vsCfg := range c.env.configs(gvk.VirtualService) {
		vs := vsCfg.Spec.(*networking.VirtualService)
		if !boundTo(vs, vsCfg.Namespace, "mesh") || len(vs.Http) == 0 {
			continue
		}
		match := false
		for _, h := range vs.Hosts {
			match = match || fqdn(h, vsCfg.Namespace) == host
		}
		if !match {
			continue
		}
		want := expectedRoutes(vs, vsCfg.Namespace, "mesh", port, p.Workload.Labels, p.Workload.Namespace)
		if len(want) == 0 {
			continue
		}
		checked++
		translated, back := withSidecarClusterNames(vh)
		problems, clusters := checkVirtualHost(translated, vsCfg, want, c.hosts, port)
		for _, cl := range clusters {
			if cfg.Cluster(back[cl]) == nil {
				problems = append(problems, fmt.Sprintf("routes to cluster %s (sidecar name %s), which pilot did not generate: traffic gets 503", back[cl], cl))
			}
		}
		vsSubject := fmt.Sprintf("%s VirtualService %s/%s", subject, vsCfg.Namespace, vsCfg.Name)
		if len(problems) == 0 {
			c.pass(vsSubject, fmt.Sprintf("%d routes (matches, weighted subsets, retries, timeouts, faults) as declared, served by the waypoint", len(want)))
		}
		for _, x := range problems {
			c.fail(vsSubject, x)
		}
	}
	if checked == 0 {
		checked = c.waypointGammaRoutes(cfg, subject, host, vh)
	}
	if checked == 0 {
		c.pass(subject, "no VirtualService or HTTPRoute routes the service: the waypoint's default route")
	}
}

// waypointGammaRoutes checks the routes a waypoint serves for a service from the Gateway API
// (GAMMA) HTTPRoutes attached to its Service: the virtual host has a route per HTTPRoute match
// (at least one per rule), and every backend Service of the HTTPRoute is a cluster the route
// table sends to and pilot generated (a waypoint cluster `inbound-vip|<port>|http|<backend>`
// when the backend is attached to the waypoint, else the `outbound` one). The routes' actions
// (weights, timeouts, mirrors) are compared with the Istio-API rendering's in the equivalence
// stage. Returns the number of HTTPRoutes checked.
func (c *checker) waypointGammaRoutes(cfg *Config, subject, host string, vh *route.VirtualHost) int {
	checked := 0
	targets := map[string]bool{} // clusters the virtual host's routes send to (and mirror to)
	for _, r := range vh.Routes {
		a := r.GetRoute()
		if a == nil {
			continue
		}
		if cl := a.GetCluster(); cl != "" {
			targets[cl] = true
		}
		for _, wc := range a.GetWeightedClusters().GetClusters() {
			targets[wc.Name] = true
		}
		for _, m := range a.GetRequestMirrorPolicies() {
			targets[m.Cluster] = true
		}
	}
	for _, o := range c.env.Example.ByKind(gatewayAPIGroup, "HTTPRoute") {
		parents, backends := gammaRoute(o)
		if !slices.Contains(parents, host) {
			continue
		}
		checked++
		rtSubject := fmt.Sprintf("%s HTTPRoute %s/%s", subject, o.GetNamespace(), o.GetName())
		var problems []string
		spec, _, _ := unstructuredMap(o.Object, "spec")
		rules := manifest.Maps(spec["rules"])
		if len(vh.Routes) < len(rules) {
			problems = append(problems, fmt.Sprintf("the waypoint's virtual host has %d routes for the HTTPRoute's %d rules", len(vh.Routes), len(rules)))
		}
		seen := map[string]bool{}
		for _, b := range backends {
			if seen[b] {
				continue
			}
			seen[b] = true
			if c.hosts[b] == nil {
				problems = append(problems, fmt.Sprintf("backend %s is no Service of the output", b))
				continue
			}
			var names []string
			for _, x := range c.hosts[b].Ports {
				if x.HTTP {
					names = append(names, fmt.Sprintf("inbound-vip|%d|http|%s", x.Number, b), fmt.Sprintf("outbound|%d||%s", x.Number, b))
				}
			}
			found := ""
			for _, n := range names {
				if targets[n] {
					found = n
				}
			}
			switch {
			case found == "":
				problems = append(problems, fmt.Sprintf("no route of the waypoint sends to backend %s (clusters %s)", b, strings.Join(names, " or ")))
			case cfg.Cluster(found) == nil:
				problems = append(problems, fmt.Sprintf("routes to cluster %s, which pilot did not generate: traffic gets 503", found))
			}
		}
		if len(problems) == 0 {
			c.pass(rtSubject, fmt.Sprintf("%d routes for the HTTPRoute's %d rules, sending to its %d backend Services through generated clusters, served by the waypoint", len(vh.Routes), len(rules), len(seen)))
		}
		for _, x := range problems {
			c.fail(rtSubject, x)
		}
	}
	return checked
}

// waypointAuthz checks the RBAC of the service's chain against the AuthorizationPolicies that
// target the Service.
func (c *checker) waypointAuthz(subject, host string, fc *listener.FilterChain) {
	svc := c.env.serviceOf(host)
	if svc == nil {
		return
	}
	got := map[string]rbacv3.RBAC_Action{}
	for _, f := range rbacFilters(fc) {
		for name := range f.policies {
			got[name] = f.action
		}
	}
	for _, apCfg := range c.env.configs(gvk.AuthorizationPolicy) {
		ap := apCfg.Spec.(*security.AuthorizationPolicy)
		targets := false
		for _, t := range ap.TargetRefs {
			targets = targets || (t.Kind == "Service" && t.Group == "" && t.Name == svc.Name && apCfg.Namespace == svc.Namespace)
		}
		if !targets {
			continue
		}
		want := rbacv3.RBAC_ALLOW
		if ap.Action == security.AuthorizationPolicy_DENY {
			want = rbacv3.RBAC_DENY
		}
		var missing []string
		for i := range ap.Rules {
			name := fmt.Sprintf("ns[%s]-policy[%s]-rule[%d]", apCfg.Namespace, apCfg.Name, i)
			if a, ok := got[name]; !ok || a != want {
				missing = append(missing, name)
			}
		}
		apSubject := fmt.Sprintf("%s AuthorizationPolicy %s/%s", subject, apCfg.Namespace, apCfg.Name)
		if len(missing) == 0 {
			c.pass(apSubject, fmt.Sprintf("%d rules enforced by the waypoint as %s RBAC policies", len(ap.Rules), want))
		} else {
			c.fail(apSubject, fmt.Sprintf("rules without a %s RBAC policy in the waypoint's chain: %s", want, strings.Join(missing, ", ")))
		}
	}
}

// waypointsExist asserts that every Service attached to a waypoint (istio.io/use-waypoint) in
// an ambient output names a Gateway of class istio-waypoint of its namespace: otherwise
// ztunnel has nowhere to send its traffic and its L7 intent applies nowhere.
func (c *checker) waypointsExist() {
	if !c.env.ambient {
		return
	}
	for _, s := range c.env.Services {
		name := s.Labels[useWaypointLabel]
		if name == "" {
			continue
		}
		host := fmt.Sprintf("%s.%s.svc.%s", s.Name, s.Namespace, DomainSuffix)
		c.check(c.env.waypointOf(host) != nil, "Service "+s.Namespace+"/"+s.Name,
			fmt.Sprintf("attached to waypoint %q, which a Gateway of class istio-waypoint in %s declares: %v", name, s.Namespace, c.env.waypointOf(host) != nil))
	}
}

// ztunnelPolicies asserts that pilot hands ztunnel every selector-based AuthorizationPolicy
// of ambient workloads with all its rules (the ambient index's conversion drops a rule it
// cannot enforce at L4: methods, paths, request principals... which would make an ALLOW
// narrower and a DENY wider than declared), and hands it none of the policies that target a
// Service or Gateway (the waypoint's).
func (c *checker) ztunnelPolicies() {
	if !c.env.ambient {
		return
	}
	converted := map[string]int{} // namespace/name -> rule groups
	for _, wa := range c.env.Server.Env().AmbientIndexes.Policies(nil) {
		if wa.Authorization != nil {
			converted[wa.Authorization.Namespace+"/"+wa.Authorization.Name] = len(wa.Authorization.Groups)
		}
	}
	for _, apCfg := range c.env.configs(gvk.AuthorizationPolicy) {
		ap := apCfg.Spec.(*security.AuthorizationPolicy)
		key := apCfg.Namespace + "/" + apCfg.Name
		subject := "ztunnel AuthorizationPolicy " + key
		groups, ok := converted[key]
		if len(ap.TargetRefs) > 0 || ap.TargetRef != nil {
			c.check(!ok, subject, fmt.Sprintf("targets %s: enforced by the waypoint, not handed to ztunnel: %v", targetKinds(ap), !ok))
			continue
		}
		ambientTarget := false
		for _, w := range c.env.Workloads {
			ambientTarget = ambientTarget || (w.Ambient && c.applies(w, apCfg.Namespace, ap.GetSelector().GetMatchLabels()))
		}
		if !ambientTarget {
			continue
		}
		c.check(ok && groups == len(ap.Rules), subject,
			fmt.Sprintf("selects ambient workloads: ztunnel enforces %d of its %d rules (a rule it drops needs L7)", groups, len(ap.Rules)))
	}
}

func targetKinds(ap *security.AuthorizationPolicy) string {
	var out []string
	for _, t := range ap.TargetRefs {
		out = append(out, t.Kind+" "+t.Name)
	}
	if ap.TargetRef != nil {
		out = append(out, ap.TargetRef.Kind+" "+ap.TargetRef.Name)
	}
	return strings.Join(out, ", ")
}
