import { Duration, Testing } from 'cdk8s';
import {
  CanaryRelease, GatewayServer, GitOps, HeaderMatch, HttpMatch, IngressGateway, MeshAnalysis, MeshService, MeshServiceProps, PrometheusAddon,
  Protocol, ReleaseDriver, RolloutRevision, RolloutStep, SloAnalysis,
} from '../../src';
import { findObject, findObjects, synthAndValidate } from '../util';

const HOST = 'orders.default.svc.cluster.local';
const PROM = { prometheusUrl: 'http://prometheus.monitoring.svc.cluster.local:9090' };

function shop(steps?: (analysis: SloAnalysis) => RolloutStep[], extra: Partial<{ pinHeader: HeaderMatch }> = {}, revision = RolloutRevision.CANARY,
  ports?: MeshServiceProps['ports']) {
  const chart = Testing.chart();
  const svc = new MeshService(chart, 'orders', {
    ports,
    versions: [
      { name: 'v1', image: 'ghcr.io/acme/orders:1.0.0', replicas: 3 },
      { name: 'v2', image: 'ghcr.io/acme/orders:2.0.0' },
    ],
  });
  const analysis = new SloAnalysis(chart, 'orders-slo', { service: svc, canary: 'v2', successRatePercent: 99, p99LatencyMs: 500, prometheus: PROM });
  const release = new CanaryRelease(chart, 'orders-canary', {
    service: svc,
    stable: 'v1',
    canary: 'v2',
    canaryPercentage: 0,
    ...extra,
    driver: ReleaseDriver.argoRollouts({
      revision,
      steps: steps ? steps(analysis) : [
        RolloutStep.weight(10), RolloutStep.pause(), RolloutStep.weight(50), RolloutStep.analysis(analysis), RolloutStep.weight(100),
      ],
    }),
  });
  return { chart, svc, release, analysis };
}

describe('ReleaseDriver.argoRollouts', () => {
  describe('Rollout with Istio subset-level traffic routing', () => {
    test('references the VirtualService route and DestinationRule subsets the service emits', () => {
      // GIVEN / WHEN
      const { chart } = shop();
      const out = synthAndValidate(chart);
      // THEN
      const rollout = findObject(out, 'Rollout', 'orders');
      const istio = rollout.spec.strategy.canary.trafficRouting.istio;
      expect(istio).toEqual({
        virtualServices: [{ name: 'orders', routes: ['default'] }],
        destinationRule: { name: 'orders', canarySubsetName: 'canary', stableSubsetName: 'stable' },
      });
      const vs = findObject(out, 'VirtualService', istio.virtualServices[0].name);
      const route = vs.spec.http.find((r: any) => r.name === istio.virtualServices[0].routes[0]);
      expect(route.route).toEqual([
        { destination: { host: HOST, subset: 'stable' }, weight: 100 },
        { destination: { host: HOST, subset: 'canary' }, weight: 0 },
      ]);
      const dr = findObject(out, 'DestinationRule', istio.destinationRule.name);
      expect(dr.spec.subsets).toEqual([
        { name: 'stable', labels: { app: 'orders' } },
        { name: 'canary', labels: { app: 'orders' } },
      ]);
      expect(out).toMatchSnapshot();
    });

    test('a service with two HTTP ports: the Rollout moves the default rule of each port', () => {
      // GIVEN the VirtualService repeats each rule per HTTP port (IST0112)
      const { chart } = shop(undefined, {}, RolloutRevision.CANARY, [{ port: 80, targetPort: 8080 }, { port: 9090, protocol: Protocol.GRPC }]);
      // WHEN
      const out = synthAndValidate(chart);
      // THEN
      const istio = findObject(out, 'Rollout', 'orders').spec.strategy.canary.trafficRouting.istio;
      expect(istio.virtualServices).toEqual([{ name: 'orders', routes: ['default-80', 'default-9090'] }]);
      const vs = findObject(out, 'VirtualService', 'orders');
      for (const port of [80, 9090]) {
        const route = vs.spec.http.find((r: any) => r.name === `default-${port}`);
        expect(route.match).toEqual([{ port }]);
        expect(route.route.map((d: any) => [d.destination.subset, d.destination.port.number])).toEqual([['stable', port], ['canary', port]]);
      }
    });

    test('first revision (STABLE): the Rollout takes the stable Deployment\'s template by workloadRef; that Deployment stays in Git', () => {
      // GIVEN a fresh cluster, or a service moving from the static driver (order-service-v1 runs)
      const { chart } = shop(undefined, {}, RolloutRevision.STABLE);
      // WHEN
      const out = synthAndValidate(chart);
      // THEN the stable Deployment is still emitted (Argo CD does not prune the running pods) ...
      const stable = findObject(out, 'Deployment', 'orders-v1');
      expect(stable.spec.template.spec.containers[0].image).toBe('ghcr.io/acme/orders:1.0.0');
      expect(findObjects(out, 'Deployment').map((d) => d.metadata.name)).toEqual(['orders-v1']);
      // ... and the Rollout's first revision is v1 (Argo Rollouts' "Initial deploy" deploys what already runs)
      const rollout = findObject(out, 'Rollout', 'orders');
      expect(rollout.spec.template).toBeUndefined();
      expect(rollout.spec.workloadRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'orders-v1', scaleDown: 'progressively' });
      // the workloadRef's pods match the Rollout's selector
      expect(stable.spec.template.metadata.labels).toMatchObject(rollout.spec.selector.matchLabels);
      expect(rollout.spec.strategy.canary.steps).toHaveLength(5);
    });

    test('first revision under Argo CD: the stable Deployment\'s replicas are Argo Rollouts\' (ignored, never reverted)', () => {
      const { chart } = shop(undefined, {}, RolloutRevision.STABLE);
      const argo = GitOps.argoCd(chart.node.root as any, { repoUrl: 'https://github.com/acme/deploy.git' });
      const app = findObject(synthAndValidate(argo), 'Application', 'test');
      expect(app.spec.ignoreDifferences).toContainEqual({ group: 'apps', kind: 'Deployment', name: 'orders-v1', namespace: 'default', jqPathExpressions: ['.spec.replicas'] });
    });

    test('the Rollout runs the canary pod template and replaces the version Deployments', () => {
      const { chart } = shop();
      const out = synthAndValidate(chart);
      expect(findObjects(out, 'Deployment')).toEqual([]);
      const rollout = findObject(out, 'Rollout', 'orders');
      expect(rollout.spec.replicas).toBe(3);
      expect(rollout.spec.selector).toEqual({ matchLabels: { app: 'orders' } });
      expect(rollout.spec.template.metadata.labels).toMatchObject({ 'app': 'orders', 'version': 'v2', 'sidecar.istio.io/inject': 'true' });
      expect(rollout.spec.template.spec.containers[0].image).toBe('ghcr.io/acme/orders:2.0.0');
      expect(rollout.spec.template.spec.serviceAccountName).toBe('orders');
    });

    test('typed steps: 10% -> pause -> 50% -> analysis -> 100%', () => {
      const { chart } = shop();
      const rollout = findObject(synthAndValidate(chart), 'Rollout', 'orders');
      expect(rollout.spec.strategy.canary.steps).toEqual([
        { setWeight: 10 }, { pause: {} }, { setWeight: 50 }, { analysis: { templates: [{ templateName: 'orders-v2-slo' }] } }, { setWeight: 100 },
      ]);
    });

    test('timed pause, header route and mirror route (managed routes)', () => {
      const { chart } = shop(() => [
        RolloutStep.headerRoute({ name: 'testers', headers: [HeaderMatch.exact('x-canary', 'always')] }),
        RolloutStep.mirrorRoute({ name: 'shadow', percentage: 50, match: [HttpMatch.pathPrefix('/api')] }),
        RolloutStep.pause(Duration.minutes(5)),
        RolloutStep.weight(20),
      ]);
      const canary = findObject(synthAndValidate(chart), 'Rollout', 'orders').spec.strategy.canary;
      expect(canary.trafficRouting.managedRoutes).toEqual([{ name: 'testers' }, { name: 'shadow' }]);
      expect(canary.steps).toEqual([
        { setHeaderRoute: { name: 'testers', match: [{ headerName: 'x-canary', headerValue: { exact: 'always' } }] } },
        { setMirrorRoute: { name: 'shadow', percentage: 50, match: [{ path: { prefix: '/api' } }] } },
        { pause: { duration: '300s' } },
        { setWeight: 20 },
      ]);
    });

    test('a static tester pin goes to the canary subset', () => {
      const { chart } = shop(undefined, { pinHeader: HeaderMatch.exact('x-canary', 'always') });
      const http = findObject(synthAndValidate(chart), 'VirtualService', 'orders').spec.http;
      expect(http[0]).toEqual({ name: 'canary-pinned', match: [{ headers: { 'x-canary': { exact: 'always' } } }], route: [{ destination: { host: HOST, subset: 'canary' } }] });
      expect(http[1].name).toBe('default');
    });
  });

  describe('declaration order', () => {
    /** orders (v1 only), optionally released before v2 is added, and a gateway route declared before or after the release. */
    function build(releaseFirst: boolean, revision: RolloutRevision) {
      const chart = Testing.chart();
      const svc = new MeshService(chart, 'orders', { versions: [{ name: 'v1', image: 'ghcr.io/acme/orders:1.0.0', replicas: 3 }] });
      const gw = new IngressGateway(chart, 'gw', { namespace: 'istio-ingress', servers: [GatewayServer.http({ hosts: ['shop.example.com'] })] });
      const release = () => new CanaryRelease(chart, 'orders-canary', {
        service: svc,
        stable: 'v1',
        canary: 'v2',
        canaryPercentage: 0,
        driver: ReleaseDriver.argoRollouts({ revision, steps: [RolloutStep.weight(10), RolloutStep.pause(), RolloutStep.weight(100)] }),
      });
      if (releaseFirst) {
        release();
        gw.addRoute({ host: 'shop.example.com', service: svc });
        svc.addVersion({ name: 'v2', image: 'ghcr.io/acme/orders:2.0.0' });
      } else {
        svc.addVersion({ name: 'v2', image: 'ghcr.io/acme/orders:2.0.0' });
        gw.addRoute({ host: 'shop.example.com', service: svc });
        release();
      }
      return synthAndValidate(chart);
    }

    test.each([RolloutRevision.CANARY, RolloutRevision.STABLE])('a release declared before addVersion() of its canary synthesizes what the other order does (%s)', (revision) => {
      // GIVEN / WHEN
      const releaseFirst = build(true, revision);
      const versionFirst = build(false, revision);
      // THEN the same objects, byte for byte
      expect(releaseFirst).toEqual(versionFirst);
      // ... with the canary run by the Rollout (no Deployment of its own) and the gateway route managed
      const versionDeployments = findObjects(releaseFirst, 'Deployment').map((d) => d.metadata.name).filter((n: string) => n.startsWith('orders-'));
      expect(versionDeployments).toEqual(revision === RolloutRevision.STABLE ? ['orders-v1'] : []);
      const rollout = findObject(releaseFirst, 'Rollout', 'orders');
      expect(rollout.spec.strategy.canary.trafficRouting.istio.virtualServices).toEqual([
        { name: 'orders', routes: ['default'] },
        { name: 'gw-shop-example-com.istio-ingress', routes: ['orders-0'] },
      ]);
      if (revision === RolloutRevision.CANARY) expect(rollout.spec.template.spec.containers[0].image).toBe('ghcr.io/acme/orders:2.0.0');
    });
  });

  describe('errors', () => {
    test('weights must not decrease', () => {
      expect(() => shop(() => [RolloutStep.weight(50), RolloutStep.weight(20)])).toThrow(
        "[test/orders-canary] 'driver.steps[1].setWeight' must not be lower than the weight of steps[0] (50): canary weights only grow (abort the rollout to go back), got 20. Fix: use a weight of at least 50, or remove steps[0]");
    });

    test('weights must be 0-100', () => {
      expect(() => shop(() => [RolloutStep.weight(150)])).toThrow(
        "[test/orders-canary] 'driver.steps[0].setWeight' must be a whole number between 0 and 100, got 150. Fix: use a percentage such as 10");
    });

    test('canaryPercentage must be 0', () => {
      const chart = Testing.chart();
      const svc = new MeshService(chart, 'orders', { versions: [{ name: 'v1', image: 'a:1' }, { name: 'v2', image: 'a:2' }] });
      expect(() => new CanaryRelease(chart, 'c', { service: svc, stable: 'v1', canary: 'v2', canaryPercentage: 10, driver: ReleaseDriver.argoRollouts({ revision: RolloutRevision.CANARY, steps: [RolloutStep.weight(10)] }) })).toThrow(
        "[test/c] 'canaryPercentage' must be 0 with the Argo Rollouts driver (the Rollout steps own the weights; Git keeps 100% on stable), got 10. Fix: set canaryPercentage: 0 and express the weights as RolloutStep.weight() steps");
    });

    test('the managed route must exist', () => {
      const { chart, svc } = shop();
      svc.addRoute({ name: 'all', timeout: Duration.seconds(2) });
      expect(() => synthAndValidate(chart)).toThrow(
        "[test/orders-canary/Rollout] ROLLOUT001: 'service' must keep the 'default' route Argo Rollouts manages in its VirtualService, but a catch-all route replaces it, got [\"all\"]. Fix: give the last route added with addRoute() a match so the default route stays last");
    });

    test('ROLLOUT001 and ROLLOUT002 are model findings (visible in MeshAnalysis.findings())', () => {
      const { chart, svc } = shop();
      svc.addVersion({ name: 'v0', image: 'a:0' });
      svc.addRoute({ name: 'all', timeout: Duration.seconds(2) });
      const found = MeshAnalysis.of(chart).findings().filter((f) => f.code.startsWith('ROLLOUT')).map((f) => [f.code, f.path, f.fatal]);
      expect(found).toEqual([['ROLLOUT001', 'test/orders-canary/Rollout', true], ['ROLLOUT002', 'test/orders-canary/Rollout', true]]);
    });

    test('only the released versions', () => {
      const { chart, svc } = shop();
      svc.addVersion({ name: 'v0', image: 'a:0' });
      expect(() => synthAndValidate(chart)).toThrow(/ROLLOUT002: 'service' must have only the released versions "v1" and "v2"/);
    });
  });

  test('the static driver is the default and renders as before', () => {
    const chart = Testing.chart();
    const svc = new MeshService(chart, 'orders', { versions: [{ name: 'v1', image: 'a:1' }, { name: 'v2', image: 'a:2' }] });
    const release = new CanaryRelease(chart, 'c', { service: svc, stable: 'v1', canary: 'v2', canaryPercentage: 10, driver: ReleaseDriver.staticWeights() });
    const out = synthAndValidate(chart);
    expect(release.rollout).toBeUndefined();
    expect(findObjects(out, 'Rollout')).toEqual([]);
    expect(findObjects(out, 'Deployment').map((d) => d.metadata.name)).toEqual(['orders-v1', 'orders-v2']);
  });

  test('PrometheusAddon in the App is found', () => {
    const chart = Testing.chart();
    new PrometheusAddon(chart, 'prom', { namespace: 'istio-system' });
    const svc = new MeshService(chart, 'orders', { versions: [{ name: 'v1', image: 'a:1' }, { name: 'v2', image: 'a:2' }] });
    new SloAnalysis(chart, 'slo', { service: svc, canary: 'v2', successRatePercent: 99 });
    const t = findObject(synthAndValidate(chart), 'AnalysisTemplate', 'orders-v2-slo');
    expect(t.spec.metrics[0].provider.prometheus.address).toBe('http://prometheus.istio-system.svc.cluster.local:9090');
  });
});
