/**
 * Traffic management of the flask shop:
 * - order-service is released from v1 to v2 by Argo Rollouts, in two Git revisions (Argo Rollouts
 *   promotes a Rollout's first revision at once, with no steps):
 *   1. `RolloutRevision.STABLE` (fresh cluster, or moving from the static driver): the Rollout takes
 *      v1's pod template from the `order-service-v1` Deployment (`workloadRef`), which stays in Git so
 *      Argo CD does not prune it; Argo Rollouts scales it down as the Rollout's v1 pods become ready.
 *   2. `RolloutRevision.CANARY` (commit once revision 1 is Healthy): the Rollout's template is v2's;
 *      Argo Rollouts shifts traffic 10% -> pause (until promoted) -> 50% -> SLO analysis (success
 *      rate >= 99%, p99 <= 500 ms; no traffic is inconclusive and pauses) -> 100%.
 *   Testers reach the canary pods with `x-canary: always`;
 * - the call to user-service has a timeout and retries (routes on user-service's VirtualService);
 * - user-service has a circuit breaker (connection pool limits + outlier detection).
 */
import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import type { ShopChart } from './main';
import { CanaryRelease, HeaderMatch, HttpMatch, LoadBalancer, MeshRouting, ReleaseDriver, RetryOn, RolloutRevision, RolloutStep, RoutingApi, SloAnalysis } from '../../src';

/**
 * @param revision which version the order-service Rollout runs at this Git revision (see above):
 *   the committed output is the second revision, the canary of v2.
 * @param gatewayApiIntent the traffic intent of the Gateway API flavour (below), whichever API renders it
 */
export function addShopTraffic(scope: Construct, shop: ShopChart, revision: RolloutRevision = RolloutRevision.CANARY,
  gatewayApiIntent: boolean = MeshRouting.of(scope) === RoutingApi.GATEWAY_API): CanaryRelease {
  shop.orders.addVersion({ name: 'v2', image: 'ghcr.io/acme-shop/order-service:2.1.0', replicas: 1 });
  // The Gateway API flavour (RoutingApi.GATEWAY_API, see README "Routing with the Gateway API"); the
  // conformance oracle also renders this intent with the Istio API to compare the two (equivalence).
  if (gatewayApiIntent) return addGatewayApiShopTraffic(scope, shop);
  const analysis = new SloAnalysis(scope, 'order-service-v2-slo', {
    service: shop.orders,
    canary: 'v2',
    successRatePercent: 99,
    p99LatencyMs: 500,
    // Prometheus: the App's PrometheusAddon (see observability.ts)
  });
  const canary = new CanaryRelease(scope, 'order-service-canary', {
    service: shop.orders,
    stable: 'v1',
    canary: 'v2',
    canaryPercentage: 0, // Git keeps 100% on stable; the Rollout's steps move the weights
    // a static route to the canary subset: testers always reach the canary pods
    pinHeader: HeaderMatch.exact('x-canary', 'always'),
    driver: ReleaseDriver.argoRollouts({
      revision,
      steps: [
        RolloutStep.weight(10),
        RolloutStep.pause(),
        RolloutStep.weight(50),
        RolloutStep.analysis(analysis),
        RolloutStep.weight(100),
      ],
    }),
  });

  // Reads are idempotent: retry them on gateway errors and connection failures.
  shop.users.addRoute({
    name: 'reads',
    match: [HttpMatch.pathPrefix('/users')],
    timeout: Duration.seconds(3),
    retries: { attempts: 2, perTryTimeout: Duration.seconds(1), retryOn: [RetryOn.GATEWAY_ERROR, RetryOn.CONNECT_FAILURE, RetryOn.REFUSED_STREAM] },
  });
  // Everything else: a timeout, and retries only when the request never reached the app.
  shop.users.addRoute({
    name: 'default-timeout',
    timeout: Duration.seconds(5),
    retries: { attempts: 1, perTryTimeout: Duration.millis(2500), retryOn: [RetryOn.CONNECT_FAILURE, RetryOn.REFUSED_STREAM] },
  });

  addCircuitBreaker(shop);
  return canary;
}

/**
 * The same shop routed with the Kubernetes Gateway API (HTTPRoutes whose parent is the Service):
 * - order-service's canary is a static split held in Git (10% to v2, testers pinned with
 *   `x-canary: always`): Argo Rollouts would need its Gateway API traffic-router plugin;
 * - user-service's routes keep their matches and timeouts but no retries: HTTPRouteRule.retry is
 *   in the experimental channel only (the mesh-wide default retry policy applies);
 * - the circuit breaker is unchanged (DestinationRules, one per version Service).
 */
function addGatewayApiShopTraffic(scope: Construct, shop: ShopChart): CanaryRelease {
  const canary = new CanaryRelease(scope, 'order-service-canary', {
    service: shop.orders,
    stable: 'v1',
    canary: 'v2',
    canaryPercentage: 10,
    pinHeader: HeaderMatch.exact('x-canary', 'always'),
  });
  shop.users.addRoute({ name: 'reads', match: [HttpMatch.pathPrefix('/users')], timeout: Duration.seconds(3) });
  shop.users.addRoute({ name: 'default-timeout', timeout: Duration.seconds(5) });
  addCircuitBreaker(shop);
  return canary;
}

function addCircuitBreaker(shop: ShopChart): void {
  shop.users.configureTrafficPolicy({
    loadBalancer: LoadBalancer.leastRequest(),
    connectionPool: {
      maxConnections: 100,
      connectTimeout: Duration.seconds(1),
      http1MaxPendingRequests: 50,
      http2MaxRequests: 200,
      maxRequestsPerConnection: 100,
    },
    outlierDetection: {
      consecutive5xxErrors: 5,
      interval: Duration.seconds(10),
      baseEjectionTime: Duration.seconds(30),
      maxEjectionPercent: 50,
    },
  });
}
