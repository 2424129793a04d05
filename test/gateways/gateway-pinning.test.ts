import { Duration, Testing } from 'cdk8s';
import {
  RolloutRevision,
  BlueGreenRelease, CanaryRelease, GatewayServer, HeaderMatch, HttpMatch, IngressGateway, MeshService, ReleaseDriver, RolloutStep,
} from '../../src';
import { MeshModel } from '../../src/model';
import { snapshotOf } from '../../src/model/resolve';
import { findObject, synthAndValidate } from '../util';

const HOST = 'shop.example.com';
const ORDERS = 'orders.shop.svc.cluster.local';

function setup() {
  const chart = Testing.chart();
  const orders = new MeshService(chart, 'orders', {
    namespace: 'shop',
    versions: [{ name: 'v1', image: 'ghcr.io/acme/orders:1.0.0' }, { name: 'v2', image: 'ghcr.io/acme/orders:2.0.0' }],
  });
  const gw = new IngressGateway(chart, 'edge', { namespace: 'istio-ingress', servers: [GatewayServer.http({ hosts: [HOST] })] });
  return { chart, orders, gw };
}

const gatewayHttp = (chart: any, name = 'edge-shop-example-com') => findObject(synthAndValidate(chart), 'VirtualService', name).spec.http;

describe('tester pinning through the ingress gateway', () => {
  test('a canary pinHeader adds a tester rule before the weighted route, combined with each route match', () => {
    // GIVEN a canary with a pin header
    const { chart, orders, gw } = setup();
    new CanaryRelease(chart, 'orders-canary', { service: orders, stable: 'v1', canary: 'v2', canaryPercentage: 20, pinHeader: HeaderMatch.exact('x-canary', 'always') });
    // WHEN the gateway routes two paths to the service, with a rewrite and a timeout
    gw.addRoute({ host: HOST, service: orders, match: [HttpMatch.pathPrefix('/orders'), HttpMatch.pathExact('/checkout')], rewritePrefix: '/', timeout: Duration.seconds(3) });
    // THEN testers reach v2 on the same paths with the same rewrite/timeout; everyone else gets the 80/20 split
    expect(gatewayHttp(chart)).toEqual([
      {
        match: [
          { uri: { prefix: '/orders' }, headers: { 'x-canary': { exact: 'always' } } },
          { uri: { exact: '/checkout' }, headers: { 'x-canary': { exact: 'always' } } },
        ],
        rewrite: { uri: '/' },
        timeout: '3s',
        route: [{ destination: { host: ORDERS, subset: 'v2' } }],
      },
      {
        match: [{ uri: { prefix: '/orders' } }, { uri: { exact: '/checkout' } }],
        rewrite: { uri: '/' },
        timeout: '3s',
        route: [{ destination: { host: ORDERS, subset: 'v1' }, weight: 80 }, { destination: { host: ORDERS, subset: 'v2' }, weight: 20 }],
      },
    ]);
  });

  test('a catch-all route gets a header-only tester rule; header and cookie pins are alternatives', () => {
    const { chart, orders, gw } = setup();
    new CanaryRelease(chart, 'orders-canary', {
      service: orders,
      stable: 'v1',
      canary: 'v2',
      canaryPercentage: 0,
      pinHeader: HeaderMatch.present('x-canary'),
      pinCookie: { name: 'canary', value: 'always' },
    });
    gw.addRoute({ host: HOST, service: orders });
    const http = gatewayHttp(chart);
    expect(http[0]).toEqual({
      match: [
        { headers: { 'x-canary': {} } },
        { headers: { cookie: { regex: '^(.*?;\\s*)?(canary=always)(;.*)?$' } } },
      ],
      route: [{ destination: { host: ORDERS, subset: 'v2' } }],
    });
    expect(http[1]).toEqual({ route: [{ destination: { host: ORDERS, subset: 'v1' }, weight: 100 }, { destination: { host: ORDERS, subset: 'v2' }, weight: 0 }] });
    expect(http).toHaveLength(2);
  });

  test('a blue-green previewHeader reaches the preview version through the gateway', () => {
    const { chart, orders, gw } = setup();
    new BlueGreenRelease(chart, 'orders-switch', { service: orders, active: 'v2', preview: 'v1', previewHeader: HeaderMatch.exact('x-preview', 'true') });
    gw.addRoute({ host: HOST, service: orders, match: [HttpMatch.pathPrefix('/orders')] });
    expect(gatewayHttp(chart)).toEqual([
      { match: [{ uri: { prefix: '/orders' }, headers: { 'x-preview': { exact: 'true' } } }], route: [{ destination: { host: ORDERS, subset: 'v1' } }] },
      { match: [{ uri: { prefix: '/orders' } }], route: [{ destination: { host: ORDERS, subset: 'v2' } }] },
    ]);
  });

  test('route matches keep their own header conditions; the same condition is not repeated', () => {
    const { chart, orders, gw } = setup();
    new CanaryRelease(chart, 'orders-canary', { service: orders, stable: 'v1', canary: 'v2', canaryPercentage: 5, pinHeader: HeaderMatch.exact('x-canary', 'always') });
    gw.addRoute({
      host: HOST,
      service: orders,
      match: [HttpMatch.of({ headers: [HeaderMatch.exact('x-tenant', 'acme'), HeaderMatch.exact('x-canary', 'always')] })],
    });
    expect(gatewayHttp(chart)[0].match).toEqual([{ headers: { 'x-tenant': { exact: 'acme' }, 'x-canary': { exact: 'always' } } }]);
  });

  test('services without tester pinning get no extra rule', () => {
    const { chart, orders, gw } = setup();
    new CanaryRelease(chart, 'orders-canary', { service: orders, stable: 'v1', canary: 'v2', canaryPercentage: 5 });
    gw.addRoute({ host: HOST, service: orders });
    expect(gatewayHttp(chart)).toEqual([{ route: [{ destination: { host: ORDERS, subset: 'v1' }, weight: 95 }, { destination: { host: ORDERS, subset: 'v2' }, weight: 5 }] }]);
  });

  test('Argo Rollouts driver: the tester rule targets the canary subset, is named, and is not managed', () => {
    // GIVEN a Rollouts-driven canary with a pin header, routed at a concrete host and at any host
    const chart = Testing.chart();
    const orders = new MeshService(chart, 'orders', {
      namespace: 'shop',
      versions: [{ name: 'v1', image: 'ghcr.io/acme/orders:1.0.0' }, { name: 'v2', image: 'ghcr.io/acme/orders:2.0.0' }],
    });
    const gw = new IngressGateway(chart, 'edge', { namespace: 'istio-ingress', servers: [GatewayServer.http({ hosts: ['*'] })] });
    new CanaryRelease(chart, 'orders-canary', {
      service: orders,
      stable: 'v1',
      canary: 'v2',
      canaryPercentage: 0,
      pinHeader: HeaderMatch.exact('x-canary', 'always'),
      driver: ReleaseDriver.argoRollouts({
        revision: RolloutRevision.CANARY,
        steps: [RolloutStep.weight(10), RolloutStep.pause(), RolloutStep.weight(100)],
      }),
    });
    gw.addRoute({ host: HOST, service: orders, match: [HttpMatch.pathPrefix('/orders')] });
    gw.addRoute({ host: '*', service: orders, match: [HttpMatch.pathPrefix('/api/orders')] });
    const out = synthAndValidate(chart);
    // THEN the concrete host carries its route and the any-host fallback, each with a tester rule first
    const http = findObject(out, 'VirtualService', 'edge-shop-example-com').spec.http;
    expect(http.map((r: any) => r.name)).toEqual(['orders-0-pinned', 'orders-0', 'orders-1-pinned', 'orders-1']);
    expect(http[0]).toEqual({
      name: 'orders-0-pinned',
      match: [{ uri: { prefix: '/orders' }, headers: { 'x-canary': { exact: 'always' } } }],
      route: [{ destination: { host: ORDERS, subset: 'canary' } }],
    });
    expect(http[1].route).toEqual([{ destination: { host: ORDERS, subset: 'stable' }, weight: 100 }, { destination: { host: ORDERS, subset: 'canary' }, weight: 0 }]);
    expect(findObject(out, 'VirtualService', 'edge-any').spec.http.map((r: any) => r.name)).toEqual(['orders-1-pinned', 'orders-1']);
    // AND the Rollout manages the weighted routes only, in every VirtualService that carries them
    const rollout = findObject(out, 'Rollout', 'orders');
    expect(rollout.spec.strategy.canary.trafficRouting.istio.virtualServices).toEqual([
      { name: 'orders', routes: ['default'] },
      { name: 'edge-shop-example-com.istio-ingress', routes: ['orders-0', 'orders-1'] },
      { name: 'edge-any.istio-ingress', routes: ['orders-1'] },
    ]);
    // AND Argo CD ignores exactly those weights (both copies of the any-host route)
    expect(snapshotOf(MeshModel.of(chart)).gitops.managedFields.filter((f) => f.kind === 'VirtualService').map((f) => [f.name, f.jqPathExpressions])).toEqual([
      ['orders', ['.spec.http[] | select(.name == "default") | .route[].weight']],
      ['edge-shop-example-com', ['.spec.http[] | select(.name == "orders-0") | .route[].weight', '.spec.http[] | select(.name == "orders-1") | .route[].weight']],
      ['edge-any', ['.spec.http[] | select(.name == "orders-1") | .route[].weight']],
    ]);
  });

  test('a route testing the pin header with another condition is rejected at synth', () => {
    const { chart, orders, gw } = setup();
    new CanaryRelease(chart, 'orders-canary', { service: orders, stable: 'v1', canary: 'v2', canaryPercentage: 5, pinHeader: HeaderMatch.exact('x-canary', 'always') });
    gw.addRoute({ host: HOST, service: orders, match: [HttpMatch.header(HeaderMatch.present('x-canary'))] });
    expect(() => synthAndValidate(chart)).toThrow(
      "[test/edge] 'routes[0].match' must not test header \"x-canary\", which the release of orders uses to pin testers to its canary/preview version " +
      '(one Istio match holds one condition per header), got "header x-canary present". ' +
      "Fix: match on another header, or let the release's pin header select the version (header x-canary exact \"always\")");
  });
});
