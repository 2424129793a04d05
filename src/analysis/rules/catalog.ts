import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
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
import { propMessage } from '../../private/errors';
import { isMeshApp } from '../../private/mesh-app-marker';

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
      ...plainApp(root),
      ...unsurfacedFindings(root, model).map((d) => `[${d.path}] ${d.code}: ${d.message}`),
      ...duplicateObjects(root),
    ],
  });
}

/**
 * A plain cdk8s `App` would write the manifests without `mesh.md`, without
 * printing the analysis warnings and without keeping the last good output:
 * mesh programs use `MeshApp`. `Testing.app()` (its output folder is a
 * `cdk8s.outdir.*` temporary folder) renders charts for tests and is accepted.
 */
function plainApp(root: IConstruct): string[] {
  if (!(root instanceof App) || isMeshApp(root)) return [];
  const outdir = path.resolve(root.outdir);
  if (path.dirname(outdir) === path.resolve(os.tmpdir()) && path.basename(outdir).startsWith('cdk8s.outdir.')) return [];
  return [propMessage('app', 'must be a MeshApp for mesh constructs (a plain cdk8s App writes no mesh.md, prints no analysis warnings and does not keep the last good output)',
    'App', "create the app with `new MeshApp()` (import { MeshApp } from 'cdk8s-mesh') instead of `new App()`; in tests, `Testing.app()` is accepted")];
}

// The model layer cannot import the rules (they read it); it calls back here when it
// creates an app's model. This module is loaded with the public API (src/index.ts
// exports MeshAnalysis, which imports it).
MeshModel.onCreate(registerRuleCatalog);
