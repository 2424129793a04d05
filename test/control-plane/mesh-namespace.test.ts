import { Testing } from 'cdk8s';
import { IstioControlPlane, MeshNamespace, MeshService } from '../../src';
import { err, findObject, synthAndValidate } from '../util';

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

  test('bad input: the root namespace of a control plane declared before it', () => {
    const chart = Testing.chart();
    new IstioControlPlane(chart, 'istio', { crds: false, rootNamespace: 'mesh-config' });
    expect(err(() => new MeshNamespace(chart, 'mesh-config'))).toBe(
      '[test/mesh-config] \'name\' is the root namespace of test/istio, which already creates that Namespace (mesh-wide config lives there), got "mesh-config". '
      + 'Fix: remove this MeshNamespace, or declare it before test/istio (e.g. new MeshNamespace(chart, \'mesh-config\', { injection: false })) so the control plane does not create it');
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
