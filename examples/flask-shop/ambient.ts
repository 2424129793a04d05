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
import { App } from 'cdk8s';
import { buildShop, ShopChart } from './main';
import { DataPlaneMode, RolloutRevision } from '../../src';

/**
 * Builds the ambient flavour of the shop into `app` (`buildShop` with the ambient data plane:
 * control-plane.ts installs ztunnel and istio-cni and puts the `shop` namespace in ambient mode).
 * `gatewayApiIntent`: the traffic of the Gateway API flavour (default: when the app routes with
 * `RoutingApi.GATEWAY_API`; see traffic.ts).
 */
export function buildAmbientShop(app: App, rolloutRevision?: RolloutRevision, gatewayApiIntent?: boolean): { shop: ShopChart } {
  return buildShop(app, rolloutRevision, gatewayApiIntent, DataPlaneMode.AMBIENT);
}
