import { MeshModel, ServiceModel } from '../model';

/** One weighted destination of a route. */
export interface WeightedDestination {
  readonly host: string;
  readonly subset: string;
  /** Percentage 0-100; omitted when there is a single destination. */
  readonly weight?: number;
  readonly port?: number;
}

/**
 * Where traffic addressed to `service` goes by default — the single place
 * both in-mesh routes and gateway routes ask, so a gateway route honours the
 * same release split as the service's own VirtualService.
 */
export function defaultDestinations(_model: MeshModel, service: ServiceModel): WeightedDestination[] {
  return [{ host: service.host, subset: service.stableVersion }];
}

/** Renders destinations in VirtualService `route[]` form. */
export function renderRoute(destinations: readonly WeightedDestination[]): any[] {
  return destinations.map((d) => {
    const destination: any = { host: d.host, subset: d.subset };
    if (d.port !== undefined) destination.port = { number: d.port };
    return d.weight === undefined ? { destination } : { destination, weight: d.weight };
  });
}
