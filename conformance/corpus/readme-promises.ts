/**
 * Conformance corpus: the request outcomes the README promises in its sections on routing,
 * releases, mTLS and authorization, and routes for any host, declared as the README's own
 * snippets do, so the behaviour stage sends them as requests:
 * - a route with a timeout and retries that follows the canary split; 90/10 canary, testers
 *   sending `x-canary: always` always reach v2 (also through the ingress);
 * - blue-green: everything to v1, v2 only with `x-preview: true`;
 * - user-service admits order-service (GET on its paths), a namespace on one port, a gateway
 *   identity; `denyFrom` before ALLOW (a caller both admitted and in the denied namespace is
 *   denied); a token of the issuer (with the claim) required on order-service's /api/*;
 * - deny by default in a namespace (`DefaultDeny`);
 * - any-host routes: `admin.example.com/admin` reaches users, `admin.example.com/api/orders`
 *   still reaches orders, every other host gets the two `/api` routes.
 */
import { App, Chart, Duration } from 'cdk8s';
import {
  AuthzSource, BlueGreenRelease, CanaryRelease, DefaultDeny, GatewayServer, HeaderMatch, HttpMatch, HttpMethod, IngressGateway,
  IstioControlPlane, JwtAuthentication, MeshNamespace, MeshService, RetryOn, StrictMtls,
} from '../../src';

export function build(app: App): void {
  const platform = new Chart(app, 'platform');
  const istio = new IstioControlPlane(platform, 'istio', { crds: false });
  for (const ns of ['shop', 'vault', 'monitoring', 'sandbox']) new MeshNamespace(platform, ns, { controlPlane: istio });

  const chart = new Chart(app, 'shop', { namespace: 'shop' });
  const users = new MeshService(chart, 'user-service', { versions: [{ name: 'v1', image: 'ghcr.io/acme/user-service:1.4.2' }] });
  const orders = new MeshService(chart, 'order-service', {
    versions: [
      { name: 'v1', image: 'ghcr.io/acme/order-service:2.0.0', replicas: 2 },
      { name: 'v2', image: 'ghcr.io/acme/order-service:2.1.0' },
    ],
  });
  const catalog = new MeshService(chart, 'catalog', {
    versions: [{ name: 'v1', image: 'ghcr.io/acme/catalog:1.0.0' }, { name: 'v2', image: 'ghcr.io/acme/catalog:1.1.0' }],
  });
  orders.dependsOn(users);
  orders.dependsOn(catalog);
  // a caller of order-service: its requests take order-service's routes, release and token requirement
  const web = new MeshService(chart, 'web', { versions: [{ name: 'v1', image: 'ghcr.io/acme/web:1.0.0' }] });
  web.dependsOn(orders);
  orders.allowFrom(web);

  // Routing and resilience: a route with a timeout and retries (it follows the canary split)
  orders.addRoute({
    name: 'api',
    match: [HttpMatch.pathPrefix('/api')],
    timeout: Duration.seconds(3),
    retries: { attempts: 2, perTryTimeout: Duration.seconds(1), retryOn: [RetryOn.GATEWAY_ERROR, RetryOn.CONNECT_FAILURE] },
  });
  // Canary and blue-green
  new CanaryRelease(chart, 'order-service-canary', {
    service: orders, stable: 'v1', canary: 'v2', canaryPercentage: 10, pinHeader: HeaderMatch.exact('x-canary', 'always'),
  });
  new BlueGreenRelease(chart, 'catalog-release', { service: catalog, active: 'v1', preview: 'v2', previewHeader: HeaderMatch.exact('x-preview', 'true') });

  // mTLS and authorization
  new StrictMtls(chart, 'shop-mtls', { namespace: 'shop' });
  users.allowFrom(orders, { methods: [HttpMethod.GET], paths: ['/users', '/users/*'] });
  users.allowFromNamespace('monitoring', { ports: [80] });
  users.denyFrom(AuthzSource.namespace('sandbox'));
  // callers in those namespaces: the scraper is admitted on port 80; the sandbox's tool, although
  // an ALLOW rule names it, is denied (DENY rules are evaluated before ALLOW rules)
  const scraper = new MeshService(new Chart(app, 'monitoring', { namespace: 'monitoring' }), 'scraper', {
    versions: [{ name: 'v1', image: 'ghcr.io/acme/scraper:1.0.0' }],
  });
  scraper.dependsOn(users);
  const tool = new MeshService(new Chart(app, 'sandbox', { namespace: 'sandbox' }), 'tool', { versions: [{ name: 'v1', image: 'ghcr.io/acme/tool:1.0.0' }] });
  users.allowFrom(tool);
  const jwt = new JwtAuthentication(chart, 'shop-jwt', {
    service: orders,
    issuer: 'https://auth.acme-shop.example',
    jwksUri: 'https://auth.acme-shop.example/.well-known/jwks.json',
  });
  orders.requireJwt(jwt, { paths: ['/api/*'], claims: [{ claim: 'scope', values: ['orders'] }] });

  // deny by default: a namespace whose service declares no ALLOW rule admits nobody
  const vault = new Chart(app, 'vault', { namespace: 'vault' });
  new MeshService(vault, 'secrets', { versions: [{ name: 'v1', image: 'ghcr.io/acme/secrets:1.0.0' }] });
  new DefaultDeny(vault, 'deny-by-default', { namespace: 'vault' });

  // Routes for any host (a gateway reached by IP), and tester pinning through the ingress
  const edgeChart = new Chart(app, 'edge', { namespace: 'istio-ingress' });
  new MeshNamespace(edgeChart, 'istio-ingress', { controlPlane: istio });
  const edge = new IngressGateway(edgeChart, 'edge', { namespace: 'istio-ingress', servers: [GatewayServer.http({ hosts: ['*'] })] });
  edge.addRoute({ host: IngressGateway.ANY_HOST, match: [HttpMatch.pathPrefix('/api/orders')], rewritePrefix: '/', service: orders });
  edge.addRoute({ host: '*', match: [HttpMatch.pathPrefix('/api/users')], service: users });
  edge.addRoute({ host: 'admin.example.com', match: [HttpMatch.pathPrefix('/admin')], service: users });
  users.allowFrom(edge, { methods: [HttpMethod.GET] });
  orders.allowFrom(edge);
}
