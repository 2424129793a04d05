/**
 * Conformance corpus: routing, resilience, releases and traffic policies on a revisioned
 * control plane with a custom trust domain. Every route option, load balancer, static
 * canary (cookie pin, mirror), blue-green and a version-level traffic policy.
 */
import { App, Chart, Duration } from 'cdk8s';
import {
  AccessLogEncoding, BlueGreenRelease, CanaryRelease, CorsOrigin, HeaderMatch, HttpMatch, HttpMethod, HttpScheme,
  IstioControlPlane, LoadBalancer, MeshNamespace, MeshService, OutboundTrafficPolicyMode, Protocol, QueryParamMatch, ReleaseDriver, RetryOn,
} from '../../src';

export function build(app: App): void {
  const platform = new Chart(app, 'platform');
  const istio = new IstioControlPlane(platform, 'istio', {
    revision: '1-30-3',
    trustDomain: 'corp.example',
    replicas: 2,
    accessLogFile: '/dev/stdout',
    accessLogEncoding: AccessLogEncoding.TEXT,
    outboundTrafficPolicy: OutboundTrafficPolicyMode.ALLOW_ANY,
    traceSampling: 5,
    proxyConcurrency: 2,
    holdApplicationUntilProxyStarts: true,
    terminationDrainDuration: Duration.seconds(20),
  });
  new MeshNamespace(platform, 'store', { controlPlane: istio });

  const chart = new Chart(app, 'store', { namespace: 'store' });
  const catalog = new MeshService(chart, 'catalog', {
    controlPlane: istio,
    ports: [{ port: 80, targetPort: 8080, protocol: Protocol.HTTP }, { port: 9090, protocol: Protocol.GRPC }],
    versions: [
      { name: 'v1', image: 'ghcr.io/acme/catalog:1.0.0', replicas: 2 },
      { name: 'v2', image: 'ghcr.io/acme/catalog:1.1.0' },
    ],
  });
  const reviews = new MeshService(chart, 'reviews', {
    controlPlane: istio,
    ports: [{ port: 80, targetPort: 9080 }],
    versions: [
      { name: 'v1', image: 'ghcr.io/acme/reviews:1.0.0' },
      { name: 'v2', image: 'ghcr.io/acme/reviews:2.0.0' },
      { name: 'v3', image: 'ghcr.io/acme/reviews:3.0.0' },
    ],
  });
  const cache = new MeshService(chart, 'cache', {
    controlPlane: istio,
    ports: [{ port: 6379, protocol: Protocol.TCP }],
    versions: [{ name: 'v1', image: 'ghcr.io/acme/cache:7.2.0' }],
  });
  const web = new MeshService(chart, 'web', {
    controlPlane: istio,
    versions: [
      { name: 'blue', image: 'ghcr.io/acme/web:5.0.0' },
      { name: 'green', image: 'ghcr.io/acme/web:5.1.0' },
    ],
  });
  web.dependsOn(catalog, reviews);
  reviews.dependsOn(catalog, cache);

  // routes: every MeshRoute option
  reviews.addRoute({ name: 'beta', match: [HttpMatch.header(HeaderMatch.exact('x-beta', 'yes'))], to: 'v3' });
  reviews.addRoute({ name: 'query', match: [HttpMatch.of({ queryParams: [QueryParamMatch.exact('preview', '1')] })], to: 'v2' });
  reviews.addRoute({ name: 'split', match: [HttpMatch.pathPrefix('/ratings')], destinations: [{ version: 'v1', weight: 75 }, { version: 'v2', weight: 25 }] });
  reviews.addRoute({ name: 'chaos', match: [HttpMatch.header(HeaderMatch.present('x-chaos'))], fault: { fixedDelay: Duration.seconds(2), delayPercentage: 50, abortHttpStatus: 503, abortPercentage: 10 } });
  reviews.addRoute({ name: 'shadow', match: [HttpMatch.pathPrefix('/shadow')], to: 'v1', mirror: { version: 'v3', percentage: 20 } });
  reviews.addRoute({
    name: 'web',
    match: [HttpMatch.pathPrefix('/v1/'), HttpMatch.method(HttpMethod.GET)],
    requestHeaders: { set: { 'x-route': 'web' }, remove: ['x-internal'] },
    responseHeaders: { add: { 'x-served-by': 'reviews' } },
    rewrite: { uri: '/', authority: 'reviews.internal' },
    corsPolicy: {
      allowOrigins: [CorsOrigin.exact('https://shop.example.com'), CorsOrigin.prefix('https://admin.'), CorsOrigin.regex('^https://.*\\.example\\.com$')],
      allowMethods: [HttpMethod.GET, HttpMethod.POST],
      allowHeaders: ['content-type'],
      exposeHeaders: ['x-request-id'],
      maxAge: Duration.hours(1),
      allowCredentials: true,
    },
  });
  reviews.addRoute({ name: 'legacy', match: [HttpMatch.pathRegex('^/old/(.*)$')], rewrite: { uriRegexMatch: '^/old/(.*)$', uriRegexRewrite: '/new/\\1' } });
  reviews.addRoute({ name: 'moved', match: [HttpMatch.pathExact('/moved')], redirect: { uri: '/new', scheme: HttpScheme.HTTPS, port: 8443, redirectCode: 308 } });
  reviews.addRoute({
    name: 'resilience',
    timeout: Duration.seconds(5),
    retries: { attempts: 3, perTryTimeout: Duration.seconds(1), retryOn: [RetryOn.GATEWAY_ERROR, RetryOn.CONNECT_FAILURE, RetryOn.RESET], retryRemoteLocalities: true },
  });

  // traffic policies: each load balancer, pools, outlier detection, a version-level policy
  catalog.configureTrafficPolicy({
    loadBalancer: LoadBalancer.consistentHashByHeader('x-user'),
    connectionPool: { maxConnections: 100, connectTimeout: Duration.seconds(1), http1MaxPendingRequests: 50, http2MaxRequests: 200, maxRequestsPerConnection: 10, maxRetries: 3, idleTimeout: Duration.minutes(5) },
    outlierDetection: { consecutive5xxErrors: 5, consecutiveGatewayErrors: 3, interval: Duration.seconds(10), baseEjectionTime: Duration.seconds(30), maxEjectionPercent: 50, minHealthPercent: 20 },
  });
  catalog.configureVersionTrafficPolicy('v2', { loadBalancer: LoadBalancer.leastRequest() });
  reviews.configureTrafficPolicy({ loadBalancer: LoadBalancer.consistentHashByCookie('session', Duration.hours(1), '/') });
  cache.configureTrafficPolicy({ loadBalancer: LoadBalancer.consistentHashBySourceIp(), connectionPool: { maxConnections: 20 } });
  web.configureTrafficPolicy({ loadBalancer: LoadBalancer.random() });
  web.configureVersionTrafficPolicy('green', { loadBalancer: LoadBalancer.consistentHashByQueryParameter('user') });
  web.configureVersionTrafficPolicy('blue', { loadBalancer: LoadBalancer.roundRobin() });

  // releases: a static canary with cookie pin and mirror; a blue-green switch
  new CanaryRelease(chart, 'catalog-canary', {
    service: catalog, stable: 'v1', canary: 'v2', canaryPercentage: 20,
    pinCookie: { name: 'canary', value: 'yes' }, driver: ReleaseDriver.staticWeights(),
  });
  // the shadow phase: no live traffic to the canary, 5% mirrored to it
  const search = new MeshService(chart, 'search', {
    controlPlane: istio,
    versions: [{ name: 'v1', image: 'ghcr.io/acme/search:1.0.0' }, { name: 'v2', image: 'ghcr.io/acme/search:2.0.0' }],
  });
  web.dependsOn(search);
  new CanaryRelease(chart, 'search-shadow', { service: search, stable: 'v1', canary: 'v2', canaryPercentage: 0, mirrorPercentage: 5 });
  new BlueGreenRelease(chart, 'web-switch', { service: web, active: 'green', preview: 'blue', previewHeader: HeaderMatch.exact('x-preview', 'blue') });
}
