import { buildShop } from '../../examples/flask-shop/main';
import { MeshApp } from '../../src';
import { findObject, findObjects, ownObjects, synthAppAndValidate } from '../util';

describe('examples/flask-shop control plane', () => {
  const app = new MeshApp({ outdir: 'cdk.out.unused' });
  buildShop(app);
  const charts = synthAppAndValidate(app);
  const cp = charts.get('istio-control-plane')!.objects;

  test('the control-plane chart installs CRDs, istiod and the webhooks', () => {
    expect(findObjects(cp, 'CustomResourceDefinition')).toHaveLength(15);
    expect(findObject(cp, 'Deployment', 'istiod').spec.template.spec.containers[0].image).toBe('docker.io/istio/pilot:1.30.3');
    expect(findObject(cp, 'PodDisruptionBudget', 'istiod').spec.minAvailable).toBe(1);
    expect(findObjects(cp, 'MutatingWebhookConfiguration')).toHaveLength(1);
  });

  test('the shop namespace is labelled for injection by this control plane', () => {
    const ns = findObject(cp, 'Namespace', 'shop');
    expect(ns.metadata.labels).toEqual({
      'istio-injection': 'enabled',
      // injected sidecars' istio-init container adds NET_ADMIN and NET_RAW: only privileged admits them
      'pod-security.kubernetes.io/enforce': 'privileged',
      'pod-security.kubernetes.io/audit': 'privileged',
      'pod-security.kubernetes.io/warn': 'privileged',
    });
    const shop = charts.get('flask-shop')!.objects;
    expect(findObject(shop, 'Deployment', 'user-service-v1').metadata.namespace).toBe('shop');
  });

  test('matches the committed output (without the CRDs, which are the pinned file verbatim)', () => {
    expect(ownObjects(cp)).toMatchSnapshot();
  });
});
