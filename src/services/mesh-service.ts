import { ApiObject, Chart, JsonPatch, Lazy, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { GatewayApiServiceRouting } from './gateway-api-routing';
import { finalizeAmbientService } from './private/ambient-service';
import { resolveWorkloadSecurity, validatePorts, validateVolumes, WorkloadSecurity } from './private/workload';
import { WorkloadSecurityOptions } from './workload-security';
import { WorkloadVolume } from './workload-volume';
import { recordImage } from '../analysis/rules/risk-rules';
import { DataPlaneMode } from '../control-plane/ambient';
import { IMeshControlPlane } from '../control-plane/istio-control-plane';
import { AppMetricsEndpointModel, appMetricsEndpoint, meshScrapeAnnotations } from '../data-plane/scrape';
import { DestinationRule, Sidecar, VirtualService } from '../imports/networking.istio.io';
import { MeshModel, PortModel, ServiceModel, VersionModel } from '../model';
import { addAmbientFinalizer, finalizeAmbient, namespaceDataPlaneOf, setServiceDataPlane } from '../model/ambient';
import { addWorkloadPodSecurity, containerPodSecurity } from '../model/pod-security';
import { emitsDeployment, onWorkloadsChanged, putWorkload } from '../model/releases';
import { MeshRouting, RoutingApi, setRoutingApi } from '../model/routing';
import { clientTlsModeOf, setClientTls } from '../model/security';
import { MeshServicePort, Protocol } from '../model/service-port';
import { IMeshDestination, IMeshIdentity, IMeshService } from '../model/shared-interfaces';
import { trafficOf } from '../model/traffic';
import { propError } from '../private/errors';
import { validateDnsLabel, validateEnvName, validateServiceName } from '../private/names';
import { checkArgs } from '../private/runtime-types';
import { renderDestinationRuleSpec } from '../render/destination-rule';
import { renderSidecarSpec } from '../render/sidecar';
import { renderVirtualServiceSpec } from '../render/virtual-service';
// --- security (src/security) ---
import { AllowFromOptions, AuthorizationRule, DenyFromOptions, RequireJwtOptions, ServiceAuthorization } from '../security/authorization';
import { AuthzSource } from '../security/authz-source';
import { JwtAuthentication } from '../security/jwt';
import { ClientTlsMode } from '../security/mtls';
import { MeshRoute, MeshRouteOptions } from '../traffic/mesh-route';
import { setServiceTrafficPolicy, setVersionTrafficPolicy } from '../traffic/private/traffic-policy';
import { TrafficPolicy } from '../traffic/traffic-policy';
// --- end security ---


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

  // --- observability: the application's own metrics ---
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
  // --- end observability ---

  // --- security (src/security) ---
  /**
   * TLS that client sidecars use toward this service (the DestinationRule's
   * `trafficPolicy.tls.mode`). `DISABLE` is a synth error while the
   * service's workloads are under STRICT mTLS.
   *
   * @default ClientTlsMode.ISTIO_MUTUAL
   * @see https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings
   */
  readonly clientTlsMode?: ClientTlsMode;
  // --- end security ---
  // --- control-plane area: revision binding ---------------------------------
  /**
   * The control plane (revision) whose sidecar the pods get: a revisioned
   * control plane adds the pod label `istio.io/rev: <revision>`.
   *
   * @default - whichever control plane the namespace is bound to (default revision otherwise)
   */
  readonly controlPlane?: IMeshControlPlane;
  // --- end control-plane area -----------------------------------------------
  // --- Gateway API (issue 17) ---
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
  // --- end Gateway API ---

  // --- ambient (issue 17) ---
  /**
   * How the pods of this service join the mesh. `AMBIENT`: no sidecar (pods
   * labelled `sidecar.istio.io/inject: "false"` and
   * `istio.io/dataplane-mode: ambient`), no Istio `Sidecar` resource; the
   * node's ztunnel carries the traffic and enforces L4 authorization, and a
   * waypoint is declared when the service's intent needs L7.
   *
   * @default - the mode of the service's `MeshNamespace` (declared before the
   * service), else `DataPlaneMode.SIDECAR`
   * @see https://istio.io/latest/docs/ambient/overview/
   */
  readonly dataPlaneMode?: DataPlaneMode;
  // --- end ambient ---
}

const DEFAULT_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
};

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
 * const chart = new Chart(new App(), 'shop', { namespace: 'shop' });
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
  /** The Istio Sidecar scoping egress, unless `egressScoping` is false or the service is ambient. */
  public readonly sidecar?: ApiObject;
  /** How the pods of this service join the mesh. */
  public readonly dataPlaneMode: DataPlaneMode;

  private readonly model: MeshModel;
  private readonly _ports: PortModel[];
  private readonly appMetrics?: AppMetricsEndpointModel;
  private readonly _versions: VersionModel[] = [];
  private readonly _deployments = new Map<string, kplus.Deployment>();
  private readonly _stableVersion: string;
  private readonly props: MeshServiceProps;
  private readonly gatewayApi?: GatewayApiServiceRouting;
  private readonly security: WorkloadSecurity;

  constructor(scope: Construct, id: string, props: MeshServiceProps) {
    super(scope, id);
    checkArgs(this, 'MeshService.new', arguments);
    this.props = props;
    this.model = MeshModel.of(this);

    this.serviceName = props.serviceName !== undefined
      ? validateDnsLabel(this, 'serviceName', props.serviceName)
      : validateDnsLabel(this, 'serviceName', id, undefined);
    validateServiceName(this, 'serviceName', this.serviceName);
    this.namespace = validateDnsLabel(this, 'namespace', props.namespace ?? Chart.of(this).namespace ?? 'default');
    for (const k of Object.keys(props.env ?? {})) validateEnvName(this, `env.${k}`, k);
    this.host = this.model.hostOf(this.serviceName, this.namespace);
    const serviceAccountName = validateDnsLabel(this, 'serviceAccountName', props.serviceAccountName ?? this.serviceName);
    this.security = resolveWorkloadSecurity(this, props.security ?? {});
    this._ports = validatePorts(this, props.ports ?? [{ port: 80, targetPort: 8080, protocol: Protocol.HTTP }]);
    this.appMetrics = props.metrics ? appMetricsEndpoint(this, props.metrics) : undefined;

    if (!props.versions || props.versions.length === 0) {
      throw propError(this, 'versions', 'must list at least one version', props.versions ?? [],
        'add a version, e.g. versions: [{ name: \'v1\', image: \'...\' }]');
    }
    const stable = props.stableVersion ?? props.versions[0].name;
    if (!props.versions.some((v) => v.name === stable)) {
      throw propError(this, 'stableVersion', `must name one of the versions (${props.versions.map((v) => JSON.stringify(v.name)).join(', ')})`,
        stable, 'set stableVersion to an existing version name or add that version');
    }
    this._stableVersion = stable;

    // --- ambient (issue 17) ---
    const nsMode = namespaceDataPlaneOf(this.model, this.namespace)?.mode;
    this.dataPlaneMode = props.dataPlaneMode ?? (nsMode === 'ambient' ? DataPlaneMode.AMBIENT : DataPlaneMode.SIDECAR);
    const ambient = this.dataPlaneMode === DataPlaneMode.AMBIENT;
    if (ambient && props.egressScoping !== undefined) {
      throw propError(this, 'egressScoping', 'has no effect on an ambient service (an Istio Sidecar resource configures sidecars only)', props.egressScoping,
        'remove egressScoping, or set dataPlaneMode: DataPlaneMode.SIDECAR');
    }
    if (ambient && props.controlPlane?.revision) {
      throw propError(this, 'controlPlane', 'must be the default revision for an ambient service: its pods are captured by the node\'s ztunnel, not injected by a revision',
        props.controlPlane.revision, 'remove controlPlane, or set dataPlaneMode: DataPlaneMode.SIDECAR');
    }
    setServiceDataPlane(this.model, {
      path: this.node.path, host: this.host, namespace: this.namespace, mode: ambient ? 'ambient' : 'sidecar', explicit: props.dataPlaneMode !== undefined,
    });
    const podSecurity = containerPodSecurity({
      runAsNonRoot: this.security.ensureNonRoot,
      user: this.security.user,
      allowPrivilegeEscalation: this.security.allowPrivilegeEscalation,
      addCapabilities: this.security.addCapabilities.map(String),
      injectedSidecar: !ambient,
    });
    addWorkloadPodSecurity(this.model, { path: this.node.path, namespace: this.namespace, ...podSecurity });
    // --- end ambient ---
    const labels = { 'app': this.serviceName, 'app.kubernetes.io/name': this.serviceName };
    const metadata = { name: this.serviceName, namespace: this.namespace, labels };

    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { ...metadata, name: serviceAccountName },
      automountToken: false,
    });

    this.service = new kplus.Service(this, 'Service', {
      metadata,
      ports: this._ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: kplus.Protocol.TCP })),
    });
    this.service.selectLabel('app', this.serviceName);
    this._ports.forEach((p, i) => ApiObject.of(this.service).addJsonPatch(JsonPatch.add(`/spec/ports/${i}/appProtocol`, p.protocol)));

    this.destinationRule = new DestinationRule(this, 'DestinationRule', {
      metadata,
      spec: Lazy.any({ produce: () => renderDestinationRuleSpec(this._toModel(), this.model, clientTlsModeOf(this.model, this.host)) }),
    });
    // --- Gateway API (issue 17): HTTPRoutes and per-version Services instead of the VirtualService ---
    this.routingApi = props.routingApi ?? MeshRouting.of(this);
    if (!Object.values(RoutingApi).includes(this.routingApi)) {
      throw propError(this, 'routingApi', `must be one of ${Object.values(RoutingApi).map((v) => JSON.stringify(v)).join(', ')}`, this.routingApi, 'use RoutingApi.ISTIO or RoutingApi.GATEWAY_API');
    }
    setRoutingApi(this.model, this.host, this.routingApi);
    // a TCP-only service has no HTTP routing: its L4 default route stays the VirtualService's
    if (this.routingApi === RoutingApi.GATEWAY_API && this._ports.some((p) => p.protocol !== 'tcp')) {
      this.gatewayApi = new GatewayApiServiceRouting(this, this.model, () => this._toModel(),
        () => renderDestinationRuleSpec(this._toModel(), this.model, clientTlsModeOf(this.model, this.host)), labels);
    }
    this.httpRoutes = this.gatewayApi?.httpRoutes ?? [];
    this.virtualService = this.gatewayApi?.httpRoutes[0] ?? new VirtualService(this, 'VirtualService', {
      metadata,
      spec: Lazy.any({ produce: () => renderVirtualServiceSpec(this.model, this._toModel()) }),
    });
    // --- end Gateway API ---

    if (!ambient && (props.egressScoping ?? true)) {
      // it selects only pods of this service, which a revisioned control plane serves: labelled with
      // that revision, other revisions' istiods (and the one holding the cluster-wide analysis lease,
      // which sees only its own revision's pods) leave it alone
      const revision = props.controlPlane?.revision;
      this.sidecar = new Sidecar(this, 'Sidecar', {
        metadata: revision ? { ...metadata, labels: { ...labels, 'istio.io/rev': revision } } : metadata,
        spec: Lazy.any({ produce: () => renderSidecarSpec(this.model, this._toModel()) }),
      });
    }
    this.node.addValidation({ validate: () => this.model.errorsFor(this.node.path) });
    // ambient: the waypoint and the labels that attach the service to it depend on the whole
    // app's intent, so they are added when cdk8s validates the app (before it renders any object)
    if (ambient) {
      addAmbientFinalizer(this.model, () => finalizeAmbientService(this, this._toModel()));
      this.node.addValidation({ validate: () => { finalizeAmbient(this.model); return []; } });
    }

    // --- releases: a version run by an Argo Rollouts Rollout gets no Deployment of its own (asked of the model) ---
    onWorkloadsChanged(this.model, this.host, () => this.emitDeployments());
    // --- end releases ---
    for (const v of props.versions) this.addVersion(v);
    // --- traffic (issue 3): whole-graph traffic findings reported on the service (e.g. default route to 0 replicas) ---
    trafficOf(this.model, this.host);
    // --- end traffic ---
    const clash = this.model.addService(this._toModel());
    if (clash) {
      throw propError(this, 'serviceName', `must be unique per namespace: ${clash.path} already declares host ${clash.host}`, this.serviceName,
        'give one of the services another serviceName or namespace');
    }
    // --- security (src/security) ---
    if (props.clientTlsMode !== undefined) setClientTls(this.model, { path: this.node.path, host: this.host, mode: props.clientTlsMode });
    // --- end security ---
  }

  // --- traffic (issue 3) ---
  /**
   * Adds an HTTP routing rule to the service's VirtualService. Rules are
   * evaluated in the order they are added; the default route (the stable
   * version, or a release's split) stays last.
   *
   * @returns the route
   * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRoute
   */
  public addRoute(options: MeshRouteOptions = {}): MeshRoute {
    checkArgs(this, 'MeshService.addRoute', arguments);
    return MeshRoute._add(this, options);
  }

  /**
   * Sets the service-wide traffic policy of the DestinationRule (load
   * balancer, connection pool, outlier detection). Replaces a previous one.
   *
   * @see https://istio.io/latest/docs/reference/config/networking/destination-rule/#TrafficPolicy
   */
  public configureTrafficPolicy(policy: TrafficPolicy): void {
    checkArgs(this, 'MeshService.configureTrafficPolicy', arguments);
    setServiceTrafficPolicy(this, policy);
  }

  /**
   * Sets the traffic policy of one version (the DestinationRule subset's
   * `trafficPolicy`, which overrides the service-wide one field by field).
   * Replaces a previous one for the same version.
   *
   * @see https://istio.io/latest/docs/reference/config/networking/destination-rule/#Subset
   */
  public configureVersionTrafficPolicy(version: string, policy: TrafficPolicy): void {
    checkArgs(this, 'MeshService.configureVersionTrafficPolicy', arguments);
    setVersionTrafficPolicy(this, version, policy);
  }
  // --- end traffic ---
  // --- security (src/security): authorization derived from the service graph ---

  /**
   * Admits requests from another workload of the mesh (a MeshService or a
   * gateway), identified by its ServiceAccount principal
   * `<trust-domain>/ns/<namespace>/sa/<serviceAccount>`, optionally only
   * some methods, paths and ports. Records the caller -> callee edge.
   *
   * Deny by default: once a service has an allow rule, every request no
   * allow rule matches is denied (Istio ALLOW semantics).
   *
   * @returns the rule added to the service's `<service>-allow` AuthorizationPolicy
   */
  public allowFrom(caller: IMeshIdentity, options?: AllowFromOptions): AuthorizationRule {
    checkArgs(this, 'MeshService.allowFrom', arguments);
    return ServiceAuthorization.of(this)._allow(AuthzSource.identity(caller), options ?? {}, 'allowFrom');
  }

  /**
   * Admits requests from a typed source, e.g. a ServiceAccount or principal
   * managed outside this app.
   *
   * @returns the rule added to the service's `<service>-allow` AuthorizationPolicy
   */
  public allowFromSource(source: AuthzSource, options?: AllowFromOptions): AuthorizationRule {
    checkArgs(this, 'MeshService.allowFromSource', arguments);
    return ServiceAuthorization.of(this)._allow(source, options ?? {}, 'allowFromSource');
  }

  /**
   * Admits requests from every workload of a namespace.
   *
   * @returns the rule added to the service's `<service>-allow` AuthorizationPolicy
   */
  public allowFromNamespace(namespace: string, options?: AllowFromOptions): AuthorizationRule {
    checkArgs(this, 'MeshService.allowFromNamespace', arguments);
    return ServiceAuthorization.of(this)._allow(AuthzSource.namespace(namespace), options ?? {}, 'allowFromNamespace');
  }

  /**
   * Rejects requests from a source (evaluated before any allow rule).
   *
   * @returns the rule added to the service's `<service>-deny` AuthorizationPolicy
   */
  public denyFrom(source: AuthzSource, options?: DenyFromOptions): AuthorizationRule {
    checkArgs(this, 'MeshService.denyFrom', arguments);
    return ServiceAuthorization.of(this).denyFrom(source, options ?? {});
  }

  /**
   * Requires a valid end-user token of `authentication`'s issuer (and
   * optional claims) on some or all operations of this service.
   *
   * @returns the rule added to the service's `<service>-require-jwt` AuthorizationPolicy
   */
  public requireJwt(authentication: JwtAuthentication, options?: RequireJwtOptions): AuthorizationRule {
    checkArgs(this, 'MeshService.requireJwt', arguments);
    return ServiceAuthorization.of(this).requireJwt(authentication, options ?? {});
  }
  // --- end security ---

  /** Names of the versions, in declaration order. */
  public get versions(): string[] {
    return this._versions.map((v) => v.name);
  }

  /** The version that receives traffic by default. */
  public get stableVersion(): string {
    return this._stableVersion;
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
   * Adds a version: a Deployment and a DestinationRule subset.
   *
   * @returns the version's Deployment
   */
  public addVersion(version: MeshServiceVersion): kplus.Deployment {
    checkArgs(this, 'MeshService.addVersion', arguments);
    const index = this._versions.length;
    const prop = `versions[${index}]`;
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
    recordImage(this, `${prop}.image`, version.image);
    const replicas = version.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw propError(this, `${prop}.replicas`, 'must be a whole number >= 0', version.replicas, 'set replicas to 0 or more');
    }
    const volumes = validateVolumes(this, prop, version.volumes, this.security.readOnlyRootFilesystem);
    const defaultTmp = this.security.readOnlyRootFilesystem && !volumes.some((v) => v.path === '/tmp');

    const podLabels: Record<string, string> = {
      'app': this.serviceName,
      'version': version.name,
      'app.kubernetes.io/name': this.serviceName,
      'app.kubernetes.io/version': version.name,
      ...(this.dataPlaneMode === DataPlaneMode.AMBIENT ? {
        // ambient: never injected, captured by the node's ztunnel
        'sidecar.istio.io/inject': 'false',
        'istio.io/dataplane-mode': 'ambient',
      } : {
        'sidecar.istio.io/inject': 'true',
        // control-plane area: bind the pods to a revisioned control plane
        ...(this.props.controlPlane?.revision ? { 'istio.io/rev': this.props.controlPlane.revision } : {}),
      }),
    };
    const deployment = new kplus.Deployment(this, `Deployment-${version.name}`, {
      metadata: {
        name: `${this.serviceName}-${version.name}`,
        namespace: this.namespace,
        labels: { 'app': this.serviceName, 'version': version.name, 'app.kubernetes.io/name': this.serviceName, 'app.kubernetes.io/version': version.name },
      },
      replicas,
      select: false,
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      securityContext: {
        ensureNonRoot: this.security.ensureNonRoot,
        user: this.security.user,
        group: this.security.group,
        fsGroup: this.security.group,
      },
    });
    deployment.select(kplus.LabelSelector.of({ labels: { app: this.serviceName, version: version.name } }));
    for (const [k, v] of Object.entries(podLabels)) deployment.podMetadata.addLabel(k, v);
    // --- observability: the app's own endpoint, which the injector rewrites to the merged one (15020) ---
    for (const [k, v] of Object.entries(meshScrapeAnnotations(this.appMetrics))) deployment.podMetadata.addAnnotation(k, v);
    // --- end observability ---

    const env: Record<string, kplus.EnvValue> = {};
    for (const [k, v] of Object.entries({ ...this.props.env, ...version.env })) env[k] = kplus.EnvValue.fromValue(v);

    const container = deployment.addContainer({
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
        ensureNonRoot: this.security.ensureNonRoot,
        user: this.security.user,
        group: this.security.group,
        readOnlyRootFilesystem: this.security.readOnlyRootFilesystem,
        allowPrivilegeEscalation: this.security.allowPrivilegeEscalation,
        privileged: false,
        capabilities: { drop: [kplus.Capability.ALL], add: this.security.addCapabilities.length ? this.security.addCapabilities : undefined },
        seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
      },
    });
    if (defaultTmp) {
      container.mount('/tmp', kplus.Volume.fromEmptyDir(deployment, `tmp-${version.name}`, 'tmp'));
    }
    for (const v of volumes) v._mount(deployment, container, `volume-${v.name}`);

    this._versions.push({ name: version.name, replicas, podLabels });
    this._deployments.set(version.name, deployment);
    // --- releases: the version's workload, for a Rollout that runs it ---
    putWorkload(this.model, this.host, version.name, {
      ownerPath: this.node.path,
      deploymentName: deployment.name,
      podTemplate: () => ApiObject.of(deployment).toJson().spec.template,
    });
    this.emitDeployments();
    // --- end releases ---
    this.gatewayApi?.addVersion(version.name); // Gateway API (issue 17): the version's Service
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
        for (const host of target.destinationHosts) {
          this.model.addEgressHost(this.host, `${target.destinationNamespace}/${host}`);
        }
      }
    }
  }

  /**
   * The Deployment of one version (escape hatch).
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

  /**
   * Emits the Deployment of each version unless the model says a Rollout
   * runs that version (`emitsDeployment()`); asked whenever a version, a
   * release or a Rollout of this service is declared, so the order of those
   * declarations does not matter.
   */
  private emitDeployments(): void {
    for (const [version, deployment] of this._deployments) {
      if (!emitsDeployment(this.model, this.host, version)) this.node.tryRemoveChild(deployment.node.id);
    }
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
      egressScoped: this.sidecar !== undefined,
    };
  }
}
