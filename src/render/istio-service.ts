import { defaultDestinations, renderRoute } from './destinations';
import { MeshModel, ServiceModel } from '../model';

/**
 * Istio classic-API rendering of a mesh service's own objects
 * (DestinationRule subsets and the default VirtualService route).
 * Pure functions from the model to the `spec` of each kind.
 */

/** `spec` of the DestinationRule: one subset per version, selected by the `version` label. */
export function renderDestinationRuleSpec(service: ServiceModel, clientTlsMode: string = 'ISTIO_MUTUAL'): any {
  return {
    host: service.host,
    trafficPolicy: { tls: { mode: clientTlsMode } }, // security: mTLS toward the sidecar (see src/security/mtls.ts)
    subsets: service.versions.map((v) => ({
      name: v.name,
      labels: { version: v.podLabels.version },
    })),
  };
}

/** `spec` of the VirtualService: every request goes to the stable subset. */
export function renderVirtualServiceSpec(model: MeshModel, service: ServiceModel): any {
  const destinations = defaultDestinations(model, service);
  const httpPorts = service.ports.filter((p) => p.protocol !== 'tcp');
  const tcpPorts = service.ports.filter((p) => p.protocol === 'tcp');
  const spec: any = { hosts: [service.host] };
  if (httpPorts.length > 0) {
    spec.http = [{ name: 'default', route: renderRoute(destinations) }];
  }
  if (tcpPorts.length > 0) {
    spec.tcp = tcpPorts.map((p) => ({
      match: [{ port: p.port }],
      route: renderRoute(destinations.map((d) => ({ ...d, port: p.port }))),
    }));
  }
  return spec;
}
