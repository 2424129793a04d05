import { Diagnostic, MeshModel } from '../../model';
import { propMessage } from '../../private/errors';

/** Rule codes of the control plane (`CPnnn`). */
export const CONTROL_PLANE_RULES = {
  /** Two control planes of the app install the same revision. */
  DUPLICATE_REVISION: 'CP001',
} as const;

/** Registers the control-plane rules; called once per model by the rule catalog. */
export function registerControlPlaneRules(model: MeshModel): void {
  model.addRule(CONTROL_PLANE_RULES.DUPLICATE_REVISION, duplicateRevisions);
}

function duplicateRevisions(model: MeshModel): Diagnostic[] {
  const seen = new Map<string, string>();
  const out: Diagnostic[] = [];
  for (const cp of model.controlPlanes) {
    const key = cp.revision ?? 'default';
    const first = seen.get(key);
    if (first) {
      out.push({
        code: CONTROL_PLANE_RULES.DUPLICATE_REVISION,
        severity: 'error',
        path: cp.path,
        message: propMessage('revision', `must be unique in the app: ${first} already installs that revision`, cp.revision ?? 'default',
          'give the second control plane another revision (canary upgrade) or remove it'),
      });
    } else {
      seen.set(key, cp.path);
    }
  }
  return out;
}
