import { MeshModel } from './mesh-model';
import { releaseOf } from './traffic';

/**
 * GitOps intent of the mesh: fields of emitted objects that a controller
 * other than the GitOps tool owns at run time (so the GitOps tool must not
 * diff or revert them). Plain data; the Argo CD renderer turns each entry into
 * an `ignoreDifferences` item of the Application that carries the object.
 */

/** One object field set owned by a run-time controller. */
export interface ManagedFieldsModel {
  /** Construct path of the construct that emits the object (maps the entry to its chart). */
  readonly ownerPath: string;
  /** API group of the object (`''` for the core group). */
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  /** jq path expressions of the managed fields (deleted before diffing). */
  readonly jqPathExpressions: readonly string[];
  /** Who manages them (for documentation and messages), e.g. `Argo Rollouts (test/orders-canary)`. */
  readonly manager: string;
}

interface GitOpsState {
  /** Producers of managed fields, asked at synth (routes may be added after the producer). */
  readonly managedFields: (() => ManagedFieldsModel[])[];
}

const STATES = new WeakMap<MeshModel, GitOpsState>();

/** GitOps state of the App a model belongs to (created on first use). */
export function gitopsOf(model: MeshModel): GitOpsState {
  let state = STATES.get(model);
  if (!state) {
    state = { managedFields: [] };
    STATES.set(model, state);
  }
  return state;
}

/** Records a producer of fields that a controller owns at run time (evaluated at synth). */
export function addManagedFields(model: MeshModel, producer: () => ManagedFieldsModel[]): void {
  gitopsOf(model).managedFields.push(producer);
  model.touch();
}

/** Every field set owned by a run-time controller, in registration order. */
export function managedFieldsOf(model: MeshModel): ManagedFieldsModel[] {
  return gitopsOf(model).managedFields.flatMap((p) => p());
}

/** Rule codes of GitOps and progressive delivery. */
export const GitOpsRule = {
  /** The route Argo Rollouts manages is missing from the VirtualService. */
  MANAGED_ROUTE: 'ROLLOUT001',
  /** A rollout-managed service has versions other than stable and canary. */
  EXTRA_VERSIONS: 'ROLLOUT002',
  /** The analysis has no Prometheus to query. */
  PROMETHEUS: 'ROLLOUT003',
  /** An API object was added after `GitOps.argoCd()` walked the App. */
  LATE_OBJECT: 'GITOPS001',
} as const;

/**
 * Name of a gateway route to a service whose split a controller owns (Argo
 * Rollouts needs named routes to find them), or undefined for every other
 * service (their gateway routes stay unnamed).
 */
export function managedGatewayRouteName(model: MeshModel, serviceHost: string, serviceName: string, routeIndex: number): string | undefined {
  return releaseOf(model, serviceHost)?.managedSubsets ? `${serviceName}-${routeIndex}` : undefined;
}
