/**
 * The live stage's synthesis: every conformance program (conformance/synth.ts) into
 * conformance/out-live/<name>/, and for the programs in RESYNTH the same program with one
 * intent changed into conformance/out-live/<name>.changed/ (the first MeshService of the
 * program gets a new connection-pool limit: a re-synth a platform team would commit), then
 * (with --run) the live stage on all of them.
 *
 *   ts-node --project test/tsconfig.json --transpile-only conformance/live/synth.ts [--run] [name...]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { MeshService } from '../../src';
import { programs } from '../synth';

const ROOT = path.join(__dirname, '..', '..');
const OUT = path.join(__dirname, '..', 'out-live');
const BIN = path.join(__dirname, '..', 'bin', 'live');

/**
 * Programs whose re-synth with one intent changed is synced too, one per way the output is
 * synced: Argo CD Applications with a Rollout (ignoreDifferences, RespectIgnoreDifferences,
 * ApplyOutOfSyncOnly), the same on the ambient data plane, the Gateway API flavour, and
 * derived waves with two control-plane revisions. Every other program's re-synth changes the
 * same kind of object (the first service's DestinationRule) through a sync these already cover.
 */
const RESYNTH = new Set(['flask-shop', 'flask-shop-ambient', 'flask-shop.gateway-api', 'canary-upgrade-step1']);

/** The one intent the changed re-synth alters; returns what it changed. */
function changeOneIntent(app: App): string | undefined {
  const services = app.node.findAll().filter((c): c is MeshService => c instanceof MeshService);
  if (services.length === 0) return undefined;
  services[0].configureTrafficPolicy({ connectionPool: { maxConnections: 64 } });
  return `${services[0].node.path}: connectionPool.maxConnections 64`;
}

function main(): void {
  const args = process.argv.slice(2);
  const only = args.filter((a) => !a.startsWith('--'));
  for (const name of only) {
    if (!programs.has(name)) throw new Error(`unknown program '${name}'; known: ${[...programs.keys()].join(', ')}`);
  }
  for (const name of RESYNTH) {
    if (!programs.has(name)) throw new Error(`RESYNTH names '${name}', which is not a conformance program`);
  }
  const runArgs: string[] = [];
  for (const [name, program] of programs) {
    if (only.length > 0 && !only.includes(name)) continue;
    const base = path.join(OUT, name);
    const changed = path.join(OUT, `${name}.changed`);
    fs.rmSync(base, { recursive: true, force: true });
    fs.rmSync(changed, { recursive: true, force: true });
    program(base).synth();
    if (!RESYNTH.has(name)) {
      console.log(`synth ${name} (re-synth covered by ${[...RESYNTH].join(', ')})`);
      runArgs.push(`${name}=${path.relative(ROOT, base)}`);
      continue;
    }
    const app = program(changed);
    const what = changeOneIntent(app);
    if (what) {
      app.synth();
      console.log(`synth ${name} (+ changed: ${what})`);
      runArgs.push(`${name}=${path.relative(ROOT, base)},changed=${path.relative(ROOT, changed)}`);
    } else {
      console.log(`synth ${name} (no MeshService: no changed re-synth)`);
      runArgs.push(`${name}=${path.relative(ROOT, base)}`);
    }
  }
  if (args.includes('--run')) {
    const binary = path.join(BIN, 'live');
    if (!fs.existsSync(binary)) throw new Error(`${path.relative(ROOT, binary)} is missing: run conformance/live/build.sh`);
    const prereqs = fs.readdirSync(path.join(BIN, 'crds')).filter((f) => f.endsWith('.yaml')).sort()
      .flatMap((f) => ['-prereq', path.join(BIN, 'crds', f)]);
    const res = spawnSync(binary, ['-bin', BIN, ...prereqs, ...runArgs], { cwd: ROOT, stdio: 'inherit' });
    if (res.error) throw res.error;
    process.exit(res.status ?? 1);
  }
}

main();
