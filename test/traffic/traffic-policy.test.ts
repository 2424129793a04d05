import { Duration, Testing } from 'cdk8s';
import { LoadBalancer, MeshService } from '../../src';
import { findObject, synthAndValidate } from '../util';

function reviews() {
  const chart = Testing.chart();
  const svc = new MeshService(chart, 'reviews', {
    versions: [{ name: 'v1', image: 'ghcr.io/acme/reviews:1.0.0' }, { name: 'v2', image: 'ghcr.io/acme/reviews:2.0.0' }],
  });
  return { chart, svc };
}

const dr = (chart: any) => findObject(synthAndValidate(chart), 'DestinationRule', 'reviews').spec;

describe('traffic policy', () => {
  describe('load balancer', () => {
    test.each([
      [LoadBalancer.roundRobin(), { simple: 'ROUND_ROBIN' }],
      [LoadBalancer.leastRequest(), { simple: 'LEAST_REQUEST' }],
      [LoadBalancer.random(), { simple: 'RANDOM' }],
      [LoadBalancer.consistentHashByHeader('x-user-id'), { consistentHash: { httpHeaderName: 'x-user-id' } }],
      [LoadBalancer.consistentHashByCookie('session', Duration.hours(1), '/'), { consistentHash: { httpCookie: { name: 'session', path: '/', ttl: '3600s' } } }],
      [LoadBalancer.consistentHashByCookie('session'), { consistentHash: { httpCookie: { name: 'session' } } }],
      [LoadBalancer.consistentHashBySourceIp(), { consistentHash: { useSourceIp: true } }],
      [LoadBalancer.consistentHashByQueryParameter('user'), { consistentHash: { httpQueryParameterName: 'user' } }],
    ])('%#: renders the loadBalancer', (lb, expected) => {
      // GIVEN
      const { chart, svc } = reviews();
      // WHEN
      svc.configureTrafficPolicy({ loadBalancer: lb });
      // THEN
      expect(dr(chart).trafficPolicy).toEqual({ loadBalancer: expected, tls: { mode: 'ISTIO_MUTUAL' } });
    });
  });

  describe('circuit breaker', () => {
    test('connection pool and outlier detection', () => {
      const { chart, svc } = reviews();
      svc.configureTrafficPolicy({
        connectionPool: {
          maxConnections: 100,
          connectTimeout: Duration.millis(500),
          http1MaxPendingRequests: 10,
          http2MaxRequests: 200,
          maxRequestsPerConnection: 5,
          maxRetries: 3,
          idleTimeout: Duration.minutes(5),
        },
        outlierDetection: {
          consecutive5xxErrors: 5,
          consecutiveGatewayErrors: 3,
          interval: Duration.seconds(10),
          baseEjectionTime: Duration.seconds(30),
          maxEjectionPercent: 50,
          minHealthPercent: 20,
        },
      });
      const spec = dr(chart);
      expect(spec.trafficPolicy).toEqual({
        connectionPool: {
          tcp: { maxConnections: 100, connectTimeout: '0.5s' },
          http: { http1MaxPendingRequests: 10, http2MaxRequests: 200, maxRequestsPerConnection: 5, maxRetries: 3, idleTimeout: '300s' },
        },
        outlierDetection: {
          consecutive5xxErrors: 5, consecutiveGatewayErrors: 3, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50, minHealthPercent: 20,
        },
        tls: { mode: 'ISTIO_MUTUAL' },
      });
      expect(spec.subsets.map((s: any) => s.name)).toEqual(['v1', 'v2']);
      expect(synthAndValidate(chart)).toMatchSnapshot();
    });

    test('only the HTTP half of the pool', () => {
      const { chart, svc } = reviews();
      svc.configureTrafficPolicy({ connectionPool: { http1MaxPendingRequests: 1 } });
      expect(dr(chart).trafficPolicy).toEqual({ connectionPool: { http: { http1MaxPendingRequests: 1 } }, tls: { mode: 'ISTIO_MUTUAL' } });
    });
  });

  describe('per-version overrides', () => {
    test('a subset gets its own trafficPolicy; others none', () => {
      const { chart, svc } = reviews();
      svc.configureTrafficPolicy({ loadBalancer: LoadBalancer.roundRobin() });
      svc.configureVersionTrafficPolicy('v2', { loadBalancer: LoadBalancer.random(), connectionPool: { maxConnections: 10 } });
      const spec = dr(chart);
      expect(spec.trafficPolicy).toEqual({ loadBalancer: { simple: 'ROUND_ROBIN' }, tls: { mode: 'ISTIO_MUTUAL' } });
      expect(spec.subsets).toEqual([
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'RANDOM' }, connectionPool: { tcp: { maxConnections: 10 } } } },
      ]);
    });

    test('an override for an unknown version fails at synth', () => {
      const { chart, svc } = reviews();
      svc.configureVersionTrafficPolicy('v9', { loadBalancer: LoadBalancer.random() });
      expect(() => synthAndValidate(chart)).toThrow(
        '[test/reviews] TRAFFIC001: \'version\' must name a version (DestinationRule subset) of reviews ("v1", "v2"), got "v9". Fix: use an existing version or add it with addVersion()');
    });
  });

  describe('input errors', () => {
    test('empty policy', () => {
      const { svc } = reviews();
      expect(() => svc.configureTrafficPolicy({})).toThrow(
        "[test/reviews] 'trafficPolicy' must set loadBalancer, connectionPool or outlierDetection, got {}. Fix: set at least one of them");
    });

    test('percentages and counts', () => {
      const { svc } = reviews();
      expect(() => svc.configureTrafficPolicy({ outlierDetection: { maxEjectionPercent: 120 } })).toThrow(
        "[test/reviews] 'trafficPolicy.outlierDetection.maxEjectionPercent' must be a percentage between 0 and 100, got 120. Fix: use a number such as 10 (for 10%)");
      expect(() => svc.configureTrafficPolicy({ outlierDetection: { minHealthPercent: 12.5 } })).toThrow(/'trafficPolicy\.outlierDetection\.minHealthPercent' must be a whole-number percentage, got 12\.5/);
      expect(() => svc.configureTrafficPolicy({ connectionPool: { maxConnections: 0 } })).toThrow(
        /'trafficPolicy\.connectionPool\.maxConnections' must be a whole number between 1 and 2147483647, got 0/);
      expect(() => svc.configureTrafficPolicy({ connectionPool: { connectTimeout: Duration.millis(0.5) } })).toThrow(
        /'trafficPolicy\.connectionPool\.connectTimeout' must be a whole number of milliseconds, at least 1ms, got "0.5 millis"/);
    });

    test('bad hash keys', () => {
      const { svc } = reviews();
      expect(() => svc.configureTrafficPolicy({ loadBalancer: LoadBalancer.consistentHashByHeader('X-User') })).toThrow(
        "[test/reviews] 'trafficPolicy.loadBalancer.headerName' must be a lower-case HTTP header name, got \"X-User\". Fix: use e.g. \"x-user-id\"");
      expect(() => svc.configureTrafficPolicy({ loadBalancer: LoadBalancer.consistentHashByCookie('a b') })).toThrow(/'trafficPolicy\.loadBalancer\.name' must be a cookie name/);
      expect(() => svc.configureTrafficPolicy({ loadBalancer: LoadBalancer.consistentHashByCookie('s', Duration.millis(10)) })).toThrow(/'trafficPolicy\.loadBalancer\.ttl' must be a whole number of milliseconds of at least 1s/);
      expect(() => svc.configureTrafficPolicy({ loadBalancer: LoadBalancer.consistentHashByCookie('s', undefined, 'x') })).toThrow(/'trafficPolicy\.loadBalancer\.path' must start with '\/'/);
      expect(() => svc.configureTrafficPolicy({ loadBalancer: LoadBalancer.consistentHashByQueryParameter('') })).toThrow(/'trafficPolicy\.loadBalancer\.name' must be a non-empty query parameter name/);
    });
  });
});
