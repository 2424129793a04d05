import { DestinationRule } from '../../src/imports/networking.istio.io';
import {
  renderDestinationRuleSpec, renderEgressGatewayDestinationRuleSpec, renderTlsOriginationDestinationRuleSpec,
} from '../../src/render/destination-rule';
import { renderSubsetTrafficPolicy, renderTrafficPolicy } from '../../src/render/traffic-policy';
import { findObject, synthAndValidate } from '../util';
import { addCanary, addService, handModel, snap } from './fixtures';

const HOST = 'orders.shop.svc.cluster.local';

describe('renderDestinationRuleSpec (a service\'s DestinationRule)', () => {
  test('without traffic intent: host, ISTIO_MUTUAL client TLS and one subset per version', () => {
    const { model } = handModel();
    const orders = addService(model, 'orders', ['v1', 'v2']);
    expect(JSON.parse(JSON.stringify(renderDestinationRuleSpec(snap(model, orders))))).toEqual({
      host: HOST,
      trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
      subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }],
    });
    model.setClientTls({ path: 'test/orders', host: orders.host, mode: 'DISABLE' });
    expect(renderDestinationRuleSpec(snap(model, orders)).trafficPolicy?.tls).toEqual({ mode: 'DISABLE' });
  });

  test('the service policy at the top, a version\'s override on its subset only; the L1 renames consecutive5XxErrors on the wire', () => {
    const { chart, model } = handModel();
    const orders = addService(model, 'orders', ['v1', 'v2']);
    model.setTrafficPolicy(HOST, {
      loadBalancer: { hashCookie: { name: 'session', path: '/', ttlMs: 3_600_000 } },
      connectionPool: { maxConnections: 100, connectTimeoutMs: 250, http2MaxRequests: 1000, idleTimeoutMs: 30_000 },
      outlierDetection: { consecutive5xxErrors: 5, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 50 },
    });
    model.setVersionTrafficPolicy(HOST, { version: 'v2', path: 'test/orders/v2', policy: { loadBalancer: { simple: 'LEAST_REQUEST' } } });
    const spec = renderDestinationRuleSpec(snap(model, orders));
    expect(spec.trafficPolicy).toEqual({
      loadBalancer: { consistentHash: { httpCookie: { name: 'session', path: '/', ttl: '3600s' } } },
      connectionPool: { tcp: { maxConnections: 100, connectTimeout: '0.25s' }, http: { http2MaxRequests: 1000, idleTimeout: '30s' } },
      outlierDetection: { consecutive5XxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
      tls: { mode: 'ISTIO_MUTUAL' },
    });
    expect(spec.subsets?.[0].trafficPolicy).toBeUndefined();
    expect(spec.subsets?.[1].trafficPolicy).toEqual({ loadBalancer: { simple: 'LEAST_REQUEST' } });

    new DestinationRule(chart, 'dr', { metadata: { name: 'orders', namespace: 'shop' }, spec });
    const wire = findObject(synthAndValidate(chart), 'DestinationRule', 'orders').spec;
    expect(wire.trafficPolicy.outlierDetection).toEqual({ consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 });
    expect(wire.subsets[1]).toEqual({ name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } } });
  });

  test('a controller-managed release: its two subsets select by the Service selector', () => {
    const { model } = handModel();
    const orders = addService(model, 'orders', ['v1', 'v2']);
    addCanary(model, orders, 'v1', 'v2', 0, { managedSubsets: { stable: 'stable', canary: 'canary' } });
    expect(renderDestinationRuleSpec(snap(model, orders)).subsets?.map((s) => [s.name, s.labels])).toEqual([
      ['stable', { app: 'orders' }],
      ['canary', { app: 'orders' }],
    ]);
  });

  test('empty policies render nothing', () => {
    expect(renderTrafficPolicy(undefined)).toBeUndefined();
    expect(renderTrafficPolicy({})).toBeUndefined();
    expect(renderSubsetTrafficPolicy({})).toBeUndefined();
    expect(renderTrafficPolicy({ loadBalancer: { hashSourceIp: true } })).toEqual({ loadBalancer: { consistentHash: { useSourceIp: true } } });
  });
});

describe('egress and external DestinationRules', () => {
  test('an egress gateway: one subset per external service; a plain-HTTP leg gets mTLS with the external host as SNI on port 80', () => {
    const { chart } = handModel();
    const spec = renderEgressGatewayDestinationRuleSpec({
      serviceHost: 'egress.istio-egress.svc.cluster.local',
      egressLegs: [
        { path: 'test/pay', subset: 'pay', host: 'api.pay.example', kind: 'http' },
        { path: 'test/pay', subset: 'pay', host: 'api.pay.example', kind: 'tls' },
        { path: 'test/maps', subset: 'maps', host: 'maps.example', kind: 'tls' },
      ],
    });
    expect(JSON.parse(JSON.stringify(spec))).toEqual({
      host: 'egress.istio-egress.svc.cluster.local',
      subsets: [
        { name: 'pay', trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'ISTIO_MUTUAL', sni: 'api.pay.example' } }] } },
        { name: 'maps' },
      ],
    });
    new DestinationRule(chart, 'dr', { metadata: { name: 'egress', namespace: 'istio-egress' }, spec });
    synthAndValidate(chart);
  });

  test('TLS origination: SIMPLE TLS with SNI and the system trust store on the port the app calls; none without origination', () => {
    const external = {
      path: 'test/pay',
      name: 'pay',
      namespace: 'shop',
      hosts: ['api.pay.example'],
      originatesTls: true,
      resolution: 'DNS' as const,
      ports: [{ name: 'http-80', number: 80, protocol: 'HTTP' }],
      tlsOrigination: { port: 80, targetPort: 443, sni: 'api.pay.example' },
    };
    expect(JSON.parse(JSON.stringify(renderTlsOriginationDestinationRuleSpec(external)))).toEqual({
      host: 'api.pay.example',
      trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'SIMPLE', sni: 'api.pay.example', caCertificates: 'system' } }] },
    });
    expect(renderTlsOriginationDestinationRuleSpec({ ...external, originatesTls: false, tlsOrigination: undefined })).toBeUndefined();
  });
});
