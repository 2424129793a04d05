import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import {
  CanaryRelease, ExistingIngressGateway, ExistingIngressGatewayProps, GatewayServer, GatewayTls, GatewayWorkload, HeaderMatch, HttpMatch,
  IngressGateway, MeshService,
} from '../../src';
import { err, findObject, synthAndValidate } from '../util';

const HOST = 'shop.example.com';
const PLATFORM = GatewayWorkload.fromName({ name: 'istio-ingressgateway', namespace: 'istio-ingress' });

function setup(props: Partial<ExistingIngressGatewayProps> = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'shop' });
  const orders = new MeshService(chart, 'orders', { versions: [{ name: 'v1', image: 'ghcr.io/acme/orders:1.0.0' }, { name: 'v2', image: 'ghcr.io/acme/orders:2.0.0' }] });
  const gw = IngressGateway.fromExisting(chart, 'shop-gateway', {
    workload: PLATFORM,
    servers: [GatewayServer.https({ hosts: [HOST], tls: GatewayTls.simple('shop-cert') })],
    ...props,
  });
  return { chart, gw, orders };
}

describe('IngressGateway.fromExisting', () => {
  test('emits the Gateway and route VirtualServices only: no Deployment, Service, ServiceAccount or RBAC', () => {
    // GIVEN an app team's gateway bound to the platform's istio-ingressgateway
    const { chart, gw, orders } = setup();
    // WHEN a route is added
    const vs = gw.addRoute({ host: HOST, service: orders, match: [HttpMatch.pathPrefix('/orders')] });
    // THEN only the Istio config is emitted, in the app's namespace
    const out = synthAndValidate(chart);
    const mine = out.filter((o) => ['Gateway', 'VirtualService'].includes(o.kind) && o.metadata.name.startsWith('shop-gateway'));
    expect(out.filter((o) => !o.metadata.name.startsWith('orders')).map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'Gateway/shop/shop-gateway',
      'VirtualService/shop/shop-gateway-shop-example-com',
    ]);
    expect(gw).toBeInstanceOf(ExistingIngressGateway);
    expect(findObject(out, 'Gateway', 'shop-gateway').spec).toEqual({
      selector: { istio: 'ingressgateway' },
      servers: [{ port: { number: 443, name: 'https-443', protocol: 'HTTPS' }, hosts: [HOST], tls: { mode: 'SIMPLE', credentialName: 'shop-cert' } }],
    });
    expect(findObject(out, 'VirtualService', 'shop-gateway-shop-example-com').spec).toEqual({
      hosts: [HOST],
      gateways: ['shop/shop-gateway'],
      http: [{ match: [{ uri: { prefix: '/orders' } }], route: [{ destination: { host: 'orders.shop.svc.cluster.local', subset: 'v1' } }] }],
    });
    expect(ApiObject.of(vs).name).toBe('shop-gateway-shop-example-com');
    expect(gw.gatewayRef).toBe('shop/shop-gateway');
    expect(gw.workloadNamespace).toBe('istio-ingress');
    expect(gw.selector).toEqual({ istio: 'ingressgateway' });
    expect(gw.servers.map((s) => s.port)).toEqual([443]);
    expect(mine).toMatchSnapshot();
  });

  test('by selector, with an explicit name and namespace; escape hatch reaches the Gateway', () => {
    const { chart, gw } = setup({
      workload: GatewayWorkload.fromSelector({ namespace: 'edge', selector: { 'app': 'edge-gw', 'example.com/tier': 'public' } }),
      gatewayName: 'storefront',
      namespace: 'storefront',
    });
    gw.addServer(GatewayServer.http({ hosts: [HOST], httpsRedirect: true }));
    ApiObject.of(gw.gateway).addJsonPatch(JsonPatch.add('/metadata/annotations', { owner: 'team-shop' }));
    const g = findObject(synthAndValidate(chart), 'Gateway', 'storefront');
    expect(g.metadata).toEqual({
      name: 'storefront',
      namespace: 'storefront',
      annotations: { owner: 'team-shop' },
      labels: { 'app.kubernetes.io/name': 'storefront', 'app.kubernetes.io/component': 'ingress-gateway' },
    });
    expect(g.spec.selector).toEqual({ 'app': 'edge-gw', 'example.com/tier': 'public' });
    expect(g.spec.servers.map((s: any) => s.port)).toEqual([
      { number: 443, name: 'https-443', protocol: 'HTTPS' },
      { number: 80, name: 'http-80', protocol: 'HTTP' },
    ]);
  });

  test('binds to an IngressGateway of the same app (platform chart + app chart)', () => {
    const chart = Testing.chart();
    const platform = new IngressGateway(chart, 'istio-ingressgateway', { namespace: 'istio-ingress', servers: [GatewayServer.http({ hosts: ['*'] })] });
    const web = new MeshService(chart, 'web', { namespace: 'shop', versions: [{ name: 'v1', image: 'ghcr.io/acme/web:1' }] });
    const team = IngressGateway.fromExisting(chart, 'shop', { namespace: 'shop', workload: GatewayWorkload.fromIngressGateway(platform), servers: [GatewayServer.http({ hosts: [HOST], port: 8081 })] });
    team.addRoute({ host: HOST, service: web });
    const out = synthAndValidate(chart);
    expect(findObject(out, 'Gateway', 'shop').spec.selector).toEqual({ app: 'istio-ingressgateway', istio: 'ingressgateway' });
    // the istio label stays unique among gateways that own a workload
    expect(() => new IngressGateway(chart, 'other', { istioLabel: 'ingressgateway', servers: [GatewayServer.http({ hosts: ['x.example.com'] })] }))
      .toThrow("'istioLabel' must be unique among gateways (a Gateway resource selects pods by this label in every namespace; test/istio-ingressgateway uses it)");
  });

  test('an attached gateway does not reserve the istio label of the pods it selects', () => {
    const chart = Testing.chart();
    IngressGateway.fromExisting(chart, 'team', { workload: GatewayWorkload.fromSelector({ namespace: 'istio-ingress', selector: { istio: 'ingressgateway' } }), servers: [GatewayServer.http({ hosts: [HOST] })] });
    const platform = new IngressGateway(chart, 'istio-ingressgateway', { namespace: 'istio-ingress', servers: [GatewayServer.http({ hosts: ['*'] })] });
    expect(platform.istioLabel).toBe('ingressgateway');
    expect(findObject(synthAndValidate(chart), 'Gateway', 'team').spec.selector).toEqual({ istio: 'ingressgateway' });
  });

  test('same route API: any host, release split and tester pinning', () => {
    const { chart, gw, orders } = setup({ servers: [GatewayServer.http({ hosts: ['*'] })] });
    new CanaryRelease(chart, 'orders-canary', { service: orders, stable: 'v1', canary: 'v2', canaryPercentage: 10, pinHeader: HeaderMatch.exact('x-canary', 'always') });
    gw.addRoute({ host: '*', service: orders, match: [HttpMatch.pathPrefix('/orders')] });
    expect(findObject(synthAndValidate(chart), 'VirtualService', 'shop-gateway-any').spec.http).toEqual([
      {
        match: [{ uri: { prefix: '/orders' }, headers: { 'x-canary': { exact: 'always' } } }],
        route: [{ destination: { host: 'orders.shop.svc.cluster.local', subset: 'v2' } }],
      },
      {
        match: [{ uri: { prefix: '/orders' } }],
        route: [
          { destination: { host: 'orders.shop.svc.cluster.local', subset: 'v1' }, weight: 90 },
          { destination: { host: 'orders.shop.svc.cluster.local', subset: 'v2' }, weight: 10 },
        ],
      },
    ]);
  });

  describe('validation', () => {
    test('the workload reference', () => {
      expect(err(() => setup({ workload: undefined as any }))).toBe(
        "[IngressGateway.fromExisting] 'workload' is required by ExistingIngressGatewayProps, got undefined. Fix: pass a GatewayWorkload object");
      expect(err(() => setup({ workload: GatewayWorkload.fromSelector({ namespace: 'edge', selector: {} }) }))).toBe(
        "[test/shop-gateway] 'workload.selector' must list at least one pod label (an empty selector would bind the servers to every gateway of the cluster), got {}. " +
        "Fix: pass the labels of the gateway pods, e.g. { istio: 'ingressgateway' }");
      expect(err(() => setup({ workload: GatewayWorkload.fromSelector({ namespace: 'edge', selector: { 'bad key!': 'x' } }) }))).toBe(
        "[test/shop-gateway] 'workload.selector' must use Kubernetes label keys (an optional DNS prefix and '/', then at most 63 of [A-Za-z0-9_.-]), got \"bad key!\". " +
        "Fix: use the label key the gateway pods carry, e.g. 'istio'");
      expect(err(() => setup({ workload: GatewayWorkload.fromSelector({ namespace: 'edge', selector: { istio: '-x' } }) }))).toBe(
        "[test/shop-gateway] 'workload.selector[\"istio\"]' must be a non-empty Kubernetes label value (at most 63 of [A-Za-z0-9_.-], alphanumeric at both ends), got \"-x\". " +
        "Fix: use the label value the gateway pods carry, e.g. 'ingressgateway'");
      expect(err(() => setup({ workload: GatewayWorkload.fromSelector({ namespace: 'Edge', selector: { istio: 'x' } }) }))).toContain(
        "[test/shop-gateway] 'workload.namespace' must be a DNS-1123 label");
      expect(err(() => setup({ workload: GatewayWorkload.fromName({ name: 'Istio_GW', namespace: 'edge' }) }))).toContain(
        "[test/shop-gateway] 'workload.name' must be a DNS-1123 label");
      expect(err(() => setup({ gatewayName: 'Shop' }))).toContain("[test/shop-gateway] 'gatewayName' must be a DNS-1123 label");
    });

    test('servers', () => {
      const { chart } = setup({ servers: [] });
      expect(() => synthAndValidate(chart)).toThrow(
        "[test/shop-gateway] GW005: 'servers' must list at least one server (Istio rejects a Gateway without servers), got []. Fix: pass servers:");
      const { gw } = setup();
      expect(err(() => gw.addServer('x' as any))).toBe(
        "[test/shop-gateway] 'addServer.server' must be a GatewayServer object, got \"x\". Fix: create it with the GatewayServer API (its static methods or constructor), not a plain object");
      expect(err(() => gw.addServer(GatewayServer.http({ hosts: [HOST], port: 443 })))).toBe(
        "[test/shop-gateway] 'servers[1].port' must not be shared by servers of different protocols: servers[0] serves HTTPS on it and this server HTTP, got 443. " +
        'Fix: put each protocol on its own port (e.g. HTTP on 80, HTTPS on 443)');
      expect(err(() => gw.addServer(GatewayServer.http({ hosts: [HOST], port: 15021 })))).toBe(
        "[test/shop-gateway] 'servers[1].port' must not be a port the gateway's Envoy or agent binds (15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090), got 15021. " +
        'Fix: use the port the gateway Service exposes, e.g. 80 or 443');
      expect(err(() => gw.addServer(GatewayServer.http({ hosts: [HOST], port: 0 })))).toContain("'servers[1].port' must be a whole number between 1 and 65535, got 0");
    });

    test('the same analysis: GW002 and GW001', () => {
      const { chart, gw, orders } = setup();
      gw.addRoute({ host: 'admin.example.com', service: orders });
      expect(() => synthAndValidate(chart)).toThrow(
        "[test/shop-gateway] GW002: 'routes[0].host' must be a host that one of the gateway's HTTP/HTTPS servers serves (served: \"shop.example.com\"), got \"admin.example.com\"");
      const two = setup();
      IngressGateway.fromExisting(two.chart, 'second', { workload: PLATFORM, servers: [GatewayServer.https({ hosts: [HOST], tls: GatewayTls.simple('other-cert') })] });
      expect(() => synthAndValidate(two.chart)).toThrow(
        "[test/second] GW001: 'servers[0].hosts' must not repeat a host already served on port 443 (servers[0] of test/shop-gateway serves it;");
    });
  });
});
