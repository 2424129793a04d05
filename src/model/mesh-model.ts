import { Construct, IConstruct } from 'constructs';
import { L7AuthorizationModel, NamespaceDataPlaneModel, ServiceDataPlaneModel } from './ambient';
import { ControlPlaneModel, ExtensionProviderModel } from './control-plane';
import { CLUSTER_DOMAIN, EdgeModel, hostOf, NamespaceModel, ServiceModel } from './core';
import { EgressLegModel, ExternalServiceModel, GatewayModel } from './gateways';
import { ArgoCdModel } from './gitops';
import {
  AddonModel, AlertGroupModel, PrometheusQueryModel, ProviderReference, RuleLoaderModel, TelemetryModel,
} from './observability';
import { RolloutModel } from './releases';
import {
  AuthorizationPolicyModel, AuthorizationRuleModel, ClientTlsModel, IdentityModel, IdentityReferenceModel, JwtProviderModel,
  JwtRequirementModel, PeerAuthenticationModel,
} from './security';
import { ReleaseModel, RouteModel, ServiceTrafficModel, TrafficPolicyModel, VersionTrafficPolicyModel } from './traffic';

/**
 * The mesh model: the typed intent of one cdk8s `App`, in explicit
 * collections on one object.
 *
 * Constructs record what they declare here (and nothing else); at synth
 * `resolve()` (`./resolve.ts`) turns the model into one immutable
 * `MeshSnapshot`, which renderers and the analysis read. Nothing in this
 * folder knows about cdk8s objects or Istio kinds, so other renderers
 * (Gateway API, Linkerd, ...) can be added without touching the constructs.
 *
 * The model of an app lives on a construct of its own under the app root
 * (`MeshModel.of(scope)` finds or creates it), so it is part of the
 * construct tree like everything else the app declares.
 */

/** A version's Deployment as the service declares it (whether it is emitted is resolved in the snapshot). */
export interface WorkloadModel {
  readonly serviceHost: string;
  readonly version: string;
  /** Construct path of the construct that emits the Deployment (maps it to its chart). */
  readonly ownerPath: string;
  readonly deploymentName: string;
}

/** An image reference a construct declared (checked for mutable tags). */
export interface ImageUseModel {
  readonly path: string;
  readonly prop: string;
  readonly image: string;
}

/** A configuration call that replaced an earlier one entirely. */
export interface ReplacementModel {
  readonly path: string;
  readonly prop: string;
  readonly what: string;
}

interface TrafficState {
  readonly routes: RouteModel[];
  policy?: TrafficPolicyModel;
  readonly versionPolicies: Map<string, VersionTrafficPolicyModel>;
  readonly releases: ReleaseModel[];
}

/** Id of the construct that holds an app's model, under the app root. */
const HOST_ID = 'cdk8s-mesh-model';

/** The construct under an app's root that owns the app's mesh model. */
class MeshModelHost extends Construct {
  public readonly model = new MeshModel();
}

export class MeshModel {
  /** The model of the App that `scope` belongs to (created on first use). */
  public static of(scope: IConstruct): MeshModel {
    const root = scope.node.root;
    const existing = root.node.tryFindChild(HOST_ID);
    if (existing instanceof MeshModelHost) return existing.model;
    return new MeshModelHost(root, HOST_ID).model;
  }

  /** Kubernetes cluster DNS domain used for FQDN hosts. */
  public readonly clusterDomain = CLUSTER_DOMAIN;

  private readonly _services = new Map<string, ServiceModel>();
  private readonly _serviceDataPlanes = new Map<string, ServiceDataPlaneModel>();
  private readonly _edges: EdgeModel[] = [];
  private readonly _edgeKeys = new Set<string>();
  private readonly _egressHosts = new Map<string, Set<string>>();
  private readonly _providers: ExtensionProviderModel[] = [];
  private readonly _controlPlanes: ControlPlaneModel[] = [];
  private readonly _namespaces: NamespaceModel[] = [];
  private readonly _namespaceDataPlanes = new Map<string, NamespaceDataPlaneModel>();
  private readonly _traffic = new Map<string, TrafficState>();
  private readonly _rollouts = new Map<string, RolloutModel>();
  private readonly _workloads = new Map<string, Map<string, WorkloadModel>>();
  private readonly _routingApis = new Map<string, string>();
  private readonly _peerAuthentications: PeerAuthenticationModel[] = [];
  private readonly _clientTls = new Map<string, ClientTlsModel>();
  private readonly _identities: IdentityModel[] = [];
  private readonly _identityReferences: IdentityReferenceModel[] = [];
  private readonly _jwtProviders: JwtProviderModel[] = [];
  private readonly _jwtRequirements: JwtRequirementModel[] = [];
  private readonly _authorizationPolicies = new Map<string, AuthorizationPolicyModel>();
  private readonly _authorizedHosts = new Set<string>();
  private readonly _l7Authorization: L7AuthorizationModel[] = [];
  private readonly _gateways: GatewayModel[] = [];
  private readonly _egressLegs = new Map<string, EgressLegModel[]>();
  private readonly _externalServices: ExternalServiceModel[] = [];
  private readonly _providerReferences: ProviderReference[] = [];
  private readonly _telemetries = new Map<string, TelemetryModel>();
  private readonly _alertGroups: AlertGroupModel[] = [];
  private readonly _ruleLoaders: RuleLoaderModel[] = [];
  private readonly _addons: AddonModel[] = [];
  private readonly _prometheusQueries: PrometheusQueryModel[] = [];
  private readonly _images: ImageUseModel[] = [];
  private readonly _replacements: ReplacementModel[] = [];
  private readonly _promotedWarnings = new Set<string>();
  private _argoCd?: ArgoCdModel;
  private _pipelineInstalled = false;
  private _revision = 0;
  private readonly _memo = new Map<string, { readonly revision: number; readonly value: unknown }>();

  /** FQDN host of a service name in a namespace. */
  public hostOf(name: string, namespace: string): string {
    return hostOf(name, namespace);
  }

  /**
   * True the first time it is called for this model: the synthesis pipeline
   * (`src/synth/mesh.ts`) installs itself on the app root exactly once.
   */
  public claimPipeline(): boolean {
    if (this._pipelineInstalled) return false;
    this._pipelineInstalled = true;
    return true;
  }

  /** Marks the model as changed: the snapshot and the findings are computed again. */
  public touch(): void {
    this._revision++;
  }

  /** `compute()`, computed once per model revision under `key` (the snapshot, the findings). */
  public memo<T>(key: string, compute: () => T): T {
    const hit = this._memo.get(key);
    if (hit && hit.revision === this._revision) return hit.value as T;
    const value = compute();
    this._memo.set(key, { revision: this._revision, value });
    return value;
  }

  // services, versions and the call graph

  /** All services, in registration order. */
  public get services(): readonly ServiceModel[] {
    return [...this._services.values()];
  }

  /** Registers a service; returns the existing registration with the same host, if any. */
  public addService(service: ServiceModel): ServiceModel | undefined {
    const existing = this._services.get(service.host);
    if (existing) return existing;
    this._services.set(service.host, service);
    this.touch();
    return undefined;
  }

  /** Replaces a service registration (the same host) after its owner changed it. */
  public updateService(service: ServiceModel): void {
    if (!this._services.has(service.host)) throw new Error(`internal: service ${service.host} is not registered`);
    this._services.set(service.host, service);
    this.touch();
  }

  public findService(host: string): ServiceModel | undefined {
    return this._services.get(host);
  }

  /** Records a service's own data-plane choices (mode, revision, egress scoping). */
  public setServiceDataPlane(dataPlane: ServiceDataPlaneModel): void {
    this._serviceDataPlanes.set(dataPlane.host, dataPlane);
    this.touch();
  }

  /** A service's own data-plane choices, if recorded. */
  public serviceDataPlaneOf(host: string): ServiceDataPlaneModel | undefined {
    return this._serviceDataPlanes.get(host);
  }

  /** The Deployment a service declares for one of its versions. */
  public putWorkload(workload: WorkloadModel): void {
    let byVersion = this._workloads.get(workload.serviceHost);
    if (!byVersion) this._workloads.set(workload.serviceHost, (byVersion = new Map()));
    byVersion.set(workload.version, workload);
    this.touch();
  }

  /** The Deployments a service declares, in version order. */
  public workloadsOf(host: string): readonly WorkloadModel[] {
    return [...(this._workloads.get(host)?.values() ?? [])];
  }

  public addEdge(edge: EdgeModel): void {
    const key = `${edge.from.host}|${edge.to.host}|${edge.reason}`;
    if (this._edgeKeys.has(key)) return;
    this._edgeKeys.add(key);
    this._edges.push(edge);
    this.touch();
  }

  /** All dependency edges, in registration order. */
  public get edges(): readonly EdgeModel[] {
    return [...this._edges];
  }

  /**
   * Adds a `<namespace>/<host>` entry to the egress scope of the service with
   * host `fromHost` (for destinations that are not mesh services, e.g.
   * external services reached through an egress gateway).
   */
  public addEgressHost(fromHost: string, entry: string): void {
    let set = this._egressHosts.get(fromHost);
    if (!set) this._egressHosts.set(fromHost, (set = new Set()));
    set.add(entry);
    this.touch();
  }

  /** Extra egress entries of a service (see `addEgressHost`). */
  public egressHostsOf(fromHost: string): readonly string[] {
    return [...(this._egressHosts.get(fromHost) ?? [])];
  }

  // control planes, namespaces, mesh config

  public addControlPlane(cp: ControlPlaneModel): void {
    this._controlPlanes.push(cp);
    this.touch();
  }

  /** Control planes declared in this app (several when revisions run side by side). */
  public get controlPlanes(): readonly ControlPlaneModel[] {
    return [...this._controlPlanes];
  }

  /** Registers an extension provider; returns the existing one with the same name, if any. */
  public addExtensionProvider(provider: ExtensionProviderModel): ExtensionProviderModel | undefined {
    const existing = this._providers.find((p) => p.name === provider.name);
    if (existing) return existing;
    this._providers.push(provider);
    this.touch();
    return undefined;
  }

  /** Mesh config extension providers, in registration order. */
  public get extensionProviders(): readonly ExtensionProviderModel[] {
    return [...this._providers];
  }

  public addNamespace(ns: NamespaceModel, dataPlane: NamespaceDataPlaneModel): void {
    this._namespaces.push(ns);
    this._namespaceDataPlanes.set(dataPlane.namespace, dataPlane);
    this.touch();
  }

  /** Namespaces declared with `MeshNamespace`, in registration order. */
  public get namespaces(): readonly NamespaceModel[] {
    return [...this._namespaces];
  }

  /** The data plane a MeshNamespace declared for `namespace` (the last one declared), if any. */
  public namespaceDataPlaneOf(namespace: string): NamespaceDataPlaneModel | undefined {
    return this._namespaceDataPlanes.get(namespace);
  }

  public get namespaceDataPlanes(): readonly NamespaceDataPlaneModel[] {
    return [...this._namespaceDataPlanes.values()];
  }

  // traffic

  private trafficState(host: string): TrafficState {
    let t = this._traffic.get(host);
    if (!t) this._traffic.set(host, (t = { routes: [], versionPolicies: new Map(), releases: [] }));
    return t;
  }

  /** The traffic intent recorded for a service host (empty when none). */
  public trafficOf(host: string): ServiceTrafficModel {
    const t = this._traffic.get(host);
    return {
      routes: [...(t?.routes ?? [])],
      policy: t?.policy,
      versionPolicies: [...(t?.versionPolicies.values() ?? [])],
      releases: [...(t?.releases ?? [])],
    };
  }

  public addRoute(host: string, route: RouteModel): void {
    this.trafficState(host).routes.push(route);
    this.touch();
  }

  /** Sets the service-wide traffic policy; returns true when it replaced one. */
  public setTrafficPolicy(host: string, policy: TrafficPolicyModel): boolean {
    const t = this.trafficState(host);
    const replaced = t.policy !== undefined;
    t.policy = policy;
    this.touch();
    return replaced;
  }

  public setVersionTrafficPolicy(host: string, policy: VersionTrafficPolicyModel): void {
    this.trafficState(host).versionPolicies.set(policy.version, policy);
    this.touch();
  }

  /** Registers a release that owns a service's default routing (and its two versions). */
  public addRelease(host: string, release: ReleaseModel): void {
    this.trafficState(host).releases.push(release);
    this.touch();
  }

  /** Registers the Rollout of a release. */
  public addRollout(rollout: RolloutModel): void {
    this._rollouts.set(rollout.releasePath, rollout);
    this.touch();
  }

  public get rollouts(): readonly RolloutModel[] {
    return [...this._rollouts.values()];
  }

  /** Records the routing API a service (by host) or a gateway (by construct path) is rendered with. */
  public setRoutingApi(key: string, api: string): void {
    this._routingApis.set(key, api);
    this.touch();
  }

  /** The routing API recorded for a service host or gateway path, if any. */
  public routingApiOf(key: string): string | undefined {
    return this._routingApis.get(key);
  }

  // security

  public addPeerAuthentication(pa: PeerAuthenticationModel): void {
    this._peerAuthentications.push(pa);
    this.touch();
  }

  public get peerAuthentications(): readonly PeerAuthenticationModel[] {
    return [...this._peerAuthentications];
  }

  /** Records the client TLS mode of the mesh's DestinationRule toward `host` (last one wins). */
  public setClientTls(tls: ClientTlsModel): void {
    this._clientTls.set(tls.host, tls);
    this.touch();
  }

  public get clientTls(): readonly ClientTlsModel[] {
    return [...this._clientTls.values()];
  }

  /** The client TLS recorded toward `host`, if any. */
  public clientTlsOf(host: string): ClientTlsModel | undefined {
    return this._clientTls.get(host);
  }

  /** Registers a non-service identity (e.g. a gateway's ServiceAccount) so authorization may reference it. */
  public addIdentity(identity: IdentityModel): void {
    this._identities.push(identity);
    this.touch();
  }

  public get identities(): readonly IdentityModel[] {
    return [...this._identities];
  }

  public addIdentityReference(ref: IdentityReferenceModel): void {
    this._identityReferences.push(ref);
    this.touch();
  }

  public get identityReferences(): readonly IdentityReferenceModel[] {
    return [...this._identityReferences];
  }

  /** The service that runs as `namespace/serviceAccount`, if any (the first registered). */
  public serviceWithIdentity(namespace: string, serviceAccount: string): ServiceModel | undefined {
    for (const s of this._services.values()) if (s.namespace === namespace && s.serviceAccount === serviceAccount) return s;
    return undefined;
  }

  public addJwtProvider(provider: JwtProviderModel): void {
    this._jwtProviders.push(provider);
    this.touch();
  }

  public get jwtProviders(): readonly JwtProviderModel[] {
    return [...this._jwtProviders];
  }

  public addJwtRequirement(req: JwtRequirementModel): void {
    this._jwtRequirements.push(req);
    this.touch();
  }

  public get jwtRequirements(): readonly JwtRequirementModel[] {
    return [...this._jwtRequirements];
  }

  /** Registers an AuthorizationPolicy under its construct path (rules may be appended later). */
  public addAuthorizationPolicy(policy: AuthorizationPolicyModel): void {
    if (this._authorizationPolicies.has(policy.path)) throw new Error(`internal: authorization policy ${policy.path} is already registered`);
    this._authorizationPolicies.set(policy.path, { ...policy, rules: policy.rules ? [...policy.rules] : undefined });
    this.touch();
  }

  /** Appends rules to the AuthorizationPolicy registered under `path`. */
  public addAuthorizationRules(path: string, rules: readonly AuthorizationRuleModel[]): void {
    const policy = this._authorizationPolicies.get(path);
    if (!policy) throw new Error(`internal: authorization policy ${path} is not registered`);
    this._authorizationPolicies.set(path, { ...policy, rules: [...(policy.rules ?? []), ...rules] });
    this.touch();
  }

  public get authorizationPolicies(): readonly AuthorizationPolicyModel[] {
    return [...this._authorizationPolicies.values()];
  }

  /** Records that a service has authorization of its own (an AuthorizationPolicy of its own). */
  public markAuthorized(host: string): void {
    this._authorizedHosts.add(host);
    this.touch();
  }

  public isAuthorized(host: string): boolean {
    return this._authorizedHosts.has(host);
  }

  /** Records an authorization condition that only a proxy seeing HTTP can enforce. */
  public addL7Authorization(rule: L7AuthorizationModel): void {
    this._l7Authorization.push(rule);
    this.touch();
  }

  public get l7Authorization(): readonly L7AuthorizationModel[] {
    return [...this._l7Authorization];
  }

  // gateways and external services

  /** Registers or replaces (same path) a gateway. */
  public putGateway(gateway: GatewayModel): void {
    const i = this._gateways.findIndex((g) => g.path === gateway.path);
    if (i < 0) this._gateways.push(gateway);
    else this._gateways[i] = gateway;
    this.touch();
  }

  /** All gateways of the app, in registration order (egress legs are added in the snapshot). */
  public get gateways(): readonly GatewayModel[] {
    return [...this._gateways];
  }

  /** Records an external service leaving through the egress gateway at `gatewayPath`. */
  public addEgressLeg(gatewayPath: string, leg: EgressLegModel): void {
    const legs = this._egressLegs.get(gatewayPath) ?? [];
    this._egressLegs.set(gatewayPath, [...legs, leg]);
    this.touch();
  }

  /** The external services leaving through a gateway, in the order registered. */
  public egressLegsOf(gatewayPath: string): readonly EgressLegModel[] {
    return this._egressLegs.get(gatewayPath) ?? [];
  }

  /**
   * Registers an external service; returns an existing registration that
   * already declares one of its hosts, if any.
   */
  public addExternalService(service: ExternalServiceModel): ExternalServiceModel | undefined {
    const clash = this._externalServices.find((e) => e.hosts.some((h) => service.hosts.includes(h)));
    if (clash) return clash;
    this._externalServices.push(service);
    this.touch();
    return undefined;
  }

  public get externalServices(): readonly ExternalServiceModel[] {
    return [...this._externalServices];
  }

  // observability

  public addProviderReference(ref: ProviderReference): void {
    this._providerReferences.push(ref);
    this.touch();
  }

  public get providerReferences(): readonly ProviderReference[] {
    return [...this._providerReferences];
  }

  /** Registers a Telemetry resource, or replaces it (same path) when its entries change. */
  public putTelemetry(telemetry: TelemetryModel): void {
    this._telemetries.set(telemetry.path, telemetry);
    this.touch();
  }

  /** The Telemetry registered under `path`. */
  public telemetryAt(path: string): TelemetryModel {
    const t = this._telemetries.get(path);
    if (!t) throw new Error(`internal: telemetry ${path} is not registered`);
    return t;
  }

  public get telemetries(): readonly TelemetryModel[] {
    return [...this._telemetries.values()];
  }

  public addAlertGroup(group: AlertGroupModel): void {
    this._alertGroups.push(group);
    this.touch();
  }

  public get alertGroups(): readonly AlertGroupModel[] {
    return [...this._alertGroups];
  }

  public addRuleLoader(loader: RuleLoaderModel): void {
    this._ruleLoaders.push(loader);
    this.touch();
  }

  public get ruleLoaders(): readonly RuleLoaderModel[] {
    return [...this._ruleLoaders];
  }

  public addAddon(addon: AddonModel): void {
    this._addons.push(addon);
    this.touch();
  }

  /** The add-ons of the app, in declaration order. */
  public get addons(): readonly AddonModel[] {
    return [...this._addons];
  }

  public addPrometheusQuery(query: PrometheusQueryModel): void {
    this._prometheusQueries.push(query);
    this.touch();
  }

  public get prometheusQueries(): readonly PrometheusQueryModel[] {
    return [...this._prometheusQueries];
  }

  // GitOps, hygiene and the analysis

  /** Makes warnings of these codes fail synthesis (`'*'`: every warning). */
  public promoteWarnings(codes: readonly string[]): void {
    for (const c of codes) this._promotedWarnings.add(c);
    this.touch();
  }

  /** Warning codes treated as errors. */
  public get promotedWarnings(): readonly string[] {
    return [...this._promotedWarnings];
  }

  public setArgoCd(argoCd: ArgoCdModel): void {
    this._argoCd = argoCd;
    this.touch();
  }

  public get argoCd(): ArgoCdModel | undefined {
    return this._argoCd;
  }

  public addImage(image: ImageUseModel): void {
    this._images.push(image);
    this.touch();
  }

  public get images(): readonly ImageUseModel[] {
    return [...this._images];
  }

  public addReplacement(replacement: ReplacementModel): void {
    this._replacements.push(replacement);
    this.touch();
  }

  public get replacements(): readonly ReplacementModel[] {
    return [...this._replacements];
  }
}
