import { Testing } from 'cdk8s';
import {
  CanaryRelease, EgressGateway, ExternalService, FindingSeverity, GatewayServer, GatewayTls, IngressGateway, MeshAnalysis, MeshService, StrictMtls,
} from '../../src';
import { findObject, synthAndValidate } from '../util';

const version = (name: string, replicas = 1) => ({ name, image: `ghcr.io/acme/app:${name}`, replicas });

function shop() {
  const chart = Testing.chart();
  const users = new MeshService(chart, 'users', { namespace: 'shop', versions: [version('v1', 2)] });
  const orders = new MeshService(chart, 'orders', { namespace: 'shop', versions: [version('v1', 3), version('v2', 1)] });
  const catalog = new MeshService(chart, 'catalog', { namespace: 'catalog', versions: [version('v1')] });
  return { chart, users, orders, catalog };
}

describe('Sidecar egress scoping', () => {
  test('each service gets a Sidecar whose egress is exactly its dependencies plus the control plane namespace', () => {
    // GIVEN
    const { chart, users, orders, catalog } = shop();
    // WHEN
    orders.dependsOn(users, catalog);
    const out = synthAndValidate(chart);
    // THEN
    const sidecar = out.find((o) => o.kind === 'Sidecar' && o.metadata.name === 'orders');
    expect(sidecar.metadata.namespace).toBe('shop');
    expect(sidecar.spec).toEqual({
      workloadSelector: { labels: { app: 'orders' } },
      egress: [{ hosts: ['catalog/catalog.catalog.svc.cluster.local', 'shop/users.shop.svc.cluster.local', 'istio-system/*'] }],
    });
    expect(findObject(out.filter((o) => o.metadata.namespace === 'shop'), 'Sidecar', 'users').spec.egress).toEqual([{ hosts: ['istio-system/*'] }]);
  });

  test('egressScoping: false emits no Sidecar and the service sees the whole mesh', () => {
    const chart = Testing.chart();
    const a = new MeshService(chart, 'a', { versions: [version('v1')], egressScoping: false });
    expect(a.sidecar).toBeUndefined();
    expect(synthAndValidate(chart).filter((o) => o.kind === 'Sidecar')).toEqual([]);
  });

  test('a service cannot depend on itself', () => {
    const { users } = shop();
    expect(() => users.dependsOn(users)).toThrow(
      "[test/users] 'dependsOn' must not name the service itself, got \"users\". Fix: remove the self-reference: a service always reaches itself");
  });

  test('fan-out report counts (proxy, visible service) pairs with and without scoping', () => {
    const { orders, users } = shop();
    orders.dependsOn(users);
    const fanout = MeshAnalysis.of(orders).sidecarFanout();
    // proxies: users 2 + orders 3+1 + catalog 1 = 7; 3 services
    expect(fanout).toEqual({
      proxies: 7,
      services: 3,
      pairsWithoutScoping: 21,
      pairsWithScoping: 4, // orders' 4 pods see users; users and catalog see no service
      reduction: 5.25,
    });
  });
});

describe('topology diagram', () => {
  test('namespaces, services, versions with their traffic share, and call edges', () => {
    const { orders, users } = shop();
    orders.dependsOn(users);
    const mermaid = MeshAnalysis.of(orders).toMermaid();
    expect(mermaid).toContain('subgraph ns_shop["namespace shop"]');
    expect(mermaid).toContain('svc_shop__orders["orders<br/>v1 100% · v2<br/>no mTLS policy"]');
    expect(mermaid).toContain('svc_shop__orders -.->|"calls · mTLS optional"| svc_shop__users');
    expect(mermaid).toMatchSnapshot();
  });

  test('is deterministic regardless of declaration order', () => {
    const a = shop();
    a.orders.dependsOn(a.users);
    const chart = Testing.chart();
    const catalog = new MeshService(chart, 'catalog', { namespace: 'catalog', versions: [version('v1')] });
    const orders = new MeshService(chart, 'orders', { namespace: 'shop', versions: [version('v1', 3), version('v2', 1)] });
    const users = new MeshService(chart, 'users', { namespace: 'shop', versions: [version('v1', 2)] });
    orders.dependsOn(users);
    expect(catalog).toBeDefined();
    expect(MeshAnalysis.of(chart).toMermaid()).toBe(MeshAnalysis.of(a.chart).toMermaid());
  });
});

describe('findings and warnings', () => {
  const LATEST = "'versions[0].image' uses the mutable tag 'latest': pods started at different times run different code, and a rollback does not restore the previous code, "
    + 'got "ghcr.io/acme/users:latest". Fix: pin a version tag or a digest, e.g. \'ghcr.io/acme/app:1.4.2\'';

  test('errors fail synthesis with the construct path and code', () => {
    const chart = Testing.chart();
    new MeshService(chart, 'users', { namespace: 'shop', versions: [version('v1', 0)] });
    expect(() => synthAndValidate(chart)).toThrow('[test/users] TRAFFIC002: the default route sends traffic to version "v1" of users, which has 0 replicas');
  });

  test('warnings are reported but do not fail, until promoted', () => {
    const chart = Testing.chart();
    new MeshService(chart, 'users', { namespace: 'shop', versions: [{ name: 'v1', image: 'ghcr.io/acme/users:latest' }], egressScoping: false });
    new StrictMtls(chart, 'mtls');
    expect(() => synthAndValidate(chart)).not.toThrow();
    expect(MeshAnalysis.of(chart).findings()).toEqual([{ code: 'MESH008', severity: FindingSeverity.WARNING, path: 'test/users', message: LATEST, fatal: false }]);
    MeshAnalysis.of(chart).treatWarningsAsErrors('MESH008');
    expect(() => synthAndValidate(chart)).toThrow(`[test/users] MESH008: ${LATEST}`);
  });

  test('treatWarningsAsErrors() without codes promotes every warning', () => {
    const chart = Testing.chart();
    new MeshService(chart, 'users', { namespace: 'shop', versions: [{ name: 'v1', image: 'ghcr.io/acme/users:latest' }] });
    MeshAnalysis.of(chart).treatWarningsAsErrors();
    expect(MeshAnalysis.of(chart).findings().every((f) => f.fatal)).toBe(true);
  });
});

describe('topology diagram: gateways, external services, mTLS and authz markings', () => {
  function mesh() {
    const chart = Testing.chart();
    const users = new MeshService(chart, 'users', { namespace: 'shop', versions: [version('v1')] });
    const orders = new MeshService(chart, 'orders', { namespace: 'shop', versions: [version('v1', 3), version('v2', 1)] });
    const catalog = new MeshService(chart, 'catalog', { namespace: 'catalog', versions: [version('v1')] });
    new CanaryRelease(chart, 'orders-canary', { service: orders, stable: 'v1', canary: 'v2', canaryPercentage: 10 });
    new StrictMtls(chart, 'shop-mtls', { namespace: 'shop' });
    users.allowFrom(orders);
    orders.dependsOn(catalog);
    const ingress = new IngressGateway(chart, 'web', {
      namespace: 'istio-ingress', servers: [GatewayServer.https({ hosts: ['shop.example.com'], tls: GatewayTls.simple('shop-cert') })],
    });
    ingress.addRoute({ host: 'shop.example.com', service: orders });
    const egress = new EgressGateway(chart, 'egress', { namespace: 'istio-system' });
    const payments = new ExternalService(chart, 'payments', { namespace: 'shop', hosts: ['api.payments.example'], tlsOrigination: {}, egressGateway: egress });
    orders.dependsOn(payments);
    return { chart, orders };
  }

  test('edges carry how the call is protected, derived from the security model', () => {
    const { chart } = mesh();
    const mermaid = MeshAnalysis.of(chart).toMermaid();
    // STRICT in namespace shop and users.allowFrom(orders)
    expect(mermaid).toContain('svc_shop__orders -->|"mTLS · authz"| svc_shop__users');
    // catalog has no mTLS policy: a declared call that still accepts plaintext
    expect(mermaid).toContain('svc_shop__orders -.->|"calls · mTLS optional"| svc_catalog__catalog');
    expect(mermaid).toContain('svc_shop__users["users<br/>v1 100%<br/>mTLS STRICT · authz"]');
    expect(mermaid).toContain('svc_catalog__catalog["catalog<br/>v1 100%<br/>no mTLS policy"]');
  });

  test('canary weights, ingress routes and egress through the egress gateway', () => {
    const { chart } = mesh();
    const mermaid = MeshAnalysis.of(chart).toMermaid();
    expect(mermaid).toContain('svc_shop__orders["orders<br/>v1 90% · v2 10%<br/>mTLS STRICT"]');
    expect(mermaid).toContain('gw_istio_ingress__web{{"ingress gateway web"}}');
    expect(mermaid).toContain('gw_istio_ingress__web -->|"shop.example.com · mTLS"| svc_shop__orders');
    expect(mermaid).toContain('svc_shop__orders -.->|"calls · mTLS"| gw_istio_system__egress');
    expect(mermaid).toContain('gw_istio_system__egress -->|"TLS originated"| ext_shop__payments');
    expect(mermaid).toMatchSnapshot();
  });

  test('the Sidecar of a service calling an external service through an egress gateway also sees the gateway', () => {
    const { chart } = mesh();
    const out = synthAndValidate(chart);
    // the gateway's Service (istio-system/egress.istio-system.svc.cluster.local) is admitted by
    // istio-system/*; listing it again is what Istio's validation warns about ("duplicated egress host")
    expect(findObject(out, 'Sidecar', 'orders').spec.egress).toEqual([{
      hosts: [
        'catalog/catalog.catalog.svc.cluster.local',
        'shop/api.payments.example',
        'shop/users.shop.svc.cluster.local',
        'istio-system/*',
      ],
    }]);
  });

  test('fan-out counts gateway Services and external hosts as visible without scoping', () => {
    const { chart } = mesh();
    // proxies: users 1 + orders 4 + catalog 1 = 6; registry: 3 services + 2 gateways + 1 external host = 6
    const f = MeshAnalysis.of(chart).sidecarFanout();
    expect(f.pairsWithoutScoping).toBe(36);
    // orders' 4 pods see catalog, egress gateway, payments, users; the others see nothing
    expect(f.pairsWithScoping).toBe(16);
    expect(MeshAnalysis.of(chart).sidecarFanoutReport()).toContain('| 6 | 3 | 36 | 16 | 2.25x |');
  });
});
