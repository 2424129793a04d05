import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart } from 'cdk8s';
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
