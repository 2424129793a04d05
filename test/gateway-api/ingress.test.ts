import { App, Chart, Duration, Testing } from 'cdk8s';
import {
  CanaryRelease, GatewayServer, GatewayTls, HeaderMatch, HttpMatch, IngressGateway, MeshRouting, MeshService, RoutingApi, GatewayWorkload,
} from '../../src';
import { findObject, findObjects, synthAppAndValidate } from '../util';

function shop(api = RoutingApi.GATEWAY_API) {
  const app = Testing.app();
  const shopChart = new Chart(app, 'shop', { namespace: 'shop' });
  const gwChart = new Chart(app, 'gateways', { namespace: 'istio-system' });
  MeshRouting.use(shopChart, api);
  MeshRouting.use(gwChart, api);
  const orders = new MeshService(shopChart, 'orders', {
    ports: [{ port: 80, targetPort: 8080 }],
    versions: [{ name: 'v1', image: 'ghcr.io/acme/orders:1' }, { name: 'v2', image: 'ghcr.io/acme/orders:2' }],
  });
  const users = new MeshService(shopChart, 'users', { ports: [{ port: 80, targetPort: 8080 }], versions: [{ name: 'v1', image: 'ghcr.io/acme/users:1' }] });
  return { app, shopChart, gwChart, orders, users };
}

function all(app: App): any[] {
  return [...synthAppAndValidate(app).values()].flatMap((c) => c.objects);
}

describe('RoutingApi.GATEWAY_API: ingress gateways as Gateway API Gateway + HTTPRoutes', () => {
  test('HTTPS with redirect: listeners from the servers, certificateRefs to the Secret, routes per host, ReferenceGrant for the shop namespace', () => {
    const { app, shopChart, gwChart, orders, users } = shop();
    new CanaryRelease(shopChart, 'canary', { service: orders, stable: 'v1', canary: 'v2', canaryPercentage: 20, pinHeader: HeaderMatch.exact('x-canary', 'always') });
    const gw = new IngressGateway(gwChart, 'istio-ingressgateway', {
      servers: [
        GatewayServer.http({ hosts: ['shop.example.com'], httpsRedirect: true }),
        GatewayServer.https({ hosts: ['shop.example.com'], tls: GatewayTls.simple('shop-cert') }),
      ],
    });
    gw.addRoute({ host: 'shop.example.com', match: [HttpMatch.pathPrefix('/api/orders')], service: orders, timeout: Duration.seconds(10) });
    gw.addRoute({ host: 'shop.example.com', service: users });
    const out = all(app);

    expect(gw.routingApi).toBe(RoutingApi.GATEWAY_API);
    expect(findObjects(out, 'VirtualService')).toEqual([]);
    expect(out.filter((o) => o.apiVersion === 'networking.istio.io/v1' && o.kind === 'Gateway')).toEqual([]);
    const gateway = out.find((o) => o.apiVersion === 'gateway.networking.k8s.io/v1' && o.kind === 'Gateway');
    expect(gateway.metadata).toMatchObject({ name: 'istio-ingressgateway', namespace: 'istio-system' });
    expect(gateway.spec).toEqual({
      gatewayClassName: 'istio',
      addresses: [{ type: 'Hostname', value: 'istio-ingressgateway.istio-system.svc.cluster.local' }],
      listeners: [
        { name: 'http-80', port: 80, protocol: 'HTTP', hostname: 'shop.example.com' },
        { name: 'https-443', port: 443, protocol: 'HTTPS', hostname: 'shop.example.com', tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'shop-cert' }] } },
      ],
    });
    // the gateway's own workload stays (Deployment, Service): the Gateway addresses it (Istio's manual deployment)
    expect(findObject(out, 'Deployment', 'istio-ingressgateway')).toBeDefined();

    const redirect = findObject(out, 'HTTPRoute', 'istio-ingressgateway-https-redirect');
    expect(redirect.spec).toEqual({
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'istio-ingressgateway', namespace: 'istio-system', sectionName: 'http-80' }],
      rules: [{ name: 'https-redirect', filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }],
    });
    const route = findObject(out, 'HTTPRoute', 'istio-ingressgateway-shop-example-com');
    expect(route.metadata.namespace).toBe('istio-system');
    expect(route.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'istio-ingressgateway', namespace: 'istio-system', sectionName: 'https-443' }]);
    expect(route.spec.hostnames).toEqual(['shop.example.com']);
    expect(route.spec.rules).toEqual([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/api/orders' }, headers: [{ name: 'x-canary', type: 'Exact', value: 'always' }] }],
        timeouts: { request: '10s' },
        backendRefs: [{ group: '', kind: 'Service', name: 'orders-v2', namespace: 'shop', port: 80 }],
      },
      {
        matches: [{ path: { type: 'PathPrefix', value: '/api/orders' } }],
        timeouts: { request: '10s' },
        backendRefs: [
          { group: '', kind: 'Service', name: 'orders-v1', namespace: 'shop', port: 80, weight: 80 },
          { group: '', kind: 'Service', name: 'orders-v2', namespace: 'shop', port: 80, weight: 20 },
        ],
      },
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [{ group: '', kind: 'Service', name: 'users-v1', namespace: 'shop', port: 80 }],
      },
    ]);
    const grant = findObject(out, 'ReferenceGrant', 'istio-ingressgateway-istio-system-routes');
    expect(grant.metadata.namespace).toBe('shop');
    expect(grant.spec).toEqual({
      from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'istio-system' }],
      to: ['orders-v1', 'orders-v2', 'users-v1'].map((name) => ({ group: '', kind: 'Service', name })),
    });
  });

  test('a TLS server the Gateway API listener model cannot carry is an error naming gateway, server and fix', () => {
    const { app, gwChart } = shop();
    new IngressGateway(gwChart, 'gw', { servers: [GatewayServer.https({ hosts: ['a.example.com'], tls: GatewayTls.passthrough() })] });
    expect(() => all(app)).toThrow(/\[gateways\/gw\] GWAPI005: 'servers\[0\]' must be a plain HTTP server or an HTTPS server terminating TLS with a certificate Secret \(GatewayTls.simple\) to be a Gateway API listener .*got "TLS with TLS mode PASSTHROUGH". Fix: use GatewayServer.http/);
  });

  test('a multi-version service routed with the Istio API behind a Gateway API gateway is an error', () => {
    const { app, shopChart, gwChart } = shop();
    const legacy = new MeshService(shopChart, 'legacy', { routingApi: RoutingApi.ISTIO, versions: [{ name: 'v1', image: 'a:1' }, { name: 'v2', image: 'a:2' }] });
    const gw = new IngressGateway(gwChart, 'gw', { servers: [GatewayServer.http({ hosts: ['*'] })] });
    gw.addRoute({ host: '*', service: legacy });
    expect(() => all(app)).toThrow(/\[gateways\/gw\] GWAPI001: 'routes\[0\].service' must be routed with the Gateway API as well when it has several versions \(v1, v2\)/);
  });

  test('a gateway bound to an existing workload is not rendered with the Gateway API (clear error)', () => {
    const { gwChart } = shop();
    expect(() => IngressGateway.fromExisting(gwChart, 'existing', {
      workload: GatewayWorkload.fromName({ name: 'istio-ingressgateway', namespace: 'istio-ingress' }),
      servers: [GatewayServer.http({ hosts: ['*'] })],
    })).toThrow(/\[gateways\/existing\] 'routingApi' must be RoutingApi.ISTIO for a gateway bound to an existing workload/);
  });
});

test('a catch-all route with rewritePrefix rewrites the PathPrefix / match', () => {
  const { app, gwChart, users } = shop();
  const gw = new IngressGateway(gwChart, 'gw', { servers: [GatewayServer.http({ hosts: ['api.example.com'] })] });
  gw.addRoute({ host: 'api.example.com', service: users, rewritePrefix: '/v1/' });
  const route = findObject(all(app), 'HTTPRoute', 'gw-api-example-com');
  expect(route.spec.rules[0].matches).toEqual([{ path: { type: 'PathPrefix', value: '/' } }]);
  expect(route.spec.rules[0].filters).toEqual([{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v1/' } } }]);
});
