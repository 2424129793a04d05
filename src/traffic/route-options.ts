import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { HttpMethod } from './http-match';
import { StringMatchModel } from '../model/traffic';
import { propError } from '../private/errors';
import { checkArgs } from '../private/runtime-types';

/**
 * Conditions under which Envoy retries a request (Envoy `x-envoy-retry-on`
 * and `x-envoy-retry-grpc-on` policies).
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRetry
 */
export enum RetryOn {
  /** Any 5xx response, or no response (disconnect, reset, timeout). */
  FIVE_XX = '5xx',
  /** 502, 503 or 504 responses. */
  GATEWAY_ERROR = 'gateway-error',
  /** The upstream did not respond at all (disconnect, reset, read timeout). */
  RESET = 'reset',
  /** Connection to the upstream failed (connect timeout, refused). */
  CONNECT_FAILURE = 'connect-failure',
  /** The upstream reset the stream with REFUSED_STREAM. */
  REFUSED_STREAM = 'refused-stream',
  /** Retriable 4xx responses (409 Conflict). */
  RETRIABLE_4XX = 'retriable-4xx',
  /** Envoy rate-limited the request (x-envoy-ratelimited). */
  ENVOY_RATELIMITED = 'envoy-ratelimited',
  /** gRPC status CANCELLED. */
  GRPC_CANCELLED = 'cancelled',
  /** gRPC status DEADLINE_EXCEEDED. */
  GRPC_DEADLINE_EXCEEDED = 'deadline-exceeded',
  /** gRPC status INTERNAL. */
  GRPC_INTERNAL = 'internal',
  /** gRPC status RESOURCE_EXHAUSTED. */
  GRPC_RESOURCE_EXHAUSTED = 'resource-exhausted',
  /** gRPC status UNAVAILABLE. */
  GRPC_UNAVAILABLE = 'unavailable',
}

/**
 * Retry policy of a route.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRetry
 */
export interface RetryPolicy {
  /**
   * Number of retries after the first try (0 disables retries). When the
   * route also has a `timeout`, `(1 + attempts) x perTryTimeout` must fit in
   * it, or the last retries could never complete.
   */
  readonly attempts: number;

  /**
   * Timeout of each try, including the first.
   *
   * @default - the route timeout applies to each try
   */
  readonly perTryTimeout?: Duration;

  /**
   * Conditions that trigger a retry.
   *
   * @default - Istio's default: connect-failure, refused-stream, unavailable, cancelled, retriable-status-codes
   */
  readonly retryOn?: RetryOn[];

  /**
   * Retry in other localities when the local one fails.
   *
   * @default false
   */
  readonly retryRemoteLocalities?: boolean;
}

/**
 * Faults injected into requests of a route (for resilience testing).
 * Set a delay, an abort, or both.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPFaultInjection
 */
export interface FaultInjection {
  /**
   * Fixed delay added before forwarding the request.
   *
   * @default - no delay
   */
  readonly fixedDelay?: Duration;

  /**
   * Percentage (0-100) of requests delayed.
   *
   * @default 100
   */
  readonly delayPercentage?: number;

  /**
   * HTTP status returned instead of forwarding the request (200-599).
   *
   * @default - no abort
   */
  readonly abortHttpStatus?: number;

  /**
   * Percentage (0-100) of requests aborted.
   *
   * @default 100
   */
  readonly abortPercentage?: number;
}

/**
 * Shadow traffic: a copy of requests is sent to another version of the same
 * service and its responses are discarded.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPMirrorPolicy
 */
export interface MirrorPolicy {
  /** Version (subset) that receives the copies; must not be a primary destination of the route. */
  readonly version: string;

  /**
   * Percentage (0-100) of requests mirrored.
   *
   * @default 100
   */
  readonly percentage?: number;
}

/**
 * Header manipulation of requests or responses.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#Headers-HeaderOperations
 */
export interface HeaderOperations {
  /**
   * Headers overwritten with the given values.
   *
   * @default - none
   */
  readonly set?: { [name: string]: string };

  /**
   * Headers appended with the given values.
   *
   * @default - none
   */
  readonly add?: { [name: string]: string };

  /**
   * Headers removed.
   *
   * @default - none
   */
  readonly remove?: string[];
}

/**
 * Rewrite of the request before it is forwarded.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRewrite
 */
export interface HttpRewrite {
  /**
   * Replaces the matched path (or path prefix) with this value.
   *
   * @default - the path is not rewritten
   */
  readonly uri?: string;

  /**
   * Replaces the Host/Authority header.
   *
   * @default - the authority is not rewritten
   */
  readonly authority?: string;

  /**
   * RE2 expression of a regex path rewrite; requires `uriRegexRewrite`.
   *
   * @default - no regex rewrite
   */
  readonly uriRegexMatch?: string;

  /**
   * Replacement of a regex path rewrite (may use `\1` groups); requires `uriRegexMatch`.
   *
   * @default - no regex rewrite
   */
  readonly uriRegexRewrite?: string;
}

/** Scheme of a redirect. */
export enum HttpScheme {
  HTTP = 'http',
  HTTPS = 'https',
}

/**
 * An HTTP redirect answered by the proxy instead of forwarding the request.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRedirect
 */
export interface HttpRedirect {
  /**
   * Replacement path.
   *
   * @default - the request path
   */
  readonly uri?: string;

  /**
   * Replacement authority (host).
   *
   * @default - the request authority
   */
  readonly authority?: string;

  /**
   * Replacement port (1-65535).
   *
   * @default - the request port
   */
  readonly port?: number;

  /**
   * Replacement scheme.
   *
   * @default - the request scheme
   */
  readonly scheme?: HttpScheme;

  /**
   * Status code: 301, 302, 303, 307 or 308.
   *
   * @default 301
   */
  readonly redirectCode?: number;
}

/**
 * An allowed CORS origin.
 */
export abstract class CorsOrigin {
  /** The origin equals `origin` (e.g. `https://shop.example.com`). */
  public static exact(origin: string): CorsOrigin {
    checkArgs('CorsOrigin.exact', 'CorsOrigin.exact', arguments);
    return new CorsOriginImpl('exact', origin);
  }

  /** The origin starts with `prefix`. */
  public static prefix(prefix: string): CorsOrigin {
    checkArgs('CorsOrigin.prefix', 'CorsOrigin.prefix', arguments);
    return new CorsOriginImpl('prefix', prefix);
  }

  /** The origin matches an RE2 regular expression. */
  public static regex(regex: string): CorsOrigin {
    checkArgs('CorsOrigin.regex', 'CorsOrigin.regex', arguments);
    return new CorsOriginImpl('regex', regex);
  }

  /** @internal */
  public abstract _toModel(scope: IConstruct, prop: string): StringMatchModel;
}

class CorsOriginImpl extends CorsOrigin {
  constructor(private readonly kind: 'exact' | 'prefix' | 'regex', private readonly value: string) {
    super();
  }

  public _toModel(scope: IConstruct, prop: string): StringMatchModel {
    if (!this.value || /\s/.test(this.value)) {
      throw propError(scope, prop, 'must be a non-empty origin without whitespace', this.value, 'use an origin such as "https://shop.example.com"');
    }
    if (this.kind === 'regex') {
      try {
        new RegExp(this.value);
      } catch (e) {
        throw propError(scope, prop, `must be a valid regular expression (${(e as Error).message})`, this.value, 'fix the expression (Istio uses RE2 syntax)');
      }
    }
    return { kind: this.kind, value: this.value };
  }
}

/**
 * Cross-origin resource sharing policy of a route.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#CorsPolicy
 */
export interface CorsPolicy {
  /** Origins allowed to make cross-origin requests (at least one). */
  readonly allowOrigins: CorsOrigin[];

  /**
   * Methods allowed (`Access-Control-Allow-Methods`).
   *
   * @default - none beyond simple requests
   */
  readonly allowMethods?: HttpMethod[];

  /**
   * Request headers allowed (`Access-Control-Allow-Headers`).
   *
   * @default - none
   */
  readonly allowHeaders?: string[];

  /**
   * Response headers browsers may read (`Access-Control-Expose-Headers`).
   *
   * @default - none
   */
  readonly exposeHeaders?: string[];

  /**
   * How long browsers may cache the preflight result.
   *
   * @default - browsers' default
   */
  readonly maxAge?: Duration;

  /**
   * Whether credentials (cookies, authorization) may be sent.
   *
   * @default false
   */
  readonly allowCredentials?: boolean;
}

/**
 * One weighted destination of a route.
 */
export interface RouteDestination {
  /** Version (DestinationRule subset) of the service. */
  readonly version: string;

  /**
   * Percentage of the route's traffic (0-100, whole number). Weights of a
   * route must sum to 100.
   *
   * @default 100
   */
  readonly weight?: number;
}
