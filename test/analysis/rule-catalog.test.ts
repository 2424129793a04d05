import { App, Chart, Duration, Testing } from 'cdk8s';
import {
  CanaryRelease, ExternalProtocol, ExternalService, IstioControlPlane, MeshAnalysis, MeshNamespace, MeshService,
  ReleaseDriver, RolloutRevision, RolloutStep, StrictMtls,
} from '../../src';
import { analyze } from '../../src/analysis/analyze';
import { RULE_CATALOG } from '../../src/analysis/catalog';
import { MeshModel } from '../../src/model';
import { snapshotOf } from '../../src/model/resolve';
import { synthAndValidate } from '../util';

/**
 * Every rule of the catalog runs on every app, whatever constructs it holds:
 * the analysis is one step of the synthesis pipeline, not something
 * constructs register.
 */
describe('the rule catalog', () => {
  test('runs on an app whose only mesh construct is a namespace, and on an empty model', () => {
    const chart = Testing.chart();
    new MeshNamespace(chart, 'ns', { name: 'shop' });
    expect(analyze(snapshotOf(MeshModel.of(chart)))).toEqual([]);
    expect(analyze(snapshotOf(MeshModel.of(new App())))).toEqual([]);
    expect(RULE_CATALOG.length).toBeGreaterThan(40);
  });

  test('MESH003 is reported in an app without any MeshService', () => {
    // GIVEN only an external service with a plain-HTTP port
    const chart = Testing.chart();
    new ExternalService(chart, 'payments', { namespace: 'shop', hosts: ['api.payments.example'], ports: [{ port: 80, protocol: ExternalProtocol.HTTP }] });
    // WHEN
    synthAndValidate(chart);
    // THEN
    expect(MeshAnalysis.of(chart).findings().map((f) => `${f.code} ${f.path}`)).toContain('MESH003 test/payments');
  });

  test('MESH004 is reported in an app without any MeshService, and promoted it fails synth', () => {
    // GIVEN only a permissive migration policy
    const chart = Testing.chart();
    new StrictMtls(chart, 'migration', { namespace: 'shop', permissiveMigration: true });
    // THEN
    synthAndValidate(chart);
    const analysis = MeshAnalysis.of(chart);
    expect(analysis.findings().filter((f) => f.code === 'MESH004').map((f) => f.path)).toEqual(['test/migration']);
    analysis.treatWarningsAsErrors('MESH004');
    expect(() => synthAndValidate(chart)).toThrow("[test/migration] MESH004: 'permissiveMigration' leaves every workload");
  });

  test('CP001 is a finding of the model', () => {
    const chart = Testing.chart();
    new IstioControlPlane(chart, 'a', { revision: 'r1' });
    new IstioControlPlane(chart, 'b', { revision: 'r1', crds: false });
    expect(MeshAnalysis.of(chart).findings().filter((f) => f.code === 'CP001').map((f) => [f.path, f.fatal])).toEqual([['test/b', true]]);
    expect(() => synthAndValidate(chart)).toThrow("[test/b] CP001: 'revision' must be unique in the app: test/a already installs that revision");
  });

  describe('ROLLOUT001 and ROLLOUT002 are findings of the model, reported on the Rollout', () => {
    function rolloutApp() {
      const chart = new Chart(Testing.app(), 'test');
      const svc = new MeshService(chart, 'orders', {
        versions: [{ name: 'v1', image: 'ghcr.io/acme/orders:1.0.0' }, { name: 'v2', image: 'ghcr.io/acme/orders:2.0.0' }],
      });
      new CanaryRelease(chart, 'orders-canary', {
        service: svc,
        stable: 'v1',
        canary: 'v2',
        canaryPercentage: 0,
        driver: ReleaseDriver.argoRollouts({
          revision: RolloutRevision.CANARY,
          steps: [RolloutStep.weight(50), RolloutStep.pause(Duration.minutes(1))],
        }),
      });
      return { chart, svc };
    }

    test('ROLLOUT002: a third version', () => {
      const { chart, svc } = rolloutApp();
      svc.addVersion({ name: 'v0', image: 'ghcr.io/acme/orders:0.9.0' });
      const found = MeshAnalysis.of(chart).findings().filter((f) => f.code.startsWith('ROLLOUT'));
      expect(found.map((f) => [f.code, f.path, f.fatal])).toEqual([['ROLLOUT002', 'test/orders-canary/Rollout', true]]);
      expect(found[0].message).toBe("'service' must have only the released versions \"v1\" and \"v2\" while Argo Rollouts runs it (the Rollout selects every pod of app=orders), "
        + 'got ["v0"]. Fix: remove the other versions from the MeshService, or use the static driver');
      expect(() => synthAndValidate(chart)).toThrow('[test/orders-canary/Rollout] ROLLOUT002: ');
    });

    test('ROLLOUT001: a catch-all route replaces the managed one', () => {
      const { chart, svc } = rolloutApp();
      svc.addRoute({ name: 'all', timeout: Duration.seconds(2) });
      expect(MeshAnalysis.of(chart).findings().filter((f) => f.code.startsWith('ROLLOUT')).map((f) => [f.code, f.path])).toEqual([
        ['ROLLOUT001', 'test/orders-canary/Rollout'],
      ]);
    });

    test('a valid rollout has no ROLLOUT finding', () => {
      const { chart } = rolloutApp();
      synthAndValidate(chart);
      expect(MeshAnalysis.of(chart).findings().filter((f) => f.code.startsWith('ROLLOUT'))).toEqual([]);
    });
  });
});
