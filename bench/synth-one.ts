/**
 * One benchmark sample in a fresh process: synthesizes a generated mesh of N
 * services with cdk8s-mesh, then the identical object set as raw cdk8s
 * ApiObjects (the baseline), and prints one JSON line of measurements.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, DependencyGraph, Yaml } from 'cdk8s';
import { generateMesh } from './mesh-generator';
import { MeshApp } from '../src';

function dirBytes(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const f of fs.readdirSync(dir)) {
    files++;
    bytes += fs.statSync(path.join(dir, f)).size;
  }
  return { files, bytes };
}

/** Runs both paths once on a small mesh so neither measurement pays for JIT warm-up. */
function warmUp(root: string) {
  const app = new MeshApp({ outdir: path.join(root, 'warm-lib'), topologyDiagram: false });
  generateMesh(app, 50);
  app.synth();
  const raw = new App({ outdir: path.join(root, 'warm-raw') });
  for (const c of app.charts) {
    const chart = new Chart(raw, c.node.id);
    chartObjects(c).forEach((o: any, i: number) => new ApiObject(chart, `o${i}`, o));
  }
  raw.synth();
}

/** A chart's objects as cdk8s renders them (dependency order), without re-validating the app per chart. */
function chartObjects(chart: Chart): any[] {
  return new DependencyGraph(chart.node).topology()
    .filter((x): x is ApiObject => x instanceof ApiObject)
    .filter((x) => Chart.of(x) === chart)
    .map((x) => x.toJson());
}

function main() {
  const count = Number(process.argv[2]);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-bench-'));
  warmUp(root);
  if (global.gc) global.gc();

  // --- library (MeshApp, as users synthesize; the diagram is left out so the
  // written object set is identical to the baselines') -------------------------
  const t0 = process.hrtime.bigint();
  const app = new MeshApp({ outdir: path.join(root, 'lib'), topologyDiagram: false });
  generateMesh(app, count);
  const tBuilt = process.hrtime.bigint();
  app.synth();
  const t1 = process.hrtime.bigint();
  const libRssMb = process.resourceUsage().maxRSS / 1024;
  const written = dirBytes(path.join(root, 'lib'));

  // the identical object set, for the baseline
  const perChart = app.charts.map((c) => ({ id: c.node.id, objects: chartObjects(c) }));
  const objects = perChart.reduce((n, c) => n + c.objects.length, 0);

  // --- baseline: raw ApiObjects with the same content ------------------------
  if (global.gc) global.gc();
  const b0 = process.hrtime.bigint();
  const raw = new App({ outdir: path.join(root, 'raw') });
  for (const c of perChart) {
    const chart = new Chart(raw, c.id);
    c.objects.forEach((o: any, i: number) => new ApiObject(chart, `o${i}`, o));
  }
  raw.synth();
  const b1 = process.hrtime.bigint();
  const rawWritten = dirBytes(path.join(root, 'raw'));

  // --- the same raw objects through MeshApp's synth path (isolates construct overhead) --
  if (global.gc) global.gc();
  const s0 = process.hrtime.bigint();
  const rawSame = new MeshApp({ outdir: path.join(root, 'raw-same-path'), topologyDiagram: false });
  for (const c of perChart) {
    const chart = new Chart(rawSame, c.id);
    c.objects.forEach((o: any, i: number) => new ApiObject(chart, `o${i}`, o));
  }
  rawSame.synth();
  const s1 = process.hrtime.bigint();

  // identical output is what makes the baseline fair
  const same = fs.readdirSync(path.join(root, 'lib')).every((f) => {
    const lib = fs.readFileSync(path.join(root, 'lib', f), 'utf8');
    return lib === fs.readFileSync(path.join(root, 'raw', f), 'utf8') && lib === fs.readFileSync(path.join(root, 'raw-same-path', f), 'utf8');
  }) && fs.readdirSync(path.join(root, 'lib')).length === fs.readdirSync(path.join(root, 'raw')).length;
  fs.rmSync(root, { recursive: true, force: true });

  const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;
  process.stdout.write(JSON.stringify({
    services: count,
    libMs: ms(t0, t1),
    libConstructMs: ms(t0, tBuilt),
    libSynthMs: ms(tBuilt, t1),
    rawMs: ms(b0, b1),
    rawSamePathMs: ms(s0, s1),
    libRssMb,
    objects,
    files: written.files,
    bytes: written.bytes,
    rawBytes: rawWritten.bytes,
    identicalOutput: same,
    yamlCheck: Yaml.stringify({ ok: true }).trim(),
  }) + '\n');
}

main();
