/**
 * The conformance driver's synthesis: one node process synthesizes every example, the
 * README quick start and every corpus program (conformance/corpus/*.ts) into
 * conformance/out/<name>/, then (with --run) runs the oracle binary on all of them.
 *
 *   ts-node --project test/tsconfig.json --transpile-only conformance/synth.ts [--run] [name...]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { buildUpgrade, UpgradeStep } from '../examples/canary-upgrade/main';
import { buildAmbientShop } from '../examples/flask-shop/ambient';
import { buildShop } from '../examples/flask-shop/main';
import { buildLocalCluster } from '../examples/local-cluster/main';
import { buildMultiTeam } from '../examples/multi-team/main';
import { MeshApp, RoutingApi } from '../src';
import { QUICK_START_HEADING, runSnippet, snippetAfter } from '../test/docs/readme-snippet';

const ROOT = path.join(__dirname, '..');
const OUT = path.join(__dirname, 'out');
const CORPUS = path.join(__dirname, 'corpus');
const BINARY = path.join(__dirname, 'bin', 'conformance');

/** One program: builds its app (with the given outdir) and returns it, unsynthesized. */
export type Program = (outdir: string) => App;

function meshApp(build: (app: App) => unknown): Program {
  return (outdir) => {
    const app = new MeshApp({ outdir });
    build(app);
    return app;
  };
}

/** Every program the conformance suite synthesizes, by output folder name. */
export const programs = new Map<string, Program>([
  ['flask-shop', meshApp(buildShop)],
  // ambient: ztunnel + istio-cni, the shop namespace ambient, its waypoint
  ['flask-shop-ambient', meshApp(buildAmbientShop)],
  // UPGRADE_STEP=1 and =2 of the example
  ['canary-upgrade-step1', meshApp((app) => buildUpgrade(app, UpgradeStep.CANARY))],
  ['canary-upgrade-step2', meshApp((app) => buildUpgrade(app, UpgradeStep.COMPLETE))],
  ['multi-team', meshApp(buildMultiTeam)],
  // the README's "Try it on a local cluster" (its 90/10 split and its 403 are behaviour cases)
  ['local-cluster', meshApp(buildLocalCluster)],
  ['readme-quick-start', (outdir) => {
    // the snippet constructs its own MeshApp; cdk8s reads the outdir from the environment
    const saved = process.env.CDK8S_OUTDIR;
    process.env.CDK8S_OUTDIR = outdir;
    try {
      return runSnippet(snippetAfter(QUICK_START_HEADING));
    } finally {
      if (saved === undefined) delete process.env.CDK8S_OUTDIR; else process.env.CDK8S_OUTDIR = saved;
    }
  }],
]);

for (const file of fs.readdirSync(CORPUS).filter((f) => f.endsWith('.ts')).sort()) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path.join(CORPUS, file)) as { build?: (app: App) => unknown };
  if (typeof mod.build !== 'function') throw new Error(`conformance/corpus/${file} must export build(app: App)`);
  programs.set(`corpus-${path.basename(file, '.ts')}`, meshApp(mod.build));
}

// Gateway API: each equivalence program twice, rendered with the Istio API
// (`<name>.istio-api`) and with the Gateway API (`<name>.gateway-api`); the oracle compares the
// Envoy config pilot generates from the two (internal/equivalence). flask-shop: the intent of its
// Gateway API flavour (examples/flask-shop, SHOP_ROUTING=gateway-api); flask-shop-ambient: the same on
// the ambient data plane (SHOP_DATAPLANE=ambient), compared at the waypoint.
function meshAppWith(routingApi: RoutingApi, build: (app: App) => unknown): Program {
  return (outdir) => {
    const app = new MeshApp({ outdir, routingApi });
    build(app);
    return app;
  };
}
const EQUIVALENCE = path.join(__dirname, 'equivalence');
const equivalence = new Map<string, (app: App) => unknown>([
  ['flask-shop', (app) => buildShop(app, undefined, true)],
  // ambient + Gateway API (the third flavour, SHOP_DATAPLANE=ambient SHOP_ROUTING=gateway-api) and the
  // same intent rendered with the Istio API on ambient: the waypoint's routes and clusters are compared
  ['flask-shop-ambient', (app) => buildAmbientShop(app, undefined, true)],
]);
for (const file of fs.readdirSync(EQUIVALENCE).filter((f) => f.endsWith('.ts')).sort()) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path.join(EQUIVALENCE, file)) as { build?: (app: App) => unknown };
  if (typeof mod.build !== 'function') throw new Error(`conformance/equivalence/${file} must export build(app: App)`);
  equivalence.set(path.basename(file, '.ts'), mod.build);
}
for (const [name, build] of equivalence) {
  programs.set(`${name}.istio-api`, meshAppWith(RoutingApi.ISTIO, build));
  programs.set(`${name}.gateway-api`, meshAppWith(RoutingApi.GATEWAY_API, build));
}

function main(): void {
  const args = process.argv.slice(2);
  const run = args.includes('--run');
  const only = args.filter((a) => !a.startsWith('--'));
  for (const name of only) {
    if (!programs.has(name)) throw new Error(`unknown program '${name}'; known: ${[...programs.keys()].join(', ')}`);
  }

  const outputs: string[] = [];
  const t0 = Date.now();
  for (const [name, program] of programs) {
    if (only.length > 0 && !only.includes(name)) continue;
    const outdir = path.join(OUT, name);
    fs.rmSync(outdir, { recursive: true, force: true });
    const t = Date.now();
    program(outdir).synth();
    const files = fs.readdirSync(outdir).filter((f) => f.endsWith('.k8s.yaml'));
    console.log(`synth ${name}: ${files.length} files (${Date.now() - t} ms)`);
    outputs.push(`${name}=${path.relative(ROOT, outdir)}`);
  }
  console.log(`synthesized ${outputs.length} programs in ${Date.now() - t0} ms`);

  if (run) {
    if (!fs.existsSync(BINARY)) throw new Error(`${path.relative(ROOT, BINARY)} is missing: build it with 'go build -o bin/conformance ./cmd/conformance' in conformance/`);
    const res = spawnSync(BINARY, outputs, { cwd: ROOT, stdio: 'inherit' });
    if (res.error) throw res.error;
    process.exit(res.status ?? 1);
  }
}

if (require.main === module) main();
