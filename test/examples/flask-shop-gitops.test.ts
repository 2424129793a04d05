import { buildShop } from '../../examples/flask-shop/main';
import { GitOps, RolloutRevision, MeshApp } from '../../src';
import { findObject, findObjects, synthAppAndValidate } from '../util';

const WAVE = 'argocd.argoproj.io/sync-wave';
const OPTIONS = 'argocd.argoproj.io/sync-options';
const ORDERS = 'order-service.shop.svc.cluster.local';

function synthShop(revision?: RolloutRevision) {
  const app = new MeshApp({ outdir: 'cdk.out.unused' });
  buildShop(app, revision);
  return synthAppAndValidate(app);
}

const wave = (o: any) => Number(o.metadata.annotations?.[WAVE]);

describe('examples/flask-shop gitops', () => {
  const charts = synthShop();
  const all = [...charts.entries()].filter(([id]) => id !== 'argocd').flatMap(([, c]) => c.objects);

  test('sync waves: CRDs < control plane < gateways < mesh config and workloads', () => {
    // GIVEN the whole example / THEN every object has a wave
    for (const o of all) expect(Number.isInteger(wave(o))).toBe(true);
    const cp = charts.get('istio-control-plane')!.objects;
    const crds = findObjects(cp, 'CustomResourceDefinition');
    expect(crds.length).toBeGreaterThan(0);
    const controlPlane = cp.filter((o) => o.kind !== 'CustomResourceDefinition' && o.kind !== 'Namespace' && !o.apiVersion.includes('istio.io'));
    const gateways = charts.get('gateways')!.objects;
    const mesh = [...charts.get('flask-shop')!.objects, ...charts.get('observability')!.objects];
    const max = (os: any[]) => Math.max(...os.map(wave));
    const min = (os: any[]) => Math.min(...os.map(wave));
    expect(max(crds)).toBeLessThan(min(controlPlane));
    expect(max(controlPlane)).toBeLessThan(min(gateways));
    expect(max(gateways)).toBeLessThan(min(mesh));
    expect(wave(findObject(cp, 'Deployment', 'istiod'))).toBe(-2);
    expect(wave(findObject(cp, 'Namespace', 'shop'))).toBe(-3);
    // every Istio custom resource comes after istiod, whose webhook validates it
    for (const o of all.filter((x) => x.apiVersion.includes('istio.io/'))) expect(wave(o)).toBeGreaterThan(-2);
  });

  test('server-side apply on every CRD larger than 256 KiB, and only there', () => {
    const crds = findObjects(charts.get('istio-control-plane')!.objects, 'CustomResourceDefinition');
    for (const crd of crds) {
      // the size client-side apply stores in last-applied-configuration (compact JSON, without our annotations)
      const { annotations, ...meta } = crd.metadata;
      const size = Buffer.byteLength(JSON.stringify({ ...crd, metadata: meta }));
      expect([crd.metadata.name, annotations[OPTIONS]]).toEqual([crd.metadata.name, size > 256 * 1024 ? 'ServerSideApply=true' : undefined]);
    }
    // the largest Istio CRD, measured: under the limit with the v1-trimmed schemas the control plane emits
    const largest = crds.map((c) => [c.metadata.name, Buffer.byteLength(JSON.stringify(c))] as const).sort((a, b) => b[1] - a[1])[0];
    expect(largest[0]).toBe('destinationrules.networking.istio.io');
  });

  test('every custom resource skips the dry run: its CRD may come from another Application or a prerequisite', () => {
    const cp = charts.get('istio-control-plane')!.objects;
    const istioCrs = cp.filter((o) => o.apiVersion.includes('istio.io/'));
    for (const o of istioCrs) expect(o.metadata.annotations[OPTIONS]).toContain('SkipDryRunOnMissingResource=true');
    // the shop's Istio objects (CRDs in istio-control-plane) and Argo Rollouts objects (CRDs installed
    // with Argo Rollouts) are in other Applications: a dry run before the CRD exists would fail the sync
    const shop = charts.get('flask-shop')!.objects;
    for (const [kind, name] of [['VirtualService', 'order-service'], ['DestinationRule', 'order-service'], ['Rollout', 'order-service'], ['AnalysisTemplate', 'order-service-v2-slo']]) {
      expect([kind, findObject(shop, kind, name).metadata.annotations[OPTIONS]]).toEqual([kind, 'SkipDryRunOnMissingResource=true']);
    }
    const telemetry = all.filter((o) => o.kind === 'Telemetry');
    expect(telemetry.length).toBeGreaterThan(0);
    for (const o of telemetry) expect(o.metadata.annotations[OPTIONS]).toBe('SkipDryRunOnMissingResource=true');
  });

  test('fresh cluster: child Applications in waves, each retried for ~17 min; health check for the root to wait on', () => {
    const apps = findObjects(charts.get('argocd')!.objects, 'Application');
    const children = apps.filter((a) => a.metadata.name !== 'mesh');
    // the order the root Application applies them: CRDs + control plane, then gateways, then the rest
    const order = [...children].sort((a, b) => wave(a) - wave(b)).map((a) => [wave(a), a.metadata.name]);
    expect(order).toEqual([[-3, 'istio-control-plane'], [-1, 'gateways'], [0, 'flask-shop'], [0, 'observability']]);
    for (const a of apps) expect(a.spec.syncPolicy.retry.limit).toBe(10);
    expect(GitOps.ARGO_CD_APPLICATION_HEALTH_LUA).toContain('obj.status.sync.status');
  });

  test('fresh cluster, revision 1 (STABLE): order-service-v1 keeps running under the Rollout, which starts from v1', () => {
    // GIVEN the first Git revision on a fresh cluster (or the move from the static driver)
    const first = synthShop(RolloutRevision.STABLE);
    const shop = first.get('flask-shop')!.objects;
    // THEN the stable Deployment stays in Git (Argo CD does not prune running pods) ...
    expect(findObjects(shop, 'Deployment').map((d) => d.metadata.name)).toEqual(['user-service-v1', 'order-service-v1']);
    // ... and is the Rollout's first revision: Argo Rollouts' "Initial deploy" deploys v1, which is what runs
    const rollout = findObject(shop, 'Rollout', 'order-service');
    expect(rollout.spec.workloadRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'order-service-v1', scaleDown: 'progressively' });
    expect(findObject(shop, 'Deployment', 'order-service-v1').spec.template.metadata.labels.version).toBe('v1');
    // Argo Rollouts scales that Deployment down: its replicas are not Git's to revert
    const shopApp = findObject(first.get('argocd')!.objects, 'Application', 'flask-shop');
    expect(shopApp.spec.ignoreDifferences).toContainEqual({ group: 'apps', kind: 'Deployment', name: 'order-service-v1', namespace: 'shop', jqPathExpressions: ['.spec.replicas'] });
    // THEN revision 2 (the committed CANARY output) changes the Rollout's template to v2: a canary with steps
    const second = findObject(charts.get('flask-shop')!.objects, 'Rollout', 'order-service');
    expect(second.spec.workloadRef).toBeUndefined();
    expect(second.spec.template.metadata.labels.version).toBe('v2');
    expect(second.spec.strategy).toEqual(rollout.spec.strategy);
  });

  test('Applications: one per chart file, app-of-apps, automated sync with prune and self-heal', () => {
    const argo = charts.get('argocd')!.objects;
    const apps = findObjects(argo, 'Application');
    expect(apps.map((a) => [a.metadata.name, a.spec.source.directory?.include, wave(a)])).toEqual([
      ['istio-control-plane', 'istio-control-plane.k8s.yaml', -3],
      ['flask-shop', 'flask-shop.k8s.yaml', 0],
      ['gateways', 'gateways.k8s.yaml', -1],
      ['observability', 'observability.k8s.yaml', 0],
      ['mesh', 'argocd.k8s.yaml', NaN],
    ]);
    for (const a of apps) {
      expect(a.spec.source).toMatchObject({ repoURL: 'https://github.com/acme-shop/shop-deploy.git', targetRevision: 'main', path: 'dist' });
      expect(a.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
      expect(a.spec.project).toBe('mesh');
    }
    const project = findObject(argo, 'AppProject', 'mesh');
    expect(project.spec.destinations.map((d: any) => d.namespace)).toEqual(['argocd', 'istio-system', 'shop']);
    expect(project.spec.clusterResourceWhitelist).toContainEqual({ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' });
  });

  test('exact ignoreDifferences: webhook caBundle and validating failurePolicy (istiod) and Rollouts-managed fields', () => {
    const argo = charts.get('argocd')!.objects;
    const cpApp = findObject(argo, 'Application', 'istio-control-plane');
    expect(cpApp.spec.ignoreDifferences).toEqual([
      { group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', name: 'istio-sidecar-injector', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'] },
      { group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration', name: 'istio-validator-istio-system', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle', '.webhooks[]?.failurePolicy'] },
      { group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration', name: 'istiod-default-validator', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle', '.webhooks[]?.failurePolicy'] },
    ]);
    expect(cpApp.spec.syncPolicy.syncOptions).toEqual(['RespectIgnoreDifferences=true']);
    const shopApp = findObject(argo, 'Application', 'flask-shop');
    expect(shopApp.spec.ignoreDifferences).toEqual([
      { group: 'networking.istio.io', kind: 'VirtualService', name: 'order-service', namespace: 'shop', jqPathExpressions: ['.spec.http[] | select(.name == "default") | .route[].weight'] },
      { group: 'networking.istio.io', kind: 'DestinationRule', name: 'order-service', namespace: 'shop', jqPathExpressions: ['.spec.subsets[] | select(.name == "stable" or .name == "canary") | .labels["rollouts-pod-template-hash"]'] },
    ]);
    // Rollouts-managed objects: ignored in the diff only (a RespectIgnoreDifferences merge patch would
    // replace spec.http / spec.subsets with the live arrays and drop Git edits), applied when OutOfSync
    expect(shopApp.spec.syncPolicy.syncOptions).toEqual(['ApplyOutOfSyncOnly=true']);
    const gwApp = findObject(argo, 'Application', 'gateways');
    expect(gwApp.spec.ignoreDifferences).toEqual([
      { group: 'networking.istio.io', kind: 'VirtualService', name: 'istio-ingressgateway-shop-example-com', namespace: 'istio-system', jqPathExpressions: ['.spec.http[] | select(.name == "order-service-0") | .route[].weight'] },
    ]);
    expect(gwApp.spec.syncPolicy.syncOptions).toEqual(['ApplyOutOfSyncOnly=true']);
    // the webhook names in ignoreDifferences are the emitted ones
    const cp = charts.get('istio-control-plane')!.objects;
    expect(findObjects(cp, 'MutatingWebhookConfiguration').map((w) => w.metadata.name)).toEqual(['istio-sidecar-injector']);
    expect(findObjects(cp, 'ValidatingWebhookConfiguration').map((w) => w.metadata.name)).toEqual(['istio-validator-istio-system', 'istiod-default-validator']);
    // validating: emitted with failurePolicy Ignore (as upstream installs it; istiod sets Fail once
    // ready) and no caBundle, both ignored above; injection: Fail, only its caBundle is istiod's
    for (const w of findObjects(cp, 'ValidatingWebhookConfiguration').flatMap((v) => v.webhooks)) {
      expect(w.failurePolicy).toBe('Ignore');
      expect(w.clientConfig.caBundle).toBeUndefined();
    }
    for (const w of findObjects(cp, 'MutatingWebhookConfiguration').flatMap((v) => v.webhooks)) {
      expect(w.failurePolicy).toBe('Fail');
      expect(w.clientConfig.caBundle).toBeUndefined();
    }
  });

  test('order-service v2 rolls out with Argo Rollouts: 10% -> pause -> 50% -> analysis -> 100%', () => {
    const shop = charts.get('flask-shop')!.objects;
    const gateways = charts.get('gateways')!.objects;
    const rollout = findObject(shop, 'Rollout', 'order-service');
    expect(rollout.spec.strategy.canary.steps).toEqual([
      { setWeight: 10 }, { pause: {} }, { setWeight: 50 }, { analysis: { templates: [{ templateName: 'order-service-v2-slo' }] } }, { setWeight: 100 },
    ]);
    const istio = rollout.spec.strategy.canary.trafficRouting.istio;
    expect(istio.virtualServices).toEqual([
      { name: 'order-service', routes: ['default'] },
      { name: 'istio-ingressgateway-shop-example-com.istio-system', routes: ['order-service-0'] },
    ]);
    // cross-references resolve to emitted objects, routes and subsets
    const meshRoute = findObject(shop, 'VirtualService', 'order-service').spec.http.find((r: any) => r.name === 'default');
    const gwRoute = findObject(gateways, 'VirtualService', 'istio-ingressgateway-shop-example-com').spec.http.find((r: any) => r.name === 'order-service-0');
    for (const route of [meshRoute, gwRoute]) {
      expect(route.route).toEqual([
        { destination: { host: ORDERS, subset: istio.destinationRule.stableSubsetName }, weight: 100 },
        { destination: { host: ORDERS, subset: istio.destinationRule.canarySubsetName }, weight: 0 },
      ]);
    }
    const dr = findObject(shop, 'DestinationRule', istio.destinationRule.name);
    expect(dr.spec.subsets.map((s: any) => s.name)).toEqual(['stable', 'canary']);
    // the Rollout replaces the version Deployments and runs v2's pod template
    expect(findObjects(shop, 'Deployment').map((d) => d.metadata.name)).toEqual(['user-service-v1']);
    expect(rollout.spec.template.metadata.labels.version).toBe('v2');
    expect(rollout.spec.template.spec.containers[0].env).toContainEqual({ name: 'PAYMENTS_API_URL', value: 'http://api.payments.example' });
    // the analysis queries the Prometheus of the observability chart
    const template = findObject(shop, 'AnalysisTemplate', 'order-service-v2-slo');
    const prom = findObject(charts.get('observability')!.objects, 'Service', 'prometheus');
    expect(template.spec.metrics.map((m: any) => m.provider.prometheus.address)).toEqual([
      `http://${prom.metadata.name}.${prom.metadata.namespace}.svc.cluster.local:9090`, `http://${prom.metadata.name}.${prom.metadata.namespace}.svc.cluster.local:9090`,
    ]);
  });

  test('matches the committed output', () => {
    expect(charts.get('argocd')!.yaml).toMatchSnapshot();
  });
});
