import { EdgeModel } from '../model/core';
import { GatewayRouteModel } from '../model/gateways';
import { MeshSnapshot, ServiceSnapshot } from '../model/snapshot';

/**
 * The resolved intent of a mesh, machine-readable: what the app's constructs
 * declared (services, versions, who calls whom, routes and releases, traffic
 * policies, mTLS, authorization, tokens, gateways, external services, data
 * planes), rendered from the mesh snapshot, never from the rendered objects.
 * `MeshApp` writes it beside the manifests (`mesh-intent.jsonc`), so any
 * output folder can be judged against what was declared: the conformance
 * suite's behaviour stage derives requests and their expected outcomes from
 * it and sends them through the Envoy configuration istiod generates.
 *
 * The document is plain JSON (the `.jsonc` extension keeps `kubectl apply -f
 * dist/` and Argo CD directory sources, which read `*.json`, `*.yaml` and
 * `*.yml`, from taking it for a manifest). Its shape is versioned by
 * `version`; fields are only added within a version.
 */

/** The version of the intent document's shape. */
export const MESH_INTENT_VERSION = 1;

/** The `kind` of the intent document. */
export const MESH_INTENT_KIND = 'MeshIntent';

/** The intent document (a JSON object; see `renderMeshIntent`). */
export type MeshIntentDocument = Record<string, unknown>;

/** The intent of the mesh of `snapshot`, as one JSON document with sorted, deterministic content. */
export function renderMeshIntent(snapshot: MeshSnapshot): MeshIntentDocument {
  const { security } = snapshot;
  return {
    kind: MESH_INTENT_KIND,
    version: MESH_INTENT_VERSION,
    mesh: {
      trustDomain: snapshot.mesh.trustDomain,
      clusterDomain: snapshot.clusterDomain,
      rootNamespace: snapshot.mesh.rootNamespace,
      controlPlaneNamespace: snapshot.mesh.namespace,
      // undefined when the app installs no control plane (the cluster's istiod decides)
      outboundTrafficPolicy: snapshot.controlPlanes[0]?.outboundTrafficPolicy,
      ambient: snapshot.controlPlanes.some((c) => c.dataPlane === 'ambient'),
    },
    namespaces: namespacesOf(snapshot),
    services: sorted(snapshot.services, (s) => s.host).map((s) => serviceIntent(snapshot, s)),
    identities: sorted(security.identities, (i) => i.path).map((i) => ({ path: i.path, namespace: i.namespace, serviceAccount: i.serviceAccount })),
    peerAuthentications: sorted(security.peerAuthentications, (pa) => pa.path)
      .map(({ resolvedNamespace, ...pa }) => ({ ...pa, namespace: resolvedNamespace })),
    authorizationPolicies: sorted(security.authorizationPolicies, (p) => p.path).map(({ serviceHost: _, ...p }) => p),
    jwtProviders: sorted(security.jwtProviders, (p) => p.path)
      .map(({ resolvedNamespace, serviceHost: _, ...p }) => ({ ...p, namespace: resolvedNamespace })),
    jwtRequirements: sorted(security.jwtRequirements, (r) => `${r.path}|${r.serviceHost}`),
    gateways: sorted(snapshot.gateways, (g) => g.path).map((g) => ({
      path: g.path,
      direction: g.direction,
      name: g.name,
      namespace: g.namespace,
      selector: g.selector,
      serviceHost: g.serviceHost,
      servers: g.servers,
      routes: g.routes.map(declaredRoute),
      attached: g.attached,
      egressLegs: g.egressLegs.length > 0 ? g.egressLegs : undefined,
    })),
    externalServices: sorted(snapshot.externalServices, (x) => x.path),
    prometheus: sorted(snapshot.addons.filter((a) => a.kind === 'prometheus'), (p) => p.path)
      .map((p) => ({ path: p.path, url: p.url, namespace: p.namespace, serviceAccount: p.workload.name })),
  };
}

/** The document as `MeshApp` writes it: two-space indented JSON and a final newline. */
export function meshIntentText(snapshot: MeshSnapshot): string {
  return `${JSON.stringify(renderMeshIntent(snapshot), undefined, 2)}\n`;
}

/**
 * `items` ordered by `key`: the document does not depend on the order constructs were
 * declared in (only orders that mean something are kept: a service's routes, a policy's rules).
 */
function sorted<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** A gateway route as declared (the port it resolves to is the gateway renderer's). */
function declaredRoute({ resolvedPort: _, ...route }: GatewayRouteModel): Omit<GatewayRouteModel, 'resolvedPort'> {
  return route;
}

/** The namespaces that hold a service or are declared by a `MeshNamespace`. */
function namespacesOf(snapshot: MeshSnapshot): Record<string, unknown>[] {
  const withServices = new Set(snapshot.services.map((s) => s.namespace));
  return snapshot.namespaces.filter((n) => n.declaration !== undefined || withServices.has(n.name)).map((n) => ({
    name: n.name,
    declared: n.declaration !== undefined,
    injection: n.declaration?.injection,
    revision: n.declaration?.revision,
    // only a namespace that chooses a data plane states one (its services may choose their own)
    dataPlane: n.path !== undefined ? n.dataPlane : undefined,
    waypoints: n.path !== undefined ? n.waypointsAllowed : undefined,
  }));
}

function serviceIntent(snapshot: MeshSnapshot, s: ServiceSnapshot): Record<string, unknown> {
  const versionPolicies: Record<string, unknown> = {};
  for (const v of sorted(s.traffic.versionPolicies, (p) => p.version)) versionPolicies[v.version] = v.policy;
  return {
    path: s.path,
    name: s.name,
    namespace: s.namespace,
    host: s.host,
    serviceAccount: s.serviceAccount,
    selector: s.selector,
    ports: s.ports,
    versions: s.versions,
    stableVersion: s.stableVersion,
    egressScoped: s.egressScoped,
    metrics: s.metrics,
    dataPlane: s.dataPlane,
    routingApi: s.routingApi,
    versionServices: s.versionServices,
    waypoint: s.waypoint,
    waypointServices: s.waypointServices,
    waypointOnly: s.waypointOnly,
    // who it calls: `dependsOn` and the callers `allowFrom` admits
    calls: sorted(snapshot.edges.filter((e: EdgeModel) => e.from.host === s.host), (e) => `${e.to.host}|${e.reason}`)
      .map((e) => ({ host: e.to.host, reason: e.reason })),
    // `<namespace>/<host>` of the external services it calls
    externalHosts: [...s.externalDependencies].sort(),
    clientTls: s.clientTls,
    routes: s.traffic.routes,
    releases: s.traffic.releases,
    trafficPolicy: s.traffic.policy,
    versionPolicies,
  };
}
