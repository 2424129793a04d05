import { SidecarSpec } from '../imports/networking.istio.io';
import { MeshModel, ServiceModel } from '../model';
import { externalServicesOf, gatewaysOf } from '../model/gateways';

/**
 * Sidecar rendering: a service's Envoy egress scoped to what it calls. Pure
 * functions from the model to `SidecarSpec`.
 */

/**
 * Hosts a service's Envoy needs to know about: every service it calls
 * (declared with `dependsOn`, or implied by `allowFrom`), as
 * `<namespace>/<fqdn>`; the external services it depends on, plus the egress
 * gateway those are routed through (the mesh-side route of such a host
 * points at the gateway's Service, which must be visible too); and the
 * control plane namespace.
 */
export function egressHosts(model: MeshModel, service: ServiceModel): string[] {
  const cpNamespaces = new Set([model.controlPlane.namespace]);
  // `<ns>/*` already admits every host of a control-plane namespace; Istio's validation
  // warns about a host listed again beside it ("duplicated egress host")
  const hosts = dependencyHosts(model, service).filter((h) => !cpNamespaces.has(h.split('/')[0]));
  return [...hosts, ...[...cpNamespaces].map((ns) => `${ns}/*`)];
}

/** The `<namespace>/<fqdn>` hosts `service` depends on (sorted), before control-plane namespaces are folded into `<ns>/*`. */
export function dependencyHosts(model: MeshModel, service: ServiceModel): string[] {
  const hosts = new Set<string>();
  for (const e of model.edgesFrom(service.host)) {
    const callee = model.findService(e.to.host) ?? e.to;
    hosts.add(`${callee.namespace}/${callee.host}`);
  }
  const extra = model.extraEgressHosts(service.host);
  if (extra.length > 0) {
    const gateways = gatewaysOf(model);
    for (const entry of extra) {
      hosts.add(entry);
      const external = externalServicesOf(model).find((x) => x.hosts.some((h) => entry === `${x.namespace}/${h}`));
      const gateway = external?.egressGatewayPath ? gateways.find((g) => g.path === external.egressGatewayPath) : undefined;
      if (gateway) hosts.add(`${gateway.namespace}/${gateway.serviceHost}`);
    }
  }
  return [...hosts].sort();
}

/** `spec` of the service's Sidecar: egress limited to its dependencies. */
export function renderSidecarSpec(model: MeshModel, service: ServiceModel): SidecarSpec {
  return {
    workloadSelector: { labels: { ...service.selector } },
    egress: [{ hosts: egressHosts(model, service) }],
  };
}
