import { PeerAuthenticationModel } from '../../src/model/security';
import { renderPeerAuthenticationSpec } from '../../src/render/peer-authentication';
import { validateIstioObject } from '../util';

function valid(pa: PeerAuthenticationModel) {
  const spec = renderPeerAuthenticationSpec(pa);
  expect(validateIstioObject({
    apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: pa.namespace ?? 'istio-system' }, spec,
  })).toEqual([]);
  return spec;
}

describe('renderPeerAuthenticationSpec', () => {
  test('mesh-wide STRICT: no selector, no port-level settings', () => {
    expect(valid({ path: 'a/mtls', scope: 'mesh', mode: 'STRICT', portLevel: [] })).toEqual({ mtls: { mode: 'STRICT' } });
  });

  test('namespace-wide PERMISSIVE (migration)', () => {
    expect(valid({ path: 'a/mtls', scope: 'namespace', namespace: 'partners', mode: 'PERMISSIVE', portLevel: [] }))
      .toEqual({ mtls: { mode: 'PERMISSIVE' } });
  });

  test('workload STRICT with PERMISSIVE and DISABLE exceptions keyed by container port, ascending', () => {
    // GIVEN port-level exceptions declared out of order
    const pa: PeerAuthenticationModel = {
      path: 'a/users-mtls',
      scope: 'workload',
      namespace: 'shop',
      selector: { app: 'users' },
      mode: 'STRICT',
      portLevel: [{ port: 9090, mode: 'PERMISSIVE' }, { port: 8081, mode: 'DISABLE' }],
    };
    // WHEN
    const spec = valid(pa);
    // THEN
    expect(spec).toEqual({
      selector: { matchLabels: { app: 'users' } },
      mtls: { mode: 'STRICT' },
      portLevelMtls: { 8081: { mode: 'DISABLE' }, 9090: { mode: 'PERMISSIVE' } },
    });
    expect(Object.keys(spec.portLevelMtls ?? {})).toEqual(['8081', '9090']);
    // the model is not reordered
    expect(pa.portLevel.map((p) => p.port)).toEqual([9090, 8081]);
  });

  test('workload PERMISSIVE with a STRICT port', () => {
    expect(valid({ path: 'a/m', scope: 'workload', namespace: 'shop', selector: { app: 'db' }, mode: 'PERMISSIVE', portLevel: [{ port: 5432, mode: 'STRICT' }] }))
      .toEqual({ selector: { matchLabels: { app: 'db' } }, mtls: { mode: 'PERMISSIVE' }, portLevelMtls: { 5432: { mode: 'STRICT' } } });
  });
});
