import { Yaml } from 'cdk8s';
import { buildShop } from '../../examples/flask-shop/main';
import { MeshApp } from '../../src';
import { findObject, ownObjects, synthAppAndValidate } from '../util';

function synthShop() {
  const app = new MeshApp({ outdir: 'cdk.out.unused' });
  buildShop(app);
  return synthAppAndValidate(app);
}

describe('examples/flask-shop', () => {
  test('every object passes the strict harness', () => {
    const charts = synthShop();
    const objects = [...charts.values()].flatMap((c) => c.objects);
    expect(objects.length).toBeGreaterThan(0);
  });

  test('order-service and user-service are Flask apps on port 5000 behind port 80', () => {
    const shop = synthShop().get('flask-shop')!.objects;
    for (const name of ['user-service', 'order-service']) {
      const svc = findObject(shop, 'Service', name);
      expect(svc.metadata.namespace).toBe('shop');
      expect(svc.spec.ports[0]).toMatchObject({ port: 80, targetPort: 5000, appProtocol: 'http' });
    }
    // order-service runs as an Argo Rollouts Rollout (see flask-shop-gitops.test.ts)
    const orders = findObject(shop, 'Rollout', 'order-service').spec.template.spec.containers[0];
    expect(orders.env).toContainEqual({ name: 'USER_SERVICE_URL', value: 'http://user-service.shop.svc.cluster.local' });
  });

  test('synthesis is deterministic: byte-identical YAML twice', () => {
    const a = [...synthShop().values()].map((c) => c.yaml).join('\n---\n');
    const b = [...synthShop().values()].map((c) => c.yaml).join('\n---\n');
    expect(a.length).toBeGreaterThan(1000);
    expect(b).toBe(a);
  });

  test('matches the committed output', () => {
    // CRDs are verbatim copies of the pinned upstream file: never snapshot (commit) them;
    // the control-plane tests check they are emitted exactly as in the file.
    for (const [id, { objects }] of synthShop()) {
      const own = ownObjects(objects);
      expect(Yaml.stringify(...own)).toMatchSnapshot(id);
    }
  });
});
