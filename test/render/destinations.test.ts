import { Testing } from 'cdk8s';
import { BlueGreenRelease, CanaryRelease, MeshService } from '../../src';
import { MeshModel } from '../../src/model';
import { defaultDestinations, renderRoute } from '../../src/render/destinations';
import { synthAndValidate } from '../util';

function orders() {
  const chart = Testing.chart();
  const svc = new MeshService(chart, 'orders', { versions: [{ name: 'v1', image: 'a:1' }, { name: 'v2', image: 'a:2' }] });
  return { chart, svc, model: MeshModel.of(chart) };
}

const HOST = 'orders.default.svc.cluster.local';

describe('defaultDestinations (what gateway routes use)', () => {
  test('the stable version without a release', () => {
    const { svc, model } = orders();
    expect(defaultDestinations(model, svc._toModel())).toEqual([{ host: HOST, subset: 'v1' }]);
  });

  test('a CanaryRelease split, without the tester-pinned rule', () => {
    const { chart, svc, model } = orders();
    new CanaryRelease(chart, 'c', { service: svc, stable: 'v1', canary: 'v2', canaryPercentage: 10 });
    expect(defaultDestinations(model, svc._toModel())).toEqual([
      { host: HOST, subset: 'v1', weight: 90 },
      { host: HOST, subset: 'v2', weight: 10 },
    ]);
    synthAndValidate(chart);
  });

  test('the active version of a BlueGreenRelease', () => {
    const { chart, svc, model } = orders();
    new BlueGreenRelease(chart, 'bg', { service: svc, active: 'v2', preview: 'v1' });
    expect(defaultDestinations(model, svc._toModel())).toEqual([{ host: HOST, subset: 'v2' }]);
  });
});

describe('renderRoute', () => {
  test('weights and ports', () => {
    expect(renderRoute([{ host: 'h', subset: 'a', weight: 60, port: 80 }, { host: 'h', subset: 'b', weight: 40 }])).toEqual([
      { destination: { host: 'h', subset: 'a', port: { number: 80 } }, weight: 60 },
      { destination: { host: 'h', subset: 'b' }, weight: 40 },
    ]);
  });
});
