import { ExternalServiceModel, externalServicesOf } from './gateways';
import { Diagnostic, MeshModel, ServiceModel } from './mesh-model';
import { gatewayApiVersionServicesOf } from './routing';
import { findTraffic } from './traffic';
import { propMessage } from '../private/errors';

/**
 * The data plane of each namespace and service (sidecar or ambient), and what
 * in a service's declared intent needs L7 processing, as plain data.
 *
 * In ambient mode the node's ztunnel carries a pod's traffic and enforces L4
 * authorization only (source identities, namespaces, ports). Everything L7 —
 * HTTP routes, version subsets, retries, timeouts, traffic policies, L7
 * authorization (methods, paths, tokens) — runs in a waypoint proxy, which
 * the service must be attached to (`istio.io/use-waypoint`). Renderers and the
 * analysis read this state; per-App state lives beside the `MeshModel` (a
 * WeakMap), as the security model does.
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

export interface ServiceDataPlaneModel {
  readonly path: string;
  readonly host: string;
  readonly namespace: string;
  readonly mode: DataPlaneName;
  /** True when the service chose its mode itself (not inherited from its namespace). */
  readonly explicit: boolean;
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

interface AmbientState {
  readonly namespaces: Map<string, NamespaceDataPlaneModel>;
  readonly services: Map<string, ServiceDataPlaneModel>;
  readonly l7Authorization: L7AuthorizationModel[];
  /** Idempotent steps that add what depends on the whole app's intent (waypoints, their labels). */
  readonly finalizers: (() => void)[];
  /** Hosts of services with authorization (an AuthorizationPolicy of their own). */
  readonly authorized: Set<string>;
}

const STATES = new WeakMap<MeshModel, AmbientState>();

function stateOf(model: MeshModel): AmbientState {
  let state = STATES.get(model);
  if (!state) {
    state = { namespaces: new Map(), services: new Map(), l7Authorization: [], finalizers: [], authorized: new Set() };
    STATES.set(model, state);
  }
  return state;
}

/** Rule codes of the ambient analysis. */
export const AMBIENT_RULES = {
  /** An ambient service's intent needs L7, but its namespace declares no waypoint. */
  L7_WITHOUT_WAYPOINT: 'AMB001',
  /** Ambient workloads, but the app's control planes do not install the ambient data plane. */
  NO_AMBIENT_CONTROL_PLANE: 'AMB002',
  /** A service inherited the sidecar mode because its ambient MeshNamespace was declared after it. */
  NAMESPACE_DECLARED_LATE: 'AMB003',
  /** A sidecar caller of an ambient service whose pods accept its waypoint only. */
  SIDECAR_CALLER_BYPASSES_WAYPOINT: 'AMB004',
};

/** Records that a service has authorization of its own (its pods then accept the waypoint only, when it has one). */
export function markAuthorized(model: MeshModel, host: string): void {
  stateOf(model).authorized.add(host);
  model.touch();
}

/** True when the ambient service's pods accept connections from its waypoint only. */
export function waypointOnly(model: MeshModel, service: ServiceModel): boolean {
  return waypointOf(model, service) !== undefined && (STATES.get(model)?.authorized.has(service.host) ?? false);
}

export function setNamespaceDataPlane(model: MeshModel, ns: NamespaceDataPlaneModel): void {
  stateOf(model).namespaces.set(ns.namespace, ns);
  model.touch();
}

/** The data plane a MeshNamespace declared for `namespace`, if any. */
export function namespaceDataPlaneOf(model: MeshModel, namespace: string): NamespaceDataPlaneModel | undefined {
  return STATES.get(model)?.namespaces.get(namespace);
}

export function setServiceDataPlane(model: MeshModel, service: ServiceDataPlaneModel): void {
  stateOf(model).services.set(service.host, service);
  model.touch();
}

/** The data plane of a service host (sidecar unless registered as ambient). */
export function dataPlaneOf(model: MeshModel, host: string): DataPlaneName {
  return STATES.get(model)?.services.get(host)?.mode ?? 'sidecar';
}

export function isAmbient(model: MeshModel, host: string): boolean {
  return dataPlaneOf(model, host) === 'ambient';
}

/** True when any namespace or service of the app is ambient. */
export function hasAmbient(model: MeshModel): boolean {
  const s = STATES.get(model);
  if (!s) return false;
  return [...s.services.values()].some((x) => x.mode === 'ambient') || [...s.namespaces.values()].some((x) => x.mode === 'ambient');
}

/**
 * Registers an idempotent step that adds the objects and labels that depend on
 * the whole app's intent (an ambient service's waypoint). Run by
 * `finalizeAmbient`: when cdk8s validates the app (before any object is
 * rendered), and by anything that walks the app's objects earlier (GitOps).
 */
export function addAmbientFinalizer(model: MeshModel, fn: () => void): void {
  stateOf(model).finalizers.push(fn);
}

/** Runs every registered ambient finalizer (idempotent). */
export function finalizeAmbient(model: MeshModel): void {
  for (const fn of STATES.get(model)?.finalizers ?? []) fn();
}

export function addL7Authorization(model: MeshModel, rule: L7AuthorizationModel): void {
  stateOf(model).l7Authorization.push(rule);
  model.touch();
}

/**
 * Everything in a service's declared intent that needs L7 processing: HTTP
 * routes (matches, timeouts, retries, faults, mirrors, header edits), a
 * release's split or pinning, routing to one version of several (subsets),
 * traffic policies (load balancing, connection pools, outlier detection are
 * applied by the proxy in front of the service) and L7 authorization.
 */
export function l7NeedsOf(model: MeshModel, service: ServiceModel): L7NeedModel[] {
  const out: L7NeedModel[] = [];
  const traffic = findTraffic(model, service.host);
  for (const r of traffic?.routes ?? []) {
    out.push({ path: r.path, prop: 'addRoute', value: r.name, what: `HTTP route "${r.name}"` });
  }
  for (const r of traffic?.releases ?? []) {
    out.push({ path: r.path, prop: 'service', value: service.name, what: `${r.kind} release of ${r.canary}` });
  }
  if (traffic?.policy && Object.keys(traffic.policy).length > 0) {
    out.push({ path: service.path, prop: 'configureTrafficPolicy', value: Object.keys(traffic.policy), what: 'traffic policy' });
  }
  for (const [version, v] of traffic?.versionPolicies ?? []) {
    out.push({ path: v.path, prop: 'configureVersionTrafficPolicy', value: version, what: `traffic policy of version ${version}` });
  }
  if (service.versions.length > 1 && !(traffic?.releases.length)) {
    out.push({ path: service.path, prop: 'versions', value: service.versions.map((v) => v.name), what: `routing to version ${service.stableVersion} of ${service.versions.length}` });
  }
  for (const a of STATES.get(model)?.l7Authorization ?? []) {
    if (a.host === service.host) out.push({ path: a.path, prop: a.prop, value: a.value, what: 'L7 authorization' });
  }
  return out;
}

/**
 * External services an ambient service calls whose traffic the mesh must handle at L7: routed
 * through an egress gateway (a VirtualService) or with TLS originated (a DestinationRule).
 * ztunnel would send such calls straight out; a waypoint attached to the ServiceEntry applies them.
 */
export function externalL7Of(model: MeshModel, service: ServiceModel): ExternalServiceModel[] {
  if (!isAmbient(model, service.host)) return [];
  const entries = new Set(model.extraEgressHosts(service.host));
  return externalServicesOf(model).filter((x) => (x.egressGatewayPath !== undefined || x.originatesTls)
    && x.hosts.some((h) => entries.has(`${x.namespace}/${h}`)));
}

/** Waypoints are allowed in the service's namespace (unless its MeshNamespace says `waypoints: false`). */
export function waypointsAllowed(model: MeshModel, namespace: string): boolean {
  return namespaceDataPlaneOf(model, namespace)?.waypoints ?? true;
}

/** The waypoint an ambient service uses, or undefined (sidecar service, L4-only intent, or waypoints disallowed). */
export function waypointOf(model: MeshModel, service: ServiceModel): string | undefined {
  if (!isAmbient(model, service.host)) return undefined;
  if (!waypointsAllowed(model, service.namespace)) return undefined;
  return l7NeedsOf(model, service).length > 0 ? WAYPOINT_NAME : undefined;
}

/**
 * The Services attached to an ambient service's waypoint, whose policies the waypoint
 * enforces (`targetRefs`): the service's own Service and, when it is routed with the Gateway
 * API, its per-version Services (an HTTPRoute's backends, which clients and ingress routes
 * can also address directly). Empty without a waypoint.
 */
export function waypointServicesOf(model: MeshModel, service: ServiceModel): string[] {
  if (!waypointOf(model, service)) return [];
  return [service.name, ...gatewayApiVersionServicesOf(model, service).map((v) => v.name)];
}

/**
 * The `reporter` of a service's server-side Istio request metrics: the
 * sidecar reports them as `destination`; in ambient mode only the waypoint
 * sees requests and reports them as `waypoint` (ztunnel reports TCP metrics only).
 */
export function requestMetricsReporterOf(model: MeshModel, host: string): 'destination' | 'waypoint' {
  return isAmbient(model, host) ? 'waypoint' : 'destination';
}

/** Registers the ambient rules (AMB001-AMB004); called by the rule catalog for every app. */
export function registerAmbientRules(model: MeshModel): void {
  model.addRule(AMBIENT_RULES.L7_WITHOUT_WAYPOINT, (m) => {
    const out: Diagnostic[] = [];
    for (const svc of m.services) {
      if (!isAmbient(m, svc.host) || waypointsAllowed(m, svc.namespace)) continue;
      const ns = namespaceDataPlaneOf(m, svc.namespace);
      for (const need of l7NeedsOf(m, svc)) {
        out.push({
          code: AMBIENT_RULES.L7_WITHOUT_WAYPOINT,
          severity: 'error',
          path: need.path,
          message: propMessage(need.prop, `declares L7 intent (${need.what}) on ambient service ${svc.name}, which ztunnel cannot enforce (it sees L4 only: identities, namespaces, ports), `
            + `and namespace ${svc.namespace} declares no waypoint (${ns?.path ?? 'its MeshNamespace'} has waypoints: false)`, need.value,
          'set waypoints: true on the MeshNamespace so cdk8s-mesh declares one, run the service with sidecars (dataPlaneMode: DataPlaneMode.SIDECAR), or drop the L7 condition'),
        });
      }
    }
    // ambient callers of external services routed through an egress gateway or with TLS originated
    const reported = new Set<string>();
    for (const svc of m.services) {
      for (const x of externalL7Of(m, svc)) {
        if (waypointsAllowed(m, x.namespace) || reported.has(x.path)) continue;
        reported.add(x.path);
        const prop = x.egressGatewayPath !== undefined ? 'egressGateway' : 'tlsOrigination';
        out.push({
          code: AMBIENT_RULES.L7_WITHOUT_WAYPOINT,
          severity: 'error',
          path: x.path,
          message: propMessage(prop, `needs a waypoint for ambient caller ${svc.name} (ztunnel would send its calls straight out, skipping the ${x.egressGatewayPath !== undefined ? 'egress gateway' : 'TLS origination'}), `
            + `and namespace ${x.namespace} declares no waypoint (waypoints: false)`, x.egressGatewayPath ?? true,
          `set waypoints: true on the MeshNamespace ${x.namespace}, declare the ExternalService in a namespace with waypoints, or run ${svc.name} with sidecars`),
        });
      }
    }
    return out;
  });
  model.addRule(AMBIENT_RULES.NO_AMBIENT_CONTROL_PLANE, (m) => {
    if (m.controlPlanes.length === 0 || m.controlPlanes.some((cp) => cp.ambient)) return [];
    const s = STATES.get(m);
    const first = [...(s?.namespaces.values() ?? []), ...(s?.services.values() ?? [])].filter((x) => x.mode === 'ambient');
    return first.map((x) => ({
      code: AMBIENT_RULES.NO_AMBIENT_CONTROL_PLANE,
      severity: 'error' as const,
      path: x.path,
      message: propMessage('dataPlaneMode', `is AMBIENT, but no control plane of the app installs the ambient data plane (${m.controlPlanes.map((cp) => cp.path).join(', ')}), `
        + 'so no ztunnel would carry the traffic of these pods and they would run without mTLS or policy', 'AMBIENT',
      'set dataPlane: DataPlaneMode.AMBIENT on the IstioControlPlane, or leave dataPlaneMode at SIDECAR'),
    }));
  });
  model.addRule(AMBIENT_RULES.SIDECAR_CALLER_BYPASSES_WAYPOINT, (m) => {
    const out: Diagnostic[] = [];
    const seen = new Set<string>();
    for (const e of m.edges) {
      const from = m.findService(e.from.host) ?? e.from;
      const to = m.findService(e.to.host) ?? e.to;
      if (isAmbient(m, from.host) || !waypointOnly(m, to) || seen.has(`${from.host}|${to.host}`)) continue;
      seen.add(`${from.host}|${to.host}`);
      out.push({
        code: AMBIENT_RULES.SIDECAR_CALLER_BYPASSES_WAYPOINT,
        severity: 'error',
        path: from.path,
        message: propMessage(e.reason, `names ambient service ${to.name}, whose authorization its waypoint enforces, so its pods accept connections from the waypoint only; `
          + `${from.name} runs a sidecar, and Istio 1.30 sidecars call ambient pods directly (not through their waypoint): every call would be rejected`, to.name,
        `run ${from.name} in ambient mode too (dataPlaneMode: DataPlaneMode.AMBIENT), or ${to.name} with sidecars`),
      });
    }
    return out;
  });
  model.addRule(AMBIENT_RULES.NAMESPACE_DECLARED_LATE, (m) => {
    const s = STATES.get(m);
    const out: Diagnostic[] = [];
    for (const svc of s?.services.values() ?? []) {
      const ns = s?.namespaces.get(svc.namespace);
      if (!ns || svc.explicit || ns.mode === svc.mode) continue;
      out.push({
        code: AMBIENT_RULES.NAMESPACE_DECLARED_LATE,
        severity: 'error',
        path: svc.path,
        message: propMessage('dataPlaneMode', `was taken as ${svc.mode.toUpperCase()} because ${ns.path} (${ns.mode.toUpperCase()}) is declared after this service`, svc.mode.toUpperCase(),
          `declare the MeshNamespace ${svc.namespace} before its services, or set dataPlaneMode on the service`),
      });
    }
    return out;
  });
}
