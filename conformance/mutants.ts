/**
 * The mutation run of the conformance oracle: synthesizes the three flask-shop flavours (each
 * Istio-API / Gateway-API pair with its partner) and every corpus program into
 * conformance/out/, then runs conformance/bin/mutants on them: single-field mutants of the
 * emitted manifests, each judged by every stage of conformance/bin/conformance. Writes
 * cdk.out/mutants/report.md and report.json. Extra arguments go to the mutants binary
 * (e.g. -per-operator 3, -j 1, -only <id>,<id>).
 *
 *   ts-node --project test/tsconfig.json --transpile-only conformance/mutants.ts [mutants flags]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const BINARY = path.join(__dirname, 'bin', 'mutants');
const REPORT = path.join(ROOT, 'cdk.out', 'mutants');

/** The programs whose output is mutated (names of conformance/synth.ts). */
export function mutatedPrograms(): string[] {
  const corpus = fs.readdirSync(path.join(__dirname, 'corpus'))
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => `corpus-${path.basename(f, '.ts')}`);
  return [
    'flask-shop', 'flask-shop-ambient',
    'flask-shop.istio-api', 'flask-shop.gateway-api',
    'flask-shop-ambient.istio-api', 'flask-shop-ambient.gateway-api',
    ...corpus,
  ];
}

/** The commit the run measures, marked when the work tree has changes. */
function revision(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  if (head.status !== 0) return 'an unknown revision';
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' });
  return `commit ${head.stdout.trim()}${status.stdout.trim() ? ' with uncommitted changes' : ''}`;
}

function run(command: string, args: string[]): void {
  const res = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (res.error) throw res.error;
  if (res.status !== 0) process.exit(res.status ?? 1);
}

/** The arguments given after the task name; projen passes a leading `--` on, which Go's flag package would take as the end of the flags. */
function passedArgs(): string[] {
  const args = process.argv.slice(2);
  return args[0] === '--' ? args.slice(1) : args;
}

const programs = mutatedPrograms();
run(process.execPath, [require.resolve('ts-node/dist/bin'), '--project', 'test/tsconfig.json', '--transpile-only', 'conformance/synth.ts', ...programs]);
if (!fs.existsSync(BINARY)) throw new Error(`${path.relative(ROOT, BINARY)} is missing: build it with 'go build -o bin/mutants ./cmd/mutants' in conformance/`);
run(BINARY, [
  '-bin', path.join('conformance', 'bin', 'conformance'),
  '-out', path.relative(ROOT, REPORT),
  '-label', `Measured on ${revision()}.`,
  ...passedArgs(),
  ...programs.map((p) => `${p}=${path.join('conformance', 'out', p)}`),
]);
