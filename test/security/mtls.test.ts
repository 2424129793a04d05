import { Testing } from 'cdk8s';
import { ClientTlsMode, IstioControlPlane, MeshService, MtlsMode, StrictMtls } from '../../src';
import { findObject, findObjects, runValidations, synthAndValidate } from '../util';

const v1 = { name: 'v1', image: 'ghcr.io/acme/users:1.0.0' };

function shopChart() {
  const chart = Testing.chart();
  const users = new MeshService(chart, 'user-service', { namespace: 'shop', versions: [v1], ports: [{ port: 80, targetPort: 5000 }, { port: 9102, name: 'http-metrics' }] });
  return { chart, users };
}

describe('StrictMtls', () => {
  describe('scopes', () => {
    test('namespace scope: PeerAuthentication "default" in that namespace, STRICT, no selector', () => {
      // GIVEN
      const { chart } = shopChart();
      // WHEN
      new StrictMtls(chart, 'mtls', { namespace: 'shop' });
      // THEN
      const out = synthAndValidate(chart);
      const pa = findObject(out, 'PeerAuthentication', 'default');
      expect(pa.apiVersion).toBe('security.istio.io/v1');
      expect(pa.metadata.namespace).toBe('shop');
      expect(pa.spec).toEqual({ mtls: { mode: 'STRICT' } });
      expect(pa.metadata.annotations).toBeUndefined();
      expect(out).toMatchSnapshot();
    });

    test('mesh scope: placed in the mesh root namespace (istio-system by default), read at synth', () => {
      const { chart } = shopChart();
      const mtls = new StrictMtls(chart, 'mesh-mtls');
      expect(findObject(synthAndValidate(chart), 'PeerAuthentication', 'default').metadata.namespace).toBe('istio-system');
      // a control plane declared later moves the mesh-wide policy to its root namespace
      new IstioControlPlane(chart, 'cp', { rootNamespace: 'mesh-root', crds: false });
      const pa = findObject(synthAndValidate(chart), 'PeerAuthentication', 'default');
      expect(pa.metadata.namespace).toBe('mesh-root');
      expect(pa.spec).toEqual({ mtls: { mode: 'STRICT' } });
      expect(mtls.namespace).toBe('mesh-root');
    });

    test('service scope: selector on the app label, named after the service', () => {
      const { chart, users } = shopChart();
      new StrictMtls(chart, 'users-mtls', { service: users });
      const out = synthAndValidate(chart);
      const pa = findObject(out, 'PeerAuthentication', 'user-service');
      expect(pa.metadata.namespace).toBe('shop');
      expect(pa.spec.selector).toEqual({ matchLabels: { app: 'user-service' } });
      // the selector matches every version's pods
      expect(findObject(out, 'Deployment', 'user-service-v1').spec.template.metadata.labels).toMatchObject(pa.spec.selector.matchLabels);
      expect(out).toMatchSnapshot();
    });
  });

  describe('port-level exceptions and migration', () => {
    test('a metrics container port is left PERMISSIVE explicitly', () => {
      const { chart, users } = shopChart();
      new StrictMtls(chart, 'users-mtls', { service: users, portLevelMtls: [{ port: 9102, mode: MtlsMode.PERMISSIVE }] });
      const pa = findObject(synthAndValidate(chart), 'PeerAuthentication', 'user-service');
      expect(pa.spec).toEqual({
        selector: { matchLabels: { app: 'user-service' } },
        mtls: { mode: 'STRICT' },
        portLevelMtls: { 9102: { mode: 'PERMISSIVE' } },
      });
    });

    test('PERMISSIVE migration is explicit and visible (mode and annotation)', () => {
      const { chart } = shopChart();
      const mtls = new StrictMtls(chart, 'mtls', { namespace: 'shop', permissiveMigration: true });
      const pa = findObject(synthAndValidate(chart), 'PeerAuthentication', 'default');
      expect(mtls.mode).toBe(MtlsMode.PERMISSIVE);
      expect(pa.spec.mtls).toEqual({ mode: 'PERMISSIVE' });
      expect(pa.metadata.annotations).toEqual({ 'security.cdk8s-mesh.dev/mtls-migration': 'permissive' });
    });
  });

  describe('client TLS of emitted DestinationRules', () => {
    test('MeshService DestinationRules originate ISTIO_MUTUAL', () => {
      const { chart } = shopChart();
      new StrictMtls(chart, 'mtls', { namespace: 'shop' });
      const dr = findObject(synthAndValidate(chart), 'DestinationRule', 'user-service');
      expect(dr.spec.trafficPolicy).toEqual({ tls: { mode: 'ISTIO_MUTUAL' } });
    });

    test('DISABLE is accepted while the namespace is in PERMISSIVE migration', () => {
      const chart = Testing.chart();
      new MeshService(chart, 'legacy', { namespace: 'shop', versions: [v1], clientTlsMode: ClientTlsMode.DISABLE });
      new StrictMtls(chart, 'mtls', { namespace: 'shop', permissiveMigration: true });
      expect(findObject(synthAndValidate(chart), 'DestinationRule', 'legacy').spec.trafficPolicy).toEqual({ tls: { mode: 'DISABLE' } });
    });
  });

  describe('validation', () => {
    test('SEC001: two PeerAuthentications with different modes for the same namespace', () => {
      const { chart } = shopChart();
      new StrictMtls(chart, 'strict', { namespace: 'shop' });
      new StrictMtls(chart, 'loose', { namespace: 'shop', permissiveMigration: true });
      expect(() => synthAndValidate(chart)).toThrow(
        '[test/loose] SEC001: \'scope\' must be unique: test/strict already sets mTLS for namespace "shop" with a different mode (STRICT vs PERMISSIVE); Istio would apply only the oldest, got "PERMISSIVE". Fix: keep one StrictMtls per scope');
    });

    test('SEC001: a namespace policy in the root namespace is the mesh-wide policy', () => {
      const chart = Testing.chart();
      new StrictMtls(chart, 'mesh');
      new StrictMtls(chart, 'root', { namespace: 'istio-system', permissiveMigration: true });
      expect(() => runValidations(chart)).toThrow(/\[test\/root\] SEC001: 'scope' must be unique: test\/mesh already sets mTLS for the whole mesh \(root namespace "istio-system"\)/);
    });

    test('SEC001: two policies for the same service', () => {
      const { chart, users } = shopChart();
      new StrictMtls(chart, 'a', { service: users });
      new StrictMtls(chart, 'b', { service: users });
      expect(() => runValidations(chart)).toThrow(/\[test\/b\] SEC001: 'scope' must be unique: test\/a already sets mTLS for workloads \{"app":"user-service"\} in namespace "shop" as well/);
    });

    test('namespace-wide and service-scoped policies coexist (different scopes)', () => {
      const { chart, users } = shopChart();
      new StrictMtls(chart, 'ns', { namespace: 'shop' });
      new StrictMtls(chart, 'svc', { service: users, portLevelMtls: [{ port: 9102, mode: MtlsMode.PERMISSIVE }] });
      expect(findObjects(synthAndValidate(chart), 'PeerAuthentication').map((p) => p.metadata.name)).toEqual(['default', 'user-service']);
    });

    test('SEC002: a DestinationRule that disables TLS toward a STRICT workload', () => {
      const chart = Testing.chart();
      new MeshService(chart, 'legacy', { namespace: 'shop', versions: [v1], clientTlsMode: ClientTlsMode.DISABLE });
      new StrictMtls(chart, 'mesh');
      expect(() => synthAndValidate(chart)).toThrow(
        '[test/legacy] SEC002: \'clientTlsMode\' must not disable TLS toward legacy.shop.svc.cluster.local: its workloads only accept mTLS (STRICT, set by test/mesh), so every request would be reset, got "DISABLE". Fix: remove clientTlsMode (ISTIO_MUTUAL), or opt the workload into permissiveMigration first');
    });

    test('a service-scoped policy overrides the namespace one for SEC002', () => {
      const chart = Testing.chart();
      const legacy = new MeshService(chart, 'legacy', { namespace: 'shop', versions: [v1], clientTlsMode: ClientTlsMode.DISABLE });
      new StrictMtls(chart, 'ns', { namespace: 'shop', permissiveMigration: true });
      new StrictMtls(chart, 'svc', { service: legacy });
      expect(() => runValidations(chart)).toThrow(/\[test\/legacy\] SEC002: .*STRICT, set by test\/svc/);
    });

    test('portLevelMtls requires a service scope', () => {
      const chart = Testing.chart();
      expect(() => new StrictMtls(chart, 'mtls', { namespace: 'shop', portLevelMtls: [{ port: 9102, mode: MtlsMode.PERMISSIVE }] })).toThrow(
        '[test/mtls] \'portLevelMtls\' requires a service-scoped policy (Istio applies port-level mTLS only with a workload selector), got [9102]. Fix: set \'service\'');
    });

    test('portLevelMtls takes container ports, not Service ports', () => {
      const { chart, users } = shopChart();
      expect(() => new StrictMtls(chart, 'mtls', { service: users, portLevelMtls: [{ port: 80, mode: MtlsMode.PERMISSIVE }] })).toThrow(
        '[test/mtls] \'portLevelMtls[0].port\' must be a workload (container) port; Service port 80 targets container port 5000, got 80. Fix: use port: 5000');
      expect(() => new StrictMtls(chart, 'mtls2', { service: users, portLevelMtls: [{ port: 7000, mode: MtlsMode.PERMISSIVE }] })).toThrow(
        '[test/mtls2] \'portLevelMtls[0].port\' must be one of the container ports of user-service (5000, 9102), got 7000.');
    });

    test('portLevelMtls entries must be unique and differ from the policy mode', () => {
      const { chart, users } = shopChart();
      expect(() => new StrictMtls(chart, 'a', { service: users, portLevelMtls: [{ port: 9102, mode: MtlsMode.PERMISSIVE }, { port: 9102, mode: MtlsMode.DISABLE }] }))
        .toThrow('[test/a] \'portLevelMtls[1].port\' must be unique, got 9102.');
      expect(() => new StrictMtls(chart, 'b', { service: users, portLevelMtls: [{ port: 9102, mode: MtlsMode.STRICT }] }))
        .toThrow('[test/b] \'portLevelMtls[0].mode\' must differ from the policy\'s mode (STRICT); an equal port-level mode changes nothing, got "STRICT".');
    });

    test('service and namespace are mutually exclusive; namespace must be a DNS label', () => {
      const { chart, users } = shopChart();
      expect(() => new StrictMtls(chart, 'a', { service: users, namespace: 'shop' })).toThrow('[test/a] \'namespace\' must not be set together with \'service\'');
      expect(() => new StrictMtls(chart, 'b', { namespace: 'Shop' })).toThrow('[test/b] \'namespace\' must be a DNS-1123 label');
    });
  });
});
