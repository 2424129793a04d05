import { buildShop } from '../../examples/flask-shop/main';
import { MeshApp } from '../../src';
import { findObject, findObjects, synthAppAndValidate } from '../util';

function shopObjects() {
  const app = new MeshApp({ outdir: 'cdk.out.unused' });
  buildShop(app);
  return synthAppAndValidate(app).get('flask-shop')!.objects;
}

describe('examples/flask-shop security', () => {
  test('STRICT mTLS for the shop namespace', () => {
    const pa = findObject(shopObjects(), 'PeerAuthentication', 'default');
    expect(pa.metadata.namespace).toBe('shop');
    expect(pa.spec).toEqual({ mtls: { mode: 'STRICT' } });
  });

  test('every mesh service DestinationRule originates ISTIO_MUTUAL', () => {
    const drs = findObjects(shopObjects(), 'DestinationRule').filter((d) => d.spec.host.endsWith('.svc.cluster.local'));
    expect(drs.map((d) => d.spec.trafficPolicy.tls.mode)).toEqual(['ISTIO_MUTUAL', 'ISTIO_MUTUAL']);
  });

  test('user-service admits only order-service (GET on its paths) and the ingress gateway (GET)', () => {
    const aps = findObjects(shopObjects(), 'AuthorizationPolicy').filter((a) => a.spec.selector?.matchLabels?.app === 'user-service');
    expect(aps).toHaveLength(1);
    expect(aps[0].metadata).toMatchObject({ name: 'user-service-allow', namespace: 'shop' });
    expect(aps[0].spec).toEqual({
      selector: { matchLabels: { app: 'user-service' } },
      action: 'ALLOW',
      rules: [{
        from: [{ source: { principals: ['cluster.local/ns/shop/sa/order-service'] } }],
        to: [{ operation: { methods: ['GET'], paths: ['/users', '/users/*'] } }],
      }, {
        from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account'] } }],
        to: [{ operation: { methods: ['GET'] } }],
      }],
    });
  });

  test('the public API of order-service requires a JWT of the shop issuer', () => {
    const objects = shopObjects();
    const ra = findObject(objects, 'RequestAuthentication', 'order-service-jwt');
    expect(ra.metadata.namespace).toBe('shop');
    expect(ra.spec).toEqual({
      selector: { matchLabels: { app: 'order-service' } },
      jwtRules: [{
        issuer: 'https://auth.acme-shop.example',
        jwksUri: 'https://auth.acme-shop.example/.well-known/jwks.json',
        audiences: ['shop-api'],
      }],
    });
    const ap = findObject(objects, 'AuthorizationPolicy', 'order-service-require-jwt');
    expect(ap.spec).toEqual({
      selector: { matchLabels: { app: 'order-service' } },
      action: 'DENY',
      rules: [{
        from: [{ source: { notRequestPrincipals: ['https://auth.acme-shop.example/*'] } }],
        to: [{ operation: { paths: ['/api/*'], ports: ['5000'] } }], // the HTTP port only
      }],
    });
  });
});
