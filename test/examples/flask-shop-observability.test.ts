import * as YAML from 'yaml';
import { buildShop } from '../../examples/flask-shop/main';
import { MeshApp } from '../../src';
import { MeshModel } from '../../src/model';
import { findObject, findObjects, synthAppAndValidate } from '../util';

function synthShop() {
  const app = new MeshApp({ outdir: 'cdk.out.unused' });
  buildShop(app);
  return { app, charts: synthAppAndValidate(app) };
}

describe('examples/flask-shop observability', () => {
  test('mesh-wide tracing at 10% to Jaeger and access logs for failed requests, in the JSON the control plane declares', () => {
    const { app, charts } = synthShop();
    const obs = charts.get('observability')!.objects;
    const t = findObject(obs, 'Telemetry', 'mesh-default');
    expect(t.metadata.namespace).toBe('istio-system');
    expect(t.spec.tracing).toEqual([{ providers: [{ name: 'jaeger' }], randomSamplingPercentage: 10 }]);
    // the filter applies to the mesh default provider: the control plane's JSON access log
    expect(t.spec.accessLogging).toEqual([{ providers: [{ name: 'mesh-access-log' }], filter: { expression: 'response.code >= 400' } }]);
    const mesh = YAML.parse(findObject(charts.get('istio-control-plane')!.objects, 'ConfigMap', 'istio').data.mesh);
    expect(mesh.defaultProviders.accessLogging).toEqual(['mesh-access-log']);
    expect(mesh.extensionProviders).toContainEqual({ name: 'mesh-access-log', envoyFileAccessLog: { path: '/dev/stdout', logFormat: { labels: {} } } });
    expect(mesh.accessLogFile).toBeUndefined();
    const entry = MeshModel.of(app).extensionProviders.find((p) => p.name === 'jaeger')!.entry as any;
    const collector = findObject(obs, 'Service', 'jaeger-collector');
    expect(entry.opentelemetry).toEqual({ service: `jaeger-collector.${collector.metadata.namespace}.svc.cluster.local`, port: 4317 });
  });

  test('the full stack runs and Prometheus loads the shop\'s alerts', () => {
    const obs = synthShop().charts.get('observability')!.objects;
    expect(findObjects(obs, 'Deployment').map((d) => d.metadata.name).sort()).toEqual(['grafana', 'jaeger', 'kiali', 'prometheus']);
    const alerts = YAML.parse(findObject(obs, 'ConfigMap', 'prometheus').data['alerts.yml']);
    expect(alerts.groups.map((g: any) => g.name)).toEqual(['user-service.shop.golden-signals', 'order-service.shop.golden-signals']);
  });

  test('shop pods announce the Flask apps\' own metrics, which the injector merges into 15020 (mesh config enablePrometheusMerge)', () => {
    const { charts } = synthShop();
    const shop = charts.get('flask-shop')!.objects;
    // user-service is a Deployment, order-service an Argo Rollout (the canary's pod template)
    const templates = [findObject(shop, 'Deployment', 'user-service-v1').spec.template, findObject(shop, 'Rollout', 'order-service').spec.template];
    for (const template of templates) {
      expect(template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '5000', 'prometheus.io/path': '/metrics' });
    }
    const mesh = YAML.parse(findObject(charts.get('istio-control-plane')!.objects, 'ConfigMap', 'istio').data.mesh);
    expect(mesh.enablePrometheusMerge).toBe(true);
  });
});
