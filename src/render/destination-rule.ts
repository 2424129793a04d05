import { renderSubsetTrafficPolicy, renderTrafficPolicy } from './traffic-policy';
import {
  DestinationRuleSpec,
  DestinationRuleSpecSubsets,
  DestinationRuleSpecSubsetsTrafficPolicyPortLevelSettingsTlsMode,
  DestinationRuleSpecTrafficPolicyPortLevelSettingsTlsMode,
  DestinationRuleSpecTrafficPolicyTlsMode,
} from '../imports/networking.istio.io';
import { MeshModel, ServiceModel } from '../model';
import { EgressLegModel, ExternalServiceModel, GatewayModel } from '../model/gateways';
import { ClientTlsModeName } from '../model/security';
import { findTraffic, releaseOf } from '../model/traffic';

/**
 * DestinationRule rendering: a mesh service's subsets and client policy, an
 * egress gateway's per-external-service subsets, and an external service's
 * TLS origination. Pure functions from the model to `DestinationRuleSpec`.
 */

const CLIENT_TLS: Record<ClientTlsModeName, DestinationRuleSpecTrafficPolicyTlsMode> = {
  ISTIO_MUTUAL: DestinationRuleSpecTrafficPolicyTlsMode.ISTIO_UNDERSCORE_MUTUAL,
  DISABLE: DestinationRuleSpecTrafficPolicyTlsMode.DISABLE,
};

/**
 * `spec` of a service's DestinationRule: one subset per version, selected by
 * the `version` label, with the service's traffic policy, the client-side
 * mTLS mode toward its sidecars, and per-version overrides.
 */
export function renderDestinationRuleSpec(service: ServiceModel, model?: MeshModel, clientTlsMode: ClientTlsModeName = 'ISTIO_MUTUAL'): DestinationRuleSpec {
  const traffic = model ? findTraffic(model, service.host) : undefined;
  // gitops (src/rollouts): subsets owned by a controller select by the Service selector only
  const managed = model ? releaseOf(model, service.host) : undefined;
  const managedSubset = (version: string): string | undefined => {
    if (!managed?.managedSubsets) return undefined;
    if (version === managed.stable) return managed.managedSubsets.stable;
    return version === managed.canary ? managed.managedSubsets.canary : undefined;
  };
  const subsets = service.versions.map((v): DestinationRuleSpecSubsets => {
    const subsetName = managedSubset(v.name);
    const trafficPolicy = renderSubsetTrafficPolicy(traffic?.versionPolicies.get(v.name)?.policy);
    return subsetName
      ? { name: subsetName, labels: { ...service.selector }, trafficPolicy }
      : { name: v.name, labels: { version: v.podLabels.version }, trafficPolicy };
  });
  return {
    host: service.host,
    // security: client-side mTLS toward the callee's sidecar (see src/security/mtls.ts)
    trafficPolicy: { ...renderTrafficPolicy(traffic?.policy), tls: { mode: CLIENT_TLS[clientTlsMode] } },
    subsets,
  };
}

/**
 * `spec` of an egress gateway's DestinationRule: one subset per external
 * service leaving through it; a plain-HTTP leg gets mutual TLS (with the
 * external host as SNI) from the sidecar to the gateway's port 80.
 */
export function renderEgressGatewayDestinationRuleSpec(gateway: Pick<GatewayModel, 'serviceHost' | 'egressLegs'>): DestinationRuleSpec {
  const subsets = new Map<string, DestinationRuleSpecSubsets>();
  for (const leg of gateway.egressLegs ?? []) {
    const subset = subsets.get(leg.subset) ?? { name: leg.subset };
    subsets.set(leg.subset, leg.kind === 'http' ? { ...subset, trafficPolicy: egressLegPolicy(leg) } : subset);
  }
  return { host: gateway.serviceHost, subsets: [...subsets.values()] };
}

function egressLegPolicy(leg: EgressLegModel): DestinationRuleSpecSubsets['trafficPolicy'] {
  return {
    portLevelSettings: [{
      port: { number: 80 },
      tls: { mode: DestinationRuleSpecSubsetsTrafficPolicyPortLevelSettingsTlsMode.ISTIO_UNDERSCORE_MUTUAL, sni: leg.host },
    }],
  };
}

/**
 * `spec` of an external service's DestinationRule that originates TLS:
 * the port the application calls carries plain HTTP; its cluster opens TLS
 * to the external service, verifying the server against the OS trust store
 * (`system`: what pilot assumes when none is set, spelt out so Istio's
 * analyzer (IST0129) sees the server identity is checked). Undefined when
 * the service does not originate TLS.
 */
export function renderTlsOriginationDestinationRuleSpec(external: ExternalServiceModel): DestinationRuleSpec | undefined {
  const o = external.tlsOrigination;
  if (!o) return undefined;
  return {
    host: external.hosts[0],
    trafficPolicy: {
      portLevelSettings: [{
        port: { number: o.port },
        tls: { mode: DestinationRuleSpecTrafficPolicyPortLevelSettingsTlsMode.SIMPLE, sni: o.sni, caCertificates: 'system' },
      }],
    },
  };
}
