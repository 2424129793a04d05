/**
 * GitOps for the flask shop: Argo CD applies `dist/` from the deploy
 * repository. `dist/argocd.k8s.yaml` holds the AppProject, one Application per
 * chart file (control plane, gateways, shop, observability) and the root
 * Application (app-of-apps). Bootstrap once with
 * `kubectl apply -n argocd -f dist/argocd.k8s.yaml`.
 *
 * Install first: Argo CD with `GitOps.ARGO_CD_APPLICATION_HEALTH_LUA` in
 * `argocd-cm` (so the root waits for each wave), and Argo Rollouts (CRDs and
 * controller) for the order-service Rollout.
 *
 * Fresh cluster: the root applies istio-control-plane (wave -3: CRDs, istiod,
 * webhooks; waits for istiod), then gateways (-1), then flask-shop and
 * observability (0). The first commit synthesizes the release with
 * `RolloutRevision.STABLE` (see traffic.ts); once the Rollout is Healthy, the
 * commit with `RolloutRevision.CANARY` (this output) starts the v2 canary.
 * Update path: a Git edit to order-service's VirtualService or
 * DestinationRule is applied as Git has it (ApplyOutOfSyncOnly, no
 * RespectIgnoreDifferences); Argo Rollouts then writes its weights back.
 */
import { App } from 'cdk8s';
import { ArgoCdGitOps, GitOps } from '../../src';

export const DEPLOY_REPO = 'https://github.com/acme-shop/shop-deploy.git';

export function addGitOps(app: App): ArgoCdGitOps {
  return GitOps.argoCd(app, { repoUrl: DEPLOY_REPO, targetRevision: 'main', path: 'dist' });
}
