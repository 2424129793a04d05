package behaviour

import (
	"testing"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	jwtauthn "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Hand-made jwt_authn configs: pilot's shape (requires_any [provider, allow_missing] on every
// path) and each requirement kind and token location.

const issuer = "https://auth.example"

func pilotJWT(audiences ...string) *jwtauthn.JwtAuthentication {
	return &jwtauthn.JwtAuthentication{
		Providers: map[string]*jwtauthn.JwtProvider{"origins-0": {Issuer: issuer, Audiences: audiences, PayloadInMetadata: "payload"}},
		Rules: []*jwtauthn.RequirementRule{{
			Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/"}},
			RequirementType: &jwtauthn.RequirementRule_Requires{Requires: &jwtauthn.JwtRequirement{RequiresType: &jwtauthn.JwtRequirement_RequiresAny{
				RequiresAny: &jwtauthn.JwtRequirementOrList{Requirements: []*jwtauthn.JwtRequirement{
					{RequiresType: &jwtauthn.JwtRequirement_ProviderName{ProviderName: "origins-0"}},
					{RequiresType: &jwtauthn.JwtRequirement_AllowMissing{AllowMissing: &emptypb.Empty{}}},
				}},
			}}},
		}},
	}
}

func bearer(id string) map[string]string {
	return map[string]string{":path": "/api/orders", "authorization": "Bearer " + id}
}

func TestJWTPilotRequirement(t *testing.T) {
	tokens := map[string]*Token{
		"good":   {Issuer: issuer, Subject: "u1", Audiences: []string{"shop"}, Signed: true},
		"forged": {Issuer: issuer, Subject: "u1", Audiences: []string{"shop"}, Signed: false},
		"other":  {Issuer: "https://elsewhere.example", Subject: "u1", Signed: true},
		"aud":    {Issuer: issuer, Subject: "u1", Audiences: []string{"admin"}, Signed: true},
	}
	cfg := pilotJWT("shop")
	cases := []struct {
		name    string
		headers map[string]string
		want    jwtStatus
	}{
		{"no token: allowed, no principal", map[string]string{":path": "/api"}, jwtOK},
		{"valid token", bearer("good"), jwtOK},
		{"forged signature", bearer("forged"), jwtBadSignature},
		{"issuer nobody trusts", bearer("other"), jwtUnknownIssuer},
		{"audience not accepted", bearer("aud"), jwtBadAudience},
		{"not a token", bearer("garbage"), jwtBadFormat},
		{"token in the access_token query parameter", map[string]string{":path": "/api?access_token=good"}, jwtOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := EvalJWT(cfg, c.headers, tokens)
			if err != nil || res.Status != c.want {
				t.Fatalf("status %q err %v, want %q", res.Status, err, c.want)
			}
		})
	}
	res, _ := EvalJWT(cfg, bearer("good"), tokens)
	payload, _ := res.Metadata["envoy.filters.http.jwt_authn"]["payload"].(map[string]any)
	if payload["iss"] != issuer || payload["sub"] != "u1" {
		t.Errorf("verified token's payload in metadata: %v", res.Metadata)
	}
	res, _ = EvalJWT(cfg, map[string]string{":path": "/"}, tokens)
	if len(res.Metadata) != 0 {
		t.Errorf("a request without a token has token metadata: %v", res.Metadata)
	}
}

// A provider verifies signatures with the keys it fetches: a token signed with the keys the
// issuer publishes at one JWKS URI fails at a provider that fetches another.
func TestJWTKeysFromTheProvidersJWKS(t *testing.T) {
	const keys = "https://auth.example/.well-known/jwks.json"
	tokens := map[string]*Token{"good": {Issuer: issuer, Subject: "u1", Signed: true, KeysURI: keys}}
	for _, c := range []struct {
		name, uri string
		want      jwtStatus
	}{
		{"keys fetched from the issuer's JWKS URI", keys, jwtOK},
		{"keys fetched from another URI", "https://auth.example/other/jwks.json", jwtBadSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := pilotJWT()
			cfg.Providers["origins-0"].JwksSourceSpecifier = &jwtauthn.JwtProvider_RemoteJwks{RemoteJwks: &jwtauthn.RemoteJwks{
				HttpUri: &core.HttpUri{Uri: c.uri}}}
			res, err := EvalJWT(cfg, bearer("good"), tokens)
			if err != nil || res.Status != c.want {
				t.Fatalf("status %q err %v, want %q", res.Status, err, c.want)
			}
		})
	}
}

func TestJWTRequirementKinds(t *testing.T) {
	tokens := map[string]*Token{"good": {Issuer: issuer, Subject: "u", Signed: true}, "bad": {Issuer: issuer, Subject: "u"}}
	provider := &jwtauthn.JwtRequirement{RequiresType: &jwtauthn.JwtRequirement_ProviderName{ProviderName: "p"}}
	missingOrFailed := &jwtauthn.JwtRequirement{RequiresType: &jwtauthn.JwtRequirement_AllowMissingOrFailed{AllowMissingOrFailed: &emptypb.Empty{}}}
	all := &jwtauthn.JwtRequirement{RequiresType: &jwtauthn.JwtRequirement_RequiresAll{RequiresAll: &jwtauthn.JwtRequirementAndList{
		Requirements: []*jwtauthn.JwtRequirement{provider, missingOrFailed}}}}
	withRule := func(prefixPath string, req *jwtauthn.JwtRequirement, p *jwtauthn.JwtProvider) *jwtauthn.JwtAuthentication {
		return &jwtauthn.JwtAuthentication{Providers: map[string]*jwtauthn.JwtProvider{"p": p}, Rules: []*jwtauthn.RequirementRule{{
			Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: prefixPath}}, RequirementType: &jwtauthn.RequirementRule_Requires{Requires: req}}}}
	}
	plain := &jwtauthn.JwtProvider{Issuer: issuer}
	cases := []struct {
		name    string
		cfg     *jwtauthn.JwtAuthentication
		headers map[string]string
		want    jwtStatus
	}{
		{"provider_name without a token", withRule("/", provider, plain), map[string]string{":path": "/"}, jwtMissing},
		{"provider_name with a valid token", withRule("/", provider, plain), bearer("good"), jwtOK},
		{"allow_missing_or_failed with a forged token", withRule("/", missingOrFailed, plain), bearer("bad"), jwtOK},
		{"requires_all: provider and allow_missing_or_failed", withRule("/", all, plain), map[string]string{":path": "/"}, jwtMissing},
		{"no rule matches the path: nothing is required", withRule("/admin", provider, plain), map[string]string{":path": "/api"}, jwtOK},
		{"from_headers with a prefix", withRule("/", provider, &jwtauthn.JwtProvider{Issuer: issuer,
			FromHeaders: []*jwtauthn.JwtHeader{{Name: "x-token", ValuePrefix: "Token "}}}), map[string]string{":path": "/", "x-token": "Token good"}, jwtOK},
		{"from_headers: the default header is not read", withRule("/", provider, &jwtauthn.JwtProvider{Issuer: issuer,
			FromHeaders: []*jwtauthn.JwtHeader{{Name: "x-token"}}}), bearer("good"), jwtMissing},
		{"from_params", withRule("/", provider, &jwtauthn.JwtProvider{Issuer: issuer, FromParams: []string{"jwt"}}), map[string]string{":path": "/?jwt=good"}, jwtOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := EvalJWT(c.cfg, c.headers, tokens)
			if err != nil || res.Status != c.want {
				t.Fatalf("status %q err %v, want %q", res.Status, err, c.want)
			}
		})
	}
}
