/**
 * Synthesizes the generated mesh of N services into a folder, with or without the
 * derived Sidecar egress scoping, for the xDS fan-out measurement of `npm run bench`.
 *
 * Usage: synth-fanout.ts <services> <scoped|unscoped> <outdir>
 */
import { generateMesh } from './mesh-generator';
import { MeshApp } from '../src';

const [count, variant, outdir] = process.argv.slice(2);
if (!count || (variant !== 'scoped' && variant !== 'unscoped') || !outdir) {
  throw new Error('usage: synth-fanout.ts <services> <scoped|unscoped> <outdir>');
}
const app = new MeshApp({ outdir, topologyDiagram: false });
generateMesh(app, Number(count), { egressScoping: variant === 'scoped' });
app.synth();
