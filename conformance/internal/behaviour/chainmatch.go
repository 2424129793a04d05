package behaviour

import (
	"fmt"
	"net/netip"
	"strconv"

	xdscore "github.com/cncf/xds/go/xds/core/v3"
	xdsmatcher "github.com/cncf/xds/go/xds/type/matcher/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// matchChain walks a listener's filter_chain_matcher (the unified matcher pilot gives a
// waypoint's main_internal listener) for a connection's destination address and port and
// returns the name of the filter chain its action selects ("" when nothing matches).
func matchChain(m *xdsmatcher.Matcher, ip string, port uint32) (string, error) {
	if m == nil {
		return "", nil
	}
	on, err := treeMatch(m, ip, port)
	if err != nil {
		return "", err
	}
	if on == nil {
		on = m.GetOnNoMatch()
	}
	return onMatch(on, ip, port)
}

func onMatch(on *xdsmatcher.Matcher_OnMatch, ip string, port uint32) (string, error) {
	switch o := on.GetOnMatch().(type) {
	case nil:
		return "", nil
	case *xdsmatcher.Matcher_OnMatch_Matcher:
		return matchChain(o.Matcher, ip, port)
	case *xdsmatcher.Matcher_OnMatch_Action:
		sv := &wrapperspb.StringValue{}
		if err := o.Action.GetTypedConfig().UnmarshalTo(sv); err != nil {
			return "", fmt.Errorf("filter chain matcher action %s: %w", o.Action.GetName(), err)
		}
		return sv.GetValue(), nil
	}
	return "", fmt.Errorf("unsupported matcher action %T", on.GetOnMatch())
}

// treeMatch returns the on_match of the tree entry the input selects, or nil.
func treeMatch(m *xdsmatcher.Matcher, ip string, port uint32) (*xdsmatcher.Matcher_OnMatch, error) {
	tree := m.GetMatcherTree()
	if tree == nil {
		return nil, fmt.Errorf("unsupported matcher %T (only matcher trees are evaluated)", m.GetMatcherType())
	}
	var value string
	switch tree.GetInput().GetTypedConfig().GetTypeUrl() {
	case "type.googleapis.com/envoy.extensions.matching.common_inputs.network.v3.DestinationIPInput":
		value = ip
	case "type.googleapis.com/envoy.extensions.matching.common_inputs.network.v3.DestinationPortInput":
		value = strconv.Itoa(int(port))
	default:
		return nil, fmt.Errorf("unsupported matcher input %s", tree.GetInput().GetTypedConfig().GetTypeUrl())
	}
	switch t := tree.GetTreeType().(type) {
	case *xdsmatcher.Matcher_MatcherTree_ExactMatchMap:
		return t.ExactMatchMap.GetMap()[value], nil
	case *xdsmatcher.Matcher_MatcherTree_CustomMatch:
		ipm := &xdsmatcher.IPMatcher{}
		if err := t.CustomMatch.GetTypedConfig().UnmarshalTo(ipm); err != nil {
			return nil, fmt.Errorf("custom matcher %s: %w", t.CustomMatch.GetName(), err)
		}
		addr, err := netip.ParseAddr(value)
		if err != nil {
			return nil, nil
		}
		var best *xdsmatcher.Matcher_OnMatch
		bestLen := -1
		for _, rm := range ipm.GetRangeMatchers() {
			for _, r := range rm.GetRanges() {
				if l, ok := cidrContains(r, addr); ok && l > bestLen {
					best, bestLen = rm.GetOnMatch(), l
				}
			}
		}
		return best, nil
	}
	return nil, fmt.Errorf("unsupported matcher tree %T", tree.GetTreeType())
}

func cidrContains(r *xdscore.CidrRange, addr netip.Addr) (int, bool) {
	base, err := netip.ParseAddr(r.GetAddressPrefix())
	if err != nil {
		return 0, false
	}
	l := int(r.GetPrefixLen().GetValue())
	return l, netip.PrefixFrom(base, l).Contains(addr)
}
