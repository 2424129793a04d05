import { Sidecar } from '../../src/imports/networking.istio.io';
import { renderSidecarSpec } from '../../src/render/sidecar';
import { synthAndValidate } from '../util';
import { addService, handModel, snap } from './fixtures';

describe('renderSidecarSpec', () => {
  test('egress (resolved in the snapshot): the services it calls, an external host and the egress gateway it leaves through, then the control plane namespace', () => {
    const { chart, model } = handModel();
    const web = addService(model, 'web');
    const orders = addService(model, 'orders');
    model.addEdge({ from: web, to: orders, reason: 'dependsOn' });
    model.putGateway({
      path: 'test/egress',
      direction: 'egress',
      name: 'egress',
      namespace: 'istio-egress',
      selector: { istio: 'egress' },
      serviceHost: 'egress.istio-egress.svc.cluster.local',
      servers: [],
      routes: [],
    });
    model.addExternalService({
      path: 'test/pay',
      name: 'pay',
      namespace: 'shop',
      hosts: ['api.pay.example'],
      ports: [],
      originatesTls: false,
      resolution: 'DNS',
      egressGatewayPath: 'test/egress',
    });
    model.addEgressHost(web.host, 'shop/api.pay.example');
    expect(snap(model, web).dependencyHosts).toEqual([
      'istio-egress/egress.istio-egress.svc.cluster.local',
      'shop/api.pay.example',
      'shop/orders.shop.svc.cluster.local',
    ]);
    const spec = renderSidecarSpec(snap(model, web));
    expect(spec).toEqual({
      workloadSelector: { labels: { app: 'web' } },
      egress: [{ hosts: [...snap(model, web).dependencyHosts, 'istio-system/*'] }],
    });
    expect(renderSidecarSpec(snap(model, orders)).egress).toEqual([{ hosts: ['istio-system/*'] }]);
    new Sidecar(chart, 'sc', { metadata: { name: 'web', namespace: 'shop' }, spec });
    synthAndValidate(chart);
  });
});
