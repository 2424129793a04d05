/**
 * Equivalence program (mesh routing): rendered once with the Istio API and once with the
 * Gateway API (conformance/synth.ts), pilot's Envoy routes and clusters of both are compared
 * (conformance/internal/equivalence). Every routing feature both APIs express: weighted
 * destinations, exact and prefix paths (a regex path ranks after every prefix in the Gateway API, so a catch-all route would shadow it: GWAPI002), header (exact, prefix, regex, present) and query
 * matches, methods, timeouts, header edits, rewrite, redirect, mirror, CORS, a canary with a
 * cookie pin, a shadow (mirror-only) canary, a blue-green preview header, traffic policies
 * (service-wide and per version). Routes are declared in Gateway API precedence order (longer path prefixes first).
 */
import { App, Chart, Duration } from 'cdk8s';
import {
  BlueGreenRelease, CanaryRelease, CorsOrigin, HeaderMatch, HttpMatch, HttpMethod, HttpScheme, IstioControlPlane, LoadBalancer,
  MeshNamespace, MeshService, PathMatch, QueryParamMatch,
} from '../../src';

export function build(app: App): void {
  const platform = new Chart(app, 'platform');
  const istio = new IstioControlPlane(platform, 'istio', { gatewayApiCrds: true });
  new MeshNamespace(platform, 'store', { controlPlane: istio });

  const chart = new Chart(app, 'store', { namespace: 'store' });
  const versions = (name: string, ...vs: string[]) => vs.map((v) => ({ name: v, image: `ghcr.io/acme/${name}:${v}` }));
  const catalog = new MeshService(chart, 'catalog', { ports: [{ port: 80, targetPort: 8080 }], versions: versions('catalog', 'v1', 'v2') });
  const reviews = new MeshService(chart, 'reviews', { ports: [{ port: 80, targetPort: 9080 }], versions: versions('reviews', 'v1', 'v2', 'v3') });
  const search = new MeshService(chart, 'search', { versions: versions('search', 'v1', 'v2') });
  const web = new MeshService(chart, 'web', { versions: versions('web', 'blue', 'green') });
  web.dependsOn(catalog, reviews, search);
  reviews.dependsOn(catalog);

  reviews.addRoute({ name: 'moved', match: [HttpMatch.pathExact('/moved')], redirect: { uri: '/new', scheme: HttpScheme.HTTPS, port: 8443, redirectCode: 308 } });
  reviews.addRoute({ name: 'split', match: [HttpMatch.pathPrefix('/ratings')], destinations: [{ version: 'v1', weight: 75 }, { version: 'v2', weight: 25 }], timeout: Duration.seconds(2) });
  reviews.addRoute({ name: 'shadow', match: [HttpMatch.pathPrefix('/shadow')], to: 'v1', mirror: { version: 'v3', percentage: 20 } });
  reviews.addRoute({ name: 'writes', match: [HttpMatch.of({ path: PathMatch.prefix('/write'), method: HttpMethod.POST })], to: 'v3', timeout: Duration.millis(1500) });
  reviews.addRoute({
    name: 'web',
    match: [HttpMatch.pathPrefix('/v1/')],
    to: 'v2',
    requestHeaders: { set: { 'x-route': 'web' }, remove: ['x-internal'] },
    responseHeaders: { add: { 'x-served-by': 'reviews' } },
    rewrite: { uri: '/', authority: 'reviews.internal' },
    corsPolicy: {
      allowOrigins: [CorsOrigin.exact('https://shop.example.com')],
      allowMethods: [HttpMethod.GET, HttpMethod.POST],
      allowHeaders: ['content-type'],
      exposeHeaders: ['x-request-id'],
      maxAge: Duration.hours(1),
      allowCredentials: true,
    },
  });
  reviews.addRoute({ name: 'beta', match: [HttpMatch.header(HeaderMatch.exact('x-beta', 'yes')), HttpMatch.header(HeaderMatch.prefix('x-user', 'beta-'))], to: 'v3' });
  reviews.addRoute({ name: 'debug', match: [HttpMatch.header(HeaderMatch.present('x-debug')), HttpMatch.header(HeaderMatch.regex('x-tenant', 'team-[0-9]+'))], to: 'v2' });
  reviews.addRoute({ name: 'query', match: [HttpMatch.of({ queryParams: [QueryParamMatch.exact('preview', '1')] })], to: 'v2' });
  reviews.addRoute({ name: 'rest', timeout: Duration.seconds(5) });

  catalog.configureTrafficPolicy({
    // consistent hashing is rejected with the Gateway API (GWAPI001): pilot adds no hash policy to HTTPRoute routes
    loadBalancer: LoadBalancer.leastRequest(),
    connectionPool: { maxConnections: 100, connectTimeout: Duration.seconds(1), http1MaxPendingRequests: 50, http2MaxRequests: 200, maxRequestsPerConnection: 10, maxRetries: 3, idleTimeout: Duration.minutes(5) },
    outlierDetection: { consecutive5xxErrors: 5, consecutiveGatewayErrors: 3, interval: Duration.seconds(10), baseEjectionTime: Duration.seconds(30), maxEjectionPercent: 50, minHealthPercent: 20 },
  });
  catalog.configureVersionTrafficPolicy('v2', { loadBalancer: LoadBalancer.roundRobin() });
  reviews.configureTrafficPolicy({ loadBalancer: LoadBalancer.random() });
  web.configureVersionTrafficPolicy('green', { loadBalancer: LoadBalancer.roundRobin() });

  new CanaryRelease(chart, 'catalog-canary', { service: catalog, stable: 'v1', canary: 'v2', canaryPercentage: 20, pinCookie: { name: 'canary', value: 'yes' } });
  new CanaryRelease(chart, 'search-shadow', { service: search, stable: 'v1', canary: 'v2', canaryPercentage: 0, mirrorPercentage: 5 });
  new BlueGreenRelease(chart, 'web-switch', { service: web, active: 'green', preview: 'blue', previewHeader: HeaderMatch.exact('x-preview', 'blue') });
}
