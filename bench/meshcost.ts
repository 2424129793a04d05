/**
 * `npm run meshcost`: what the generated mesh costs to run, measured with Istio's
 * own code. For each size, the benchmark mesh (bench/mesh-generator.ts, with the
 * control plane) is synthesized with sidecars and its derived Sidecar scoping,
 * with sidecars without it, and on the ambient data plane; conformance/cmd/meshcost
 * loads each output into pilot and generates the complete xDS (LDS + CDS + RDS +
 * EDS) of sampled sidecars, the ingress gateway and the waypoints, and what
 * istiod sends ztunnel. Needs Go (the conformance module).
 *
 *   npm run meshcost [-- sizes=100,1000,5000 sample=12]
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const args = Object.fromEntries(process.argv.slice(2).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
const sizes = (args.sizes ?? '100,1000,5000').split(',').map(Number);
const sample = Number(args.sample ?? 12);
const VARIANTS = ['scoped', 'unscoped', 'ambient'] as const;
type Variant = typeof VARIANTS[number];

interface Proxies {
  count: number;
  measured: number;
  medianBytes: number;
  maxBytes: number;
  medianClusters: number;
  maxClusters: number;
  medianPushMs: number;
  maxPushMs: number;
  medianPushCpuMs: number;
  scopedBySidecarResource?: number;
}
interface Cost {
  services: number;
  loadSeconds: number;
  sidecars: Proxies;
  gateways: Proxies;
  waypoints: Proxies;
  ztunnel?: { workloads: number; services: number; addressBytes: number; policies: number; policyBytes: number; pushMs: number; pushCpuMs: number };
}

const bin = path.join(ROOT, '.cdk8s-mesh-bench', 'bin', 'meshcost');
fs.mkdirSync(path.dirname(bin), { recursive: true });
execFileSync('go', ['build', '-o', bin, './cmd/meshcost'], { cwd: path.join(ROOT, 'conformance'), stdio: ['ignore', 'inherit', 'inherit'] });

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-meshcost-'));
const results = new Map<number, Map<Variant, Cost>>();
try {
  for (const n of sizes) {
    const byVariant = new Map<Variant, Cost>();
    for (const variant of VARIANTS) {
      const out = path.join(work, `${variant}-${n}`);
      execFileSync(process.execPath, ['--max-old-space-size=8192', '-r', 'ts-node/register/transpile-only', path.join(__dirname, 'synth-mesh.ts'), String(n), variant, out],
        { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, 'tsconfig.json') } });
      const json = execFileSync(bin, ['-sample', String(sample), out], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
      const cost: Cost = JSON.parse(json.trim().split('\n').pop()!);
      byVariant.set(variant, cost);
      console.log(JSON.stringify({ size: n, variant, ...cost }));
      fs.rmSync(out, { recursive: true, force: true });
    }
    results.set(n, byVariant);
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

const kib = (b: number) => (b >= 1048576 ? `${(b / 1048576).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
const num = (x: number) => (x >= 100 ? `${Math.round(x)}` : x.toFixed(1));
/** CPU time of the process (every thread, GC included), wall time in parentheses. */
const ms = (cpu: number, wall: number) => `${num(cpu)} (${num(wall)}) ms`;

console.log(`\nSidecars: Envoy configuration per sidecar (LDS + CDS + RDS + EDS, serialized), median of ${sample} sampled sidecars; push = pilot generating all of it for one proxy, CPU ms (wall ms).`);
console.log('\n| services | bytes, scoped / unscoped | ratio | clusters, scoped / unscoped | push, scoped / unscoped | ingress gateway bytes / clusters / push | pilot load s |');
console.log('|---|---|---|---|---|---|---|');
for (const [n, v] of results) {
  const s = v.get('scoped')!;
  const u = v.get('unscoped')!;
  console.log(`| ${n} | ${kib(s.sidecars.medianBytes)} / ${kib(u.sidecars.medianBytes)} | ${(s.sidecars.medianBytes / u.sidecars.medianBytes).toFixed(3)} | `
    + `${s.sidecars.medianClusters} / ${u.sidecars.medianClusters} | ${ms(s.sidecars.medianPushCpuMs, s.sidecars.medianPushMs)} / ${ms(u.sidecars.medianPushCpuMs, u.sidecars.medianPushMs)} | `
    + `${kib(s.gateways.medianBytes)} / ${s.gateways.medianClusters} / ${ms(s.gateways.medianPushCpuMs, s.gateways.medianPushMs)} | ${s.loadSeconds.toFixed(1)} / ${u.loadSeconds.toFixed(1)} |`);
}

console.log('\nAmbient: each namespace\'s waypoint (median / max over the sampled ones) and what istiod sends every ztunnel.');
console.log('\n| services | waypoints | waypoint bytes, median / max | waypoint clusters | waypoint push | ztunnel workloads / services | ztunnel policies | ztunnel bytes (addresses + policies) | ztunnel push |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const [n, v] of results) {
  const a = v.get('ambient')!;
  const z = a.ztunnel;
  console.log(`| ${n} | ${a.waypoints.count} | ${kib(a.waypoints.medianBytes)} / ${kib(a.waypoints.maxBytes)} | ${a.waypoints.medianClusters} | ${ms(a.waypoints.medianPushCpuMs, a.waypoints.medianPushMs)} | `
    + `${z ? `${z.workloads} / ${z.services}` : 'n/a'} | ${z?.policies ?? 'n/a'} | ${z ? kib(z.addressBytes + z.policyBytes) : 'n/a'} | ${z ? ms(z.pushCpuMs, z.pushMs) : 'n/a'} |`);
}
