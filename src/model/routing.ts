import { IConstruct } from 'constructs';
import { ServiceModel } from './core';
import { MeshValidationError, propMessage } from '../private/errors';
import { checkArgs } from '../private/runtime-types';

/**
 * The API a mesh's routing is rendered with. The constructs declare the same
 * intent either way (services, versions, routes, releases, gateways); only
 * the emitted kinds differ.
 */
export enum RoutingApi {
  /**
   * Istio's own APIs: `VirtualService` routes with `DestinationRule` subsets,
   * Istio `Gateway` servers for ingress.
   */
  ISTIO = 'istio',
  /**
   * The Kubernetes Gateway API (standard channel v1.5.1), as Istio recommends:
   * a service's mesh routing is an `HTTPRoute` whose parent is its `Service`
   * (GAMMA), with one `Service` per version as backends; an ingress gateway is
   * a Gateway API `Gateway` (class `istio`) with `HTTPRoute`s and
   * `ReferenceGrant`s. What the Gateway API cannot express is rejected with an
   * error naming the construct and prop (retries, fault injection, ...);
   * `DestinationRule`s keep the client traffic policy (load balancing,
   * connection pools, outlier detection, mTLS).
   */
  GATEWAY_API = 'gateway-api',
}

/** Construct context key holding the routing API of a subtree. */
export const ROUTING_API_CONTEXT = 'cdk8s-mesh:routingApi';

/**
 * Where the routing API of an app or chart is chosen.
 *
 * @example
 * const app = new MeshApp({ routingApi: RoutingApi.GATEWAY_API });
 * // or, for one chart only (before anything is added to it):
 * const shop = new Chart(new MeshApp(), 'shop', { namespace: 'shop' });
 * MeshRouting.use(shop, RoutingApi.GATEWAY_API);
 */
export class MeshRouting {
  /**
   * Renders the routing of every mesh construct declared under `scope` (an
   * App or a Chart) with `api`. Call it before adding constructs to `scope`:
   * the choice is construct context, which a construct with children can no
   * longer take.
   */
  public static use(scope: IConstruct, api: RoutingApi): void {
    checkArgs('MeshRouting.use', 'MeshRouting.use', arguments);
    if (!Object.values(RoutingApi).includes(api)) {
      throw new MeshValidationError(`[${scope.node.path || '<app>'}] ${propMessage('api', `must be one of ${Object.values(RoutingApi).map((v) => JSON.stringify(v)).join(', ')}`,
        api, 'pass RoutingApi.ISTIO or RoutingApi.GATEWAY_API')}`);
    }
    if (scope.node.children.length > 0) {
      throw new MeshValidationError(`[${scope.node.path || '<app>'}] ${propMessage('api', 'must be chosen before constructs are added to the scope ' +
        `(it already holds ${scope.node.children.map((c) => c.node.id).slice(0, 5).join(', ')})`, api,
      'call MeshRouting.use(scope, api) right after creating the App or Chart, or pass routingApi to MeshApp')}`);
    }
    scope.node.setContext(ROUTING_API_CONTEXT, api);
  }

  /** The routing API in effect at `scope` (its own or an ancestor's choice; `RoutingApi.ISTIO` when none). */
  public static of(scope: IConstruct): RoutingApi {
    checkArgs('MeshRouting.of', 'MeshRouting.of', arguments);
    const value: unknown = scope.node.tryGetContext(ROUTING_API_CONTEXT);
    return value === RoutingApi.GATEWAY_API ? RoutingApi.GATEWAY_API : RoutingApi.ISTIO;
  }

  private constructor() {}
}

/** Name of the Service that selects one version's pods in the Gateway API rendering. */
export function versionServiceName(service: Pick<ServiceModel, 'name'>, version: string): string {
  return `${service.name}-${version}`;
}
