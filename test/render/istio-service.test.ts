import { Testing } from 'cdk8s';
import { CanaryRelease, HeaderMatch, HttpMatch, LoadBalancer, MeshService } from '../../src';
import { MeshModel } from '../../src/model';
import { renderDestinationRuleSpec, renderHttpRoutes, renderServiceTrafficPolicy } from '../../src/render/istio-service';
import { findObject, synthAndValidate } from '../util';

describe('istio-service rendering', () => {
  test('DestinationRule without traffic intent: host, ISTIO_MUTUAL client TLS and subsets', () => {
    const chart = Testing.chart();
    const svc = new MeshService(chart, 'a', { versions: [{ name: 'v1', image: 'a:1' }] });
    expect(renderDestinationRuleSpec(svc._toModel(), MeshModel.of(chart))).toEqual({
      host: 'a.default.svc.cluster.local',
      trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
      subsets: [{ name: 'v1', labels: { version: 'v1' } }],
    });
    expect(renderServiceTrafficPolicy(undefined)).toBeUndefined();
  });

  test('VirtualService order: pinned rule, routes, default; all fields reach the object', () => {
    const chart = Testing.chart();
    const svc = new MeshService(chart, 'a', { versions: [{ name: 'v1', image: 'a:1' }, { name: 'v2', image: 'a:2' }] });
    svc.configureTrafficPolicy({ loadBalancer: LoadBalancer.roundRobin() });
    svc.addRoute({ name: 'api', match: [HttpMatch.pathPrefix('/api')] });
    new CanaryRelease(chart, 'c', { service: svc, stable: 'v1', canary: 'v2', canaryPercentage: 20, pinHeader: HeaderMatch.exact('x-canary', 'always') });
    const model = MeshModel.of(chart);
    const rendered = renderHttpRoutes(model, svc._toModel());
    expect(rendered.map((r) => r.name)).toEqual(['canary-pinned', 'api', 'default']);
    // the synthesized objects carry exactly what the renderer produced (nothing dropped by the typed L1)
    const out = synthAndValidate(chart);
    expect(findObject(out, 'VirtualService', 'a').spec.http).toEqual(rendered);
    expect(findObject(out, 'DestinationRule', 'a').spec.trafficPolicy).toEqual({ loadBalancer: { simple: 'ROUND_ROBIN' }, tls: { mode: 'ISTIO_MUTUAL' } });
  });
});
