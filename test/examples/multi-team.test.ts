import { Yaml } from 'cdk8s';
import { buildMultiTeam, INGRESS_NAMESPACE, PAYMENTS_HOST, SHOP_HOST } from '../../examples/multi-team/main';
import { MeshApp } from '../../src';
import { findObject, findObjects, ownObjects, synthAppAndValidate } from '../util';

function synth() {
  const app = new MeshApp({ outdir: 'cdk.out.unused' });
  buildMultiTeam(app);
  return synthAppAndValidate(app);
}

describe('examples/multi-team', () => {
  // GIVEN / WHEN
  const charts = synth();
  const objectsOf = (id: string) => charts.get(id)!.objects;

  describe('namespaces per team', () => {
    test('team namespaces are injected, the gateway namespace is not', () => {
      const platform = objectsOf('platform');
      expect(findObject(platform, 'Namespace', 'storefront').metadata.labels).toEqual({ 'team': 'storefront', 'istio-injection': 'enabled' });
      expect(findObject(platform, 'Namespace', 'payments').metadata.labels).toEqual({ 'team': 'payments', 'istio-injection': 'enabled' });
      // the injected gateway's namespace is bound to the control plane (its istiod injects the gateway)
      expect(findObject(platform, 'Namespace', INGRESS_NAMESPACE).metadata.labels).toEqual({ 'team': 'platform', 'istio-injection': 'enabled' });
    });

    test('each team\'s objects stay in its namespace', () => {
      for (const ns of ['storefront', 'payments']) {
        for (const o of objectsOf(ns)) expect(o.metadata.namespace).toBe(ns);
      }
    });
  });

  describe('cross-namespace authorization', () => {
    test('payment-service admits storefront/cart by its SPIFFE identity, POST on /charges only', () => {
      const policy = findObject(objectsOf('payments'), 'AuthorizationPolicy', 'payment-service-allow');
      expect(policy.spec.action).toBe('ALLOW');
      expect(policy.spec.rules).toContainEqual({
        from: [{ source: { principals: ['cluster.local/ns/storefront/sa/cart'] } }],
        to: [{ operation: { methods: ['POST'], paths: ['/charges', '/charges/*'] } }],
      });
    });

    test('payment-service admits the shared gateway (another namespace) on the webhook paths', () => {
      const policy = findObject(objectsOf('payments'), 'AuthorizationPolicy', 'payment-service-allow');
      const principals = policy.spec.rules.flatMap((r: any) => r.from.flatMap((f: any) => f.source.principals));
      const gatewaySa = findObject(objectsOf('ingress'), 'Deployment', 'shared-ingress').spec.template.spec.serviceAccountName;
      expect(principals).toContain(`cluster.local/ns/${INGRESS_NAMESPACE}/sa/${gatewaySa}`);
      const webhookRule = policy.spec.rules.find((r: any) => r.from[0].source.principals[0].endsWith(`/sa/${gatewaySa}`));
      expect(webhookRule.to).toEqual([{ operation: { methods: ['POST'], paths: ['/webhooks/*'] } }]);
    });

    test('the payments namespace is deny-by-default', () => {
      const deny = findObject(objectsOf('payments'), 'AuthorizationPolicy', 'allow-nothing');
      expect(deny.spec).toEqual({});
    });

    test('cart\'s Sidecar lets it reach payment-service in the other namespace', () => {
      const sidecar = findObject(objectsOf('storefront'), 'Sidecar', 'cart');
      expect(sidecar.spec.egress[0].hosts).toContain('payments/payment-service.payments.svc.cluster.local');
    });
  });

  describe('the shared ingress gateway', () => {
    test('runs in its own namespace and serves both teams\' hosts over HTTPS', () => {
      const ingress = objectsOf('ingress');
      const gateway = findObject(ingress, 'Gateway', 'shared-ingress');
      expect(gateway.metadata.namespace).toBe(INGRESS_NAMESPACE);
      const https = gateway.spec.servers.filter((s: any) => s.port.protocol === 'HTTPS');
      expect(https.map((s: any) => [s.hosts, s.tls.credentialName])).toEqual([
        [[SHOP_HOST], 'shop-example-com-tls'],
        [[PAYMENTS_HOST], 'payments-example-com-tls'],
      ]);
    });

    test('routes each host to the owning team\'s service, across namespaces', () => {
      const vss = findObjects(objectsOf('ingress'), 'VirtualService');
      const destinations = Object.fromEntries(vss.map((vs: any) => [vs.spec.hosts[0],
        vs.spec.http.flatMap((h: any) => h.route.map((r: any) => r.destination.host))]));
      expect(destinations[SHOP_HOST]).toEqual(['web.storefront.svc.cluster.local']);
      expect(destinations[PAYMENTS_HOST]).toEqual(['payment-service.payments.svc.cluster.local']);
      for (const vs of vss) expect(vs.spec.gateways).toEqual([`${INGRESS_NAMESPACE}/shared-ingress`]);
    });
  });

  test('matches the committed output', () => {
    for (const [id, { objects }] of charts) {
      expect(Yaml.stringify(...ownObjects(objects))).toMatchSnapshot(id);
    }
  });
});
