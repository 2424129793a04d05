import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as YAML from 'yaml';
import { IstioControlPlane } from '../../src';
import { ISTIO_CRD_FILE, ISTIO_RELEASE_DIR, synthAndValidate } from '../util';

/**
 * Parity with upstream's istioctl render of istiod alone
 * (../shared/istio/<ISTIO_VERSION>/pilot_default.golden.yaml: profile `empty` + pilot,
 * hub registry.istio.io/release, tag 1.1.4, meshConfig.rootNamespace istio-control).
 */

const GOLDEN = path.join(ISTIO_RELEASE_DIR, 'pilot_default.golden.yaml');
const CRD_FILE = ISTIO_CRD_FILE;

function parseAll(file: string): any[] {
  return YAML.parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS()).filter((d) => d);
}

const key = (o: any) => `${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`;

/** Objects of the golden we deliberately do not emit, with the reason. */
const NOT_EMITTED: Record<string, string> = {
  'ConfigMap|istio-system|values': 'debug dump of Helm values; upstream annotates it "modifying these values has no effect"',
  'ClusterRole||istio-reader-clusterrole-istio-system': 'multicluster only and reads every Secret cluster-wide: opt-in with multiclusterReader: true (tested below)',
  'ClusterRoleBinding||istio-reader-clusterrole-istio-system': 'as above (binds istio-reader-service-account, which the golden does not even contain)',
  'ClusterRole||istiod-gateway-controller-istio-system': 'cluster-wide write on Deployments/Services/SAs for Gateway API auto-deployment: opt-in with gatewayApiDeploymentController: true (tested below)',
  'ClusterRoleBinding||istiod-gateway-controller-istio-system': 'as above',
};

/** Objects we emit that the golden does not have, with the reason. */
const EXTRA: Record<string, string> = {
  'Namespace||istio-system': 'installers create it out of band; a GitOps repository must contain it',
  'Namespace||istio-control': 'the root namespace (rootNamespace) holds mesh-wide config; installers expect it to exist, a GitOps repository must contain it',
  'ValidatingWebhookConfiguration||istiod-default-validator': 'validates Istio config without an istio.io/rev label (Helm base chart default; istioctl creates it via the default revision tag)',
};

/** istiod env entries that differ from the golden, with the reason. */
const ENV_DIFF = {
  omitted: {
    CA_TRUSTED_NODE_ACCOUNTS: 'lets ztunnel request certificates for other identities: emitted only with dataPlane AMBIENT (ambient-parity.test.ts), least privilege otherwise',
    GOMAXPROCS: 'dropped by upstream HEAD charts (Go sizes GOMAXPROCS from the cgroup limit itself)',
  } as Record<string, string>,
  added: {
    PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER: 'gateway auto-deployment is off by default (no RBAC for it), see above',
    BLOCKED_CIDRS_IN_JWKS_URIS: 'istiod never fetches a RequestAuthentication jwksUri from its own loopback (its debug and webhook ports); istiod reports IST0175 without it',
  } as Record<string, string>,
};

function synthParity(extra: Record<string, unknown> = {}) {
  const chart = Testing.chart();
  new IstioControlPlane(chart, 'istio', { hub: 'registry.istio.io/release', tag: '1.1.4', rootNamespace: 'istio-control', crds: false, ...extra });
  return synthAndValidate(chart);
}

describe('parity with pilot_default.golden.yaml', () => {
  const golden = parseAll(GOLDEN);
  const ours = synthParity();
  const byKey = (objs: any[]) => new Map(objs.map((o) => [key(o), o]));
  const g = byKey(golden);
  const o = byKey(ours);
  const both = (k: string) => [g.get(k), o.get(k)];

  test('every (kind, namespace, name) of the golden has a counterpart, except the listed ones', () => {
    const missing = [...g.keys()].filter((k) => !o.has(k) && !(k in NOT_EMITTED));
    const extra = [...o.keys()].filter((k) => !g.has(k) && !(k in EXTRA));
    expect(missing).toEqual([]);
    expect(extra).toEqual([]);
    // the lists stay honest: each listed difference really is one
    for (const k of Object.keys(NOT_EMITTED)) expect(g.has(k) && !o.has(k)).toBe(true);
    for (const k of Object.keys(EXTRA)) expect(!g.has(k) && o.has(k)).toBe(true);
  });

  test('opt-in objects match the golden when enabled', () => {
    const opted = byKey(synthParity({ multiclusterReader: true, gatewayApiDeploymentController: true }));
    for (const k of Object.keys(NOT_EMITTED).filter((x) => x.startsWith('Cluster'))) {
      expect(opted.get(k)).toBeDefined();
      const [gr, or] = [g.get(k), opted.get(k)];
      if (gr.kind === 'ClusterRole') expect(or.rules).toEqual(gr.rules);
      else expect({ roleRef: or.roleRef, subjects: or.subjects }).toEqual({ roleRef: gr.roleRef, subjects: gr.subjects });
    }
    expect(opted.get('ServiceAccount|istio-system|istio-reader-service-account')).toBeDefined();
  });

  test('istiod container: image, args, ports, probes, volumes match', () => {
    const [gd, od] = both('Deployment|istio-system|istiod');
    const gc = gd.spec.template.spec.containers[0];
    const oc = od.spec.template.spec.containers[0];
    expect(oc.image).toBe(gc.image);
    expect(oc.args).toEqual(gc.args);
    expect(oc.ports).toEqual(gc.ports);
    expect(oc.readinessProbe).toEqual(gc.readinessProbe);
    expect(oc.livenessProbe).toEqual(gc.livenessProbe);
    expect(oc.volumeMounts).toEqual(gc.volumeMounts);
    expect(od.spec.template.spec.volumes).toEqual(gd.spec.template.spec.volumes);
    expect(od.spec.selector).toEqual(gd.spec.selector);
    expect(od.spec.strategy).toEqual(gd.spec.strategy);
    expect(od.spec.template.spec.serviceAccountName).toBe(gd.spec.template.spec.serviceAccountName);
    expect(od.spec.template.spec.tolerations).toEqual(gd.spec.template.spec.tolerations);
    expect(od.spec.template.metadata.annotations).toEqual(gd.spec.template.metadata.annotations);
    // deliberate: seccompProfile RuntimeDefault added (upstream: optional, off)
    expect(oc.securityContext).toEqual({ ...gc.securityContext, seccompProfile: { type: 'RuntimeDefault' } });
    expect(oc.resources).toEqual(gc.resources);
  });

  test('istiod env names match, except the listed ones', () => {
    const [gd, od] = both('Deployment|istio-system|istiod');
    const names = (d: any) => d.spec.template.spec.containers[0].env.map((e: any) => e.name);
    // the golden's names in the golden's order, the added ones anywhere
    expect(names(od).filter((n: string) => !(n in ENV_DIFF.added))).toEqual(names(gd).filter((n: string) => !(n in ENV_DIFF.omitted)));
    expect(names(od)).toEqual(expect.arrayContaining(Object.keys(ENV_DIFF.added)));
    for (const n of Object.keys(ENV_DIFF.omitted)) expect(names(gd)).toContain(n);
    const value = (d: any, n: string) => d.spec.template.spec.containers[0].env.find((e: any) => e.name === n);
    for (const n of ['REVISION', 'PILOT_CERT_PROVIDER', 'POD_NAME', 'POD_NAMESPACE', 'SERVICE_ACCOUNT', 'KUBECONFIG', 'PILOT_TRACE_SAMPLING', 'CLUSTER_ID']) {
      expect(value(od, n)).toEqual(value(gd, n));
    }
  });

  test('Service ports and selector match', () => {
    const [gs, os] = both('Service|istio-system|istiod');
    expect(os.spec.ports).toEqual(gs.spec.ports);
    expect(os.spec.selector).toEqual(gs.spec.selector);
  });

  test('HPA matches', () => {
    const [gh, oh] = both('HorizontalPodAutoscaler|istio-system|istiod');
    expect(oh.spec).toEqual(gh.spec);
  });

  test('RBAC rules and bindings match', () => {
    for (const k of ['ClusterRole||istiod-clusterrole-istio-system', 'Role|istio-system|istiod']) {
      const [gr, or] = both(k);
      expect(or.rules).toEqual(gr.rules);
    }
    for (const k of ['ClusterRoleBinding||istiod-clusterrole-istio-system', 'RoleBinding|istio-system|istiod']) {
      const [gb, ob] = both(k);
      expect(ob.roleRef).toEqual(gb.roleRef);
      expect(ob.subjects).toEqual(gb.subjects);
    }
  });

  test('injection webhooks: names, rules, selectors and clientConfig targets match', () => {
    const [gm, om] = both('MutatingWebhookConfiguration||istio-sidecar-injector');
    const pick = (w: any) => ({
      name: w.name,
      rules: w.rules,
      namespaceSelector: w.namespaceSelector,
      objectSelector: w.objectSelector,
      clientConfig: w.clientConfig,
      failurePolicy: w.failurePolicy,
      sideEffects: w.sideEffects,
      reinvocationPolicy: w.reinvocationPolicy,
      admissionReviewVersions: w.admissionReviewVersions,
    });
    expect(om.webhooks.map(pick)).toEqual(gm.webhooks.map(pick));
    expect(om.metadata.labels).toMatchObject({ 'app': 'sidecar-injector', 'istio.io/rev': 'default' });
    // istiod patches caBundle at run time
    for (const w of om.webhooks) expect(w.clientConfig.caBundle).toBeUndefined();
  });

  test('validation webhook matches, failurePolicy Ignore at install included', () => {
    const [gv, ov] = both('ValidatingWebhookConfiguration||istio-validator-istio-system');
    const pick = (w: any) => ({
      name: w.name,
      rules: w.rules,
      objectSelector: w.objectSelector,
      clientConfig: w.clientConfig,
      failurePolicy: w.failurePolicy,
      sideEffects: w.sideEffects,
      admissionReviewVersions: w.admissionReviewVersions,
    });
    expect(ov.webhooks.map(pick)).toEqual(gv.webhooks.map(pick));
    expect(ov.metadata.labels).toMatchObject({ 'istio': 'istiod', 'istio.io/rev': 'default' });
    // upstream installs Ignore and istiod switches it to Fail once it serves /validate
    // (GitOps ignores that field, see src/gitops/argo-cd.ts)
    expect(ov.webhooks[0].failurePolicy).toBe('Ignore');
  });

  test('mesh config contains every field of the golden with the same value', () => {
    const [gc, oc] = both('ConfigMap|istio-system|istio');
    const gm = YAML.parse(gc.data.mesh);
    const om = YAML.parse(oc.data.mesh);
    expect(om).toMatchObject(gm);
    expect(oc.data.meshNetworks).toBe(gc.data.meshNetworks);
    // deliberate additions (secure/robust defaults, each a prop)
    expect(Object.keys(om).filter((k) => !(k in gm))).toEqual(['outboundTrafficPolicy']);
    expect(Object.keys(om.defaultConfig).filter((k) => !(k in gm.defaultConfig))).toEqual(['holdApplicationUntilProxyStarts', 'terminationDrainDuration']);
  });

  test('injector ConfigMap has the same keys and template names upstream istiod needs', () => {
    const [gc, oc] = both('ConfigMap|istio-system|istio-sidecar-injector');
    expect(Object.keys(oc.data).sort()).toEqual(Object.keys(gc.data).sort());
    const gconf = YAML.parse(gc.data.config);
    const oconf = YAML.parse(oc.data.config);
    for (const k of ['defaultTemplates', 'policy', 'alwaysInjectSelector', 'neverInjectSelector', 'template']) expect(oconf[k]).toEqual(gconf[k] ?? oconf[k]);
    expect(oconf.defaultTemplates).toEqual(gconf.defaultTemplates);
    // deliberate: grpc-*, waypoint, kube-gateway and agentgateway templates (proxyless gRPC,
    // ambient and Gateway API auto-deployment) are not supported by cdk8s-mesh
    expect(Object.keys(oconf.templates)).toEqual(['sidecar', 'gateway']);
    expect(Object.keys(gconf.templates)).toEqual(expect.arrayContaining(['sidecar', 'gateway']));
    const gv = JSON.parse(gc.data.values);
    const ov = JSON.parse(oc.data.values);
    expect(ov.global.hub).toBe(gv.global.hub);
    expect(ov.global.tag).toBe(gv.global.tag);
    expect(ov.global.proxy.image).toBe(gv.global.proxy.image);
    expect(ov.global.proxy_init.image).toBe(gv.global.proxy_init.image);
    expect(ov.global.istioNamespace).toBe(gv.global.istioNamespace);
    expect(ov.global.pilotCertProvider).toBe(gv.global.pilotCertProvider);
    expect(ov.revision).toBe(gv.revision);
  });
});

describe('parity of the CRD set with crd-all.gen.yaml of the pinned release', () => {
  test('all 15 CRDs are emitted exactly as in the file', () => {
    const chart = Testing.chart();
    new IstioControlPlane(chart, 'istio');
    const crds = synthAndValidate(chart).filter((x) => x.kind === 'CustomResourceDefinition');
    const file = parseAll(CRD_FILE);
    expect(file).toHaveLength(15);
    expect(crds.map((c) => c.spec.names.kind).sort()).toEqual([
      'AuthorizationPolicy', 'DestinationRule', 'EnvoyFilter', 'Gateway', 'PeerAuthentication', 'ProxyConfig',
      'RequestAuthentication', 'ServiceEntry', 'Sidecar', 'Telemetry', 'TrafficExtension', 'VirtualService',
      'WasmPlugin', 'WorkloadEntry', 'WorkloadGroup',
    ]);
    expect(crds).toEqual(file);
  });
});
