import { AuthorizationPolicyModel } from '../../src/model/security';
import { renderAuthorizationPolicySpec, renderAuthorizationRules, renderAuthorizationSource } from '../../src/render/authorization-policy';
import { validateIstioObject } from '../util';

/** The rendered spec as a complete object, validated against the pinned Istio CRD schema. */
function valid(policy: AuthorizationPolicyModel, trustDomain: string) {
  const spec = renderAuthorizationPolicySpec(policy, { trustDomain });
  const errors = validateIstioObject({
    apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: policy.name, namespace: policy.namespace }, spec,
  });
  expect(errors).toEqual([]);
  return spec;
}

const base = { path: 'app/shop/users/Authorization/Allow', name: 'users-allow', namespace: 'shop', selector: { app: 'users' } };

describe('renderAuthorizationPolicySpec', () => {
  test('ALLOW: identities become principals in the mesh trust domain, then raw principals; namespaces and operations', () => {
    // GIVEN a policy with an in-mesh identity, a raw principal and a namespace source
    const policy: AuthorizationPolicyModel = {
      ...base,
      action: 'ALLOW',
      rules: [
        {
          from: [{ identities: [{ namespace: 'shop', serviceAccount: 'orders-sa' }], principals: ['partner.example/ns/api/sa/client'] }],
          operation: { methods: ['GET', 'HEAD'], paths: ['/users', '/users/*'], ports: ['5000'] },
        },
        { from: [{ namespaces: ['monitoring'] }] },
      ],
    };
    // WHEN rendered with a non-default trust domain
    const spec = valid(policy, 'acme.com');
    // THEN
    expect(spec).toEqual({
      selector: { matchLabels: { app: 'users' } },
      action: 'ALLOW',
      rules: [
        {
          from: [{ source: { principals: ['acme.com/ns/shop/sa/orders-sa', 'partner.example/ns/api/sa/client'] } }],
          to: [{ operation: { methods: ['GET', 'HEAD'], paths: ['/users', '/users/*'], ports: ['5000'] } }],
        },
        { from: [{ source: { namespaces: ['monitoring'] } }] },
      ],
    });
  });

  test('the trust domain is read when rendering, so a control plane declared later still reaches the principals', () => {
    const source = { identities: [{ namespace: 'shop', serviceAccount: 'orders' }] };
    const mesh = { trustDomain: 'cluster.local' };
    expect(renderAuthorizationSource(source, mesh)).toEqual({ principals: ['cluster.local/ns/shop/sa/orders'] });
    mesh.trustDomain = 'corp.example';
    expect(renderAuthorizationSource(source, mesh)).toEqual({ principals: ['corp.example/ns/shop/sa/orders'] });
  });

  test('DENY for a required JWT: notRequestPrincipals, plus one notValues condition per claim on the HTTP ports', () => {
    const operation = { ports: ['8080'] };
    const spec = valid({
      ...base,
      name: 'users-require-jwt',
      action: 'DENY',
      rules: [
        { from: [{ notRequestPrincipals: ['https://auth.acme.com/*'] }], operation },
        { operation, when: [{ key: 'request.auth.claims[scope]', notValues: ['orders:read', 'orders:write'] }] },
      ],
    }, 'acme.com');
    expect(spec.action).toBe('DENY');
    expect(spec.rules).toEqual([
      { from: [{ source: { notRequestPrincipals: ['https://auth.acme.com/*'] } }], to: [{ operation: { ports: ['8080'] } }] },
      { to: [{ operation: { ports: ['8080'] } }], when: [{ key: 'request.auth.claims[scope]', notValues: ['orders:read', 'orders:write'] }] },
    ]);
  });

  test('a condition with values renders values', () => {
    expect(renderAuthorizationRules([{ when: [{ key: 'request.headers[x-team]', values: ['ops'] }] }], { trustDomain: 'cluster.local' }))
      .toEqual([{ when: [{ key: 'request.headers[x-team]', values: ['ops'] }] }]);
  });

  test('CUSTOM delegates to the named extension provider', () => {
    const spec = valid({
      ...base,
      name: 'users-ext-authz',
      action: 'CUSTOM',
      provider: 'opa',
      rules: [{ operation: { paths: ['/admin/*'] } }],
    }, 'cluster.local');
    expect(spec).toEqual({
      selector: { matchLabels: { app: 'users' } },
      action: 'CUSTOM',
      provider: { name: 'opa' },
      rules: [{ to: [{ operation: { paths: ['/admin/*'] } }] }],
    });
  });

  test('CUSTOM without a provider, and a provider on a non-CUSTOM policy, are internal errors', () => {
    expect(() => renderAuthorizationPolicySpec({ ...base, action: 'CUSTOM', rules: [] }, { trustDomain: 'cluster.local' }))
      .toThrow('internal: CUSTOM authorization policy app/shop/users/Authorization/Allow names no provider');
    expect(() => renderAuthorizationPolicySpec({ ...base, action: 'ALLOW', provider: 'opa', rules: [] }, { trustDomain: 'cluster.local' }))
      .toThrow('names provider opa but its action is ALLOW, not CUSTOM');
  });

  test('no action and no rules: the empty "allow nothing" spec', () => {
    expect(valid({ path: 'app/shop/deny', name: 'allow-nothing', namespace: 'shop' }, 'cluster.local')).toEqual({});
  });

  test('a waypoint-enforced policy targets the Services and names their ports, not the workload ports', () => {
    // GIVEN a DENY rule on workload port 5000, which Service port 80 forwards to (and 8080 to 5001)
    const policy: AuthorizationPolicyModel = {
      ...base,
      name: 'orders-require-jwt',
      action: 'DENY',
      rules: [
        { from: [{ notRequestPrincipals: ['https://auth.example/*'] }], operation: { paths: ['/api/*'], ports: ['5000'] } },
        { from: [{ namespaces: ['sandbox'] }] },
      ],
    };
    const ports = [{ port: 80, targetPort: 5000 }, { port: 8080, targetPort: 5001 }];
    // WHEN rendered for a waypoint, which serves the Service address and matches its port
    const spec = renderAuthorizationPolicySpec(policy, { trustDomain: 'cluster.local' }, ['orders', 'orders-v1'], ports);
    // THEN
    expect(spec).toEqual({
      targetRefs: [{ group: '', kind: 'Service', name: 'orders' }, { group: '', kind: 'Service', name: 'orders-v1' }],
      action: 'DENY',
      rules: [
        { from: [{ source: { notRequestPrincipals: ['https://auth.example/*'] } }], to: [{ operation: { paths: ['/api/*'], ports: ['80'] } }] },
        { from: [{ source: { namespaces: ['sandbox'] } }] },
      ],
    });
    expect(validateIstioObject({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'orders-require-jwt', namespace: 'shop' }, spec })).toEqual([]);
    // a sidecar or ztunnel (selector) keeps the workload port
    expect(renderAuthorizationPolicySpec(policy, { trustDomain: 'cluster.local' }, [], ports).rules![0].to).toEqual([{ operation: { paths: ['/api/*'], ports: ['5000'] } }]);
    // a workload port no Service port forwards to is an internal error, never a rule that cannot match
    expect(() => renderAuthorizationPolicySpec(policy, { trustDomain: 'cluster.local' }, ['orders'], [{ port: 80, targetPort: 8080 }]))
      .toThrow('internal: authorization policy app/shop/users/Authorization/Allow names workload port 5000, which no port of its Service forwards to');
  });

  test('an ALLOW policy without rules keeps an empty rules list (it admits nothing)', () => {
    expect(valid({ ...base, action: 'ALLOW', rules: [] }, 'cluster.local')).toEqual({
      selector: { matchLabels: { app: 'users' } }, action: 'ALLOW', rules: [],
    });
  });
});
