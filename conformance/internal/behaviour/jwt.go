package behaviour

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	jwtauthn "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
)

// An evaluator of Envoy's jwt_authn filter as pilot configures it from RequestAuthentications.
// Tokens are abstract: a request carries an opaque token string in a header or query parameter,
// and Tokens maps it to what the token asserts (issuer, subject, audiences, claims) and whether
// its signature verifies with the issuer's keys. The filter finds the first rule whose match
// fits the request and checks its requirement (provider_name, requires_any, requires_all,
// allow_missing, allow_missing_or_failed) as Envoy's verifiers do.

// Token is what a JWT asserts.
type Token struct {
	Issuer    string
	Subject   string
	Audiences []string
	Claims    map[string]any
	// Signed is true when the signature verifies with the issuer's published keys.
	Signed bool
	// KeysURI is where the issuer publishes those keys (a JWKS URI); "" when unknown. A
	// provider that fetches its keys from another URI does not hold the signing key, so the
	// signature does not verify there.
	KeysURI string
}

// jwtStatus is the outcome of verifying a request's tokens against a requirement.
type jwtStatus string

const (
	jwtOK            jwtStatus = "ok"
	jwtMissing       jwtStatus = "Jwt is missing"
	jwtUnknownIssuer jwtStatus = "Jwt issuer is not configured"
	jwtBadSignature  jwtStatus = "Jwt verification fails"
	jwtBadAudience   jwtStatus = "Audiences in Jwt are not allowed"
	jwtBadFormat     jwtStatus = "Jwt is not in the form of Header.Payload.Signature"
)

// JWTResult is the filter's verdict: a request is rejected with 401 unless Status is ok; the
// payloads of verified tokens are written to dynamic metadata (filter name -> struct).
type JWTResult struct {
	Status   jwtStatus
	Metadata map[string]map[string]any
}

// EvalJWT evaluates a jwt_authn filter on a request (headers with lower-case names, :path with
// its query string) whose opaque token strings Tokens resolves.
func EvalJWT(cfg *jwtauthn.JwtAuthentication, headers map[string]string, tokens map[string]*Token) (JWTResult, error) {
	res := JWTResult{Status: jwtOK, Metadata: map[string]map[string]any{}}
	var req *jwtauthn.JwtRequirement
	for _, r := range cfg.GetRules() {
		ok, err := routeMatchMatches(r.GetMatch(), headers)
		if err != nil {
			return res, err
		}
		if ok {
			req = r.GetRequires()
			if req == nil && r.GetRequirementName() != "" {
				req = cfg.GetRequirementMap()[r.GetRequirementName()]
			}
			break
		}
	}
	if req == nil {
		return res, nil
	}
	v := &jwtVerifier{cfg: cfg, headers: headers, tokens: tokens, metadata: res.Metadata}
	st, err := v.check(req)
	res.Status = st
	return res, err
}

type jwtVerifier struct {
	cfg      *jwtauthn.JwtAuthentication
	headers  map[string]string
	tokens   map[string]*Token
	metadata map[string]map[string]any
}

func (v *jwtVerifier) check(req *jwtauthn.JwtRequirement) (jwtStatus, error) {
	switch r := req.RequiresType.(type) {
	case *jwtauthn.JwtRequirement_ProviderName:
		return v.provider(r.ProviderName, nil)
	case *jwtauthn.JwtRequirement_ProviderAndAudiences:
		return v.provider(r.ProviderAndAudiences.GetProviderName(), r.ProviderAndAudiences.GetAudiences())
	case *jwtauthn.JwtRequirement_RequiresAny:
		last := jwtMissing
		for _, x := range r.RequiresAny.GetRequirements() {
			st, err := v.check(x)
			if err != nil {
				return "", err
			}
			if st == jwtOK {
				return jwtOK, nil
			}
			last = st
		}
		return last, nil
	case *jwtauthn.JwtRequirement_RequiresAll:
		for _, x := range r.RequiresAll.GetRequirements() {
			st, err := v.check(x)
			if err != nil || st != jwtOK {
				return st, err
			}
		}
		return jwtOK, nil
	case *jwtauthn.JwtRequirement_AllowMissing:
		st := v.anyProvider()
		if st == jwtMissing {
			return jwtOK, nil
		}
		return st, nil
	case *jwtauthn.JwtRequirement_AllowMissingOrFailed:
		v.anyProvider()
		return jwtOK, nil
	case nil:
		return jwtOK, nil
	}
	return "", fmt.Errorf("unsupported JWT requirement %T", req.RequiresType)
}

// provider verifies the tokens found in one provider's locations with that provider.
func (v *jwtVerifier) provider(name string, audiences []string) (jwtStatus, error) {
	p := v.cfg.GetProviders()[name]
	if p == nil {
		return "", fmt.Errorf("requirement names provider %q, which the filter does not define", name)
	}
	found := v.extract(p)
	if len(found) == 0 {
		return jwtMissing, nil
	}
	for _, raw := range found {
		if st := v.verify(name, p, raw, audiences); st != jwtOK {
			return st, nil
		}
	}
	return jwtOK, nil
}

// anyProvider verifies the tokens found in any provider's locations with the provider of their
// issuer (allow_missing, allow_missing_or_failed).
func (v *jwtVerifier) anyProvider() jwtStatus {
	names := make([]string, 0, len(v.cfg.GetProviders()))
	for n := range v.cfg.GetProviders() {
		names = append(names, n)
	}
	sort.Strings(names)
	seen := map[string]bool{}
	var found []string
	for _, n := range names {
		for _, raw := range v.extract(v.cfg.GetProviders()[n]) {
			if !seen[raw] {
				seen[raw] = true
				found = append(found, raw)
			}
		}
	}
	if len(found) == 0 {
		return jwtMissing
	}
	for _, raw := range found {
		t := v.tokens[raw]
		if t == nil {
			return jwtBadFormat
		}
		byIssuer := ""
		for _, n := range names {
			if v.cfg.GetProviders()[n].GetIssuer() == t.Issuer {
				byIssuer = n
				break
			}
		}
		if byIssuer == "" {
			return jwtUnknownIssuer
		}
		if st := v.verify(byIssuer, v.cfg.GetProviders()[byIssuer], raw, nil); st != jwtOK {
			return st
		}
	}
	return jwtOK
}

func (v *jwtVerifier) verify(name string, p *jwtauthn.JwtProvider, raw string, audiences []string) jwtStatus {
	t := v.tokens[raw]
	switch {
	case t == nil:
		return jwtBadFormat
	case p.GetIssuer() != "" && t.Issuer != p.GetIssuer():
		return jwtUnknownIssuer
	case !t.Signed:
		return jwtBadSignature
	case t.KeysURI != "" && p.GetRemoteJwks() != nil && p.GetRemoteJwks().GetHttpUri().GetUri() != t.KeysURI:
		return jwtBadSignature
	}
	allowed := audiences
	if len(allowed) == 0 {
		allowed = p.GetAudiences()
	}
	if len(allowed) > 0 && !intersects(allowed, t.Audiences) {
		return jwtBadAudience
	}
	if key := p.GetPayloadInMetadata(); key != "" {
		payload := map[string]any{"iss": t.Issuer, "sub": t.Subject}
		if len(t.Audiences) > 0 {
			payload["aud"] = toAnyList(t.Audiences)
		}
		for k, x := range t.Claims {
			payload[k] = x
		}
		v.metadata["envoy.filters.http.jwt_authn"] = map[string]any{key: payload}
	}
	_ = name
	return jwtOK
}

// extract returns the token strings a provider reads: its from_headers (with value prefix),
// from_params and from_cookies, else Envoy's defaults (Authorization: Bearer, access_token).
func (v *jwtVerifier) extract(p *jwtauthn.JwtProvider) []string {
	var out []string
	headers := p.GetFromHeaders()
	params := p.GetFromParams()
	if len(headers) == 0 && len(params) == 0 && len(p.GetFromCookies()) == 0 {
		headers = []*jwtauthn.JwtHeader{{Name: "Authorization", ValuePrefix: "Bearer "}}
		params = []string{"access_token"}
	}
	for _, h := range headers {
		val, ok := v.headers[strings.ToLower(h.GetName())]
		if !ok {
			continue
		}
		if pre := h.GetValuePrefix(); pre != "" {
			if !strings.HasPrefix(strings.ToLower(val), strings.ToLower(pre)) {
				continue
			}
			val = val[len(pre):]
		}
		out = append(out, strings.TrimSpace(val))
	}
	if q := queryOf(v.headers[":path"]); q != nil {
		for _, name := range params {
			if x := q.Get(name); x != "" {
				out = append(out, x)
			}
		}
	}
	for _, c := range p.GetFromCookies() {
		for _, part := range strings.Split(v.headers["cookie"], ";") {
			k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && k == c {
				out = append(out, val)
			}
		}
	}
	return out
}

func queryOf(path string) url.Values {
	_, q, ok := strings.Cut(path, "?")
	if !ok {
		return nil
	}
	v, err := url.ParseQuery(q)
	if err != nil {
		return nil
	}
	return v
}

func intersects(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

func toAnyList(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}
