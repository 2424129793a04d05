import { k8s } from 'cdk8s-plus-28';
import { DestinationRuleSpec, DestinationRuleSpecTrafficPolicy } from '../../imports/networking.istio.io';
import { hostOf, ServiceModel, VersionModel } from '../../model/core';
import { versionServiceName } from '../../model/routing';
import { ServiceSnapshot } from '../../model/snapshot';
import { renderDestinationRuleSpec } from '../destination-rule';
import { renderTrafficPolicy } from '../traffic-policy';

/**
 * The per-version backends of the Gateway API rendering. An HTTPRoute splits
 * traffic between Services, not DestinationRule subsets, so each version of
 * a mesh service gets a Service of its own (as Istio's GAMMA traffic-shifting
 * guide does): `<service>-<version>`, selecting the service's `app` label and
 * the version's `version` label, with the service's ports. Its client policy
 * (load balancing, connection pool, outlier detection, mTLS) is the
 * DestinationRule of that host: the service-wide policy with the version's
 * overrides, as the subset of the Istio rendering has it.
 */

/** `spec` of the Service selecting one version's pods. */
export function renderVersionServiceSpec(service: ServiceModel, version: VersionModel): k8s.ServiceSpec {
  return {
    selector: { ...service.selector, version: version.podLabels.version ?? version.name },
    ports: service.ports.map((p) => ({
      name: p.name,
      port: p.port,
      targetPort: k8s.IntOrString.fromNumber(p.targetPort),
      protocol: 'TCP',
      appProtocol: p.protocol,
    })),
  };
}

/**
 * `spec` of the DestinationRule of a version's Service: the service's
 * DestinationRule `trafficPolicy` with the version subset's policy laid over
 * it field by field (Istio merges a subset's policy into the top-level one
 * the same way).
 */
export function renderVersionDestinationRuleSpec(service: ServiceSnapshot, version: VersionModel): DestinationRuleSpec {
  // the version's override, rendered as a top-level policy (the subset's own L1 type differs only in its enum names)
  const override = renderTrafficPolicy(service.traffic.versionPolicies.find((p) => p.version === version.name)?.policy);
  const trafficPolicy: DestinationRuleSpecTrafficPolicy = { ...(renderDestinationRuleSpec(service).trafficPolicy ?? {}), ...(override ?? {}) };
  return {
    host: hostOf(versionServiceName(service, version.name), service.namespace),
    ...(Object.keys(trafficPolicy).length ? { trafficPolicy } : {}),
  };
}
