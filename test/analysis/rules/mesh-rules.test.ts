import { App, Chart, Testing } from 'cdk8s';
import {
  ExternalProtocol, ExternalService, FindingSeverity, GatewayServer, GatewayTls, IngressGateway, MeshAnalysis, MeshService, StrictMtls,
} from '../../../src';
import { findingsOf } from '../../../src/analysis/analyze';
import { MESH_RULES } from '../../../src/analysis/rules/mesh';
import { MeshModel, ServiceModel } from '../../../src/model';
import { meshOf, unsurfacedFindings } from '../../../src/synth/mesh';
import { runValidations, synthAndValidate } from '../../util';

const version = (name: string, replicas = 1) => ({ name, image: `ghcr.io/acme/app:${name}`, replicas });

function codes(scope: Chart | App, code: string) {
  return MeshAnalysis.of(scope).findings().filter((f) => f.code === code);
}

describe('MESH001 unknown destination host', () => {
  test('dependsOn a service of another App fails on the caller', () => {
    // GIVEN a service declared under another App
    const chart = Testing.chart();
    const orders = new MeshService(chart, 'orders', { namespace: 'shop', versions: [version('v1')] });
    const foreign = new MeshService(new Chart(new App(), 'other'), 'users', { namespace: 'shop', versions: [version('v1')] });
    // WHEN / THEN: the call itself rejects a construct of another App (the jsii-boundary check);
    // MESH001 stays the model-level net for edges registered without that check
    expect(() => orders.dependsOn(foreign)).toThrow(
      "[test/orders] 'dependsOn.destinations[0]' must be a construct of this app, but other/users belongs to another App (nothing would be rendered for it here), got \"other/users\". " +
      'Fix: declare the construct under the same App, or pass one that is');
  });

  test('dependsOn an external service of another App fails on the caller', () => {
    const chart = Testing.chart();
    const orders = new MeshService(chart, 'orders', { namespace: 'shop', versions: [version('v1')] });
    const foreign = new ExternalService(new Chart(new App(), 'other'), 'payments', { namespace: 'shop', hosts: ['api.payments.example'] });
    expect(() => orders.dependsOn(foreign)).toThrow("[test/orders] 'dependsOn.destinations[0]' must be a construct of this app, but other/payments belongs to another App");
  });

  test('a gateway route to a service of another App fails on the gateway', () => {
    const chart = Testing.chart();
    new MeshService(chart, 'orders', { namespace: 'shop', versions: [version('v1')] });
    const foreign = new MeshService(new Chart(new App(), 'other'), 'users', { namespace: 'shop', versions: [version('v1')] });
    const gw = new IngressGateway(chart, 'gw', { namespace: 'istio-ingress', servers: [GatewayServer.https({ hosts: ['shop.example.com'], tls: GatewayTls.simple('cert') })] });
    expect(() => gw.addRoute({ host: 'shop.example.com', service: foreign })).toThrow(
      "[test/gw] 'addRoute.options.service' must be a construct of this app, but other/users belongs to another App");
  });

  test('destinations declared in the same app are fine', () => {
    const chart = Testing.chart();
    const orders = new MeshService(chart, 'orders', { namespace: 'shop', versions: [version('v1')] });
    const users = new MeshService(chart, 'users', { namespace: 'shop', versions: [version('v1')] });
    orders.dependsOn(users, new ExternalService(chart, 'payments', { namespace: 'shop', hosts: ['api.payments.example'] }));
    synthAndValidate(chart);
    expect(codes(chart, MESH_RULES.UNKNOWN_HOST.code)).toEqual([]);
  });
});

describe('MESH002 subset labels that match no pod template', () => {
  // The constructs always label pods with their version, so this rule guards
  // the model (and other renderers) rather than user input: exercise it on the model.
  function withService(versions: ServiceModel['versions']) {
    const app = new App();
    const model = meshOf(app);
    model.addService({
      path: 'shop/orders',
      name: 'orders',
      namespace: 'shop',
      host: 'orders.shop.svc.cluster.local',
      serviceAccount: 'orders',
      selector: { app: 'orders' },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'http' }],
      versions,
      stableVersion: 'v1',
    });
    return { app, model };
  }

  test('a version whose pods lack the version label', () => {
    const { model } = withService([{ name: 'v1', replicas: 1, podLabels: { app: 'orders' } }]);
    expect(findingsOf(model).filter((d) => d.code === 'MESH002').map((d) => `${d.code}: ${d.message}`)).toEqual([
      "MESH002: 'subsets[\"v1\"].labels' must select exactly the pods of version \"v1\": the subset selects no pod template of the service, so requests routed to it fail with 503 (no healthy upstream), " +
      'got {}. Fix: label the pods of version "v1" with version: "v1" (and only those)',
    ]);
  });

  test('two versions whose pods carry the same version label', () => {
    const { model } = withService([
      { name: 'v1', replicas: 1, podLabels: { app: 'orders', version: 'v1' } },
      { name: 'v2', replicas: 1, podLabels: { app: 'orders', version: 'v1' } },
    ]);
    const messages = findingsOf(model).filter((d) => d.code === 'MESH002').map((d) => d.message);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain('the subset selects the pods of versions "v1", "v2"');
  });

  test('the finding is reported on a path no construct validates: the root safety net fails synthesis', () => {
    const { app, model } = withService([{ name: 'v1', replicas: 1, podLabels: { app: 'orders' } }]);
    expect(unsurfacedFindings(app, model).map((d) => d.code)).toEqual(['MESH002']);
    expect(() => runValidations(app)).toThrow('[] [shop/orders] MESH002: \'subsets["v1"].labels\' must select exactly the pods of version "v1"');
  });

  test('services built by MeshService always satisfy it', () => {
    const chart = Testing.chart();
    new MeshService(chart, 'orders', { versions: [version('v1'), version('v2')] });
    expect(codes(chart, MESH_RULES.SUBSET_SELECTS_NO_POD.code)).toEqual([]);
  });
});

describe('MESH003 plain HTTP to an external service', () => {
  function setup(tlsOrigination: boolean) {
    const chart = Testing.chart();
    const orders = new MeshService(chart, 'orders', { namespace: 'shop', versions: [version('v1')] });
    const payments = new ExternalService(chart, 'payments', {
      namespace: 'shop',
      hosts: ['api.payments.example'],
      ports: tlsOrigination ? undefined : [{ port: 80, protocol: ExternalProtocol.HTTP }],
      tlsOrigination: tlsOrigination ? {} : undefined,
    });
    orders.dependsOn(payments);
    return chart;
  }

  test('is a warning on the external service', () => {
    const chart = setup(false);
    synthAndValidate(chart);
    expect(codes(chart, MESH_RULES.EXTERNAL_PLAINTEXT.code)).toEqual([{
      code: 'MESH003',
      severity: FindingSeverity.WARNING,
      path: 'test/payments',
      fatal: false,
      message: "'ports[0].protocol' leaves the cluster in clear text to api.payments.example (no TLS, so nothing verifies the server either), got \"HTTP\". " +
        'Fix: call the service over TLS (protocol TLS, port 443), or set tlsOrigination so the mesh opens a verified TLS connection',
    }]);
  });

  test('promoted, it fails synthesis although ExternalService has no validation of its own', () => {
    const chart = setup(false);
    MeshAnalysis.of(chart).treatWarningsAsErrors('MESH003');
    expect(() => synthAndValidate(chart)).toThrow("[] [test/payments] MESH003: 'ports[0].protocol' leaves the cluster in clear text");
  });

  test('TLS origination (the mesh opens TLS) is not reported', () => {
    const chart = setup(true);
    synthAndValidate(chart);
    expect(codes(chart, MESH_RULES.EXTERNAL_PLAINTEXT.code)).toEqual([]);
  });
});

describe('MESH004 PERMISSIVE mTLS left on', () => {
  test('a permissive migration is a warning on the policy; promoted it fails', () => {
    // GIVEN
    const chart = Testing.chart();
    new MeshService(chart, 'orders', { namespace: 'shop', versions: [version('v1')] });
    new StrictMtls(chart, 'migration', { namespace: 'shop', permissiveMigration: true });
    // WHEN
    synthAndValidate(chart);
    // THEN
    expect(codes(chart, MESH_RULES.PERMISSIVE_MTLS.code).map((f) => [f.path, f.message])).toEqual([[
      'test/migration',
      "'permissiveMigration' leaves every workload of namespace \"shop\" accepting plaintext as well as mTLS, so any pod (in the mesh or not) can call them without an identity, got true. " +
      'Fix: finish the migration and drop permissiveMigration (STRICT); promote MESH004 with treatWarningsAsErrors() to keep it from shipping',
    ]]);
    MeshAnalysis.of(chart).treatWarningsAsErrors('MESH004');
    expect(() => synthAndValidate(chart)).toThrow("[test/migration] MESH004: 'permissiveMigration' leaves every workload");
  });

  test('STRICT is not reported', () => {
    const chart = Testing.chart();
    new MeshService(chart, 'orders', { namespace: 'shop', versions: [version('v1')] });
    new StrictMtls(chart, 'mtls');
    synthAndValidate(chart);
    expect(codes(chart, MESH_RULES.PERMISSIVE_MTLS.code)).toEqual([]);
  });
});

describe('safety net for findings nobody reports', () => {
  test('a fatal finding on a path without a construct fails synthesis; one a construct reports is not repeated', () => {
    // GIVEN a service with a version that has no replicas (TRAFFIC002, reported by the MeshService) and a
    // service registered in the model at a path no construct has, whose pods lack the version label (MESH002)
    const chart = Testing.chart();
    new MeshService(chart, 'orders', { versions: [version('v1', 0)] });
    const model = MeshModel.of(chart);
    model.addService({
      path: 'test/nowhere',
      name: 'ghost',
      namespace: 'shop',
      host: 'ghost.shop.svc.cluster.local',
      serviceAccount: 'ghost',
      selector: { app: 'ghost' },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'http' }],
      versions: [{ name: 'v1', replicas: 1, podLabels: { app: 'ghost' } }],
      stableVersion: 'v1',
    });
    // THEN the root reports the lost one, the service its own, once each
    expect(unsurfacedFindings(chart.node.root, model).map((d) => `${d.code} ${d.path}`)).toEqual(['MESH002 test/nowhere']);
    let message = '';
    try {
      runValidations(chart);
    } catch (e) {
      message = (e as Error).message;
    }
    const lines = message.split('\n').slice(1).map((l) => l.trim());
    expect(lines.map((l) => l.slice(0, l.indexOf(':')))).toEqual(['[] [test/nowhere] MESH002', '[test/orders] TRAFFIC002']);
  });
});
