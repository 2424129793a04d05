import { JwtProviderModel } from '../../src/model/security';
import { renderRequestAuthenticationSpec } from '../../src/render/request-authentication';
import { validateIstioObject } from '../util';
import { snapshotWith } from './fixtures';

function valid(provider: JwtProviderModel) {
  const spec = renderRequestAuthenticationSpec(snapshotWith({}), provider);
  expect(validateIstioObject({
    apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'jwt', namespace: provider.namespace ?? 'istio-system' }, spec,
  })).toEqual([]);
  return spec;
}

describe('renderRequestAuthenticationSpec', () => {
  test('a workload-scoped provider with every option', () => {
    const spec = valid({
      path: 'a/jwt',
      issuer: 'https://auth.acme.com',
      scope: 'workload',
      namespace: 'shop',
      selector: { app: 'orders' },
      jwksUri: 'https://auth.acme.com/.well-known/jwks.json',
      audiences: ['orders', 'shop'],
      fromHeaders: [{ name: 'authorization', prefix: 'Bearer ' }, { name: 'x-token' }],
      fromParams: ['token'],
      forwardOriginalToken: true,
      outputPayloadToHeader: 'x-jwt-payload',
    });
    expect(spec).toEqual({
      selector: { matchLabels: { app: 'orders' } },
      jwtRules: [{
        issuer: 'https://auth.acme.com',
        // the field name the API server expects (the generated L1 serializer would write the legacy `jwks_uri`)
        jwksUri: 'https://auth.acme.com/.well-known/jwks.json',
        audiences: ['orders', 'shop'],
        fromHeaders: [{ name: 'authorization', prefix: 'Bearer ' }, { name: 'x-token' }],
        fromParams: ['token'],
        forwardOriginalToken: true,
        outputPayloadToHeader: 'x-jwt-payload',
      }],
    });
    expect(Object.keys(spec.jwtRules![0].fromHeaders![1])).toEqual(['name']);
  });

  test('a mesh-wide provider with an inline key set: no selector; defaults are left to Istio', () => {
    const jwks = '{"keys":[{"kty":"RSA","e":"AQAB","n":"abc"}]}';
    expect(valid({ path: 'a/jwt', issuer: 'https://auth.acme.com', scope: 'mesh', jwks, forwardOriginalToken: false }))
      .toEqual({ jwtRules: [{ issuer: 'https://auth.acme.com', jwks }] });
  });
});
