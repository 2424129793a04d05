import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { LoadBalancerModel } from '../model/traffic';
import { propError } from '../private/errors';
import { checkArgs } from '../private/runtime-types';

/**
 * How the client-side proxy picks an endpoint of the service.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/destination-rule/#LoadBalancerSettings
 */
export abstract class LoadBalancer {
  /** Each endpoint in turn. */
  public static roundRobin(): LoadBalancer {
    return new LoadBalancerImpl({ simple: 'ROUND_ROBIN' });
  }

  /** The endpoint with fewer active requests, of two picked at random (Envoy's default in Istio). */
  public static leastRequest(): LoadBalancer {
    return new LoadBalancerImpl({ simple: 'LEAST_REQUEST' });
  }

  /** A random endpoint. */
  public static random(): LoadBalancer {
    return new LoadBalancerImpl({ simple: 'RANDOM' });
  }

  /** Session affinity by the value of a request header. */
  public static consistentHashByHeader(headerName: string): LoadBalancer {
    checkArgs('LoadBalancer.consistentHashByHeader', 'LoadBalancer.consistentHashByHeader', arguments);
    return new LoadBalancerImpl({ hashHeader: headerName });
  }

  /**
   * Session affinity by a cookie. When `ttl` is given Envoy generates the
   * cookie if the request lacks it.
   *
   * @param name cookie name
   * @param ttl lifetime of a generated cookie (omit to only hash an existing cookie)
   * @param path path of a generated cookie
   */
  public static consistentHashByCookie(name: string, ttl?: Duration, path?: string): LoadBalancer {
    checkArgs('LoadBalancer.consistentHashByCookie', 'LoadBalancer.consistentHashByCookie', arguments);
    return new LoadBalancerImpl({ hashCookie: { name, path, ttlMs: ttl?.toMilliseconds() } });
  }

  /** Session affinity by the caller's source IP. */
  public static consistentHashBySourceIp(): LoadBalancer {
    return new LoadBalancerImpl({ hashSourceIp: true });
  }

  /** Session affinity by a query parameter. */
  public static consistentHashByQueryParameter(name: string): LoadBalancer {
    checkArgs('LoadBalancer.consistentHashByQueryParameter', 'LoadBalancer.consistentHashByQueryParameter', arguments);
    return new LoadBalancerImpl({ hashQueryParam: name });
  }

  /** @internal */
  public abstract _toModel(scope: IConstruct, prop: string): LoadBalancerModel;
}

class LoadBalancerImpl extends LoadBalancer {
  constructor(private readonly lb: LoadBalancerModel) {
    super();
  }

  public _toModel(scope: IConstruct, prop: string): LoadBalancerModel {
    const lb = this.lb;
    if ('hashHeader' in lb && !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(lb.hashHeader)) {
      throw propError(scope, `${prop}.headerName`, 'must be a lower-case HTTP header name', lb.hashHeader, 'use e.g. "x-user-id"');
    }
    if ('hashQueryParam' in lb && (!lb.hashQueryParam || /\s/.test(lb.hashQueryParam))) {
      throw propError(scope, `${prop}.name`, 'must be a non-empty query parameter name without whitespace', lb.hashQueryParam, 'use the parameter name as sent');
    }
    if ('hashCookie' in lb) {
      if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(lb.hashCookie.name)) {
        throw propError(scope, `${prop}.name`, 'must be a cookie name (an HTTP token)', lb.hashCookie.name, 'use e.g. "session"');
      }
      if (lb.hashCookie.ttlMs !== undefined && (!Number.isInteger(lb.hashCookie.ttlMs) || lb.hashCookie.ttlMs < 1000)) {
        throw propError(scope, `${prop}.ttl`, 'must be a whole number of milliseconds of at least 1s', `${lb.hashCookie.ttlMs}ms`, 'use e.g. Duration.hours(1)');
      }
      if (lb.hashCookie.path !== undefined && !lb.hashCookie.path.startsWith('/')) {
        throw propError(scope, `${prop}.path`, 'must start with \'/\'', lb.hashCookie.path, `use "/${lb.hashCookie.path}"`);
      }
    }
    return lb;
  }
}

/**
 * Connection pool limits towards the service (the circuit breaker's
 * capacity half; see `OutlierDetection` for the ejection half).
 *
 * @see https://istio.io/latest/docs/reference/config/networking/destination-rule/#ConnectionPoolSettings
 */
export interface ConnectionPool {
  /**
   * Maximum TCP connections to the service (per client proxy).
   *
   * @default - Envoy's default (2^32-1)
   */
  readonly maxConnections?: number;

  /**
   * TCP connect timeout.
   *
   * @default - 10s
   */
  readonly connectTimeout?: Duration;

  /**
   * Maximum requests queued while waiting for a connection (HTTP/1.1).
   *
   * @default - Envoy's default (2^32-1)
   */
  readonly http1MaxPendingRequests?: number;

  /**
   * Maximum active requests to the service (HTTP/2, and HTTP/1.1 in recent Istio).
   *
   * @default - Envoy's default (2^32-1)
   */
  readonly http2MaxRequests?: number;

  /**
   * Maximum requests per connection; 1 disables keep-alive.
   *
   * @default - unlimited
   */
  readonly maxRequestsPerConnection?: number;

  /**
   * Maximum concurrent retries to the service.
   *
   * @default - Envoy's default (2^32-1)
   */
  readonly maxRetries?: number;

  /**
   * Idle timeout of upstream connections.
   *
   * @default - 1h
   */
  readonly idleTimeout?: Duration;
}

/**
 * Passive health checking: endpoints that keep failing are ejected from the
 * load-balancing pool for a while (the circuit breaker's ejection half).
 *
 * @see https://istio.io/latest/docs/reference/config/networking/destination-rule/#OutlierDetection
 */
export interface OutlierDetection {
  /**
   * Consecutive 5xx responses (including connection errors) that eject an endpoint.
   *
   * @default 5
   */
  readonly consecutive5xxErrors?: number;

  /**
   * Consecutive 502/503/504 responses (including connection errors) that eject an endpoint.
   *
   * @default - not used
   */
  readonly consecutiveGatewayErrors?: number;

  /**
   * Time between ejection sweeps.
   *
   * @default - 10s
   */
  readonly interval?: Duration;

  /**
   * Minimum ejection time (multiplied by the number of times an endpoint was ejected).
   *
   * @default - 30s
   */
  readonly baseEjectionTime?: Duration;

  /**
   * Maximum percentage (0-100) of endpoints ejected at once.
   *
   * @default 10
   */
  readonly maxEjectionPercent?: number;

  /**
   * Outlier detection is disabled while fewer than this percentage (0-100) of endpoints are healthy.
   *
   * @default 0
   */
  readonly minHealthPercent?: number;
}

/**
 * Traffic policy of a service (its DestinationRule), or of one version (subset).
 *
 * @see https://istio.io/latest/docs/reference/config/networking/destination-rule/#TrafficPolicy
 */
export interface TrafficPolicy {
  /**
   * Load-balancing algorithm.
   *
   * @default - Istio's default, LEAST_REQUEST
   */
  readonly loadBalancer?: LoadBalancer;

  /**
   * Connection pool limits.
   *
   * @default - Envoy's defaults (effectively unlimited)
   */
  readonly connectionPool?: ConnectionPool;

  /**
   * Outlier detection (endpoint ejection).
   *
   * @default - no outlier detection
   */
  readonly outlierDetection?: OutlierDetection;
}
