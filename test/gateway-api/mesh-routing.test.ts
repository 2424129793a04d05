import { App, Chart, Duration, Testing } from 'cdk8s';
import {
  CanaryRelease, CorsOrigin, HeaderMatch, HttpMatch, HttpMethod, LoadBalancer, PathMatch, MeshApp, MeshRouting, MeshService, ReleaseDriver, RetryOn,
  RoutingApi, RolloutRevision, RolloutStep,
} from '../../src';
import { findObject, findObjects, synthAndValidate } from '../util';

function shopChart(app: App = Testing.app(), api: RoutingApi | 'none' = RoutingApi.GATEWAY_API): Chart {
  const chart = new Chart(app, 'shop', { namespace: 'shop' });
  if (api !== 'none') MeshRouting.use(chart, api);
  return chart;
}

function orders(chart: Chart): MeshService {
  return new MeshService(chart, 'orders', {
    ports: [{ port: 80, targetPort: 8080 }],
    versions: [{ name: 'v1', image: 'ghcr.io/acme/orders:1' }, { name: 'v2', image: 'ghcr.io/acme/orders:2' }],
  });
}

describe('RoutingApi.GATEWAY_API: a service\'s mesh routing as a GAMMA HTTPRoute', () => {
  test('a canary split with pinned testers: HTTPRoute on the Service, one Service and DestinationRule per version, no VirtualService', () => {
    const chart = shopChart();
    const svc = orders(chart);
    svc.configureTrafficPolicy({ loadBalancer: LoadBalancer.leastRequest(), outlierDetection: { consecutive5xxErrors: 5 } });
    new CanaryRelease(chart, 'canary', { service: svc, stable: 'v1', canary: 'v2', canaryPercentage: 10, pinHeader: HeaderMatch.exact('x-canary', 'always') });
    const out = synthAndValidate(chart);

    expect(findObjects(out, 'VirtualService')).toEqual([]);
    expect(svc.routingApi).toBe(RoutingApi.GATEWAY_API);
    const route = findObject(out, 'HTTPRoute', 'orders');
    expect(route.spec).toEqual({
      parentRefs: [{ group: '', kind: 'Service', name: 'orders', port: 80 }],
      rules: [
        {
          name: 'canary-pinned',
          matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ name: 'x-canary', type: 'Exact', value: 'always' }] }],
          backendRefs: [{ group: '', kind: 'Service', name: 'orders-v2', port: 80 }],
        },
        {
          name: 'default',
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          backendRefs: [
            { group: '', kind: 'Service', name: 'orders-v1', port: 80, weight: 90 },
            { group: '', kind: 'Service', name: 'orders-v2', port: 80, weight: 10 },
          ],
        },
      ],
    });
    const v2 = findObject(out, 'Service', 'orders-v2');
    expect(v2.spec.selector).toEqual({ app: 'orders', version: 'v2' });
    expect(v2.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', appProtocol: 'http' }]);
    // the client policy of the version's host: the service-wide policy and mTLS, as the subset has it
    const dr = findObject(out, 'DestinationRule', 'orders-v2');
    expect(dr.spec.host).toBe('orders-v2.shop.svc.cluster.local');
    expect(dr.spec.trafficPolicy).toEqual({
      loadBalancer: { simple: 'LEAST_REQUEST' },
      outlierDetection: { consecutive5xxErrors: 5 },
      tls: { mode: 'ISTIO_MUTUAL' },
    });
    // the service's own DestinationRule stays (subsets for the Istio API, e.g. gateways of other apps)
    expect(findObject(out, 'DestinationRule', 'orders').spec.subsets.map((s: any) => s.name)).toEqual(['v1', 'v2']);
  });

  test('routes: matches, timeouts, header edits, mirror, rewrite, redirect, CORS', () => {
    const chart = shopChart();
    const svc = orders(chart);
    svc.addRoute({ name: 'old-api', match: [HttpMatch.pathExact('/v0/orders')], redirect: { uri: '/orders', authority: 'shop.example.com', redirectCode: 308 } });
    svc.addRoute({
      name: 'api',
      match: [HttpMatch.of({ path: PathMatch.prefix('/api'), method: HttpMethod.GET })],
      to: 'v2',
      timeout: Duration.millis(2500),
      rewrite: { uri: '/' },
      requestHeaders: { set: { 'x-route': 'api' }, remove: ['x-debug'] },
      responseHeaders: { add: { 'x-served-by': 'orders' } },
      mirror: { version: 'v1', percentage: 5 },
      corsPolicy: { allowOrigins: [CorsOrigin.exact('https://shop.example.com')], allowMethods: [HttpMethod.GET], maxAge: Duration.hours(1) },
    });
    svc.addRoute({ name: 'beta', match: [HttpMatch.header(HeaderMatch.prefix('x-user', 'beta-'))], to: 'v2', timeout: Duration.seconds(90) });
    const route = findObject(synthAndValidate(chart), 'HTTPRoute', 'orders');
    expect(route.spec.rules.map((r: any) => r.name)).toEqual(['old-api', 'api', 'beta', 'default']);
    const [old, api, beta] = route.spec.rules;
    expect(old).toEqual({
      name: 'old-api',
      matches: [{ path: { type: 'Exact', value: '/v0/orders' } }],
      filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'shop.example.com', path: { type: 'ReplaceFullPath', replaceFullPath: '/orders' }, statusCode: 308 } }],
    });
    expect(api.matches).toEqual([{ path: { type: 'PathPrefix', value: '/api' }, method: 'GET' }]);
    expect(api.timeouts).toEqual({ request: '2s500ms' });
    expect(api.backendRefs).toEqual([{ group: '', kind: 'Service', name: 'orders-v2', port: 80 }]);
    expect(api.filters).toEqual([
      { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-route', value: 'api' }], remove: ['x-debug'] } },
      { type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'x-served-by', value: 'orders' }] } },
      { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } },
      { type: 'CORS', cors: { allowOrigins: ['https://shop.example.com'], allowMethods: ['GET'], maxAge: 3600 } },
      { type: 'RequestMirror', requestMirror: { backendRef: { group: '', kind: 'Service', name: 'orders-v1', port: 80 }, percent: 5 } },
    ]);
    // a header prefix is a full-match regex in the Gateway API
    expect(beta.matches).toEqual([{ path: { type: 'PathPrefix', value: '/' }, headers: [{ name: 'x-user', type: 'RegularExpression', value: 'beta-.*' }] }]);
    expect(beta.timeouts).toEqual({ request: '1m30s' });
  });

  test('the choice: MeshApp routingApi, MeshRouting.use on a chart, the service prop; ISTIO stays the default', () => {
    const app = new MeshApp({ routingApi: RoutingApi.GATEWAY_API, outdir: 'cdk.out.unused' });
    const viaApp = orders(new Chart(app, 'a', { namespace: 'a' }));
    expect(viaApp.routingApi).toBe(RoutingApi.GATEWAY_API);
    const istioChart = new Chart(app, 'b', { namespace: 'b' });
    const own = new MeshService(istioChart, 'own', { versions: [{ name: 'v1', image: 'a:1' }], routingApi: RoutingApi.ISTIO });
    expect(own.routingApi).toBe(RoutingApi.ISTIO);
    expect(findObjects(synthAndValidate(istioChart), 'VirtualService')).toHaveLength(1);
    const plain = orders(shopChart(Testing.app(), 'none'));
    expect(plain.routingApi).toBe(RoutingApi.ISTIO);
  });

  describe('what the Gateway API cannot express: synth errors naming construct, prop, value, rule and fix', () => {
    test('retries (experimental channel only)', () => {
      const chart = shopChart();
      orders(chart).addRoute({ name: 'reads', timeout: Duration.seconds(3), retries: { attempts: 2, retryOn: [RetryOn.GATEWAY_ERROR] } });
      expect(() => synthAndValidate(chart)).toThrow(/\[shop\/orders\/reads\] GWAPI001: 'retries' cannot be rendered with the Gateway API: HTTPRouteRule.retry is in the experimental channel of Gateway API v1.5.1 only \(the standard-channel CRDs prune it\), got \{"attempts":2,"retryOn":\["gateway-error"\]\}. Fix: drop retries .*routingApi: RoutingApi.ISTIO on the MeshService/);
    });

    test('fault injection', () => {
      const chart = shopChart();
      orders(chart).addRoute({ name: 'chaos', fault: { abortHttpStatus: 503, abortPercentage: 10 } });
      expect(() => synthAndValidate(chart)).toThrow(/\[shop\/orders\/chaos\] GWAPI001: 'fault' has no Gateway API equivalent \(fault injection is an Istio VirtualService feature\), got .*"httpStatus":503.*Fix: route orders with the Istio API/);
    });

    test('CORS origins by regex', () => {
      const chart = shopChart();
      orders(chart).addRoute({ name: 'web', corsPolicy: { allowOrigins: [CorsOrigin.regex('https://.*\\.example\\.com')] } });
      expect(() => synthAndValidate(chart)).toThrow(/\[shop\/orders\/web\] GWAPI001: 'cors.allowOrigins' must list exact origins \(the Gateway API CORS filter takes origins or '\*' wildcards, no prefix or regex; this one is a regex\), got .*Fix: list each origin exactly/);
    });

    test('a declared order the Gateway API precedence would change', () => {
      const chart = shopChart();
      const svc = orders(chart);
      svc.addRoute({ name: 'testers', match: [HttpMatch.header(HeaderMatch.exact('x-tester', '1'))], to: 'v2' });
      svc.addRoute({ name: 'api', match: [HttpMatch.pathPrefix('/api')], to: 'v1' });
      expect(() => synthAndValidate(chart)).toThrow(/\[shop\/orders\/api\] GWAPI002: 'match' would be evaluated before the earlier route "testers" \(header x-tester exact "1"\) with the Gateway API, .*got "path prefix \\"\/api\\"". Fix: declare the more specific route first/);
    });

    test('Argo Rollouts needs its Gateway API plugin', () => {
      const chart = shopChart();
      const svc = orders(chart);
      new CanaryRelease(chart, 'canary', {
        service: svc,
        stable: 'v1',
        canary: 'v2',
        canaryPercentage: 0,
        driver: ReleaseDriver.argoRollouts({ revision: RolloutRevision.CANARY, steps: [RolloutStep.weight(50)] }),
      });
      expect(() => synthAndValidate(chart)).toThrow(/\[shop\/orders\] GWAPI003: 'routingApi' must be RoutingApi.ISTIO while shop\/canary hands the split to Argo Rollouts \(ReleaseDriver.argoRollouts\): Argo Rollouts shifts Gateway API weights only through its Gateway API traffic-router plugin, which cdk8s-mesh does not install or configure, got "gateway-api". Fix: route orders with the Istio API/);
    });

    test('MeshRouting.use after constructs were added', () => {
      const chart = new Chart(Testing.app(), 'shop', { namespace: 'shop' });
      orders(chart);
      expect(() => MeshRouting.use(chart, RoutingApi.GATEWAY_API)).toThrow(/\[shop\] 'api' must be chosen before constructs are added to the scope \(it already holds orders\), got "gateway-api". Fix: call MeshRouting.use\(scope, api\) right after creating the App or Chart, or pass routingApi to MeshApp/);
    });
  });
});

describe('found by the conformance equivalence check', () => {
  test('consistent-hash load balancing is rejected: pilot adds no hash policy to routes converted from an HTTPRoute', () => {
    const chart = shopChart();
    orders(chart).configureTrafficPolicy({ loadBalancer: LoadBalancer.consistentHashByHeader('x-user') });
    expect(() => synthAndValidate(chart)).toThrow(/\[shop\/orders\] GWAPI001: 'trafficPolicy.loadBalancer' must not be consistent hashing with the Gateway API: Istio 1.30 adds the hash policy of a DestinationRule to VirtualService routes only.*got \{"hashHeader":"x-user"\}. Fix: use LoadBalancer.leastRequest\(\)/);
  });
});

test('a tester pin keeps winning over path routes: it is repeated with each route\'s match (Gateway API precedence ranks longer paths first)', () => {
  const chart = shopChart();
  const svc = orders(chart);
  svc.addRoute({ name: 'slow', match: [HttpMatch.pathPrefix('/reports')], timeout: Duration.seconds(30) });
  new CanaryRelease(chart, 'canary', { service: svc, stable: 'v1', canary: 'v2', canaryPercentage: 10, pinHeader: HeaderMatch.exact('x-canary', 'always') });
  const route = findObject(synthAndValidate(chart), 'HTTPRoute', 'orders');
  const pin = { name: 'x-canary', type: 'Exact', value: 'always' };
  expect(route.spec.rules[0]).toEqual({
    name: 'canary-pinned',
    matches: [{ path: { type: 'PathPrefix', value: '/reports' }, headers: [pin] }, { path: { type: 'PathPrefix', value: '/' }, headers: [pin] }],
    backendRefs: [{ group: '', kind: 'Service', name: 'orders-v2', port: 80 }],
  });
  expect(route.spec.rules.map((r: any) => r.name)).toEqual(['canary-pinned', 'slow', 'default']);
});

test('GWAPI004: a version whose Service name would not be a DNS-1035 label', () => {
  const chart = shopChart();
  const long = `v${'x'.repeat(58)}`;
  new MeshService(chart, 'orders', { versions: [{ name: 'v1', image: 'a:1' }, { name: long, image: 'a:2' }] });
  expect(() => synthAndValidate(chart)).toThrow(new RegExp(`\\[shop/orders\\] GWAPI004: 'versions' must give Service names with the Gateway API: each version is a Service '<service>-<version>', which must be a DNS-1035 label of at most 63 characters .*got "${long}". Fix: use a short lower-case version name`));
});
