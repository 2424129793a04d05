/**
 * North-south traffic of the flask shop.
 *
 * - Ingress: `shop.example.com` over HTTPS (certificate in the Kubernetes TLS
 *   secret `shop-example-com-tls` in `istio-system`, e.g. issued by
 *   cert-manager); plain HTTP is redirected to HTTPS. `/api/orders` goes to
 *   order-service, everything else to user-service.
 * - Egress: order-service calls the payment provider `api.payments.example`
 *   as `http://api.payments.example`; the call leaves the mesh through the
 *   egress gateway, which opens a verified TLS connection to port 443.
 */
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { ShopChart } from './main';
import {
  EgressGateway, ExternalService, GatewayServer, GatewayTls, HttpMatch, HttpMethod, IngressGateway,
} from '../../src';

export const GATEWAY_NAMESPACE = 'istio-system';
export const SHOP_HOST = 'shop.example.com';
export const PAYMENTS_HOST = 'api.payments.example';

/** The shop's gateways (in `istio-system`) and its external payment API. */
export function buildGateways(app: App, shop: ShopChart): { ingress: IngressGateway; egress: EgressGateway; payments: ExternalService } {
  const chart = new Chart(app, 'gateways', { namespace: GATEWAY_NAMESPACE });

  const ingress = new IngressGateway(chart, 'istio-ingressgateway', {
    replicas: 2, // with a PodDisruptionBudget (minAvailable 1)
    servers: [
      GatewayServer.http({ hosts: [SHOP_HOST], httpsRedirect: true }),
      GatewayServer.https({ hosts: [SHOP_HOST], tls: GatewayTls.simple('shop-example-com-tls') }),
    ],
  });
  ingress.addRoute({ host: SHOP_HOST, match: [HttpMatch.pathPrefix('/api/orders')], service: shop.orders });
  ingress.addRoute({ host: SHOP_HOST, service: shop.users });
  // user-service only admits declared callers: let the ingress gateway's identity in (read-only)
  shop.users.allowFrom(ingress, { methods: [HttpMethod.GET] });

  const egress = new EgressGateway(chart, 'istio-egressgateway');

  const payments = new ExternalService(shop, 'payments-api', {
    hosts: [PAYMENTS_HOST],
    tlsOrigination: {},
    egressGateway: egress,
  });
  shop.orders.dependsOn(payments); // in order-service's Sidecar egress scope
  for (const version of shop.orders.versions) {
    shop.orders.deploymentOf(version).containers[0].env.addVariable('PAYMENTS_API_URL', kplus.EnvValue.fromValue(`http://${PAYMENTS_HOST}`));
  }

  return { ingress, egress, payments };
}
