/**
 * Synthesizes the flask-shop example at both Git revisions of its Argo
 * Rollouts release for `conformance/argo` (Argo Rollouts' own code):
 *   <out>/stable/  RolloutRevision.STABLE (first revision on a fresh cluster)
 *   <out>/canary/  RolloutRevision.CANARY (the canary of v2; the committed example)
 * and writes GitOps.ARGO_CD_APPLICATION_HEALTH_LUA to <out>/application-health.lua.
 *
 * Usage: ts-node --project test/tsconfig.json scripts/synth-argo-revisions.ts <out>
 */
import * as fs from 'fs';
import * as path from 'path';
import { buildShop } from '../examples/flask-shop/main';
import { GitOps, RolloutRevision, MeshApp } from '../src';

const out = process.argv[2];
if (!out) {
  console.error('usage: synth-argo-revisions.ts <out-dir>');
  process.exit(2);
}
fs.rmSync(out, { recursive: true, force: true });
for (const [name, revision] of [['stable', RolloutRevision.STABLE], ['canary', RolloutRevision.CANARY]] as const) {
  const app = new MeshApp({ outdir: path.join(out, name) });
  buildShop(app, revision);
  app.synth();
}
fs.writeFileSync(path.join(out, 'application-health.lua'), GitOps.ARGO_CD_APPLICATION_HEALTH_LUA);
console.log(`synth-argo-revisions: ${out}/stable, ${out}/canary, ${out}/application-health.lua`);
