import { ServiceEntrySpec, ServiceEntrySpecLocation, ServiceEntrySpecResolution } from '../imports/networking.istio.io';
import { ExternalResolutionName, ExternalServiceModel } from '../model/gateways';

/**
 * ServiceEntry rendering: an external service the mesh may call. A pure
 * function from the model to `ServiceEntrySpec`.
 */

const RESOLUTION: Readonly<Record<ExternalResolutionName, ServiceEntrySpecResolution>> = {
  DNS: ServiceEntrySpecResolution.DNS,
  DNS_ROUND_ROBIN: ServiceEntrySpecResolution.DNS_UNDERSCORE_ROUND_UNDERSCORE_ROBIN,
  NONE: ServiceEntrySpecResolution.NONE,
};

/**
 * `spec` of an external service's ServiceEntry (`MESH_EXTERNAL`). With TLS
 * origination, the plain-HTTP port the application calls forwards to the
 * service's TLS port (`targetPort`) when the two differ.
 */
export function renderServiceEntrySpec(external: ExternalServiceModel): ServiceEntrySpec {
  const o = external.tlsOrigination;
  return {
    hosts: [...external.hosts],
    location: ServiceEntrySpecLocation.MESH_UNDERSCORE_EXTERNAL,
    resolution: RESOLUTION[external.resolution],
    ports: external.ports.map((p) => ({
      number: p.number,
      name: p.name,
      protocol: p.protocol,
      targetPort: o && p.number === o.port && o.targetPort !== p.number ? o.targetPort : undefined,
    })),
  };
}
