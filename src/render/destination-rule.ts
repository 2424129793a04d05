import { renderSubsetTrafficPolicy, renderTrafficPolicy } from './traffic-policy';
import {
  DestinationRuleSpec,
  DestinationRuleSpecSubsets,
  DestinationRuleSpecSubsetsTrafficPolicyPortLevelSettingsTlsMode,
  DestinationRuleSpecTrafficPolicyPortLevelSettingsTlsMode,
  DestinationRuleSpecTrafficPolicyTlsMode,
} from '../imports/networking.istio.io';
import { EgressLegModel, ExternalServiceModel } from '../model/gateways';
import { ClientTlsModeName } from '../model/security';
import { GatewaySnapshot, ServiceSnapshot } from '../model/snapshot';

/**
 * DestinationRule rendering: a mesh service's subsets and client policy, an
 * egress gateway's per-external-service subsets, and an external service's
 * TLS origination. Pure functions from the snapshot to `DestinationRuleSpec`.
 */

const CLIENT_TLS: Readonly<Record<ClientTlsModeName, DestinationRuleSpecTrafficPolicyTlsMode>> = {
  ISTIO_MUTUAL: DestinationRuleSpecTrafficPolicyTlsMode.ISTIO_UNDERSCORE_MUTUAL,
  DISABLE: DestinationRuleSpecTrafficPolicyTlsMode.DISABLE,
};

/**
 * `spec` of a service's DestinationRule: one subset per version, selected by
 * the `version` label, with the service's traffic policy, the client-side
 * mTLS mode toward its sidecars, and per-version overrides.
 */
export function renderDestinationRuleSpec(service: ServiceSnapshot): DestinationRuleSpec {
  // subsets owned by a controller (Argo Rollouts) select by the Service selector only
  const managed = service.release;
  const managedSubset = (version: string): string | undefined => {
    if (!managed?.managedSubsets) return undefined;
    if (version === managed.stable) return managed.managedSubsets.stable;
    return version === managed.canary ? managed.managedSubsets.canary : undefined;
  };
  const subsets = service.versions.map((v): DestinationRuleSpecSubsets => {
    const subsetName = managedSubset(v.name);
    const trafficPolicy = renderSubsetTrafficPolicy(service.traffic.versionPolicies.find((p) => p.version === v.name)?.policy);
    return subsetName
      ? { name: subsetName, labels: { ...service.selector }, trafficPolicy }
      : { name: v.name, labels: { version: v.podLabels.version }, trafficPolicy };
  });
  return {
    host: service.host,
    // client-side mTLS toward the callee's sidecar (see src/security/mtls.ts)
    trafficPolicy: { ...renderTrafficPolicy(service.traffic.policy), tls: { mode: CLIENT_TLS[service.clientTls] } },
    subsets,
  };
}

/**
 * `spec` of an egress gateway's DestinationRule: one subset per external
 * service leaving through it; a plain-HTTP leg gets mutual TLS (with the
 * external host as SNI) from the sidecar to the gateway's port 80.
 */
export function renderEgressGatewayDestinationRuleSpec(gateway: Pick<GatewaySnapshot, 'serviceHost' | 'egressLegs'>): DestinationRuleSpec {
  const subsets = new Map<string, DestinationRuleSpecSubsets>();
  for (const leg of gateway.egressLegs) {
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
