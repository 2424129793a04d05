import { Yaml } from 'cdk8s';
import { buildShop } from '../../examples/flask-shop/main';
import { MeshApp, RoutingApi } from '../../src';
import { findObject, findObjects, ownObjects, synthAppAndValidate } from '../util';

/** The flask shop, second flavour: sidecars + Kubernetes Gateway API routing (examples/flask-shop, SHOP_ROUTING=gateway-api). */
function synthShop() {
  const app = new MeshApp({ outdir: 'cdk.out.unused', routingApi: RoutingApi.GATEWAY_API });
  buildShop(app);
  return synthAppAndValidate(app);
}

describe('examples/flask-shop with RoutingApi.GATEWAY_API', () => {
  const charts = synthShop();
  const all = [...charts.values()].flatMap((c) => c.objects);

  test('every object passes the strict harness (Gateway API kinds against the v1.5.1 standard CRDs)', () => {
    const gatewayApi = all.filter((o) => o.apiVersion.startsWith('gateway.networking.k8s.io/'));
    expect(gatewayApi.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([
      'Gateway/istio-system/istio-ingressgateway',
      'HTTPRoute/istio-system/istio-ingressgateway-https-redirect',
      'HTTPRoute/istio-system/istio-ingressgateway-shop-example-com',
      'HTTPRoute/shop/order-service',
      'HTTPRoute/shop/user-service',
      'ReferenceGrant/shop/istio-ingressgateway-istio-system-routes',
    ]);
  });

  test('no VirtualService routes a shop service or the ingress; the egress path stays on the Istio API', () => {
    const shop = charts.get('flask-shop')!.objects;
    expect(findObjects(shop, 'VirtualService').map((o) => o.metadata.name)).toEqual(['payments-api']);
    expect(findObjects(charts.get('gateways')!.objects, 'VirtualService')).toEqual([]);
    expect(charts.get('gateways')!.objects.filter((o) => o.kind === 'Gateway').map((o) => `${o.apiVersion} ${o.metadata.name}`)).toEqual([
      'gateway.networking.k8s.io/v1 istio-ingressgateway',
      'networking.istio.io/v1 istio-egressgateway',
    ]);
  });

  test('order-service: the static canary split and the tester pin on the Service (GAMMA), per-version Services and DestinationRules', () => {
    const shop = charts.get('flask-shop')!.objects;
    const route = findObject(shop, 'HTTPRoute', 'order-service');
    expect(route.spec.parentRefs).toEqual([{ group: '', kind: 'Service', name: 'order-service', port: 80 }]);
    expect(route.spec.rules.map((r: any) => [r.name, r.backendRefs.map((b: any) => `${b.name}:${b.weight ?? '-'}`)])).toEqual([
      ['canary-pinned', ['order-service-v2:-']],
      ['default', ['order-service-v1:90', 'order-service-v2:10']],
    ]);
    for (const v of ['v1', 'v2']) {
      expect(findObject(shop, 'Service', `order-service-${v}`).spec.selector).toEqual({ app: 'order-service', version: v });
      expect(findObject(shop, 'DestinationRule', `order-service-${v}`).spec.trafficPolicy.tls).toEqual({ mode: 'ISTIO_MUTUAL' });
    }
    // user-service's circuit breaker reaches the version host its HTTPRoute sends to
    expect(findObject(shop, 'DestinationRule', 'user-service-v1').spec.trafficPolicy.outlierDetection).toMatchObject({ consecutive5xxErrors: 5 });
    expect(findObject(shop, 'HTTPRoute', 'user-service').spec.rules.map((r: any) => [r.name, r.timeouts?.request])).toEqual([['reads', '3s'], ['default-timeout', '5s']]);
  });

  test('the control plane installs the Gateway API CRDs', () => {
    const crds = findObjects(charts.get('istio-control-plane')!.objects, 'CustomResourceDefinition').filter((c) => c.spec.group === 'gateway.networking.k8s.io');
    expect(crds).toHaveLength(8);
  });

  test('matches the committed output (the charts the routing API changes; the others equal the Istio flavour but for the CRDs)', () => {
    for (const id of ['flask-shop', 'gateways']) {
      expect(Yaml.stringify(...ownObjects(charts.get(id)!.objects))).toMatchSnapshot(id);
    }
  });
});
