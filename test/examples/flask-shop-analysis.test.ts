import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildShop } from '../../examples/flask-shop/main';
import { MeshAnalysis, MeshApp } from '../../src';
import { synthAppAndValidate } from '../util';

describe('examples/flask-shop: analysis', () => {
  test('the topology diagram of the shop (deterministic)', () => {
    // GIVEN two builds of the shop
    const a = new MeshApp({ outdir: 'cdk.out.unused' });
    buildShop(a);
    const b = new MeshApp({ outdir: 'cdk.out.unused' });
    buildShop(b);
    // WHEN
    const mermaid = MeshAnalysis.of(a).toMermaid();
    // THEN
    expect(MeshAnalysis.of(b).toMermaid()).toBe(mermaid);
    expect(mermaid).toMatch(/^flowchart LR\n/);
    expect(mermaid).toContain('svc_shop__order_service');
    expect(mermaid).toMatchSnapshot();
  });

  test('no fatal findings, and Sidecar scoping shrinks what each proxy sees', () => {
    const app = new MeshApp({ outdir: 'cdk.out.unused' });
    buildShop(app);
    synthAppAndValidate(app);
    const analysis = MeshAnalysis.of(app);
    expect(analysis.findings().filter((f) => f.fatal)).toEqual([]);
    const f = analysis.sidecarFanout();
    expect(f.pairsWithScoping).toBeLessThan(f.pairsWithoutScoping);
    expect(f).toMatchSnapshot();
  });

  test('MeshApp writes mesh.md with the diagram and the scoping table beside the manifests', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'flask-shop-'));
    const app = new MeshApp({ outdir });
    buildShop(app);
    app.synth();
    const md = fs.readFileSync(path.join(outdir, 'mesh.md'), 'utf8');
    expect(md).toContain(`\`\`\`mermaid\n${MeshAnalysis.of(app).toMermaid()}\`\`\``);
    expect(md).toContain(MeshAnalysis.of(app).sidecarFanoutReport());
  });
});
