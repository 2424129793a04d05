/**
 * One benchmark sample in a fresh process; prints one JSON line.
 *
 *   synth-one.ts <services> [src=<checkout>] [floors=<dir>]
 *
 * Synthesizes the generated mesh of N services with cdk8s-mesh's `MeshApp`, as a
 * user's program does (construction, then `app.synth()` writing the manifests),
 * and reports CPU and wall time of both steps and the peak RSS. `src` runs the
 * library of another checkout (its src/ and bench/mesh-generator.ts, e.g. the
 * base revision), for a before/after in the same run.
 *
 * With `floors`, the same objects are then serialized by each of the floors
 * (`JSON.stringify`, js-yaml's `dump`, the `yaml` library as cdk8s calls it,
 * cdk8s's whole `App.synthYaml()` pipeline on raw ApiObjects holding the same
 * objects, and YamlEmitter), and `floors` receives the Helm values for these
 * objects and their digest (bench/helm.ts renders the same set).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, DependencyGraph, Yaml } from 'cdk8s';
import * as jsyaml from 'js-yaml';
import * as YAML from 'yaml';
import { helmValues } from './helm-values';
import { objectSetDigestOf } from './object-set';
import { YamlEmitter } from '../src/private/yaml-emitter';

const args = Object.fromEntries(process.argv.slice(3).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
const count = Number(process.argv[2]);
const tree = path.resolve(args.src ?? path.join(__dirname, '..'));
/* eslint-disable @typescript-eslint/no-require-imports */
const { MeshApp } = require(path.join(tree, 'src')) as typeof import('../src');
const { generateMesh } = require(path.join(tree, 'bench', 'mesh-generator')) as typeof import('./mesh-generator');
/* eslint-enable @typescript-eslint/no-require-imports */

/** CPU (user + system, every thread of the process) and wall milliseconds of `fn`. */
function measure<T>(fn: () => T): { result: T; cpuMs: number; wallMs: number } {
  const c0 = process.cpuUsage();
  const w0 = process.hrtime.bigint();
  const result = fn();
  const c = process.cpuUsage(c0);
  return { result, cpuMs: (c.user + c.system) / 1000, wallMs: Number(process.hrtime.bigint() - w0) / 1e6 };
}

function dirBytes(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('.k8s.yaml')) continue;
    files++;
    bytes += fs.statSync(path.join(dir, f)).size;
  }
  return { files, bytes };
}

/** A chart's objects as cdk8s renders them (dependency order). */
function chartObjects(chart: Chart): any[] {
  return new DependencyGraph(chart.node).topology()
    .filter((x): x is ApiObject => x instanceof ApiObject)
    .filter((x) => Chart.of(x) === chart)
    .map((x) => x.toJson());
}

function synthLibrary(root: string, n: number) {
  const outdir = path.join(root, `lib-${n}`);
  const app = new MeshApp({ outdir, topologyDiagram: false });
  const construct = measure(() => generateMesh(app, n));
  const synth = measure(() => app.synth());
  return { app, outdir, construct, synth };
}

function floors(perChart: { id: string; objects: any[] }[], dir: string) {
  const docs = perChart.flatMap((c) => c.objects);
  const run = (fn: () => unknown) => {
    fn(); // warm
    return measure(fn);
  };
  const results = {
    jsonStringify: run(() => perChart.map((c) => c.objects.map((o) => JSON.stringify(o)).join('\n'))),
    jsYamlDump: run(() => perChart.map((c) => c.objects.map((o) => jsyaml.dump(o, { noRefs: true, lineWidth: -1 })).join('---\n'))),
    yamlStringify: run(() => perChart.map((c) => c.objects.map((o) => YAML.stringify(o, { keepUndefined: true, lineWidth: 0, version: '1.1' })).join('---\n'))),
    cdk8sSynthYaml: run(() => {
      const raw = new App({ outdir: path.join(dir, 'raw') });
      for (const c of perChart) {
        const chart = new Chart(raw, c.id);
        c.objects.forEach((o, i) => new ApiObject(chart, `o${i}`, o));
      }
      return raw.synthYaml();
    }),
    yamlEmitter: run(() => {
      const emitter = new YamlEmitter();
      return perChart.map((c) => emitter.stringify(c.objects));
    }),
  };
  // the floors must write what the library writes
  const emitted = results.yamlEmitter.result as string[];
  const identical = perChart.every((c, i) => emitted[i] === Yaml.stringify(...c.objects));
  fs.writeFileSync(path.join(dir, 'values.yaml'), new YamlEmitter().stringify([helmValues(docs)]));
  fs.writeFileSync(path.join(dir, 'objects.sha256'), objectSetDigestOf(docs));
  const ms = (m: { cpuMs: number; wallMs: number }) => ({ cpuMs: m.cpuMs, wallMs: m.wallMs });
  return {
    identical,
    jsonStringify: ms(results.jsonStringify),
    jsYamlDump: ms(results.jsYamlDump),
    yamlStringify: ms(results.yamlStringify),
    cdk8sSynthYaml: ms(results.cdk8sSynthYaml),
    yamlEmitter: ms(results.yamlEmitter),
  };
}

function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-bench-'));
  try {
    // a small mesh first, so the measurement does not pay for JIT warm-up
    synthLibrary(root, 50);
    if (global.gc) global.gc();
    const { app, outdir, construct, synth } = synthLibrary(root, count);
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const written = dirBytes(outdir);
    const line: Record<string, unknown> = {
      services: count,
      tree,
      constructCpuMs: construct.cpuMs,
      constructWallMs: construct.wallMs,
      synthCpuMs: synth.cpuMs,
      synthWallMs: synth.wallMs,
      peakRssMb,
      files: written.files,
      bytes: written.bytes,
    };
    if (args.floors) {
      const perChart = app.charts.map((c) => ({ id: c.node.id, objects: chartObjects(c) }));
      line.objects = perChart.reduce((n, c) => n + c.objects.length, 0);
      line.floors = floors(perChart, args.floors);
    }
    process.stdout.write(JSON.stringify(line) + '\n');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main();
