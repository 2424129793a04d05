import { MeshModel, ServiceModel } from '../model';
import { defaultVersions } from '../model/traffic';

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
 *
 * Release-aware: with a `CanaryRelease` this is the weighted stable/canary
 * split (its tester-pinned rule is not included); with a `BlueGreenRelease`
 * the active version; otherwise the stable version.
 */
export function defaultDestinations(model: MeshModel, service: ServiceModel): WeightedDestination[] {
  return defaultVersions(model, service).map((d) => (d.weight === undefined
    ? { host: service.host, subset: d.version }
    : { host: service.host, subset: d.version, weight: d.weight }));
}

/** Renders destinations in VirtualService `route[]` form. */
export function renderRoute(destinations: readonly WeightedDestination[]): any[] {
  return destinations.map((d) => {
    const destination: any = { host: d.host, subset: d.subset };
    if (d.port !== undefined) destination.port = { number: d.port };
    return d.weight === undefined ? { destination } : { destination, weight: d.weight };
  });
}
