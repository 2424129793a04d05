/**
 * `npm run bench`: synth-time and memory benchmark of cdk8s-mesh.
 *
 * For each size, fresh processes (so peak RSS is per size) synthesize a
 * generated mesh and, in the same process, the identical object set as raw
 * cdk8s ApiObjects (baseline). Reports medians, the library/baseline ratio,
 * objects and bytes written, and the measured Envoy configuration per sidecar:
 * for the `fanout` sizes, the generated mesh is synthesized with and without
 * its derived Sidecar scoping and conformance/cmd/fanout runs pilot's own xDS
 * generation (LDS+CDS+RDS+EDS) for a sample of sidecars. Not part of
 * `npm test`: timings never gate tests.
 *
 * Usage: npm run bench [-- sizes=100,1000,5000 runs=3 fanout=100,1000 fanoutSample=12]
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const sizes = (args.sizes ?? '100,1000,5000').split(',').map(Number);
const runs = Number(args.runs ?? 3);
const fanoutSizes = (args.fanout ?? '100,1000').split(',').filter((x: string) => x !== '').map(Number);
const fanoutSample = Number(args.fanoutSample ?? 12);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Fanout {
  sidecars: number;
  sampled: number;
  medianBytes: number;
  maxBytes: number;
  medianClusters: number;
  loadSeconds: number;
  generateSecondsPerSidecar: number;
}

/**
 * Envoy config bytes per sidecar from pilot's xDS generation, for the generated
 * mesh with (scoped) and without (unscoped) the derived Sidecar resources.
 */
function measureFanout(n: number): { scoped: Fanout; unscoped: Fanout } | string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-fanout-'));
  try {
    const conformance = path.join(__dirname, '..', 'conformance');
    const bin = path.join(root, 'fanout');
    try {
      execFileSync('go', ['build', '-o', bin, './cmd/fanout'], { cwd: conformance, stdio: ['ignore', 'ignore', 'inherit'] });
    } catch (e) {
      return `not measured: building conformance/cmd/fanout failed (${(e as Error).message.split('\n')[0]})`;
    }
    const measure = (variant: 'scoped' | 'unscoped'): Fanout => {
      const out = path.join(root, `${variant}-${n}`);
      execFileSync(process.execPath, [
        '--max-old-space-size=8192', '-r', 'ts-node/register/transpile-only',
        path.join(__dirname, 'synth-fanout.ts'), String(n), variant, out,
      ], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, 'tsconfig.json') } });
      const json = execFileSync(bin, ['-sample', String(fanoutSample), out], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
      return JSON.parse(json.trim().split('\n').pop()!);
    };
    return { scoped: measure('scoped'), unscoped: measure('unscoped') };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
const fanouts = new Map<number, { scoped: Fanout; unscoped: Fanout } | string>();
for (const n of fanoutSizes) {
  const f = measureFanout(n);
  fanouts.set(n, f);
  console.log(JSON.stringify({ fanout: n, ...(typeof f === 'string' ? { note: f } : f) }));
}

function fanoutCell(n: number): string {
  const f = fanouts.get(n);
  if (f === undefined) return 'not measured';
  if (typeof f === 'string') return f;
  return `${kb(f.scoped.medianBytes)} / ${kb(f.unscoped.medianBytes)} (${(f.scoped.medianBytes / f.unscoped.medianBytes).toFixed(3)})`;
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
    envoyPerSidecar: fanoutCell(n),
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}

console.log('\n| services | runs | cdk8s-mesh ms (construct + synth) | raw ApiObject ms (App) | ratio | raw ApiObject ms (MeshApp synth path) | ratio | peak RSS MB | objects | bytes | identical | Envoy config per sidecar, median: scoped / unscoped (ratio) |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.services} | ${r.runs} | ${r.libMs} (${r.constructMs} + ${r.synthMs}) | ${r.rawMs} | ${r.ratio}x | ${r.rawSamePathMs} | ${r.ratioSamePath}x | ${r.peakRssMb} | ${r.objects} | ${r.bytes} | ${r.identicalOutput} | ${r.envoyPerSidecar} |`);
}

// the measured fan-out in full: pilot's LDS+CDS+RDS+EDS per sidecar, serialized
console.log('\n| services | sidecars (sampled) | scoped median / max | unscoped median / max | scoped/unscoped median | max | clusters per sidecar, scoped / unscoped | pilot load s, scoped / unscoped |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [n, f] of fanouts) {
  if (typeof f === 'string') {
    console.log(`| ${n} | ${f} |  |  |  |  |  |  |`);
    continue;
  }
  console.log(`| ${n} | ${f.scoped.sidecars} (${f.scoped.sampled}) | ${kb(f.scoped.medianBytes)} / ${kb(f.scoped.maxBytes)} | ${kb(f.unscoped.medianBytes)} / ${kb(f.unscoped.maxBytes)} | ${(f.scoped.medianBytes / f.unscoped.medianBytes).toFixed(3)} | ${(f.scoped.maxBytes / f.unscoped.maxBytes).toFixed(3)} | ${f.scoped.medianClusters} / ${f.unscoped.medianClusters} | ${f.scoped.loadSeconds.toFixed(1)} / ${f.unscoped.loadSeconds.toFixed(1)} |`);
}
const base = rows.find((r) => r.services === 1000);
const big = rows.find((r) => r.services === 5000);
if (base && big) console.log(`\n5000 / 1000 time: ${(big.libMs / base.libMs).toFixed(2)}x (linear would be 5x)`);
