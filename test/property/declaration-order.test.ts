import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart } from 'cdk8s';
import * as fc from 'fast-check';
import * as YAML from 'yaml';
import {
  BlueGreenRelease, CanaryRelease, DataPlaneMode, GatewayServer, GatewayTls, HeaderMatch, HttpMatch, IngressGateway, IstioControlPlane, MeshApp,
  MeshNamespace, MeshService, ReleaseDriver, RolloutRevision, RolloutStep,
} from '../../src';
import { assertValidManifests } from '../util';

/**
 * Declaration order never matters: a random valid mesh program
 * (services, versions, routes, releases including the Argo Rollouts driver,
 * an ingress gateway and its routes, authorization and dependencies) gives
 * byte-identical output whatever order its declarations run in, as long as
 * each object exists before it is used.
 *
 * What may move: every call on one object keeps its order relative to the
 * other calls on that object (route order and version order are meaning,
 * and each call may add a child construct whose place in the tree is the
 * output order); constructs created directly in the chart keep their order
 * (their order is the output's). Everything else interleaves freely: a
 * release before or after the `addVersion()` of its canary, a gateway route
 * before or after the service's own routes and its release, `allowFrom()`
 * before or after the caller's versions, and so on.
 *
 * Ambient programs declare their namespaces (and the ambient control plane)
 * in a platform chart of their own, which moves freely too: a namespace
 * declared after its services makes them ambient all the same, because the
 * data-plane mode is resolved from the whole model at synth.
 */

type ReleaseSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'canary'; readonly percentage: number; readonly pinHeader: boolean }
  | { readonly kind: 'blue-green'; readonly previewHeader: boolean }
  | { readonly kind: 'rollouts'; readonly revision: RolloutRevision; readonly headerStep: boolean };

interface ServiceSpec {
  readonly namespace: string;
  /** Whether v2 is declared in the props (else with `addVersion()`). */
  readonly v2InProps: boolean;
  /** A third version, added with `addVersion()` (not with the Rollouts driver, which runs exactly two). */
  readonly v3: boolean;
  readonly routes: readonly string[];
  readonly release: ReleaseSpec;
}

interface Program {
  readonly services: readonly ServiceSpec[];
  readonly edges: readonly { readonly from: number; readonly to: number; readonly kind: 'dependsOn' | 'allowFrom' }[];
  readonly gatewayRoutes: readonly { readonly host: string; readonly service: number }[];
  /** Whether the namespaces are ambient `MeshNamespace`s, declared in a platform chart. */
  readonly ambient: boolean;
  /** Random choices that pick the next runnable declaration. */
  readonly order: readonly number[];
}

const release: fc.Arbitrary<ReleaseSpec> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('canary' as const), percentage: fc.constantFrom(0, 10, 50), pinHeader: fc.boolean() }),
  fc.record({ kind: fc.constant('blue-green' as const), previewHeader: fc.boolean() }),
  fc.record({ kind: fc.constant('rollouts' as const), revision: fc.constantFrom(RolloutRevision.STABLE, RolloutRevision.CANARY), headerStep: fc.boolean() }),
);
const serviceSpec: fc.Arbitrary<ServiceSpec> = fc.record({
  namespace: fc.constantFrom('shop', 'billing'),
  v2InProps: fc.boolean(),
  v3: fc.boolean(),
  routes: fc.subarray(['/a', '/b']),
  release,
}).map((s) => (s.release.kind === 'rollouts' ? { ...s, v3: false } : s));

const program: fc.Arbitrary<Program> = fc.array(serviceSpec, { minLength: 1, maxLength: 3 }).chain((services) => fc.record({
  services: fc.constant(services),
  edges: fc.array(fc.record({
    from: fc.nat({ max: services.length - 1 }),
    to: fc.nat({ max: services.length - 1 }),
    kind: fc.constantFrom('dependsOn' as const, 'allowFrom' as const),
  }), { maxLength: 4 }).map((edges) => edges.filter((e) => e.from !== e.to)),
  gatewayRoutes: fc.uniqueArray(fc.record({ host: fc.constantFrom('shop.example.com', 'api.shop.example.com'), service: fc.nat({ max: services.length - 1 }) }),
    { maxLength: 2, selector: (r) => r.host }),
  ambient: fc.boolean(),
  order: fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
}));

/** One declaration: what it needs to exist first, and what it does. */
interface Step {
  readonly label: string;
  /** The chain it belongs to (one object's calls, or the chart's constructs); its order within the chain is kept. */
  readonly chain: string;
  /** The object (chain) a chart step creates. */
  readonly creates?: string;
  /** Objects that must exist before the step runs (its own object always must). */
  readonly needs: readonly string[];
  readonly run: (ctx: Context) => void;
}

interface Context {
  readonly app: MeshApp;
  readonly chart: Chart;
  platform?: Chart;
  readonly services: Map<number, MeshService>;
  gateway?: IngressGateway;
}

const CHART = 'chart';

/** The declarations of a program, each chain in its canonical order. */
function steps(p: Program): Step[] {
  const out: Step[] = [];
  const svc = (i: number) => `svc${i}`;
  p.services.forEach((s, i) => {
    out.push({
      label: `new MeshService(svc${i})`,
      chain: CHART,
      creates: svc(i),
      needs: [],
      run: (ctx) => {
        const created = new MeshService(ctx.chart, svc(i), {
          namespace: s.namespace,
          versions: [{ name: 'v1', image: `ghcr.io/acme/svc${i}:1`, replicas: 2 }, ...(s.v2InProps ? [{ name: 'v2', image: `ghcr.io/acme/svc${i}:2` }] : [])],
        });
        ctx.services.set(i, created);
      },
    });
  });
  p.services.forEach((s, i) => {
    if (!s.v2InProps) out.push({ label: `svc${i}.addVersion(v2)`, chain: svc(i), needs: [], run: (ctx) => void ctx.services.get(i)!.addVersion({ name: 'v2', image: `ghcr.io/acme/svc${i}:2` }) });
    if (s.v3) out.push({ label: `svc${i}.addVersion(v3)`, chain: svc(i), needs: [], run: (ctx) => void ctx.services.get(i)!.addVersion({ name: 'v3', image: `ghcr.io/acme/svc${i}:3` }) });
    for (const prefix of s.routes) {
      out.push({ label: `svc${i}.addRoute(${prefix})`, chain: svc(i), needs: [], run: (ctx) => void ctx.services.get(i)!.addRoute({ match: [HttpMatch.pathPrefix(prefix)] }) });
    }
    for (const e of p.edges.filter((x) => x.to === i && x.kind === 'allowFrom')) {
      out.push({ label: `svc${i}.allowFrom(svc${e.from})`, chain: svc(i), needs: [svc(e.from)], run: (ctx) => void ctx.services.get(i)!.allowFrom(ctx.services.get(e.from)!) });
    }
    // a routed service admits the gateway (SEC008 otherwise, once it has any allow rule)
    if (p.gatewayRoutes.some((r) => r.service === i)) {
      out.push({ label: `svc${i}.allowFrom(gw)`, chain: svc(i), needs: ['gw'], run: (ctx) => void ctx.services.get(i)!.allowFrom(ctx.gateway!) });
    }
    for (const e of p.edges.filter((x) => x.from === i && x.kind === 'dependsOn')) {
      out.push({ label: `svc${i}.dependsOn(svc${e.to})`, chain: svc(i), needs: [svc(e.to)], run: (ctx) => ctx.services.get(i)!.dependsOn(ctx.services.get(e.to)!) });
    }
  });
  p.services.forEach((s, i) => {
    const r = s.release;
    if (r.kind === 'none') return;
    out.push({
      label: `new ${r.kind} release of svc${i}`,
      chain: CHART,
      needs: [svc(i)],
      run: (ctx) => {
        const service = ctx.services.get(i)!;
        if (r.kind === 'blue-green') {
          new BlueGreenRelease(ctx.chart, `release${i}`, { service, active: 'v1', preview: 'v2', previewHeader: r.previewHeader ? HeaderMatch.exact('x-preview', 'true') : undefined });
        } else if (r.kind === 'canary') {
          new CanaryRelease(ctx.chart, `release${i}`, {
            service, stable: 'v1', canary: 'v2', canaryPercentage: r.percentage, pinHeader: r.pinHeader ? HeaderMatch.exact('x-canary', 'always') : undefined,
          });
        } else {
          new CanaryRelease(ctx.chart, `release${i}`, {
            service,
            stable: 'v1',
            canary: 'v2',
            canaryPercentage: 0,
            driver: ReleaseDriver.argoRollouts({
              revision: r.revision,
              steps: [
                ...(r.headerStep ? [RolloutStep.headerRoute({ name: 'testers', headers: [HeaderMatch.exact('x-canary', 'always')] })] : []),
                RolloutStep.weight(10), RolloutStep.pause(), RolloutStep.weight(50),
              ],
            }),
          });
        }
      },
    });
  });
  if (p.gatewayRoutes.length > 0) {
    out.push({
      label: 'new IngressGateway',
      chain: CHART,
      creates: 'gw',
      needs: [],
      run: (ctx) => {
        ctx.gateway = new IngressGateway(ctx.chart, 'gw', {
          namespace: 'istio-ingress',
          servers: [GatewayServer.https({ hosts: ['shop.example.com', 'api.shop.example.com'], tls: GatewayTls.simple('shop-cert') })],
        });
      },
    });
    for (const r of p.gatewayRoutes) {
      out.push({ label: `gw.addRoute(${r.host} -> svc${r.service})`, chain: 'gw', needs: [svc(r.service)], run: (ctx) => void ctx.gateway!.addRoute({ host: r.host, service: ctx.services.get(r.service)! }) });
    }
  }
  if (p.ambient) {
    out.push({
      label: 'new platform chart with an ambient control plane',
      chain: 'platform',
      creates: 'platform',
      needs: [],
      run: (ctx) => {
        ctx.platform = new Chart(ctx.app, 'platform');
        new IstioControlPlane(ctx.platform, 'istio', { crds: false, dataPlane: DataPlaneMode.AMBIENT });
      },
    });
    for (const ns of ['shop', 'billing']) {
      out.push({
        label: `new MeshNamespace(${ns}, ambient)`,
        chain: 'platform',
        needs: [],
        run: (ctx) => void new MeshNamespace(ctx.platform!, ns, { dataPlaneMode: DataPlaneMode.AMBIENT }),
      });
    }
  }
  // canonical: the chart's constructs first (in their fixed order), then the calls
  return [...out.filter((x) => x.chain === CHART), ...out.filter((x) => x.chain !== CHART)];
}

/**
 * A random order of the steps that keeps each chain's order and runs a step
 * only after the objects it needs (and its own object) exist.
 */
function interleave(all: Step[], choices: readonly number[]): Step[] {
  const creator = (chain: string) => all.findIndex((s) => s.creates === chain);
  const done = new Set<number>();
  const order: Step[] = [];
  let c = 0;
  while (order.length < all.length) {
    const runnable = all
      .map((s, i) => ({ s, i }))
      .filter(({ s, i }) => {
        if (done.has(i)) return false;
        // the next step of its chain
        const first = all.findIndex((x, j) => x.chain === s.chain && !done.has(j));
        if (first !== i) return false;
        const owner = s.chain === CHART || s.creates === s.chain ? -1 : creator(s.chain);
        return [owner, ...s.needs.map(creator)].every((j) => j < 0 || done.has(j));
      });
    const pick = runnable[choices[c++ % choices.length] % runnable.length];
    done.add(pick.i);
    order.push(pick.s);
  }
  return order;
}

function synth(order: Step[]): Map<string, string> {
  const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-order-')), 'dist');
  const app = new MeshApp({ outdir });
  const ctx: Context = { app, chart: new Chart(app, 'mesh'), services: new Map() };
  for (const s of order) s.run(ctx);
  const stderr = process.stderr.write;
  process.stderr.write = () => true; // warnings are printed by MeshApp; not under test here
  try {
    app.synth();
  } finally {
    process.stderr.write = stderr;
  }
  const files = new Map(fs.readdirSync(outdir).sort().map((f) => [f, fs.readFileSync(path.join(outdir, f), 'utf8')]));
  fs.rmSync(path.dirname(outdir), { recursive: true, force: true });
  return files;
}

describe('declaration order', () => {
  test('any order of the declarations of a valid program synthesizes byte-identical output', () => {
    let rollouts = 0;
    let moved = 0;
    let ambient = 0;
    fc.assert(fc.property(program, (p) => {
      const canonical = steps(p);
      const expected = synth(canonical);
      assertValidManifests(YAML.parseAllDocuments(expected.get('mesh.k8s.yaml')!).map((d) => d.toJS()).filter((d) => d));
      const shuffled = interleave(canonical, p.order);
      if (shuffled.some((s, i) => s !== canonical[i])) moved++;
      if (p.services.some((s) => s.release.kind === 'rollouts')) rollouts++;
      const at = (prefix: string) => shuffled.findIndex((s) => s.label.startsWith(prefix));
      if (p.ambient && at('new MeshNamespace') > at('new MeshService')) ambient++;
      const actual = synth(shuffled);
      if (process.env.PROP_DEBUG) console.log(shuffled.map((s) => s.label).join('; '));
      expect([...actual.keys()]).toEqual([...expected.keys()]);
      for (const [file, text] of expected) expect({ file, text: actual.get(file) }).toEqual({ file, text });
    }), { seed: Number(process.env.PROP_SEED ?? 20261201), numRuns: Number(process.env.PROP_RUNS ?? 25) });
    // the property means something only if orders really changed, Rollouts included
    expect(moved).toBeGreaterThan(15);
    expect(rollouts).toBeGreaterThan(4);
    // ambient programs whose namespaces were declared after a service of theirs
    expect(ambient).toBeGreaterThan(4);
  });

  test('the interleaving keeps each object\'s calls in order and runs nothing before the objects it needs', () => {
    const p: Program = {
      services: [
        { namespace: 'shop', v2InProps: false, v3: false, routes: ['/a'], release: { kind: 'rollouts', revision: RolloutRevision.CANARY, headerStep: false } },
        { namespace: 'shop', v2InProps: true, v3: true, routes: [], release: { kind: 'none' } },
      ],
      edges: [{ from: 1, to: 0, kind: 'allowFrom' }],
      gatewayRoutes: [{ host: 'shop.example.com', service: 0 }],
      ambient: false,
      order: [7, 3, 5, 1, 0, 2, 9, 4],
    };
    const canonical = steps(p);
    for (let seed = 0; seed < 20; seed++) {
      const order = interleave(canonical, [seed, seed * 7 + 3, seed * 13 + 1, 5, 2, seed]).map((s) => s.label);
      expect(order).toHaveLength(canonical.length);
      const at = (label: string) => order.indexOf(label);
      expect(at('new MeshService(svc0)')).toBeLessThan(at('svc0.addVersion(v2)'));
      expect(at('svc0.addVersion(v2)')).toBeLessThan(at('svc0.addRoute(/a)'));
      expect(at('new rollouts release of svc0')).toBeGreaterThan(at('new MeshService(svc1)'));
      expect(at('svc0.allowFrom(svc1)')).toBeGreaterThan(at('new MeshService(svc1)'));
      expect(at('gw.addRoute(shop.example.com -> svc0)')).toBeGreaterThan(at('new IngressGateway'));
    }
  });
});
