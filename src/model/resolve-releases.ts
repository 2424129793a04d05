import { ManagedFieldsModel } from './gitops';
import { DEFAULT_ROUTE, POD_TEMPLATE_HASH, RolloutModel, rolloutManagedRoutes } from './releases';
import { GatewaySnapshot, RolloutSnapshot, RolloutVirtualServiceSnapshot, ServiceSnapshot } from './snapshot';
import { managedGatewayRouteName, routeNameOnPort, splitRoutePorts } from './traffic';

/**
 * Resolution of the Argo Rollouts releases: what each Rollout moves, and
 * the fields of emitted objects Argo Rollouts owns at run time.
 */

/**
 * The VirtualServices a Rollout moves: the service's own (its `default`
 * route), then one per gateway route table carrying routes to the service
 * (any-host routes are also the fallback of the gateway's concrete hosts).
 */
function rolloutVirtualServices(service: ServiceSnapshot, gateways: readonly GatewaySnapshot[]): RolloutVirtualServiceSnapshot[] {
  const out: RolloutVirtualServiceSnapshot[] = [{
    ref: service.name,
    name: service.name,
    namespace: service.namespace,
    ownerPath: service.path,
    // a service with several HTTP ports repeats its default route per port (`splitRoutePorts`)
    routes: splitRoutePorts(service).length > 0 ? splitRoutePorts(service).map((p) => routeNameOnPort(DEFAULT_ROUTE, p)) : [DEFAULT_ROUTE],
  }];
  for (const gw of gateways) {
    for (const table of gw.routeTables) {
      const routes = table.routes.filter((r) => r.serviceHost === service.host);
      if (routes.length === 0) continue;
      out.push({
        ref: gw.namespace === service.namespace ? table.name : `${table.name}.${gw.namespace}`,
        name: table.name,
        namespace: gw.namespace,
        routes: routes.map((r) => managedGatewayRouteName(service, r.index) ?? `${service.name}-${r.index}`),
        ownerPath: gw.path,
      });
    }
  }
  return out;
}

/** A Rollout with what it moves, or undefined when its service is not in the app. */
export function resolveRollout(
  rollout: RolloutModel, service: ServiceSnapshot | undefined, gateways: readonly GatewaySnapshot[],
): RolloutSnapshot | undefined {
  if (!service) return undefined;
  const stable = service.release ? service.workloads.find((w) => w.version === service.release!.stable) : undefined;
  return {
    ...rollout,
    resolvedReplicas: rollout.replicas ?? service.versions.find((v) => v.name === service.release?.stable)?.replicas ?? 1,
    virtualServices: rolloutVirtualServices(service, gateways),
    managedRoutes: rolloutManagedRoutes(rollout),
    stableWorkload: stable,
  };
}

/** Fields of emitted objects that Argo Rollouts writes at run time (the GitOps tool must not revert them). */
export function rolloutManagedFields(rollout: RolloutSnapshot, service: ServiceSnapshot): ManagedFieldsModel[] {
  const manager = `Argo Rollouts (${rollout.path})`;
  const out: ManagedFieldsModel[] = rollout.virtualServices.map((v) => ({
    ownerPath: v.ownerPath,
    group: 'networking.istio.io',
    kind: 'VirtualService',
    name: v.name,
    namespace: v.namespace,
    jqPathExpressions: [
      ...v.routes.map((route) => `.spec.http[] | select(.name == "${route}") | .route[].weight`),
      // routes Argo Rollouts inserts for header/mirror steps while a step is active
      ...rollout.managedRoutes.map((name) => `.spec.http[] | select(.name == "${name}")`),
    ],
    manager,
  }));
  if (rollout.revision === 'STABLE' && rollout.stableWorkload) {
    // workloadRef with scaleDown: progressively: Argo Rollouts scales the stable Deployment down
    out.push({
      ownerPath: rollout.stableWorkload.ownerPath,
      group: 'apps',
      kind: 'Deployment',
      name: rollout.stableWorkload.deploymentName,
      namespace: service.namespace,
      jqPathExpressions: ['.spec.replicas'],
      manager,
    });
  }
  const { stable: stableSubset, canary: canarySubset } = rollout.subsets;
  out.push({
    ownerPath: service.path,
    group: 'networking.istio.io',
    kind: 'DestinationRule',
    name: service.name,
    namespace: service.namespace,
    jqPathExpressions: [`.spec.subsets[] | select(.name == "${stableSubset}" or .name == "${canarySubset}") | .labels["${POD_TEMPLATE_HASH}"]`],
    manager,
  });
  return out;
}
