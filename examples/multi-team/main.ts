/**
 * Two teams, one mesh.
 *
 * - The platform team owns the control plane, the namespaces and the shared
 *   ingress gateway, which runs in its own namespace (`istio-ingress`) and
 *   serves one host per team.
 * - The storefront team owns namespace `storefront`: `web` (public, behind
 *   `shop.example.com`) and `cart`, which calls the payments team's API.
 * - The payments team owns namespace `payments`: `payment-service` admits only
 *   `cart` from the other namespace (POST on `/charges`) and the gateway
 *   (provider callbacks on `/webhooks/*` of `payments.example.com`); every
 *   other workload of its namespace is deny-by-default.
 *
 * Each team's chart can live in the team's own repository: it only needs the
 * other team's services as objects (here passed in; across repositories the
 * same code runs in one app per cluster).
 *
 * Synthesize with `cdk8s synth` in this folder.
 */
import { App, Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import {
  DefaultDeny, GatewayServer, GatewayTls, HttpMatch, HttpMethod, IngressGateway, IstioControlPlane, MeshApp,
  MeshNamespace, MeshService, Protocol, StrictMtls,
} from '../../src';

export const SHOP_HOST = 'shop.example.com';
export const PAYMENTS_HOST = 'payments.example.com';
export const INGRESS_NAMESPACE = 'istio-ingress';

const http8080 = [{ port: 80, targetPort: 8080, protocol: Protocol.HTTP }];

/** The platform team: control plane, team namespaces, the shared gateway's namespace. */
export class PlatformChart extends Chart {
  public readonly controlPlane: IstioControlPlane;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.controlPlane = new IstioControlPlane(this, 'istio', { replicas: 2 });
    new MeshNamespace(this, 'storefront', { controlPlane: this.controlPlane, labels: { team: 'storefront' } });
    new MeshNamespace(this, 'payments', { controlPlane: this.controlPlane, labels: { team: 'payments' } });
    // the gateway's proxy is injected by istiod: its namespace is bound to the same control plane
    new MeshNamespace(this, INGRESS_NAMESPACE, { controlPlane: this.controlPlane, labels: { team: 'platform' } });
  }
}

/** The storefront team's namespace. */
export class StorefrontChart extends Chart {
  public readonly web: MeshService;
  public readonly cart: MeshService;

  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'storefront' });
    new StrictMtls(this, 'mtls', { namespace: 'storefront' });
    this.cart = new MeshService(this, 'cart', {
      ports: http8080,
      versions: [{ name: 'v1', image: 'ghcr.io/acme-storefront/cart:4.1.0', replicas: 2 }],
      env: { PAYMENTS_URL: 'http://payment-service.payments.svc.cluster.local' },
    });
    this.web = new MeshService(this, 'web', {
      ports: http8080,
      versions: [{ name: 'v1', image: 'ghcr.io/acme-storefront/web:7.3.2', replicas: 3 }],
      env: { CART_URL: 'http://cart.storefront.svc.cluster.local' },
    });
    this.web.dependsOn(this.cart);
    this.cart.allowFrom(this.web, { paths: ['/cart', '/cart/*'] });
  }
}

/** The payments team's namespace. */
export class PaymentsChart extends Chart {
  public readonly payments: MeshService;

  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'payments' });
    new StrictMtls(this, 'mtls', { namespace: 'payments' });
    new DefaultDeny(this, 'deny-by-default', { namespace: 'payments' });
    this.payments = new MeshService(this, 'payment-service', {
      ports: http8080,
      versions: [{ name: 'v1', image: 'ghcr.io/acme-payments/payment-service:12.0.4', replicas: 2 }],
    });
    this.payments.addRoute({ name: 'charges', match: [HttpMatch.pathPrefix('/charges')], timeout: Duration.seconds(10) });
  }
}

/** The shared ingress gateway, one HTTPS host per team. */
export class IngressChart extends Chart {
  public readonly gateway: IngressGateway;

  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: INGRESS_NAMESPACE });
    this.gateway = new IngressGateway(this, 'shared-ingress', {
      replicas: 2,
      servers: [
        GatewayServer.http({ hosts: [SHOP_HOST, PAYMENTS_HOST], httpsRedirect: true }),
        GatewayServer.https({ hosts: [SHOP_HOST], tls: GatewayTls.simple('shop-example-com-tls') }),
        GatewayServer.https({ hosts: [PAYMENTS_HOST], tls: GatewayTls.simple('payments-example-com-tls') }),
      ],
    });
  }
}

/** Builds the whole example into `app` (used by `cdk8s synth` and by the tests). */
export function buildMultiTeam(app: App) {
  const platform = new PlatformChart(app, 'platform');
  const ingress = new IngressChart(app, 'ingress');
  const storefront = new StorefrontChart(app, 'storefront');
  const payments = new PaymentsChart(app, 'payments');

  // cross-namespace call: storefront/cart -> payments/payment-service, admitted by identity
  storefront.cart.dependsOn(payments.payments);
  payments.payments.allowFrom(storefront.cart, { methods: [HttpMethod.POST], paths: ['/charges', '/charges/*'] });

  // the shared gateway routes each team's host to the team's service
  const gw = ingress.gateway;
  gw.addRoute({ host: SHOP_HOST, service: storefront.web });
  gw.addRoute({ host: PAYMENTS_HOST, match: [HttpMatch.pathPrefix('/webhooks/')], service: payments.payments });
  storefront.web.allowFrom(gw);
  payments.payments.allowFrom(gw, { methods: [HttpMethod.POST], paths: ['/webhooks/*'] });

  return { platform, ingress, storefront, payments };
}

if (require.main === module) {
  const app = new MeshApp();
  buildMultiTeam(app);
  app.synth();
}
