import { App, Yaml } from 'cdk8s';
import { buildAmbientShop } from '../../examples/flask-shop/ambient';
import { buildShop } from '../../examples/flask-shop/main';
import { MeshAnalysis, MeshApp } from '../../src';
import { findObject, findObjects, ownObjects, synthAppAndValidate } from '../util';

function synth(build: (app: App) => unknown) {
  const app = new MeshApp({ outdir: 'cdk.out.unused' });
  build(app);
  return { app, charts: synthAppAndValidate(app) };
}

describe('examples/flask-shop, ambient flavour', () => {
  const { app, charts } = synth(buildAmbientShop);
  const all = [...charts.values()].flatMap((c) => c.objects);
  const shop = charts.get('flask-shop')!.objects;
  const cp = charts.get('istio-control-plane')!.objects;

  test('every object passes the strict harness (Gateway API kinds: structural check against the v1.5.1 CRDs)', () => {
    expect(all.length).toBeGreaterThan(0);
  });

  test('the control plane installs ztunnel and istio-cni, ordered with istiod', () => {
    for (const name of ['ztunnel', 'istio-cni-node']) {
      const ds = findObject(cp, 'DaemonSet', name);
      expect(ds.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe(findObject(cp, 'Deployment', 'istiod').metadata.annotations['argocd.argoproj.io/sync-wave']);
    }
    expect(findObject(cp, 'Namespace', 'shop').metadata.labels).toEqual({
      'istio.io/dataplane-mode': 'ambient',
      // no init container, waypoints with the RuntimeDefault seccomp profile: the strictest standard
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
  });

  test('no sidecars: no injection, no Sidecar resources', () => {
    expect(findObjects(all, 'Sidecar')).toEqual([]);
    const templates = [findObject(shop, 'Rollout', 'order-service').spec, findObject(shop, 'Deployment', 'user-service-v1').spec.template];
    for (const t of templates.filter((x) => x.metadata)) {
      expect(t.metadata.labels).toMatchObject({ 'sidecar.istio.io/inject': 'false', 'istio.io/dataplane-mode': 'ambient' });
    }
  });

  test('the shop needs L7, so the namespace has one waypoint and both services use it', () => {
    const gws = findObjects(shop, 'Gateway');
    expect(gws.map((g) => [g.metadata.name, g.spec.gatewayClassName])).toEqual([['waypoint', 'istio-waypoint']]);
    for (const name of ['user-service', 'order-service']) {
      expect(findObject(shop, 'Service', name).metadata.labels['istio.io/use-waypoint']).toBe('waypoint');
    }
  });

  test('policies and token checks target the services (enforced by the waypoint); pods accept the waypoint only', () => {
    for (const name of ['user-service-allow', 'order-service-require-jwt']) {
      expect(findObject(shop, 'AuthorizationPolicy', name).spec.targetRefs).toEqual([{ group: '', kind: 'Service', name: name.replace(/-allow|-require-jwt/, '') }]);
    }
    expect(findObject(shop, 'RequestAuthentication', 'order-service-jwt').spec.targetRefs).toEqual([{ group: '', kind: 'Service', name: 'order-service' }]);
    expect(findObject(shop, 'AuthorizationPolicy', 'user-service-waypoint-only').spec.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/waypoint'] } }] }]);
  });

  test('order-service calls the payment API through the egress gateway: the ServiceEntry uses the waypoint', () => {
    expect(findObject(shop, 'ServiceEntry', 'payments-api').metadata.labels).toEqual({ 'istio.io/use-waypoint': 'waypoint' });
  });

  test('SLO analysis and alerts read the waypoint\'s request metrics', () => {
    const text = JSON.stringify(all).replace(/\\"/g, '\'');
    expect(text).toContain('reporter=\'waypoint\',destination_service=\'order-service.shop.svc.cluster.local\'');
    expect(text).toContain('reporter=\'waypoint\', destination_service=\'user-service.shop.svc.cluster.local\'');
    expect(text).not.toMatch(/reporter='destination', ?destination_service='(order|user)-service/);
  });

  test('the diagram and the scoping report know the shop is ambient', () => {
    const analysis = MeshAnalysis.of(app);
    expect(analysis.toMermaid()).toContain('namespace shop · ambient');
    expect(analysis.toMermaid()).toContain('waypoint (L7)');
    expect(analysis.sidecarFanout().proxies).toBe(0);
  });

  test('the routing intent is the same as the sidecar flavour\'s', () => {
    const sidecar = [...synth(buildShop).charts.values()].flatMap((c) => c.objects);
    for (const kind of ['VirtualService', 'DestinationRule']) {
      expect(findObjects(all, kind).map((o) => o.spec)).toEqual(findObjects(sidecar, kind).map((o) => o.spec));
    }
  });

  test('matches the committed output', () => {
    for (const [id, { objects }] of charts) expect(Yaml.stringify(...ownObjects(objects))).toMatchSnapshot(id);
  });
});
