/**
 * Equivalence program (ingress): an ingress gateway with an HTTP-to-HTTPS redirect and an HTTPS
 * server, routes by path with a timeout and a prefix rewrite to a service under a canary with
 * a tester header, and a catch-all route to a single-version service in another namespace.
 * Rendered with both APIs and compared on the gateway's and the sidecars' Envoy config.
 */
import { App, Chart, Duration } from 'cdk8s';
import { CanaryRelease, GatewayServer, GatewayTls, HeaderMatch, HttpMatch, IngressGateway, IstioControlPlane, MeshNamespace, MeshService } from '../../src';

export function build(app: App): void {
  const platform = new Chart(app, 'platform');
  const istio = new IstioControlPlane(platform, 'istio', { gatewayApiCrds: true });
  new MeshNamespace(platform, 'shop', { controlPlane: istio });

  const shop = new Chart(app, 'shop', { namespace: 'shop' });
  const orders = new MeshService(shop, 'orders', {
    ports: [{ port: 80, targetPort: 8080 }],
    versions: [{ name: 'v1', image: 'ghcr.io/acme/orders:1' }, { name: 'v2', image: 'ghcr.io/acme/orders:2' }],
  });
  const users = new MeshService(shop, 'users', { ports: [{ port: 80, targetPort: 8080 }], versions: [{ name: 'v1', image: 'ghcr.io/acme/users:1' }] });
  new CanaryRelease(shop, 'orders-canary', { service: orders, stable: 'v1', canary: 'v2', canaryPercentage: 30, pinHeader: HeaderMatch.exact('x-canary', 'always') });

  const gateways = new Chart(app, 'gateways', { namespace: 'istio-system' });
  const gw = new IngressGateway(gateways, 'istio-ingressgateway', {
    servers: [
      GatewayServer.http({ hosts: ['shop.example.com'], httpsRedirect: true }),
      GatewayServer.https({ hosts: ['shop.example.com'], tls: GatewayTls.simple('shop-example-com-tls') }),
    ],
  });
  gw.addRoute({ host: 'shop.example.com', match: [HttpMatch.pathPrefix('/api/orders')], service: orders, timeout: Duration.seconds(10), rewritePrefix: '/orders' });
  gw.addRoute({ host: 'shop.example.com', service: users });
  users.dependsOn(orders);
}
