import { buildShop } from '../../examples/flask-shop/main';
import { MeshApp } from '../../src';
import { findObject, synthAppAndValidate } from '../util';

function synthShop() {
  const app = new MeshApp({ outdir: 'cdk.out.unused' });
  buildShop(app);
  return synthAppAndValidate(app);
}

describe('examples/flask-shop gateways', () => {
  test('the shop is exposed on https://shop.example.com with HTTP redirected', () => {
    // GIVEN / WHEN
    const gateways = synthShop().get('gateways')!.objects;
    // THEN
    const gw = findObject(gateways, 'Gateway', 'istio-ingressgateway');
    expect(gw.metadata.namespace).toBe('istio-system');
    expect(gw.spec.servers).toEqual([
      { port: { number: 80, name: 'http-80', protocol: 'HTTP' }, hosts: ['shop.example.com'], tls: { httpsRedirect: true } },
      { port: { number: 443, name: 'https-443', protocol: 'HTTPS' }, hosts: ['shop.example.com'], tls: { mode: 'SIMPLE', credentialName: 'shop-example-com-tls' } },
    ]);
    const vs = findObject(gateways, 'VirtualService', 'istio-ingressgateway-shop-example-com');
    expect(vs.spec.gateways).toEqual(['istio-system/istio-ingressgateway']);
    expect(vs.spec.http).toEqual([
      // testers with the canary's pin header reach the canary subset through the ingress too (not managed by Argo Rollouts)
      {
        name: 'order-service-0-pinned',
        match: [{ uri: { prefix: '/api/orders' }, headers: { 'x-canary': { exact: 'always' } } }],
        route: [{ destination: { host: 'order-service.shop.svc.cluster.local', subset: 'canary' } }],
      },
      // the gateway route follows order-service's release: a named route whose weights Argo Rollouts moves
      {
        name: 'order-service-0',
        match: [{ uri: { prefix: '/api/orders' } }],
        route: [
          { destination: { host: 'order-service.shop.svc.cluster.local', subset: 'stable' }, weight: 100 },
          { destination: { host: 'order-service.shop.svc.cluster.local', subset: 'canary' }, weight: 0 },
        ],
      },
      { route: [{ destination: { host: 'user-service.shop.svc.cluster.local', subset: 'v1' } }] },
    ]);
    expect(findObject(gateways, 'PodDisruptionBudget', 'istio-ingressgateway').spec.minAvailable).toBe(1);
  });

  test('order-service calls the payment API through the egress gateway with TLS origination', () => {
    const charts = synthShop();
    const shop = charts.get('flask-shop')!.objects;
    const gateways = charts.get('gateways')!.objects;
    const se = findObject(shop, 'ServiceEntry', 'payments-api');
    expect(se.spec).toMatchObject({ hosts: ['api.payments.example'], location: 'MESH_EXTERNAL', resolution: 'DNS' });
    expect(se.spec.ports).toEqual([{ number: 80, name: 'http-80', protocol: 'HTTP', targetPort: 443 }]);
    const vs = findObject(shop, 'VirtualService', 'payments-api');
    expect(vs.spec.gateways).toEqual(['mesh', 'istio-system/istio-egressgateway']);
    expect(findObject(shop, 'DestinationRule', 'payments-api').spec.trafficPolicy.portLevelSettings[0].tls)
      .toEqual({ mode: 'SIMPLE', sni: 'api.payments.example', caCertificates: 'system' });
    expect(findObject(gateways, 'Gateway', 'istio-egressgateway').spec.servers[0].tls).toEqual({ mode: 'ISTIO_MUTUAL' });
    const env = findObject(shop, 'Rollout', 'order-service').spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'PAYMENTS_API_URL', value: 'http://api.payments.example' });
  });

  test('matches the committed output', () => {
    expect(synthShop().get('gateways')!.yaml).toMatchSnapshot();
  });
});
