import { MeshModel, ServiceModel } from '../model';

/**
 * Hosts a service's Envoy needs to know about: every service it calls
 * (declared with `dependsOn`, or implied by `allowFrom`), as
 * `<namespace>/<fqdn>`, plus the control plane namespace.
 */
export function egressHosts(model: MeshModel, service: ServiceModel): string[] {
  const hosts = new Set<string>();
  for (const e of model.edgesFrom(service.host)) {
    const callee = model.findService(e.to.host) ?? e.to;
    hosts.add(`${callee.namespace}/${callee.host}`);
  }
  for (const extra of model.extraEgressHosts(service.host)) hosts.add(extra);
  const sorted = [...hosts].sort();
  const cpNamespaces = new Set([model.controlPlanes[0]?.namespace ?? 'istio-system']);
  return [...sorted, ...[...cpNamespaces].map((ns) => `${ns}/*`)];
}

/** `spec` of the service's Sidecar: egress limited to its dependencies. */
export function renderSidecarSpec(model: MeshModel, service: ServiceModel): any {
  return {
    workloadSelector: { labels: { ...service.selector } },
    egress: [{ hosts: egressHosts(model, service) }],
  };
}
