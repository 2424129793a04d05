/**
 * GitOps for the flask shop: Argo CD applies `dist/` from the deploy
 * repository. `dist/argocd.k8s.yaml` holds the AppProject, one Application per
 * chart file (control plane, gateways, shop, observability) and the root
 * Application (app-of-apps). Bootstrap once with
 * `kubectl apply -n argocd -f dist/argocd.k8s.yaml`.
 */
import { App } from 'cdk8s';
import { ArgoCdGitOps, GitOps } from '../../src';

export const DEPLOY_REPO = 'https://github.com/acme-shop/shop-deploy.git';

export function addGitOps(app: App): ArgoCdGitOps {
  return GitOps.argoCd(app, { repoUrl: DEPLOY_REPO, targetRevision: 'main', path: 'dist' });
}
