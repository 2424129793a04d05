import { Duration, Testing } from 'cdk8s';
import { GatewayServer, GatewayTls, HttpMatch, IngressGateway, MeshService, PathMatch } from '../../src';
import { err, findObject, findObjects, synthAndValidate } from '../util';

function setup(hosts: string[] = ['*']) {
  const chart = Testing.chart();
  const svc = (name: string) => new MeshService(chart, name, { namespace: 'shop', versions: [{ name: 'v1', image: `ghcr.io/acme/${name}:1.0.0` }] });
  const web = svc('web');
  const orders = svc('orders');
  const users = svc('users');
  const admin = svc('admin');
  const gw = new IngressGateway(chart, 'edge', { namespace: 'istio-ingress', servers: [GatewayServer.http({ hosts })] });
  return { chart, gw, web, orders, users, admin };
}

const dest = (name: string) => ({ destination: { host: `${name}.shop.svc.cluster.local`, subset: 'v1' } });

describe('IngressGateway any-host routes', () => {
  test('a gateway reached by IP routes every host by path (several path matches)', () => {
    // GIVEN a gateway whose only server accepts any host
    const { chart, gw, web, orders, users } = setup(['*']);
    // WHEN routes are added for any host, catch-all first
    const vs = gw.addRoute({ host: IngressGateway.ANY_HOST, service: web });
    gw.addRoute({ host: '*', service: orders, match: [HttpMatch.pathPrefix('/api/orders'), HttpMatch.pathExact('/checkout')], rewritePrefix: '/' });
    gw.addRoute({ host: '*', service: users, match: [HttpMatch.of({ path: PathMatch.prefix('/api/users'), ignoreUriCase: true })], timeout: Duration.seconds(5) });
    // THEN one VirtualService for '*' bound to the gateway: path routes first, the catch-all last
    const out = synthAndValidate(chart);
    expect(findObjects(out, 'VirtualService').filter((o) => o.metadata.namespace === 'istio-ingress').map((o) => o.metadata.name)).toEqual(['edge-any']);
    const obj = findObject(out, 'VirtualService', 'edge-any');
    expect(obj.metadata).toEqual({ name: 'edge-any', namespace: 'istio-ingress', labels: { 'app.kubernetes.io/name': 'edge' } });
    expect(obj.spec).toEqual({
      hosts: ['*'],
      gateways: ['istio-ingress/edge'],
      http: [
        { match: [{ uri: { prefix: '/api/orders' } }, { uri: { exact: '/checkout' } }], rewrite: { uri: '/' }, route: [dest('orders')] },
        { match: [{ uri: { prefix: '/api/users' }, ignoreUriCase: true }], timeout: '5s', route: [dest('users')] },
        { route: [dest('web')] },
      ],
    });
    expect(findObject(out, 'Gateway', 'edge').spec.servers).toEqual([{ port: { number: 80, name: 'http-80', protocol: 'HTTP' }, hosts: ['*'] }]);
    expect(vs.node.path).toBe('test/edge/Route-*');
    expect(out.filter((o) => o.metadata.namespace === 'istio-ingress')).toMatchSnapshot();
  });

  test('an any-host route takes every host of a server listing concrete hosts', () => {
    const { chart, gw, web } = setup(['shop.example.com', 'www.example.com']);
    gw.addRoute({ host: '*', service: web });
    const out = synthAndValidate(chart);
    expect(findObject(out, 'VirtualService', 'edge-any').spec.hosts).toEqual(['*']);
  });

  test('concrete hosts come first and fall back to the any-host routes', () => {
    // GIVEN any-host routes and two concrete hosts on a '*' server
    const { chart, gw, web, orders, admin, users } = setup(['*']);
    gw.addRoute({ host: '*', service: web });
    gw.addRoute({ host: '*', service: orders, match: [HttpMatch.pathPrefix('/api')] });
    gw.addRoute({ host: 'admin.example.com', service: admin, match: [HttpMatch.pathPrefix('/admin')] });
    gw.addRoute({ host: 'users.example.com', service: users });
    // THEN admin.example.com: its own route, then the any-host routes (matched, then catch-all)
    const out = synthAndValidate(chart);
    expect(findObject(out, 'VirtualService', 'edge-admin-example-com').spec).toEqual({
      hosts: ['admin.example.com'],
      gateways: ['istio-ingress/edge'],
      http: [
        { match: [{ uri: { prefix: '/admin' } }], route: [dest('admin')] },
        { match: [{ uri: { prefix: '/api' } }], route: [dest('orders')] },
        { route: [dest('web')] },
      ],
    });
    // AND a host with a catch-all route of its own keeps only it
    expect(findObject(out, 'VirtualService', 'edge-users-example-com').spec.http).toEqual([{ route: [dest('users')] }]);
    // AND the any-host VirtualService keeps only the any-host routes
    expect(findObject(out, 'VirtualService', 'edge-any').spec.http).toEqual([
      { match: [{ uri: { prefix: '/api' } }], route: [dest('orders')] },
      { route: [dest('web')] },
    ]);
  });

  test('a wildcard-subdomain server keeps concrete hosts apart from the any-host routes', () => {
    const { chart, gw, web, admin } = setup(['*.example.com']);
    gw.addRoute({ host: '*', service: web });
    gw.addRoute({ host: 'admin.example.com', service: admin, match: [HttpMatch.pathPrefix('/admin')] });
    const out = synthAndValidate(chart);
    expect(findObject(out, 'VirtualService', 'edge-admin-example-com').spec.http.map((r: any) => r.route[0].destination.host))
      .toEqual(['admin.shop.svc.cluster.local', 'web.shop.svc.cluster.local']);
  });

  describe('validation', () => {
    test('a second catch-all any-host route never matches', () => {
      const { gw, web, orders } = setup();
      gw.addRoute({ host: '*', service: web });
      expect(err(() => gw.addRoute({ host: '*', service: orders }))).toBe(
        "[test/edge] 'routes[1].match' must narrow the route: routes[0] already takes every request for any host, so this route would never match, got []. " +
        "Fix: give the route a match (e.g. match: [HttpMatch.pathPrefix('/api')]) or remove one of the routes");
    });

    test('wildcard subdomains are not route hosts', () => {
      const { gw, web } = setup();
      expect(err(() => gw.addRoute({ host: '*.example.com', service: web }))).toBe(
        "[test/edge] 'routes[0].host' must be a lower-case DNS name (the host clients request) or '*' (every host the gateway's servers accept), " +
        "got \"*.example.com\". Fix: route each concrete host, or use '*' for every host the servers accept");
    });

    test('GW002: an any-host route needs an HTTP/HTTPS server', () => {
      const chart = Testing.chart();
      const web = new MeshService(chart, 'web', { namespace: 'shop', versions: [{ name: 'v1', image: 'ghcr.io/acme/web:1' }] });
      const gw = new IngressGateway(chart, 'edge', {
        namespace: 'istio-ingress',
        servers: [GatewayServer.https({ hosts: ['*'], tls: GatewayTls.passthrough() }), GatewayServer.http({ hosts: ['*'], httpsRedirect: true })],
      });
      gw.addRoute({ host: '*', service: web });
      expect(() => synthAndValidate(chart)).toThrow(
        "[test/edge] GW002: 'routes[0].host' must be a host that one of the gateway's HTTP/HTTPS servers serves (served: none), got \"*\". Fix: add a server for the host");
    });

    test('GW003: an exact server host with its own routes and any-host routes would merge in an undefined order', () => {
      // GIVEN a server listing admin.example.com exactly
      const { chart, gw, web, admin } = setup(['admin.example.com', 'www.example.com']);
      // WHEN it has its own route and the gateway routes any host
      gw.addRoute({ host: '*', service: web });
      gw.addRoute({ host: 'admin.example.com', service: admin, match: [HttpMatch.pathPrefix('/admin')] });
      // THEN synth fails and names the server, both routes and the fix
      expect(() => synthAndValidate(chart)).toThrow(
        "[test/edge] GW003: 'servers[0].hosts' must not list \"admin.example.com\" exactly while routes[0] routes any host ('*') and routes[1] routes \"admin.example.com\": " +
        'Istio would merge both VirtualServices into one virtual host in an undefined order, got "admin.example.com". ' +
        "Fix: accept the host through a wildcard server host ('*' or '*.example.com') so its routes stay apart (they fall back to the any-host routes), " +
        'or route it through the any-host routes only');
    });
  });
});
