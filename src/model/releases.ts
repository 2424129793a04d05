import { gatewayRouteTableName, gatewayRouteTables, gatewaysOf } from './gateways';
import { addManagedFields, GitOpsRule, managedGatewayRouteName, ManagedFieldsModel } from './gitops';
import { Diagnostic, MeshModel, ServiceModel } from './mesh-model';
import { findTraffic, isCatchAllRoute, MatchModel, ReleaseModel, releaseOf, routeNameOnPort, splitRoutePorts, StringMatchModel, trafficOf } from './traffic';
import { propMessage } from '../private/errors';

/**
 * Releases in the mesh model: which release owns a service's versions, and
 * whether a progressive-delivery controller (Argo Rollouts) runs them.
 * Plain data; the service's workload rendering asks `emitsDeployment()`, the
 * Rollout renderer (`src/render/rollout.ts`) reads `RolloutModel`, and the
 * GitOps renderer reads the fields the controller owns (`addManagedFields`).
 * Everything is evaluated at synth, so the order in which services,
 * versions, releases and gateway routes are declared does not matter.
 */

/** Registers a release that owns a service's default routing (and its two versions). */
export function addRelease(model: MeshModel, serviceHost: string, release: ReleaseModel): void {
  trafficOf(model, serviceHost).releases.push(release);
  model.touch();
  workloadsChanged(model, serviceHost);
}

/** Which version the Rollout runs at this Git revision (see `RolloutRevision`). */
export type RolloutRevisionName = 'STABLE' | 'CANARY';

/** One step of the Rollout's canary strategy. */
export type RolloutStepModel =
  | { readonly kind: 'setWeight'; readonly weight: number }
  | { readonly kind: 'pause'; readonly seconds?: number }
  | { readonly kind: 'setHeaderRoute'; readonly name: string; readonly match: readonly { readonly headerName: string; readonly value: StringMatchModel }[] }
  | { readonly kind: 'setMirrorRoute'; readonly name: string; readonly percentage: number; readonly match: readonly MatchModel[] }
  | { readonly kind: 'analysis'; readonly templateName: string };

/** The route of the service's VirtualService that carries the default split. */
export const DEFAULT_ROUTE = 'default';
/** The label Argo Rollouts adds to pods and to the managed subsets. */
export const POD_TEMPLATE_HASH = 'rollouts-pod-template-hash';

/** An Argo Rollouts `Rollout` that runs the two versions of a canary release. */
export interface RolloutModel {
  /** Construct path of the Rollout (diagnostics are reported there). */
  readonly path: string;
  /** Construct path of the release it drives. */
  readonly releasePath: string;
  readonly serviceHost: string;
  readonly revision: RolloutRevisionName;
  /** Pods at full rollout; undefined: the stable version's replicas. */
  readonly replicas?: number;
  readonly steps: readonly RolloutStepModel[];
  /** Subsets whose pod-template-hash label the controller maintains. */
  readonly subsets: { readonly stable: string; readonly canary: string };
}

/** The Deployment a service renders for one of its versions. */
export interface WorkloadModel {
  /** Construct path of the construct that emits the Deployment (maps it to its chart). */
  readonly ownerPath: string;
  readonly deploymentName: string;
  /** The version's pod template, as the Deployment renders it (asked at synth). */
  readonly podTemplate: () => Readonly<Record<string, unknown>>;
}

interface ReleaseState {
  /** Rollouts by the construct path of their release. */
  readonly rollouts: Map<string, RolloutModel>;
  /** `<host>|<version>` -> the version's workload. */
  readonly workloads: Map<string, WorkloadModel>;
  /** Called with a service host when what its workloads should emit may have changed. */
  readonly listeners: Map<string, (() => void)[]>;
}

const STATES = new WeakMap<MeshModel, ReleaseState>();

function stateOf(model: MeshModel): ReleaseState {
  let s = STATES.get(model);
  if (!s) {
    s = { rollouts: new Map(), workloads: new Map(), listeners: new Map() };
    STATES.set(model, s);
  }
  return s;
}

/**
 * Registers the Rollout of a release; the service's Deployments of the
 * versions it runs are no longer emitted, and the fields the controller
 * writes at run time are recorded for the GitOps renderer.
 */
export function addRollout(model: MeshModel, rollout: RolloutModel): void {
  const state = stateOf(model);
  state.rollouts.set(rollout.releasePath, rollout);
  addManagedFields(model, () => rolloutManagedFields(model, rollout));
  model.touch();
  workloadsChanged(model, rollout.serviceHost);
}

function workloadsChanged(model: MeshModel, serviceHost: string): void {
  for (const listener of stateOf(model).listeners.get(serviceHost) ?? []) listener();
}

/** The Rollout that runs a service's versions: the one of the release that owns its routing, if any. */
export function rolloutOf(model: MeshModel, serviceHost: string): RolloutModel | undefined {
  const release = releaseOf(model, serviceHost);
  return release ? stateOf(model).rollouts.get(release.path) : undefined;
}

/** Every registered Rollout, in registration order. */
export function rolloutsOf(model: MeshModel): RolloutModel[] {
  return [...stateOf(model).rollouts.values()];
}

/** Records the Deployment of a service version (its name and pod template, for a Rollout that takes it over). */
export function putWorkload(model: MeshModel, serviceHost: string, version: string, workload: WorkloadModel): void {
  stateOf(model).workloads.set(`${serviceHost}|${version}`, workload);
}

/** The Deployment of a service version, if the service registered it. */
export function workloadOf(model: MeshModel, serviceHost: string, version: string): WorkloadModel | undefined {
  return stateOf(model).workloads.get(`${serviceHost}|${version}`);
}

/** Calls `listener` whenever a release or Rollout of the service is registered (so it can stop emitting Deployments). */
export function onWorkloadsChanged(model: MeshModel, serviceHost: string, listener: () => void): void {
  const listeners = stateOf(model).listeners;
  listeners.set(serviceHost, [...(listeners.get(serviceHost) ?? []), listener]);
}

/**
 * True when the service emits its own Deployment for `version`. A Rollout
 * runs the released versions instead: it takes the canary version's pod
 * template at `CANARY`; at `STABLE` it references the stable version's
 * Deployment (`workloadRef`), which stays in Git so Argo CD does not prune
 * the running stable pods (Argo Rollouts scales it down as its own pods become ready).
 */
export function emitsDeployment(model: MeshModel, serviceHost: string, version: string): boolean {
  const rollout = rolloutOf(model, serviceHost);
  if (!rollout) return true;
  const release = releaseOf(model, serviceHost)!;
  if (version === release.canary) return false;
  if (version === release.stable) return rollout.revision === 'STABLE';
  return true;
}

/** A VirtualService whose routes' weights the Rollout moves. */
export interface RolloutVirtualServiceModel {
  /** How the Rollout refers to it (`<name>` in its namespace, `<name>.<namespace>` elsewhere). */
  readonly ref: string;
  readonly name: string;
  readonly namespace: string;
  /** Names of the managed routes. */
  readonly routes: readonly string[];
  /** Construct path of the construct that emits it (maps it to its chart). */
  readonly ownerPath: string;
}

/**
 * The VirtualServices a Rollout moves: the service's own (its `default`
 * route), then one per gateway route table carrying routes to the service
 * (any-host routes are also the fallback of the gateway's concrete hosts).
 */
export function rolloutVirtualServices(model: MeshModel, service: ServiceModel): RolloutVirtualServiceModel[] {
  const out: RolloutVirtualServiceModel[] = [{
    ref: service.name, name: service.name, namespace: service.namespace, ownerPath: service.path,
    routes: splitRoutePorts(service).length ? splitRoutePorts(service).map((p) => routeNameOnPort(DEFAULT_ROUTE, p)) : [DEFAULT_ROUTE],
  }];
  for (const gw of gatewaysOf(model)) {
    for (const table of gatewayRouteTables(gw)) {
      const routes = table.routes.filter((r) => r.serviceHost === service.host);
      if (routes.length === 0) continue;
      const name = gatewayRouteTableName(gw.name, table.host);
      out.push({
        ref: gw.namespace === service.namespace ? name : `${name}.${gw.namespace}`,
        name,
        namespace: gw.namespace,
        routes: routes.map((r) => managedGatewayRouteName(model, service.host, service.name, r.index) ?? `${service.name}-${r.index}`),
        ownerPath: gw.path,
      });
    }
  }
  return out;
}

/** Names of the routes Argo Rollouts inserts for header and mirror steps, in step order. */
export function rolloutManagedRoutes(rollout: RolloutModel): string[] {
  const names: string[] = [];
  for (const s of rollout.steps) {
    if ((s.kind === 'setHeaderRoute' || s.kind === 'setMirrorRoute') && !names.includes(s.name)) names.push(s.name);
  }
  return names;
}

/** Fields of emitted objects that Argo Rollouts writes at run time (the GitOps tool must not revert them). */
export function rolloutManagedFields(model: MeshModel, rollout: RolloutModel): ManagedFieldsModel[] {
  const service = model.findService(rollout.serviceHost);
  if (!service) return [];
  const manager = `Argo Rollouts (${rollout.path})`;
  const managedRoutes = rolloutManagedRoutes(rollout);
  const out: ManagedFieldsModel[] = rolloutVirtualServices(model, service).map((v) => ({
    ownerPath: v.ownerPath,
    group: 'networking.istio.io',
    kind: 'VirtualService',
    name: v.name,
    namespace: v.namespace,
    jqPathExpressions: [
      ...v.routes.map((route) => `.spec.http[] | select(.name == "${route}") | .route[].weight`),
      // routes Argo Rollouts inserts for header/mirror steps while a step is active
      ...managedRoutes.map((name) => `.spec.http[] | select(.name == "${name}")`),
    ],
    manager,
  }));
  const release = releaseOf(model, rollout.serviceHost);
  const stable = release ? workloadOf(model, rollout.serviceHost, release.stable) : undefined;
  if (rollout.revision === 'STABLE' && stable) {
    // workloadRef with scaleDown: progressively: Argo Rollouts scales the stable Deployment down
    out.push({
      ownerPath: stable.ownerPath,
      group: 'apps',
      kind: 'Deployment',
      name: stable.deploymentName,
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

/** ROLLOUT001 and ROLLOUT002, reported on the Rollout (registered by the rule catalog, analysis/rules/rollout-rules.ts). */
export function rolloutFindings(model: MeshModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const rollout of rolloutsOf(model)) {
    const service = model.findService(rollout.serviceHost);
    const release = releaseOf(model, rollout.serviceHost);
    if (!service || !release || release.path !== rollout.releasePath) continue;
    const diag = (code: string, msg: string) => out.push({ code, severity: 'error', path: rollout.path, message: msg });
    const others = service.versions.map((v) => v.name).filter((v) => v !== release.stable && v !== release.canary);
    if (others.length > 0) {
      diag(GitOpsRule.EXTRA_VERSIONS, propMessage('service', `must have only the released versions ${JSON.stringify(release.stable)} and ${JSON.stringify(release.canary)} while Argo Rollouts runs it (the Rollout selects every pod of app=${service.name})`,
        others, 'remove the other versions from the MeshService, or use the static driver'));
    }
    if (service.ports.every((p) => p.protocol === 'tcp')) {
      diag(GitOpsRule.MANAGED_ROUTE, propMessage('service', 'must have an HTTP port: Argo Rollouts moves the weights of HTTP routes', service.name, 'add an HTTP port, or use the static driver'));
      continue;
    }
    // the VirtualService ends with the default route unless the last route added matches every request
    const routes = findTraffic(model, service.host)?.routes ?? [];
    if (routes.length > 0 && isCatchAllRoute(routes[routes.length - 1])) {
      const names = [...(release.pinned.length ? ['canary-pinned'] : []), ...routes.map((r) => r.name)];
      diag(GitOpsRule.MANAGED_ROUTE, propMessage('service', `must keep the '${DEFAULT_ROUTE}' route Argo Rollouts manages in its VirtualService, but a catch-all route replaces it`,
        names, 'give the last route added with addRoute() a match so the default route stays last'));
    }
  }
  return out;
}

