import { Chart, Testing } from 'cdk8s';
import {
  DefaultDeny, ExternalProtocol, ExternalService, GatewayServer, GatewayTls, IngressGateway, IstioControlPlane, LoadBalancer, MeshAnalysis,
  MeshNamespace, MeshService, MtlsMode, Protocol, StrictMtls,
} from '../../src';
import { show } from '../../src/private/errors';
import { runValidations } from '../util';

const img = 'reg.example/app:1.0.0';
function shop() {
  const app = Testing.app();
  return { app, chart: new Chart(app, 'shop', { namespace: 'shop' }) };
}
function findings(scope: Chart, code: string): string[] {
  return MeshAnalysis.of(scope).findings().filter((f) => f.code === code).map((f) => `[${f.path}] ${f.severity} ${f.code}: ${f.message}`);
}

describe('whole-app rules regardless of what else exists', () => {
  test('MESH003 without any MeshService', () => {
    const { chart } = shop();
    new ExternalService(chart, 'payments', { hosts: ['api.payments.example'], ports: [{ port: 80, protocol: ExternalProtocol.HTTP }] });
    expect(findings(chart, 'MESH003')).toEqual([expect.stringContaining('[shop/payments] warning MESH003: \'ports[0].protocol\' leaves the cluster in clear text')]);
  });

  test('MESH004 without any MeshService', () => {
    const { chart } = shop();
    new StrictMtls(chart, 'mtls', { permissiveMigration: true });
    expect(findings(chart, 'MESH004')).toEqual([expect.stringContaining('[shop/mtls] warning MESH004: \'permissiveMigration\' leaves')]);
  });
});

describe('values the API server or Istio would reject', () => {
  test('a Service name that is not DNS-1035', () => {
    const { chart } = shop();
    expect(() => new MeshService(chart, '1users', { versions: [{ name: 'v1', image: img }] })).toThrow(
      '[shop/1users] \'serviceName\' must start with a letter: it names a Kubernetes Service, whose names are DNS-1035 labels (the API server rejects the Service), got "1users". Fix: use a name that starts with a letter such as "svc-1users" in serviceName (the construct id can stay)');
  });

  test('a gateway name that is not DNS-1035', () => {
    const { chart } = shop();
    expect(() => new IngressGateway(chart, 'gw', { gatewayName: '9gw' })).toThrow('[shop/gw] \'gatewayName\' must start with a letter');
  });

  test('an invalid env var name', () => {
    const { chart } = shop();
    expect(() => new MeshService(chart, 'users', { versions: [{ name: 'v1', image: img, env: { '1BAD NAME': 'x' } }] })).toThrow(
      '[shop/users] \'versions[0].env.1BAD NAME\' must be an environment variable name (letters, digits, \'_\', \'-\' and \'.\', not starting with a digit), or the API server rejects the Deployment, got "1BAD NAME". Fix: rename it, e.g. "_1BAD_NAME"');
    expect(() => new MeshService(chart, 'orders', { env: { 'A=B': 'x' }, versions: [{ name: 'v1', image: img }] })).toThrow('[shop/orders] \'env.A=B\' must be an environment variable name');
  });

  test('a trailing slash in hub, and // in an image', () => {
    const { chart } = shop();
    expect(() => new IstioControlPlane(chart, 'istio', { hub: 'docker.io/istio/' })).toThrow(
      '[shop/istio] \'hub\' must not end with \'/\' or contain \'//\': images are <hub>/pilot:<tag>, so it would give "docker.io/istio//pilot", which cannot be pulled, got "docker.io/istio/". Fix: use "docker.io/istio"');
    expect(() => new MeshService(chart, 'users', { versions: [{ name: 'v1', image: 'reg.example//users:1.0' }] })).toThrow(
      '[shop/users] \'versions[0].image\' must not contain an empty path segment (\'//\', or a leading or trailing \'/\'): the kubelet cannot pull it, got "reg.example//users:1.0"');
  });

  test('MESH006: an ExternalService host that is a service inside the mesh', () => {
    const { chart } = shop();
    new MeshService(chart, 'users', { versions: [{ name: 'v1', image: img }] });
    new ExternalService(chart, 'users-ext', { hosts: ['users.shop.svc.cluster.local'] });
    expect(() => runValidations(chart)).toThrow(
      '[shop/users-ext] MESH006: \'hosts[0]\' is the in-mesh service shop/users: a ServiceEntry for it overrides the mesh\'s own routing, mTLS and subsets for every caller, got "users.shop.svc.cluster.local". Fix: call users with dependsOn(users) instead of declaring it as external');
  });
});

describe('misleading messages', () => {
  test('a too-high value is told the maximum', () => {
    const { chart } = shop();
    const users = new MeshService(chart, 'users', { versions: [{ name: 'v1', image: img }] });
    expect(() => users.configureTrafficPolicy({ connectionPool: { maxConnections: 3e9 } })).toThrow(
      '\'trafficPolicy.connectionPool.maxConnections\' must be a whole number between 1 and 2147483647, got 3000000000. Fix: use a whole number of at most 2147483647');
  });

  test('NaN is shown as NaN, not null', () => {
    expect(show(NaN)).toBe('NaN');
    expect(show({ weight: Infinity })).toBe('{"weight":"Infinity"}');
    const { chart } = shop();
    const users = new MeshService(chart, 'users', { versions: [{ name: 'v1', image: img }] });
    expect(() => users.configureTrafficPolicy({ connectionPool: { maxConnections: NaN } })).toThrow('got NaN. Fix: use a whole number between 1 and 2147483647, e.g. 1');
  });

  test('a bad protocol is blamed on the protocol, not the port name', () => {
    const { chart } = shop();
    expect(() => new MeshService(chart, 'users', { ports: [{ port: 80, protocol: 'HTTP' as Protocol }], versions: [{ name: 'v1', image: img }] })).toThrow(
      '[shop/users] \'ports[0].protocol\' must be a Protocol (one of ');
  });
});

describe('risky choices are coded findings', () => {
  test('SEC005: no StrictMtls anywhere', () => {
    const { chart } = shop();
    new MeshService(chart, 'users', { versions: [{ name: 'v1', image: img }] });
    expect(findings(chart, 'SEC005')).toEqual([
      '[] warning SEC005: \'StrictMtls\' is declared nowhere in this app, so the 1 service(s) accept plaintext from any pod (Istio\'s default is PERMISSIVE), got "none". Fix: add new StrictMtls(chart, \'mtls\', { scope: MtlsScope.mesh() }) (or per namespace) so only mesh identities can call the services',
    ]);
    new StrictMtls(chart, 'mtls', {});
    expect(findings(chart, 'SEC005')).toEqual([]);
  });

  test('SEC006: port-level DISABLE', () => {
    const { chart } = shop();
    new StrictMtls(chart, 'mtls', { portLevelMtls: [{ port: 8080, mode: MtlsMode.DISABLE }], service: new MeshService(chart, 'users', { versions: [{ name: 'v1', image: img }] }) });
    expect(findings(chart, 'SEC006')).toEqual([
      '[shop/mtls] warning SEC006: \'portLevelMtls[8080]\' disables mTLS on port 8080: it accepts plaintext only, from any pod, without an identity (authorization by principal cannot match there), got "DISABLE". Fix: use PERMISSIVE for a port scraped from outside the mesh, or keep it STRICT',
    ]);
  });

  test('SEC007: DefaultDeny with no allow rule', () => {
    const { chart } = shop();
    new MeshService(chart, 'users', { versions: [{ name: 'v1', image: img }] });
    new DefaultDeny(chart, 'deny');
    expect(findings(chart, 'SEC007')).toEqual([
      '[shop/deny] warning SEC007: \'namespace\' has a deny-by-default policy but no ALLOW rule in this app, so every request to its workloads is denied (403 RBAC: access denied), got "shop". Fix: declare who may call each service (dependsOn / allowFrom), or remove the DefaultDeny',
    ]);
  });

  test('SEC008: a gateway routed to a service whose allow rules exclude it', () => {
    const { chart } = shop();
    const users = new MeshService(chart, 'users', { versions: [{ name: 'v1', image: img }] });
    const orders = new MeshService(chart, 'orders', { versions: [{ name: 'v1', image: img }] });
    users.allowFrom(orders);
    const gw = new IngressGateway(chart, 'gw', { namespace: 'istio-ingress', servers: [GatewayServer.https({ hosts: ['shop.example.com'], tls: GatewayTls.simple('cert') })] });
    gw.addRoute({ host: 'shop.example.com', service: users });
    expect(() => runValidations(chart)).toThrow(
      '[shop/gw] SEC008: \'routes[0].service\' routes shop.example.com to users, whose authorization admits no request from this gateway (cluster.local/ns/istio-ingress/sa/gw-service-account), so every routed request is denied with 403, got "users". Fix: allow the gateway on the service: users.allowFrom(<this gateway>)');
    users.allowFrom(gw);
    expect(findings(chart, 'SEC008')).toEqual([]);
  });

  test('MESH007: a sidecar-injected workload in a namespace with injection disabled', () => {
    const { chart } = shop();
    new MeshNamespace(chart, 'shop-ns', { name: 'shop', injection: false });
    new MeshService(chart, 'users', { versions: [{ name: 'v1', image: img }] });
    expect(() => runValidations(chart)).toThrow(
      '[shop/users] MESH007: \'namespace\' has sidecar injection disabled (shop/shop-ns), so the pods of users get no Envoy: its mTLS, authorization, routes to its versions and Sidecar scoping cannot apply, got "shop". Fix: enable injection on shop/shop-ns (injection: true), or move the service to an injected namespace');
  });

  test('MESH008: latest or untagged images, and a latest control-plane tag', () => {
    const { chart } = shop();
    new MeshService(chart, 'users', { versions: [{ name: 'v1', image: 'reg.example/users:latest' }, { name: 'v2', image: 'reg.example:5000/users' }, { name: 'v3', image: 'reg.example/users@sha256:abc' }] });
    new IstioControlPlane(chart, 'istio', { tag: 'latest' });
    expect(findings(chart, 'MESH008')).toEqual([
      '[shop/istio] warning MESH008: \'tag\' uses the mutable tag \'latest\': pods started at different times run different code, and a rollback does not restore the previous code, got "latest". Fix: pin a version tag or a digest, e.g. \'ghcr.io/acme/app:1.4.2\'',
      '[shop/users] warning MESH008: \'versions[0].image\' uses the mutable tag \'latest\': pods started at different times run different code, and a rollback does not restore the previous code, got "reg.example/users:latest". Fix: pin a version tag or a digest, e.g. \'ghcr.io/acme/app:1.4.2\'',
      '[shop/users] warning MESH008: \'versions[1].image\' has no tag (the registry serves \'latest\'): pods started at different times run different code, and a rollback does not restore the previous code, got "reg.example:5000/users". Fix: pin a version tag or a digest, e.g. \'ghcr.io/acme/app:1.4.2\'',
    ]);
  });

  test('MESH009: no declared dependencies, so the Sidecar reaches only the control plane', () => {
    const { chart } = shop();
    const users = new MeshService(chart, 'users', { versions: [{ name: 'v1', image: img }] });
    expect(findings(chart, 'MESH009')).toEqual([
      '[shop/users] warning MESH009: \'dependsOn\' is empty and no service calls users, so its Sidecar lets it reach only the control plane (istio-system/*); any call it makes to another service fails at run time, got []. Fix: declare what it calls with users.dependsOn(...), or set egressScoping: false',
    ]);
    users.dependsOn(new MeshService(chart, 'orders', { versions: [{ name: 'v1', image: img }] }));
    expect(findings(chart, 'MESH009')).toEqual([]);
  });

  test('TRAFFIC006: a second configureTrafficPolicy() replaces the first', () => {
    const { chart } = shop();
    const users = new MeshService(chart, 'users', { versions: [{ name: 'v1', image: img }] });
    users.configureTrafficPolicy({ loadBalancer: LoadBalancer.leastRequest() });
    expect(findings(chart, 'TRAFFIC006')).toEqual([]);
    users.configureTrafficPolicy({ connectionPool: { maxConnections: 10 } });
    expect(findings(chart, 'TRAFFIC006')).toEqual([
      '[shop/users] warning TRAFFIC006: \'configureTrafficPolicy\' was set twice: the second call replaced the service-wide traffic policy of the first entirely (the settings are not merged), got "a second call". Fix: set the policy once with every setting (loadBalancer, connectionPool, outlierDetection together)',
    ]);
  });
});
