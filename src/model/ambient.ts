/**
 * The data plane of each namespace and service (sidecar or ambient), and what
 * in a service's declared intent needs L7 processing, as plain data.
 *
 * In ambient mode the node's ztunnel carries a pod's traffic and enforces L4
 * authorization only (source identities, namespaces, ports). Everything L7 —
 * HTTP routes, version subsets, retries, timeouts, traffic policies, L7
 * authorization (methods, paths, tokens) — runs in a waypoint proxy, which
 * the service must be attached to (`istio.io/use-waypoint`).
 */

export type DataPlaneName = 'sidecar' | 'ambient';

/** Name of the namespace waypoint (a Gateway of class `istio-waypoint`) cdk8s-mesh declares. */
export const WAYPOINT_NAME = 'waypoint';

export interface NamespaceDataPlaneModel {
  readonly path: string;
  readonly namespace: string;
  readonly mode: DataPlaneName;
  /** False when the namespace forbids cdk8s-mesh to declare a waypoint in it. */
  readonly waypoints: boolean;
}

/** How a service asks to join the mesh (`MeshService` props); its mode is resolved in the snapshot. */
export interface ServiceDataPlaneModel {
  readonly path: string;
  readonly host: string;
  readonly namespace: string;
  /** The service's explicit mode; undefined: its namespace's mode, else sidecar. */
  readonly mode?: DataPlaneName;
  /** Revision of the control plane whose sidecar the pods get (`istio.io/rev`), if any. */
  readonly revision?: string;
  /** The `egressScoping` prop as given (undefined: on for sidecar services). */
  readonly egressScoping?: boolean;
}

/** An authorization rule of a service that only a proxy seeing HTTP can enforce. */
export interface L7AuthorizationModel {
  /** Construct path of the service's authorization. */
  readonly path: string;
  readonly host: string;
  /** The prop that carries the L7 condition, e.g. `allowFrom.options.methods`. */
  readonly prop: string;
  readonly value: unknown;
}

/** One reason a service needs L7 processing (a waypoint in ambient mode). */
export interface L7NeedModel {
  /** Construct path of the intent (route, release, authorization, service). */
  readonly path: string;
  /** The prop or method that declared it, e.g. `addRoute`. */
  readonly prop: string;
  readonly value: unknown;
  /** Short reason for humans, e.g. `HTTP route "api"`. */
  readonly what: string;
}
