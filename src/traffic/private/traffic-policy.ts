import { IConstruct } from 'constructs';
import { IMeshService } from '../../model/shared-interfaces';
import { ConnectionPoolModel, OutlierDetectionModel, TrafficPolicyModel } from '../../model/traffic';
import { propError } from '../../private/errors';
import { checkPercentage, optDuration, optInt, optPercentage } from '../../private/values';
import { meshOf } from '../../synth/mesh';
import { ConnectionPool, OutlierDetection, TrafficPolicy } from '../traffic-policy';

/** `MeshService.configureTrafficPolicy()`: the service-wide policy (a second call replaces the first, reported as TRAFFIC006). */
export function setServiceTrafficPolicy(service: IMeshService, policy: TrafficPolicy): void {
  const model = meshOf(service);
  if (model.setTrafficPolicy(service.host, trafficPolicyToModel(service, 'trafficPolicy', policy))) {
    model.addReplacement({ path: service.node.path, prop: 'configureTrafficPolicy', what: 'the service-wide traffic policy' });
  }
}

/** `MeshService.configureVersionTrafficPolicy()`: the policy of one version's subset. */
export function setVersionTrafficPolicy(service: IMeshService, version: string, policy: TrafficPolicy): void {
  const modelPolicy = trafficPolicyToModel(service, `versionTrafficPolicy[${JSON.stringify(version)}]`, policy);
  meshOf(service).setVersionTrafficPolicy(service.host, { version, path: service.node.path, policy: modelPolicy });
}

/** Validates a traffic policy and converts it to model data. */
export function trafficPolicyToModel(scope: IConstruct, prop: string, p: TrafficPolicy): TrafficPolicyModel {
  if (!p.loadBalancer && !p.connectionPool && !p.outlierDetection) {
    throw propError(scope, prop, 'must set loadBalancer, connectionPool or outlierDetection', p, 'set at least one of them');
  }
  return {
    loadBalancer: p.loadBalancer?._toModel(scope, `${prop}.loadBalancer`),
    connectionPool: p.connectionPool ? connectionPool(scope, `${prop}.connectionPool`, p.connectionPool) : undefined,
    outlierDetection: p.outlierDetection ? outlierDetection(scope, `${prop}.outlierDetection`, p.outlierDetection) : undefined,
  };
}

function connectionPool(scope: IConstruct, prop: string, c: ConnectionPool): ConnectionPoolModel {
  return {
    maxConnections: optInt(scope, `${prop}.maxConnections`, c.maxConnections, 1),
    connectTimeoutMs: optDuration(scope, `${prop}.connectTimeout`, c.connectTimeout),
    http1MaxPendingRequests: optInt(scope, `${prop}.http1MaxPendingRequests`, c.http1MaxPendingRequests, 1),
    http2MaxRequests: optInt(scope, `${prop}.http2MaxRequests`, c.http2MaxRequests, 1),
    maxRequestsPerConnection: optInt(scope, `${prop}.maxRequestsPerConnection`, c.maxRequestsPerConnection, 1),
    maxRetries: optInt(scope, `${prop}.maxRetries`, c.maxRetries, 0),
    idleTimeoutMs: optDuration(scope, `${prop}.idleTimeout`, c.idleTimeout),
  };
}

function outlierDetection(scope: IConstruct, prop: string, o: OutlierDetection): OutlierDetectionModel {
  const model: OutlierDetectionModel = {
    consecutive5xxErrors: optInt(scope, `${prop}.consecutive5xxErrors`, o.consecutive5xxErrors, 0),
    consecutiveGatewayErrors: optInt(scope, `${prop}.consecutiveGatewayErrors`, o.consecutiveGatewayErrors, 0),
    intervalMs: optDuration(scope, `${prop}.interval`, o.interval),
    baseEjectionTimeMs: optDuration(scope, `${prop}.baseEjectionTime`, o.baseEjectionTime),
    maxEjectionPercent: o.maxEjectionPercent === undefined ? undefined : checkPercentage(scope, `${prop}.maxEjectionPercent`, o.maxEjectionPercent),
    minHealthPercent: optPercentage(scope, `${prop}.minHealthPercent`, o.minHealthPercent),
  };
  if (model.maxEjectionPercent !== undefined && !Number.isInteger(model.maxEjectionPercent)) {
    throw propError(scope, `${prop}.maxEjectionPercent`, 'must be a whole-number percentage', model.maxEjectionPercent, 'round it to a whole number');
  }
  if (model.minHealthPercent !== undefined && !Number.isInteger(model.minHealthPercent)) {
    throw propError(scope, `${prop}.minHealthPercent`, 'must be a whole-number percentage', model.minHealthPercent, 'round it to a whole number');
  }
  return model;
}
