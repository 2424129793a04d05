import { Testing } from 'cdk8s';
import * as YAML from 'yaml';
import { MeshTelemetry, ObservabilityStack } from '../../src';
import { MeshModel } from '../../src/model';
import { findObject, findObjects, synthAndValidate } from '../util';

/** Resolves `http://<name>.<ns>.svc.cluster.local:<port>` to the Service and port in `objects`, or fails. */
function resolveUrl(objects: any[], url: string): { service: any; port: any } {
  const m = /^http:\/\/([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local:(\d+)(\/.*)?$/.exec(url);
  if (!m) throw new Error(`not an in-cluster Service URL: ${url}`);
  const service = findObjects(objects, 'Service', m[1]).find((s) => s.metadata.namespace === m[2]);
  if (!service) throw new Error(`no Service ${m[2]}/${m[1]} in the output for ${url}`);
  const port = service.spec.ports.find((p: any) => p.port === Number(m[3]));
  if (!port) throw new Error(`Service ${m[1]} has no port ${m[3]}`);
  return { service, port };
}

function podsOf(objects: any[], service: any): any[] {
  return findObjects(objects, 'Deployment').filter((d) => d.metadata.namespace === service.metadata.namespace
    && Object.entries(service.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v));
}

function stack() {
  const chart = Testing.chart();
  const s = new ObservabilityStack(chart, 'observability');
  new MeshTelemetry(chart, 'mesh', { tracing: [{ provider: s.tracingProvider, randomSamplingPercentage: 10 }] });
  return { chart, s, out: synthAndValidate(chart) };
}

describe('ObservabilityStack', () => {
  describe('objects', () => {
    test('Prometheus, Grafana, Jaeger and Kiali in istio-system, every object valid', () => {
      const { out } = stack();
      expect(findObjects(out, 'Deployment').map((d) => d.metadata.name).sort()).toEqual(['grafana', 'jaeger', 'kiali', 'prometheus']);
      expect(findObjects(out, 'Service').map((d) => d.metadata.name).sort()).toEqual(['grafana', 'jaeger-collector', 'kiali', 'prometheus', 'tracing']);
      for (const o of out.filter((x) => x.kind !== 'ClusterRole' && x.kind !== 'ClusterRoleBinding')) expect(o.metadata.namespace).toBe('istio-system');
      expect(out).toMatchSnapshot();
    });

    test('every addon: pinned image, own ServiceAccount, limits, non-root, read-only root, no sidecar', () => {
      const { out } = stack();
      const images: Record<string, string> = {};
      for (const d of findObjects(out, 'Deployment')) {
        const pod = d.spec.template;
        expect(pod.metadata.labels['sidecar.istio.io/inject']).toBe('false');
        expect(pod.metadata.annotations['sidecar.istio.io/inject']).toBe('false');
        expect(pod.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
        expect(pod.spec.serviceAccountName).toBe(d.metadata.name);
        findObject(out, 'ServiceAccount', d.metadata.name);
        expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        expect(pod.spec.securityContext.runAsUser).toBeGreaterThan(0);
        const c = pod.spec.containers[0];
        expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
        expect(Object.keys(c.resources.limits).sort()).toEqual(['cpu', 'memory']);
        images[d.metadata.name] = c.image;
      }
      expect(images).toEqual({
        prometheus: 'docker.io/prom/prometheus:v3.10.0',
        grafana: 'docker.io/grafana/grafana:12.0.1',
        jaeger: 'docker.io/jaegertracing/jaeger:2.17.0',
        kiali: 'quay.io/kiali/kiali:v2.27',
      });
      // only Prometheus and Kiali talk to the Kubernetes API
      expect(findObjects(out, 'Deployment').filter((d) => d.spec.template.spec.automountServiceAccountToken).map((d) => d.metadata.name).sort()).toEqual(['kiali', 'prometheus']);
    });

    test('RBAC is read-only: no write verbs, no Secrets (Kiali may open port-forwards to read istiod and Envoy)', () => {
      const { out } = stack();
      const roles = findObjects(out, 'ClusterRole');
      expect(roles.map((r) => r.metadata.name).sort()).toEqual(['kiali-istio-system', 'prometheus-istio-system']);
      for (const r of roles) {
        for (const rule of r.rules) {
          expect(rule.resources).not.toContain('secrets');
          const writes = rule.verbs.filter((v: string) => !['get', 'list', 'watch'].includes(v));
          // creating a TokenReview / SelfSubjectAccessReview reads, it does not write state; a port-forward
          // (Kiali only) opens a stream to read istiod's debug endpoints and Envoy's config dump
          const readLike = r.metadata.name.startsWith('kiali') ? ['tokenreviews', 'selfsubjectaccessreviews', 'pods/portforward'] : ['tokenreviews', 'selfsubjectaccessreviews'];
          if (writes.length) expect([rule.resources, rule.resources.every((x: string) => readLike.includes(x))]).toEqual([rule.resources, true]);
        }
      }
      for (const b of findObjects(out, 'ClusterRoleBinding')) {
        expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: b.roleRef.name.replace(/-istio-system$/, ''), namespace: 'istio-system' }]);
        findObject(out, 'ClusterRole', b.roleRef.name);
      }
    });
  });

  describe('wiring', () => {
    test('the tracing provider points at the Jaeger collector Service\'s DNS name and OTLP gRPC port', () => {
      const { chart, out } = stack();
      const entry = MeshModel.of(chart).extensionProviders.find((p) => p.name === 'jaeger')!.entry as any;
      const collector = findObject(out, 'Service', 'jaeger-collector');
      expect(entry.opentelemetry.service).toBe(`${collector.metadata.name}.${collector.metadata.namespace}.svc.cluster.local`);
      const port = collector.spec.ports.find((p: any) => p.port === entry.opentelemetry.port);
      expect(port).toMatchObject({ name: 'grpc-otel', appProtocol: 'grpc' });
      // and the collector Service reaches a Jaeger container listening on it
      const [jaeger] = podsOf(out, collector);
      expect(jaeger.spec.template.spec.containers[0].ports.map((p: any) => p.containerPort)).toContain(port.targetPort);
      expect(findObject(out, 'Telemetry', 'mesh-default').spec.tracing[0].providers).toEqual([{ name: 'jaeger' }]);
    });

    test('the Grafana datasource URL resolves to the Prometheus Service', () => {
      const { out } = stack();
      const ds = YAML.parse(findObject(out, 'ConfigMap', 'grafana').data['datasources.yaml']);
      const prom = ds.datasources.find((d: any) => d.type === 'prometheus');
      const { service, port } = resolveUrl(out, prom.url);
      expect(service.metadata.name).toBe('prometheus');
      expect(podsOf(out, service).map((d) => d.metadata.name)).toEqual(['prometheus']);
      expect(port.targetPort).toBe(9090);
      const jaeger = ds.datasources.find((d: any) => d.type === 'jaeger');
      expect(resolveUrl(out, jaeger.url).service.metadata.name).toBe('tracing');
    });

    test('Kiali\'s config points at the Prometheus, Grafana and Jaeger Services in the output', () => {
      const { out } = stack();
      const cfg = YAML.parse(findObject(out, 'ConfigMap', 'kiali').data['config.yaml']);
      const ext = cfg.external_services;
      expect(podsOf(out, resolveUrl(out, ext.prometheus.url).service).map((d) => d.metadata.name)).toEqual(['prometheus']);
      expect(ext.grafana.enabled).toBe(true);
      expect(podsOf(out, resolveUrl(out, ext.grafana.internal_url).service).map((d) => d.metadata.name)).toEqual(['grafana']);
      expect(ext.tracing).toMatchObject({ enabled: true, provider: 'jaeger', use_grpc: false });
      const tracing = resolveUrl(out, ext.tracing.internal_url);
      expect(tracing.service.metadata.name).toBe('tracing');
      expect(podsOf(out, tracing.service).map((d) => d.metadata.name)).toEqual(['jaeger']);
      // the dashboards Kiali links to exist in Grafana
      const dashboards = Object.values(findObject(out, 'ConfigMap', 'grafana-dashboards-istio').data).map((j: any) => JSON.parse(j).title);
      for (const d of ext.grafana.dashboards) expect(dashboards).toContain(d.name);
      expect(cfg.deployment).toMatchObject({ view_only_mode: true, cluster_wide_access: true });
    });
  });

  describe('each addon alone', () => {
    test('only Jaeger', () => {
      const chart = Testing.chart();
      const s = new ObservabilityStack(chart, 'o', { prometheus: false, grafana: false, kiali: false });
      const out = synthAndValidate(chart);
      expect(findObjects(out, 'Deployment').map((d) => d.metadata.name)).toEqual(['jaeger']);
      expect(s.prometheus).toBeUndefined();
      expect(s.tracingProvider?.tracingProviderName).toBe('jaeger');
    });

    test('only Prometheus', () => {
      const chart = Testing.chart();
      new ObservabilityStack(chart, 'o', { grafana: false, kiali: false, jaeger: false, namespace: 'observability' });
      const out = synthAndValidate(chart);
      expect(findObjects(out, 'Deployment').map((d) => `${d.metadata.namespace}/${d.metadata.name}`)).toEqual(['observability/prometheus']);
      expect(MeshModel.of(chart).extensionProviders).toEqual([]);
    });

    test('Prometheus off while Grafana or Kiali is on', () => {
      const chart = Testing.chart();
      expect(() => new ObservabilityStack(chart, 'o', { prometheus: false })).toThrow(
        "[test/o] 'prometheus' must be true while Grafana or Kiali is enabled (they query it), got false. Fix: set grafana: false and kiali: false too, or use GrafanaAddon/KialiAddon directly with another Prometheus");
    });
  });
});
