import { ApiObject, Chart, Testing } from 'cdk8s';
import { GitOps, IstioControlPlane, MeshService, MeshApp } from '../../src';
import { findObject, findObjects, runValidations, synthAppAndValidate } from '../util';

const REPO = 'https://github.com/acme/deploy.git';
const WAVE = 'argocd.argoproj.io/sync-wave';
const OPTIONS = 'argocd.argoproj.io/sync-options';

function bigCrd(chart: Chart, bytes: number): ApiObject {
  return new ApiObject(chart, 'big-crd', {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
      scope: 'Namespaced',
      versions: [{
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { 'type': 'object', 'description': 'x'.repeat(bytes), 'x-kubernetes-preserve-unknown-fields': true } },
      }],
    },
  });
}

describe('GitOps.argoCd', () => {
  test('opt-in: without the call there are no Argo CD annotations', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    new MeshService(chart, 'orders', { versions: [{ name: 'v1', image: 'a:1' }] });
    for (const o of synthAppAndValidate(app).get('shop')!.objects) expect(o.metadata.annotations?.[WAVE]).toBeUndefined();
  });

  describe('sync waves from the construct graph', () => {
    test('CRDs and namespaces, control plane, Istio config of the control plane, workloads', () => {
      // GIVEN
      const app = Testing.app();
      const cp = new Chart(app, 'cp');
      new IstioControlPlane(cp, 'istio');
      const shop = new Chart(app, 'shop', { namespace: 'shop' });
      new MeshService(shop, 'orders', { versions: [{ name: 'v1', image: 'a:1' }] });
      // WHEN
      GitOps.argoCd(app, { repoUrl: REPO });
      const charts = synthAppAndValidate(app);
      // THEN
      const cpObjects = charts.get('cp')!.objects;
      for (const o of findObjects(cpObjects, 'CustomResourceDefinition')) expect(o.metadata.annotations[WAVE]).toBe('-3');
      expect(findObject(cpObjects, 'Deployment', 'istiod').metadata.annotations[WAVE]).toBe('-2');
      expect(findObject(cpObjects, 'MutatingWebhookConfiguration', 'istio-sidecar-injector').metadata.annotations[WAVE]).toBe('-2');
      for (const o of cpObjects.filter((x) => x.apiVersion.includes('istio.io/'))) {
        expect(o.metadata.annotations[WAVE]).toBe('-1');
        expect(o.metadata.annotations[OPTIONS]).toBe('SkipDryRunOnMissingResource=true');
      }
      for (const o of charts.get('shop')!.objects) expect(o.metadata.annotations[WAVE]).toBe('0');
      const apps = findObjects(charts.get('argocd')!.objects, 'Application');
      expect(apps.map((a) => [a.metadata.name, a.metadata.annotations?.[WAVE]])).toEqual([['cp', '-3'], ['shop', '0'], ['mesh', undefined]]);
      expect(charts.get('argocd')!.objects).toMatchSnapshot();
    });
  });

  describe('cross-Application ordering', () => {
    test('every custom resource skips the dry run, wherever its CRD comes from (another Application, Argo Rollouts)', () => {
      // GIVEN CRDs in one chart, Istio objects and a Rollout in another
      const app = Testing.app();
      new IstioControlPlane(new Chart(app, 'cp'), 'istio');
      const shop = new Chart(app, 'shop', { namespace: 'shop' });
      new MeshService(shop, 'orders', { versions: [{ name: 'v1', image: 'a:1' }] });
      // WHEN
      GitOps.argoCd(app, { repoUrl: REPO });
      const charts = synthAppAndValidate(app);
      // THEN
      const shopObjects = charts.get('shop')!.objects;
      const custom = shopObjects.filter((o) => o.apiVersion.includes('.io/') && !o.apiVersion.includes('k8s.io/'));
      expect(custom.map((o) => o.kind).sort()).toEqual(expect.arrayContaining(['DestinationRule', 'VirtualService']));
      for (const o of custom) expect([o.kind, o.metadata.annotations[OPTIONS]]).toEqual([o.kind, 'SkipDryRunOnMissingResource=true']);
      // built-in kinds keep the dry run
      for (const o of shopObjects.filter((x) => ['Deployment', 'Service', 'ServiceAccount'].includes(x.kind))) {
        expect(o.metadata.annotations[OPTIONS]).toBeUndefined();
      }
    });

    test('the Application health check (Lua) for argocd-cm is exposed', () => {
      expect(GitOps.ARGO_CD_APPLICATION_HEALTH_LUA).toContain('hs.status = "Healthy"');
      expect(GitOps.ARGO_CD_APPLICATION_HEALTH_LUA).toMatch(/return hs\n$/);
    });
  });

  describe('server-side apply', () => {
    test('a CRD over 256 KiB gets ServerSideApply=true; its custom resources skip the dry run', () => {
      const app = Testing.app();
      const chart = new Chart(app, 'crds');
      bigCrd(chart, 270 * 1024);
      new ApiObject(chart, 'small-crd', {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'gadgets.example.com' },
        spec: { group: 'example.com', names: { kind: 'Gadget', plural: 'gadgets' }, scope: 'Namespaced', versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }] },
      });
      const widget = new ApiObject(chart, 'widget', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'default' } });
      GitOps.argoCd(app, { repoUrl: REPO });
      runValidations(app);
      const json = (o: ApiObject) => o.toJson();
      expect(json(ApiObject.of(chart.node.findChild('big-crd'))).metadata.annotations[OPTIONS]).toBe('ServerSideApply=true');
      expect(json(ApiObject.of(chart.node.findChild('small-crd'))).metadata.annotations[OPTIONS]).toBeUndefined();
      expect(json(widget).metadata.annotations).toEqual({ [WAVE]: '0', [OPTIONS]: 'SkipDryRunOnMissingResource=true' });
    });
  });

  describe('AppProject', () => {
    test('least privilege: exactly the cluster-scoped kinds of the output, core group spelled \'\' as Argo CD expects', () => {
      const app = Testing.app();
      new IstioControlPlane(new Chart(app, 'cp'), 'istio', { crds: false });
      GitOps.argoCd(app, { repoUrl: REPO });
      const project = findObject(synthAppAndValidate(app).get('argocd')!.objects, 'AppProject', 'mesh');
      expect(project.spec.clusterResourceWhitelist).toEqual([
        { group: '', kind: 'Namespace' },
        { group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration' },
        { group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration' },
        { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
        { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
      ]);
      expect(project.spec.sourceRepos).toEqual([REPO]);
    });
  });

  describe('webhook drift', () => {
    test('ignores exactly the fields istiod writes (caBundle; failurePolicy of validating webhooks), and respects them on sync', () => {
      const app = Testing.app();
      new IstioControlPlane(new Chart(app, 'cp'), 'istio');
      const gitops = GitOps.argoCd(app, { repoUrl: REPO });
      const cpApp = findObject(synthAppAndValidate(app).get('argocd')!.objects, 'Application', 'cp');
      expect(cpApp.spec.ignoreDifferences).toEqual([
        { group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', name: 'istio-sidecar-injector', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'] },
        { group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration', name: 'istio-validator-istio-system', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle', '.webhooks[]?.failurePolicy'] },
        { group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration', name: 'istiod-default-validator', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle', '.webhooks[]?.failurePolicy'] },
      ]);
      expect(cpApp.spec.syncPolicy.syncOptions).toEqual(['RespectIgnoreDifferences=true']);
      expect(gitops.applications.map((a) => a.applicationName)).toEqual(['cp']);
    });
  });

  describe('errors', () => {
    test('objects added after GitOps.argoCd() to a chart it knows are synced like the others', () => {
      const app = new MeshApp({ outdir: 'cdk.out.unused' });
      const chart = new Chart(app, 'shop', { namespace: 'shop' });
      new MeshService(chart, 'orders', { versions: [{ name: 'v1', image: 'a:1' }] });
      GitOps.argoCd(app, { repoUrl: REPO });
      new MeshService(chart, 'users', { versions: [{ name: 'v1', image: 'a:1' }] });
      synthAppAndValidate(app);
      const sa = findObject(Testing.synth(chart), 'ServiceAccount', 'users');
      expect(sa.metadata.annotations[WAVE]).toBeDefined();
    });

    test('a chart added after GitOps.argoCd()', () => {
      const app = new MeshApp({ outdir: 'cdk.out.unused' });
      const chart = new Chart(app, 'shop', { namespace: 'shop' });
      new MeshService(chart, 'orders', { versions: [{ name: 'v1', image: 'a:1' }] });
      GitOps.argoCd(app, { repoUrl: REPO });
      new MeshService(new Chart(app, 'late', { namespace: 'late' }), 'users', { versions: [{ name: 'v1', image: 'a:1' }] });
      expect(() => synthAppAndValidate(app)).toThrow(
        /\[argocd\] GITOPS001: 'app' must hold every chart when GitOps.argoCd\(\) is called: these charts were added later and have no Application, got \["late"\]. Fix: call GitOps.argoCd\(app, ...\) after every chart of the App is declared/);
    });

    test('an App without charts', () => {
      expect(() => GitOps.argoCd(new MeshApp({ outdir: 'cdk.out.unused' }), { repoUrl: REPO })).toThrow(
        "[argocd] 'app' must contain the charts to deploy before GitOps.argoCd() is called, got 0. Fix: call GitOps.argoCd(app, ...) last, after building the App");
    });
  });
});
