/**
 * Synthesizes the generated mesh of N services into a folder, in one of the variants
 * the mesh-cost measurement compares (bench/meshcost.ts):
 * - `scoped`: sidecars, each service with its derived Sidecar egress scoping;
 * - `unscoped`: sidecars without it (`egressScoping: false`);
 * - `ambient`: the ambient data plane (ztunnel, and the namespaces' waypoints).
 * Each variant includes the Istio control plane (its mesh config is what pilot runs with).
 *
 * Usage: synth-mesh.ts <services> <scoped|unscoped|ambient> <outdir>
 */
import { generateMesh } from './mesh-generator';
import { DataPlaneMode, MeshApp } from '../src';

const [count, variant, outdir] = process.argv.slice(2);
if (!count || !['scoped', 'unscoped', 'ambient'].includes(variant) || !outdir) {
  throw new Error('usage: synth-mesh.ts <services> <scoped|unscoped|ambient> <outdir>');
}
const app = new MeshApp({ outdir, topologyDiagram: false });
generateMesh(app, Number(count), {
  egressScoping: variant === 'unscoped' ? false : undefined,
  controlPlane: variant === 'ambient' ? DataPlaneMode.AMBIENT : DataPlaneMode.SIDECAR,
});
app.synth();
