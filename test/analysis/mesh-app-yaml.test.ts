import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, YamlOutputType } from 'cdk8s';
import { programs } from '../../conformance/synth';
import { buildShop, shopFlavour } from '../../examples/flask-shop/main';
import { buildLocalCluster } from '../../examples/local-cluster/main';
import { DataPlaneMode, MeshApp, RoutingApi } from '../../src';

/**
 * MeshApp writes its manifests with a fast YAML writer (src/private/yaml-emitter.ts).
 * Every example (each flask-shop flavour as SHOP_ROUTING / SHOP_DATAPLANE select it) and
 * every program of the conformance suite is synthesized twice, by `MeshApp.synth()` and by
 * cdk8s's own `App.synth()` on an identical app, and every file must be byte-identical
 * (mesh-app.test.ts does the same for each `yamlOutputType`).
 */

type Build = (outdir: string) => App;

function shop(env: Record<string, string>): Build {
  return (outdir) => {
    const flavour = shopFlavour(env);
    const app = new MeshApp({ outdir, ...(flavour.routingApi === RoutingApi.GATEWAY_API ? { routingApi: RoutingApi.GATEWAY_API } : {}) });
    buildShop(app, undefined, undefined, flavour.ambient ? DataPlaneMode.AMBIENT : DataPlaneMode.SIDECAR);
    return app;
  };
}

const examples = new Map<string, Build>([
  ['examples/flask-shop', shop({})],
  ['examples/flask-shop SHOP_ROUTING=gateway-api', shop({ SHOP_ROUTING: 'gateway-api' })],
  ['examples/flask-shop SHOP_DATAPLANE=ambient', shop({ SHOP_DATAPLANE: 'ambient' })],
  ['examples/flask-shop SHOP_DATAPLANE=ambient SHOP_ROUTING=gateway-api', shop({ SHOP_DATAPLANE: 'ambient', SHOP_ROUTING: 'gateway-api' })],
  ['examples/local-cluster', (outdir) => {
    const app = new MeshApp({ outdir });
    buildLocalCluster(app);
    return app;
  }],
  ...[...programs].map(([name, program]) => [`conformance ${name}`, program] as [string, Build]),
]);

/** Every file under dir, relative path -> content. */
function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else out.set(path.relative(dir, p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

describe('MeshApp writes the bytes cdk8s writes', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-app-yaml-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test.each([...examples.keys()])('%s', (name) => {
    const build = examples.get(name)!;
    const dir = path.join(root, name.replace(/[^a-z0-9]+/gi, '-'));
    build(path.join(dir, 'mesh-app')).synth();
    const reference = build(path.join(dir, 'cdk8s'));
    App.prototype.synth.call(reference);

    const ours = files(path.join(dir, 'mesh-app'));
    const theirs = files(path.join(dir, 'cdk8s'));
    // the topology diagram and the intent document are MeshApp's own
    ours.delete('mesh.md');
    ours.delete('mesh-intent.jsonc');
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    expect(theirs.size).toBeGreaterThan(0);
    for (const [file, text] of theirs) {
      if (ours.get(file) !== text) throw new Error(`${name}: ${file} differs from what cdk8s writes`);
    }
  });

  test.each([
    ['no dependencies', false, 'a', YamlOutputType.FILE_PER_APP],
    ['dependencies inside and across charts', true, 'a', YamlOutputType.FILE_PER_APP],
    ['dependencies inside and across charts, file per chart', true, 'a', YamlOutputType.FILE_PER_CHART],
    ['a top-level id JavaScript orders first', false, '0', YamlOutputType.FILE_PER_APP],
    ['a top-level id JavaScript orders first, with dependencies', true, '0', YamlOutputType.FILE_PER_CHART],
  ])('object and chart order: %s', (_name, withDependencies, firstId, yamlOutputType) => {
    const build: Build = (outdir) => {
      const app = new MeshApp({ outdir, topologyDiagram: false, meshIntent: false, yamlOutputType });
      const charts = [new Chart(app, 'z'), new Chart(app, firstId), new Chart(app, '10')];
      const objects = charts.map((chart) => ['c', 'b', 'a'].map((n) => new ApiObject(chart, n, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${chart.node.id}-${n}` } })));
      if (withDependencies) {
        objects[0][0].node.addDependency(objects[0][2]); // inside a chart: c after a
        objects[2][1].node.addDependency(objects[1][0]); // across charts: 10 after the first
      }
      return app;
    };
    const dir = path.join(root, `order-${withDependencies}-${firstId}-${yamlOutputType}`);
    build(path.join(dir, 'mesh-app')).synth();
    App.prototype.synth.call(build(path.join(dir, 'cdk8s')));
    expect(files(path.join(dir, 'mesh-app'))).toEqual(files(path.join(dir, 'cdk8s')));
  });
});
