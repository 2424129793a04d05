import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, JsonPatch, YamlOutputType } from 'cdk8s';
import * as YAML from 'yaml';
import { CanaryRelease, HttpMethod, MeshApp, MeshService, Protocol } from '../../src';
import { MeshModel } from '../../src/model';
import { assertValidManifests } from '../util';

function tmp() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-app-'));
}

function readAll(dir: string) {
  return fs.readdirSync(dir).sort();
}

describe('MeshApp', () => {
  test('writes the manifests and mesh.md with the Mermaid diagram', () => {
    const outdir = tmp();
    const app = new MeshApp({ outdir });
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    const users = new MeshService(chart, 'users', { versions: [{ name: 'v1', image: 'a:1' }] });
    new MeshService(chart, 'orders', { versions: [{ name: 'v1', image: 'b:1' }] }).dependsOn(users);
    app.synth();
    expect(readAll(outdir)).toEqual(['mesh-intent.jsonc', 'mesh.md', 'shop.k8s.yaml']);
    const md = fs.readFileSync(path.join(outdir, 'mesh.md'), 'utf8');
    expect(md).toContain('```mermaid\nflowchart LR\n');
    expect(md).toContain('svc_shop__orders -.->|"calls · mTLS optional"| svc_shop__users');
    expect(md).toContain('| Envoy proxies | mesh services | (proxy, visible host) pairs without scoping | with Sidecar scoping | reduction |\n|---|---|---|---|---|\n| 2 | 2 | 4 | 1 | 4x |');
    assertValidManifests(YAML.parseAllDocuments(fs.readFileSync(path.join(outdir, 'shop.k8s.yaml'), 'utf8')).map((d: any) => d.toJS()));
  });

  test('topologyDiagram: false and meshIntent: false write manifests only', () => {
    const outdir = tmp();
    const app = new MeshApp({ outdir, topologyDiagram: false, meshIntent: false });
    new MeshService(new Chart(app, 'c'), 'users', { versions: [{ name: 'v1', image: 'a:1' }] });
    app.synth();
    expect(readAll(outdir)).toEqual(['c.k8s.yaml']);
  });

  test('a failure leaves no partial output', () => {
    const outdir = tmp();
    const app = new MeshApp({ outdir });
    new MeshService(new Chart(app, 'a'), 'users', { versions: [{ name: 'v1', image: 'a:1' }] });
    const b = new Chart(app, 'b');
    // a chart that fails while rendering, after chart "a" was written
    new (class extends Chart {
      public toJson(): any[] {
        throw new Error('render failure');
      }
    })(b, 'broken');
    expect(() => app.synth()).toThrow('render failure');
    expect(fs.existsSync(outdir) ? readAll(outdir) : []).toEqual([]);
  });

  test('a validation error writes nothing', () => {
    const outdir = path.join(tmp(), 'dist');
    const app = new MeshApp({ outdir });
    const chart = new Chart(app, 'a');
    const users = new MeshService(chart, 'users', { versions: [{ name: 'v1', image: 'a:1' }] });
    MeshModel.of(app).addRule('TEST002', () => [{ code: 'TEST002', severity: 'error', path: users.node.path, message: 'broken' }]);
    expect(() => app.synth()).toThrow('[a/users] TEST002: broken');
    expect(fs.existsSync(outdir) ? readAll(outdir) : []).toEqual([]);
  });
});

describe('MeshApp synthesis path', () => {
  function build(app: App) {
    const a = new Chart(app, 'a', { namespace: 'a' });
    const b = new Chart(app, 'b', { namespace: 'b' });
    const nested = new Chart(b, 'nested', { namespace: 'nested' });
    const users = new MeshService(a, 'users', { versions: [{ name: 'v1', image: 'a:1' }, { name: 'v2', image: 'a:2' }] });
    const orders = new MeshService(b, 'orders', { versions: [{ name: 'v1', image: 'b:1' }] });
    new MeshService(nested, 'audit', { versions: [{ name: 'v1', image: 'c:1' }] });
    orders.dependsOn(users);
    b.addDependency(a); // a cross-chart dependency: chart files get an index prefix
  }

  test('writes byte-identical files to a plain App (validation and dependency resolution run once)', () => {
    const plainDir = tmp();
    const meshDir = tmp();
    const plain = new App({ outdir: plainDir });
    build(plain);
    plain.synth();
    const meshApp = new MeshApp({ outdir: meshDir, topologyDiagram: false, meshIntent: false });
    build(meshApp);
    meshApp.synth();
    expect(readAll(meshDir)).toEqual(readAll(plainDir));
    expect(readAll(meshDir).length).toBe(3);
    for (const f of readAll(plainDir)) {
      const yaml = fs.readFileSync(path.join(meshDir, f), 'utf8');
      expect(yaml).toBe(fs.readFileSync(path.join(plainDir, f), 'utf8'));
      assertValidManifests(YAML.parseAllDocuments(yaml).map((d: any) => d.toJS()));
    }
  });

  /** Every file under `dir`, recursively (relative path -> content). */
  function filesUnder(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((x, y) => x.name.localeCompare(y.name))) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p); else out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
      }
    };
    walk(dir);
    return out;
  }

  // cdk8s offers no synthesis hook, so MeshApp re-implements App.synth() with the public API only:
  // every output layout must stay byte-identical to cdk8s's own.
  describe.each([
    ['FILE_PER_CHART', YamlOutputType.FILE_PER_CHART],
    ['FILE_PER_APP', YamlOutputType.FILE_PER_APP],
    ['FILE_PER_RESOURCE', YamlOutputType.FILE_PER_RESOURCE],
    ['FOLDER_PER_CHART_FILE_PER_RESOURCE', YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE],
  ])('yamlOutputType %s: the same files, byte for byte, as App.synth()', (_name, yamlOutputType) => {
    test.each([['with dependent charts', true], ['with independent charts', false]])('%s, with construct metadata', (_d, dependent) => {
      const plainDir = tmp();
      const meshDir = tmp();
      const make = (app: App) => {
        if (dependent) {
          build(app);
        } else {
          new MeshService(new Chart(app, 'a', { namespace: 'a' }), 'users', { versions: [{ name: 'v1', image: 'a:1' }] });
          new MeshService(new Chart(app, 'b', { namespace: 'b' }), 'orders', { versions: [{ name: 'v1', image: 'b:1' }] });
        }
      };
      const plain = new App({ outdir: plainDir, yamlOutputType, recordConstructMetadata: true });
      make(plain);
      plain.synth();
      const meshApp = new MeshApp({ outdir: meshDir, yamlOutputType, recordConstructMetadata: true, topologyDiagram: false, meshIntent: false });
      make(meshApp);
      meshApp.synth();
      const expected = filesUnder(plainDir);
      expect(Object.keys(expected)).toContain('construct-metadata.json');
      expect(Object.keys(expected).length).toBeGreaterThanOrEqual(2);
      expect(filesUnder(meshDir)).toEqual(expected);
    });
  });

  test('a chart class that overrides toJson() is rendered through it', () => {
    class Annotated extends Chart {
      public toJson(): any[] {
        return super.toJson().map((o: any) => ({ ...o, metadata: { ...o.metadata, annotations: { 'example.com/overridden': 'true' } } }));
      }
    }
    const outdir = tmp();
    const app = new MeshApp({ outdir, topologyDiagram: false });
    new MeshService(new Annotated(app, 'a', { namespace: 'a' }), 'users', { versions: [{ name: 'v1', image: 'a:1' }] });
    app.synth();
    const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(outdir, 'a.k8s.yaml'), 'utf8')).map((d: any) => d.toJS());
    expect(docs.length).toBeGreaterThan(3);
    expect(docs.every((d: any) => d.metadata.annotations['example.com/overridden'] === 'true')).toBe(true);
  });

  test('chart.toJson() outside MeshApp.synth still validates the app', () => {
    const app = new MeshApp({ outdir: tmp() });
    const chart = new Chart(app, 'a');
    const users = new MeshService(chart, 'users', { versions: [{ name: 'v1', image: 'a:1' }] });
    MeshModel.of(app).addRule('TEST003', () => [{ code: 'TEST003', severity: 'error', path: users.node.path, message: 'broken' }]);
    expect(() => chart.toJson()).toThrow('[a/users] TEST003: broken');
    expect(() => app.synth()).toThrow('[a/users] TEST003: broken');
    expect(() => chart.toJson()).toThrow('[a/users] TEST003: broken');
  });
});

describe('MeshApp atomic synthesis', () => {
  /** Every file under `dir` (relative path -> bytes). */
  function snapshotDir(dir: string): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p); else out.set(path.relative(dir, p), fs.readFileSync(p));
      }
    };
    walk(dir);
    return out;
  }

  /** Two charts; `breakIt` adds an escape-hatch patch that cannot apply (fails after validation, while chart b renders). */
  function build(app: App, image: string, breakIt: boolean) {
    new MeshService(new Chart(app, 'a', { namespace: 'a' }), 'users', { versions: [{ name: 'v1', image }] });
    const orders = new MeshService(new Chart(app, 'b', { namespace: 'b' }), 'orders', { versions: [{ name: 'v1', image }] });
    if (breakIt) ApiObject.of(orders.service).addJsonPatch(JsonPatch.replace('/spec/no/such/field', 1));
  }

  test.each([
    ['the default layout', undefined, 'mesh.md'],
    ['a topologyFile in a sub-folder', 'docs/topology.md', 'docs/topology.md'],
  ])('a synth that fails after validation keeps the previous output byte for byte (%s)', (_name, topologyFile, written) => {
    const outdir = path.join(tmp(), 'dist');
    const good = new MeshApp({ outdir, topologyFile });
    build(good, 'reg.example/users:1.0.0', false);
    good.synth();
    const before = snapshotDir(outdir);
    expect([...before.keys()].sort()).toEqual(['a.k8s.yaml', 'b.k8s.yaml', 'mesh-intent.jsonc', written].sort());
    assertValidManifests(YAML.parseAllDocuments(before.get('a.k8s.yaml')!.toString()).map((d: any) => d.toJS()));

    const bad = new MeshApp({ outdir, topologyFile });
    build(bad, 'reg.example/users:2.0.0', true);
    expect(() => bad.synth()).toThrow(/no\/such\/field|path/);
    expect(snapshotDir(outdir)).toEqual(before);
    // no staging folder is left beside the output
    expect(fs.readdirSync(path.dirname(outdir))).toEqual(['dist']);
  });

  test('a topologyFile outside outdir is replaced together with the manifests, or not at all', () => {
    const root = tmp();
    const outdir = path.join(root, 'dist');
    const good = new MeshApp({ outdir, topologyFile: '../mesh.md' });
    build(good, 'reg.example/users:1.0.0', false);
    good.synth();
    const md = fs.readFileSync(path.join(root, 'mesh.md'));
    const manifests = snapshotDir(outdir);
    expect([...manifests.keys()].sort()).toEqual(['a.k8s.yaml', 'b.k8s.yaml', 'mesh-intent.jsonc']);

    const bad = new MeshApp({ outdir, topologyFile: '../mesh.md' });
    build(bad, 'reg.example/users:2.0.0', true);
    new MeshService(new Chart(bad, 'c'), 'extra', { versions: [{ name: 'v1', image: 'reg.example/extra:1.0.0' }] });
    expect(() => bad.synth()).toThrow();
    expect(fs.readFileSync(path.join(root, 'mesh.md'))).toEqual(md);
    expect(snapshotDir(outdir)).toEqual(manifests);
    expect(fs.readdirSync(root).sort()).toEqual(['dist', 'mesh.md']);

    // a good synth replaces both
    const next = new MeshApp({ outdir, topologyFile: '../mesh.md' });
    build(next, 'reg.example/users:2.0.0', false);
    new MeshService(new Chart(next, 'c'), 'extra', { versions: [{ name: 'v1', image: 'reg.example/extra:1.0.0' }] });
    next.synth();
    expect(fs.readFileSync(path.join(root, 'mesh.md'), 'utf8')).toContain('extra');
    expect(fs.readFileSync(path.join(outdir, 'a.k8s.yaml'), 'utf8')).toContain('reg.example/users:2.0.0');
    expect(fs.readdirSync(root).sort()).toEqual(['dist', 'mesh.md']);
  });

  test('files cdk8s leaves in place (not written by this synthesis) stay after a good synth', () => {
    const outdir = tmp();
    fs.writeFileSync(path.join(outdir, 'kustomization.yaml'), 'resources: []\n');
    const app = new MeshApp({ outdir });
    build(app, 'reg.example/users:1.0.0', false);
    app.synth();
    expect(readAll(outdir)).toEqual(['a.k8s.yaml', 'b.k8s.yaml', 'kustomization.yaml', 'mesh-intent.jsonc', 'mesh.md']);
    expect(fs.readFileSync(path.join(outdir, 'kustomization.yaml'), 'utf8')).toBe('resources: []\n');
  });
});

describe('MeshApp object size limit', () => {
  test('an object over 1.5 MiB fails synthesis and writes nothing', () => {
    const outdir = path.join(tmp(), 'dist');
    const app = new MeshApp({ outdir });
    const chart = new Chart(app, 'a', { namespace: 'a' });
    new MeshService(chart, 'users', { versions: [{ name: 'v1', image: 'reg.example/users:1.0.0' }] });
    new ApiObject(chart, 'big', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { blob: 'x'.repeat(1600 * 1024) } } as any);
    expect(() => app.synth()).toThrow(/^\[a\] 'metadata.name' names a ConfigMap of 16\d{5} bytes, over the API server's request limit of 1572864 bytes \(1.5 MiB\): kubectl apply and Argo CD cannot create it, got "big". Fix: split the content/);
    expect(fs.existsSync(outdir)).toBe(false);
  });
});

describe('MeshApp mesh intent', () => {
  function shop(app: App) {
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    const users = new MeshService(chart, 'users', { ports: [{ port: 80, targetPort: 5000, protocol: Protocol.HTTP }], versions: [{ name: 'v1', image: 'a:1' }] });
    const orders = new MeshService(chart, 'orders', { versions: [{ name: 'v1', image: 'b:1' }, { name: 'v2', image: 'b:2' }] });
    orders.dependsOn(users);
    users.allowFrom(orders, { methods: [HttpMethod.GET], ports: [80] });
    new CanaryRelease(chart, 'orders-canary', { service: orders, stable: 'v1', canary: 'v2', canaryPercentage: 10 });
  }

  test('writes mesh-intent.jsonc: the declared intent as JSON with kind and version, read from the model', () => {
    const outdir = tmp();
    const app = new MeshApp({ outdir });
    shop(app);
    app.synth();
    const intent = JSON.parse(fs.readFileSync(path.join(outdir, 'mesh-intent.jsonc'), 'utf8'));
    expect(intent).toMatchObject({ kind: 'MeshIntent', version: 1, mesh: { trustDomain: 'cluster.local', rootNamespace: 'istio-system' } });
    const orders = intent.services.find((s: any) => s.name === 'orders');
    expect(orders.calls).toEqual([{ host: 'users.shop.svc.cluster.local', reason: 'allowFrom' }, { host: 'users.shop.svc.cluster.local', reason: 'dependsOn' }]);
    expect(orders.releases[0]).toMatchObject({ kind: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 10 });
    // the model's terms: the rule's port is the workload port the Service port 80 forwards to
    expect(intent.authorizationPolicies).toEqual([expect.objectContaining({
      name: 'users-allow',
      action: 'ALLOW',
      rules: [{ from: [{ identities: [{ namespace: 'shop', serviceAccount: 'orders' }] }], operation: { methods: ['GET'], ports: ['5000'] } }],
    })]);
  });

  test('is deterministic and follows meshIntentFile', () => {
    const a = tmp();
    const b = tmp();
    for (const outdir of [a, b]) {
      const app = new MeshApp({ outdir, meshIntentFile: 'intent/mesh.jsonc' });
      shop(app);
      app.synth();
    }
    expect(fs.readFileSync(path.join(a, 'intent/mesh.jsonc'), 'utf8')).toBe(fs.readFileSync(path.join(b, 'intent/mesh.jsonc'), 'utf8'));
    expect(readAll(a)).toEqual(['intent', 'mesh.md', 'shop.k8s.yaml']);
  });

  test.each([
    ['mesh-intent.json', "'meshIntentFile' must not end with .json, .yaml, .yml, .jsonnet: kubectl apply -f <outdir> and Argo CD directory sources read such files as manifests"],
    ['intent.YAML', "use the '.jsonc' extension, e.g. 'intent.jsonc'"],
    ['../mesh-intent.jsonc', "'meshIntentFile' must be a file name relative to outdir, inside it, got \"../mesh-intent.jsonc\""],
    ['/tmp/mesh-intent.jsonc', "'meshIntentFile' must be a file name relative to outdir, inside it"],
  ])('meshIntentFile %s is rejected', (file, message) => {
    expect(() => new MeshApp({ outdir: tmp(), meshIntentFile: file })).toThrow(message);
  });
});
