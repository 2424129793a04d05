import { Duration, Testing } from 'cdk8s';
import {
  CorsOrigin, HeaderMatch, HttpMatch, HttpMethod, HttpScheme, MeshService, MeshServiceVersion, PathMatch, Protocol, RetryOn,
} from '../../src';
import { findObject, synthAndValidate } from '../util';

const HOST = 'reviews.default.svc.cluster.local';

function reviews(versions: MeshServiceVersion[] = [
  { name: 'v1', image: 'ghcr.io/acme/reviews:1.0.0' },
  { name: 'v2', image: 'ghcr.io/acme/reviews:2.0.0' },
]) {
  const chart = Testing.chart();
  const svc = new MeshService(chart, 'reviews', { versions });
  return { chart, svc };
}

function http(chart: any): any[] {
  return findObject(synthAndValidate(chart), 'VirtualService', 'reviews').spec.http;
}

describe('MeshService.addRoute', () => {
  describe('matches and ordering', () => {
    test('routes keep their order and the default route stays last', () => {
      // GIVEN
      const { chart, svc } = reviews();
      // WHEN
      svc.addRoute({ name: 'beta', match: [HttpMatch.header(HeaderMatch.exact('x-beta', 'yes'))], to: 'v2' });
      svc.addRoute({ name: 'api', match: [HttpMatch.of({ path: PathMatch.prefix('/api'), method: HttpMethod.GET })] });
      // THEN
      const rules = http(chart);
      expect(rules.map((r) => r.name)).toEqual(['beta', 'api', 'default']);
      expect(rules[0]).toEqual({
        name: 'beta',
        match: [{ headers: { 'x-beta': { exact: 'yes' } } }],
        route: [{ destination: { host: HOST, subset: 'v2' } }],
      });
      expect(rules[1].match).toEqual([{ uri: { prefix: '/api' }, method: { exact: 'GET' } }]);
      expect(rules[1].route).toEqual([{ destination: { host: HOST, subset: 'v1' } }]);
      expect(rules[2]).toEqual({ name: 'default', route: [{ destination: { host: HOST, subset: 'v1' } }] });
      expect(synthAndValidate(chart)).toMatchSnapshot();
    });

    test('path exact/regex, header prefix/regex/present, query params and several matches (OR)', () => {
      const { chart, svc } = reviews();
      const route = svc.addRoute({
        match: [
          HttpMatch.of({ path: PathMatch.exact('/login'), ignoreUriCase: true }),
          HttpMatch.pathRegex('^/items/[0-9]+$'),
          HttpMatch.of({
            headers: [HeaderMatch.prefix('user-agent', 'Mozilla'), HeaderMatch.regex('x-team', '^(a|b)$'), HeaderMatch.present('x-debug')],
            queryParams: [],
          }),
          HttpMatch.of({ path: PathMatch.prefix('/search') }),
        ],
        to: 'v2',
      });
      expect(route.routeName).toBe('route-1');
      expect(http(chart)[0].match).toEqual([
        { uri: { exact: '/login' }, ignoreUriCase: true },
        { uri: { regex: '^/items/[0-9]+$' } },
        { headers: { 'user-agent': { prefix: 'Mozilla' }, 'x-team': { regex: '^(a|b)$' }, 'x-debug': {} } },
        { uri: { prefix: '/search' } },
      ]);
    });

    test('a route without match replaces the default route', () => {
      const { chart, svc } = reviews();
      svc.addRoute({ name: 'all', timeout: Duration.seconds(5) });
      expect(http(chart)).toEqual([{ name: 'all', route: [{ destination: { host: HOST, subset: 'v1' } }], timeout: '5s' }]);
    });

    test('weighted destinations', () => {
      const { chart, svc } = reviews();
      svc.addRoute({ name: 'split', match: [HttpMatch.pathPrefix('/a')], destinations: [{ version: 'v1', weight: 75 }, { version: 'v2', weight: 25 }] });
      const rule = http(chart)[0];
      expect(rule.route).toEqual([
        { destination: { host: HOST, subset: 'v1' }, weight: 75 },
        { destination: { host: HOST, subset: 'v2' }, weight: 25 },
      ]);
    });
  });

  describe('resilience', () => {
    test('retries and timeout', () => {
      const { chart, svc } = reviews();
      svc.addRoute({
        name: 'api',
        match: [HttpMatch.pathPrefix('/api')],
        timeout: Duration.seconds(3),
        retries: {
          attempts: 2,
          perTryTimeout: Duration.seconds(1),
          retryOn: [RetryOn.GATEWAY_ERROR, RetryOn.CONNECT_FAILURE, RetryOn.GATEWAY_ERROR],
          retryRemoteLocalities: true,
        },
      });
      const rule = http(chart)[0];
      expect(rule.timeout).toBe('3s');
      expect(rule.retries).toEqual({ attempts: 2, perTryTimeout: '1s', retryOn: 'gateway-error,connect-failure', retryRemoteLocalities: true });
    });

    test('sub-second durations render as fractional seconds', () => {
      const { chart, svc } = reviews();
      svc.addRoute({ name: 'fast', timeout: Duration.millis(1500), retries: { attempts: 1, perTryTimeout: Duration.millis(250) } });
      const rule = http(chart)[0];
      expect(rule.timeout).toBe('1.5s');
      expect(rule.retries).toEqual({ attempts: 1, perTryTimeout: '0.25s' });
    });

    test('fault injection: fixed delay and abort with percentages', () => {
      const { chart, svc } = reviews();
      svc.addRoute({ name: 'chaos', match: [HttpMatch.header(HeaderMatch.exact('x-chaos', '1'))], fault: { fixedDelay: Duration.seconds(7), delayPercentage: 50, abortHttpStatus: 503, abortPercentage: 10 } });
      expect(http(chart)[0].fault).toEqual({
        delay: { fixedDelay: '7s', percentage: { value: 50 } },
        abort: { httpStatus: 503, percentage: { value: 10 } },
      });
    });

    test('fault percentages default to 100', () => {
      const { chart, svc } = reviews();
      svc.addRoute({ name: 'chaos', fault: { abortHttpStatus: 500 } });
      expect(http(chart)[0].fault).toEqual({ abort: { httpStatus: 500, percentage: { value: 100 } } });
    });

    test('mirroring to another version', () => {
      const { chart, svc } = reviews();
      svc.addRoute({ name: 'shadow', to: 'v1', mirror: { version: 'v2', percentage: 20 } });
      const rule = http(chart)[0];
      expect(rule.mirror).toEqual({ host: HOST, subset: 'v2' });
      expect(rule.mirrorPercentage).toEqual({ value: 20 });
    });
  });

  describe('request handling', () => {
    test('header manipulation, rewrite and CORS', () => {
      const { chart, svc } = reviews();
      svc.addRoute({
        name: 'web',
        match: [HttpMatch.pathPrefix('/v1/')],
        requestHeaders: { set: { 'x-b': '2', 'x-a': '1' }, remove: ['x-internal'] },
        responseHeaders: { add: { 'x-served-by': 'reviews' } },
        rewrite: { uri: '/', authority: 'reviews.internal' },
        corsPolicy: {
          allowOrigins: [CorsOrigin.exact('https://shop.example.com'), CorsOrigin.regex('^https://.*\\.example\\.com$')],
          allowMethods: [HttpMethod.GET, HttpMethod.POST],
          allowHeaders: ['content-type'],
          exposeHeaders: ['x-request-id'],
          maxAge: Duration.hours(1),
          allowCredentials: true,
        },
      });
      const rule = http(chart)[0];
      expect(rule.headers).toEqual({
        request: { set: { 'x-a': '1', 'x-b': '2' }, remove: ['x-internal'] },
        response: { add: { 'x-served-by': 'reviews' } },
      });
      expect(rule.rewrite).toEqual({ uri: '/', authority: 'reviews.internal' });
      expect(rule.corsPolicy).toEqual({
        allowOrigins: [{ exact: 'https://shop.example.com' }, { regex: '^https://.*\\.example\\.com$' }],
        allowMethods: ['GET', 'POST'],
        allowHeaders: ['content-type'],
        exposeHeaders: ['x-request-id'],
        maxAge: '3600s',
        allowCredentials: true,
      });
    });

    test('regex rewrite', () => {
      const { chart, svc } = reviews();
      svc.addRoute({ name: 'legacy', match: [HttpMatch.pathRegex('^/old/(.*)$')], rewrite: { uriRegexMatch: '^/old/(.*)$', uriRegexRewrite: '/new/\\1' } });
      expect(http(chart)[0].rewrite).toEqual({ uriRegexRewrite: { match: '^/old/(.*)$', rewrite: '/new/\\1' } });
    });

    test('redirect replaces the route', () => {
      const { chart, svc } = reviews();
      svc.addRoute({ name: 'moved', match: [HttpMatch.pathExact('/old')], redirect: { uri: '/new', scheme: HttpScheme.HTTPS, port: 8443, redirectCode: 308 } });
      const rule = http(chart)[0];
      expect(rule.redirect).toEqual({ uri: '/new', scheme: 'https', port: 8443, redirectCode: 308 });
      expect(rule.route).toBeUndefined();
    });
  });

  describe('input errors', () => {
    test('retries whose total per-try time exceeds the route timeout', () => {
      const { svc } = reviews();
      expect(() => svc.addRoute({ name: 'api', timeout: Duration.seconds(2), retries: { attempts: 3, perTryTimeout: Duration.seconds(1) } })).toThrow(
        '[test/reviews/api] \'retries\' must fit in the route timeout: 1 try + 3 retries x perTryTimeout 1000ms = 4000ms exceeds timeout 2000ms, so the last retries can never complete, got {"attempts":3,"perTryTimeout":"1000ms","timeout":"2000ms"}. Fix: raise \'timeout\' to at least 4000ms, or lower \'retries.attempts\' or \'retries.perTryTimeout\'');
    });

    test('weights out of range or not summing to 100', () => {
      const { svc } = reviews();
      expect(() => svc.addRoute({ name: 'a', destinations: [{ version: 'v1', weight: 150 }, { version: 'v2', weight: -50 }] })).toThrow(
        "[test/reviews/a] 'destinations[0].weight' must be a whole number between 0 and 100, got 150. Fix: use a whole number of at most 100");
      expect(() => svc.addRoute({ name: 'b', destinations: [{ version: 'v1', weight: 80 }, { version: 'v2', weight: 10 }] })).toThrow(
        "[test/reviews/b] 'destinations' weights must sum to 100, got \"v1=80, v2=10\". Fix: adjust the weights (they sum to 90)");
      expect(() => svc.addRoute({ name: 'c', destinations: [{ version: 'v1', weight: 50 }, { version: 'v2' }] })).toThrow(
        /'destinations\[1\]\.weight' is required when a route has several destinations/);
      expect(() => svc.addRoute({ name: 'd', destinations: [{ version: 'v1', weight: 50 }] })).toThrow(
        /'destinations\[0\]\.weight' must be 100 for a single destination/);
    });

    test('percentages must be 0-100', () => {
      const { svc } = reviews();
      expect(() => svc.addRoute({ name: 'a', fault: { abortHttpStatus: 503, abortPercentage: 101 } })).toThrow(
        "[test/reviews/a] 'fault.abortPercentage' must be a percentage between 0 and 100, got 101. Fix: use a number such as 10 (for 10%)");
      expect(() => svc.addRoute({ name: 'b', mirror: { version: 'v2', percentage: -1 } })).toThrow(/'mirror\.percentage' must be a percentage between 0 and 100, got -1/);
      expect(() => svc.addRoute({ name: 'c', fault: { fixedDelay: Duration.seconds(1), delayPercentage: 200 } })).toThrow(/'fault\.delayPercentage' must be a percentage/);
    });

    test('fault needs a delay or an abort', () => {
      const { svc } = reviews();
      expect(() => svc.addRoute({ name: 'a', fault: {} })).toThrow(/'fault' must set 'fixedDelay' or 'abortHttpStatus'/);
      expect(() => svc.addRoute({ name: 'b', fault: { abortHttpStatus: 99 } })).toThrow(/'fault\.abortHttpStatus' must be a whole number between 200 and 599, got 99/);
    });

    test('redirect combined with forwarding options', () => {
      const { svc } = reviews();
      expect(() => svc.addRoute({ name: 'a', to: 'v1', redirect: { uri: '/x' } })).toThrow(
        "[test/reviews/a] 'to' cannot be combined with 'redirect' (a redirect is answered by the proxy, nothing is forwarded), got \"v1\". Fix: drop 'to' or 'redirect'");
      expect(() => svc.addRoute({ name: 'b', redirect: {} })).toThrow(/'redirect' must change at least one of uri, authority, port or scheme/);
      expect(() => svc.addRoute({ name: 'c', redirect: { uri: '/x', redirectCode: 200 } })).toThrow(/'redirect\.redirectCode' must be one of 301, 302, 303, 307, 308, got 200/);
    });

    test('to and destinations together; duplicate and reserved names', () => {
      const { svc } = reviews();
      expect(() => svc.addRoute({ name: 'a', to: 'v1', destinations: [{ version: 'v1' }] })).toThrow(/'to' cannot be combined with 'destinations'/);
      svc.addRoute({ name: 'x', match: [HttpMatch.pathPrefix('/x')] });
      expect(() => svc.addRoute({ name: 'default' })).toThrow(/'name' must not be one of the rule names cdk8s-mesh generates \(default, canary-pinned, preview-pinned\), got "default"/);
    });

    test('header names must be lower-case; rewrite needs content', () => {
      const { svc } = reviews();
      expect(() => svc.addRoute({ name: 'a', requestHeaders: { set: { 'X-Bad': '1' } } })).toThrow(
        "[test/reviews/a] 'requestHeaders.set' must be a lower-case HTTP header name, got \"X-Bad\". Fix: use \"x-bad\"");
      expect(() => svc.addRoute({ name: 'b', rewrite: {} })).toThrow(/'rewrite' must rewrite the uri, the authority or both/);
      expect(() => svc.addRoute({ name: 'c', rewrite: { uriRegexMatch: '^/a' } })).toThrow(/'rewrite\.uriRegexMatch' and 'rewrite\.uriRegexRewrite' must be set together/);
      expect(() => svc.addRoute({ name: 'd', corsPolicy: { allowOrigins: [] } })).toThrow(/'corsPolicy\.allowOrigins' must list at least one origin/);
    });

    test('durations must be at least 1ms', () => {
      const { svc } = reviews();
      expect(() => svc.addRoute({ name: 'a', timeout: Duration.millis(0) })).toThrow(
        "[test/reviews/a] 'timeout' must be a whole number of milliseconds, at least 1ms, got \"0 millis\". Fix: use e.g. Duration.millis(250)");
    });

    test('a TCP-only service takes no HTTP routes', () => {
      const chart = Testing.chart();
      const db = new MeshService(chart, 'db', { versions: [{ name: 'v1', image: 'postgres:16' }], ports: [{ port: 5432, protocol: Protocol.TCP }] });
      expect(() => db.addRoute({ name: 'a' })).toThrow(/'service' must have an HTTP, HTTP2 or gRPC port to take HTTP routes, got "db"/);
    });
  });

  describe('whole-graph validation', () => {
    test('unknown version', () => {
      const { chart, svc } = reviews();
      svc.addRoute({ name: 'beta', match: [HttpMatch.pathPrefix('/beta')], to: 'v3' });
      expect(() => synthAndValidate(chart)).toThrow(
        '[test/reviews/beta] TRAFFIC001: \'to\' must name a version (DestinationRule subset) of reviews ("v1", "v2"), got "v3". Fix: use an existing version or add it with addVersion()');
    });

    test('route to a version with zero replicas', () => {
      const { chart, svc } = reviews([{ name: 'v1', image: 'a:1' }, { name: 'v2', image: 'a:2', replicas: 0 }]);
      svc.addRoute({ name: 'beta', match: [HttpMatch.pathPrefix('/beta')], to: 'v2' });
      expect(() => synthAndValidate(chart)).toThrow(
        '[test/reviews/beta] TRAFFIC002: the route sends traffic to version "v2" of reviews, which has 0 replicas, so those requests would fail with 503. Fix: give version "v2" at least 1 replica, or route elsewhere');
    });

    test('default route to a stable version with zero replicas', () => {
      const { chart } = reviews([{ name: 'v1', image: 'a:1', replicas: 0 }]);
      expect(() => synthAndValidate(chart)).toThrow(/\[test\/reviews\] TRAFFIC002: the default route sends traffic to version "v1" of reviews, which has 0 replicas/);
    });

    test('a parked version with zero replicas that gets no traffic is fine', () => {
      const { chart } = reviews([{ name: 'v1', image: 'a:1' }, { name: 'v2', image: 'a:2', replicas: 0 }]);
      expect(() => synthAndValidate(chart)).not.toThrow();
    });

    test('unreachable rule: a catch-all before a more specific rule', () => {
      const { chart, svc } = reviews();
      svc.addRoute({ name: 'everything', to: 'v1' });
      svc.addRoute({ name: 'api', match: [HttpMatch.pathPrefix('/api')], to: 'v2' });
      expect(() => synthAndValidate(chart)).toThrow(
        '[test/reviews/api] TRAFFIC003: \'match\' is unreachable: the earlier route "everything" matches every request, got "path prefix \\"/api\\"". Fix: add the more specific route before "everything", or narrow "everything"');
    });

    test('unreachable rule: a broader prefix before a narrower one', () => {
      const { chart, svc } = reviews();
      svc.addRoute({ name: 'api', match: [HttpMatch.pathPrefix('/api')], to: 'v1' });
      svc.addRoute({ name: 'api-v2', match: [HttpMatch.of({ path: PathMatch.prefix('/api/v2'), method: HttpMethod.GET })], to: 'v2' });
      expect(() => synthAndValidate(chart)).toThrow(/\[test\/reviews\/api-v2\] TRAFFIC003: 'match' is unreachable: the earlier route "api" matches everything it matches \(path prefix "\/api"\)/);
    });

    test('a narrower rule before a broader one is fine', () => {
      const { chart, svc } = reviews();
      svc.addRoute({ name: 'api-v2', match: [HttpMatch.pathPrefix('/api/v2')], to: 'v2' });
      svc.addRoute({ name: 'api', match: [HttpMatch.pathPrefix('/api')], to: 'v1' });
      svc.addRoute({ name: 'beta', match: [HttpMatch.header(HeaderMatch.exact('x-beta', '1'))], to: 'v2' });
      expect(http(chart).map((r) => r.name)).toEqual(['api-v2', 'api', 'beta', 'default']);
    });

    test('mirror target equal to the primary destination', () => {
      const { chart, svc } = reviews();
      svc.addRoute({ name: 'shadow', match: [HttpMatch.pathPrefix('/x')], mirror: { version: 'v1' } });
      expect(() => synthAndValidate(chart)).toThrow(
        '[test/reviews/shadow] TRAFFIC004: \'mirror.version\' must differ from the route\'s primary destination ("v1"): mirroring a version to itself doubles its load and side effects, got "v1". Fix: mirror to a version that receives no live traffic on this route');
    });
  });
});
