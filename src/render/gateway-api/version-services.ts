import { k8s } from 'cdk8s-plus-28';
import { versionServiceName } from './mesh-http-route';
import { DestinationRuleSpec, DestinationRuleSpecTrafficPolicy } from '../../imports/networking.istio.io';
import { MeshModel, ServiceModel, VersionModel } from '../../model';
import { findTraffic } from '../../model/traffic';
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

/** The parts of the Istio rendering's DestinationRule the per-version rules derive from. */
export interface ServiceDestinationRule {
  readonly trafficPolicy?: DestinationRuleSpecTrafficPolicy;
}

/**
 * `spec` of the DestinationRule of a version's Service: the service's
 * DestinationRule `trafficPolicy` with the version subset's policy laid over
 * it field by field (Istio merges a subset's policy into the top-level one
 * the same way).
 */
export function renderVersionDestinationRuleSpec(
  model: MeshModel, service: ServiceModel, version: VersionModel, serviceRule: ServiceDestinationRule,
): DestinationRuleSpec {
  // the version's override, rendered as a top-level policy (the subset's own L1 type differs only in its enum names)
  const override = renderTrafficPolicy(findTraffic(model, service.host)?.versionPolicies.get(version.name)?.policy);
  const trafficPolicy: DestinationRuleSpecTrafficPolicy = { ...(serviceRule.trafficPolicy ?? {}), ...(override ?? {}) };
  return {
    host: model.hostOf(versionServiceName(service, version.name), service.namespace),
    ...(Object.keys(trafficPolicy).length ? { trafficPolicy } : {}),
  };
}
