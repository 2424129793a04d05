package behaviour

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"istio.io/istio/pkg/workloadapi/security"
)

// An evaluator of ztunnel's L4 authorization, on the policies istiod sends it (the workload
// API's security.Authorization, as the ambient index converts AuthorizationPolicies and
// PeerAuthentications). Which policies apply to a destination workload is ztunnel's rule: the
// global ones (root namespace, no selector), the ones of the workload's namespace without a
// selector, and the ones the workload names (selector policies, converted PeerAuthentications).
// The verdict is ztunnel's: a matching DENY policy denies; if any ALLOW policy applies, one of
// them must match; else the connection is allowed.

// L4Attributes are what ztunnel sees of a connection to a workload.
type L4Attributes struct {
	// Identity of the peer: trust domain, namespace and service account, empty when the
	// connection is plaintext (not HBONE).
	TrustDomain, Namespace, ServiceAccount string
	SourceIP, DestIP                       string
	DestPort                               uint32
}

func (a L4Attributes) principal() string {
	if a.ServiceAccount == "" {
		return ""
	}
	return fmt.Sprintf("%s/ns/%s/sa/%s", a.TrustDomain, a.Namespace, a.ServiceAccount)
}

// ZtunnelDecision is the verdict on one connection.
type ZtunnelDecision struct {
	Allowed bool
	Policy  string // "namespace/name" of the deciding policy, "" when none decided
}

// ApplicablePolicies returns the policies ztunnel applies to a workload of namespace ns that
// names the policies `named` ("namespace/name"), sorted by key.
func ApplicablePolicies(all []*security.Authorization, ns string, named []string) []*security.Authorization {
	want := map[string]bool{}
	for _, n := range named {
		want[n] = true
	}
	var out []*security.Authorization
	for _, p := range all {
		key := p.Namespace + "/" + p.Name
		switch {
		case p.Scope == security.Scope_GLOBAL:
		case p.Scope == security.Scope_NAMESPACE && p.Namespace == ns:
		case want[key]:
		default:
			continue
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace+"/"+out[i].Name < out[j].Namespace+"/"+out[j].Name })
	return out
}

// EvalZtunnel decides a connection against the applicable policies.
func EvalZtunnel(policies []*security.Authorization, a L4Attributes) (ZtunnelDecision, error) {
	allowPolicies := 0
	for _, p := range policies {
		if p.DryRun || p.Action != security.Action_DENY {
			continue
		}
		ok, err := authorizationMatches(p, a)
		if err != nil {
			return ZtunnelDecision{}, err
		}
		if ok {
			return ZtunnelDecision{Allowed: false, Policy: p.Namespace + "/" + p.Name}, nil
		}
	}
	for _, p := range policies {
		if p.DryRun || p.Action != security.Action_ALLOW {
			continue
		}
		allowPolicies++
		ok, err := authorizationMatches(p, a)
		if err != nil {
			return ZtunnelDecision{}, err
		}
		if ok {
			return ZtunnelDecision{Allowed: true, Policy: p.Namespace + "/" + p.Name}, nil
		}
	}
	return ZtunnelDecision{Allowed: allowPolicies == 0}, nil
}

// authorizationMatches: any group matches; a group when all its rules match; a rule when any
// of its matches matches.
func authorizationMatches(p *security.Authorization, a L4Attributes) (bool, error) {
	for _, g := range p.Groups {
		all := true
		for _, r := range g.Rules {
			any := false
			for _, m := range r.Matches {
				ok, err := l4Matches(m, a)
				if err != nil {
					return false, err
				}
				if ok {
					any = true
					break
				}
			}
			if !any {
				all = false
				break
			}
		}
		if all {
			return true, nil
		}
	}
	return false, nil
}

// l4Matches: every field that is set must match (values of a field are ORed; a not_ field
// fails the match when any of its values matches).
func l4Matches(m *security.Match, a L4Attributes) (bool, error) {
	principal := a.principal()
	ns := a.Namespace
	if principal == "" {
		ns = ""
	}
	checks := []struct {
		set, not []*security.StringMatch
		v        string
		present  bool
	}{
		{m.Namespaces, m.NotNamespaces, ns, ns != ""},
		{m.Principals, m.NotPrincipals, principal, principal != ""},
	}
	for _, c := range checks {
		if len(c.set) > 0 && !anyString(c.set, c.v, c.present) {
			return false, nil
		}
		if len(c.not) > 0 && anyString(c.not, c.v, c.present) {
			return false, nil
		}
	}
	if len(m.ServiceAccounts) > 0 && !anyServiceAccount(m.ServiceAccounts, a) {
		return false, nil
	}
	if len(m.NotServiceAccounts) > 0 && anyServiceAccount(m.NotServiceAccounts, a) {
		return false, nil
	}
	if len(m.DestinationPorts) > 0 && !containsPort(m.DestinationPorts, a.DestPort) {
		return false, nil
	}
	if len(m.NotDestinationPorts) > 0 && containsPort(m.NotDestinationPorts, a.DestPort) {
		return false, nil
	}
	for _, ips := range []struct {
		set, not []*security.Address
		v        string
	}{{m.SourceIps, m.NotSourceIps, a.SourceIP}, {m.DestinationIps, m.NotDestinationIps, a.DestIP}} {
		in, err := anyAddress(ips.set, ips.v)
		if err != nil {
			return false, err
		}
		if len(ips.set) > 0 && !in {
			return false, nil
		}
		out, err := anyAddress(ips.not, ips.v)
		if err != nil {
			return false, err
		}
		if len(ips.not) > 0 && out {
			return false, nil
		}
	}
	return true, nil
}

func anyString(ms []*security.StringMatch, v string, present bool) bool {
	for _, m := range ms {
		switch t := m.MatchType.(type) {
		case *security.StringMatch_Presence:
			if present {
				return true
			}
		case *security.StringMatch_Exact:
			if present && v == t.Exact {
				return true
			}
		case *security.StringMatch_Prefix:
			if present && strings.HasPrefix(v, t.Prefix) {
				return true
			}
		case *security.StringMatch_Suffix:
			if present && strings.HasSuffix(v, t.Suffix) {
				return true
			}
		}
	}
	return false
}

func anyServiceAccount(ms []*security.ServiceAccountMatch, a L4Attributes) bool {
	if a.ServiceAccount == "" {
		return false
	}
	for _, m := range ms {
		if m.Namespace == a.Namespace && m.ServiceAccount == a.ServiceAccount {
			return true
		}
	}
	return false
}

func containsPort(ports []uint32, p uint32) bool {
	for _, x := range ports {
		if x == p {
			return true
		}
	}
	return false
}

func anyAddress(as []*security.Address, ip string) (bool, error) {
	if ip == "" || len(as) == 0 {
		return false, nil
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false, err
	}
	for _, x := range as {
		base, ok := netip.AddrFromSlice(x.Address)
		if !ok {
			return false, fmt.Errorf("address %v is not an IP", x.Address)
		}
		if netip.PrefixFrom(base, int(x.Length)).Contains(addr) {
			return true, nil
		}
	}
	return false, nil
}
