import { DataPlaneName, L7NeedModel, WAYPOINT_NAME } from './ambient';
import { MeshHandle } from './control-plane';
import { EdgeModel, selects, ServiceModel, VersionModel } from './core';
import { ExternalServiceModel, GatewayModel } from './gateways';
import { MeshModel } from './mesh-model';
import { ContainerSecurityModel, containerPodSecurity } from './pod-security';
import { versionServiceName } from './routing';
import { EffectiveMtls, PeerAuthenticationModel, policyNamespace, principalOf } from './security';
import { ServiceSnapshot, WorkloadSnapshot } from './snapshot';
import { defaultMirrorOf, defaultVersionsOf } from './traffic';

/**
 * Resolution of each mesh service: its data plane, pod labels, routing API,
 * release, mTLS posture, waypoint and egress scope, from the whole model.
 */

/** The routing API a service or gateway is rendered with when none was recorded. */
export const DEFAULT_ROUTING_API = 'istio';

/** The application container of a service that declares no security settings. */
const DEFAULT_CONTAINER_SECURITY: ContainerSecurityModel = { runAsNonRoot: true, allowPrivilegeEscalation: false, addCapabilities: [] };

/** What a service's resolution reads besides the model. */
export interface ServiceResolutionContext {
  readonly model: MeshModel;
  readonly mesh: MeshHandle;
  readonly gateways: readonly GatewayModel[];
}

/**
 * The labels of a version's pods: the ones the service declares, plus how
 * the pods join the mesh (ambient: never injected, captured by ztunnel;
 * sidecar: injected, by a revisioned control plane when bound to one).
 */
function podLabelsOf(version: VersionModel, dataPlane: DataPlaneName, revision: string | undefined): Record<string, string> {
  return {
    ...version.podLabels,
    ...(dataPlane === 'ambient'
      ? { 'sidecar.istio.io/inject': 'false', 'istio.io/dataplane-mode': 'ambient' }
      : { 'sidecar.istio.io/inject': 'true', ...(revision ? { 'istio.io/rev': revision } : {}) }),
  };
}

/**
 * The mTLS mode a service's workloads accept, following Istio's precedence:
 * workload selector, then namespace, then mesh root namespace; PERMISSIVE
 * when no policy applies.
 */
function effectiveMtls(all: readonly PeerAuthenticationModel[], rootNamespace: string, service: ServiceModel): EffectiveMtls {
  const podLabels = service.versions.length > 0 ? service.versions.map((v) => v.podLabels) : [service.selector];
  const workload = all.find((pa) => pa.scope === 'workload' && pa.namespace === service.namespace
    && podLabels.every((labels) => selects(pa.selector, labels)));
  if (workload) return { mode: workload.mode, source: workload };
  const ns = all.find((pa) => pa.scope !== 'workload' && policyNamespace(rootNamespace, pa) === service.namespace);
  if (ns) return { mode: ns.mode, source: ns };
  const mesh = all.find((pa) => pa.scope !== 'workload' && policyNamespace(rootNamespace, pa) === rootNamespace);
  if (mesh) return { mode: mesh.mode, source: mesh };
  return { mode: 'PERMISSIVE' };
}

/**
 * Everything in a service's declared intent that needs L7 processing: HTTP
 * routes, a release's split or pinning, routing to one version of several
 * (subsets), traffic policies (applied by the proxy in front of the service)
 * and L7 authorization.
 */
function l7NeedsOf(model: MeshModel, service: ServiceModel): L7NeedModel[] {
  const out: L7NeedModel[] = [];
  const traffic = model.trafficOf(service.host);
  for (const r of traffic.routes) out.push({ path: r.path, prop: 'addRoute', value: r.name, what: `HTTP route "${r.name}"` });
  for (const r of traffic.releases) out.push({ path: r.path, prop: 'service', value: service.name, what: `${r.kind} release of ${r.canary}` });
  if (traffic.policy && Object.keys(traffic.policy).length > 0) {
    out.push({ path: service.path, prop: 'configureTrafficPolicy', value: Object.keys(traffic.policy), what: 'traffic policy' });
  }
  for (const v of traffic.versionPolicies) {
    out.push({ path: v.path, prop: 'configureVersionTrafficPolicy', value: v.version, what: `traffic policy of version ${v.version}` });
  }
  if (service.versions.length > 1 && traffic.releases.length === 0) {
    out.push({ path: service.path, prop: 'versions', value: service.versions.map((v) => v.name), what: `routing to version ${service.stableVersion} of ${service.versions.length}` });
  }
  for (const a of model.l7Authorization) {
    if (a.host === service.host) out.push({ path: a.path, prop: a.prop, value: a.value, what: 'L7 authorization' });
  }
  return out;
}

/**
 * The `<namespace>/<fqdn>` hosts a service depends on (sorted): every
 * service it calls, the external services it depends on, and the egress
 * gateway those are routed through (the mesh-side route of such a host
 * points at the gateway's Service, which must be visible too).
 */
function dependencyHostsOf(ctx: ServiceResolutionContext, service: ServiceModel, edges: readonly EdgeModel[]): string[] {
  const hosts = new Set<string>();
  for (const e of edges) {
    if (e.from.host !== service.host) continue;
    const callee = ctx.model.findService(e.to.host) ?? e.to;
    hosts.add(`${callee.namespace}/${callee.host}`);
  }
  for (const entry of ctx.model.egressHostsOf(service.host)) {
    hosts.add(entry);
    const external = ctx.model.externalServices.find((x) => x.hosts.some((h) => entry === `${x.namespace}/${h}`));
    const gateway = external?.egressGatewayPath ? ctx.gateways.find((g) => g.path === external.egressGatewayPath) : undefined;
    if (gateway) hosts.add(`${gateway.namespace}/${gateway.serviceHost}`);
  }
  return [...hosts].sort();
}

/** A Sidecar's egress hosts: the dependencies, then the control plane namespace (which admits all its hosts). */
function egressHostsOf(controlPlaneNamespace: string, dependencies: readonly string[]): string[] {
  // `<ns>/*` already admits every host of the control-plane namespace; Istio's validation
  // warns about a host listed again beside it ("duplicated egress host")
  const hosts = dependencies.filter((h) => h.split('/')[0] !== controlPlaneNamespace);
  return [...hosts, `${controlPlaneNamespace}/*`];
}

/** External services an ambient service calls whose traffic needs L7 (egress gateway, TLS origination). */
function externalL7Of(model: MeshModel, service: ServiceModel): ExternalServiceModel[] {
  const entries = new Set(model.egressHostsOf(service.host));
  return model.externalServices.filter((x) => (x.egressGatewayPath !== undefined || x.originatesTls)
    && x.hosts.some((h) => entries.has(`${x.namespace}/${h}`)));
}

/**
 * True when the service emits its own Deployment for `version`. A Rollout
 * runs the released versions instead: it takes the canary version's pod
 * template at `CANARY`; at `STABLE` it references the stable version's
 * Deployment (`workloadRef`), which stays in Git so Argo CD does not prune
 * the running stable pods.
 */
function emitsDeployment(service: Pick<ServiceSnapshot, 'release' | 'rollout'>, version: string): boolean {
  const { release, rollout } = service;
  if (!rollout || !release) return true;
  if (version === release.canary) return false;
  if (version === release.stable) return rollout.revision === 'STABLE';
  return true;
}

/** The data plane of a service: its own choice, else its namespace's, else sidecar. */
export function dataPlaneOf(model: MeshModel, host: string, namespace: string): { mode: DataPlaneName; explicit: boolean } {
  const own = model.serviceDataPlaneOf(host)?.mode;
  if (own) return { mode: own, explicit: true };
  return { mode: model.namespaceDataPlaneOf(namespace)?.mode ?? 'sidecar', explicit: false };
}

/** True when an ALLOW policy (Istio's deny-by-default) applies to the service's pods. */
function underAllowPolicy(model: MeshModel, rootNamespace: string, service: ServiceModel): boolean {
  return model.authorizationPolicies.some((p) => (p.action === undefined || p.action === 'ALLOW')
    && (p.namespace === service.namespace || (p.namespace === rootNamespace && !p.selector))
    && (!p.selector || Object.entries(p.selector).every(([k, v]) => service.selector[k] === v)));
}

/**
 * The app's Prometheus servers scrape an ambient pod's own metrics endpoint as ambient
 * workloads themselves (`PrometheusAddon` joins an ambient mesh); when an ALLOW policy
 * applies to the pods, their principals are admitted on the metrics port.
 */
function scrapePrincipalsOf(ctx: ServiceResolutionContext, service: ServiceModel, ambient: boolean, waypointOnly: boolean): string[] {
  const prometheus = ctx.model.addons.filter((a) => a.kind === 'prometheus');
  if (!ambient || !service.metrics || prometheus.length === 0) return [];
  if (!waypointOnly && !underAllowPolicy(ctx.model, ctx.mesh.rootNamespace, service)) return [];
  return prometheus.map((p) => principalOf(ctx.mesh.trustDomain, p.namespace, p.workload.name));
}

/** Resolves one service (its edges are resolved by the caller). */
export function resolveService(ctx: ServiceResolutionContext, declared: ServiceModel, edges: readonly EdgeModel[]): ServiceSnapshot {
  const { model, mesh } = ctx;
  const own = model.serviceDataPlaneOf(declared.host);
  const dataPlane = dataPlaneOf(model, declared.host, declared.namespace);
  const ambient = dataPlane.mode === 'ambient';
  const revision = ambient ? undefined : own?.revision;
  const sidecar = !ambient && (own?.egressScoping ?? true);
  const versions = declared.versions.map((v) => ({ ...v, podLabels: podLabelsOf(v, dataPlane.mode, revision) }));
  const service: ServiceModel = { ...declared, versions, egressScoped: sidecar };
  const traffic = model.trafficOf(declared.host);
  const release = traffic.releases[0];
  const rollout = release ? model.rollouts.find((r) => r.releasePath === release.path) : undefined;
  const routingApi = model.routingApiOf(declared.host) ?? DEFAULT_ROUTING_API;
  const l7Needs = l7NeedsOf(model, service);
  const waypointsAllowed = model.namespaceDataPlaneOf(declared.namespace)?.waypoints ?? true;
  const waypoint = ambient && waypointsAllowed && l7Needs.length > 0 ? WAYPOINT_NAME : undefined;
  const versionServices = routingApi === 'gateway-api' && declared.ports.some((p) => p.protocol !== 'tcp')
    ? declared.versions.map((v) => ({ version: v.name, name: versionServiceName(declared, v.name) }))
    : [];
  const authorized = model.isAuthorized(declared.host);
  const dependencyHosts = dependencyHostsOf(ctx, service, edges);
  const workloads: WorkloadSnapshot[] = model.workloadsOf(declared.host).map((w) => ({
    version: w.version, ownerPath: w.ownerPath, deploymentName: w.deploymentName, emitted: emitsDeployment({ release, rollout }, w.version),
  }));
  return {
    ...service,
    principal: principalOf(mesh.trustDomain, declared.namespace, declared.serviceAccount),
    dataPlane: dataPlane.mode,
    dataPlaneExplicit: dataPlane.explicit,
    revision,
    egressScopingProp: own?.egressScoping,
    revisionProp: own?.revision,
    routingApi,
    traffic,
    release,
    rollout,
    defaultVersions: defaultVersionsOf(declared.stableVersion, release),
    defaultMirror: defaultMirrorOf(release),
    clientTls: model.clientTlsOf(declared.host)?.mode ?? 'ISTIO_MUTUAL',
    mtls: effectiveMtls(model.peerAuthentications, mesh.rootNamespace, service),
    authorized,
    l7Needs,
    waypoint,
    waypointServices: waypoint ? [declared.name, ...versionServices.map((v) => v.name)] : [],
    waypointOnly: waypoint !== undefined && authorized,
    scrapePrincipals: scrapePrincipalsOf(ctx, service, ambient, waypoint !== undefined && authorized),
    versionServices,
    dependencyHosts,
    egressHosts: egressHostsOf(mesh.namespace, dependencyHosts),
    externalDependencies: model.egressHostsOf(declared.host),
    externalL7: ambient ? externalL7Of(model, declared) : [],
    requestMetricsReporter: ambient ? 'waypoint' : 'destination',
    workloads,
    podSecurity: containerPodSecurity(declared.containerSecurity ?? DEFAULT_CONTAINER_SECURITY, !ambient),
  };
}
