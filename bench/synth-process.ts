/**
 * The end-to-end measurement: a fresh `node` process that loads the compiled
 * library (lib/), builds the generated mesh of N services and synthesizes it,
 * as `cdk8s synth` runs a compiled program; timed from outside by
 * /usr/bin/time (wall, CPU of every thread, peak RSS), like `helm template`.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..');

/** Why lib/ cannot be measured (missing, or older than a source file), if so. */
export function libProblem(): string | undefined {
  const index = path.join(ROOT, 'lib', 'index.js');
  if (!fs.existsSync(index)) return 'lib/ is missing (npx projen compile)';
  const built = fs.statSync(index).mtimeMs;
  const stale = (dir: string): boolean => fs.readdirSync(dir, { withFileTypes: true }).some((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? stale(p) : p.endsWith('.ts') && fs.statSync(p).mtimeMs > built;
  });
  return stale(path.join(ROOT, 'src')) ? 'lib/ is older than src/ (npx projen compile)' : undefined;
}

/** Writes the program (the benchmark mesh against lib/) into dir; returns its path. */
export function writeProgram(dir: string): string {
  const generator = ts.transpileModule(fs.readFileSync(path.join(__dirname, 'mesh-generator.ts'), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 },
  }).outputText.replace(/require\("\.\.\/src"\)/g, `require(${JSON.stringify(path.join(ROOT, 'lib'))})`);
  fs.writeFileSync(path.join(dir, 'mesh-generator.js'), generator);
  const main = path.join(dir, 'main.js');
  fs.writeFileSync(main, [
    `const { MeshApp } = require(${JSON.stringify(path.join(ROOT, 'lib'))});`,
    'const { generateMesh } = require(\'./mesh-generator\');',
    'const app = new MeshApp({ outdir: process.argv[3], topologyDiagram: false });',
    'generateMesh(app, Number(process.argv[2]));',
    'app.synth();',
  ].join('\n'));
  return main;
}

export interface ProcessRun {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakRssMb: number;
}

/** Runs the program for N services into outdir. */
export function runProgram(main: string, n: number, outdir: string): ProcessRun {
  const res = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', process.execPath, '--max-old-space-size=8192', main, String(n), outdir],
    { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } });
  if (res.status !== 0) throw new Error(`synthesis failed: ${res.stderr}`);
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(res.stderr);
  if (!m) throw new Error(`no timing from /usr/bin/time: ${res.stderr}`);
  return { wallMs: Number(m[1]) * 1000, cpuMs: (Number(m[2]) + Number(m[3])) * 1000, peakRssMb: Number(m[4]) / 1024 };
}
