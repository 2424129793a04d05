import { App, Yaml } from 'cdk8s';
import { buildAmbientShop } from '../../examples/flask-shop/ambient';
import { buildShop, shopFlavour } from '../../examples/flask-shop/main';
import { MeshAnalysis, MeshApp, RoutingApi } from '../../src';
import { findObject, findObjects, ownObjects, synthAppAndValidate } from '../util';

/**
 * The flask shop, third flavour: the ambient data plane + Kubernetes Gateway API routing
 * (examples/flask-shop, SHOP_DATAPLANE=ambient SHOP_ROUTING=gateway-api).
 */
function synth(build: (app: App) => unknown, routingApi: RoutingApi = RoutingApi.GATEWAY_API) {
  const app = new MeshApp({ outdir: 'cdk.out.unused', routingApi });
  build(app);
  return { app, charts: synthAppAndValidate(app) };
}

const waypointLabels = { 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' };
const service = (name: string) => ({ group: '', kind: 'Service', name });

describe('examples/flask-shop, ambient + Gateway API flavour', () => {
  const { app, charts } = synth(buildAmbientShop);
  const all = [...charts.values()].flatMap((c) => c.objects);
  const shop = charts.get('flask-shop')!.objects;

  test('every object passes the strict harness; the Gateway API objects are the waypoint, the ingress and the GAMMA routes', () => {
    const gatewayApi = all.filter((o) => o.apiVersion.startsWith('gateway.networking.k8s.io/'));
    expect(gatewayApi.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([
      'Gateway/istio-system/istio-ingressgateway',
      'Gateway/shop/waypoint',
      'HTTPRoute/istio-system/istio-ingressgateway-https-redirect',
      'HTTPRoute/istio-system/istio-ingressgateway-shop-example-com',
      'HTTPRoute/shop/order-service',
      'HTTPRoute/shop/user-service',
      'ReferenceGrant/shop/istio-ingressgateway-istio-system-routes',
    ]);
    // the shop's mesh routing is HTTPRoutes only (the egress leg to the payment API stays on the Istio API)
    expect(findObjects(shop, 'VirtualService').map((o) => o.metadata.name)).toEqual(['payments-api']);
    // ambient: no Sidecar, the control plane installs the Gateway API CRDs for the waypoint and the routes
    expect(findObjects(all, 'Sidecar')).toEqual([]);
    expect(findObjects(charts.get('istio-control-plane')!.objects, 'CustomResourceDefinition')
      .filter((c) => c.spec.group === 'gateway.networking.k8s.io')).toHaveLength(8);
  });

  test('the HTTPRoutes have the Service as parent (GAMMA): the waypoint the Service is attached to applies them', () => {
    for (const name of ['user-service', 'order-service']) {
      const route = findObject(shop, 'HTTPRoute', name);
      expect(route.spec.parentRefs).toEqual([{ ...service(name), port: 80 }]);
      expect(findObject(shop, 'Service', name).metadata.labels).toMatchObject(waypointLabels);
    }
    expect(findObject(shop, 'HTTPRoute', 'order-service').spec.rules.map((r: any) => [r.name, r.backendRefs.map((b: any) => `${b.name}:${b.weight ?? '-'}`)])).toEqual([
      ['canary-pinned', ['order-service-v2:-']],
      ['default', ['order-service-v1:90', 'order-service-v2:10']],
    ]);
  });

  test('per-version Services are attached to the waypoint too (their DestinationRules apply there)', () => {
    for (const name of ['user-service-v1', 'order-service-v1', 'order-service-v2']) {
      expect(findObject(shop, 'Service', name).metadata.labels).toMatchObject(waypointLabels);
      expect(findObject(shop, 'DestinationRule', name).spec.host).toBe(`${name}.shop.svc.cluster.local`);
    }
    expect(findObject(shop, 'DestinationRule', 'user-service-v1').spec.trafficPolicy.outlierDetection).toMatchObject({ consecutive5xxErrors: 5 });
  });

  test('policies and token checks target the Service and its version Services (no way around the waypoint\'s L7 policy)', () => {
    expect(findObject(shop, 'AuthorizationPolicy', 'user-service-allow').spec.targetRefs).toEqual([service('user-service'), service('user-service-v1')]);
    const orders = [service('order-service'), service('order-service-v1'), service('order-service-v2')];
    expect(findObject(shop, 'AuthorizationPolicy', 'order-service-require-jwt').spec.targetRefs).toEqual(orders);
    expect(findObject(shop, 'RequestAuthentication', 'order-service-jwt').spec.targetRefs).toEqual(orders);
    for (const name of ['user-service', 'order-service']) {
      expect(findObject(shop, 'AuthorizationPolicy', `${name}-waypoint-only`).spec).toEqual({
        selector: { matchLabels: { app: name } },
        action: 'ALLOW',
        rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/waypoint'] } }] }],
      });
    }
  });

  test('the routes and client policies equal the sidecar + Gateway API flavour\'s; only the waypoint attachment differs', () => {
    const sidecar = [...synth(buildShop).charts.values()].flatMap((c) => c.objects);
    for (const kind of ['HTTPRoute', 'DestinationRule', 'ReferenceGrant']) {
      expect(findObjects(all, kind).map((o) => o.spec)).toEqual(findObjects(sidecar, kind).map((o) => o.spec));
    }
    const strip = (labels: Record<string, string>) => Object.fromEntries(Object.entries(labels).filter(([k]) => !k.endsWith('use-waypoint')));
    const services = (objs: any[]) => findObjects(objs, 'Service').filter((s) => s.metadata.namespace === 'shop')
      .map((s) => ({ ...s, metadata: { ...s.metadata, labels: strip(s.metadata.labels) } }));
    expect(services(all)).toEqual(services(sidecar));
  });

  test('the analysis is clean and the diagram shows the waypoint', () => {
    const analysis = MeshAnalysis.of(app);
    expect(analysis.findings().filter((d) => d.severity === 'error')).toEqual([]);
    expect(analysis.toMermaid()).toContain('waypoint (L7)');
    expect(analysis.sidecarFanout().proxies).toBe(0);
  });

  test('matches the committed output', () => {
    for (const [id, { objects }] of charts) expect(Yaml.stringify(...ownObjects(objects))).toMatchSnapshot(id);
  });
});

describe('examples/flask-shop flavour selection (main.ts)', () => {
  test('SHOP_ROUTING and SHOP_DATAPLANE choose the flavour; unset is sidecar + Istio APIs', () => {
    expect(shopFlavour({})).toEqual({ routingApi: RoutingApi.ISTIO, ambient: false });
    expect(shopFlavour({ SHOP_ROUTING: 'gateway-api' })).toEqual({ routingApi: RoutingApi.GATEWAY_API, ambient: false });
    expect(shopFlavour({ SHOP_ROUTING: 'gateway-api', SHOP_DATAPLANE: 'ambient' })).toEqual({ routingApi: RoutingApi.GATEWAY_API, ambient: true });
    expect(shopFlavour({ SHOP_DATAPLANE: 'ambient' })).toEqual({ routingApi: RoutingApi.ISTIO, ambient: true });
  });

  test('a misspelled flavour is an error, not the default', () => {
    expect(() => shopFlavour({ SHOP_ROUTING: 'gateway' })).toThrow("SHOP_ROUTING must be 'istio' or 'gateway-api', got 'gateway'");
    expect(() => shopFlavour({ SHOP_DATAPLANE: 'sidecarless' })).toThrow("SHOP_DATAPLANE must be 'sidecar' or 'ambient', got 'sidecarless'");
  });
});
