import * as fs from 'fs';
import * as path from 'path';
import { Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as YAML from 'yaml';
import { DataPlaneMode, IstioControlPlane } from '../../src';
import { ISTIO_RELEASE_DIR, err, synthAndValidate } from '../util';

/**
 * Parity of the ambient data plane with upstream's istioctl renders of the node agents
 * (../shared/istio/<ISTIO_VERSION>/istio-cni.golden.yaml, ztunnel.golden.yaml: hub
 * registry.istio.io/testing, tag latest; the cni golden was rendered without
 * `ambient.enabled`, the ztunnel one with the ambient profile) and with
 * profile-ambient.yaml. Every deliberate difference is listed with its reason, and each
 * listed difference is checked to really be one.
 */

const HUB = 'registry.istio.io/testing';
const TAG = 'latest';

function parseAll(file: string): any[] {
  return YAML.parseAllDocuments(fs.readFileSync(path.join(ISTIO_RELEASE_DIR, file), 'utf8')).map((d) => d.toJS()).filter((d) => d);
}

function synthAmbient(extra: Record<string, unknown> = {}): any[] {
  const chart = Testing.chart();
  new IstioControlPlane(chart, 'istio', { hub: HUB, tag: TAG, crds: false, dataPlane: DataPlaneMode.AMBIENT, ...extra });
  return synthAndValidate(chart);
}

const find = (objs: any[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);

/** Labels of the goldens we do not emit: Helm/operator bookkeeping that no controller reads. */
const BOOKKEEPING_LABELS: Record<string, string> = {
  'app.kubernetes.io/instance': 'Helm release name',
  'app.kubernetes.io/managed-by': 'Helm',
  'app.kubernetes.io/version': 'chart version (1.0.0 in the golden), not the Istio version',
  'helm.sh/chart': 'Helm chart name and version',
  'release': 'Helm release name',
  'install.operator.istio.io/owning-resource': 'istioctl operator ownership',
  'operator.istio.io/component': 'istioctl operator component',
};
/** Labels we add. */
const ADDED_LABELS: Record<string, string> = {
  'app.kubernetes.io/part-of': 'istio, like every other control-plane object cdk8s-mesh emits',
};

function expectLabels(ours: Record<string, string>, golden: Record<string, string>): void {
  const expected = Object.fromEntries(Object.entries(golden).filter(([k]) => !(k in BOOKKEEPING_LABELS)));
  const added = Object.fromEntries(Object.entries(ours).filter(([k]) => !(k in golden)));
  expect(Object.fromEntries(Object.entries(ours).filter(([k]) => k in golden))).toEqual(expected);
  for (const k of Object.keys(added)) expect(k in ADDED_LABELS || k === 'istio.io/rev' || k === 'app').toBe(true);
}

describe('istio-cni DaemonSet vs istio-cni.golden.yaml', () => {
  const golden = find(parseAll('istio-cni.golden.yaml'), 'DaemonSet', 'istio-cni-node');
  const ours = find(synthAmbient(), 'DaemonSet', 'istio-cni-node');
  const gc = golden.spec.template.spec.containers[0];
  const oc = ours.spec.template.spec.containers[0];

  /** Container fields that differ, with the reason. */
  const CONTAINER_DIFF: Record<string, string> = {
    image: 'the ambient profile sets global.variant distroless: install-cni:<tag>-distroless (the golden is not rendered with the ambient profile)',
    volumeMounts: 'ambient.enabled adds /host/var/run/netns (HostToContainer) and /var/run/ztunnel (the socket ztunnel receives pod netns on)',
  };
  const POD_DIFF: Record<string, string> = {
    volumes: 'ambient.enabled adds the cni-ztunnel-sock-dir hostPath',
  };

  test('metadata and selector', () => {
    expect(ours.metadata.name).toBe(golden.metadata.name);
    expect(ours.metadata.namespace).toBe(golden.metadata.namespace);
    expectLabels(ours.metadata.labels, golden.metadata.labels);
    expect(ours.spec.selector).toEqual(golden.spec.selector);
    expect(ours.spec.updateStrategy).toEqual(golden.spec.updateStrategy);
    expectLabels(ours.spec.template.metadata.labels, golden.spec.template.metadata.labels);
    expect(ours.spec.template.metadata.annotations).toEqual(golden.spec.template.metadata.annotations);
  });

  test('every container field equals the golden, except the listed ones', () => {
    const keys = new Set([...Object.keys(gc), ...Object.keys(oc)]);
    const differing = [...keys].filter((k) => JSON.stringify(gc[k]) !== JSON.stringify(oc[k])).sort();
    expect(differing).toEqual(Object.keys(CONTAINER_DIFF).sort());
    expect(oc.image).toBe(`${gc.image}-distroless`);
    // the golden's mounts are all there, unchanged, plus the two ambient ones
    expect(oc.volumeMounts.slice(0, gc.volumeMounts.length)).toEqual(gc.volumeMounts);
    expect(oc.volumeMounts.slice(gc.volumeMounts.length)).toEqual([
      { mountPath: '/host/var/run/netns', mountPropagation: 'HostToContainer', name: 'cni-netns-dir' },
      { mountPath: '/var/run/ztunnel', name: 'cni-ztunnel-sock-dir' },
    ]);
  });

  test('every pod spec field equals the golden, except the listed ones', () => {
    const gs = golden.spec.template.spec;
    const os = ours.spec.template.spec;
    const keys = new Set([...Object.keys(gs), ...Object.keys(os)].filter((k) => k !== 'containers'));
    const differing = [...keys].filter((k) => JSON.stringify(gs[k]) !== JSON.stringify(os[k])).sort();
    expect(differing).toEqual(Object.keys(POD_DIFF).sort());
    const byName = (vs: any[]) => Object.fromEntries(vs.map((v) => [v.name, v]));
    expect(byName(os.volumes)).toEqual({ ...byName(gs.volumes), 'cni-ztunnel-sock-dir': { name: 'cni-ztunnel-sock-dir', hostPath: { path: '/var/run/ztunnel', type: 'DirectoryOrCreate' } } });
  });

  test('capabilities: exactly upstream\'s five, everything else dropped, not privileged', () => {
    expect(oc.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW', 'SYS_PTRACE', 'SYS_ADMIN', 'DAC_OVERRIDE'] });
    expect(oc.securityContext.privileged).toBe(false);
  });
});

describe('ztunnel DaemonSet vs ztunnel.golden.yaml', () => {
  const golden = find(parseAll('ztunnel.golden.yaml'), 'DaemonSet', 'ztunnel');
  const ours = find(synthAmbient(), 'DaemonSet', 'ztunnel');
  const gc = golden.spec.template.spec.containers[0];
  const oc = ours.spec.template.spec.containers[0];

  const CONTAINER_DIFF: Record<string, string> = {
    resources: 'the golden\'s test values (100m/100Mi, limits 200m/200Mi); we use the chart defaults (requests 200m/512Mi, no limits: a throttled or OOM-killed ztunnel cuts off every ambient pod of the node); AmbientOptions.ztunnelResources sets them',
  };
  const POD_DIFF: Record<string, string> = {
    automountServiceAccountToken: 'false (added): ztunnel authenticates to istiod with the projected istio-token and never calls the Kubernetes API (upstream grants it no RBAC), so the API token is not mounted',
  };

  test('metadata and selector', () => {
    expect(ours.metadata.name).toBe(golden.metadata.name);
    expect(ours.metadata.namespace).toBe(golden.metadata.namespace);
    expectLabels(ours.metadata.labels, golden.metadata.labels);
    expect(ours.spec.selector).toEqual(golden.spec.selector);
    expect(ours.spec.updateStrategy).toEqual(golden.spec.updateStrategy);
    expectLabels(ours.spec.template.metadata.labels, golden.spec.template.metadata.labels);
    expect(ours.spec.template.metadata.annotations).toEqual(golden.spec.template.metadata.annotations);
  });

  test('every container field equals the golden, except the listed ones', () => {
    const keys = new Set([...Object.keys(gc), ...Object.keys(oc)]);
    const differing = [...keys].filter((k) => JSON.stringify(gc[k]) !== JSON.stringify(oc[k])).sort();
    expect(differing).toEqual(Object.keys(CONTAINER_DIFF).sort());
    expect(oc.resources).toEqual({ requests: { cpu: '200m', memory: '512Mi' } });
  });

  test('every pod spec field equals the golden, except the listed ones', () => {
    const gs = golden.spec.template.spec;
    const os = ours.spec.template.spec;
    const keys = new Set([...Object.keys(gs), ...Object.keys(os)].filter((k) => k !== 'containers'));
    const differing = [...keys].filter((k) => JSON.stringify(gs[k]) !== JSON.stringify(os[k])).sort();
    expect(differing).toEqual(Object.keys(POD_DIFF).sort());
    expect(os.automountServiceAccountToken).toBe(false);
  });

  test('resources are configurable', () => {
    const ztunnelResources = { cpu: { request: kplus.Cpu.millis(300) }, memory: { request: Size.mebibytes(256) } };
    const objs = synthAmbient({ ambient: { ztunnelResources } });
    const c = find(objs, 'DaemonSet', 'ztunnel').spec.template.spec.containers[0];
    expect(c.resources).toEqual({ requests: { cpu: '300m', memory: '256Mi' } });
  });
});

describe('istiod, mesh config and the other objects vs profile-ambient.yaml', () => {
  const profile = YAML.parse(fs.readFileSync(path.join(ISTIO_RELEASE_DIR, 'profile-ambient.yaml'), 'utf8'));
  const objs = synthAmbient();
  const istiod = find(objs, 'Deployment', 'istiod');
  const env = Object.fromEntries(istiod.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));

  test('pilot.env of the profile is on istiod, and istiod trusts ztunnel\'s identity', () => {
    for (const [k, v] of Object.entries(profile.pilot.env)) expect(env[k]).toBe(v);
    expect(env.CA_TRUSTED_NODE_ACCOUNTS).toBe('istio-system/ztunnel');
    // waypoints are deployed by istiod's Gateway API deployment controller
    expect(env.PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER).toBeUndefined();
    expect(find(objs, 'ClusterRole', 'istiod-gateway-controller-istio-system')).toBeDefined();
    const injector = YAML.parse(find(objs, 'ConfigMap', 'istio-sidecar-injector').data.config);
    expect(Object.keys(injector.templates)).toContain('waypoint');
  });

  test('meshConfig of the profile is in the mesh config', () => {
    const mesh = YAML.parse(find(objs, 'ConfigMap', 'istio').data.mesh);
    expect(mesh).toMatchObject(profile.meshConfig);
  });

  test('cni.ambient.enabled of the profile: the agent runs in ambient mode', () => {
    const cm = find(objs, 'ConfigMap', 'istio-cni-config');
    expect(cm.data.AMBIENT_ENABLED).toBe(String(profile.cni.ambient.enabled));
    expect(YAML.parse(cm.data.AMBIENT_ENABLEMENT_SELECTOR)[1].namespaceSelector).toEqual({ matchLabels: { 'istio.io/dataplane-mode': 'ambient' } });
    const ds = find(objs, 'DaemonSet', 'istio-cni-node');
    expect(ds.spec.template.spec.containers[0].envFrom).toEqual([{ configMapRef: { name: 'istio-cni-config' } }]);
  });

  test('deliberate: global.variant distroless applies to the node agents only', () => {
    // istiod and the injected proxies keep the default images: the same images as a sidecar
    // install, so sidecar and ambient namespaces run one proxy build (and the injection
    // conformance stage compares like for like)
    expect(profile.global.variant).toBe('distroless');
    expect(istiod.spec.template.spec.containers[0].image).toBe(`${HUB}/pilot:${TAG}`);
    expect(JSON.parse(find(objs, 'ConfigMap', 'istio-sidecar-injector').data.values).global.variant).toBe('');
    expect(find(objs, 'DaemonSet', 'ztunnel').spec.template.spec.containers[0].image).toBe(`${HUB}/ztunnel:${TAG}-distroless`);
  });

  test('RBAC of istio-cni: read pods/nodes/namespaces, repair, ambient (its own DaemonSet, pods/status only)', () => {
    const rules = (name: string) => find(objs, 'ClusterRole', name).rules;
    expect(rules('istio-cni')).toEqual([{ apiGroups: [''], resources: ['pods', 'nodes', 'namespaces'], verbs: ['get', 'list', 'watch'] }]);
    expect(rules('istio-cni-repair-role')).toEqual([
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['watch', 'get', 'list'] },
    ]);
    expect(rules('istio-cni-ambient')).toEqual([
      { apiGroups: [''], resources: ['pods/status'], verbs: ['patch', 'update'] },
      { apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['istio-cni-node'], verbs: ['get'] },
    ]);
    for (const name of ['istio-cni', 'istio-cni-repair-role', 'istio-cni-ambient']) {
      const b = find(objs, 'ClusterRoleBinding', name);
      expect(b.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name });
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'istio-cni', namespace: 'istio-system' }]);
      expect(b.metadata.namespace).toBeUndefined();
    }
    // ztunnel: a ServiceAccount and no RBAC at all
    expect(find(objs, 'ServiceAccount', 'ztunnel').automountServiceAccountToken).toBe(false);
    expect(objs.filter((o) => o.kind.includes('Role') && JSON.stringify(o).includes('ztunnel'))).toEqual([]);
  });

  test('a sidecar control plane emits none of it', () => {
    const chart = Testing.chart();
    new IstioControlPlane(chart, 'istio', { crds: false });
    const plain = synthAndValidate(chart);
    expect(plain.filter((o) => /ztunnel|istio-cni/.test(o.metadata.name))).toEqual([]);
    const e = plain.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].env.map((x: any) => x.name);
    expect(e).not.toContain('PILOT_ENABLE_AMBIENT');
    expect(YAML.parse(find(plain, 'ConfigMap', 'istio').data.mesh).defaultConfig.proxyMetadata).toBeUndefined();
  });

  test('a revisioned ambient control plane points ztunnel at its istiod', () => {
    const r = synthAmbient({ revision: '1-30' });
    const c = find(r, 'DaemonSet', 'ztunnel').spec.template.spec.containers[0];
    const e = Object.fromEntries(c.env.map((x: any) => [x.name, x.value]));
    expect(e.CA_ADDRESS).toBe('istiod-1-30.istio-system.svc:15012');
    expect(e.XDS_ADDRESS).toBe('istiod-1-30.istio-system.svc:15012');
    expect(find(r, 'DaemonSet', 'ztunnel').spec.template.metadata.annotations['istio.io/rev']).toBe('1-30');
  });
});

describe('bad input', () => {
  test('ambient options without the ambient data plane', () => {
    const chart = Testing.chart();
    expect(err(() => new IstioControlPlane(chart, 'istio', { ambient: { ztunnelLogLevel: 'debug' } }))).toBe((
      '[test/istio] \'ambient\' only applies with dataPlane: DataPlaneMode.AMBIENT, got {"ztunnelLogLevel":"debug"}. Fix: set dataPlane: DataPlaneMode.AMBIENT or remove ambient'));
  });

  test('two ambient control planes in one app', () => {
    const chart = Testing.chart();
    new IstioControlPlane(chart, 'istio', { dataPlane: DataPlaneMode.AMBIENT });
    expect(err(() => new IstioControlPlane(chart, 'canary', { revision: '1-31', crds: false, dataPlane: DataPlaneMode.AMBIENT }))).toBe((
      '[test/canary] \'dataPlane\' must be AMBIENT on one control plane of the app only: test/istio already installs ztunnel and istio-cni, which run once per node, got "AMBIENT". '
      + 'Fix: leave dataPlane unset on the other control planes: one ztunnel and one istio-cni per node serve the cluster'));
  });

  test('a ztunnel log level that is not a RUST_LOG level', () => {
    const chart = Testing.chart();
    expect(err(() => new IstioControlPlane(chart, 'istio', { dataPlane: DataPlaneMode.AMBIENT, ambient: { ztunnelLogLevel: 'LOUD please' } }))).toBe((
      '[test/istio] \'ambient.ztunnelLogLevel\' must be a RUST_LOG level such as \'info\' or \'debug\', got "LOUD please". Fix: use \'info\', \'debug\', \'warn\' or \'error\''));
  });
});
