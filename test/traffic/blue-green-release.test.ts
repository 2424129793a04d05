import { Testing } from 'cdk8s';
import { BlueGreenRelease, BlueGreenReleaseProps, HeaderMatch, HttpMatch, MeshService } from '../../src';
import { findObject, synthAndValidate } from '../util';

const HOST = 'orders.default.svc.cluster.local';

function blueGreen(props: Partial<BlueGreenReleaseProps> = {}, v1Replicas = 2) {
  const chart = Testing.chart();
  const svc = new MeshService(chart, 'orders', {
    versions: [{ name: 'v1', image: 'a:1', replicas: v1Replicas }, { name: 'v2', image: 'a:2', replicas: 2 }],
  });
  new BlueGreenRelease(chart, 'switch', { service: svc, active: 'v2', preview: 'v1', ...props });
  return { chart, svc };
}

describe('BlueGreenRelease', () => {
  test('100% to the active version, even when it is not the service stableVersion', () => {
    const { chart } = blueGreen();
    const out = synthAndValidate(chart);
    expect(findObject(out, 'VirtualService', 'orders').spec.http).toEqual([
      { name: 'default', route: [{ destination: { host: HOST, subset: 'v2' } }] },
    ]);
    expect(out).toMatchSnapshot();
  });

  test('preview reachable by header', () => {
    const { chart } = blueGreen({ previewHeader: HeaderMatch.exact('x-preview', 'true') });
    const http = findObject(synthAndValidate(chart), 'VirtualService', 'orders').spec.http;
    expect(http[0]).toEqual({
      name: 'preview-pinned',
      match: [{ headers: { 'x-preview': { exact: 'true' } } }],
      route: [{ destination: { host: HOST, subset: 'v1' } }],
    });
    expect(http[1].route).toEqual([{ destination: { host: HOST, subset: 'v2' } }]);
  });

  test('the idle version may be scaled to zero when no preview header routes to it', () => {
    expect(() => synthAndValidate(blueGreen({}, 0).chart)).not.toThrow();
  });

  test('active equal to preview', () => {
    expect(() => blueGreen({ preview: 'v2' })).toThrow("[test/switch] 'preview' must differ from 'active', got \"v2\". Fix: name the idle version as preview");
  });

  test('unknown active version', () => {
    expect(() => synthAndValidate(blueGreen({ active: 'green' }).chart)).toThrow(
      '[test/switch] TRAFFIC001: \'active\' must name a version (DestinationRule subset) of orders ("v1", "v2"), got "green". Fix: use an existing version or add it with addVersion()');
  });

  test('owns routing like a canary', () => {
    const { chart, svc } = blueGreen();
    svc.addRoute({ name: 'pin', match: [HttpMatch.pathPrefix('/x')], to: 'v1' });
    expect(() => synthAndValidate(chart)).toThrow(/\[test\/orders\/pin\] TRAFFIC005: 'to' pins the route to "v1", but test\/switch owns the routing of orders/);
  });
});
