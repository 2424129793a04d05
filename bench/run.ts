/**
 * `npm run bench`: how long cdk8s-mesh takes to synthesize a mesh, against
 * `helm template` of a chart that renders the same objects and against the
 * serialization floors, all measured in this run.
 *
 * For each size, fresh processes synthesize the generated mesh of N services
 * (bench/mesh-generator.ts): cdk8s-mesh in-process (construction + synth, after
 * a warm-up), the same as a whole `node` process on the compiled lib/ (end to
 * end, like `helm template`), `helm template` of bench/helm/chart with values
 * for the same services (Helm 4 built from its Go module, bench/helm.ts; the
 * rendered object set must equal ours), and the serializers on the same
 * objects. `baseline=<git ref>` also runs the library of that revision (e.g.
 * the base of a change) in the same run, for a before/after ratio.
 *
 * Times are CPU time (user + system, all threads), the stable measure on a
 * shared machine, with wall time beside them; medians of `runs`.
 *
 *   npm run bench [-- sizes=100,1000,10000 runs=3 baseline=<git ref> helm=false]
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as jsyaml from 'js-yaml';
import { ensureHelm, HELM_VERSION, helmTemplate, HelmRun } from './helm';
import { objectSetDigestOf } from './object-set';
import { libProblem, ProcessRun, runProgram, writeProgram } from './synth-process';

const ROOT = path.join(__dirname, '..');
const args = Object.fromEntries(process.argv.slice(2).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
const sizes = (args.sizes ?? '100,1000,10000').split(',').map(Number);
const runs = Number(args.runs ?? 3);
const baselineRef: string | undefined = args.baseline || undefined;

interface Timing {
  readonly cpuMs: number;
  readonly wallMs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
const med = (xs: Timing[]): Timing => ({ cpuMs: median(xs.map((x) => x.cpuMs)), wallMs: median(xs.map((x) => x.wallMs)) });
const fmt = (t: Timing | undefined) => (t ? `${Math.round(t.cpuMs)} (${Math.round(t.wallMs)})` : 'n/a');
const ratio = (a: Timing | undefined, b: Timing | undefined) => (a && b ? `${(a.cpuMs / b.cpuMs).toFixed(2)}x` : 'n/a');

/** The checkout of `ref` (git archive) beside this one, sharing its node_modules. */
function checkoutBaseline(ref: string): string {
  const sha = execFileSync('git', ['rev-parse', '--short', `${ref}^{commit}`], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = path.join(ROOT, '.cdk8s-mesh-bench', `baseline-${sha}`);
  if (!fs.existsSync(path.join(dir, 'src'))) {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${sha} src bench | tar -x -C "${dir}"`], { cwd: ROOT });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  }
  return dir;
}

function synthOne(n: number, extra: string[]): any {
  const out = execFileSync(process.execPath, [
    '--expose-gc', '--max-old-space-size=8192', '-r', 'ts-node/register/transpile-only',
    path.join(__dirname, 'synth-one.ts'), String(n), ...extra,
  ], { encoding: 'utf8', env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, 'tsconfig.json') }, maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

const helmBuild = args.helm === 'false' ? { skipped: 'helm=false' } : ensureHelm();
const helm = 'helm' in helmBuild ? helmBuild.helm : undefined;
const baselineDir = baselineRef ? checkoutBaseline(baselineRef) : undefined;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-bench-run-'));
const libSkip = libProblem();
// the program lives in the repository, where it resolves cdk8s like a user's program does
const programDir = fs.mkdtempSync(path.join(ROOT, '.cdk8s-mesh-bench', 'program-'));
const program = libSkip ? undefined : writeProgram(programDir);

interface Row {
  services: number;
  runs: number;
  objects: number;
  bytes: number;
  mesh: Timing;
  construct: Timing;
  synth: Timing;
  rssMb: number;
  process?: Timing & { rssMb: number };
  baseline?: Timing;
  helm?: Timing & { rssMb: number; bytes: number; identical: boolean };
  floors: Record<string, Timing>;
  identicalYaml: boolean;
}

const rows: Row[] = [];
try {
  for (const n of sizes) {
    const r = n >= 5000 ? 1 : runs;
    const lib: any[] = [];
    const base: any[] = [];
    const procs: ProcessRun[] = [];
    const helms: HelmRun[] = [];
    let identical = false;
    for (let i = 0; i < r; i++) {
      const floorsDir = fs.mkdtempSync(path.join(work, `floors-${n}-`));
      lib.push(synthOne(n, [`floors=${floorsDir}`]));
      if (baselineDir) base.push(synthOne(n, [`src=${baselineDir}`]));
      if (program) procs.push(runProgram(program, n, path.join(work, `process-${n}-${i}`)));
      if (helm) {
        const out = path.join(work, `helm-${n}-${i}.yaml`);
        helms.push(helmTemplate(helm, path.join(floorsDir, 'values.yaml'), out));
        if (i === 0) {
          const rendered = jsyaml.loadAll(fs.readFileSync(out, 'utf8')).filter((d) => d !== null && d !== undefined);
          identical = objectSetDigestOf(rendered) === fs.readFileSync(path.join(floorsDir, 'objects.sha256'), 'utf8');
        }
        fs.rmSync(out, { force: true });
      }
      fs.rmSync(path.join(work, `process-${n}-${i}`), { recursive: true, force: true });
      fs.rmSync(floorsDir, { recursive: true, force: true });
    }
    const t = (x: any, k: string): Timing => ({ cpuMs: x[`${k}CpuMs`], wallMs: x[`${k}WallMs`] });
    const sum = (x: any): Timing => ({ cpuMs: x.constructCpuMs + x.synthCpuMs, wallMs: x.constructWallMs + x.synthWallMs });
    const floorNames = Object.keys(lib[0].floors).filter((k) => k !== 'identical');
    const row: Row = {
      services: n,
      runs: r,
      objects: lib[0].objects,
      bytes: lib[0].bytes,
      mesh: med(lib.map(sum)),
      construct: med(lib.map((x) => t(x, 'construct'))),
      synth: med(lib.map((x) => t(x, 'synth'))),
      rssMb: median(lib.map((x) => x.peakRssMb)),
      process: procs.length ? { ...med(procs), rssMb: median(procs.map((p) => p.peakRssMb)) } : undefined,
      baseline: base.length ? med(base.map(sum)) : undefined,
      helm: helms.length ? { ...med(helms), rssMb: median(helms.map((h) => h.peakRssMb)), bytes: helms[0].bytes, identical } : undefined,
      floors: Object.fromEntries(floorNames.map((k) => [k, med(lib.map((x) => x.floors[k]))])),
      identicalYaml: lib.every((x) => x.floors.identical),
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(programDir, { recursive: true, force: true });
}

console.log(`\nCPU ms (wall ms), median of runs. Helm: ${helm ? `${HELM_VERSION}, built here from its Go module` : `skipped: ${(helmBuild as { skipped: string }).skipped}`}.`);
if (libSkip) console.log(`cdk8s-mesh node process: not measured, ${libSkip}.`);
if (baselineRef) console.log(`Baseline: the library at ${baselineRef} (${path.basename(baselineDir!)}), measured in this run.`);
console.log('\n| services | objects | MB | cdk8s-mesh construct + synth | node process end to end | helm template | mesh / helm | process / helm | baseline | mesh / baseline | peak RSS MB mesh / process / helm | same objects as helm |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.services} | ${r.objects} | ${(r.bytes / 1048576).toFixed(1)} | ${fmt(r.mesh)} = ${fmt(r.construct)} + ${fmt(r.synth)} | ${fmt(r.process)} | ${fmt(r.helm)} | ${ratio(r.mesh, r.helm)} | ${ratio(r.process, r.helm)} | ${fmt(r.baseline)} | ${ratio(r.mesh, r.baseline)} | ${Math.round(r.rssMb)} / ${r.process ? Math.round(r.process.rssMb) : 'n/a'} / ${r.helm ? Math.round(r.helm.rssMb) : 'n/a'} | ${r.helm ? r.helm.identical : 'n/a'} |`);
}

const LABELS: Record<string, string> = {
  jsonStringify: 'JSON.stringify',
  jsYamlDump: 'js-yaml dump',
  yamlStringify: 'yaml stringify (as cdk8s calls it)',
  cdk8sSynthYaml: 'cdk8s App.synthYaml (raw ApiObjects)',
  yamlEmitter: 'YamlEmitter (cdk8s-mesh)',
};
for (const r of rows.filter((x) => x.services === 1000 || rows.length === 1)) {
  console.log(`\nSerializing the same ${r.objects} objects (${r.services} services), same run; YamlEmitter output identical to the yaml library's: ${r.identicalYaml}`);
  console.log('\n| serializer | CPU ms (wall ms) | / JSON.stringify | / yaml stringify | / helm template |');
  console.log('|---|---|---|---|---|');
  for (const [k, v] of Object.entries(r.floors)) {
    console.log(`| ${LABELS[k] ?? k} | ${fmt(v)} | ${ratio(v, r.floors.jsonStringify)} | ${ratio(v, r.floors.yamlStringify)} | ${ratio(v, r.helm)} |`);
  }
  console.log(`| cdk8s-mesh construct + synth | ${fmt(r.mesh)} | ${ratio(r.mesh, r.floors.jsonStringify)} | ${ratio(r.mesh, r.floors.yamlStringify)} | ${ratio(r.mesh, r.helm)} |`);
  if (r.helm) console.log(`| helm template (whole process) | ${fmt(r.helm)} | ${ratio(r.helm, r.floors.jsonStringify)} | ${ratio(r.helm, r.floors.yamlStringify)} | 1.00x |`);
}

const k1 = rows.find((r) => r.services === 1000);
const big = rows.filter((r) => r.services > 1000).pop();
if (k1 && big) {
  const f = big.services / 1000;
  console.log(`\n${big.services} services in one synth: ${fmt(big.mesh)} ms, peak RSS ${Math.round(big.rssMb)} MB; `
    + `${(big.mesh.cpuMs / k1.mesh.cpuMs).toFixed(2)}x the CPU time of 1000 (linear: ${f}x), ${(big.rssMb / k1.rssMb).toFixed(2)}x its peak RSS`);
}
