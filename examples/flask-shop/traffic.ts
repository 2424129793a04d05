/**
 * Traffic management of the flask shop:
 * - order-service runs v1 and v2; v2 is a 10% canary, testers reach it with `x-canary: always`;
 * - the call to user-service has a timeout and retries (routes on user-service's VirtualService);
 * - user-service has a circuit breaker (connection pool limits + outlier detection).
 */
import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import type { ShopChart } from './main';
import { CanaryRelease, HeaderMatch, HttpMatch, LoadBalancer, RetryOn } from '../../src';

export function addShopTraffic(scope: Construct, shop: ShopChart): CanaryRelease {
  shop.orders.addVersion({ name: 'v2', image: 'ghcr.io/acme-shop/order-service:2.1.0', replicas: 1 });
  const canary = new CanaryRelease(scope, 'order-service-canary', {
    service: shop.orders,
    stable: 'v1',
    canary: 'v2',
    canaryPercentage: 10,
    pinHeader: HeaderMatch.exact('x-canary', 'always'),
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
  return canary;
}
