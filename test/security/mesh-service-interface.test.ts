import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { AuthzSource, IMeshService, JwtAuthentication, MeshService, ServiceAuthorization, StrictMtls } from '../../src';
import { err, findObject, synthAndValidate } from '../util';

/** An object with the shape of a MeshService that registered nothing in the app's model. */
class Unregistered extends Construct implements IMeshService {
  public readonly serviceName = 'ghost';
  public readonly namespace = 'shop';
  public readonly host = 'ghost.shop.svc.cluster.local';
  public readonly identityNamespace = 'shop';
  public readonly identityServiceAccount = 'ghost';
  public readonly destinationNamespace = 'shop';
  public readonly destinationHosts = ['ghost.shop.svc.cluster.local'];
  public readonly ports = [];
  public readonly versions = ['v1'];
  public readonly stableVersion = 'v1';
}

const issuer = 'https://auth.acme.example';
const jwksUri = 'https://auth.acme.example/jwks.json';

describe('security takes IMeshService', () => {
  test('a MeshService is one: policies select its app label in its namespace', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'shop' });
    const users = new MeshService(chart, 'users', { versions: [{ name: 'v1', image: 'ghcr.io/acme/users:1.0.0' }] });
    const ref: IMeshService = users;
    new StrictMtls(chart, 'mtls', { service: ref });
    new JwtAuthentication(chart, 'jwt', { service: ref, issuer, jwksUri });
    ServiceAuthorization.of(ref).allowFrom(AuthzSource.namespace('shop'));
    const out = synthAndValidate(chart);
    expect(findObject(out, 'PeerAuthentication', 'users').spec.selector).toEqual({ matchLabels: { app: 'users' } });
    expect(findObject(out, 'RequestAuthentication', 'users-jwt').spec.selector).toEqual({ matchLabels: { app: 'users' } });
    expect(findObject(out, 'AuthorizationPolicy', 'users-allow').spec.rules).toEqual([{ from: [{ source: { namespaces: ['shop'] } }] }]);
  });

  test('an object that is not a service of this app is rejected, naming the prop', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'shop' });
    const ghost = new Unregistered(chart, 'ghost');
    expect(err(() => new StrictMtls(chart, 'mtls', { service: ghost }))).toBe(
      '[test/mtls] \'service\' must be a MeshService of this app (registered in its mesh model), got "test/ghost". Fix: pass a MeshService declared in the same App');
    expect(err(() => new JwtAuthentication(chart, 'jwt', { service: ghost, issuer, jwksUri }))).toBe(
      '[test/jwt] \'service\' must be a MeshService of this app (registered in its mesh model), got "test/ghost". Fix: pass a MeshService declared in the same App');
    expect(err(() => ServiceAuthorization.of(ghost))).toBe(
      '[test/ghost] \'service\' must be a MeshService of this app (registered in its mesh model), got "test/ghost". Fix: pass a MeshService declared in the same App');
  });

  test('a name instead of the object fails at the jsii boundary', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'shop' });
    expect(err(() => new StrictMtls(chart, 'mtls', { service: 'users' as unknown as IMeshService }))).toContain(
      '[test/mtls] \'service\' must be a construct implementing IMeshService, got "users".');
  });
});
