import { WAYPOINT_NAME } from './ambient';
import { ControlPlaneModel, MeshHandle } from './control-plane';
import { DEFAULT_CONTROL_PLANE_NAMESPACE, DEFAULT_TRUST_DOMAIN, EdgeModel } from './core';
import { EgressLegModel, GatewayModel, GatewayServerModel, gatewayRouteTableName, gatewayRouteTables } from './gateways';
import { MeshModel } from './mesh-model';
import { resolveRollout, rolloutManagedFields } from './resolve-releases';
import { DEFAULT_ROUTING_API, resolveService, ServiceResolutionContext } from './resolve-services';
import { policyNamespace, principalOf } from './security';
import {
  ClusterSnapshot, GatewaySnapshot, MeshSnapshot, NamespaceSnapshot, RolloutSnapshot, ServiceSnapshot, WaypointSnapshot,
} from './snapshot';

/**
 * `resolve()`: the one step from the model (what the constructs declared)
 * to the immutable snapshot every renderer and rule reads. Pure: it reads
 * the model and returns new, deep-frozen data.
 */

/** Istio's default cluster id. */
const DEFAULT_CLUSTER_ID = 'Kubernetes';

/** The snapshot of `model`, computed once per model revision. */
export function snapshotOf(model: MeshModel): MeshSnapshot {
  return model.memo('snapshot', () => resolve(model));
}

/** The proxy inputs of the mesh's default control plane (the first declared; Istio's defaults without one). */
function meshHandle(model: MeshModel, trustDomainSource: ControlPlaneModel | undefined): MeshHandle {
  const cp = model.controlPlanes[0];
  const trustDomain = trustDomainSource?.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  if (!cp) {
    const namespace = DEFAULT_CONTROL_PLANE_NAMESPACE;
    return { namespace, rootNamespace: namespace, trustDomain, clusterDomain: model.clusterDomain };
  }
  return {
    path: cp.path,
    namespace: cp.namespace,
    rootNamespace: cp.rootNamespace,
    revision: cp.revision,
    trustDomain,
    clusterDomain: model.clusterDomain,
    hub: cp.hub,
    tag: cp.tag,
    istiodAddress: cp.istiodAddress,
  };
}

/** A Gateway server an egress leg needs: mutual TLS from the sidecars on 80, TLS passthrough by SNI on 443. */
function egressLegServer(leg: EgressLegModel): GatewayServerModel {
  return leg.kind === 'http'
    ? { port: 80, protocol: 'HTTPS', hosts: [leg.host], tlsMode: 'ISTIO_MUTUAL', httpsRedirect: false, path: leg.path, portName: `https-${leg.subset}` }
    : { port: 443, protocol: 'TLS', hosts: [leg.host], tlsMode: 'PASSTHROUGH', httpsRedirect: false, path: leg.path, portName: `tls-${leg.subset}` };
}

function resolveGateway(model: MeshModel, gateway: GatewayModel): GatewaySnapshot {
  const egressLegs = model.egressLegsOf(gateway.path);
  return {
    ...gateway,
    routingApi: model.routingApiOf(gateway.path) ?? DEFAULT_ROUTING_API,
    revision: gateway.controlPlane ? gateway.controlPlane.revision : model.controlPlanes[0]?.revision,
    egressLegs,
    servers: [...gateway.servers, ...egressLegs.map(egressLegServer)],
    routeTables: gatewayRouteTables(gateway).map((t) => ({ host: t.host, name: gatewayRouteTableName(gateway.name, t.host), routes: t.routes })),
  };
}

/** Every namespace of the app: declared ones, and those of services and gateways. */
function resolveNamespaces(model: MeshModel, services: readonly ServiceSnapshot[], gateways: readonly GatewaySnapshot[]): NamespaceSnapshot[] {
  const names = new Set<string>([...model.namespaces.map((n) => n.name), ...services.map((s) => s.namespace), ...gateways.map((g) => g.namespace)]);
  return [...names].sort().map((name) => {
    const declarations = model.namespaces.filter((n) => n.name === name);
    const dataPlane = model.namespaceDataPlaneOf(name);
    return {
      name,
      declaration: declarations[declarations.length - 1],
      path: dataPlane?.path,
      dataPlane: dataPlane?.mode ?? 'sidecar',
      waypointsAllowed: dataPlane?.waypoints ?? true,
    };
  });
}

/**
 * The waypoint of each ambient namespace whose services (or the external
 * services its ambient callers reach through a gateway or with TLS
 * originated) need L7, declared under the first construct that needs it.
 */
function resolveWaypoints(model: MeshModel, services: readonly ServiceSnapshot[], trustDomain: string): WaypointSnapshot[] {
  const owners = new Map<string, { ownerPath: string; externals: string[] }>();
  const need = (namespace: string, ownerPath: string) => {
    let w = owners.get(namespace);
    if (!w) owners.set(namespace, (w = { ownerPath, externals: [] }));
    return w;
  };
  for (const s of services) {
    for (const x of s.externalL7) {
      if (!(model.namespaceDataPlaneOf(x.namespace)?.waypoints ?? true)) continue;
      const w = need(x.namespace, x.path);
      if (!w.externals.includes(x.path)) w.externals.push(x.path);
    }
    if (s.waypoint) need(s.namespace, s.path);
  }
  const revision = model.controlPlanes.find((cp) => cp.dataPlane === 'ambient')?.revision;
  return [...owners.entries()].map(([namespace, w]) => ({
    namespace,
    name: WAYPOINT_NAME,
    ownerPath: w.ownerPath,
    revision,
    principal: principalOf(trustDomain, namespace, WAYPOINT_NAME),
    externalServicePaths: w.externals,
  }));
}

function resolveClusters(model: MeshModel): ClusterSnapshot[] {
  const name = model.controlPlanes[0]?.clusterId ?? DEFAULT_CLUSTER_ID;
  return [{ name, controlPlanePaths: model.controlPlanes.map((cp) => cp.path) }];
}

/** Edges with each end replaced by the current registration of its service. */
function resolveEdges(model: MeshModel): EdgeModel[] {
  return model.edges.map((e) => ({ ...e, from: model.findService(e.from.host) ?? e.from, to: model.findService(e.to.host) ?? e.to }));
}

function resolveServices(model: MeshModel, mesh: MeshHandle, gateways: readonly GatewayModel[]): ServiceSnapshot[] {
  const ctx: ServiceResolutionContext = { model, mesh, gateways };
  const outgoing = new Map<string, EdgeModel[]>();
  for (const e of model.edges) outgoing.set(e.from.host, [...(outgoing.get(e.from.host) ?? []), e]);
  return model.services.map((s) => resolveService(ctx, s, outgoing.get(s.host) ?? []));
}

/** Freezes `value` and everything reachable from it (plain objects and arrays). */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
  return value;
}

/** The snapshot of the whole mesh (see `MeshSnapshot`). */
export function resolve(model: MeshModel): MeshSnapshot {
  const trustDomainSource = model.controlPlanes.find((cp) => cp.trustDomain !== undefined);
  const mesh = meshHandle(model, trustDomainSource);
  const gateways = model.gateways.map((g) => resolveGateway(model, g));
  const services = resolveServices(model, mesh, gateways);
  const byHost = new Map(services.map((s) => [s.host, s]));
  const byIdentity = new Map<string, ServiceSnapshot>();
  for (const s of services) if (!byIdentity.has(`${s.namespace}/${s.serviceAccount}`)) byIdentity.set(`${s.namespace}/${s.serviceAccount}`, s);
  const namespaces = resolveNamespaces(model, services, gateways);
  const rollouts = model.rollouts.map((r) => resolveRollout(r, byHost.get(r.serviceHost), gateways))
    .filter((r): r is RolloutSnapshot => r !== undefined);
  const data = {
    clusterDomain: model.clusterDomain,
    mesh,
    clusters: resolveClusters(model),
    controlPlanes: [...model.controlPlanes],
    trustDomainSource,
    namespaces,
    services,
    edges: resolveEdges(model),
    gateways,
    externalServices: [...model.externalServices],
    waypoints: resolveWaypoints(model, services, mesh.trustDomain),
    rollouts,
    security: {
      peerAuthentications: model.peerAuthentications.map((pa) => ({ ...pa, resolvedNamespace: policyNamespace(mesh.rootNamespace, pa) })),
      clientTls: [...model.clientTls],
      identities: [...model.identities],
      identityReferences: [...model.identityReferences],
      jwtProviders: model.jwtProviders.map((p) => ({ ...p, resolvedNamespace: policyNamespace(mesh.rootNamespace, p) })),
      jwtRequirements: [...model.jwtRequirements],
      authorizationPolicies: [...model.authorizationPolicies],
      l7Authorization: [...model.l7Authorization],
    },
    observability: {
      providerReferences: [...model.providerReferences],
      telemetries: [...model.telemetries],
      alertGroups: [...model.alertGroups],
      ruleLoaders: [...model.ruleLoaders],
      prometheusQueries: [...model.prometheusQueries],
    },
    addons: [...model.addons],
    extensionProviders: [...model.extensionProviders],
    gitops: {
      argoCd: model.argoCd,
      managedFields: rollouts.flatMap((r) => rolloutManagedFields(r, byHost.get(r.serviceHost)!)),
    },
    hygiene: { images: [...model.images], replacements: [...model.replacements] },
    promotedWarnings: [...model.promotedWarnings],
  };
  const namespacesByName = new Map(namespaces.map((n) => [n.name, n]));
  const gatewaysByPath = new Map(gateways.map((g) => [g.path, g]));
  return deepFreeze<MeshSnapshot>({
    ...data,
    service: (host) => byHost.get(host),
    serviceWithIdentity: (namespace, serviceAccount) => byIdentity.get(`${namespace}/${serviceAccount}`),
    gateway: (path) => gatewaysByPath.get(path),
    namespace: (name) => namespacesByName.get(name),
  });
}
