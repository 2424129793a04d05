import { registerGroupValidator, validateObject } from '../util';

const httpRoute = (rule: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'reviews', namespace: 'shop' },
  spec: {
    parentRefs: [{ group: '', kind: 'Service', name: 'reviews', port: 9080 }],
    rules: [rule],
    ...extra,
  },
});

describe('strict validation of Gateway API kinds (standard channel v1.5.1, structural checks only)', () => {
  test('accepts a valid mesh (GAMMA) HTTPRoute', () => {
    expect(validateObject(httpRoute({
      matches: [{ path: { type: 'PathPrefix', value: '/api' }, headers: [{ name: 'x-canary', value: '1' }] }],
      backendRefs: [{ name: 'reviews-v1', port: 9080, weight: 90 }, { name: 'reviews-v2', port: 9080, weight: 10 }],
      timeouts: { request: '5s' },
    }))).toEqual([]);
  });

  test('rejects a misspelled field that Kubernetes would silently prune', () => {
    const errors = validateObject(httpRoute({ backendRefs: [{ name: 'reviews-v1', port: 9080, wieght: 90 }] }));
    expect(errors).toEqual([expect.stringContaining("/spec/rules/0/backendRefs/0 must NOT have additional properties 'wieght'")]);
  });

  test('rejects an unknown top-level spec field', () => {
    expect(validateObject(httpRoute({}, { hostnamez: ['a'] })).join()).toContain("must NOT have additional properties 'hostnamez'");
  });

  test('rejects a value outside an enum and a wrong type', () => {
    const errors = validateObject(httpRoute({ matches: [{ path: { type: 'Prefix', value: '/' } }], backendRefs: [{ name: 'r', port: 'http' }] })).join('\n');
    expect(errors).toContain('/spec/rules/0/matches/0/path/type must be equal to one of the allowed values');
    expect(errors).toContain('/spec/rules/0/backendRefs/0/port must be integer');
  });

  test('rejects a field of the experimental channel only (the standard CRDs are installed)', () => {
    // HTTPRouteRule.retry is experimental in v1.5.1
    const errors = validateObject(httpRoute({ backendRefs: [{ name: 'r', port: 80 }], retry: { attempts: 2 } }));
    expect(errors).toEqual([expect.stringContaining("/spec/rules/0 must NOT have additional properties 'retry'")]);
  });

  test('accepts a Gateway with a TLS listener and rejects a misspelled listener field', () => {
    const gateway = (listener: Record<string, unknown>) => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'shop', namespace: 'shop' },
      spec: { gatewayClassName: 'istio', listeners: [listener] },
    });
    const https = { name: 'https-443', port: 443, protocol: 'HTTPS', hostname: 'shop.example.com', tls: { mode: 'Terminate', certificateRefs: [{ name: 'shop-cert' }] } };
    expect(validateObject(gateway(https))).toEqual([]);
    expect(validateObject(gateway({ ...https, hostnames: ['x'] })).join()).toContain("must NOT have additional properties 'hostnames'");
  });

  test('rejects a version the standard channel does not serve and an experimental-only kind', () => {
    expect(validateObject({ ...httpRoute({}), apiVersion: 'gateway.networking.k8s.io/v1alpha2' }))
      .toEqual([expect.stringContaining('HTTPRoute has no version v1alpha2')]);
    expect(validateObject({ apiVersion: 'gateway.networking.k8s.io/v1alpha2', kind: 'TCPRoute', metadata: { name: 't' }, spec: {} }))
      .toEqual([expect.stringContaining('unknown Gateway API kind TCPRoute')]);
  });
});

describe('oneOf branches stay constraints, not structure', () => {
  const gateway = (addresses: unknown[]) => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'g', namespace: 'default' },
    spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }], addresses },
  });
  test('a Hostname address is valid, an IPAddress must be an IP, an unknown address field fails', () => {
    expect(validateObject(gateway([{ type: 'Hostname', value: 'gw.istio-system.svc.cluster.local' }]))).toEqual([]);
    expect(validateObject(gateway([{ type: 'IPAddress', value: '10.0.0.1' }]))).toEqual([]);
    expect(validateObject(gateway([{ type: 'IPAddress', value: 'not-an-ip' }])).join()).toContain('must match format "ipv4"');
    expect(validateObject(gateway([{ type: 'Hostname', value: 'a', port: 80 }])).join()).toContain("must NOT have additional properties 'port'");
  });
});

describe('every gateway.networking.k8s.io object goes through the strict validator', () => {
  test('a namespaced kind without a namespace fails', () => {
    expect(validateObject({ ...httpRoute({}), metadata: { name: 'reviews' } }))
      .toEqual(['metadata.namespace is required (every Gateway API kind but GatewayClass is namespaced)']);
  });

  test('no other validator can be registered for the group, nor for an Istio group', () => {
    expect(() => registerGroupValidator('gateway.networking.k8s.io', () => [])).toThrow(/always validated strictly/);
    expect(() => registerGroupValidator('networking.istio.io', () => [])).toThrow(/always validated strictly/);
    expect(validateObject(httpRoute({ backendRefs: [{ name: 'r', port: 80, wieght: 1 }] })).join()).toContain("'wieght'");
  });
});
