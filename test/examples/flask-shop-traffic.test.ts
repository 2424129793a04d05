import { buildShop } from '../../examples/flask-shop/main';
import { MeshApp } from '../../src';
import { findObject, synthAppAndValidate } from '../util';

function shopObjects() {
  const app = new MeshApp({ outdir: 'cdk.out.unused' });
  buildShop(app);
  return synthAppAndValidate(app).get('flask-shop')!.objects;
}

describe('examples/flask-shop traffic', () => {
  test('order-service: Argo Rollouts owns the v1 -> v2 split (Git keeps 100/0), testers pinned to the canary subset by header', () => {
    const out = shopObjects();
    const http = findObject(out, 'VirtualService', 'order-service').spec.http;
    const host = 'order-service.shop.svc.cluster.local';
    expect(http).toEqual([
      { name: 'canary-pinned', match: [{ headers: { 'x-canary': { exact: 'always' } } }], route: [{ destination: { host, subset: 'canary' } }] },
      { name: 'default', route: [{ destination: { host, subset: 'stable' }, weight: 100 }, { destination: { host, subset: 'canary' }, weight: 0 }] },
    ]);
    const subsets = findObject(out, 'DestinationRule', 'order-service').spec.subsets;
    expect(subsets).toEqual([{ name: 'stable', labels: { app: 'order-service' } }, { name: 'canary', labels: { app: 'order-service' } }]);
    const rollout = findObject(out, 'Rollout', 'order-service');
    for (const s of subsets) expect(rollout.spec.template.metadata.labels).toMatchObject(s.labels);
    expect(rollout.spec.replicas).toBe(2);
  });

  test('calls to user-service have timeouts and retries', () => {
    const http = findObject(shopObjects(), 'VirtualService', 'user-service').spec.http;
    expect(http.map((r: any) => r.name)).toEqual(['reads', 'default-timeout']);
    expect(http[0]).toMatchObject({
      match: [{ uri: { prefix: '/users' } }],
      timeout: '3s',
      retries: { attempts: 2, perTryTimeout: '1s', retryOn: 'gateway-error,connect-failure,refused-stream' },
    });
    expect(http[1]).toMatchObject({ timeout: '5s', retries: { attempts: 1, perTryTimeout: '2.5s', retryOn: 'connect-failure,refused-stream' } });
    expect(http[1].match).toBeUndefined();
  });

  test('user-service has a circuit breaker', () => {
    const dr = findObject(shopObjects(), 'DestinationRule', 'user-service').spec;
    expect(dr.trafficPolicy.connectionPool).toEqual({
      tcp: { maxConnections: 100, connectTimeout: '1s' },
      http: { http1MaxPendingRequests: 50, http2MaxRequests: 200, maxRequestsPerConnection: 100 },
    });
    expect(dr.trafficPolicy.outlierDetection).toEqual({ consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 });
  });
});
