import { Chart, Testing } from 'cdk8s';
import { ExternalService, JwtAuthentication, MeshNamespace, MeshService, MeshApp } from '../../src';
import { runValidations, synthAppAndValidate } from '../util';

/**
 * MESH005: two constructs emitting the same apiVersion group / kind /
 * namespace / name with different content. kubectl apply and Argo CD keep
 * only one of them, so one construct's intent is lost without a word.
 */
describe('duplicate objects (MESH005)', () => {
  function svc(chart: Chart, id: string, props: Record<string, unknown> = {}) {
    return new MeshService(chart, id, { versions: [{ name: 'v1', image: 'reg.example/app:1.0.0' }], ...props });
  }

  test('two JwtAuthentications for one service', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    const users = svc(chart, 'users');
    new JwtAuthentication(chart, 'jwt-a', { service: users, issuer: 'https://a.example', jwksUri: 'https://a.example/jwks.json' });
    new JwtAuthentication(chart, 'jwt-b', { service: users, issuer: 'https://b.example', jwksUri: 'https://b.example/jwks.json' });
    expect(() => runValidations(app)).toThrow(
      '[] [shop/jwt-b] MESH005: \'metadata.name\' must identify one object: security.istio.io/v1 RequestAuthentication shop/users-jwt is also emitted by shop/jwt-a with different content, and kubectl apply or Argo CD would keep only one of them, got "users-jwt". Fix: give one of the two constructs another name (its id or name prop), or declare the RequestAuthentication once and pass that construct to both users');
  });

  test('a serviceAccountName equal to another service\'s account', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    svc(chart, 'users');
    svc(chart, 'orders', { serviceAccountName: 'users' });
    expect(() => runValidations(app)).toThrow(
      /\[\] \[shop\/orders\/\S+\] MESH005: 'metadata.name' must identify one object: v1 ServiceAccount shop\/users is also emitted by shop\/users\/\S+ with different content/);
  });

  test('two ExternalServices with one serviceName', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    new ExternalService(chart, 'stripe', { hosts: ['api.stripe.com'], serviceName: 'payments' });
    new ExternalService(chart, 'paypal', { hosts: ['api.paypal.com'], serviceName: 'payments' });
    expect(() => runValidations(app)).toThrow(
      '[] [shop/paypal/ServiceEntry] MESH005: \'metadata.name\' must identify one object: networking.istio.io/v1 ServiceEntry shop/payments is also emitted by shop/stripe/ServiceEntry with different content');
  });

  test('the same MeshNamespace twice, with different settings', () => {
    const app = Testing.app();
    new MeshNamespace(new Chart(app, 'a'), 'shop', {});
    new MeshNamespace(new Chart(app, 'b'), 'shop', { injection: false });
    expect(() => runValidations(app)).toThrow(
      '[] [b/shop] MESH005: \'metadata.name\' must identify one object: v1 Namespace shop is also emitted by a/shop with different content');
  });

  test('objects identical by design are allowed', () => {
    const app = new MeshApp();
    new MeshNamespace(new Chart(app, 'a'), 'shop', {});
    new MeshNamespace(new Chart(app, 'b'), 'shop', {});
    const out = synthAppAndValidate(app);
    expect(out.get('a')!.objects).toEqual(out.get('b')!.objects);
  });

  test('the same name in two namespaces is not a duplicate', () => {
    const app = new MeshApp();
    svc(new Chart(app, 'a', { namespace: 'a' }), 'users');
    svc(new Chart(app, 'b', { namespace: 'b' }), 'users');
    expect(() => synthAppAndValidate(app)).not.toThrow();
  });
});
