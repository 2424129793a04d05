/**
 * The flask shop on Istio's ambient data plane: the same services, releases,
 * routes, policies, gateways and observability as `main.ts`, with the
 * control plane installing ztunnel and istio-cni and the `shop` namespace in
 * ambient mode. The pods run without sidecars; cdk8s-mesh declares the
 * namespace's waypoint because the shop's intent needs L7 (user-service's
 * routes, retries and circuit breaker, order-service's canary and JWT, GET-only
 * authorization), attaches both services to it and points their policies at
 * it. Routing uses the app's routing API: the Istio APIs (VirtualService/DestinationRule,
 * applied by the waypoint) by default; with `RoutingApi.GATEWAY_API` the Gateway API
 * flavour's intent rendered as GAMMA HTTPRoutes on the Services (applied by the waypoint),
 * with per-version Services attached to the waypoint too.
 *
 * Synthesize with `SHOP_DATAPLANE=ambient npm run example` (add `SHOP_ROUTING=gateway-api`
 * for ambient + Gateway API); see main.ts.
 */
import { App, Chart, Duration } from 'cdk8s';
import { buildGateways } from './gateways';
import { addGitOps } from './gitops';
import { SHOP_NAMESPACE, ShopChart } from './main';
import { addObservability } from './observability';
import { secureShop } from './security';
import { addShopTraffic } from './traffic';
import {
  AccessLogEncoding, DataPlaneMode, IstioControlPlane, MeshNamespace, OutboundTrafficPolicyMode, RolloutRevision,
} from '../../src';

/** The control plane of `control-plane.ts` with the ambient data plane, and the `shop` namespace in ambient mode. */
export function addAmbientControlPlane(app: App, shopNamespace: string): { controlPlane: IstioControlPlane; namespace: MeshNamespace } {
  const chart = new Chart(app, 'istio-control-plane');
  const controlPlane = new IstioControlPlane(chart, 'istio', {
    replicas: 2,
    accessLogFile: '/dev/stdout',
    accessLogEncoding: AccessLogEncoding.JSON,
    outboundTrafficPolicy: OutboundTrafficPolicyMode.REGISTRY_ONLY,
    terminationDrainDuration: Duration.seconds(10),
    dataPlane: DataPlaneMode.AMBIENT,
  });
  // declared before the shop's services, which take their data plane from it
  const namespace = new MeshNamespace(chart, 'shop-namespace', { name: shopNamespace, dataPlaneMode: DataPlaneMode.AMBIENT });
  return { controlPlane, namespace };
}

/**
 * Builds the ambient flavour of the shop into `app`. `gatewayApiIntent`: the traffic of the
 * Gateway API flavour (default: when the app routes with `RoutingApi.GATEWAY_API`; see traffic.ts).
 */
export function buildAmbientShop(app: App, rolloutRevision?: RolloutRevision, gatewayApiIntent?: boolean): { shop: ShopChart } {
  addAmbientControlPlane(app, SHOP_NAMESPACE);
  const shop = new ShopChart(app, 'flask-shop');
  addShopTraffic(shop, shop, rolloutRevision, gatewayApiIntent);
  secureShop(shop, SHOP_NAMESPACE, shop.users, shop.orders);
  buildGateways(app, shop);
  addObservability(app, [shop.users, shop.orders]);
  addGitOps(app); // last: derives sync waves from everything declared above
  return { shop };
}
