import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Testing } from 'cdk8s';
import * as YAML from 'yaml';
import { AccessLogEncoding, EnvoyFileAccessLogProvider, IstioControlPlane, IstioControlPlaneProps, ISTIO_VERSION, MeshNamespace, MeshProviders, OpenTelemetryTracingProvider, OutboundTrafficPolicyMode } from '../../src';
import { MeshModel } from '../../src/model';
import { findObject, findObjects, ISTIO_CRD_FILE, ownObjects, synthAndValidate } from '../util';

function controlPlane(props: IstioControlPlaneProps = {}) {
  const chart = Testing.chart();
  const cp = new IstioControlPlane(chart, 'istio', { crds: false, ...props });
  return { chart, cp };
}

const mesh = (out: any[], name = 'istio') => YAML.parse(findObject(out, 'ConfigMap', name).data.mesh);

describe('IstioControlPlane', () => {
  describe('objects', () => {
    test('default revision: namespace, istiod, config, webhooks (no CRDs when crds: false)', () => {
      const { chart } = controlPlane();
      const out = synthAndValidate(chart);
      expect(out.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
        'Namespace/istio-system',
        'ServiceAccount/istiod',
        'ClusterRole/istiod-clusterrole-istio-system',
        'ClusterRoleBinding/istiod-clusterrole-istio-system',
        'Role/istiod',
        'RoleBinding/istiod',
        'ConfigMap/istio',
        'ConfigMap/istio-sidecar-injector',
        'MutatingWebhookConfiguration/istio-sidecar-injector',
        'ValidatingWebhookConfiguration/istio-validator-istio-system',
        'ValidatingWebhookConfiguration/istiod-default-validator',
        'Deployment/istiod',
        'Service/istiod',
        'HorizontalPodAutoscaler/istiod',
      ]);
      expect(findObject(out, 'Deployment', 'istiod').spec.template.spec.containers[0].image).toBe('docker.io/istio/pilot:1.30.3');
      expect(out.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name)).not.toContain('istio-ca-root-cert');
      expect(ownObjects(out)).toMatchSnapshot();
    });

    test('crds: true (default) emits the 15 Istio CRDs', () => {
      const chart = Testing.chart();
      new IstioControlPlane(chart, 'istio');
      expect(findObjects(synthAndValidate(chart), 'CustomResourceDefinition')).toHaveLength(15);
    });

    test('the default image tag, the shipped CRDs and the test schemas are one Istio release', () => {
      const chart = Testing.chart();
      new IstioControlPlane(chart, 'istio');
      const out = synthAndValidate(chart);
      const tag = findObject(out, 'Deployment', 'istiod').spec.template.spec.containers[0].image.split(':').pop();
      expect(tag).toBe(ISTIO_VERSION);
      expect(path.basename(path.dirname(ISTIO_CRD_FILE))).toBe(ISTIO_VERSION);
      const release = YAML.parseAllDocuments(fs.readFileSync(ISTIO_CRD_FILE, 'utf8')).map((d) => d.toJS()).filter((d) => d);
      const emitted = findObjects(out, 'CustomResourceDefinition');
      expect(emitted.map((c) => c.metadata.name).sort()).toEqual(release.map((c: any) => c.metadata.name).sort());
      for (const crd of emitted) expect(crd).toEqual(release.find((c: any) => c.metadata.name === crd.metadata.name));
    });

    test('crdFile points at another CRD file', () => {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'crds-')), 'crds.yaml');
      const all = YAML.parseAllDocuments(fs.readFileSync(ISTIO_CRD_FILE, 'utf8')).map((d) => d.toJS()).filter((d) => d);
      fs.writeFileSync(file, YAML.stringify(all.find((c: any) => c.spec.names.kind === 'Sidecar')));
      const chart = Testing.chart();
      new IstioControlPlane(chart, 'istio', { crdFile: file });
      expect(findObjects(synthAndValidate(chart), 'CustomResourceDefinition').map((c) => c.metadata.name)).toEqual(['sidecars.networking.istio.io']);
    });
  });

  describe('webhooks', () => {
    test('validating webhooks fail open at install (istiod sets Fail once ready); injection fails closed; no caBundle', () => {
      const chart = Testing.chart();
      new IstioControlPlane(chart, 'istio', { crds: false });
      new IstioControlPlane(chart, 'canary', { crds: false, revision: '1-30' });
      const out = synthAndValidate(chart);
      const validating = findObjects(out, 'ValidatingWebhookConfiguration');
      expect(validating.map((v) => v.metadata.name)).toEqual(['istio-validator-istio-system', 'istiod-default-validator', 'istio-validator-1-30-istio-system']);
      for (const w of validating.flatMap((v) => v.webhooks)) {
        expect(w.failurePolicy).toBe('Ignore');
        expect(w.clientConfig.caBundle).toBeUndefined();
      }
      // istiod's validation controller finds its configurations by these labels to patch them
      for (const v of validating) expect(Object.keys(v.metadata.labels)).toEqual(expect.arrayContaining(['app', 'istio', 'istio.io/rev']));
      const mutating = findObjects(out, 'MutatingWebhookConfiguration');
      expect(mutating).toHaveLength(2);
      for (const w of mutating.flatMap((m) => m.webhooks)) {
        expect(w.failurePolicy).toBe('Fail');
        expect(w.clientConfig.caBundle).toBeUndefined();
      }
    });
  });

  describe('revisions', () => {
    test('revision 1-30 gets revisioned names, labels, selectors and only the rev webhooks', () => {
      const { chart } = controlPlane({ revision: '1-30' });
      const out = synthAndValidate(chart);
      const names = out.map((o) => `${o.kind}/${o.metadata.name}`);
      expect(names).toEqual(expect.arrayContaining([
        'ServiceAccount/istiod-1-30', 'ClusterRole/istiod-clusterrole-1-30-istio-system', 'Role/istiod-1-30', 'ConfigMap/istio-1-30',
        'ConfigMap/istio-sidecar-injector-1-30', 'MutatingWebhookConfiguration/istio-sidecar-injector-1-30',
        'ValidatingWebhookConfiguration/istio-validator-1-30-istio-system', 'Deployment/istiod-1-30', 'Service/istiod-1-30',
      ]));
      expect(names).not.toContain('ValidatingWebhookConfiguration/istiod-default-validator');
      const d = findObject(out, 'Deployment', 'istiod-1-30');
      expect(d.spec.selector.matchLabels).toEqual({ 'app': 'istiod', 'istio.io/rev': '1-30' });
      expect(d.spec.template.metadata.labels.istio).toBeUndefined();
      expect(d.spec.template.spec.containers[0].env).toContainEqual({ name: 'REVISION', value: '1-30' });
      expect(findObject(out, 'Service', 'istiod-1-30').spec.selector).toEqual({ 'app': 'istiod', 'istio.io/rev': '1-30' });
      const mwc = findObject(out, 'MutatingWebhookConfiguration', 'istio-sidecar-injector-1-30');
      expect(mwc.webhooks.map((w: any) => w.name)).toEqual(['rev.namespace.sidecar-injector.istio.io', 'rev.object.sidecar-injector.istio.io']);
      expect(mwc.webhooks[0].namespaceSelector.matchExpressions[0]).toEqual({ key: 'istio.io/rev', operator: 'In', values: ['1-30'] });
      expect(mwc.webhooks[0].clientConfig.service).toEqual({ name: 'istiod-1-30', namespace: 'istio-system', path: '/inject', port: 443 });
      expect(mesh(out, 'istio-1-30').defaultConfig.discoveryAddress).toBe('istiod-1-30.istio-system.svc:15012');
      expect(ownObjects(out)).toMatchSnapshot();
    });

    test('two control planes side by side (canary upgrade) validate together', () => {
      const chart = Testing.chart();
      new IstioControlPlane(chart, 'stable', { tag: '1.29.2' });
      new IstioControlPlane(chart, 'canary', { revision: '1-30', tag: '1.30.3' });
      const out = synthAndValidate(chart);
      expect(findObjects(out, 'Deployment').map((d) => d.metadata.name)).toEqual(['istiod', 'istiod-1-30']);
      // the namespace and the CRDs are shared, emitted once
      expect(findObjects(out, 'Namespace')).toHaveLength(1);
      expect(findObjects(out, 'CustomResourceDefinition')).toHaveLength(15);
      expect(MeshModel.of(chart).controlPlanes.map((c) => c.revision)).toEqual([undefined, '1-30']);
    });
  });

  describe('scaling', () => {
    test('replicas > 1 adds a PodDisruptionBudget; autoscaleMaxReplicas = replicas disables the HPA', () => {
      const { chart } = controlPlane({ replicas: 2, autoscaleMaxReplicas: 2 });
      const out = synthAndValidate(chart);
      expect(findObjects(out, 'HorizontalPodAutoscaler')).toEqual([]);
      expect(findObject(out, 'Deployment', 'istiod').spec.replicas).toBe(2);
      expect(findObject(out, 'PodDisruptionBudget', 'istiod').spec).toEqual({ minAvailable: 1, selector: { matchLabels: { istio: 'pilot' } } });
    });

    test('HPA bounds and CPU target', () => {
      const { chart } = controlPlane({ replicas: 2, autoscaleMaxReplicas: 8, autoscaleTargetCpuUtilization: 60 });
      const hpa = findObject(synthAndValidate(chart), 'HorizontalPodAutoscaler', 'istiod');
      expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 8, metrics: [{ resource: { target: { averageUtilization: 60 } } }] });
    });
  });

  describe('root namespace', () => {
    test('a root namespace other than the control plane\'s is created by the control plane (mesh-wide config must land somewhere)', () => {
      const { chart } = controlPlane({ namespace: 'mesh-system', rootNamespace: 'mesh-config' });
      const out = synthAndValidate(chart);
      expect(findObjects(out, 'Namespace').map((n) => n.metadata.name).sort()).toEqual(['mesh-config', 'mesh-system']);
      // config only, no pods: explicitly not injected (IST0102 otherwise)
      expect(findObject(out, 'Namespace', 'mesh-config').metadata.labels).toEqual({ 'istio-injection': 'disabled' });
      expect(mesh(out).rootNamespace).toBe('mesh-config');
    });

    test('the control plane\'s own namespace as root: one Namespace', () => {
      const { chart } = controlPlane({ rootNamespace: 'istio-system' });
      expect(findObjects(synthAndValidate(chart), 'Namespace').map((n) => n.metadata.name)).toEqual(['istio-system']);
    });

    test('a MeshNamespace declared first is the root namespace: the control plane does not create a second one', () => {
      const chart = Testing.chart();
      new MeshNamespace(chart, 'mesh-config', { injection: false, labels: { team: 'platform' } });
      new IstioControlPlane(chart, 'istio', { crds: false, rootNamespace: 'mesh-config' });
      const roots = findObjects(synthAndValidate(chart), 'Namespace', 'mesh-config');
      expect(roots).toHaveLength(1);
      expect(roots[0].metadata.labels).toEqual({ 'team': 'platform', 'istio-injection': 'disabled' });
    });

    test('two control planes with one root namespace create it once', () => {
      const chart = Testing.chart();
      new IstioControlPlane(chart, 'old', { crds: false, revision: '1-29', rootNamespace: 'mesh-config' });
      new IstioControlPlane(chart, 'new', { crds: false, revision: '1-30', rootNamespace: 'mesh-config' });
      expect(findObjects(synthAndValidate(chart), 'Namespace', 'mesh-config')).toHaveLength(1);
    });
  });

  describe('mesh config', () => {
    test('typed fields render into the istio ConfigMap', () => {
      const { chart } = controlPlane({
        accessLogFile: '/dev/stdout',
        accessLogEncoding: AccessLogEncoding.JSON,
        outboundTrafficPolicy: OutboundTrafficPolicyMode.ALLOW_ANY,
        proxyConcurrency: 2,
        holdApplicationUntilProxyStarts: false,
        terminationDrainDuration: Duration.seconds(20),
        trustDomain: 'acme.com',
        rootNamespace: 'mesh-root',
        traceSampling: 10,
        defaultTracingProvider: MeshProviders.tracingFromName('otel'),
      });
      new EnvoyFileAccessLogProvider(chart, 'json-log', { name: 'stdout-json', path: '/dev/stdout' });
      new OpenTelemetryTracingProvider(chart, 'otel', { name: 'otel', service: 'otel-collector.observability.svc.cluster.local', port: 4317 });
      const out = synthAndValidate(chart);
      expect(mesh(out)).toEqual({
        defaultConfig: { discoveryAddress: 'istiod.istio-system.svc:15012', holdApplicationUntilProxyStarts: false, terminationDrainDuration: '20s', concurrency: 2 },
        defaultProviders: { metrics: ['prometheus'], tracing: ['otel'], accessLogging: ['mesh-access-log'] },
        enablePrometheusMerge: true,
        rootNamespace: 'mesh-root',
        trustDomain: 'acme.com',
        outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
        extensionProviders: [
          { name: 'mesh-access-log', envoyFileAccessLog: { path: '/dev/stdout', logFormat: { labels: {} } } },
          { name: 'stdout-json', envoyFileAccessLog: { path: '/dev/stdout' } },
          { name: 'otel', opentelemetry: { service: 'otel-collector.observability.svc.cluster.local', port: 4317 } },
        ],
      });
      expect(findObject(out, 'Deployment', 'istiod').spec.template.spec.containers[0].env).toContainEqual({ name: 'PILOT_TRACE_SAMPLING', value: '10' });
    });

    describe('access logs: accessLogFile/accessLogEncoding become the mesh\'s default access-log provider', () => {
      test('JSON: an envoyFileAccessLog provider with Istio\'s JSON fields, named in defaultProviders; no legacy accessLogFile', () => {
        const { chart, cp } = controlPlane({ accessLogFile: '/dev/stdout', accessLogEncoding: AccessLogEncoding.JSON });
        const m = mesh(synthAndValidate(chart));
        expect(cp.accessLogProvider?.accessLogProviderName).toBe('mesh-access-log');
        expect(m.extensionProviders).toEqual([{ name: 'mesh-access-log', envoyFileAccessLog: { path: '/dev/stdout', logFormat: { labels: {} } } }]);
        expect(m.defaultProviders.accessLogging).toEqual(['mesh-access-log']);
        // the legacy fields are what a Telemetry silently overrides: not emitted
        expect(m.accessLogFile).toBeUndefined();
        expect(m.accessLogEncoding).toBeUndefined();
      });

      test('TEXT (default encoding) to a file: the provider carries the path and Istio\'s text format', () => {
        const { chart, cp } = controlPlane({ accessLogFile: '/var/log/istio/access.log' });
        const m = mesh(synthAndValidate(chart));
        expect(m.extensionProviders).toEqual([{ name: 'mesh-access-log', envoyFileAccessLog: { path: '/var/log/istio/access.log' } }]);
        expect(m.defaultProviders.accessLogging).toEqual([cp.accessLogProvider!.accessLogProviderName]);
      });

      test('no accessLogFile: no access-log provider, no default (no access logs unless a Telemetry asks)', () => {
        const { chart, cp } = controlPlane();
        const m = mesh(synthAndValidate(chart));
        expect(cp.accessLogProvider).toBeUndefined();
        expect(m.defaultProviders).toEqual({ metrics: ['prometheus'] });
        expect(m.extensionProviders).toBeUndefined();
      });

      test('two revisions side by side each name their own provider', () => {
        const chart = Testing.chart();
        const a = new IstioControlPlane(chart, 'istio', { crds: false, accessLogFile: '/dev/stdout', accessLogEncoding: AccessLogEncoding.JSON });
        const b = new IstioControlPlane(chart, 'canary', { crds: false, revision: '1-30', accessLogFile: '/dev/stdout' });
        const out = synthAndValidate(chart);
        expect([a.accessLogProvider!.accessLogProviderName, b.accessLogProvider!.accessLogProviderName]).toEqual(['mesh-access-log', 'mesh-access-log-1-30']);
        const canaryMesh = YAML.parse(findObject(out, 'ConfigMap', 'istio-1-30').data.mesh);
        expect(canaryMesh.defaultProviders.accessLogging).toEqual(['mesh-access-log-1-30']);
        expect(canaryMesh.extensionProviders).toContainEqual({ name: 'mesh-access-log-1-30', envoyFileAccessLog: { path: '/dev/stdout' } });
      });
    });

    test('secure defaults: REGISTRY_ONLY egress, hold application until the proxy starts', () => {
      const { chart } = controlPlane();
      const m = mesh(synthAndValidate(chart));
      expect(m.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
      expect(m.defaultConfig.holdApplicationUntilProxyStarts).toBe(true);
      expect(m.accessLogFile).toBeUndefined();
    });

    test('providers registered in the mesh model by other constructs are rendered lazily', () => {
      const { chart } = controlPlane();
      MeshModel.of(chart).addExtensionProvider({ name: 'otel', path: 'test/Tracing', entry: { name: 'otel', opentelemetry: { service: 'otel.istio-system.svc.cluster.local', port: 4317 } } });
      expect(mesh(synthAndValidate(chart)).extensionProviders).toEqual([{ name: 'otel', opentelemetry: { service: 'otel.istio-system.svc.cluster.local', port: 4317 } }]);
    });

    test('the default tracing provider must be declared somewhere in the app', () => {
      const { chart } = controlPlane({ defaultTracingProvider: MeshProviders.tracingFromName('jaeger') });
      expect(() => synthAndValidate(chart)).toThrow(
        "[test/istio] CP002: 'defaultTracingProvider' must name an extension provider declared in the app, got \"jaeger\". Fix: declare it, e.g. new OpenTelemetryTracingProvider(...) or jaeger.addTracingProvider()");
    });
  });

  describe('least privilege', () => {
    test('no RBAC rule uses a wildcard outside upstream\'s (Istio/Gateway API read, ingresses/status)', () => {
      const { chart } = controlPlane({ gatewayApiDeploymentController: true, multiclusterReader: true });
      const out = synthAndValidate(chart);
      for (const role of [...findObjects(out, 'ClusterRole'), ...findObjects(out, 'Role')]) {
        for (const r of role.rules) {
          if (r.resources.includes('*')) {
            expect(r.apiGroups.every((g: string) => g.endsWith('istio.io') || g.startsWith('gateway.networking'))).toBe(true);
            expect(r.verbs).toEqual(expect.not.arrayContaining(['create', 'update', 'patch', 'delete', '*']));
          }
          if (r.verbs.includes('*')) expect(r.resources).toEqual(['ingresses/status']);
        }
      }
    });

    test('istiod runs non-root, read-only, without capabilities, with RuntimeDefault seccomp', () => {
      const { chart } = controlPlane();
      const c = findObject(synthAndValidate(chart), 'Deployment', 'istiod').spec.template.spec.containers[0];
      expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    });
  });

  describe('errors', () => {
    const cases: Array<[string, IstioControlPlaneProps, string]> = [
      ['revision default', { revision: 'default' }, '[test/istio] \'revision\' must not be \'default\' (the name of the unrevisioned control plane), got "default". Fix: leave revision unset for the default revision, or name it after the version, e.g. \'1-30\''],
      ['revision with dots', { revision: '1.30' }, '[test/istio] \'revision\' must be a DNS-1123 label'],
      ['bad tag', { tag: 'v 1' }, '[test/istio] \'tag\' must be a non-empty image registry/tag without whitespace, got "v 1"'],
      ['replicas 0', { replicas: 0 }, '[test/istio] \'replicas\' must be a whole number between 1 and 100, got 0'],
      ['max < replicas', { replicas: 3, autoscaleMaxReplicas: 2 }, '[test/istio] \'autoscaleMaxReplicas\' must be a whole number between 3 and 100, got 2. Fix: set it to at least replicas (3)'],
      ['trace sampling', { traceSampling: 150 }, '[test/istio] \'traceSampling\' must be a percentage between 0 and 100, got 150'],
      ['encoding without file', { accessLogEncoding: AccessLogEncoding.JSON }, '[test/istio] \'accessLogEncoding\' has no effect without accessLogFile, got "JSON"'],
      ['relative log file', { accessLogFile: 'access.log' }, '[test/istio] \'accessLogFile\' must be an absolute path in the proxy container, got "access.log"'],
      ['missing crdFile', { crds: true, crdFile: '/nonexistent/crds.yaml' }, '[test/istio] \'crdFile\' must be an existing file, got "/nonexistent/crds.yaml"'],
      ['bad trust domain', { trustDomain: 'Acme_Corp' }, '[test/istio] \'trustDomain\' must be a domain name'],
    ];
    test.each(cases)('%s', (_, props, message) => {
      expect(() => controlPlane(props)).toThrow(message);
    });

    test('CP001: two control planes with the same revision', () => {
      const chart = Testing.chart();
      new IstioControlPlane(chart, 'a', { crds: false });
      new IstioControlPlane(chart, 'b', { crds: false });
      expect(() => synthAndValidate(chart)).toThrow('[test/b] CP001: \'revision\' must be unique in the app: test/a already installs that revision, got "default". Fix: give the second control plane another revision (canary upgrade) or remove it');
    });
  });
});
