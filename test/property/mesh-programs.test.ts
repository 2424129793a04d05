import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart } from 'cdk8s';
import * as fc from 'fast-check';
import * as YAML from 'yaml';
import {
  CanaryRelease, GatewayServer, GatewayTls, HttpMatch, IngressGateway, MeshApp, MeshService, Protocol, StrictMtls,
} from '../../src';
import { assertValidManifests } from '../util';

/**
 * Property-based robustness: random mesh programs, valid and invalid, built
 * with the public API. For every program, either synthesis succeeds and the
 * output passes the strict schema harness and is byte-identical across two
 * builds, or it fails with one of our validation errors (a construct-path
 * prefixed message, never a raw TypeError or an internal error), and then no
 * partial output is left in the output directory.
 */

interface ServiceSpec {
  readonly name: string;
  readonly namespace: string;
  readonly versions: { name: string; replicas: number }[];
  readonly port: number;
  readonly targetPort: number;
  readonly protocol: Protocol;
  /** False: keep the bare name, so two services may collide. */
  readonly uniqueName: boolean;
}

interface Program {
  readonly services: ServiceSpec[];
  readonly edges: { from: number; to: number; kind: 'dependsOn' | 'allowFrom'; self: boolean }[];
  readonly canaries: { service: number; stable: string; canary: string; percentage: number }[];
  readonly routes: { service: number; prefix: string; to?: string }[];
  readonly mtls: 'none' | 'strict' | 'permissive' | 'conflict';
  readonly gatewayRoutes: { service: number; host: string }[];
}

// mostly-valid values with a small share of invalid ones, from small pools so
// collisions (duplicate names, unknown versions, shadowed routes) happen often
function mostly<T>(valid: T[], invalid: T[]): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: fc.constantFrom(...valid), weight: 50 }, { arbitrary: fc.constantFrom(...invalid), weight: 1 });
}
const versionName = mostly(['v1', 'v2', 'v3'], ['V2', '']);
const serviceSpec: fc.Arbitrary<ServiceSpec> = fc.record({
  name: mostly(['users', 'orders', 'catalog', 'reviews', 'ratings'], ['pay_ments']),
  namespace: fc.constantFrom('shop', 'billing'),
  versions: fc.oneof(
    {
      arbitrary: fc.tuple(fc.constantFrom(['v1'], ['v1', 'v2'], ['v1', 'v2', 'v3']), fc.array(mostly([1, 2, 3], [0, -1, 1.5]), { minLength: 3, maxLength: 3 }))
        .map(([names, replicas]) => names.map((name, i) => ({ name, replicas: replicas[i] }))),
      weight: 30,
    },
    { arbitrary: fc.array(fc.record({ name: versionName, replicas: fc.constantFrom(1, 0) }), { maxLength: 3 }), weight: 1 },
  ),
  uniqueName: mostly([true], [false]),
  port: mostly([80, 8080], [0, 70000]),
  targetPort: mostly([8080, 5000], [15001]),
  protocol: mostly([Protocol.HTTP, Protocol.GRPC], [Protocol.TCP]),
});
const index = fc.nat({ max: 4 });
const program: fc.Arbitrary<Program> = fc.record({
  services: fc.array(serviceSpec, { minLength: 1, maxLength: 4 }),
  edges: fc.array(fc.record({ from: index, to: index, kind: fc.constantFrom('dependsOn' as const, 'allowFrom' as const), self: mostly([false], [true]) })
    , { maxLength: 5 }),
  canaries: fc.array(fc.record({ service: index, stable: fc.constant('v1'), canary: mostly(['v2'], ['v3', 'v1', 'V2']), percentage: mostly([0, 10, 50, 100], [150, -5, 2.5]) }), { maxLength: 1 }),
  routes: fc.array(fc.record({ service: index, prefix: mostly(['/', '/api', '/api/v2'], ['api']), to: fc.option(versionName, { nil: undefined }) }), { maxLength: 2 }),
  mtls: mostly(['none' as const, 'strict' as const, 'permissive' as const], ['conflict' as const]),
  gatewayRoutes: fc.array(fc.record({ service: index, host: mostly(['shop.example.com', 'api.shop.example.com'], ['other.example.org', 'Bad_Host']) }), { maxLength: 2 }),
});

/** Builds the program into `app`; returns normally or throws whatever the library throws. */
function build(app: MeshApp, p: Program): void {
  const chart = new Chart(app, 'mesh');
  const services: MeshService[] = [];
  p.services.forEach((s, i) => {
    services.push(new MeshService(chart, `svc${i}`, {
      serviceName: s.uniqueName ? `${s.name}-${i}` : s.name,
      namespace: s.namespace,
      versions: s.versions.map((v) => ({ name: v.name, image: `ghcr.io/acme/${s.name}:${v.name || 'x'}`, replicas: v.replicas })),
      ports: [{ port: s.port, targetPort: s.targetPort, protocol: s.protocol }],
    }));
  });
  const at = (i: number) => services[i % services.length];
  for (const e of p.edges) {
    // a self-edge (an error) only when the program asks for one
    const to = at(e.to) === at(e.from) && !e.self ? at(e.from + 1) : at(e.to);
    if (to === at(e.from) && !e.self) continue;
    if (e.kind === 'dependsOn') at(e.from).dependsOn(to);
    else to.allowFrom(at(e.from));
  }
  p.canaries.forEach((c, i) => new CanaryRelease(chart, `canary${i}`, { service: at(c.service), stable: c.stable, canary: c.canary, canaryPercentage: c.percentage }));
  for (const r of p.routes) at(r.service).addRoute({ match: [HttpMatch.pathPrefix(r.prefix)], to: r.to });
  if (p.mtls === 'strict' || p.mtls === 'conflict') new StrictMtls(chart, 'mtls');
  if (p.mtls === 'permissive' || p.mtls === 'conflict') new StrictMtls(chart, 'mtls-shop', { namespace: p.mtls === 'conflict' ? 'istio-system' : 'shop', permissiveMigration: true });
  if (p.gatewayRoutes.length > 0) {
    const gw = new IngressGateway(chart, 'gw', {
      namespace: 'istio-ingress',
      servers: [GatewayServer.https({ hosts: ['shop.example.com', '*.shop.example.com'], tls: GatewayTls.simple('shop-cert') })],
    });
    for (const r of p.gatewayRoutes) gw.addRoute({ host: r.host, service: at(r.service) });
  }
}

/** Our error formats: `[path] 'prop' ...` (MeshValidationError) or cdk8s' validation summary of `[path] CODE: ...` lines. */
function assertOurError(e: unknown): void {
  expect(e).toBeInstanceOf(Error);
  const err = e as Error;
  expect(err).not.toBeInstanceOf(TypeError);
  expect(err).not.toBeInstanceOf(RangeError);
  expect(err).not.toBeInstanceOf(ReferenceError);
  if (err.name === 'MeshValidationError') {
    expect(err.message).toMatch(/^\[[^\]]+\] '[^']+' .+, got .+\. Fix: .+/s);
    return;
  }
  const [head, ...lines] = err.message.split('\n');
  expect(head).toBe('Validation failed with the following errors:');
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) expect(line).toMatch(/^ {2}\[[^\]]*\] (\[[^\]]+\] )?[A-Z]+(-[A-Z]+)?\d{3}: /);
}

function listFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/** Builds and synthesizes into a fresh directory; returns the files written or the error. */
function run(p: Program): { files?: Map<string, string>; error?: unknown; outdir: string } {
  const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-prop-')), 'dist');
  try {
    const app = new MeshApp({ outdir });
    build(app, p);
    const stderr = process.stderr.write;
    process.stderr.write = () => true; // warnings are printed by MeshApp; not under test here
    try {
      app.synth();
    } finally {
      process.stderr.write = stderr;
    }
  } catch (error) {
    return { error, outdir };
  }
  return { files: new Map(listFiles(outdir).map((f) => [f, fs.readFileSync(path.join(outdir, f), 'utf8')])), outdir };
}

describe('random mesh programs', () => {
  test('synthesize to valid, deterministic output, or fail with our validation error and write nothing', () => {
    let succeeded = 0;
    let failed = 0;
    fc.assert(fc.property(program, (p) => {
      const first = run(p);
      if (first.error !== undefined) {
        failed++;
        if (process.env.PROP_DEBUG) console.log(String((first.error as Error).message).split('\n').slice(0, 2).join(' / ').slice(0, 160));
        assertOurError(first.error);
        expect(listFiles(first.outdir)).toEqual([]);
        return;
      }
      succeeded++;
      const files = first.files!;
      expect([...files.keys()]).toEqual(['mesh-intent.jsonc', 'mesh.k8s.yaml', 'mesh.md']);
      assertValidManifests(YAML.parseAllDocuments(files.get('mesh.k8s.yaml')!).map((d) => d.toJS()).filter((d) => d));
      const second = run(p);
      expect(second.error).toBeUndefined();
      expect(second.files).toEqual(files);
    }), { seed: Number(process.env.PROP_SEED ?? 20240607), numRuns: Number(process.env.PROP_RUNS ?? 60) });
    // both branches must be exercised for the property to mean anything
    expect(succeeded).toBeGreaterThan(10);
    expect(failed).toBeGreaterThan(10);
  });
});
