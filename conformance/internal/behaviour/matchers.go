package behaviour

import (
	"fmt"
	"regexp"
	"strings"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// The Envoy matchers the route, RBAC and JWT evaluators share, with Envoy's semantics
// (type/matcher/v3 and config/route/v3 HeaderMatcher).

// stringMatches evaluates an Envoy StringMatcher on a value.
func stringMatches(m *matcher.StringMatcher, v string) (bool, error) {
	if m == nil {
		return true, nil
	}
	value := v
	fold := m.GetIgnoreCase()
	if fold {
		value = strings.ToLower(v)
	}
	lower := func(s string) string {
		if fold {
			return strings.ToLower(s)
		}
		return s
	}
	switch p := m.MatchPattern.(type) {
	case *matcher.StringMatcher_Exact:
		return value == lower(p.Exact), nil
	case *matcher.StringMatcher_Prefix:
		return strings.HasPrefix(value, lower(p.Prefix)), nil
	case *matcher.StringMatcher_Suffix:
		return strings.HasSuffix(value, lower(p.Suffix)), nil
	case *matcher.StringMatcher_Contains:
		return strings.Contains(value, lower(p.Contains)), nil
	case *matcher.StringMatcher_SafeRegex:
		// Envoy's safe_regex (RE2) must match the whole value; ignore_case does not apply
		return fullMatch(p.SafeRegex.GetRegex(), v)
	}
	return false, fmt.Errorf("unsupported string matcher %T", m.MatchPattern)
}

// fullMatch reports whether an RE2 regex matches the whole of v.
func fullMatch(re, v string) (bool, error) {
	rx, err := regexp.Compile("^(?:" + re + ")$")
	if err != nil {
		return false, fmt.Errorf("regex %q: %w", re, err)
	}
	return rx.MatchString(v), nil
}

// headerMatches evaluates an Envoy HeaderMatcher on the request headers (lower-case names,
// pseudo-headers included), as Envoy's HeaderUtility does: a missing header matches only a
// present_match (no specifier is one) that says it is absent, or an inverted one that says present.
func headerMatches(m *route.HeaderMatcher, headers map[string]string) (bool, error) {
	v, present := headers[strings.ToLower(m.GetName())]
	if !present && m.GetTreatMissingHeaderAsEmpty() {
		v, present = "", true
	}
	if !present {
		wantPresent, isPresent := true, m.HeaderMatchSpecifier == nil
		if pm, ok := m.HeaderMatchSpecifier.(*route.HeaderMatcher_PresentMatch); ok {
			wantPresent, isPresent = pm.PresentMatch, true
		}
		if m.GetInvertMatch() {
			return isPresent && wantPresent, nil
		}
		return isPresent && !wantPresent, nil
	}
	var ok bool
	var err error
	switch s := m.HeaderMatchSpecifier.(type) {
	case nil:
		ok = true
	case *route.HeaderMatcher_PresentMatch:
		ok = s.PresentMatch
	case *route.HeaderMatcher_ExactMatch:
		ok = v == s.ExactMatch
	case *route.HeaderMatcher_PrefixMatch:
		ok = strings.HasPrefix(v, s.PrefixMatch)
	case *route.HeaderMatcher_SuffixMatch:
		ok = strings.HasSuffix(v, s.SuffixMatch)
	case *route.HeaderMatcher_ContainsMatch:
		ok = strings.Contains(v, s.ContainsMatch)
	case *route.HeaderMatcher_SafeRegexMatch:
		ok, err = fullMatch(s.SafeRegexMatch.GetRegex(), v)
	case *route.HeaderMatcher_StringMatch:
		ok, err = stringMatches(s.StringMatch, v)
	default:
		return false, fmt.Errorf("unsupported header matcher %T", m.HeaderMatchSpecifier)
	}
	if err != nil {
		return false, err
	}
	return ok != m.GetInvertMatch(), nil
}

// metadataMatches evaluates an Envoy MetadataMatcher on dynamic metadata: filter name ->
// nested JSON-like values (map[string]any, []any, string, bool, float64).
func metadataMatches(m *matcher.MetadataMatcher, md map[string]map[string]any) (bool, error) {
	var cur any = md[m.GetFilter()]
	if md[m.GetFilter()] == nil {
		cur = nil
	}
	for _, seg := range m.GetPath() {
		obj, ok := cur.(map[string]any)
		if !ok {
			cur = nil
			break
		}
		cur = obj[seg.GetKey()]
	}
	ok, err := valueMatches(m.GetValue(), cur)
	if err != nil {
		return false, err
	}
	if m.GetInvert() {
		return !ok, nil
	}
	return ok, nil
}

// valueMatches evaluates an Envoy ValueMatcher.
func valueMatches(m *matcher.ValueMatcher, v any) (bool, error) {
	switch p := m.GetMatchPattern().(type) {
	case *matcher.ValueMatcher_NullMatch_:
		return v == nil, nil
	case *matcher.ValueMatcher_PresentMatch:
		return (v != nil) == p.PresentMatch, nil
	case *matcher.ValueMatcher_BoolMatch:
		b, ok := v.(bool)
		return ok && b == p.BoolMatch, nil
	case *matcher.ValueMatcher_StringMatch:
		s, ok := v.(string)
		if !ok {
			return false, nil
		}
		return stringMatches(p.StringMatch, s)
	case *matcher.ValueMatcher_DoubleMatch:
		f, ok := v.(float64)
		if !ok {
			return false, nil
		}
		switch d := p.DoubleMatch.GetMatchPattern().(type) {
		case *matcher.DoubleMatcher_Exact:
			return f == d.Exact, nil
		case *matcher.DoubleMatcher_Range:
			return f >= d.Range.GetStart() && f < d.Range.GetEnd(), nil
		}
	case *matcher.ValueMatcher_ListMatch:
		l, ok := v.([]any)
		if !ok {
			return false, nil
		}
		for _, x := range l {
			if ok, err := valueMatches(p.ListMatch.GetOneOf(), x); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case *matcher.ValueMatcher_OrMatch:
		for _, x := range p.OrMatch.GetValueMatchers() {
			if ok, err := valueMatches(x, v); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("unsupported value matcher %T", m.GetMatchPattern())
}
