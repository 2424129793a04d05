import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import * as YAML from 'yaml';
import { MeshApp, MeshService } from '../../src';
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
    expect(readAll(outdir)).toEqual(['mesh.md', 'shop.k8s.yaml']);
    const md = fs.readFileSync(path.join(outdir, 'mesh.md'), 'utf8');
    expect(md).toContain('```mermaid\nflowchart LR\n');
    expect(md).toContain('svc_shop__orders -.->|"calls · mTLS optional"| svc_shop__users');
    expect(md).toContain('| Envoy proxies | mesh services | (proxy, visible host) pairs without scoping | with Sidecar scoping | reduction |\n|---|---|---|---|---|\n| 2 | 2 | 4 | 1 | 4x |');
    assertValidManifests(YAML.parseAllDocuments(fs.readFileSync(path.join(outdir, 'shop.k8s.yaml'), 'utf8')).map((d: any) => d.toJS()));
  });

  test('topologyDiagram: false writes manifests only', () => {
    const outdir = tmp();
    const app = new MeshApp({ outdir, topologyDiagram: false });
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
    const meshApp = new MeshApp({ outdir: meshDir, topologyDiagram: false });
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
