// Package equivalence compares the Envoy configuration pilot generates from two renderings
// of the same cdk8s-mesh program: with the Istio API (VirtualService, DestinationRule
// subsets, Istio Gateway) and with the Kubernetes Gateway API (GAMMA HTTPRoutes on the
// Service, one Service per version, Gateway API Gateway and HTTPRoutes). Both are loaded
// into pilot's in-memory discovery server (internal/xds); for every proxy of both (same
// workload) it compares
//
//   - routes: every virtual host of the Istio-API rendering, route by route in order
//     (matches, weighted destinations, timeouts, retry policy, mirrors, header edits,
//     redirects, rewrites, CORS and hash policies), and
//   - clusters: every outbound cluster of the Istio-API rendering with the cluster the
//     Gateway API rendering sends the same traffic to (load balancing, connection pools,
//     outlier detection, TLS),
//
// after mapping a version's Service host of the Gateway API rendering
// (outbound|80||reviews-v2.store.svc.cluster.local) to the subset cluster of the Istio one
// (outbound|80|v2|reviews.store.svc.cluster.local). What differs by construction is listed
// (Differences), never silently ignored.
//
// Ambient: a waypoint is a proxy of both renderings too. Its routes for a service
// attached to it are the inline route configuration of the service's filter chain
// (inbound-vip|80|http|reviews.store.svc.cluster.local), compared route by route like a
// sidecar's, and its clusters for attached services (inbound-vip|80|http/v2|reviews... in the
// Istio rendering, inbound-vip|80|http|reviews-v2... for the attached version Service of the
// Gateway API one) are compared like outbound clusters, after the same version mapping.
package equivalence

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/report"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/xds"
)

// Stage is the report stage name.
const Stage = "equivalence"

// Suffixes of the two renderings of one program (conformance/synth.ts).
const (
	IstioSuffix   = ".istio-api"
	GatewaySuffix = ".gateway-api"
)

// Differences are what the two renderings generate differently by construction, each
// with the reason it is not a defect. Keys are used in listed messages.
var Differences = map[string]string{
	"path-prefix":             "a Gateway API PathPrefix matches whole path segments (Istio converts it to Envoy's path_separated_prefix), a VirtualService prefix matches characters: /api matches /apis with the Istio API only",
	"version-hosts":           "the Gateway API rendering adds one Service per version (the HTTPRoute backends): their own virtual hosts and clusters exist in its config only",
	"https-redirect":          "an Istio Gateway server's httpsRedirect is a virtual host require_tls; the Gateway API rendering answers the HTTP listener with a RequestRedirect route (301 to https) instead",
	"route-metadata":          "route names, decorators and filter metadata name the source object (VirtualService or HTTPRoute) and are not compared",
	"cluster-identity":        "a version's cluster carries its own service name in metadata, EDS service name and TLS SNI (reviews-v2 instead of subset v2 of reviews); these are mapped before comparing",
	"tls-secrets":             "the oracle adds a self-signed kubernetes.io/tls Secret for every certificate a gateway server names (users issue them, e.g. with cert-manager; a Gateway API listener without its Secret is not programmed)",
	"missing-backend-500":     "Istio's Gateway API conversion answers a request whose backend cluster does not exist with 500 (the Gateway API's rule), a VirtualService with 503: cluster_not_found_response_code",
	"single-weighted-cluster": "pilot drops 0-weight destinations; what remains is one entry of weighted_clusters in one conversion and a plain cluster in the other (both send everything to it)",
	"prefix-rewrite":          "a URLRewrite ReplacePrefixMatch \"/\" becomes a segment-aware regex rewrite (^/v1(/?)(.*) to /\\2), a VirtualService rewrite.uri a prefix_rewrite: the same path for every request both match",
	"cors-preflight":          "a preflight request from an origin the CORS policy does not allow is forwarded to the service with the Istio API (unmatchedPreflights FORWARD, Istio's default) and answered by Envoy with the Gateway API CORS filter",
	"header-prefix-regex":     "the Gateway API matches a header or query parameter exactly or by regex: a prefix match is rendered as the full-match regex <prefix>.* and a presence match as .* (the same requests match)",
	"route-table-shape":       "the route tables differ in layout (the Gateway API's precedence order, a tester pin repeated with each route's path so it keeps winning); probe requests built from every condition of both tables are routed to equal actions",
	"waypoint-version-hosts":  "in ambient mode the Gateway API rendering attaches the per-version Services to the waypoint as well (so their DestinationRules and the service's policies apply there): the waypoint has a filter chain and route table of its own for each",
	"gateway-route-config":    "a gateway's route configuration is named after the Istio Gateway, or after Istio's internal gateway of each Gateway API listener: virtual hosts are compared by port and domain",
}

// literalPrefix returns P when re is the regex P.* of a literal P (metacharacters escaped).
func literalPrefix(re string) (string, bool) {
	body, ok := strings.CutSuffix(re, ".*")
	if !ok {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		ch := body[i]
		if ch == '\\' && i+1 < len(body) {
			i++
			b.WriteByte(body[i])
			continue
		}
		if strings.ContainsRune(`.*+?^$()[]{}|`, rune(ch)) {
			return "", false
		}
		b.WriteByte(ch)
	}
	return b.String(), true
}

func copyWithout(m map[string]any, key string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// Run compares every pair <name>.istio-api / <name>.gateway-api among the examples.
func Run(examples []*manifest.Example, r *report.Report) {
	byName := map[string]*manifest.Example{}
	for _, ex := range examples {
		byName[ex.Name] = ex
	}
	var bases []string
	for name := range byName {
		if base, ok := strings.CutSuffix(name, GatewaySuffix); ok {
			if _, ok := byName[base+IstioSuffix]; ok {
				bases = append(bases, base)
			}
		}
	}
	sort.Strings(bases)
	for _, base := range bases {
		name := base + " (istio-api = gateway-api)"
		if err := Compare(name, byName[base+IstioSuffix], byName[base+GatewaySuffix], r); err != nil {
			r.Fail(name, Stage, "pilot", err.Error())
		}
	}
}

// Compare loads both renderings into pilot and compares each proxy's routes and clusters.
func Compare(name string, istioEx, gatewayEx *manifest.Example, r *report.Report) error {
	// the gateways' TLS Secrets are issued in the cluster (never synthesized): a Gateway API
	// listener whose certificate Secret does not exist is not programmed at all, an Istio
	// Gateway server is (SDS waits), so both clusters get the Secrets the servers name
	secrets, err := tlsSecrets(istioEx, gatewayEx)
	if err != nil {
		return err
	}
	if len(secrets) > 0 {
		r.List(name, Stage, "TLS Secrets", fmt.Sprintf("%d gateway certificate Secret(s) added to both clusters", len(secrets)), Differences["tls-secrets"])
	}
	istioEx, gatewayEx = withObjects(istioEx, secrets), withObjects(gatewayEx, secrets)
	a, err := xds.Load(istioEx)
	if err != nil {
		return fmt.Errorf("%s: %w", istioEx.Name, err)
	}
	defer a.Close()
	b, err := xds.Load(gatewayEx)
	if err != nil {
		return fmt.Errorf("%s: %w", gatewayEx.Name, err)
	}
	defer b.Close()
	c := &comparer{name: name, r: r, versions: versionHosts(gatewayEx), listed: map[string]bool{}}
	bProxies := map[string]*xds.Proxy{}
	for _, p := range b.Proxies() {
		bProxies[p.Name] = p
	}
	for _, pa := range a.Proxies() {
		if pa.Workload.Probe {
			continue // the oracle's synthetic client of namespaces with a VirtualService
		}
		pb, ok := bProxies[pa.Name]
		if !ok {
			r.Fail(name, Stage, pa.Name, "no such proxy in the Gateway API rendering")
			continue
		}
		r.Count(name, Stage, "proxies", 1)
		ca, cb := a.Generate(pa), b.Generate(pb)
		c.routes(pa, ca, cb)
		c.clusters(pa, ca, cb)
	}
	return nil
}

type comparer struct {
	name     string
	r        *report.Report
	versions map[string]versionOf // version Service host -> service host and version
	listed   map[string]bool
}

type versionOf struct{ host, version string }

// versionHosts reads the per-version Services of the Gateway API rendering: a Service
// named <app>-<version> selecting app and version, beside the Service <app>.
func versionHosts(ex *manifest.Example) map[string]versionOf {
	out := map[string]versionOf{}
	for _, o := range ex.ByKind("", "Service") {
		sel, _ := o.Object["spec"].(map[string]any)["selector"].(map[string]any)
		app, _ := sel["app"].(string)
		version, _ := sel["version"].(string)
		if app == "" || version == "" || o.GetName() != app+"-"+version {
			continue
		}
		if _, ok := ex.Find("", "Service", o.GetNamespace(), app); !ok {
			continue
		}
		suffix := "." + o.GetNamespace() + ".svc." + xds.DomainSuffix
		out[o.GetName()+suffix] = versionOf{host: app + suffix, version: version}
	}
	return out
}

func (c *comparer) list(subject, key string) {
	if c.listed[subject+"|"+key] {
		return
	}
	c.listed[subject+"|"+key] = true
	c.r.List(c.name, Stage, subject, "differs: "+key, Differences[key])
}

var clusterName = regexp.MustCompile(`^outbound\|(\d+)\|([^|]*)\|(.+)$`)
var sniName = regexp.MustCompile(`outbound_\.(\d+)_\.([^_]*)_\.([a-z0-9.-]+)`)

// waypointClusterName is a waypoint's cluster of a service attached to it (subset after the '/').
var waypointClusterName = regexp.MustCompile(`^inbound-vip\|(\d+)\|([a-z0-9]+)(/[^|]+)?\|(.+)$`)

// mapString rewrites a Gateway API rendering's version host reference to the Istio one.
func (c *comparer) mapString(s string) string {
	if m := clusterName.FindStringSubmatch(s); m != nil && m[2] == "" {
		if v, ok := c.versions[m[3]]; ok {
			return fmt.Sprintf("outbound|%s|%s|%s", m[1], v.version, v.host)
		}
	}
	if m := waypointClusterName.FindStringSubmatch(s); m != nil && m[3] == "" {
		if v, ok := c.versions[m[4]]; ok {
			return fmt.Sprintf("inbound-vip|%s|%s/%s|%s", m[1], m[2], v.version, v.host)
		}
	}
	return sniName.ReplaceAllStringFunc(s, func(x string) string {
		m := sniName.FindStringSubmatch(x)
		if v, ok := c.versions[m[3]]; ok && m[2] == "" {
			return fmt.Sprintf("outbound_.%s_.%s_.%s", m[1], v.version, v.host)
		}
		return x
	})
}

// isVersionHost is true for names of the Gateway API rendering's per-version Services.
func (c *comparer) isVersionHost(s string) bool {
	h, _, _ := strings.Cut(s, ":")
	_, ok := c.versions[h]
	return ok
}

func toJSON(m proto.Message) any {
	data, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	var v any
	_ = json.Unmarshal(data, &v)
	return v
}

// normalize walks a JSON value: drops the keys in drop (at any depth), maps version-host
// references, and reports which listed differences it applied.
func (c *comparer) normalize(v any, drop map[string]bool, applied map[string]bool) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		// a route to one weighted cluster is a route to that cluster (pilot drops 0-weight
		// destinations, leaving a single-entry list in one conversion and a plain cluster in the other)
		if wc, ok := t["weighted_clusters"].(map[string]any); ok {
			if cl, ok := wc["clusters"].([]any); ok && len(cl) == 1 {
				if only, ok := cl[0].(map[string]any); ok && len(only) <= 2 {
					if _, hasName := only["name"]; hasName {
						t = copyWithout(t, "weighted_clusters")
						t["cluster"] = only["name"]
						applied["single-weighted-cluster"] = true
					}
				}
			}
		}
		// Istio converts ReplacePrefixMatch "/" into a regex rewrite ^<prefix>(/?)(.*) -> /\2, the
		// segment-aware form of a prefix_rewrite to "/"
		if rr, ok := t["regex_rewrite"].(map[string]any); ok {
			pattern, _ := rr["pattern"].(map[string]any)
			re, _ := pattern["regex"].(string)
			sub, _ := rr["substitution"].(string)
			if strings.HasPrefix(re, "^") && strings.HasSuffix(re, "(/?)(.*)") && strings.HasSuffix(sub, `\2`) {
				t = copyWithout(t, "regex_rewrite")
				t["prefix_rewrite"] = strings.TrimSuffix(sub, `\2`)
				applied["prefix-rewrite"] = true
			}
		}
		// the Gateway API matches headers and query parameters exactly or by regex: the library
		// renders a prefix P as the full-match regex P.* and presence as .*
		if sm, ok := t["string_match"].(map[string]any); ok {
			if sr, ok := sm["safe_regex"].(map[string]any); ok {
				re, _ := sr["regex"].(string)
				if re == ".*" {
					t = copyWithout(t, "string_match")
					t["present_match"] = true
					applied["header-prefix-regex"] = true
				} else if lit, ok := literalPrefix(re); ok {
					t = copyWithout(t, "string_match")
					t["string_match"] = map[string]any{"prefix": lit}
					applied["header-prefix-regex"] = true
				}
			}
		}
		for k, x := range t {
			if drop[k] {
				applied["route-metadata"] = true
				continue
			}
			if k == "forward_not_matching_preflights" {
				if x == false {
					applied["cors-preflight"] = true
				}
				continue
			}
			if k == "case_sensitive" && x == true {
				continue // Envoy's default, written out by one conversion only
			}
			if k == "cluster_not_found_response_code" && x == "INTERNAL_SERVER_ERROR" {
				applied["missing-backend-500"] = true
				continue
			}
			if k == "path_separated_prefix" {
				applied["path-prefix"] = true
				out["prefix"] = c.normalize(x, drop, applied)
				continue
			}
			if str, ok := x.(string); ok && k == "prefix" && len(str) > 1 && strings.HasSuffix(str, "/") {
				// a segment prefix has no trailing slash (Istio trims it from a PathPrefix): /v1/ and /v1 differ
				// only in whether the path /v1 itself matches, which is the listed path-prefix difference
				applied["path-prefix"] = true
				out["prefix"] = strings.TrimSuffix(str, "/")
				continue
			}
			out[k] = c.normalize(x, drop, applied)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = c.normalize(x, drop, applied)
		}
		return out
	case string:
		if m := c.mapString(t); m != t {
			applied["cluster-identity"] = true
			return m
		}
		return t
	}
	return v
}

var routeDrop = map[string]bool{"name": true, "metadata": true, "decorator": true}

// vhostKey identifies a virtual host across both renderings: the port of its route
// configuration and its name.
func vhostKey(rc *route.RouteConfiguration, vh *route.VirtualHost) string {
	port := rc.Name
	if parts := strings.Split(rc.Name, "."); len(parts) > 1 {
		port = parts[1] // gateways: http.80, https.443.<server>.<gateway>.<namespace>
	}
	return port + " " + vh.Name
}

func vhosts(cfg *xds.Config) map[string]*route.VirtualHost {
	out := map[string]*route.VirtualHost{}
	for _, rc := range cfg.Routes {
		for _, vh := range rc.VirtualHosts {
			out[vhostKey(rc, vh)] = vh
		}
	}
	for k, vh := range waypointVhosts(cfg) {
		out[k] = vh
	}
	return out
}

// waypointVhosts are a waypoint's route tables of the services attached to it: the inline route
// configuration inbound-vip|<port>|http|<host> of each service's filter chain (one virtual host),
// keyed "<port> <host>" like the virtual hosts of RDS route configurations.
func waypointVhosts(cfg *xds.Config) map[string]*route.VirtualHost {
	out := map[string]*route.VirtualHost{}
	for _, l := range cfg.Listeners {
		for _, fc := range l.FilterChains {
			for _, f := range fc.Filters {
				h := &hcm.HttpConnectionManager{}
				if f.Name != "envoy.filters.network.http_connection_manager" || f.GetTypedConfig().UnmarshalTo(h) != nil {
					continue
				}
				rc := h.GetRouteConfig()
				parts := strings.Split(rc.GetName(), "|")
				if len(parts) != 4 || parts[0] != "inbound-vip" || len(rc.GetVirtualHosts()) != 1 {
					continue
				}
				out[parts[1]+" "+parts[3]] = rc.VirtualHosts[0]
			}
		}
	}
	return out
}

func (c *comparer) routes(p *xds.Proxy, a, b *xds.Config) {
	va, vb := vhosts(a), vhosts(b)
	keys := make([]string, 0, len(va))
	for k := range va {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		subject := p.Name + " route " + k
		ha := va[k]
		if p.Workload.Gateway && !strings.HasPrefix(k, "443 ") && !strings.HasPrefix(k, "8443 ") {
			// a redirect-only HTTP server: require_tls (Istio API) vs a RequestRedirect route
			hb, ok := vb[k]
			if ha.RequireTls == route.VirtualHost_ALL && ok && redirectsToHTTPS(hb) {
				c.list(subject, "https-redirect")
				c.r.Pass(c.name, Stage, subject, "plain HTTP answered with a redirect to HTTPS in both")
				continue
			}
		}
		hb, ok := vb[k]
		if !ok {
			c.r.Fail(c.name, Stage, subject, "virtual host missing from the Gateway API rendering")
			continue
		}
		if p.Workload.Gateway {
			c.list(subject, "gateway-route-config")
		}
		applied := map[string]bool{}
		ra, rb := []any{}, []any{}
		for _, x := range ha.Routes {
			ra = append(ra, c.normalize(toJSON(x), routeDrop, map[string]bool{}))
		}
		for _, x := range hb.Routes {
			rb = append(rb, c.normalize(toJSON(x), routeDrop, applied))
		}
		c.r.Count(c.name, Stage, "routes", len(ha.Routes))
		if diff := firstDiff(ra, rb); diff != "" {
			// laid out differently: compare what the two tables do with every probe request
			n, behaviour := sameBehaviour(ra, rb)
			if behaviour != "" {
				c.r.Fail(c.name, Stage, subject, diff+"; "+behaviour)
				continue
			}
			c.list(subject, "route-table-shape")
			c.r.Count(c.name, Stage, "probe requests", n)
		}
		for key := range applied {
			if key != "route-metadata" && key != "cluster-identity" {
				c.list(subject, key)
			}
		}
		c.r.Pass(c.name, Stage, subject, fmt.Sprintf("%d routes equal (matches, destinations and weights, timeouts, retries, mirrors, header edits, rewrites, redirects, CORS)", len(ha.Routes)))
	}
	extra := 0
	for k := range vb {
		if _, ok := va[k]; !ok {
			if c.isVersionHost(strings.SplitN(k, " ", 2)[1]) {
				extra++
				continue
			}
			c.r.Fail(c.name, Stage, p.Name+" route "+k, "virtual host only in the Gateway API rendering")
		}
	}
	if extra > 0 {
		c.list(p.Name, "version-hosts")
		if len(waypointVhosts(b)) > 0 {
			c.list(p.Name, "waypoint-version-hosts")
		}
	}
}

func redirectsToHTTPS(vh *route.VirtualHost) bool {
	for _, r := range vh.Routes {
		if rd := r.GetRedirect(); rd != nil && rd.GetHttpsRedirect() {
			return true
		}
		if rd := r.GetRedirect(); rd != nil && rd.GetSchemeRedirect() == "https" {
			return true
		}
	}
	return false
}

var clusterDrop = map[string]bool{"name": true, "metadata": true, "service_name": true, "alt_stat_name": true}

func (c *comparer) clusters(p *xds.Proxy, a, b *xds.Config) {
	// a version Service's cluster carries the traffic the Gateway API rendering routes to the
	// version: it wins over a subset cluster of the same name the rendering may also generate
	byName := map[string]*cluster.Cluster{}
	for _, x := range b.Clusters {
		if _, taken := byName[x.Name]; !taken && c.mapString(x.Name) == x.Name {
			byName[x.Name] = x
		}
	}
	for _, x := range b.Clusters {
		if m := c.mapString(x.Name); m != x.Name {
			byName[m] = x
		}
	}
	compared := 0
	for _, x := range a.Clusters {
		// outbound clusters, and a waypoint's clusters of the services attached to it
		if clusterName.FindStringSubmatch(x.Name) == nil && waypointClusterName.FindStringSubmatch(x.Name) == nil {
			continue
		}
		y, ok := byName[x.Name]
		subject := p.Name + " cluster " + x.Name
		if !ok {
			c.r.Fail(c.name, Stage, subject, "no cluster of the Gateway API rendering carries this traffic")
			continue
		}
		ja := c.normalize(toJSON(x), clusterDrop, map[string]bool{})
		jb := c.normalize(toJSON(y), clusterDrop, map[string]bool{})
		compared++
		if diff := firstDiff(ja, jb); diff != "" {
			c.r.Fail(c.name, Stage, subject, "vs "+y.Name+": "+diff)
			continue
		}
		if y.Name != x.Name {
			c.list(p.Name, "cluster-identity")
		}
		c.r.Pass(c.name, Stage, subject, "equal to "+y.Name+" (load balancing, connection pool, outlier detection, TLS)")
	}
	c.r.Count(c.name, Stage, "clusters", compared)
}

// firstDiff describes the first difference between two JSON values ("" when equal).
func firstDiff(a, b any) string {
	return diffAt("", a, b)
}

func diffAt(path string, a, b any) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: %s vs %s", or(path), short(a), short(b))
		}
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			if d := diffAt(path+"."+k, x[k], y[k]); d != "" {
				return d
			}
		}
		return ""
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return fmt.Sprintf("%s: %s vs %s", or(path), short(a), short(b))
		}
		for i := range x {
			if d := diffAt(fmt.Sprintf("%s[%d]", path, i), x[i], y[i]); d != "" {
				return d
			}
		}
		return ""
	default:
		if fmt.Sprint(a) != fmt.Sprint(b) || (a == nil) != (b == nil) {
			return fmt.Sprintf("%s: %s (Istio API) vs %s (Gateway API)", or(path), short(a), short(b))
		}
		return ""
	}
}

func or(path string) string {
	if path == "" {
		return "."
	}
	return path
}

func short(v any) string {
	data, _ := json.Marshal(v)
	s := string(data)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
