package live

import (
	"fmt"
	"net"
	"sort"
	"strings"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/xds"
)

// ClusterOnlyLive lists clusters every live cluster has and the output does not declare:
// the API server's own Service (default/kubernetes), which the in-process registry (built from
// the output alone) does not hold.
var ClusterOnlyLive = map[string]string{
	"outbound|443||kubernetes.default.svc.cluster.local": "the API server's Service default/kubernetes exists in every cluster, not in the output",
}

// ListedXDS are differences between the live and the in-process xDS that are accepted, by
// substring of the difference, each with why.
var ListedXDS = map[string]string{
	"cluster inner_connect_originate:": connectOriginate,
	"cluster outer_connect_originate:": connectOriginate,
	"||waypoint.":                      "the waypoint Service istiod deploys exposes its status port 15021 besides HBONE 15008; the in-process stage models the waypoint Service with 15008 only",
	"~https-443.":                      "the stage supplies the TLS certificate the Gateway's https listener names (as the user would), so the live istiod programs that listener; the in-process stage has no certificate and does not",
}

const connectOriginate = "the waypoint's fixed internal clusters for originating HBONE (CONNECT) tunnels, which the full istiod " +
	"adds for a waypoint and the in-process stage's pilot does not; not derived from the output"

// CompareXDS compares what istiod sent a live client with what pilot generated in-process for
// the same proxy: the set of clusters, and every route configuration's virtual hosts and
// routes (virtual host domains that are IP addresses differ by construction and are left out).
func CompareXDS(live *XDSConfig, gen *xds.Config) (clusters, routes int, diffs []string) {
	liveClusters, genClusters := map[string]bool{}, map[string]bool{}
	for _, c := range live.Clusters {
		liveClusters[c.Name] = true
	}
	for _, c := range gen.Clusters {
		genClusters[c.Name] = true
	}
	for n := range genClusters {
		if !liveClusters[n] {
			diffs = append(diffs, "cluster "+n+": generated in-process, not sent by the live istiod")
		}
	}
	for n := range liveClusters {
		if !genClusters[n] {
			if _, ok := ClusterOnlyLive[n]; ok {
				continue
			}
			diffs = append(diffs, "cluster "+n+": sent by the live istiod, not generated in-process")
		}
	}
	clusters = len(liveClusters)
	liveRoutes := map[string]*route.RouteConfiguration{}
	for _, r := range live.Routes {
		liveRoutes[r.Name] = r
	}
	for _, g := range gen.Routes {
		l, ok := liveRoutes[g.Name]
		if !ok {
			diffs = append(diffs, "route configuration "+g.Name+": generated in-process, not sent by the live istiod")
			continue
		}
		routes++
		diffs = append(diffs, compareRouteConfig(g.Name, l, g)...)
	}
	genNames := map[string]bool{}
	for _, g := range gen.Routes {
		genNames[g.Name] = true
	}
	for n := range liveRoutes {
		if !genNames[n] {
			diffs = append(diffs, "route configuration "+n+": sent by the live istiod, not generated in-process")
		}
	}
	sort.Strings(diffs)
	return clusters, routes, diffs
}

func compareRouteConfig(name string, live, gen *route.RouteConfiguration) []string {
	var out []string
	lv, gv := vhostsByName(live), vhostsByName(gen)
	for n, g := range gv {
		l, ok := lv[n]
		if !ok {
			if kubernetesVhost(n) {
				continue
			}
			out = append(out, fmt.Sprintf("route %s virtual host %s: generated in-process, not sent live", name, n))
			continue
		}
		if a, b := domains(l), domains(g); a != b {
			out = append(out, fmt.Sprintf("route %s virtual host %s: domains live [%s], in-process [%s]", name, n, a, b))
		}
		if a, b := routesJSON(l), routesJSON(g); a != b {
			out = append(out, fmt.Sprintf("route %s virtual host %s: routes differ: live %s, in-process %s", name, n, cut(a), cut(b)))
		}
	}
	for n := range lv {
		if _, ok := gv[n]; !ok && !kubernetesVhost(n) {
			out = append(out, fmt.Sprintf("route %s virtual host %s: sent live, not generated in-process", name, n))
		}
	}
	return out
}

// kubernetesVhost: the virtual host of the API server's own Service (see ClusterOnlyLive).
func kubernetesVhost(n string) bool {
	return strings.HasPrefix(n, "kubernetes.default.svc.cluster.local:")
}

func vhostsByName(rc *route.RouteConfiguration) map[string]*route.VirtualHost {
	out := map[string]*route.VirtualHost{}
	for _, vh := range rc.VirtualHosts {
		out[vh.Name] = vh
	}
	return out
}

func domains(vh *route.VirtualHost) string {
	var out []string
	for _, d := range vh.Domains {
		h := d
		if host, _, err := net.SplitHostPort(d); err == nil {
			h = host
		}
		if net.ParseIP(strings.Trim(h, "[]")) != nil {
			continue
		}
		out = append(out, d)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func routesJSON(vh *route.VirtualHost) string {
	c := proto.Clone(vh).(*route.VirtualHost)
	c.Domains = nil
	b, _ := protojson.MarshalOptions{}.Marshal(c)
	// protojson output is not stable across runs in whitespace; normalize. An explicit
	// case_sensitive: true is Envoy's default (the live istiod sets it on Gateway API matches)
	out := strings.Join(strings.Fields(string(b)), "")
	return strings.ReplaceAll(out, `,"caseSensitive":true`, "")
}

func cut(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}
