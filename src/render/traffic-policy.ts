import { compact, dur } from './common';
import {
  DestinationRuleSpecSubsetsTrafficPolicy,
  DestinationRuleSpecSubsetsTrafficPolicyConnectionPool,
  DestinationRuleSpecSubsetsTrafficPolicyLoadBalancerConsistentHash,
  DestinationRuleSpecSubsetsTrafficPolicyLoadBalancerSimple,
  DestinationRuleSpecSubsetsTrafficPolicyOutlierDetection,
  DestinationRuleSpecTrafficPolicy,
  DestinationRuleSpecTrafficPolicyConnectionPool,
  DestinationRuleSpecTrafficPolicyLoadBalancerConsistentHash,
  DestinationRuleSpecTrafficPolicyLoadBalancerSimple,
  DestinationRuleSpecTrafficPolicyOutlierDetection,
} from '../imports/networking.istio.io';
import { ConnectionPoolModel, LoadBalancerModel, OutlierDetectionModel, TrafficPolicyModel } from '../model/traffic';

/**
 * A DestinationRule `TrafficPolicy` from the model, in both places Istio
 * takes one: the service-wide policy (`spec.trafficPolicy`) and a subset's
 * override (`spec.subsets[].trafficPolicy`). The generated L1 gives the two
 * places distinct (structurally equal) interfaces and distinct enums, so the
 * parts without enums are typed to fit both and the load balancer names its
 * enum per place.
 */

type SimpleName = Extract<LoadBalancerModel, { simple: unknown }>['simple'];

const TOP_SIMPLE: Readonly<Record<SimpleName, DestinationRuleSpecTrafficPolicyLoadBalancerSimple>> = {
  ROUND_ROBIN: DestinationRuleSpecTrafficPolicyLoadBalancerSimple.ROUND_UNDERSCORE_ROBIN,
  LEAST_REQUEST: DestinationRuleSpecTrafficPolicyLoadBalancerSimple.LEAST_UNDERSCORE_REQUEST,
  RANDOM: DestinationRuleSpecTrafficPolicyLoadBalancerSimple.RANDOM,
};

const SUBSET_SIMPLE: Readonly<Record<SimpleName, DestinationRuleSpecSubsetsTrafficPolicyLoadBalancerSimple>> = {
  ROUND_ROBIN: DestinationRuleSpecSubsetsTrafficPolicyLoadBalancerSimple.ROUND_UNDERSCORE_ROBIN,
  LEAST_REQUEST: DestinationRuleSpecSubsetsTrafficPolicyLoadBalancerSimple.LEAST_UNDERSCORE_REQUEST,
  RANDOM: DestinationRuleSpecSubsetsTrafficPolicyLoadBalancerSimple.RANDOM,
};

/** Fits the service-wide and the subset interface alike (no enum fields are set). */
type ConsistentHash = DestinationRuleSpecTrafficPolicyLoadBalancerConsistentHash & DestinationRuleSpecSubsetsTrafficPolicyLoadBalancerConsistentHash;
type ConnectionPool = DestinationRuleSpecTrafficPolicyConnectionPool & DestinationRuleSpecSubsetsTrafficPolicyConnectionPool;
type OutlierDetection = DestinationRuleSpecTrafficPolicyOutlierDetection & DestinationRuleSpecSubsetsTrafficPolicyOutlierDetection;

/**
 * The DestinationRule's service-wide `trafficPolicy` (undefined when the
 * model sets nothing). Service-wide fields that are not traffic intent
 * (client `tls`) are added by the DestinationRule renderer.
 */
export function renderTrafficPolicy(policy: TrafficPolicyModel | undefined): DestinationRuleSpecTrafficPolicy | undefined {
  if (!policy) return undefined;
  return compact<DestinationRuleSpecTrafficPolicy>({
    loadBalancer: policy.loadBalancer ? renderLoadBalancer(policy.loadBalancer, TOP_SIMPLE) : undefined,
    connectionPool: policy.connectionPool ? renderConnectionPool(policy.connectionPool) : undefined,
    outlierDetection: policy.outlierDetection ? renderOutlierDetection(policy.outlierDetection) : undefined,
  });
}

/** A subset's `trafficPolicy` override (undefined when the model sets nothing). */
export function renderSubsetTrafficPolicy(policy: TrafficPolicyModel | undefined): DestinationRuleSpecSubsetsTrafficPolicy | undefined {
  if (!policy) return undefined;
  return compact<DestinationRuleSpecSubsetsTrafficPolicy>({
    loadBalancer: policy.loadBalancer ? renderLoadBalancer(policy.loadBalancer, SUBSET_SIMPLE) : undefined,
    connectionPool: policy.connectionPool ? renderConnectionPool(policy.connectionPool) : undefined,
    outlierDetection: policy.outlierDetection ? renderOutlierDetection(policy.outlierDetection) : undefined,
  });
}

function renderLoadBalancer<S>(lb: LoadBalancerModel, simple: Record<SimpleName, S>): { simple?: S; consistentHash?: ConsistentHash } {
  if ('simple' in lb) return { simple: simple[lb.simple] };
  return { consistentHash: renderConsistentHash(lb) };
}

function renderConsistentHash(lb: Exclude<LoadBalancerModel, { simple: unknown }>): ConsistentHash {
  if ('hashHeader' in lb) return { httpHeaderName: lb.hashHeader };
  if ('hashSourceIp' in lb) return { useSourceIp: true };
  if ('hashQueryParam' in lb) return { httpQueryParameterName: lb.hashQueryParam };
  return { httpCookie: { name: lb.hashCookie.name, path: lb.hashCookie.path, ttl: dur(lb.hashCookie.ttlMs) } };
}

function renderConnectionPool(c: ConnectionPoolModel): ConnectionPool {
  return compact<ConnectionPool>({
    tcp: compact<NonNullable<ConnectionPool['tcp']>>({ maxConnections: c.maxConnections, connectTimeout: dur(c.connectTimeoutMs) }),
    http: compact<NonNullable<ConnectionPool['http']>>({
      http1MaxPendingRequests: c.http1MaxPendingRequests,
      http2MaxRequests: c.http2MaxRequests,
      maxRequestsPerConnection: c.maxRequestsPerConnection,
      maxRetries: c.maxRetries,
      idleTimeout: dur(c.idleTimeoutMs),
    }),
  }) ?? {};
}

function renderOutlierDetection(o: OutlierDetectionModel): OutlierDetection {
  return compact<OutlierDetection>({
    // the L1 spells the wire field `consecutive5xxErrors` this way and renames it in toJson
    consecutive5XxErrors: o.consecutive5xxErrors,
    consecutiveGatewayErrors: o.consecutiveGatewayErrors,
    interval: dur(o.intervalMs),
    baseEjectionTime: dur(o.baseEjectionTimeMs),
    maxEjectionPercent: o.maxEjectionPercent,
    minHealthPercent: o.minHealthPercent,
  }) ?? {};
}
