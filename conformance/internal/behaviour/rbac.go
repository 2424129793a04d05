package behaviour

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
)

// An evaluator of Envoy's RBAC filter (envoy.filters.http.rbac and envoy.filters.network.rbac)
// as pilot configures it: a filter holds one action and named policies; a policy matches when
// any of its permissions and any of its principals match. ALLOW admits a request that some
// policy matches (and denies the rest), DENY denies one that some policy matches.

// Connection and request attributes an RBAC policy can test.
type Attributes struct {
	// Principal is the peer's URI SAN from its mTLS certificate ("spiffe://td/ns/x/sa/y"), or ""
	// when the connection carries no client certificate.
	Principal string
	SourceIP  string
	DestIP    string
	DestPort  uint32
	SNI       string
	// Headers of the HTTP request (lower-case names, with :method, :path, :authority); nil on a
	// TCP connection.
	Headers map[string]string
	// Metadata is the dynamic metadata earlier filters wrote (filter name -> struct), e.g. the
	// validated token payload under envoy.filters.http.jwt_authn.
	Metadata map[string]map[string]any
}

// urlPath is the request path without query string and fragment (what url_path matches).
func (a Attributes) urlPath() string {
	p := a.Headers[":path"]
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return p
}

// filterState is the filter state pilot's RBAC principals read: the peer identity.
func (a Attributes) filterState(key string) (string, bool) {
	switch key {
	case "io.istio.peer_principal":
		return a.Principal, a.Principal != ""
	}
	return "", false
}

// RBACDecision is the verdict of one RBAC filter.
type RBACDecision struct {
	Allowed bool
	// Policy is the matched policy (DENY: the one that denied; ALLOW: the one that admitted).
	Policy string
}

// EvalRBAC evaluates one RBAC filter's rules on a request.
func EvalRBAC(rules *rbacv3.RBAC, a Attributes) (RBACDecision, error) {
	if rules == nil {
		return RBACDecision{Allowed: true}, nil
	}
	names := make([]string, 0, len(rules.Policies))
	for n := range rules.Policies {
		names = append(names, n)
	}
	sort.Strings(names)
	matched := ""
	for _, n := range names {
		ok, err := policyMatches(rules.Policies[n], a)
		if err != nil {
			return RBACDecision{}, fmt.Errorf("policy %s: %w", n, err)
		}
		if ok {
			matched = n
			break
		}
	}
	switch rules.Action {
	case rbacv3.RBAC_ALLOW:
		return RBACDecision{Allowed: matched != "", Policy: matched}, nil
	case rbacv3.RBAC_DENY:
		return RBACDecision{Allowed: matched == "", Policy: matched}, nil
	case rbacv3.RBAC_LOG:
		return RBACDecision{Allowed: true, Policy: matched}, nil
	}
	return RBACDecision{}, fmt.Errorf("unsupported RBAC action %v", rules.Action)
}

func policyMatches(p *rbacv3.Policy, a Attributes) (bool, error) {
	if p.GetCondition() != nil || p.GetCheckedCondition() != nil {
		return false, fmt.Errorf("CEL conditions are not evaluated")
	}
	perm := false
	for _, x := range p.Permissions {
		ok, err := permissionMatches(x, a)
		if err != nil {
			return false, err
		}
		if ok {
			perm = true
			break
		}
	}
	if !perm {
		return false, nil
	}
	for _, x := range p.Principals {
		ok, err := principalMatches(x, a)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func permissionMatches(p *rbacv3.Permission, a Attributes) (bool, error) {
	switch r := p.Rule.(type) {
	case *rbacv3.Permission_Any:
		return r.Any, nil
	case *rbacv3.Permission_AndRules:
		for _, x := range r.AndRules.GetRules() {
			if ok, err := permissionMatches(x, a); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case *rbacv3.Permission_OrRules:
		for _, x := range r.OrRules.GetRules() {
			if ok, err := permissionMatches(x, a); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case *rbacv3.Permission_NotRule:
		ok, err := permissionMatches(r.NotRule, a)
		return !ok, err
	case *rbacv3.Permission_Header:
		if a.Headers == nil {
			return false, nil // HTTP attributes never match a TCP connection
		}
		return headerMatches(r.Header, a.Headers)
	case *rbacv3.Permission_UrlPath:
		if a.Headers == nil {
			return false, nil
		}
		return stringMatches(r.UrlPath.GetPath(), a.urlPath())
	case *rbacv3.Permission_DestinationPort:
		return a.DestPort == r.DestinationPort, nil
	case *rbacv3.Permission_DestinationPortRange:
		return a.DestPort >= uint32(r.DestinationPortRange.GetStart()) && a.DestPort < uint32(r.DestinationPortRange.GetEnd()), nil
	case *rbacv3.Permission_DestinationIp:
		return inCIDR(r.DestinationIp, a.DestIP)
	case *rbacv3.Permission_RequestedServerName:
		return stringMatches(r.RequestedServerName, a.SNI)
	case *rbacv3.Permission_Metadata:
		return metadataMatches(r.Metadata, a.Metadata)
	}
	return false, fmt.Errorf("unsupported RBAC permission %T", p.Rule)
}

func principalMatches(p *rbacv3.Principal, a Attributes) (bool, error) {
	switch r := p.Identifier.(type) {
	case *rbacv3.Principal_Any:
		return r.Any, nil
	case *rbacv3.Principal_AndIds:
		for _, x := range r.AndIds.GetIds() {
			if ok, err := principalMatches(x, a); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case *rbacv3.Principal_OrIds:
		for _, x := range r.OrIds.GetIds() {
			if ok, err := principalMatches(x, a); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case *rbacv3.Principal_NotId:
		ok, err := principalMatches(r.NotId, a)
		return !ok, err
	case *rbacv3.Principal_Authenticated_:
		if a.Principal == "" {
			return false, nil // no client certificate: not authenticated
		}
		if r.Authenticated.GetPrincipalName() == nil {
			return true, nil
		}
		return stringMatches(r.Authenticated.GetPrincipalName(), a.Principal)
	case *rbacv3.Principal_FilterState:
		v, ok := a.filterState(r.FilterState.GetKey())
		if !ok {
			return false, nil
		}
		if sm := r.FilterState.GetStringMatch(); sm != nil {
			return stringMatches(sm, v)
		}
		return false, fmt.Errorf("unsupported filter state matcher %T", r.FilterState.GetMatcher())
	case *rbacv3.Principal_SourceIp:
		return inCIDR(r.SourceIp, a.SourceIP)
	case *rbacv3.Principal_DirectRemoteIp:
		return inCIDR(r.DirectRemoteIp, a.SourceIP)
	case *rbacv3.Principal_RemoteIp:
		return inCIDR(r.RemoteIp, a.SourceIP)
	case *rbacv3.Principal_Header:
		if a.Headers == nil {
			return false, nil
		}
		return headerMatches(r.Header, a.Headers)
	case *rbacv3.Principal_UrlPath:
		if a.Headers == nil {
			return false, nil
		}
		return stringMatches(r.UrlPath.GetPath(), a.urlPath())
	case *rbacv3.Principal_Metadata:
		return metadataMatches(r.Metadata, a.Metadata)
	}
	return false, fmt.Errorf("unsupported RBAC principal %T", p.Identifier)
}

func inCIDR(c *core.CidrRange, ip string) (bool, error) {
	if ip == "" {
		return false, nil
	}
	pfx, err := netip.ParsePrefix(fmt.Sprintf("%s/%d", c.GetAddressPrefix(), c.GetPrefixLen().GetValue()))
	if err != nil {
		return false, err
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false, err
	}
	return pfx.Contains(addr), nil
}
