import { MeshModel } from '../../model';
import { GitOpsRule } from '../../model/gitops';
import { rolloutFindings } from '../../model/releases';

/**
 * Registers the progressive-delivery rules (ROLLOUT001: the route Argo
 * Rollouts manages must stay in the VirtualService; ROLLOUT002: only the two
 * released versions may exist); called once per model by the rule catalog.
 */
export function registerRolloutRules(model: MeshModel): void {
  model.addRule(GitOpsRule.MANAGED_ROUTE, (m) => rolloutFindings(m).filter((d) => d.code === GitOpsRule.MANAGED_ROUTE));
  model.addRule(GitOpsRule.EXTRA_VERSIONS, (m) => rolloutFindings(m).filter((d) => d.code === GitOpsRule.EXTRA_VERSIONS));
}
