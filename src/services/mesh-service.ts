import { ApiObject, Chart, JsonPatch, Lazy, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { GatewayApiServiceRouting } from './gateway-api-routing';
import { MeshServiceSecurity, MeshServiceTraffic } from './mesh-service-facets';
import { resolveWorkloadSecurity, validatePorts, validateVolumes, WorkloadSecurity } from './private/workload';
import { WorkloadObject, WorkloadWorkspace } from './private/workload-object';
import { WorkloadSecurityOptions } from './workload-security';
import { WorkloadVolume } from './workload-volume';
import { DataPlaneMode } from '../control-plane/ambient';
import { IMeshControlPlane } from '../control-plane/istio-control-plane';
import { AppMetricsEndpointModel, appMetricsEndpoint, meshScrapeAnnotations } from './private/scrape';
import { DestinationRule, Sidecar, VirtualService } from '../imports/networking.istio.io';
import { PortModel, ServiceModel, VersionModel } from '../model/core';
import { MeshModel } from '../model/mesh-model';
import { snapshotOf } from '../model/resolve';
import { dataPlaneOf } from '../model/resolve-services';
import { MeshRouting, RoutingApi } from '../model/routing';
import { MeshServicePort, Protocol } from '../model/service-port';
import { IMeshDestination, IMeshIdentity, IMeshService } from '../model/shared-interfaces';
import { MeshSnapshot } from '../model/snapshot';
import { propError } from '../private/errors';
import { validateDnsLabel, validateEnvName, validateServiceName } from '../private/names';
import { checkArgs } from '../private/runtime-types';
import { renderDestinationRuleSpec } from '../render/destination-rule';
import { renderSidecarSpec } from '../render/sidecar';
import { renderVirtualServiceSpec } from '../render/virtual-service';
import { AllowFromOptions, AuthorizationRule, DenyFromOptions, RequireJwtOptions } from '../security/authorization';
import { AuthzSource } from '../security/authz-source';
import { JwtAuthentication } from '../security/jwt';
import { ClientTlsMode } from '../security/mtls';
import { addMeshValidation, meshOf } from '../synth/mesh';
import { ObjectSlot } from '../synth/object-slot';
import { MeshRoute, MeshRouteOptions } from '../traffic/mesh-route';
import { TrafficPolicy } from '../traffic/traffic-policy';

/**
 * One version of a `MeshService`: its own Deployment and DestinationRule subset.
 */
export interface MeshServiceVersion {
  /**
   * Version name: the `version` pod label and the DestinationRule subset name
   * (a DNS-1123 label such as `v1`).
   */
  readonly name: string;

  /**
   * Container image of this version.
   */
  readonly image: string;

  /**
   * Desired number of pods. Zero is allowed (a parked version) but a version
   * that receives traffic must have at least one replica.
   *
   * @default 1
   */
  readonly replicas?: number;

  /**
   * Environment variables of the application container, merged over the
   * service-level `env` (this version wins).
   *
   * @default - the service-level `env`
   */
  readonly env?: { [name: string]: string };

  /**
   * Entrypoint override.
   *
   * @default - the image's ENTRYPOINT
   */
  readonly command?: string[];

  /**
   * Arguments to the entrypoint.
   *
   * @default - the image's CMD
   */
  readonly args?: string[];

  /**
   * Compute resources of the application container.
   *
   * @default - the service-level `resources`
   */
  readonly resources?: kplus.ContainerResources;

  /**
   * Readiness probe.
   *
   * @default - the service-level `readiness`
   */
  readonly readiness?: kplus.Probe;

  /**
   * Liveness probe.
   *
   * @default - the service-level `liveness`
   */
  readonly liveness?: kplus.Probe;

  /**
   * Volumes mounted into the application container: scratch space
   * (`WorkloadVolume.emptyDir`), configuration (`WorkloadVolume.configMap`)
   * and credentials (`WorkloadVolume.secret`). The root filesystem is
   * read-only by default, so every path the app writes to needs a volume. A
   * volume mounted at `/tmp` replaces the default `/tmp` emptyDir.
   *
   * @default - none (only the default `/tmp` emptyDir while the root filesystem is read-only)
   * @see https://kubernetes.io/docs/concepts/storage/volumes/
   */
  readonly volumes?: WorkloadVolume[];
}

/**
 * The Prometheus endpoint an application serves its own metrics on.
 *
 * @see https://istio.io/latest/docs/ops/integrations/prometheus/#option-1-metrics-merging
 */
export interface MeshServiceMetrics {
  /** Container port the application serves metrics on (not a port the sidecar reserves). */
  readonly port: number;

  /**
   * URL path of the metrics.
   *
   * @default '/metrics'
   */
  readonly path?: string;
}

/**
 * Properties of a `MeshService`.
 */
export interface MeshServiceProps {
  /**
   * Name of the Kubernetes Service, ServiceAccount and Istio objects; the
   * `app` label of every pod. A DNS-1123 label.
   *
   * @default - the construct id (which must then be a DNS-1123 label)
   */
  readonly serviceName?: string;

  /**
   * Namespace of every object of this service.
   *
   * @default - the chart's namespace, or `default`
   */
  readonly namespace?: string;

  /**
   * The versions of this service. At least one; names must be unique.
   * More can be added with `addVersion()`.
   */
  readonly versions: MeshServiceVersion[];

  /**
   * The version that receives all traffic unless a route says otherwise.
   *
   * @default - the first version
   */
  readonly stableVersion?: string;

  /**
   * Ports of the service. Port numbers and names must be unique.
   *
   * @default - one HTTP port: 80 -> container port 8080
   */
  readonly ports?: MeshServicePort[];

  /**
   * Environment variables of every version's application container.
   *
   * @default - none
   */
  readonly env?: { [name: string]: string };

  /**
   * Compute resources of every version's application container.
   *
   * @default - requests 100m CPU / 128Mi memory, limits 500m CPU / 256Mi memory
   */
  readonly resources?: kplus.ContainerResources;

  /**
   * Readiness probe of every version.
   *
   * @default - none (the pod is ready when its containers start)
   */
  readonly readiness?: kplus.Probe;

  /**
   * Liveness probe of every version.
   *
   * @default - none
   */
  readonly liveness?: kplus.Probe;

  /**
   * Name of the ServiceAccount all versions run as: the service's mesh
   * identity (`spiffe://<trust-domain>/ns/<namespace>/sa/<name>`).
   *
   * @default - the service name
   */
  readonly serviceAccountName?: string;

  /**
   * Emit an Istio `Sidecar` that limits this service's Envoy to the services
   * it calls (declared with `dependsOn()`, or implied when a callee does
   * `allowFrom(this)`) plus the control plane namespace. Each proxy then
   * receives configuration for its dependencies only, not the whole mesh.
   * Calls to undeclared mesh services fail while scoping is on.
   *
   * @default true
   * @see https://istio.io/latest/docs/reference/config/networking/sidecar/
   */
  readonly egressScoping?: boolean;

  /**
   * Container and pod security settings. Secure by default.
   *
   * @default - non-root UID/GID 1000, read-only root filesystem, no privilege
   * escalation, all capabilities dropped, RuntimeDefault seccomp profile
   */
  readonly security?: WorkloadSecurityOptions;

  /**
   * The application's own Prometheus endpoint. The pods are annotated with it
   * (`prometheus.io/scrape|port|path`), and Istio's injector rewrites those
   * annotations to the agent's merged endpoint (15020, `/stats/prometheus`),
   * which then serves the application's metrics together with Envoy's and the
   * agent's (metrics merging).
   *
   * @default - no application metrics: the pods carry no `prometheus.io`
   * annotations and the injector points Prometheus at the merged endpoint
   * (Envoy and agent metrics)
   * @see https://istio.io/latest/docs/ops/integrations/prometheus/#option-1-metrics-merging
   */
  readonly metrics?: MeshServiceMetrics;

  /**
   * TLS that client sidecars use toward this service (the DestinationRule's
   * `trafficPolicy.tls.mode`). `DISABLE` is a synth error while the
   * service's workloads are under STRICT mTLS.
   *
   * @default ClientTlsMode.ISTIO_MUTUAL
   * @see https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings
   */
  readonly clientTlsMode?: ClientTlsMode;

  /**
   * The control plane (revision) whose sidecar the pods get: a revisioned
   * control plane adds the pod label `istio.io/rev: <revision>`.
   *
   * @default - whichever control plane the namespace is bound to (default revision otherwise)
   */
  readonly controlPlane?: IMeshControlPlane;

  /**
   * The API this service's routing is rendered with. With
   * `RoutingApi.GATEWAY_API` the routes, releases and default route become an
   * `HTTPRoute` per HTTP port whose parent is this Service (GAMMA), each
   * version gets a Service of its own (`<service>-<version>`, the HTTPRoute's
   * backends) with a DestinationRule carrying the client traffic policy; what
   * the Gateway API cannot express (retries, fault injection, ...) is a synth
   * error on the route that declares it.
   *
   * @default - the app's or chart's choice (`MeshApp` `routingApi`, `MeshRouting.use()`), else `RoutingApi.ISTIO`
   */
  readonly routingApi?: RoutingApi;

  /**
   * How the pods of this service join the mesh. `AMBIENT`: no sidecar (pods
   * labelled `sidecar.istio.io/inject: "false"` and
   * `istio.io/dataplane-mode: ambient`), no Istio `Sidecar` resource; the
   * node's ztunnel carries the traffic and enforces L4 authorization, and a
   * waypoint is declared when the service's intent needs L7.
   *
   * @default - the mode of the service's `MeshNamespace`, else `DataPlaneMode.SIDECAR`
   * @see https://istio.io/latest/docs/ambient/overview/
   */
  readonly dataPlaneMode?: DataPlaneMode;
}

const DEFAULT_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
};

/** Metadata of a service's own objects. */
interface SidecarMetadata {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
}

/**
 * A service in the mesh with one or more versions.
 *
 * Emits, per version, a Deployment whose pods carry the `app`, `version` and
 * `app.kubernetes.io/*` labels and are injected with the Envoy sidecar; one
 * Service (selecting on `app` only, ports named and `appProtocol`-tagged so
 * Istio knows the protocol); one ServiceAccount (the mesh identity); one
 * DestinationRule with a subset per version; and one VirtualService whose
 * default route sends all traffic to the stable version.
 *
 * @example
 * const chart = new Chart(new MeshApp(), 'shop', { namespace: 'shop' });
 * const users = new MeshService(chart, 'user-service', {
 *   versions: [{ name: 'v1', image: 'ghcr.io/acme/user-service:1.4.2' }],
 *   ports: [{ port: 80, targetPort: 5000, protocol: Protocol.HTTP }],
 * });
 */
export class MeshService extends Construct implements IMeshIdentity, IMeshDestination, IMeshService {
  /** Service, ServiceAccount and Istio object name; the `app` label. */
  public readonly serviceName: string;
  /** Namespace of every object of this service. */
  public readonly namespace: string;
  /** Fully qualified in-mesh host, `<name>.<namespace>.svc.cluster.local`. */
  public readonly host: string;
  /** The Kubernetes Service. */
  public readonly service: kplus.Service;
  /** The ServiceAccount every version runs as (the mesh identity). */
  public readonly serviceAccount: kplus.ServiceAccount;
  /** The Istio DestinationRule (escape hatch: `addJsonPatch`). */
  public readonly destinationRule: ApiObject;
  /**
   * The object carrying the service's routing (escape hatch: `addJsonPatch`):
   * the Istio VirtualService, or with `RoutingApi.GATEWAY_API` the HTTPRoute of
   * its first HTTP port (all of them: `httpRoutes`).
   */
  public readonly virtualService: ApiObject;
  /** The API the service's routing is rendered with. */
  public readonly routingApi: RoutingApi;
  /** With `RoutingApi.GATEWAY_API`: the HTTPRoutes, one per HTTP port (empty otherwise). */
  public readonly httpRoutes: ApiObject[];
  /** The service's routes and traffic policies. */
  public readonly traffic: MeshServiceTraffic;
  /** Who may call the service, and the end-user tokens it requires. */
  public readonly security: MeshServiceSecurity;

  private readonly model: MeshModel;
  private readonly props: MeshServiceProps;
  private readonly _ports: PortModel[];
  private readonly _stableVersion: string;
  private readonly appMetrics?: AppMetricsEndpointModel;
  private readonly workloadSecurity: WorkloadSecurity;
  private readonly workspace: WorkloadWorkspace;
  private readonly sidecarSlot: ObjectSlot;
  private readonly gatewayApi?: GatewayApiServiceRouting;
  private readonly _versions: VersionModel[] = [];
  private readonly _deployments = new Map<string, kplus.Deployment>();

  constructor(scope: Construct, id: string, props: MeshServiceProps) {
    super(scope, id);
    checkArgs(this, 'MeshService.new', arguments);
    this.props = props;
    this.model = meshOf(this);
    this.traffic = MeshServiceTraffic._of(this);
    this.security = MeshServiceSecurity._of(this);
    this.serviceName = validateServiceName(this, 'serviceName', validateDnsLabel(this, 'serviceName', props.serviceName ?? id));
    this.namespace = validateDnsLabel(this, 'namespace', props.namespace ?? Chart.of(this).namespace ?? 'default');
    for (const k of Object.keys(props.env ?? {})) validateEnvName(this, `env.${k}`, k);
    this.host = this.model.hostOf(this.serviceName, this.namespace);
    this.workloadSecurity = resolveWorkloadSecurity(this, props.security ?? {});
    this._ports = validatePorts(this, props.ports ?? [{ port: 80, targetPort: 8080, protocol: Protocol.HTTP }]);
    this.appMetrics = props.metrics ? appMetricsEndpoint(this, props.metrics) : undefined;
    this._stableVersion = this.validateStableVersion(props);
    this.routingApi = this.validateRoutingApi(props.routingApi ?? MeshRouting.of(this));
    this.recordDataPlane(props);

    const metadata = { name: this.serviceName, namespace: this.namespace, labels: this.labels() };
    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { ...metadata, name: validateDnsLabel(this, 'serviceAccountName', props.serviceAccountName ?? this.serviceName) },
      automountToken: false,
    });
    this.service = this.createService(metadata);
    this.destinationRule = new DestinationRule(this, 'DestinationRule', {
      metadata,
      spec: Lazy.any({ produce: () => renderDestinationRuleSpec(this.snapshot()) }),
    });
    this.gatewayApi = this.createGatewayApiRouting();
    this.httpRoutes = this.gatewayApi?.httpRoutes ?? [];
    this.virtualService = this.gatewayApi?.httpRoutes[0] ?? new VirtualService(this, 'VirtualService', {
      metadata,
      spec: Lazy.any({ produce: () => renderVirtualServiceSpec(this.snapshot()) }),
    });
    this.sidecarSlot = new ObjectSlot(this, 'Sidecar', (slot, snapshot) => this.attachSidecar(slot, snapshot, metadata));
    addMeshValidation(this);
    this.workspace = new WorkloadWorkspace(this);
    for (const v of props.versions ?? []) this.addVersion(v);
    this.register();
  }

  /** Adds an HTTP routing rule (alias of `traffic.addRoute()`). */
  public addRoute(options: MeshRouteOptions = {}): MeshRoute {
    checkArgs(this, 'MeshService.addRoute', arguments);
    return this.traffic.addRoute(options);
  }

  /** Sets the service-wide traffic policy (alias of `traffic.configurePolicy()`). */
  public configureTrafficPolicy(policy: TrafficPolicy): void {
    checkArgs(this, 'MeshService.configureTrafficPolicy', arguments);
    this.traffic.configurePolicy(policy);
  }

  /** Sets the traffic policy of one version (alias of `traffic.configureVersionPolicy()`). */
  public configureVersionTrafficPolicy(version: string, policy: TrafficPolicy): void {
    checkArgs(this, 'MeshService.configureVersionTrafficPolicy', arguments);
    this.traffic.configureVersionPolicy(version, policy);
  }

  /** Admits requests from another workload of the mesh (alias of `security.allowFrom()`). */
  public allowFrom(caller: IMeshIdentity, options?: AllowFromOptions): AuthorizationRule {
    checkArgs(this, 'MeshService.allowFrom', arguments);
    return this.security.allowFrom(caller, options);
  }

  /** Admits requests from a typed source (alias of `security.allowFromSource()`). */
  public allowFromSource(source: AuthzSource, options?: AllowFromOptions): AuthorizationRule {
    checkArgs(this, 'MeshService.allowFromSource', arguments);
    return this.security.allowFromSource(source, options);
  }

  /** Admits requests from every workload of a namespace (alias of `security.allowFromNamespace()`). */
  public allowFromNamespace(namespace: string, options?: AllowFromOptions): AuthorizationRule {
    checkArgs(this, 'MeshService.allowFromNamespace', arguments);
    return this.security.allowFromNamespace(namespace, options);
  }

  /** Rejects requests from a source (alias of `security.denyFrom()`). */
  public denyFrom(source: AuthzSource, options?: DenyFromOptions): AuthorizationRule {
    checkArgs(this, 'MeshService.denyFrom', arguments);
    return this.security.denyFrom(source, options);
  }

  /** Requires a valid end-user token (alias of `security.requireJwt()`). */
  public requireJwt(authentication: JwtAuthentication, options?: RequireJwtOptions): AuthorizationRule {
    checkArgs(this, 'MeshService.requireJwt', arguments);
    return this.security.requireJwt(authentication, options);
  }

  /** Names of the versions, in declaration order. */
  public get versions(): string[] {
    return this._versions.map((v) => v.name);
  }

  /** The version that receives traffic by default. */
  public get stableVersion(): string {
    return this._stableVersion;
  }

  /**
   * How the pods of this service join the mesh: its own `dataPlaneMode`, else
   * its namespace's (`MeshNamespace`), else sidecars. Resolved when the app is
   * synthesized; before that, from what the app declares so far.
   */
  public get dataPlaneMode(): DataPlaneMode {
    return dataPlaneOf(this.model, this.host, this.namespace).mode === 'ambient' ? DataPlaneMode.AMBIENT : DataPlaneMode.SIDECAR;
  }

  /**
   * The Istio Sidecar scoping egress, once the app is synthesized (undefined
   * before, and when `egressScoping` is false or the service is ambient).
   */
  public get sidecar(): ApiObject | undefined {
    return this.sidecarSlot.object;
  }

  /** Namespace of the Kubernetes Service callers reach. */
  public get destinationNamespace(): string {
    return this.namespace;
  }

  /** The service's in-mesh host (FQDN). */
  public get destinationHosts(): string[] {
    return [this.host];
  }

  /** Namespace of the service's identity (its ServiceAccount). */
  public get identityNamespace(): string {
    return this.namespace;
  }

  /** ServiceAccount name of the service's identity. */
  public get identityServiceAccount(): string {
    return this.serviceAccount.name;
  }

  /** Name of the ServiceAccount the workloads run as. */
  public get serviceAccountName(): string {
    return this.serviceAccount.name;
  }

  /** The service's ports (copies). */
  public get ports(): MeshServicePort[] {
    return this._ports.map((p) => ({ port: p.port, targetPort: p.targetPort, name: p.name, protocol: p.protocol as Protocol }));
  }

  /**
   * Adds a version: a Deployment and a DestinationRule subset. The
   * Deployment is emitted unless a Rollout (`ReleaseDriver.argoRollouts`)
   * runs the version.
   *
   * @returns the version's Deployment
   */
  public addVersion(version: MeshServiceVersion): kplus.Deployment {
    checkArgs(this, 'MeshService.addVersion', arguments);
    const prop = `versions[${this._versions.length}]`;
    const replicas = this.validateVersion(prop, version);
    const deployment = this.buildDeployment(prop, version, replicas);
    new ObjectSlot(this, `Deployment-${version.name}`, (slot, snapshot) => (snapshot.service(this.host)?.workloads.find((w) => w.version === version.name)?.emitted
      ? new WorkloadObject(slot, 'Resource', deployment)
      : undefined));
    this._versions.push({ name: version.name, replicas, podLabels: this.versionLabels(version.name) });
    this._deployments.set(version.name, deployment);
    this.model.putWorkload({ serviceHost: this.host, version: version.name, ownerPath: this.node.path, deploymentName: deployment.name });
    this.gatewayApi?.addVersion(version.name);
    if (this.model.findService(this.host)?.path === this.node.path) this.model.updateService(this._toModel());
    return deployment;
  }

  /**
   * Declares that this service calls `destinations` (other mesh services or
   * external services): the call edges of the mesh graph, used for the
   * Sidecar egress scope, the topology diagram and the analysis.
   */
  public dependsOn(...destinations: IMeshDestination[]): void {
    checkArgs(this, 'MeshService.dependsOn', arguments);
    for (const target of destinations) {
      if (target === this) {
        throw propError(this, 'dependsOn', 'must not name the service itself', this.serviceName, 'remove the self-reference: a service always reaches itself');
      }
      if (target instanceof MeshService) {
        this.model.addEdge({ from: this._toModel(), to: target._toModel(), reason: 'dependsOn' });
      } else {
        for (const host of target.destinationHosts) this.model.addEgressHost(this.host, `${target.destinationNamespace}/${host}`);
      }
    }
  }

  /**
   * The Deployment of one version (escape hatch: its pod template is what the
   * version runs, in the service's Deployment or in a Rollout that runs it).
   */
  public deploymentOf(version: string): kplus.Deployment {
    checkArgs(this, 'MeshService.deploymentOf', arguments);
    const d = this._deployments.get(version);
    if (!d) {
      throw propError(this, 'version', `must name one of the versions (${this.versions.map((v) => JSON.stringify(v)).join(', ')})`, version,
        'pass an existing version name');
    }
    return d;
  }

  /** @internal */
  public _toModel(): ServiceModel {
    return {
      path: this.node.path,
      name: this.serviceName,
      namespace: this.namespace,
      host: this.host,
      serviceAccount: this.serviceAccount.name,
      selector: { app: this.serviceName },
      ports: this._ports,
      versions: [...this._versions],
      stableVersion: this._stableVersion,
      ...(this.appMetrics ? { metrics: { port: this.appMetrics.port, path: this.appMetrics.path } } : {}),
      containerSecurity: {
        runAsNonRoot: this.workloadSecurity.ensureNonRoot,
        user: this.workloadSecurity.user,
        allowPrivilegeEscalation: this.workloadSecurity.allowPrivilegeEscalation,
        addCapabilities: this.workloadSecurity.addCapabilities.map(String),
      },
    };
  }

  /**
   * The Sidecar scoping the egress of the service's pods, when they get one. It selects only
   * pods of this service, which a revisioned control plane serves: labelled with that
   * revision, the other revisions' istiods (and the one holding the cluster-wide analysis
   * lease, which sees only its own revision's pods) leave it alone.
   */
  private attachSidecar(slot: Construct, snapshot: MeshSnapshot, metadata: SidecarMetadata): ApiObject | undefined {
    const s = snapshot.service(this.host);
    if (!s?.egressScoped) return undefined;
    const labels = s.revision ? { ...metadata.labels, 'istio.io/rev': s.revision } : metadata.labels;
    return new Sidecar(slot, 'Resource', { metadata: { ...metadata, labels }, spec: Lazy.any({ produce: () => renderSidecarSpec(this.snapshot()) }) });
  }

  private snapshot() {
    const s = snapshotOf(this.model).service(this.host);
    if (!s) throw new Error(`internal: ${this.node.path} is not in the snapshot`);
    return s;
  }

  private labels(): Record<string, string> {
    return { 'app': this.serviceName, 'app.kubernetes.io/name': this.serviceName };
  }

  /** The labels of a version's pods the service declares (how they join the mesh is resolved in the snapshot). */
  private versionLabels(version: string): Record<string, string> {
    return { 'app': this.serviceName, 'version': version, 'app.kubernetes.io/name': this.serviceName, 'app.kubernetes.io/version': version };
  }

  private validateStableVersion(props: MeshServiceProps): string {
    if (!props.versions || props.versions.length === 0) {
      throw propError(this, 'versions', 'must list at least one version', props.versions ?? [],
        'add a version, e.g. versions: [{ name: \'v1\', image: \'...\' }]');
    }
    const stable = props.stableVersion ?? props.versions[0].name;
    if (!props.versions.some((v) => v.name === stable)) {
      throw propError(this, 'stableVersion', `must name one of the versions (${props.versions.map((v) => JSON.stringify(v.name)).join(', ')})`,
        stable, 'set stableVersion to an existing version name or add that version');
    }
    return stable;
  }

  private validateRoutingApi(api: RoutingApi): RoutingApi {
    if (!Object.values(RoutingApi).includes(api)) {
      throw propError(this, 'routingApi', `must be one of ${Object.values(RoutingApi).map((v) => JSON.stringify(v)).join(', ')}`, api, 'use RoutingApi.ISTIO or RoutingApi.GATEWAY_API');
    }
    this.model.setRoutingApi(this.host, api);
    return api;
  }

  /** Records how the pods ask to join the mesh; the mode is resolved in the snapshot (AMB005 and AMB006 check the combinations). */
  private recordDataPlane(props: MeshServiceProps): void {
    const mode = props.dataPlaneMode === undefined ? undefined : props.dataPlaneMode === DataPlaneMode.AMBIENT ? 'ambient' : 'sidecar';
    this.model.setServiceDataPlane({
      path: this.node.path,
      host: this.host,
      namespace: this.namespace,
      mode,
      revision: props.controlPlane?.revision,
      egressScoping: props.egressScoping,
    });
    if (props.clientTlsMode !== undefined) this.model.setClientTls({ path: this.node.path, host: this.host, mode: props.clientTlsMode });
  }

  /** The Kubernetes Service: named, `appProtocol`-tagged ports; attached to the namespace's waypoint when the service uses one. */
  private createService(metadata: { name: string; namespace: string; labels: Record<string, string> }): kplus.Service {
    const service = new kplus.Service(this, 'Service', {
      metadata,
      ports: this._ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: kplus.Protocol.TCP })),
    });
    service.selectLabel('app', this.serviceName);
    this._ports.forEach((p, i) => ApiObject.of(service).addJsonPatch(JsonPatch.add(`/spec/ports/${i}/appProtocol`, p.protocol)));
    this.attachToWaypoint(ApiObject.of(service));
    return service;
  }

  /**
   * Labels a Service of this service so an ambient waypoint serves it, when
   * the snapshot attaches the service to one: `istio.io/use-waypoint`, and
   * `istio.io/ingress-use-waypoint` so ingress traffic takes the waypoint too.
   */
  private attachToWaypoint(service: ApiObject): void {
    const waypoint = () => snapshotOf(this.model).service(this.host)?.waypoint;
    service.metadata.addLabel('istio.io/use-waypoint', Lazy.any({ produce: waypoint }));
    service.metadata.addLabel('istio.io/ingress-use-waypoint', Lazy.any({ produce: () => (waypoint() ? 'true' : undefined) }));
  }

  /** The Gateway API objects that replace the VirtualService (a TCP-only service keeps its L4 default route in the VirtualService). */
  private createGatewayApiRouting(): GatewayApiServiceRouting | undefined {
    if (this.routingApi !== RoutingApi.GATEWAY_API || this._ports.every((p) => p.protocol === 'tcp')) return undefined;
    return new GatewayApiServiceRouting(this, this.model, this._toModel(), this.labels(), (s) => this.attachToWaypoint(s));
  }

  private register(): void {
    const clash = this.model.addService(this._toModel());
    if (clash) {
      throw propError(this, 'serviceName', `must be unique per namespace: ${clash.path} already declares host ${clash.host}`, this.serviceName,
        'give one of the services another serviceName or namespace');
    }
  }

  /** Checks a version's props; returns its replicas. */
  private validateVersion(prop: string, version: MeshServiceVersion): number {
    validateDnsLabel(this, `${prop}.name`, version.name);
    if (this._versions.some((v) => v.name === version.name)) {
      throw propError(this, `${prop}.name`, 'must be unique within a MeshService', version.name, 'give each version a distinct name, e.g. v1 and v2');
    }
    if (!version.image || /\s/.test(version.image)) {
      throw propError(this, `${prop}.image`, 'must be a container image reference without whitespace', version.image, 'set image, e.g. \'ghcr.io/acme/app:1.0.0\'');
    }
    if (version.image.includes('//') || version.image.endsWith('/') || version.image.startsWith('/')) {
      throw propError(this, `${prop}.image`, 'must not contain an empty path segment (\'//\', or a leading or trailing \'/\'): the kubelet cannot pull it', version.image,
        'join registry, repository and tag without doubled slashes, e.g. \'ghcr.io/acme/app:1.0.0\'');
    }
    for (const k of Object.keys(version.env ?? {})) validateEnvName(this, `${prop}.env.${k}`, k);
    this.model.addImage({ path: this.node.path, prop: `${prop}.image`, image: version.image });
    const replicas = version.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw propError(this, `${prop}.replicas`, 'must be a whole number >= 0', version.replicas, 'set replicas to 0 or more');
    }
    return replicas;
  }

  /** The version's Deployment, built in the service's workload workspace. */
  private buildDeployment(prop: string, version: MeshServiceVersion, replicas: number): kplus.Deployment {
    const security = this.workloadSecurity;
    const volumes = validateVolumes(this, prop, version.volumes, security.readOnlyRootFilesystem);
    const labels = this.versionLabels(version.name);
    const deployment = new kplus.Deployment(this.workspace.scope, `Deployment-${version.name}`, {
      metadata: { name: `${this.serviceName}-${version.name}`, namespace: this.namespace, labels },
      replicas,
      select: false,
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: security.ensureNonRoot, user: security.user, group: security.group, fsGroup: security.group },
    });
    deployment.select(kplus.LabelSelector.of({ labels: { app: this.serviceName, version: version.name } }));
    for (const [k, v] of Object.entries(labels)) deployment.podMetadata.addLabel(k, v);
    for (const key of MESH_POD_LABELS) {
      const value = () => snapshotOf(this.model).service(this.host)?.versions.find((x) => x.name === version.name)?.podLabels[key];
      deployment.podMetadata.addLabel(key, Lazy.any({ produce: value }));
    }
    // the app's own metrics endpoint, which the injector rewrites to the merged one (15020)
    for (const [k, v] of Object.entries(meshScrapeAnnotations(this.appMetrics))) deployment.podMetadata.addAnnotation(k, v);
    const container = deployment.addContainer(this.containerProps(version));
    if (security.readOnlyRootFilesystem && !volumes.some((v) => v.path === '/tmp')) {
      container.mount('/tmp', kplus.Volume.fromEmptyDir(deployment, `tmp-${version.name}`, 'tmp'));
    }
    for (const v of volumes) v._mount(deployment, container, `volume-${v.name}`);
    return deployment;
  }

  private containerProps(version: MeshServiceVersion): kplus.ContainerProps {
    const env: Record<string, kplus.EnvValue> = {};
    for (const [k, v] of Object.entries({ ...this.props.env, ...version.env })) env[k] = kplus.EnvValue.fromValue(v);
    const security = this.workloadSecurity;
    return {
      name: this.serviceName,
      image: version.image,
      command: version.command,
      args: version.args,
      ports: this._ports.map((p) => ({ number: p.targetPort, name: p.name, protocol: kplus.Protocol.TCP })),
      envVariables: env,
      resources: version.resources ?? this.props.resources ?? DEFAULT_RESOURCES,
      readiness: version.readiness ?? this.props.readiness,
      liveness: version.liveness ?? this.props.liveness,
      securityContext: {
        ensureNonRoot: security.ensureNonRoot,
        user: security.user,
        group: security.group,
        readOnlyRootFilesystem: security.readOnlyRootFilesystem,
        allowPrivilegeEscalation: security.allowPrivilegeEscalation,
        privileged: false,
        capabilities: { drop: [kplus.Capability.ALL], add: security.addCapabilities.length ? security.addCapabilities : undefined },
        seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
      },
    };
  }
}

/** Pod labels that say how a version's pods join the mesh (resolved in the snapshot: ambient, sidecar, revision). */
const MESH_POD_LABELS: readonly string[] = ['sidecar.istio.io/inject', 'istio.io/dataplane-mode', 'istio.io/rev'];
