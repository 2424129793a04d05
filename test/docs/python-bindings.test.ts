/**
 * The Python bindings: the package jsii-pacmak generates from the jsii
 * assembly exposes every public type, and examples/python-shop/main.py only
 * uses names, members and keyword arguments that exist in it.
 *
 * A fast static check with Python's own parser (test/docs/check_python_names.py)
 * against the generated code; CI also runs the program for real in a virtualenv
 * and diffs its output against flask-shop's (scripts/test-python-shop.sh).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const CHECKER = path.join(__dirname, 'check_python_names.py');
const MAIN_PY = path.join(ROOT, 'examples', 'python-shop', 'main.py');
const ENV = { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' };

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** The jsii assembly, compiled first when missing or older than src/ (a fresh clone runs `npm test` without compiling). */
function assembly(): any {
  const file = path.join(ROOT, '.jsii');
  if (!fs.existsSync(file) || fs.statSync(file).mtimeMs < newestSource(path.join(ROOT, 'src'))) {
    execFileSync('npx', ['jsii', '--silence-warnings=reserved-word'], { cwd: ROOT, env: ENV, stdio: 'pipe' });
  }
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function check(program: string, init: string): { classes: string[]; problems: string[] } {
  return JSON.parse(execFileSync(PYTHON, [CHECKER, init, program], { encoding: 'utf8' }));
}

describe('Python bindings', () => {
  let jsii: any;
  let init: string;
  let outdir: string;

  beforeAll(() => {
    jsii = assembly();
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-python-'));
    execFileSync('npx', ['jsii-pacmak', '--target', 'python', '--code-only', '-o', outdir], { cwd: ROOT, env: ENV, stdio: 'pipe' });
    init = path.join(outdir, 'python', 'src', 'cdk8s_mesh', '__init__.py');
  }, 180_000);

  afterAll(() => {
    if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
  });

  describe('the generated package', () => {
    test('is the cdk8s_mesh module of the cdk8s-mesh distribution', () => {
      expect(jsii.targets.python).toEqual({ distName: 'cdk8s-mesh', module: 'cdk8s_mesh' });
      expect(fs.existsSync(init)).toBe(true);
    });

    test('exports every public type of the assembly (constructs, props, enums, interfaces)', () => {
      // GIVEN every type of the jsii assembly
      const types = Object.values(jsii.types) as any[];
      const constructs = types.filter((t) => t.kind === 'class' && isConstruct(jsii, t));
      expect(constructs.map((t) => t.name)).toEqual(expect.arrayContaining(['MeshService', 'CanaryRelease', 'IstioControlPlane', 'IngressGateway']));
      // WHEN the generated __init__.py is read
      const { classes } = check(MAIN_PY, init);
      // THEN each of them is there, by its jsii name
      const missing = types.map((t) => t.name).filter((n) => !classes.includes(n));
      expect(missing).toEqual([]);
    });

    test('keeps the generated Istio L1 classes internal', () => {
      const { classes } = check(MAIN_PY, init);
      expect(classes.filter((c) => /^Kube|^VirtualServiceSpec|^DestinationRuleSpec/.test(c))).toEqual([]);
    });
  });

  describe('examples/python-shop/main.py', () => {
    test('uses only names, members and keyword arguments that exist in the generated package', () => {
      expect(check(MAIN_PY, init).problems).toEqual([]);
    });

    test('covers the flask-shop features: versions, canary, mTLS, allowFrom, JWT, gateways, control plane, observability', () => {
      const source = fs.readFileSync(MAIN_PY, 'utf8');
      for (const name of ['MeshService', 'CanaryRelease', 'StrictMtls', 'JwtAuthentication', 'IngressGateway', 'EgressGateway',
        'IstioControlPlane', 'MeshNamespace', 'ObservabilityStack', 'MeshApp']) {
        expect(source).toMatch(new RegExp(`^\\s+${name},$`, 'm'));
      }
      for (const call of ['.allow_from(', '.require_jwt(', '.add_version(', '.add_route(', '.configure_traffic_policy(', '.depends_on(']) {
        expect(source).toContain(call);
      }
    });

    test('the check catches misspelled names, members and keyword arguments', () => {
      // GIVEN a program with one mistake of each kind
      const bad = path.join(outdir, 'bad.py');
      fs.writeFileSync(bad, [
        'import cdk8s_mesh',
        'from cdk8s_mesh import MeshService, MeshServiceVersion, RetryOn, HttpMatch, NoSuchThing',
        'svc = MeshService(None, "x", versions=[MeshServiceVersion(name="v1", image="a", replica=2)], stable="v1")',
        'svc.allow_from(svc, method=["GET"])',
        'svc.no_such_method()',
        'r = RetryOn.GATEWAY_ERRORS',
        'm = HttpMatch.pathPrefix("/x")',
        'g = cdk8s_mesh.Nope',
        'svc.add_version(MeshServiceVersion(name="v2", image="b"))',
      ].join('\n'));
      // WHEN / THEN
      expect(check(bad, init).problems).toEqual([
        "line 2: 'NoSuchThing' is not exported by cdk8s_mesh",
        expect.stringMatching(/^line 3: MeshServiceVersion\(\) has no parameter 'replica' \(it has: .*replicas/),
        expect.stringMatching(/^line 3: MeshService\(\) has no parameter 'stable' \(it has: .*stable_version/),
        expect.stringMatching(/^line 4: MeshService.allow_from\(\) has no parameter 'method'/),
        "line 5: MeshService has no member 'no_such_method'",
        "line 6: RetryOn has no member 'GATEWAY_ERRORS'",
        "line 7: HttpMatch has no member 'pathPrefix'",
        'line 8: cdk8s_mesh.Nope does not exist in the generated package',
        'line 9: MeshService.add_version() takes 0 positional argument(s), got 1',
      ]);
    });
  });
});

/** True for classes that extend constructs.Construct (directly or through other classes). */
function isConstruct(jsii: any, type: any): boolean {
  for (let t = type; t; t = t.base ? jsii.types[t.base] ?? { fqn: t.base } : undefined) {
    if (t.fqn === 'constructs.Construct' || t.base === 'constructs.Construct') return true;
  }
  return false;
}
