/**
 * `npm run bench`: synth-time and memory benchmark of cdk8s-mesh.
 *
 * For each size, fresh processes (so peak RSS is per size) synthesize a
 * generated mesh and, in the same process, the identical object set as raw
 * cdk8s ApiObjects (baseline). Reports medians, the library/baseline ratio,
 * objects and bytes written, and the Sidecar fan-out ratio. Not part of
 * `npm test`: timings never gate tests.
 *
 * Usage: npm run bench [-- sizes=100,1000,5000 runs=3]
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const sizes = (args.sizes ?? '100,1000,5000').split(',').map(Number);
const runs = Number(args.runs ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const rows: any[] = [];
for (const n of sizes) {
  const samples: any[] = [];
  const r = n >= 5000 ? Math.max(1, Math.min(runs, 2)) : runs;
  for (let i = 0; i < r; i++) {
    const out = execFileSync(process.execPath, [
      '--expose-gc', '--max-old-space-size=8192',
      '-r', 'ts-node/register/transpile-only',
      path.join(__dirname, 'synth-one.ts'), String(n),
    ], { encoding: 'utf8', env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, 'tsconfig.json') }, maxBuffer: 64 * 1024 * 1024 });
    samples.push(JSON.parse(out.trim().split('\n').pop()!));
  }
  const s = samples[0];
  const row = {
    services: n,
    runs: r,
    libMs: Math.round(median(samples.map((x) => x.libMs))),
    rawMs: Math.round(median(samples.map((x) => x.rawMs))),
    ratio: Math.round((median(samples.map((x) => x.libMs / x.rawMs))) * 100) / 100,
    rawSamePathMs: Math.round(median(samples.map((x) => x.rawSamePathMs))),
    ratioSamePath: Math.round((median(samples.map((x) => x.libMs / x.rawSamePathMs))) * 100) / 100,
    constructMs: Math.round(median(samples.map((x) => x.libConstructMs))),
    synthMs: Math.round(median(samples.map((x) => x.libSynthMs))),
    peakRssMb: Math.round(median(samples.map((x) => x.libRssMb))),
    objects: s.objects,
    files: s.files,
    bytes: s.bytes,
    identicalOutput: samples.every((x) => x.identicalOutput),
    fanoutReduction: s.fanout.reduction,
    pairs: `${s.fanout.pairsWithoutScoping} -> ${s.fanout.pairsWithScoping}`,
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}

console.log('\n| services | runs | cdk8s-mesh ms (construct + synth) | raw ApiObject ms (App) | ratio | raw ApiObject ms (MeshApp synth path) | ratio | peak RSS MB | objects | bytes | identical | Sidecar pairs (reduction) |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.services} | ${r.runs} | ${r.libMs} (${r.constructMs} + ${r.synthMs}) | ${r.rawMs} | ${r.ratio}x | ${r.rawSamePathMs} | ${r.ratioSamePath}x | ${r.peakRssMb} | ${r.objects} | ${r.bytes} | ${r.identicalOutput} | ${r.pairs} (${r.fanoutReduction}x) |`);
}
const base = rows.find((r) => r.services === 1000);
const big = rows.find((r) => r.services === 5000);
if (base && big) console.log(`\n5000 / 1000 time: ${(big.libMs / base.libMs).toFixed(2)}x (linear would be 5x)`);
