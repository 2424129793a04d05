import { VirtualService } from '../../src/imports/networking.istio.io';
import { MeshModel } from '../../src/model';
import { GatewayRouteModel } from '../../src/model/gateways';
import { GatewaySnapshot } from '../../src/model/snapshot';
import {
  defaultDestinations, pinConflict, renderEgressVirtualServiceSpec, renderGatewayRouteSpec, renderRoute, renderVirtualServiceSpec,
} from '../../src/render/virtual-service';
import { findObject, synthAndValidate } from '../util';
import { addCanary, addService, handModel, HTTP_80, match, snap, snapshot, TCP_5432 } from './fixtures';

const HOST = 'orders.shop.svc.cluster.local';

describe('renderVirtualServiceSpec (a service\'s own VirtualService)', () => {
  test('without routes or release: one default rule to the stable subset', () => {
    const { model } = handModel();
    const orders = addService(model, 'orders', ['v1', 'v2']);
    expect(renderVirtualServiceSpec(snap(model, orders))).toEqual({
      hosts: [HOST],
      http: [{ name: 'default', route: [{ destination: { host: HOST, subset: 'v1' } }] }],
    });
  });

  test('TCP ports get one L4 rule each (with the release split), HTTP rules only when an HTTP port exists', () => {
    const { model } = handModel();
    const db = addService(model, 'orders', ['v1', 'v2'], [TCP_5432, { ...TCP_5432, name: 'tcp-repl', port: 5433, targetPort: 5433 }]);
    addCanary(model, db, 'v1', 'v2', 25);
    const spec = renderVirtualServiceSpec(snap(model, db));
    expect(spec.http).toBeUndefined();
    expect(spec.tcp).toEqual([5432, 5433].map((port) => ({
      match: [{ port }],
      route: [
        { destination: { host: HOST, subset: 'v1', port: { number: port } }, weight: 75 },
        { destination: { host: HOST, subset: 'v2', port: { number: port } }, weight: 25 },
      ],
    })));
  });

  test('a canary release: the pinned tester rule first, the routes, then the weighted default rule with the mirror', () => {
    const { chart, model } = handModel();
    const orders = addService(model, 'orders', ['v1', 'v2'], [HTTP_80, TCP_5432]);
    addCanary(model, orders, 'v1', 'v2', 10, { mirrorPercentage: 50 });
    model.addRoute(HOST, {
      path: 'test/orders/api',
      name: 'api',
      matches: [match({ path: { kind: 'prefix', value: '/api' }, method: 'GET' })],
      timeoutMs: 1500,
      retries: { attempts: 2, perTryTimeoutMs: 500, retryOn: ['5xx', 'reset'] },
    });
    const spec = renderVirtualServiceSpec(snap(model, orders));
    expect(spec.http?.map((r) => r.name)).toEqual(['canary-pinned', 'api', 'default']);
    // the service has two ports: every HTTP destination (and mirror) names the only HTTP port (IST0112)
    const port = { number: 80 };
    expect(spec.http?.[0]).toEqual({
      name: 'canary-pinned',
      match: [{ headers: { 'x-canary': { exact: 'always' } } }],
      route: [{ destination: { host: HOST, subset: 'v2', port } }],
    });
    const weighted = [{ destination: { host: HOST, subset: 'v1', port }, weight: 90 }, { destination: { host: HOST, subset: 'v2', port }, weight: 10 }];
    expect(spec.http?.[1]).toEqual({
      name: 'api',
      match: [{ uri: { prefix: '/api' }, method: { exact: 'GET' } }],
      route: weighted,
      timeout: '1.5s',
      retries: { attempts: 2, perTryTimeout: '0.5s', retryOn: '5xx,reset' },
      mirror: { host: HOST, subset: 'v2', port },
      mirrorPercentage: { value: 50 },
    });
    expect(spec.http?.[2]).toEqual({ name: 'default', route: weighted, mirror: { host: HOST, subset: 'v2', port }, mirrorPercentage: { value: 50 } });
    expect(spec.tcp).toHaveLength(1);

    // the L1 object carries exactly what the renderer produced, and it passes the CRD schema
    new VirtualService(chart, 'vs', { metadata: { name: 'orders', namespace: 'shop' }, spec });
    const out = synthAndValidate(chart);
    expect(findObject(out, 'VirtualService', 'orders').spec).toEqual(JSON.parse(JSON.stringify(spec)));
  });

  test('several HTTP ports: each rule repeated per port, matched on it and sent to it, named <rule>-<port> (IST0112)', () => {
    // GIVEN a service with two HTTP ports (HTTP and gRPC) and one route
    const { chart, model } = handModel();
    const grpc = { name: 'grpc', port: 9090, targetPort: 9090, protocol: 'grpc' as const };
    const orders = addService(model, 'orders', ['v1', 'v2'], [HTTP_80, grpc, TCP_5432]);
    model.addRoute(HOST, { path: 'test/orders/slow', name: 'slow', matches: [match({ path: { kind: 'prefix', value: '/reports' } })], timeoutMs: 30000 });
    // WHEN
    const spec = renderVirtualServiceSpec(snap(model, orders));
    // THEN a request on port 80 stays on 80 and one on 9090 on 9090, as the rules without a port did
    expect(spec.http).toEqual([80, 9090].flatMap((port) => [
      { name: `slow-${port}`, match: [{ uri: { prefix: '/reports' }, port }], route: [{ destination: { host: HOST, subset: 'v1', port: { number: port } } }], timeout: '30s' },
      { name: `default-${port}`, match: [{ port }], route: [{ destination: { host: HOST, subset: 'v1', port: { number: port } } }] },
    ]));
    expect(spec.tcp).toEqual([{ match: [{ port: 5432 }], route: [{ destination: { host: HOST, subset: 'v1', port: { number: 5432 } } }] }]);
    new VirtualService(chart, 'vs', { metadata: { name: 'orders', namespace: 'shop' }, spec });
    expect(findObject(synthAndValidate(chart), 'VirtualService', 'orders').spec).toEqual(JSON.parse(JSON.stringify(spec)));
  });

  test('a route with its own destinations keeps them (no release mirror); a redirect route has no destination', () => {
    const { model } = handModel();
    const orders = addService(model, 'orders', ['v1', 'v2']);
    addCanary(model, orders, 'v1', 'v2', 10, { mirrorPercentage: 5 });
    model.addRoute(HOST, { path: 'p', name: 'beta', matches: [match({ headers: [{ name: 'x-beta' }] })], destinations: [{ version: 'v2' }] });
    model.addRoute(HOST, { path: 'p', name: 'old', matches: [match({ path: { kind: 'exact', value: '/old' } })], redirect: { uri: '/new', redirectCode: 308 } });
    const [, beta, old] = renderVirtualServiceSpec(snap(model, orders)).http ?? [];
    expect(beta).toEqual({ name: 'beta', match: [{ headers: { 'x-beta': {} } }], route: [{ destination: { host: HOST, subset: 'v2' } }] });
    expect(JSON.parse(JSON.stringify(old))).toEqual({ name: 'old', match: [{ uri: { exact: '/old' } }], redirect: { uri: '/new', redirectCode: 308 } });
  });
});

describe('defaultDestinations and renderRoute', () => {
  test('a blue-green release sends default traffic to its active version', () => {
    const { model } = handModel();
    const orders = addService(model, 'orders', ['v1', 'v2']);
    model.addRelease(HOST, { path: 'bg', kind: 'blue-green', stable: 'v2', canary: 'v1', canaryWeight: 0, pinned: [] });
    expect(defaultDestinations(snap(model, orders))).toEqual([{ host: HOST, subset: 'v2' }]);
  });

  test('weights and ports; a host outside the mesh has no subset', () => {
    expect(JSON.parse(JSON.stringify(renderRoute([{ host: 'h', subset: 'a', weight: 60, port: 80 }, { host: 'x.example', port: 443 }])))).toEqual([
      { destination: { host: 'h', subset: 'a', port: { number: 80 } }, weight: 60 },
      { destination: { host: 'x.example', port: { number: 443 } } },
    ]);
  });
});

describe('renderGatewayRouteSpec (gateway-bound routes)', () => {
  const gatewayOf = (model: MeshModel, routes: GatewayRouteModel[]): GatewaySnapshot => {
    model.putGateway({ path: 'test/edge', direction: 'ingress', name: 'edge', namespace: 'istio-ingress', selector: { istio: 'edge' }, serviceHost: '', servers: [], routes });
    return snapshot(model).gateway('test/edge')!;
  };
  const route = (index: number, host: string, partial: Partial<GatewayRouteModel> = {}): GatewayRouteModel => ({
    path: 'test/edge', index, host, serviceHost: HOST, serviceName: 'orders', catchAll: true, matches: [], resolvedPort: 80, ...partial,
  });

  test('routes with matches first, then the catch-all (a host with a catch-all of its own does not fall back to the any-host routes); rewrite, timeout and port reach the rules', () => {
    const { model } = handModel();
    addService(model, 'orders', ['v1']);
    const gateway = gatewayOf(model, [
      route(0, 'shop.example.com', { port: 80 }),
      route(1, 'shop.example.com', { catchAll: false, matches: [match({ path: { kind: 'prefix', value: '/api' } })], rewritePrefix: '/', timeoutMs: 15000 }),
      route(2, '*'),
    ]);
    const spec = renderGatewayRouteSpec(snapshot(model), gateway, 'shop.example.com');
    expect(JSON.parse(JSON.stringify(spec))).toEqual({
      hosts: ['shop.example.com'],
      gateways: ['istio-ingress/edge'],
      http: [
        { match: [{ uri: { prefix: '/api' } }], rewrite: { uri: '/' }, timeout: '15s', route: [{ destination: { host: HOST, subset: 'v1' } }] },
        { route: [{ destination: { host: HOST, subset: 'v1', port: { number: 80 } } }] },
      ],
    });
  });

  test('a pinned release adds the tester rule, combining the route\'s match with the pin header', () => {
    const { chart, model } = handModel();
    const orders = addService(model, 'orders', ['v1', 'v2']);
    addCanary(model, orders, 'v1', 'v2', 20);
    const api = match({ path: { kind: 'prefix', value: '/api' }, headers: [{ name: 'x-team', match: { kind: 'exact', value: 'a' } }] });
    const spec = renderGatewayRouteSpec(snapshot(model), gatewayOf(model, [route(0, '*', { catchAll: false, matches: [api] })]), '*');
    expect(spec.http).toHaveLength(2);
    expect(spec.http?.[0].match).toEqual([{ uri: { prefix: '/api' }, headers: { 'x-team': { exact: 'a' }, 'x-canary': { exact: 'always' } } }]);
    expect(spec.http?.[0].route).toEqual([{ destination: { host: HOST, subset: 'v2' } }]);
    expect(spec.http?.[1].route?.map((r) => r.weight)).toEqual([80, 20]);
    new VirtualService(chart, 'vs', { metadata: { name: 'edge-any', namespace: 'istio-ingress' }, spec });
    synthAndValidate(chart);
  });

  test('pinConflict: the pin header tested with another value cannot be combined', () => {
    const pinned = match({ headers: [{ name: 'x-canary', match: { kind: 'exact', value: 'always' } }] });
    expect(pinConflict(match({ headers: [{ name: 'x-canary', match: { kind: 'exact', value: 'never' } }] }), pinned)?.name).toBe('x-canary');
    expect(pinConflict(match({ headers: [{ name: 'x-canary', match: { kind: 'exact', value: 'always' } }] }), pinned)).toBeUndefined();
    expect(pinConflict(match({ headers: [{ name: 'x-other' }] }), pinned)).toBeUndefined();
  });
});

describe('renderEgressVirtualServiceSpec (an external service through an egress gateway)', () => {
  test('HTTP: mesh -> gateway port 80 (subset), gateway -> external port; TLS: by SNI through 443', () => {
    const { chart } = handModel();
    const spec = renderEgressVirtualServiceSpec({
      path: 'test/pay',
      name: 'pay',
      namespace: 'shop',
      hosts: ['api.pay.example'],
      originatesTls: false,
      resolution: 'DNS',
      ports: [{ name: 'http-8080', number: 8080, protocol: 'HTTP' }, { name: 'tls-443', number: 443, protocol: 'TLS' }],
      egressGatewayPath: 'test/egress',
    }, { name: 'egress', namespace: 'istio-egress', serviceHost: 'egress.istio-egress.svc.cluster.local' });
    const gw = 'egress.istio-egress.svc.cluster.local';
    expect(JSON.parse(JSON.stringify(spec))).toEqual({
      hosts: ['api.pay.example'],
      gateways: ['mesh', 'istio-egress/egress'],
      http: [
        { name: 'mesh-to-egress-gateway', match: [{ gateways: ['mesh'], port: 8080 }], route: [{ destination: { host: gw, subset: 'pay', port: { number: 80 } } }] },
        { name: 'egress-gateway-to-external', match: [{ gateways: ['istio-egress/egress'], port: 80 }], route: [{ destination: { host: 'api.pay.example', port: { number: 8080 } } }] },
      ],
      tls: [
        { match: [{ gateways: ['mesh'], port: 443, sniHosts: ['api.pay.example'] }], route: [{ destination: { host: gw, subset: 'pay', port: { number: 443 } } }] },
        { match: [{ gateways: ['istio-egress/egress'], port: 443, sniHosts: ['api.pay.example'] }], route: [{ destination: { host: 'api.pay.example', port: { number: 443 } } }] },
      ],
    });
    new VirtualService(chart, 'vs', { metadata: { name: 'pay', namespace: 'shop' }, spec });
    synthAndValidate(chart);
  });
});
