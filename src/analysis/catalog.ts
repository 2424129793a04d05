import { MeshRule, TreeRule } from './rule';
import { AMBIENT_RULES } from './rules/ambient';
import { CONTROL_PLANE_RULES } from './rules/control-plane';
import { DUPLICATE_OBJECT_RULE } from './rules/duplicate-objects';
import { GATEWAY_API_RULES } from './rules/gateway-api';
import { GATEWAY_RULES } from './rules/gateways';
import { GITOPS_RULES } from './rules/gitops';
import { MESH_RULES } from './rules/mesh';
import { OBSERVABILITY_RULES } from './rules/observability';
import { ROLLOUT_RULES } from './rules/rollouts';
import { SECURITY_RULES } from './rules/security';
import { TRAFFIC_RULES } from './rules/traffic';

/**
 * The rule catalog: every whole-mesh rule of the library, in documentation
 * order. `analyze()` runs all of them on every app, whatever constructs it
 * holds; `docs/analysis-rules.md` is generated from this list
 * (`scripts/analysis-rules-doc.ts`).
 */
export const RULE_CATALOG: readonly MeshRule[] = [
  ...Object.values(MESH_RULES),
  ...Object.values(TRAFFIC_RULES),
  ...Object.values(SECURITY_RULES),
  ...Object.values(GATEWAY_RULES),
  ...Object.values(OBSERVABILITY_RULES),
  ...Object.values(CONTROL_PLANE_RULES),
  ...Object.values(ROLLOUT_RULES),
  ...Object.values(AMBIENT_RULES),
  ...Object.values(GATEWAY_API_RULES),
];

/**
 * The rules over the app's construct tree (`TreeRule`): the synthesis
 * pipeline runs them on the app root, after the snapshot's objects are
 * attached.
 */
export const TREE_RULE_CATALOG: readonly TreeRule[] = [
  DUPLICATE_OBJECT_RULE,
  ...Object.values(GITOPS_RULES),
];
