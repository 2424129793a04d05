import { IConstruct } from 'constructs';
import { registerControlPlaneRules } from './control-plane-rules';
import { duplicateObjects } from './duplicate-objects';
import { registerMeshRules, unsurfacedFindings } from './mesh-rules';
import { registerRiskRules } from './risk-rules';
import { registerRolloutRules } from './rollout-rules';
import { MeshModel } from '../../model';
import { registerAmbientRules } from '../../model/ambient';
import { registerGatewayRules } from '../../model/gateways';
import { registerObservabilityRules } from '../../model/observability';
import { registerSecurityRules } from '../../model/security';
import { registerTrafficRules } from '../../model/traffic';

/**
 * The rule catalog: every whole-mesh rule of the library, registered once
 * when the `MeshModel` of an app is created, whatever constructs the app
 * holds (no construct registers rules), so each rule can report in
 * `MeshAnalysis.findings()` and fail `cdk8s synth`. `docs/analysis-rules.md`
 * lists them.
 *
 * Also installs the safety net on the app root: a fatal finding reported on
 * a path whose construct does not surface it (no `node.addValidation`) still
 * fails synthesis instead of being lost; and the duplicate-object check.
 */
export function registerRuleCatalog(root: IConstruct, model: MeshModel): void {
  registerMeshRules(model);
  registerRiskRules(root, model);
  registerTrafficRules(model);
  registerSecurityRules(model);
  registerGatewayRules(model);
  registerObservabilityRules(model);
  registerControlPlaneRules(model);
  registerRolloutRules(model);
  registerAmbientRules(model); // ambient (issue 17)
  root.node.addValidation({
    validate: () => [
      ...unsurfacedFindings(root, model).map((d) => `[${d.path}] ${d.code}: ${d.message}`),
      ...duplicateObjects(root),
    ],
  });
}

// The model layer cannot import the rules (they read it); it calls back here when it
// creates an app's model. This module is loaded with the public API (src/index.ts
// exports MeshAnalysis, which imports it).
MeshModel.onCreate(registerRuleCatalog);
