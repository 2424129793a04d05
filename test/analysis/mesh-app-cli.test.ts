import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import { CanaryRelease, MeshApp, MeshService, StrictMtls } from '../../src';

function tmp() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-app-cli-'));
}

/** Every file under `dir` (relative path -> content). */
function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/** The shop; `canaryReplicas: 0` makes synthesis fail (TRAFFIC002), `extraChart` adds a chart. */
function shop(app: App, opts: { canaryReplicas?: number; extraChart?: boolean } = {}) {
  const chart = new Chart(app, 'shop', { namespace: 'shop' });
  const orders = new MeshService(chart, 'orders', {
    versions: [{ name: 'v1', image: 'ghcr.io/acme/orders:1.0.0' }, { name: 'v2', image: 'ghcr.io/acme/orders:1.1.0', replicas: opts.canaryReplicas ?? 1 }],
  });
  new CanaryRelease(chart, 'canary', { service: orders, stable: 'v1', canary: 'v2', canaryPercentage: 10 });
  new StrictMtls(chart, 'mtls', { namespace: 'shop' });
  if (opts.extraChart) new MeshService(new Chart(app, 'extra', { namespace: 'extra' }), 'audit', { versions: [{ name: 'v1', image: 'ghcr.io/acme/audit:1.0.0' }] });
}

describe('a plain cdk8s App', () => {
  test('synthesizing mesh constructs in it is an error that names MeshApp, and writes nothing', () => {
    // GIVEN a mesh in a plain App
    const outdir = path.join(tmp(), 'dist');
    const app = new App({ outdir });
    shop(app);
    // WHEN it synthesizes THEN
    expect(() => app.synth()).toThrow(
      "[] 'app' must be a MeshApp for mesh constructs (a plain cdk8s App writes no mesh.md, prints no analysis warnings and does not keep the last good output), got \"App\". "
      + "Fix: create the app with `new MeshApp()` (import { MeshApp } from 'cdk8s-mesh') instead of `new App()`; in tests, `Testing.app()` is accepted");
    expect(filesUnder(outdir)).toEqual({});
  });

  test('Testing.app() renders mesh charts for tests', () => {
    const app = Testing.app();
    shop(app);
    expect(Testing.synth(app.charts[0]).map((o) => o.kind)).toContain('VirtualService');
  });

  test('an App without mesh constructs is not concerned', () => {
    const app = new App({ outdir: tmp() });
    new Chart(app, 'plain');
    expect(() => app.synth()).not.toThrow();
  });
});

describe('a synthesis error that reaches the top of the program', () => {
  test('any number of failed syntheses in one turn install one handler, removed on the next turn', async () => {
    const before = process.listenerCount('uncaughtException');
    for (let i = 0; i < 12; i++) {
      const app = new MeshApp({ outdir: path.join(tmp(), 'dist') });
      shop(app, { canaryReplicas: 0 });
      expect(() => app.synth()).toThrow(/TRAFFIC002/);
    }
    expect(process.listenerCount('uncaughtException')).toBe(before + 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(process.listenerCount('uncaughtException')).toBe(before);
  });
});

describe('MeshApp under `cdk8s synth` (CDK8S_OUTDIR set, the folder emptied before the program runs)', () => {
  const saved = process.env.CDK8S_OUTDIR;
  let outdir: string;
  beforeEach(() => {
    outdir = path.join(tmp(), 'dist');
    process.env.CDK8S_OUTDIR = outdir;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.CDK8S_OUTDIR; else process.env.CDK8S_OUTDIR = saved;
  });
  /** What the CLI does before each run. */
  const cliEmpties = () => fs.rmSync(outdir, { recursive: true, force: true });

  function goodRun(opts: { extraChart?: boolean } = {}) {
    cliEmpties();
    const app = new MeshApp();
    shop(app, opts);
    app.synth();
    return filesUnder(outdir);
  }

  test('a failed synthesis leaves the last good output, byte for byte', () => {
    // GIVEN a good run
    const good = goodRun();
    expect(Object.keys(good).sort()).toEqual(['mesh-intent.jsonc', 'mesh.md', 'shop.k8s.yaml']);
    // WHEN the next run fails at synthesis
    cliEmpties();
    const app = new MeshApp();
    shop(app, { canaryReplicas: 0 });
    expect(() => app.synth()).toThrow(/TRAFFIC002/);
    // THEN
    expect(filesUnder(outdir)).toEqual(good);
  });

  test('a program that fails before synth() (an input error) also leaves the last good output', () => {
    const good = goodRun();
    cliEmpties();
    const app = new MeshApp();
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    expect(() => new MeshService(chart, 'orders', { versions: [] })).toThrow(/versions/);
    expect(filesUnder(outdir)).toEqual(good);
  });

  test('a good run replaces the whole output: files of removed charts do not survive', () => {
    expect(Object.keys(goodRun({ extraChart: true })).sort()).toEqual(['extra.k8s.yaml', 'mesh-intent.jsonc', 'mesh.md', 'shop.k8s.yaml']);
    expect(Object.keys(goodRun()).sort()).toEqual(['mesh-intent.jsonc', 'mesh.md', 'shop.k8s.yaml']);
  });

  test('without a previous good run, a failure leaves no output (as the CLI expects)', () => {
    cliEmpties();
    const app = new MeshApp();
    shop(app, { canaryReplicas: 0 });
    expect(() => app.synth()).toThrow(/TRAFFIC002/);
    expect(fs.existsSync(outdir)).toBe(false);
  });
});
