import { Duration, Testing } from 'cdk8s';
import { CanaryRelease, CanaryReleaseProps, HeaderMatch, HttpMatch, MeshService, MeshServiceVersion, Protocol, RetryOn } from '../../src';
import { findObject, synthAndValidate } from '../util';

const HOST = 'orders.default.svc.cluster.local';

function orders(versions: MeshServiceVersion[] = [
  { name: 'v1', image: 'ghcr.io/acme/orders:1.0.0', replicas: 3 },
  { name: 'v2', image: 'ghcr.io/acme/orders:2.0.0' },
]) {
  const chart = Testing.chart();
  const svc = new MeshService(chart, 'orders', { versions });
  return { chart, svc };
}

function canary(props: Partial<CanaryReleaseProps> = {}, versions?: MeshServiceVersion[]) {
  const { chart, svc } = orders(versions);
  const release = new CanaryRelease(chart, 'orders-canary', { service: svc, stable: 'v1', canary: 'v2', canaryPercentage: 10, ...props });
  return { chart, svc, release };
}

const vs = (out: any[]) => findObject(out, 'VirtualService', 'orders').spec;

describe('CanaryRelease', () => {
  describe('weighted split', () => {
    test('90/10 split as the default route; subset labels match the pod labels', () => {
      // GIVEN / WHEN
      const { chart, release } = canary();
      // THEN
      const out = synthAndValidate(chart);
      const http = vs(out).http;
      expect(http).toEqual([{
        name: 'default',
        route: [
          { destination: { host: HOST, subset: 'v1' }, weight: 90 },
          { destination: { host: HOST, subset: 'v2' }, weight: 10 },
        ],
      }]);
      expect(http[0].route[1].weight).toBe(10);
      const subsets = findObject(out, 'DestinationRule', 'orders').spec.subsets;
      for (const r of http[0].route) {
        const subset = subsets.find((s: any) => s.name === r.destination.subset);
        const podLabels = findObject(out, 'Deployment', `orders-${subset.name}`).spec.template.metadata.labels;
        expect(podLabels).toMatchObject(subset.labels);
      }
      expect(release.canaryPercentage).toBe(10);
      expect(out).toMatchSnapshot();
    });

    test('0 and 100 keep both destinations so the next step is a one-line diff', () => {
      const { chart } = canary({ canaryPercentage: 100 });
      expect(vs(synthAndValidate(chart)).http[0].route.map((r: any) => r.weight)).toEqual([0, 100]);
    });

    test('TCP ports get the same split', () => {
      const chart = Testing.chart();
      const svc = new MeshService(chart, 'orders', {
        versions: [{ name: 'v1', image: 'a:1' }, { name: 'v2', image: 'a:2' }],
        ports: [{ port: 80, targetPort: 8080 }, { port: 9000, protocol: Protocol.TCP }],
      });
      new CanaryRelease(chart, 'c', { service: svc, stable: 'v1', canary: 'v2', canaryPercentage: 25 });
      expect(vs(synthAndValidate(chart)).tcp[0].route).toEqual([
        { destination: { host: HOST, subset: 'v1', port: { number: 9000 } }, weight: 75 },
        { destination: { host: HOST, subset: 'v2', port: { number: 9000 } }, weight: 25 },
      ]);
    });

    test('routes without a version follow the split, after the pinned rule', () => {
      const { chart, svc } = canary({ pinHeader: HeaderMatch.exact('x-canary', 'always') });
      svc.addRoute({ name: 'api', match: [HttpMatch.pathPrefix('/api')], timeout: Duration.seconds(2), retries: { attempts: 1, perTryTimeout: Duration.seconds(1), retryOn: [RetryOn.FIVE_XX] } });
      const http = vs(synthAndValidate(chart)).http;
      expect(http.map((r: any) => r.name)).toEqual(['canary-pinned', 'api', 'default']);
      expect(http[1].route.map((r: any) => [r.destination.subset, r.weight])).toEqual([['v1', 90], ['v2', 10]]);
    });
  });

  describe('tester pinning', () => {
    test('header pin goes first and sends testers to the canary', () => {
      const { chart } = canary({ pinHeader: HeaderMatch.exact('x-canary', 'always') });
      const http = vs(synthAndValidate(chart)).http;
      expect(http[0]).toEqual({
        name: 'canary-pinned',
        match: [{ headers: { 'x-canary': { exact: 'always' } } }],
        route: [{ destination: { host: HOST, subset: 'v2' } }],
      });
      expect(http[1].name).toBe('default');
    });

    test('cookie pin matches the cookie among others', () => {
      const { chart } = canary({ pinCookie: { name: 'canary', value: 'yes' } });
      const match = vs(synthAndValidate(chart)).http[0].match;
      expect(match).toEqual([{ headers: { cookie: { regex: '^(.*?;\\s*)?(canary=yes)(;.*)?$' } } }]);
      const re = new RegExp(match[0].headers.cookie.regex);
      expect(re.test('a=1; canary=yes; b=2')).toBe(true);
      expect(re.test('canary=yes')).toBe(true);
      expect(re.test('canary=no')).toBe(false);
      expect(re.test('notcanary=yes')).toBe(false);
    });
  });

  describe('mirroring phase', () => {
    test('shadow traffic to the canary at 0%', () => {
      const { chart } = canary({ canaryPercentage: 0, mirrorPercentage: 50 });
      const rule = vs(synthAndValidate(chart)).http[0];
      expect(rule.mirror).toEqual({ host: HOST, subset: 'v2' });
      expect(rule.mirrorPercentage).toEqual({ value: 50 });
      expect(rule.route.map((r: any) => r.weight)).toEqual([100, 0]);
    });

    test('mirroring while the canary serves live traffic is an error', () => {
      const { chart } = canary({ canaryPercentage: 10, mirrorPercentage: 100 });
      expect(() => synthAndValidate(chart)).toThrow(
        "[test/orders-canary] TRAFFIC004: 'mirrorPercentage' shadows traffic to the canary, which already receives live traffic (canaryPercentage 10), got 100. Fix: use mirroring only in the shadow phase with canaryPercentage: 0, or drop mirrorPercentage");
    });
  });

  describe('owns the service routing', () => {
    test('a route pinned to a version conflicts with the release', () => {
      const { chart, svc } = canary();
      svc.addRoute({ name: 'legacy', match: [HttpMatch.pathPrefix('/legacy')], to: 'v1' });
      expect(() => synthAndValidate(chart)).toThrow(
        "[test/orders/legacy] TRAFFIC005: 'to' pins the route to \"v1\", but test/orders-canary owns the routing of orders and would be bypassed, got [\"v1\"]. Fix: drop 'to'/'destinations' so the route follows the release split, or remove the release");
    });

    test('two releases on one service', () => {
      const { chart, svc } = canary();
      new CanaryRelease(chart, 'second', { service: svc, stable: 'v1', canary: 'v2', canaryPercentage: 50 });
      expect(() => synthAndValidate(chart)).toThrow(
        "[test/second] TRAFFIC005: 'service' already has a release that owns its routing (test/orders-canary), got orders. Fix: keep one CanaryRelease or BlueGreenRelease per service");
    });
  });

  describe('errors', () => {
    test('canary equal to stable', () => {
      expect(() => canary({ canary: 'v1' })).toThrow(
        "[test/orders-canary] 'canary' must differ from 'stable', got \"v1\". Fix: name the new version as canary and the current one as stable");
    });

    test('percentage out of range', () => {
      expect(() => canary({ canaryPercentage: 110 })).toThrow(
        "[test/orders-canary] 'canaryPercentage' must be a whole number between 0 and 100, got 110. Fix: use a whole number of at most 100");
      expect(() => canary({ canaryPercentage: 0, mirrorPercentage: -5 })).toThrow(/'mirrorPercentage' must be a percentage between 0 and 100, got -5/);
    });

    test('unknown version', () => {
      const { chart } = canary({ canary: 'v3' });
      expect(() => synthAndValidate(chart)).toThrow(
        '[test/orders-canary] TRAFFIC001: \'canary\' must name a version (DestinationRule subset) of orders ("v1", "v2"), got "v3". Fix: use an existing version or add it with addVersion()');
    });

    test('canary with zero replicas receiving traffic', () => {
      const { chart } = canary({}, [{ name: 'v1', image: 'a:1' }, { name: 'v2', image: 'a:2', replicas: 0 }]);
      expect(() => synthAndValidate(chart)).toThrow(
        '[test/orders-canary] TRAFFIC002: the default route sends traffic to version "v2" of orders, which has 0 replicas, so those requests would fail with 503. Fix: give version "v2" at least 1 replica, or route elsewhere');
    });

    test('a dark canary with zero replicas is fine until testers are pinned to it', () => {
      const versions = [{ name: 'v1', image: 'a:1' }, { name: 'v2', image: 'a:2', replicas: 0 }];
      expect(() => synthAndValidate(canary({ canaryPercentage: 0 }, versions).chart)).not.toThrow();
      expect(() => synthAndValidate(canary({ canaryPercentage: 0, pinHeader: HeaderMatch.present('x-canary') }, versions).chart)).toThrow(
        /TRAFFIC002: pinned testers are sent to version "v2" of orders, which has 0 replicas/);
    });

    test('bad cookie', () => {
      expect(() => canary({ pinCookie: { name: 'my cookie', value: 'x' } })).toThrow(/'pinCookie\.name' must be an HTTP token/);
    });
  });
});
