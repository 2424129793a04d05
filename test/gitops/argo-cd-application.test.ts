import { Testing } from 'cdk8s';
import { ArgoCdApplication, ArgoCdProject } from '../../src';
import { findObject, synthAndValidate } from '../util';

const REPO = 'https://github.com/acme/deploy.git';

describe('ArgoCdApplication', () => {
  test('automated sync with prune and self-heal, retries, one file of the synthesized directory', () => {
    // GIVEN
    const chart = Testing.chart();
    const project = new ArgoCdProject(chart, 'shop', { sourceRepos: [REPO], destinations: [{ namespace: 'shop' }] });
    // WHEN
    const app = new ArgoCdApplication(chart, 'flask-shop', { repoUrl: REPO, path: 'dist', include: 'flask-shop.k8s.yaml', project, syncWave: 1 });
    app.addIgnoreDifference({ group: 'apps', kind: 'Deployment', name: 'web', jsonPointers: ['/spec/replicas'] });
    app.addSyncOption('RespectIgnoreDifferences=true');
    const out = synthAndValidate(chart);
    // THEN
    const a = findObject(out, 'Application', 'flask-shop');
    expect(a.metadata).toEqual({ name: 'flask-shop', namespace: 'argocd', annotations: { 'argocd.argoproj.io/sync-wave': '1' }, finalizers: ['resources-finalizer.argocd.argoproj.io'] });
    expect(a.spec).toEqual({
      project: 'shop',
      source: { repoURL: REPO, targetRevision: 'HEAD', path: 'dist', directory: { include: 'flask-shop.k8s.yaml' } },
      destination: { server: 'https://kubernetes.default.svc' },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['RespectIgnoreDifferences=true'],
        retry: { limit: 10, backoff: { duration: '5s', factor: 2, maxDuration: '3m' } },
      },
      ignoreDifferences: [{ group: 'apps', kind: 'Deployment', name: 'web', jsonPointers: ['/spec/replicas'] }],
    });
    expect(findObject(out, 'AppProject', 'shop').spec).toEqual({
      sourceRepos: [REPO], destinations: [{ server: 'https://kubernetes.default.svc', namespace: 'shop' }], clusterResourceWhitelist: [],
    });
    expect(out).toMatchSnapshot();
  });

  test('manual sync', () => {
    const chart = Testing.chart();
    new ArgoCdApplication(chart, 'manual', { repoUrl: REPO, path: 'dist', automated: false });
    expect(findObject(synthAndValidate(chart), 'Application', 'manual').spec.syncPolicy.automated).toBeUndefined();
  });

  test('retries outlast a cold istiod start: about 17 minutes of back-off by default', () => {
    const chart = Testing.chart();
    new ArgoCdApplication(chart, 'a', { repoUrl: REPO, path: 'dist' });
    new ArgoCdApplication(chart, 'b', { repoUrl: REPO, path: 'dist', syncRetryLimit: 3 });
    const out = synthAndValidate(chart);
    const retry = findObject(out, 'Application', 'a').spec.syncPolicy.retry;
    // Argo CD's back-off: duration * factor^n, capped at maxDuration
    const secs = (d: string) => (d.endsWith('m') ? 60 : 1) * parseInt(d, 10);
    let total = 0;
    const [first, cap] = [secs(retry.backoff.duration), secs(retry.backoff.maxDuration)];
    for (let n = 0; n < retry.limit; n++) total += Math.min(first * retry.backoff.factor ** n, cap);
    expect(total).toBe(1035);
    // istiod's image pull, start and readiness (a few minutes on a cold node) fit well inside
    expect(total).toBeGreaterThan(10 * 60);
    expect(findObject(out, 'Application', 'b').spec.syncPolicy.retry.limit).toBe(3);
  });

  describe('errors', () => {
    test('retry limit', () => {
      expect(() => new ArgoCdApplication(Testing.chart(), 'a', { repoUrl: REPO, path: 'dist', syncRetryLimit: 0 })).toThrow(
        "[test/a] 'syncRetryLimit' must be a whole number of at least 1, got 0. Fix: use e.g. 10 (about 17 minutes of retries)");
    });
    test('repoUrl', () => {
      expect(() => new ArgoCdApplication(Testing.chart(), 'a', { repoUrl: 'github.com/acme', path: 'dist' })).toThrow(
        "[test/a] 'repoUrl' must be a Git URL (https://, ssh:// or git@), got \"github.com/acme\". Fix: use e.g. 'https://github.com/acme/shop-deploy.git'");
    });
    test('path', () => {
      expect(() => new ArgoCdApplication(Testing.chart(), 'a', { repoUrl: REPO, path: '../dist' })).toThrow(
        "[test/a] 'path' must be a relative directory inside the repository, got \"../dist\". Fix: use e.g. 'dist'");
    });
    test('ignoring a whole object', () => {
      const app = new ArgoCdApplication(Testing.chart(), 'a', { repoUrl: REPO, path: 'dist' });
      expect(() => app.addIgnoreDifference({ group: 'apps', kind: 'Deployment' })).toThrow(
        /\[test\/a\] 'ignoreDifferences' must list jqPathExpressions or jsonPointers \(ignoring a whole object hides real drift\)/);
    });
    test('sync option', () => {
      const app = new ArgoCdApplication(Testing.chart(), 'a', { repoUrl: REPO, path: 'dist' });
      expect(() => app.addSyncOption('Prune')).toThrow(
        "[test/a] 'syncOptions' must be an Argo CD sync option of the form Name=value, got \"Prune\". Fix: use e.g. 'RespectIgnoreDifferences=true'");
    });
    test('project without repositories', () => {
      expect(() => new ArgoCdProject(Testing.chart(), 'p', { sourceRepos: [], destinations: [{ namespace: 'x' }] })).toThrow(
        "[test/p] 'sourceRepos' must list at least one repository, got []. Fix: list the Git URL of the manifests");
    });
  });
});
