import { DataPlaneName, L7AuthorizationModel, L7NeedModel } from './ambient';
import { ControlPlaneModel, ExtensionProviderModel, MeshHandle } from './control-plane';
import { EdgeModel, NamespaceModel, ServiceModel } from './core';
import { EgressLegModel, ExternalServiceModel, GatewayModel, GatewayRouteModel, GatewayServerModel } from './gateways';
import { ArgoCdModel, ManagedFieldsModel } from './gitops';
import { ImageUseModel, ReplacementModel } from './mesh-model';
import {
  AddonModel, AlertGroupModel, PrometheusQueryModel, ProviderReference, RuleLoaderModel, TelemetryModel,
} from './observability';
import { PodSecurityVerdict } from './pod-security';
import { RolloutModel } from './releases';
import {
  AuthorizationPolicyModel, ClientTlsModeName, ClientTlsModel, EffectiveMtls, IdentityModel, IdentityReferenceModel, JwtProviderModel,
  JwtRequirementModel, PeerAuthenticationModel,
} from './security';
import { DestinationModel, MirrorModel, ReleaseModel, ServiceTrafficModel } from './traffic';

/**
 * The resolved snapshot of a whole mesh: what `resolve()` makes of the
 * model at synth, once, and what every renderer and rule reads. Immutable
 * (deep-frozen): nothing downstream writes to it or to the model.
 *
 * Everything that depends on more than one construct's declaration is
 * decided here, in one place, whatever order the constructs were declared
 * in: a service's data plane (its own choice, else its namespace's), whether
 * it needs a waypoint, which Deployments a Rollout takes over, the mesh's
 * trust domain, the default destinations of every service, the egress scope
 * of every sidecar.
 */
export interface MeshSnapshot {
  /** Kubernetes cluster DNS domain of every in-mesh host. */
  readonly clusterDomain: string;
  /** The proxy inputs of the mesh's default control plane (trust domain, root namespace, istiod address, ...). */
  readonly mesh: MeshHandle;
  /** The clusters the mesh spans (one today: the cluster the app's control planes install into). */
  readonly clusters: readonly ClusterSnapshot[];
  readonly controlPlanes: readonly ControlPlaneModel[];
  /** The control plane whose props set the trust domain, if any (the first that does). */
  readonly trustDomainSource?: ControlPlaneModel;
  /** Every namespace that holds a service, a gateway or a `MeshNamespace`, sorted by name. */
  readonly namespaces: readonly NamespaceSnapshot[];
  readonly services: readonly ServiceSnapshot[];
  /** Call edges, each end the current registration of its service (or, for a service of another app, its declaration). */
  readonly edges: readonly EdgeModel[];
  readonly gateways: readonly GatewaySnapshot[];
  readonly externalServices: readonly ExternalServiceModel[];
  /** Waypoints cdk8s-mesh declares, one per ambient namespace whose services need L7. */
  readonly waypoints: readonly WaypointSnapshot[];
  readonly rollouts: readonly RolloutSnapshot[];
  readonly security: SecuritySnapshot;
  readonly observability: ObservabilitySnapshot;
  /** The add-ons of the app (Prometheus, Grafana, Jaeger, Kiali, ...), in declaration order. */
  readonly addons: readonly AddonSnapshot[];
  /** Mesh config extension providers, in declaration order (every control plane renders all of them). */
  readonly extensionProviders: readonly ExtensionProviderModel[];
  readonly gitops: GitOpsSnapshot;
  /** Inputs of the hygiene rules (images, replaced configuration). */
  readonly hygiene: HygieneSnapshot;
  /** Warning codes treated as errors (`'*'`: every warning). */
  readonly promotedWarnings: readonly string[];

  /** The service with this in-mesh host, if the app declares it. */
  service(host: string): ServiceSnapshot | undefined;
  /** The service that runs as `namespace/serviceAccount`, if any. */
  serviceWithIdentity(namespace: string, serviceAccount: string): ServiceSnapshot | undefined;
  /** The gateway declared at this construct path, if any. */
  gateway(path: string): GatewaySnapshot | undefined;
  /** The namespace of this name, if anything of the app lives in it. */
  namespace(name: string): NamespaceSnapshot | undefined;
}

/** A cluster of the mesh. */
export interface ClusterSnapshot {
  /** Cluster id (`CLUSTER_ID` of its istiods): the first control plane's, else Istio's default `Kubernetes`. */
  readonly name: string;
  /** Construct paths of the control planes installed into it. */
  readonly controlPlanePaths: readonly string[];
}

export interface NamespaceSnapshot {
  readonly name: string;
  /** The `MeshNamespace` that declares it (the last one when several do), if any. */
  readonly declaration?: NamespaceModel;
  /** Data plane of its pods unless a service chooses otherwise. */
  readonly dataPlane: DataPlaneName;
  /** False when its `MeshNamespace` forbids cdk8s-mesh to declare a waypoint in it. */
  readonly waypointsAllowed: boolean;
  /** Construct path of the declaring `MeshNamespace`, if any. */
  readonly path?: string;
}

/** A version's Deployment, and whether the service emits it. */
export interface WorkloadSnapshot {
  readonly version: string;
  /** Construct path of the construct that emits the Deployment. */
  readonly ownerPath: string;
  readonly deploymentName: string;
  /**
   * True when the service emits the Deployment; false when a Rollout runs
   * the version instead (at `CANARY` it takes the canary's pod template; at
   * `STABLE` the stable Deployment stays and the Rollout references it).
   */
  readonly emitted: boolean;
}

/** A Service of the Gateway API rendering that selects one version's pods. */
export interface VersionServiceSnapshot {
  readonly version: string;
  readonly name: string;
}

/** A mesh service with everything the whole app decides about it. */
export interface ServiceSnapshot extends ServiceModel {
  /** SPIFFE principal of its identity (`<trust domain>/ns/<namespace>/sa/<serviceAccount>`). */
  readonly principal: string;
  /** How its pods join the mesh: its own choice, else its namespace's, else sidecar. */
  readonly dataPlane: DataPlaneName;
  /** True when the service chose its data plane itself. */
  readonly dataPlaneExplicit: boolean;
  /** Revision of the control plane its sidecars come from (`istio.io/rev`), if any. */
  readonly revision?: string;
  /** The `egressScoping` prop as given. */
  readonly egressScopingProp?: boolean;
  /** The revision of the `controlPlane` prop as given. */
  readonly revisionProp?: string;
  /** The API its routing is rendered with (`istio` or `gateway-api`). */
  readonly routingApi: string;
  readonly traffic: ServiceTrafficModel;
  /** The release that owns its default routing (the first declared), if any. */
  readonly release?: ReleaseModel;
  /** The Argo Rollouts Rollout of that release, if the release has one. */
  readonly rollout?: RolloutModel;
  /** Where its default traffic goes (release-aware; pinned testers excluded). */
  readonly defaultVersions: readonly DestinationModel[];
  /** The mirror of routes that follow the default destinations, if any. */
  readonly defaultMirror?: MirrorModel;
  /** Client TLS of the mesh's DestinationRule toward it. */
  readonly clientTls: ClientTlsModeName;
  /** The mTLS mode its workloads accept, and the policy that decides it. */
  readonly mtls: EffectiveMtls;
  /** True when it has authorization of its own. */
  readonly authorized: boolean;
  /** What in its intent needs L7 processing (a waypoint in ambient mode). */
  readonly l7Needs: readonly L7NeedModel[];
  /** The waypoint it is attached to (ambient, L7 intent, waypoints allowed), if any. */
  readonly waypoint?: string;
  /** The Services attached to its waypoint (its own and its version Services); empty without a waypoint. */
  readonly waypointServices: readonly string[];
  /** True when its pods accept connections from its waypoint only (ambient, waypoint, authorization). */
  readonly waypointOnly: boolean;
  /**
   * Principals of the app's Prometheus servers that its `<service>-metrics-scrape` policy admits on
   * its metrics port: set when it is ambient, declares a metrics endpoint and an ALLOW policy applies
   * to its pods; empty otherwise (no such policy).
   */
  readonly scrapePrincipals: readonly string[];
  /** The per-version Services of its Gateway API rendering (none with the Istio API or without HTTP ports). */
  readonly versionServices: readonly VersionServiceSnapshot[];
  /** `<namespace>/<fqdn>` hosts it calls (sorted), before control-plane namespaces are folded into `<ns>/*`. */
  readonly dependencyHosts: readonly string[];
  /** The egress hosts of its `Sidecar`. */
  readonly egressHosts: readonly string[];
  /** `<namespace>/<host>` entries of the external destinations it depends on. */
  readonly externalDependencies: readonly string[];
  /** External services it calls whose traffic needs L7 (egress gateway, TLS origination), when it is ambient. */
  readonly externalL7: readonly ExternalServiceModel[];
  /** Who reports its server-side request metrics: its sidecar (`destination`) or its waypoint. */
  readonly requestMetricsReporter: 'destination' | 'waypoint';
  /** Its versions' Deployments, in version order. */
  readonly workloads: readonly WorkloadSnapshot[];
  /** The strictest Pod Security Standard its pods (as admitted, an injected sidecar included) pass, and why not stricter. */
  readonly podSecurity: PodSecurityVerdict;
}

/** A route table of a gateway: one routed host and its routes in evaluation order. */
export interface GatewayRouteTableSnapshot {
  readonly host: string;
  /** Name of the object that carries the table (`<gateway>-<host label>`). */
  readonly name: string;
  readonly routes: readonly GatewayRouteModel[];
}

/** A gateway with its egress legs and derived servers. */
export interface GatewaySnapshot extends GatewayModel {
  /** The API its servers and routes are rendered with. */
  readonly routingApi: string;
  /** Revision of the control plane whose istiod injects its proxy (its `controlPlane`, else the app's first); undefined: the default revision. */
  readonly revision?: string;
  /** External services leaving through it (egress gateways). */
  readonly egressLegs: readonly EgressLegModel[];
  /** Its declared servers, then one per egress leg. */
  readonly servers: readonly GatewayServerModel[];
  readonly routeTables: readonly GatewayRouteTableSnapshot[];
}

/** The waypoint cdk8s-mesh declares in an ambient namespace. */
export interface WaypointSnapshot {
  readonly namespace: string;
  readonly name: string;
  /** Construct path of the construct the waypoint is declared under (the first one that needs it). */
  readonly ownerPath: string;
  /** Revision of the ambient control plane, if revisioned. */
  readonly revision?: string;
  /** SPIFFE principal istiod gives the waypoint. */
  readonly principal: string;
  /** Paths of the external services attached to it (their ServiceEntry carries `istio.io/use-waypoint`). */
  readonly externalServicePaths: readonly string[];
}

/** A Rollout with what it moves. */
export interface RolloutSnapshot extends RolloutModel {
  /** Replicas of the Rollout (its own, else the stable version's). */
  readonly resolvedReplicas: number;
  /** The VirtualServices whose weights it moves: the service's own, then one per gateway route table routing to it. */
  readonly virtualServices: readonly RolloutVirtualServiceSnapshot[];
  /** Routes it inserts for header and mirror steps, in step order. */
  readonly managedRoutes: readonly string[];
  /** The stable version's Deployment, referenced at `STABLE`. */
  readonly stableWorkload?: WorkloadSnapshot;
}

/** A VirtualService whose routes' weights a Rollout moves. */
export interface RolloutVirtualServiceSnapshot {
  /** How the Rollout refers to it (`<name>` in its namespace, `<name>.<namespace>` elsewhere). */
  readonly ref: string;
  readonly name: string;
  readonly namespace: string;
  /** Names of the managed routes. */
  readonly routes: readonly string[];
  /** Construct path of the construct that emits it. */
  readonly ownerPath: string;
}

export interface SecuritySnapshot {
  /** PeerAuthentications, with the namespace each lives in. */
  readonly peerAuthentications: readonly (PeerAuthenticationModel & { readonly resolvedNamespace: string })[];
  readonly clientTls: readonly ClientTlsModel[];
  readonly identities: readonly IdentityModel[];
  readonly identityReferences: readonly IdentityReferenceModel[];
  /** RequestAuthentications, with the namespace each lives in. */
  readonly jwtProviders: readonly (JwtProviderModel & { readonly resolvedNamespace: string })[];
  readonly jwtRequirements: readonly JwtRequirementModel[];
  /** The AuthorizationPolicies the app declares, in declaration order. */
  readonly authorizationPolicies: readonly AuthorizationPolicyModel[];
  readonly l7Authorization: readonly L7AuthorizationModel[];
}

export interface ObservabilitySnapshot {
  readonly providerReferences: readonly ProviderReference[];
  readonly telemetries: readonly TelemetryModel[];
  readonly alertGroups: readonly AlertGroupModel[];
  readonly ruleLoaders: readonly RuleLoaderModel[];
  readonly prometheusQueries: readonly PrometheusQueryModel[];
}

/** An add-on of the app. */
export type AddonSnapshot = AddonModel;

export interface GitOpsSnapshot {
  /** Argo CD settings, when the app declares `GitOps.argoCd()`. */
  readonly argoCd?: ArgoCdModel;
  /** Fields of emitted objects a run-time controller owns (Argo Rollouts). */
  readonly managedFields: readonly ManagedFieldsModel[];
}

export interface HygieneSnapshot {
  readonly images: readonly ImageUseModel[];
  readonly replacements: readonly ReplacementModel[];
}
