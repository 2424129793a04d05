import { Chart, Testing } from 'cdk8s';
import { AuthzSource, IstioControlPlane, MeshService } from '../../src';
import { MeshModel } from '../../src/model';

describe('AuthzSource', () => {
  function scope() {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'shop' });
    const svc = new MeshService(chart, 'order-service', { versions: [{ name: 'v1', image: 'ghcr.io/acme/orders:1.0.0' }] });
    return { chart, svc, model: MeshModel.of(chart) };
  }

  test('identity renders the ServiceAccount principal with the trust domain', () => {
    const { chart, svc, model } = scope();
    const source = AuthzSource.identity(svc);
    expect(source._toIstio(model)).toEqual({ principals: ['cluster.local/ns/shop/sa/order-service'] });
    expect(source.description).toBe('shop/order-service (test/order-service)');
    // a control plane declared afterwards sets the mesh's trust domain: principals follow it
    new IstioControlPlane(chart, 'istio', { trustDomain: 'corp.example', crds: false });
    expect(source._toIstio(model)).toEqual({ principals: ['corp.example/ns/shop/sa/order-service'] });
  });

  test('serviceAccount, principal and namespace sources', () => {
    const { model } = scope();
    expect(AuthzSource.serviceAccount('istio-ingress', 'istio-ingressgateway')._toIstio(model)).toEqual({ principals: ['cluster.local/ns/istio-ingress/sa/istio-ingressgateway'] });
    expect(AuthzSource.principal('cluster.local/ns/ops/*')._toIstio(model)).toEqual({ principals: ['cluster.local/ns/ops/*'] });
    expect(AuthzSource.namespace('monitoring')._toIstio(model)).toEqual({ namespaces: ['monitoring'] });
  });

  test('prefix and suffix wildcards are valid principals; others are not', () => {
    const { svc } = scope();
    expect(() => AuthzSource.principal('cluster.local/ns/ops/*')._validate(svc, 'p', false)).not.toThrow();
    expect(() => AuthzSource.principal('*/sa/ops')._validate(svc, 'p', false)).not.toThrow();
    expect(() => AuthzSource.principal('')._validate(svc, 'p', false)).toThrow('[test/order-service] \'p\' must be a principal');
    expect(() => AuthzSource.serviceAccount('shop', 'Bad SA')._validate(svc, 'p', false)).toThrow('[test/order-service] \'p.serviceAccount\' must be a ServiceAccount name, got "Bad SA".');
  });
});
