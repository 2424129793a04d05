import { SidecarSpec } from '../imports/networking.istio.io';
import { ServiceSnapshot } from '../model/snapshot';

/**
 * Sidecar rendering: a service's Envoy egress scoped to what it calls (the
 * hosts the snapshot resolved: every service it calls, the external services
 * it depends on and the egress gateway they leave through, and the control
 * plane namespace).
 */

/** `spec` of the service's Sidecar: egress limited to its dependencies. */
export function renderSidecarSpec(service: ServiceSnapshot): SidecarSpec {
  return {
    workloadSelector: { labels: { ...service.selector } },
    egress: [{ hosts: [...service.egressHosts] }],
  };
}
