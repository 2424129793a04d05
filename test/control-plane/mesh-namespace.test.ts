import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { DataPlaneMode, IstioControlPlane, MeshNamespace, MeshService } from '../../src';
import { err, findObject, findObjects, synthAndValidate } from '../util';

describe('MeshNamespace', () => {
  test('default revision: istio-injection: enabled', () => {
    const chart = Testing.chart();
    const ns = new MeshNamespace(chart, 'shop', { labels: { team: 'payments' } });
    const out = synthAndValidate(chart);
    expect(findObject(out, 'Namespace', 'shop').metadata.labels).toEqual({ 'team': 'payments', 'istio-injection': 'enabled' });
    expect(ns.labels).toEqual({ 'team': 'payments', 'istio-injection': 'enabled' });
    expect(out).toMatchSnapshot();
  });

  test('bound to a revisioned control plane: istio.io/rev, which its webhook selects', () => {
    const chart = Testing.chart();
    const canary = new IstioControlPlane(chart, 'canary', { crds: false, revision: '1-30' });
    new MeshNamespace(chart, 'shop', { controlPlane: canary });
    const out = synthAndValidate(chart);
    const labels = findObject(out, 'Namespace', 'shop').metadata.labels;
    expect(labels).toEqual({ 'istio.io/rev': '1-30' });
    const hook = findObject(out, 'MutatingWebhookConfiguration', 'istio-sidecar-injector-1-30').webhooks[0];
    expect(hook.namespaceSelector.matchExpressions).toEqual([
      { key: 'istio.io/rev', operator: 'In', values: [labels['istio.io/rev']] },
      { key: 'istio-injection', operator: 'DoesNotExist' },
    ]);
  });

  test('the root namespace of a control plane declared after it: the MeshNamespace is the root namespace, the control plane creates none', () => {
    // GIVEN the control plane first, then a MeshNamespace of its root namespace
    const chart = Testing.chart();
    new IstioControlPlane(chart, 'istio', { crds: false, rootNamespace: 'mesh-config' });
    new MeshNamespace(chart, 'mesh-config', { injection: false });
    // THEN one Namespace, the MeshNamespace's (whatever the declaration order)
    const roots = findObjects(synthAndValidate(chart), 'Namespace', 'mesh-config');
    expect(roots).toHaveLength(1);
    expect(roots[0].metadata.labels).toEqual({ 'istio-injection': 'disabled' });
  });

  test('injection: false labels istio-injection: disabled', () => {
    const chart = Testing.chart();
    new MeshNamespace(chart, 'legacy', { injection: false });
    expect(findObject(synthAndValidate(chart), 'Namespace', 'legacy').metadata.labels).toEqual({ 'istio-injection': 'disabled' });
  });

  test('MeshService pods are bound to a revision with the istio.io/rev pod label', () => {
    const chart = Testing.chart();
    const canary = new IstioControlPlane(chart, 'canary', { crds: false, revision: '1-30' });
    new MeshService(chart, 'reviews', { versions: [{ name: 'v1', image: 'ghcr.io/acme/reviews:1' }], controlPlane: canary });
    const d = findObject(synthAndValidate(chart), 'Deployment', 'reviews-v1');
    expect(d.spec.template.metadata.labels['istio.io/rev']).toBe('1-30');
  });

  describe('podSecurityLabels', () => {
    const PSS = (level: string) => ({
      'pod-security.kubernetes.io/enforce': level,
      'pod-security.kubernetes.io/audit': level,
      'pod-security.kubernetes.io/warn': level,
    });
    const image = 'ghcr.io/acme/reviews:1';

    test('off by default: no Pod Security labels', () => {
      const chart = Testing.chart();
      new MeshNamespace(chart, 'shop');
      expect(Object.keys(findObject(synthAndValidate(chart), 'Namespace', 'shop').metadata.labels)).toEqual(['istio-injection']);
    });

    test('sidecar injection: privileged (istio-init adds NET_ADMIN and NET_RAW)', () => {
      const chart = Testing.chart();
      const ns = new MeshNamespace(chart, 'shop', { podSecurityLabels: true });
      new MeshService(chart, 'reviews', { namespace: 'shop', versions: [{ name: 'v1', image }] });
      expect(findObject(synthAndValidate(chart), 'Namespace', 'shop').metadata.labels).toEqual({ 'istio-injection': 'enabled', ...PSS('privileged') });
      expect(ns.podSecurityLevel().reason).toContain('istio-init container, which adds NET_ADMIN and NET_RAW');
    });

    test('ambient: restricted; a service that relaxes its security within baseline lowers it to baseline, beyond baseline to privileged', () => {
      const chart = Testing.chart();
      new IstioControlPlane(chart, 'istio', { crds: false, dataPlane: DataPlaneMode.AMBIENT });
      const ns = new MeshNamespace(chart, 'shop', { dataPlaneMode: DataPlaneMode.AMBIENT, podSecurityLabels: true });
      new MeshService(chart, 'reviews', { namespace: 'shop', versions: [{ name: 'v1', image }] });
      expect(findObject(synthAndValidate(chart), 'Namespace', 'shop').metadata.labels).toEqual({ 'istio.io/dataplane-mode': 'ambient', ...PSS('restricted') });
      expect(ns.podSecurityLevel()).toEqual({ level: 'restricted', reason: '' });

      new MeshService(chart, 'legacy', { namespace: 'shop', versions: [{ name: 'v1', image }], security: { ensureNonRoot: false, user: 0, addCapabilities: [kplus.Capability.CHOWN] } });
      expect(ns.podSecurityLevel().level).toBe('baseline');
      expect(ns.podSecurityLevel().reason).toBe('test/legacy: security.addCapabilities adds CHOWN (restricted allows NET_BIND_SERVICE only); '
        + 'security.ensureNonRoot is false (restricted requires runAsNonRoot); security.user is 0 (restricted forbids runAsUser 0)');
      expect(findObject(synthAndValidate(chart), 'Namespace', 'shop').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');

      new MeshService(chart, 'sniffer', { namespace: 'shop', versions: [{ name: 'v1', image }], security: { addCapabilities: [kplus.Capability.NET_ADMIN] } });
      expect(ns.podSecurityLevel().level).toBe('privileged');
      expect(ns.podSecurityLevel().reason).toContain('test/sniffer: security.addCapabilities adds NET_ADMIN, which baseline forbids');
    });

    test('an ambient namespace with a service that opts back into a sidecar: privileged', () => {
      const chart = Testing.chart();
      new IstioControlPlane(chart, 'istio', { crds: false, dataPlane: DataPlaneMode.AMBIENT });
      const ns = new MeshNamespace(chart, 'shop', { dataPlaneMode: DataPlaneMode.AMBIENT, podSecurityLabels: true });
      new MeshService(chart, 'reviews', { namespace: 'shop', versions: [{ name: 'v1', image }], dataPlaneMode: DataPlaneMode.SIDECAR });
      expect(ns.podSecurityLevel()).toEqual({ level: 'privileged', reason: 'test/reviews: its pods get an injected sidecar, whose istio-init container adds NET_ADMIN and NET_RAW and runs as root (baseline forbids those capabilities)' });
    });

    test('injection off: restricted', () => {
      const chart = Testing.chart();
      new MeshNamespace(chart, 'batch', { injection: false, podSecurityLabels: true });
      expect(findObject(synthAndValidate(chart), 'Namespace', 'batch').metadata.labels).toEqual({ 'istio-injection': 'disabled', ...PSS('restricted') });
    });

    test('IstioControlPlane: its namespace restricted with sidecars, privileged where the ambient node agents run', () => {
      const sidecars = Testing.chart();
      const cp = new IstioControlPlane(sidecars, 'istio', { crds: false, podSecurityLabels: true });
      expect(findObject(synthAndValidate(sidecars), 'Namespace', 'istio-system').metadata.labels).toEqual(PSS('restricted'));
      expect(cp.podSecurityLevel()).toEqual({ level: 'restricted', reason: '' });

      const ambient = Testing.chart();
      const amb = new IstioControlPlane(ambient, 'istio', { crds: false, podSecurityLabels: true, dataPlane: DataPlaneMode.AMBIENT });
      expect(findObject(synthAndValidate(ambient), 'Namespace', 'istio-system').metadata.labels).toEqual(PSS('privileged'));
      expect(amb.podSecurityLevel().reason).toBe('test/istio runs the ambient node agents here: istio-cni and ztunnel add NET_ADMIN and SYS_ADMIN and mount host paths (baseline forbids both)');

      const off = Testing.chart();
      new IstioControlPlane(off, 'istio', { crds: false });
      expect(findObject(synthAndValidate(off), 'Namespace', 'istio-system').metadata.labels).toBeUndefined();
    });

    test('bad input: a Pod Security label set by hand while podSecurityLabels is on', () => {
      expect(err(() => new MeshNamespace(Testing.chart(), 'shop', { podSecurityLabels: true, labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } }))).toBe(
        '[test/shop] \'labels.pod-security.kubernetes.io/enforce\' is managed by podSecurityLabels, got "baseline". '
        + 'Fix: remove the label (podSecurityLabels sets the strictest level the pods pass), or set podSecurityLabels: false to set Pod Security labels yourself');
    });
  });

  describe('errors', () => {
    test('injection labels are managed', () => {
      expect(() => new MeshNamespace(Testing.chart(), 'shop', { labels: { 'istio-injection': 'enabled' } }))
        .toThrow('[test/shop] \'labels.istio-injection\' is managed by MeshNamespace, got "enabled". Fix: use the controlPlane and injection props instead');
    });
    test('controlPlane without injection', () => {
      const chart = Testing.chart();
      const cp = new IstioControlPlane(chart, 'cp', { crds: false, revision: 'canary' });
      expect(() => new MeshNamespace(chart, 'shop', { controlPlane: cp, injection: false }))
        .toThrow('[test/shop] \'controlPlane\' has no effect when injection is false, got "canary". Fix: remove controlPlane, or set injection: true');
    });
    test('invalid name', () => {
      expect(() => new MeshNamespace(Testing.chart(), 'Shop_NS')).toThrow('[test/Shop_NS] \'name\' must be a DNS-1123 label');
    });
    test('invalid label value', () => {
      expect(() => new MeshNamespace(Testing.chart(), 'shop', { labels: { team: 'a b' } }))
        .toThrow('[test/shop] \'labels.team\' must be a label value');
    });
  });
});
