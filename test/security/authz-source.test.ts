import { Chart, Testing } from 'cdk8s';
import { AuthzSource, IstioControlPlane, MeshService } from '../../src';
import { MeshModel } from '../../src/model';
import { snapshotOf } from '../../src/model/resolve';
import { renderAuthorizationRules } from '../../src/render/authorization-policy';

/** The `source` a rule with this source renders to, with the mesh as declared so far. */
const rendered = (source: AuthzSource, model: MeshModel) =>
  renderAuthorizationRules(snapshotOf(model), [{ from: [source._toModel()] }])[0].from![0].source;

describe('AuthzSource', () => {
  function scope() {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'shop' });
    const svc = new MeshService(chart, 'order-service', { versions: [{ name: 'v1', image: 'ghcr.io/acme/orders:1.0.0' }] });
    return { chart, svc, model: MeshModel.of(chart) };
  }

  test('identity renders the ServiceAccount principal with the trust domain', () => {
    const { chart, svc, model } = scope();
    const source = AuthzSource.identity(svc);
    expect(rendered(source, model)).toEqual({ principals: ['cluster.local/ns/shop/sa/order-service'] });
    expect(source.description).toBe('shop/order-service (test/order-service)');
    // a control plane declared afterwards sets the mesh's trust domain: principals follow it
    new IstioControlPlane(chart, 'istio', { trustDomain: 'corp.example', crds: false });
    expect(rendered(source, model)).toEqual({ principals: ['corp.example/ns/shop/sa/order-service'] });
  });

  test('serviceAccount, principal and namespace sources', () => {
    const { model } = scope();
    expect(rendered(AuthzSource.serviceAccount('istio-ingress', 'istio-ingressgateway'), model)).toEqual({ principals: ['cluster.local/ns/istio-ingress/sa/istio-ingressgateway'] });
    expect(rendered(AuthzSource.principal('cluster.local/ns/ops/*'), model)).toEqual({ principals: ['cluster.local/ns/ops/*'] });
    expect(rendered(AuthzSource.namespace('monitoring'), model)).toEqual({ namespaces: ['monitoring'] });
  });

  test('prefix and suffix wildcards are valid principals; others are not', () => {
    const { svc } = scope();
    expect(() => AuthzSource.principal('cluster.local/ns/ops/*')._validate(svc, 'p', false)).not.toThrow();
    expect(() => AuthzSource.principal('*/sa/ops')._validate(svc, 'p', false)).not.toThrow();
    expect(() => AuthzSource.principal('')._validate(svc, 'p', false)).toThrow('[test/order-service] \'p\' must be a principal');
    expect(() => AuthzSource.serviceAccount('shop', 'Bad SA')._validate(svc, 'p', false)).toThrow('[test/order-service] \'p.serviceAccount\' must be a ServiceAccount name, got "Bad SA".');
  });
});
