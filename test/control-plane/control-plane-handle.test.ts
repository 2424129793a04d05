import { Chart, Testing } from 'cdk8s';
import * as YAML from 'yaml';
import { GatewayServer, IngressGateway, IstioControlPlane, MeshAnalysis, MeshService } from '../../src';
import { findObject, findObjects, synthAndValidate } from '../util';

/**
 * One control-plane handle: the trust domain, hub, tag, namespace and istiod
 * address a control plane declares reach every proxy (the injector values
 * istiod renders sidecars and gateways from), the mesh config and every
 * authorization principal, whatever order the constructs are declared in.
 * Everything here goes through public props only.
 */
describe('the control-plane handle', () => {
  function mesh(controlPlaneFirst: boolean) {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'shop' });
    const declare = () => new IstioControlPlane(chart, 'istio', { trustDomain: 'acme.com', hub: 'registry.example/istio', tag: '1.30.3-distroless', crds: false });
    if (controlPlaneFirst) declare();
    const users = new MeshService(chart, 'users', { versions: [{ name: 'v1', image: 'ghcr.io/acme/users:1.0.0' }] });
    const orders = new MeshService(chart, 'orders', { versions: [{ name: 'v1', image: 'ghcr.io/acme/orders:1.0.0' }] });
    const gateway = new IngressGateway(chart, 'public', { namespace: 'istio-ingress', servers: [GatewayServer.http({ hosts: ['shop.example.com'] })] });
    gateway.addRoute({ host: 'shop.example.com', service: users });
    const fromOrders = users.allowFrom(orders);
    const fromGateway = users.allowFrom(gateway);
    if (!controlPlaneFirst) declare();
    return { chart, users, gateway, fromOrders, fromGateway };
  }

  describe.each([['declared first', true], ['declared last', false]])('a control plane %s', (_order, first) => {
    test('its trustDomain reaches the authorization principals of services and gateways', () => {
      const { chart, fromOrders, fromGateway } = mesh(first);
      const out = synthAndValidate(chart);
      const principals = findObject(out, 'AuthorizationPolicy', 'users-allow').spec.rules.map((r: any) => r.from[0].source.principals[0]);
      expect(principals).toEqual(['acme.com/ns/shop/sa/orders', 'acme.com/ns/istio-ingress/sa/public-service-account']);
      expect([...fromOrders.principals, ...fromGateway.principals]).toEqual(principals);
    });

    test('its trustDomain, hub and tag reach the injector values every sidecar and gateway is rendered from, and the mesh config', () => {
      const { chart } = mesh(first);
      const out = synthAndValidate(chart);
      const values = JSON.parse(findObject(out, 'ConfigMap', 'istio-sidecar-injector').data.values);
      expect(values.global).toMatchObject({ trustDomain: 'acme.com', hub: 'registry.example/istio', tag: '1.30.3-distroless', istioNamespace: 'istio-system' });
      const meshConfig = YAML.parse(findObject(out, 'ConfigMap', 'istio').data.mesh);
      expect(meshConfig.trustDomain).toBe('acme.com');
      expect(meshConfig.defaultConfig.discoveryAddress).toBe('istiod.istio-system.svc:15012');
      // the gateway's proxy is injected by istiod from those values: the pod asks for `image: auto`
      const gateway = findObject(out, 'Deployment', 'public');
      expect(gateway.spec.template.spec.containers.map((c: any) => [c.name, c.image])).toEqual([['istio-proxy', 'auto']]);
      expect(findObject(out, 'Deployment', 'istiod').spec.template.spec.containers[0].image).toBe('registry.example/istio/pilot:1.30.3-distroless');
    });

    test('the analysis names the same principal (SEC008 when the gateway is not admitted)', () => {
      const chart = new Chart(Testing.app(), 'test', { namespace: 'shop' });
      if (first) new IstioControlPlane(chart, 'istio', { trustDomain: 'acme.com', crds: false });
      const users = new MeshService(chart, 'users', { versions: [{ name: 'v1', image: 'ghcr.io/acme/users:1.0.0' }] });
      const orders = new MeshService(chart, 'orders', { versions: [{ name: 'v1', image: 'ghcr.io/acme/orders:1.0.0' }] });
      const gateway = new IngressGateway(chart, 'public', { namespace: 'istio-ingress', servers: [GatewayServer.http({ hosts: ['shop.example.com'] })] });
      gateway.addRoute({ host: 'shop.example.com', service: users });
      users.allowFrom(orders);
      if (!first) new IstioControlPlane(chart, 'istio', { trustDomain: 'acme.com', crds: false });
      const sec008 = MeshAnalysis.of(chart).findings().filter((f) => f.code === 'SEC008');
      expect(sec008.map((f) => f.path)).toEqual(['test/public']);
      expect(sec008[0].message).toContain('admits no request from this gateway (acme.com/ns/istio-ingress/sa/public-service-account)');
    });
  });

  test('a control plane without trustDomain follows the mesh\'s, even when declared before the one that sets it', () => {
    // GIVEN two revisions side by side; only the second names the trust domain
    const chart = Testing.chart();
    new IstioControlPlane(chart, 'stable', { revision: 'stable' });
    new IstioControlPlane(chart, 'canary', { revision: 'canary', trustDomain: 'acme.com', crds: false });
    // THEN both render it: one mesh, one trust domain
    const out = synthAndValidate(chart);
    const meshConfigs = findObjects(out, 'ConfigMap').filter((c: any) => c.data?.mesh).map((c: any) => [c.metadata.name, YAML.parse(c.data.mesh).trustDomain]);
    expect(meshConfigs).toEqual([['istio-stable', 'acme.com'], ['istio-canary', 'acme.com']]);
    const injectors = findObjects(out, 'ConfigMap').filter((c: any) => c.data?.values).map((c: any) => [c.metadata.name, JSON.parse(c.data.values).global.trustDomain]);
    expect(injectors).toEqual([['istio-sidecar-injector-stable', 'acme.com'], ['istio-sidecar-injector-canary', 'acme.com']]);
  });

  test('without a control plane, principals use Istio\'s default trust domain', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'shop' });
    const users = new MeshService(chart, 'users', { versions: [{ name: 'v1', image: 'ghcr.io/acme/users:1.0.0' }] });
    const orders = new MeshService(chart, 'orders', { versions: [{ name: 'v1', image: 'ghcr.io/acme/orders:1.0.0' }] });
    expect(users.allowFrom(orders).principals).toEqual(['cluster.local/ns/shop/sa/orders']);
  });

  test('two control planes that set different trust domains are an error naming the first', () => {
    const chart = Testing.chart();
    new IstioControlPlane(chart, 'stable', { revision: 'stable' });
    new IstioControlPlane(chart, 'a', { revision: 'a', trustDomain: 'acme.com', crds: false });
    expect(() => new IstioControlPlane(chart, 'b', { revision: 'b', trustDomain: 'other.example', crds: false })).toThrow(
      "[test/b] 'trustDomain' must equal the trust domain of test/a (acme.com): the workload identities of one mesh share one trust domain, "
      + "got \"other.example\". Fix: use 'acme.com' on every control plane of the app");
  });
});
