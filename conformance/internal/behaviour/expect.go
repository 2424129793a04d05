package behaviour

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// What a request should do, derived from the declared intent alone, with Istio's documented
// semantics: authorization (DENY before ALLOW, deny by default once an ALLOW policy applies,
// request principals from a valid token, Istio path patterns), RequestAuthentication (an
// invalid token or one of an unknown issuer is rejected), PeerAuthentication (workload, then
// namespace, then mesh, port-level first; PERMISSIVE by default) and routing (a release's
// tester pin first, the service's routes in order, the default route last; routes without
// destinations follow the release split).

// Verdict is the expected outcome class of a request.
type Verdict string

const (
	Reached  Verdict = "reached"     // the application answers (200)
	Denied   Verdict = "denied"      // authorization rejects it (403, or closed by ztunnel)
	NoToken  Verdict = "401"         // the token is rejected
	Reset    Verdict = "reset"       // the connection is refused (mTLS required)
	Blocked  Verdict = "blocked"     // not routed by the mesh (BlackHoleCluster, 502)
	Redirect Verdict = "redirect"    // 3xx
	NotFound Verdict = "not-found"   // no virtual host or route (404)
	Unjudged Verdict = "unjudged"    // outside what this stage evaluates (ext-authz, CEL)
	Unrouted Verdict = "passthrough" // leaves the mesh's routing: plaintext to the destination
)

// verdictOf classifies a flow.
func verdictOf(f Flow) Verdict {
	switch {
	case f.Status == 200:
		return Reached
	case f.Status == 401:
		return NoToken
	case f.Status == 403:
		return Denied
	case f.Status == 0 && strings.Contains(f.Detail, "mTLS required"):
		return Reset
	case f.Status == 0 && (strings.Contains(f.Detail, "denied") || strings.Contains(f.Detail, "RBAC")):
		return Denied
	case f.Status == 0:
		return Reset
	case f.Status == 502 && (strings.Contains(f.Detail, "BlackHole") || strings.Contains(f.Detail, `"block_all"`)):
		return Blocked
	case f.Status >= 300 && f.Status < 400:
		return Redirect
	case f.Status == 404:
		return NotFound
	}
	return Verdict(fmt.Sprintf("status %d", f.Status))
}

// caller identity as the intent knows it.
type identity struct {
	Namespace, ServiceAccount string
	MTLS                      bool // the connection carries the caller's certificate
}

func (id identity) principal(td string) string {
	if !id.MTLS {
		return ""
	}
	return fmt.Sprintf("%s/ns/%s/sa/%s", td, id.Namespace, id.ServiceAccount)
}

// httpReq is what authorization and routing see of a request.
type httpReq struct {
	Method, Path string
	Headers      map[string]string // lower-case
	Query        map[string]string
	Token        *Token
	TCP          bool
}

// mtlsMode is the effective PeerAuthentication mode of a workload port.
func (in *Intent) mtlsMode(ns string, labels map[string]string, port int) (string, string) {
	var ws, nsp, mesh *PeerAuthIntent
	for i := range in.PeerAuthentications {
		pa := &in.PeerAuthentications[i]
		switch {
		case pa.Scope == "workload" && pa.Namespace == ns && subset(pa.Selector, labels):
			if ws == nil {
				ws = pa
			}
		case pa.Scope != "workload" && pa.Namespace == ns && ns != in.Mesh.RootNamespace:
			if nsp == nil {
				nsp = pa
			}
		case pa.Scope != "workload" && pa.Namespace == in.Mesh.RootNamespace:
			if mesh == nil {
				mesh = pa
			}
		}
	}
	for _, pa := range []*PeerAuthIntent{ws, nsp, mesh} {
		if pa == nil {
			continue
		}
		for _, pl := range pa.PortLevel {
			if pl.Port == port && pa.Scope == "workload" {
				return pl.Mode, pa.Path
			}
		}
		return pa.Mode, pa.Path
	}
	return "PERMISSIVE", "Istio's default"
}

// expectAuth decides what the callee's workload does with a request: Reached, Denied, NoToken,
// Reset, or Unjudged. labels are the version's pod labels, port the workload (target) port.
func (in *Intent) expectAuth(svc *ServiceIntent, labels map[string]string, port PortIntent, from identity, r httpReq) (Verdict, string) {
	mode, by := in.mtlsMode(svc.Namespace, labels, port.TargetPort)
	if mode == "STRICT" && !from.MTLS {
		return Reset, fmt.Sprintf("STRICT mTLS (%s) on port %d refuses plaintext", by, port.TargetPort)
	}
	reqPrincipal, claims := "", map[string]any(nil)
	if !r.TCP && r.Token != nil {
		v, why, p, c := in.expectToken(svc, labels, r.Token)
		if v != Reached {
			return v, why
		}
		reqPrincipal, claims = p, c
	}
	var allows, denies []AuthzPolicyIntent
	for _, p := range in.AuthorizationPolicies {
		applies := (p.Namespace == svc.Namespace && (p.Selector == nil || subset(p.Selector, labels))) ||
			(p.Namespace == in.Mesh.RootNamespace && p.Selector == nil)
		if !applies {
			continue
		}
		switch p.Action {
		case "CUSTOM":
			return Unjudged, fmt.Sprintf("CUSTOM policy %s (ext-authz decides)", p.Name)
		case "DENY":
			denies = append(denies, p)
		default: // ALLOW, or the empty "allow nothing" policy
			allows = append(allows, p)
		}
	}
	ctx := ruleCtx{td: in.Mesh.TrustDomain, from: from, req: r, port: port, reqPrincipal: reqPrincipal, claims: claims}
	for _, p := range denies {
		for i, rule := range p.Rules {
			m, err := ctx.matches(rule, true)
			if err != nil {
				return Unjudged, err.Error()
			}
			if m {
				return Denied, fmt.Sprintf("DENY %s rule %d", p.Name, i)
			}
		}
	}
	if len(allows) == 0 {
		return Reached, "no ALLOW policy applies"
	}
	for _, p := range allows {
		for i, rule := range p.Rules {
			m, err := ctx.matches(rule, false)
			if err != nil {
				return Unjudged, err.Error()
			}
			if m {
				return Reached, fmt.Sprintf("ALLOW %s rule %d", p.Name, i)
			}
		}
	}
	names := make([]string, 0, len(allows))
	for _, p := range allows {
		names = append(names, p.Name)
	}
	return Denied, "no rule of " + strings.Join(names, ", ") + " admits it"
}

// expectToken: the RequestAuthentications of the workload validate a presented token.
func (in *Intent) expectToken(svc *ServiceIntent, labels map[string]string, t *Token) (Verdict, string, string, map[string]any) {
	var applicable []JwtProviderIntent
	for _, p := range in.JwtProviders {
		switch {
		case p.Scope == "workload" && p.Namespace == svc.Namespace && subset(p.Selector, labels):
		case p.Scope != "workload" && (p.Namespace == svc.Namespace || p.Namespace == in.Mesh.RootNamespace):
		default:
			continue
		}
		applicable = append(applicable, p)
	}
	if len(applicable) == 0 {
		return Reached, "no RequestAuthentication: the token is not read", "", nil
	}
	for _, p := range applicable {
		if p.Issuer != t.Issuer {
			continue
		}
		if !t.Signed {
			return NoToken, "token signature does not verify", "", nil
		}
		if len(p.Audiences) > 0 && !intersects(p.Audiences, t.Audiences) {
			return NoToken, "token audience not accepted", "", nil
		}
		return Reached, "valid token", t.Issuer + "/" + t.Subject, t.Claims
	}
	return NoToken, "token of an issuer no RequestAuthentication accepts", "", nil
}

type ruleCtx struct {
	td           string
	from         identity
	req          httpReq
	port         PortIntent
	reqPrincipal string
	claims       map[string]any
}

// matches evaluates one rule. HTTP-only conditions on a TCP request: an ALLOW rule never
// matches, a DENY rule matches (Istio's documented treatment).
func (c ruleCtx) matches(rule AuthzRuleIntent, deny bool) (bool, error) {
	httpOnly := false
	if rule.Operation != nil {
		op := rule.Operation
		if len(op.Ports) > 0 && !containsString(op.Ports, fmt.Sprint(c.port.TargetPort)) {
			return false, nil
		}
		if len(op.Methods) > 0 || len(op.Paths) > 0 {
			httpOnly = true
		}
		if !c.req.TCP {
			if len(op.Methods) > 0 && !containsString(op.Methods, c.req.Method) {
				return false, nil
			}
			if len(op.Paths) > 0 {
				ok := false
				for _, p := range op.Paths {
					ok = ok || istioPathMatch(p, c.req.Path)
				}
				if !ok {
					return false, nil
				}
			}
		}
	}
	if len(rule.From) > 0 {
		any := false
		for _, s := range rule.From {
			if len(s.NotRequestPrincipals) > 0 {
				httpOnly = true
			}
			if c.sourceMatches(s) {
				any = true
				break
			}
		}
		if !any {
			return false, nil
		}
	}
	for _, w := range rule.When {
		claim, ok := strings.CutPrefix(w.Key, "request.auth.claims[")
		if !ok || !strings.HasSuffix(claim, "]") {
			return false, fmt.Errorf("condition %s is not evaluated", w.Key)
		}
		httpOnly = true
		claim = strings.TrimSuffix(claim, "]")
		vals := claimValues(c.claims[claim])
		if len(w.Values) > 0 && !intersects(w.Values, vals) {
			return false, nil
		}
		if len(w.NotValues) > 0 && intersects(w.NotValues, vals) {
			return false, nil
		}
	}
	if c.req.TCP && httpOnly {
		return deny, nil
	}
	return true, nil
}

func (c ruleCtx) sourceMatches(s AuthzSourceIntent) bool {
	p := c.from.principal(c.td)
	if len(s.Identities) > 0 || len(s.Principals) > 0 {
		ok := false
		for _, id := range s.Identities {
			ok = ok || (p != "" && p == fmt.Sprintf("%s/ns/%s/sa/%s", c.td, id.Namespace, id.ServiceAccount))
		}
		for _, x := range s.Principals {
			ok = ok || (p != "" && istioValueMatch(x, p))
		}
		if !ok {
			return false
		}
	}
	if len(s.Namespaces) > 0 {
		ok := false
		for _, ns := range s.Namespaces {
			ok = ok || (c.from.MTLS && istioValueMatch(ns, c.from.Namespace))
		}
		if !ok {
			return false
		}
	}
	if len(s.NotRequestPrincipals) > 0 && !c.req.TCP {
		for _, x := range s.NotRequestPrincipals {
			if c.reqPrincipal != "" && istioValueMatch(x, c.reqPrincipal) {
				return false
			}
		}
	}
	return true
}

// istioValueMatch: Istio's string patterns (exact, "prefix*", "*suffix", "*").
func istioValueMatch(pattern, v string) bool {
	switch {
	case pattern == "*":
		return v != ""
	case strings.HasPrefix(pattern, "*"):
		return strings.HasSuffix(v, pattern[1:])
	case strings.HasSuffix(pattern, "*"):
		return strings.HasPrefix(v, pattern[:len(pattern)-1])
	}
	return pattern == v
}

// istioPathMatch: authorization paths ("/x" exact, "/x/*" prefix "/x/", "*/x" suffix, "*").
func istioPathMatch(pattern, path string) bool {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	return istioValueMatch(pattern, path)
}

func claimValues(v any) []string {
	switch x := v.(type) {
	case string:
		return strings.Fields(x)
	case []any:
		var out []string
		for _, y := range x {
			if s, ok := y.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func containsString(l []string, v string) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

// ---- routing ----

// expectedRoute is where the intent sends a request to a service: the route that takes it and
// the share of each version (subset) it reaches.
type expectedRoute struct {
	Name     string
	Shares   map[string]float64 // subset (version, or a release's managed subset) -> fraction
	Route    *RouteIntent       // nil for the release pin and the default route
	Mirror   *mirrorIntent
	Redirect bool
}

type mirrorIntent struct {
	Subset   string
	Fraction float64
}

// defaultShares: where a service's default traffic goes (release-aware).
func defaultShares(svc *ServiceIntent) map[string]float64 {
	if len(svc.Releases) == 0 {
		return map[string]float64{svc.StableVersion: 1}
	}
	rel := svc.Releases[0]
	switch {
	case rel.Kind == "blue-green":
		return map[string]float64{rel.Stable: 1}
	case rel.ManagedSubsets != nil:
		return map[string]float64{rel.ManagedSubsets.Stable: 1, rel.ManagedSubsets.Canary: 0}
	}
	return map[string]float64{rel.Stable: (100 - rel.CanaryWeight) / 100, rel.Canary: rel.CanaryWeight / 100}
}

func defaultMirror(svc *ServiceIntent) *mirrorIntent {
	if len(svc.Releases) == 0 || svc.Releases[0].MirrorPercentage == nil {
		return nil
	}
	rel := svc.Releases[0]
	sub := rel.Canary
	if rel.ManagedSubsets != nil {
		sub = rel.ManagedSubsets.Canary
	}
	return &mirrorIntent{Subset: sub, Fraction: *rel.MirrorPercentage / 100}
}

// expectRoute evaluates the service's declared routing on a request.
func expectRoute(svc *ServiceIntent, r httpReq) (expectedRoute, error) {
	if len(svc.Releases) > 0 && len(svc.Releases[0].Pinned) > 0 {
		rel := svc.Releases[0]
		for _, m := range rel.Pinned {
			ok, err := matchIntent(m, r)
			if err != nil {
				return expectedRoute{}, err
			}
			if ok {
				sub := rel.Canary
				if rel.ManagedSubsets != nil {
					sub = rel.ManagedSubsets.Canary
				}
				return expectedRoute{Name: "tester pin", Shares: map[string]float64{sub: 1}}, nil
			}
		}
	}
	for i := range svc.Routes {
		rt := &svc.Routes[i]
		ok := len(rt.Matches) == 0
		for _, m := range rt.Matches {
			x, err := matchIntent(m, r)
			if err != nil {
				return expectedRoute{}, err
			}
			ok = ok || x
		}
		if !ok {
			continue
		}
		out := expectedRoute{Name: rt.Name, Route: rt, Redirect: rt.Redirect != nil}
		if rt.Redirect != nil {
			return out, nil
		}
		if rt.Destinations != nil {
			out.Shares = map[string]float64{}
			for _, d := range rt.Destinations {
				w := 100.0
				if d.Weight != nil {
					w = *d.Weight
				}
				out.Shares[d.Version] += w / 100
			}
		} else {
			out.Shares = defaultShares(svc)
			out.Mirror = defaultMirror(svc)
		}
		if rt.Mirror != nil {
			out.Mirror = &mirrorIntent{Subset: rt.Mirror.Version, Fraction: rt.Mirror.Percentage / 100}
		}
		return out, nil
	}
	return expectedRoute{Name: "default", Shares: defaultShares(svc), Mirror: defaultMirror(svc)}, nil
}

// matchIntent evaluates a declared match on a request.
func matchIntent(m MatchIntent, r httpReq) (bool, error) {
	if m.Path != nil {
		path := r.Path
		if i := strings.IndexAny(path, "?#"); i >= 0 {
			path = path[:i]
		}
		want := m.Path.Value
		if m.IgnoreURICase {
			path, want = strings.ToLower(path), strings.ToLower(want)
		}
		ok, err := stringIntentMatch(&StringMatchIntent{Kind: m.Path.Kind, Value: want}, path)
		if err != nil || !ok {
			return false, err
		}
	}
	if m.Method != "" && m.Method != r.Method {
		return false, nil
	}
	for _, h := range m.Headers {
		v, present := r.Headers[strings.ToLower(h.Name)]
		if !present {
			return false, nil
		}
		if h.Match != nil {
			ok, err := stringIntentMatch(h.Match, v)
			if err != nil || !ok {
				return false, err
			}
		}
	}
	for _, q := range m.QueryParams {
		v, present := r.Query[q.Name]
		if !present {
			return false, nil
		}
		if q.Match != nil {
			ok, err := stringIntentMatch(q.Match, v)
			if err != nil || !ok {
				return false, err
			}
		}
	}
	return true, nil
}

func stringIntentMatch(m *StringMatchIntent, v string) (bool, error) {
	switch m.Kind {
	case "exact":
		return v == m.Value, nil
	case "prefix":
		return strings.HasPrefix(v, m.Value), nil
	case "regex":
		rx, err := regexp.Compile("^(?:" + m.Value + ")$")
		if err != nil {
			return false, err
		}
		return rx.MatchString(v), nil
	}
	return false, fmt.Errorf("unknown match kind %q", m.Kind)
}

// sampleFor returns a value that satisfies a declared string match (and whether it can): the
// literal, the prefix with a suffix, or for a regex the first candidate (its literal text, its
// literal prefix, a literal group such as the `(canary=yes)` of a cookie pin) it fully matches.
func sampleFor(m *StringMatchIntent) (string, bool) {
	if m == nil {
		return "present", true
	}
	switch m.Kind {
	case "exact":
		return m.Value, true
	case "prefix":
		return m.Value + "probe", true
	case "regex":
		rx, err := regexp.Compile("^(?:" + m.Value + ")$")
		if err != nil {
			return "", false
		}
		candidates := []string{strings.NewReplacer(`\.`, ".", `\-`, "-", `\/`, "/").Replace(m.Value)}
		if pre, ok := literalPrefix(m.Value); ok {
			candidates = append(candidates, pre+"probe")
		}
		for _, g := range regexp.MustCompile(`\(([^()?*+\\[\]|^$]+)\)`).FindAllStringSubmatch(m.Value, -1) {
			candidates = append(candidates, g[1])
		}
		for _, c := range candidates {
			if rx.MatchString(c) {
				return c, true
			}
		}
	}
	return "", false
}

// sortedKeys of a share map.
func sortedKeys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// literalPrefix: a regex of the form `<literal>.*`.
func literalPrefix(re string) (string, bool) {
	if !strings.HasSuffix(re, ".*") {
		return "", false
	}
	lit := re[:len(re)-2]
	if strings.ContainsAny(strings.ReplaceAll(lit, `\.`, ""), `.*+?^$()[]{}|\`) {
		return "", false
	}
	return strings.ReplaceAll(lit, `\.`, "."), true
}
