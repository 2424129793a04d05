import { Chart, Testing } from 'cdk8s';
import { IstioControlPlane, MeshNamespace, PrometheusAddon } from '../../src';
import { synthAndValidate } from '../util';

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration', 'CustomResourceDefinition']);

describe('cluster-scoped objects in a chart with a namespace', () => {
  test('carry no metadata.namespace; namespaced objects keep theirs', () => {
    // GIVEN a chart whose namespace cdk8s would stamp on every object
    const chart = new Chart(Testing.app(), 'mesh', { namespace: 'istio-system' });
    // WHEN
    new IstioControlPlane(chart, 'istio', { crds: false });
    new MeshNamespace(chart, 'shop', { name: 'shop' });
    new PrometheusAddon(chart, 'prometheus');
    const out = synthAndValidate(chart);
    // THEN
    const cluster = out.filter((o) => CLUSTER_SCOPED.has(o.kind));
    expect(cluster.length).toBeGreaterThanOrEqual(8);
    for (const o of cluster) expect([o.kind, o.metadata.namespace]).toEqual([o.kind, undefined]);
    for (const o of out.filter((x) => !CLUSTER_SCOPED.has(x.kind))) expect([o.kind, o.metadata.namespace]).toEqual([o.kind, 'istio-system']);
  });
});
