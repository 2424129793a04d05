import { Chart, Testing } from 'cdk8s';
import { HttpMethod, JwtAuthentication, MeshService } from '../../src';
import { findObject, findObjects, runValidations, synthAndValidate } from '../util';

const ISSUER = 'https://auth.acme-shop.example';
const JWKS = 'https://auth.acme-shop.example/.well-known/jwks.json';

function shop() {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'shop' });
  const orders = new MeshService(chart, 'order-service', { versions: [{ name: 'v1', image: 'ghcr.io/acme/orders:1.0.0' }], ports: [{ port: 80, targetPort: 5000 }] });
  return { chart, orders };
}

describe('JwtAuthentication', () => {
  describe('RequestAuthentication', () => {
    test('service scope: selector, issuer, jwksUri, audiences, token location and forwarding', () => {
      // GIVEN
      const { chart, orders } = shop();
      // WHEN
      const auth = new JwtAuthentication(chart, 'shop-jwt', {
        service: orders,
        issuer: ISSUER,
        jwksUri: JWKS,
        audiences: ['shop-api'],
        fromHeaders: [{ name: 'authorization', prefix: 'Bearer ' }],
        fromParams: ['token'],
        forwardOriginalToken: true,
        outputPayloadToHeader: 'x-jwt-payload',
      });
      // THEN
      const out = synthAndValidate(chart);
      const ra = findObject(out, 'RequestAuthentication', 'order-service-jwt');
      expect(auth.issuer).toBe(ISSUER);
      expect(ra.metadata.namespace).toBe('shop');
      expect(ra.spec).toEqual({
        selector: { matchLabels: { app: 'order-service' } },
        jwtRules: [{
          issuer: ISSUER,
          jwksUri: JWKS,
          audiences: ['shop-api'],
          fromHeaders: [{ name: 'authorization', prefix: 'Bearer ' }],
          fromParams: ['token'],
          forwardOriginalToken: true,
          outputPayloadToHeader: 'x-jwt-payload',
        }],
      });
      expect(out).toMatchSnapshot();
    });

    test('namespace scope with an inline JWKS; mesh scope goes to the root namespace', () => {
      const { chart } = shop();
      const jwks = JSON.stringify({ keys: [{ kty: 'RSA', e: 'AQAB', n: 'abc', kid: 'k1' }] });
      new JwtAuthentication(chart, 'ns-jwt', { namespace: 'shop', issuer: ISSUER, jwks });
      new JwtAuthentication(chart, 'mesh-jwt', { issuer: 'https://other.example' });
      const out = synthAndValidate(chart);
      expect(findObject(out, 'RequestAuthentication', 'ns-jwt')).toMatchObject({ metadata: { namespace: 'shop' }, spec: { jwtRules: [{ issuer: ISSUER, jwks }] } });
      const mesh = findObject(out, 'RequestAuthentication', 'mesh-jwt');
      expect(mesh.metadata.namespace).toBe('istio-system');
      expect(mesh.spec).toEqual({ jwtRules: [{ issuer: 'https://other.example' }] });
    });
  });

  describe('requireJwt', () => {
    test('DENY requests without a token of the issuer on the given operations', () => {
      const { chart, orders } = shop();
      const auth = new JwtAuthentication(chart, 'shop-jwt', { service: orders, issuer: ISSUER, jwksUri: JWKS });
      orders.requireJwt(auth, { paths: ['/api/*'], methods: [HttpMethod.GET, HttpMethod.POST] });
      const ap = findObject(synthAndValidate(chart), 'AuthorizationPolicy', 'order-service-require-jwt');
      expect(ap.spec).toEqual({
        selector: { matchLabels: { app: 'order-service' } },
        action: 'DENY',
        rules: [{
          from: [{ source: { notRequestPrincipals: [`${ISSUER}/*`] } }],
          // pinned to the HTTP port: Istio applies a DENY rule of HTTP-only attributes to TCP traffic as "deny all"
          to: [{ operation: { methods: ['GET', 'POST'], paths: ['/api/*'], ports: ['5000'] } }],
        }],
      });
    });

    test('claim conditions become one DENY rule each (notValues)', () => {
      const { chart, orders } = shop();
      const auth = new JwtAuthentication(chart, 'shop-jwt', { namespace: 'shop', issuer: ISSUER, jwksUri: JWKS });
      orders.requireJwt(auth, { claims: [{ claim: 'scope', values: ['orders:read'] }, { claim: 'groups', values: ['staff', 'admin'] }] });
      const out = synthAndValidate(chart);
      expect(findObject(out, 'AuthorizationPolicy', 'order-service-require-jwt').spec.rules).toEqual([
        { from: [{ source: { notRequestPrincipals: [`${ISSUER}/*`] } }], to: [{ operation: { ports: ['5000'] } }] },
        { when: [{ key: 'request.auth.claims[scope]', notValues: ['orders:read'] }], to: [{ operation: { ports: ['5000'] } }] },
        { when: [{ key: 'request.auth.claims[groups]', notValues: ['staff', 'admin'] }], to: [{ operation: { ports: ['5000'] } }] },
      ]);
      expect(out).toMatchSnapshot();
    });

    test('a token requirement is independent of ALLOW rules (separate DENY policy)', () => {
      const { chart, orders } = shop();
      const caller = new MeshService(chart, 'frontend', { versions: [{ name: 'v1', image: 'ghcr.io/acme/frontend:1.0.0' }] });
      const auth = new JwtAuthentication(chart, 'shop-jwt', { service: orders, issuer: ISSUER, jwksUri: JWKS });
      orders.allowFrom(caller);
      orders.requireJwt(auth);
      const names = findObjects(synthAndValidate(chart), 'AuthorizationPolicy').map((a) => `${a.metadata.name}:${a.spec.action}`);
      expect(names).toEqual(['order-service-allow:ALLOW', 'order-service-require-jwt:DENY']);
    });
  });

  describe('validation', () => {
    test('SEC004: the JwtAuthentication does not apply to the service', () => {
      const { chart, orders } = shop();
      const other = new MeshService(chart, 'user-service', { versions: [{ name: 'v1', image: 'ghcr.io/acme/users:1.0.0' }] });
      const auth = new JwtAuthentication(chart, 'users-jwt', { service: other, issuer: ISSUER, jwksUri: JWKS });
      orders.requireJwt(auth);
      expect(() => runValidations(chart)).toThrow(
        '[test/order-service/Authorization] SEC004: \'requireJwt\' must use a JwtAuthentication that applies to order-service.shop.svc.cluster.local, but test/users-jwt validates tokens only for workloads {"app":"user-service"} in "shop", so every request would be denied, got "https://auth.acme-shop.example". Fix: declare the JwtAuthentication for this service or its namespace');
    });

    test('jwksUri must be https and exclusive with jwks; jwks must be a key set', () => {
      const { chart } = shop();
      expect(() => new JwtAuthentication(chart, 'a', { issuer: ISSUER, jwksUri: 'http://auth.acme-shop.example/jwks' })).toThrow(
        '[test/a] \'jwksUri\' must be an https:// URL (keys fetched over plaintext could be replaced in transit), got "http://auth.acme-shop.example/jwks". Fix: serve the key set over HTTPS, or inline it with \'jwks\'');
      expect(() => new JwtAuthentication(chart, 'b', { issuer: ISSUER, jwksUri: JWKS, jwks: '{"keys":[{}]}' })).toThrow('[test/b] \'jwks\' must not be set together with \'jwksUri\'');
      expect(() => new JwtAuthentication(chart, 'c', { issuer: ISSUER, jwks: '{"keys":[]}' })).toThrow(
        '[test/c] \'jwks\' must be a JSON Web Key Set: a JSON object with a non-empty \'keys\' array, got "{\\"keys\\":[]}".');
    });

    test('issuer, audiences, token locations and output header are checked', () => {
      const { chart, orders } = shop();
      expect(() => new JwtAuthentication(chart, 'a', { issuer: '' })).toThrow('[test/a] \'issuer\' must be a non-empty issuer without whitespace, got "".');
      expect(() => new JwtAuthentication(chart, 'b', { issuer: ISSUER, audiences: [] })).toThrow('[test/b] \'audiences\' must not be empty (omit it to skip the audience check), got [].');
      expect(() => new JwtAuthentication(chart, 'c', { issuer: ISSUER, fromHeaders: [{ name: 'x auth' }] })).toThrow('[test/c] \'fromHeaders[0].name\' must be a header name');
      expect(() => new JwtAuthentication(chart, 'd', { issuer: ISSUER, fromParams: ['a=b'] })).toThrow('[test/d] \'fromParams[0]\' must be a query parameter name, got "a=b".');
      expect(() => new JwtAuthentication(chart, 'e', { issuer: ISSUER, outputPayloadToHeader: 'x payload' })).toThrow('[test/e] \'outputPayloadToHeader\' must be a header name');
      expect(() => new JwtAuthentication(chart, 'f', { issuer: ISSUER, service: orders, namespace: 'shop' })).toThrow('[test/f] \'namespace\' must not be set together with \'service\'');
    });

    test('claim requirements need a claim name and values', () => {
      const { chart, orders } = shop();
      const auth = new JwtAuthentication(chart, 'jwt', { service: orders, issuer: ISSUER, jwksUri: JWKS });
      expect(() => orders.requireJwt(auth, { claims: [{ claim: 'scope', values: [] }] })).toThrow(
        '[test/order-service] \'requireJwt.options.claims[0].values\' must list at least one non-empty value (no values would match every token), got [].');
      expect(() => orders.requireJwt(auth, { claims: [{ claim: 'a[b]', values: ['x'] }] })).toThrow(
        '[test/order-service] \'requireJwt.options.claims[0].claim\' must be a top-level claim name without brackets or whitespace, got "a[b]".');
    });
  });
});
