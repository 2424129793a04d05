import * as fs from 'fs';
import { ApiObject, ApiObjectProps, Duration, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AmbientOptions, DataPlaneMode } from './ambient';
import { ISTIO_DEFAULT_HUB, ISTIO_VERSION } from './istio-release';
import { AccessLogEncoding, OutboundTrafficPolicyMode } from './mesh-config';
import { PodSecurityLevelInfo } from './pod-security';
import { DEFAULT_CRD_FILE, isCrd, loadCrds } from './private/crds';
import { loadGatewayApiCrds } from './private/gateway-api-crds';
import { injectionTemplates } from './private/templates';
import { EnvoyFileAccessLogProvider, IAccessLogProvider, ITracingProvider } from './providers';
import { AmbientAgentsModel, ControlPlaneModel, ResourcesModel } from '../model/control-plane';
import { MeshModel } from '../model/mesh-model';
import { namespacePodSecurity, PodSecurityVerdict } from '../model/pod-security';
import { snapshotOf } from '../model/resolve';
import { toResourcesModel } from '../model/resources';
import { MeshSnapshot } from '../model/snapshot';
import { clusterScoped } from '../private/cluster-scoped';
import { propError } from '../private/errors';
import { validateDnsLabel } from '../private/names';
import { checkArgs } from '../private/runtime-types';
import { renderInjectorConfig, renderInjectorValues } from '../render/control-plane/injector';
import { ClusterRoleGrant, renderCniClusterRoles, renderCniConfigMap, renderCniDaemonSet, renderCniServiceAccount } from '../render/control-plane/istio-cni';
import {
  istiodAutoscaled, istiodObjectMeta, renderIstiodAutoscalerSpec, renderIstiodDeploymentSpec, renderIstiodDisruptionBudgetSpec,
  renderIstiodServiceSpec,
} from '../render/control-plane/istiod';
import { renderMeshConfigYaml } from '../render/control-plane/mesh-config';
import { controlPlaneNames, istiodMeta } from '../render/control-plane/names';
import {
  renderIstiodClusterRoles, renderIstiodRole, renderIstiodRoleBinding, renderIstiodServiceAccount, renderReaderClusterRole,
  renderReaderServiceAccount,
} from '../render/control-plane/rbac';
import {
  renderDefaultValidationWebhookConfiguration, renderInjectionWebhookConfiguration, renderValidationWebhookConfiguration,
} from '../render/control-plane/webhooks';
import { renderZtunnelDaemonSet, renderZtunnelServiceAccount } from '../render/control-plane/ztunnel';
import { ENVOY_DEFAULT_RESOURCES, EnvoyPorts } from '../render/proxy';
import { addMeshValidation, meshOf } from '../synth/mesh';
import { ObjectSlot } from '../synth/object-slot';

export { ISTIO_DEFAULT_HUB, ISTIO_VERSION } from './istio-release';

/**
 * A control plane that data-plane workloads and namespaces bind to (by revision).
 */
export interface IMeshControlPlane {
  /** Namespace istiod runs in. */
  readonly namespace: string;
  /** Revision name; undefined for the default revision. */
  readonly revision?: string;
}

/**
 * Properties of an `IstioControlPlane`.
 */
export interface IstioControlPlaneProps {
  /**
   * Namespace istiod runs in (emitted as a Namespace object).
   *
   * @default 'istio-system'
   */
  readonly namespace?: string;

  /**
   * Revision of this control plane. A revisioned control plane gets
   * `-<revision>` names and `istio.io/rev: <revision>` labels, and only injects
   * namespaces/pods labelled `istio.io/rev: <revision>`, so two control planes
   * can run side by side during a canary upgrade.
   *
   * @default - the default revision (also serves `istio-injection: enabled`)
   * @see https://istio.io/latest/docs/setup/upgrade/canary/
   */
  readonly revision?: string;

  /**
   * Image registry of the `pilot` and `proxyv2` images.
   *
   * @default 'docker.io/istio'
   */
  readonly hub?: string;

  /**
   * Image tag (the Istio version) of the `pilot` and `proxyv2` images.
   *
   * @default '1.30.3' (ISTIO_VERSION)
   */
  readonly tag?: string;

  /**
   * Emit the Istio CustomResourceDefinitions. Turn off for clusters whose CRDs
   * are managed elsewhere (or by the other control plane of a canary upgrade).
   *
   * @default true
   */
  readonly crds?: boolean;

  /**
   * Path of a CRD file (multi-document YAML, as `manifests/charts/base/files/crd-all.gen.yaml`
   * of the Istio release) to emit instead of the pinned one, for another Istio version.
   *
   * @default - the CRD file of Istio 1.30.3 shipped with cdk8s-mesh
   */
  readonly crdFile?: string;

  /**
   * Also emit the Kubernetes Gateway API CustomResourceDefinitions (standard channel of
   * Gateway API v1.5.1, the release Istio 1.30.3 is built against: GatewayClass, Gateway,
   * HTTPRoute, GRPCRoute, ReferenceGrant, BackendTLSPolicy, ListenerSet, TLSRoute), in the
   * same sync wave as the Istio CRDs. Needed for `MeshRoutingApi.GATEWAY_API` routing on a
   * cluster that does not install them already (many managed clusters do: leave it off there).
   *
   * Ambient mode needs them too: its waypoints are Gateway API `Gateway`s (class
   * `istio-waypoint`). With `dataPlane: DataPlaneMode.AMBIENT` they are emitted unless
   * `gatewayApiCrds: false` (the cluster installs them already) or `crds: false` (CRDs are
   * managed outside this app). No check stops waypoints being emitted with the CRDs off: the
   * cluster may have them; without them the waypoints are rejected at apply time.
   *
   * @default - true with `dataPlane: DataPlaneMode.AMBIENT` unless `crds` is false; false otherwise
   */
  readonly gatewayApiCrds?: boolean;

  /**
   * Label the control plane's namespace (when this control plane emits it) with the
   * strictest Pod Security Standard its pods pass (`pod-security.kubernetes.io/enforce`,
   * `audit` and `warn`): `restricted` for istiod, gateways and addons, which run
   * unprivileged with the RuntimeDefault seccomp profile; `privileged` where the ambient
   * node agents run (istio-cni and ztunnel need host access and NET_ADMIN).
   *
   * @default false - no Pod Security labels (the cluster's default level applies)
   * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
   */
  readonly podSecurityLabels?: boolean;

  /**
   * Minimum (and initial) number of istiod replicas.
   *
   * @default 1
   */
  readonly replicas?: number;

  /**
   * Maximum istiod replicas of the HorizontalPodAutoscaler. Equal to `replicas`
   * disables autoscaling. A PodDisruptionBudget (`minAvailable: 1`) is emitted
   * when `replicas` is above 1.
   *
   * @default 5
   */
  readonly autoscaleMaxReplicas?: number;

  /**
   * CPU utilization (percent of requests) the autoscaler targets.
   *
   * @default 80
   */
  readonly autoscaleTargetCpuUtilization?: number;

  /**
   * Compute resources of istiod.
   *
   * @default - requests 500m CPU / 2048Mi memory, no limits (upstream defaults)
   */
  readonly resources?: kplus.ContainerResources;

  /**
   * Compute resources of every injected proxy (sidecars and injected gateways).
   *
   * @default - requests 100m / 128Mi, limits 2000m / 1024Mi
   */
  readonly proxyResources?: kplus.ContainerResources;

  /**
   * SPIFFE trust domain of the mesh.
   *
   * @default - the mesh model's trust domain (`cluster.local`)
   * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-trust_domain
   */
  readonly trustDomain?: string;

  /**
   * Root namespace: mesh-wide policies (PeerAuthentication, Sidecar, Telemetry
   * without selector) live here.
   *
   * @default - the control-plane namespace
   * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-root_namespace
   */
  readonly rootNamespace?: string;

  /**
   * Cluster id of this cluster (multicluster meshes need distinct ids).
   *
   * @default 'Kubernetes'
   */
  readonly clusterId?: string;

  /**
   * File every proxy writes access logs to (e.g. `/dev/stdout`).
   *
   * Rendered as an `envoyFileAccessLog` extension provider (`mesh-access-log`,
   * or `mesh-access-log-<revision>`; see `accessLogProvider`) that is the mesh
   * config's `defaultProviders.accessLogging`, not as the legacy
   * `accessLogFile` field, which Istio ignores as soon as a Telemetry
   * configures access logging. A `MeshTelemetry` access-log entry without
   * providers (e.g. only a `filter`) then logs through it; naming Istio's
   * built-in `envoy` provider instead fails synth (OBS004) when this file or
   * encoding differs from the built-in's text on `/dev/stdout`.
   *
   * @default - no access logs (enable per workload with Telemetry)
   * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-ExtensionProvider-EnvoyFileAccessLogProvider
   */
  readonly accessLogFile?: string;

  /**
   * Encoding of the access logs in `accessLogFile` (`JSON`: Istio's default
   * JSON fields).
   *
   * @default AccessLogEncoding.TEXT
   */
  readonly accessLogEncoding?: AccessLogEncoding;

  /**
   * Percentage of requests traced by default (0-100).
   *
   * @default 1
   */
  readonly traceSampling?: number;

  /**
   * Tracing provider every proxy reports to unless a Telemetry says otherwise
   * (`defaultProviders.tracing`). Declare it with a provider construct such as
   * `OpenTelemetryTracingProvider` (or `JaegerAddon.addTracingProvider()`):
   * every provider declared anywhere in the app is rendered into this
   * control plane's `extensionProviders`. A provider no construct declares
   * fails synth.
   *
   * @default - no default tracing provider
   * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-DefaultProviders
   */
  readonly defaultTracingProvider?: ITracingProvider;

  /**
   * What sidecars do with traffic to hosts outside the service registry.
   * `REGISTRY_ONLY` blocks unknown egress; declare external hosts with
   * ServiceEntries, or relax to `ALLOW_ANY` explicitly.
   *
   * @default OutboundTrafficPolicyMode.REGISTRY_ONLY
   * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-OutboundTrafficPolicy
   */
  readonly outboundTrafficPolicy?: OutboundTrafficPolicyMode;

  /**
   * Envoy worker threads of every proxy (`defaultConfig.concurrency`).
   *
   * @default - 2 (Istio's default; 0 means one per CPU of the proxy's limit)
   * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#ProxyConfig
   */
  readonly proxyConcurrency?: number;

  /**
   * Start application containers only once the proxy is ready, so the
   * application's first connections do not fail.
   *
   * @default true
   * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#ProxyConfig
   */
  readonly holdApplicationUntilProxyStarts?: boolean;

  /**
   * How long a terminating proxy keeps draining connections.
   *
   * @default Duration.seconds(5)
   * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#ProxyConfig
   */
  readonly terminationDrainDuration?: Duration;

  /**
   * Let istiod deploy Kubernetes Gateway API gateways and waypoints itself
   * (grants it cluster-wide write access to Deployments, Services,
   * ServiceAccounts, HPAs and PDBs).
   *
   * @default false
   */
  readonly gatewayApiDeploymentController?: boolean;

  /**
   * Emit the `istio-reader-service-account` and its read-only ClusterRole
   * (cluster-wide read of secrets included), used by remote istiods of a
   * multicluster mesh.
   *
   * @default false
   */
  readonly multiclusterReader?: boolean;

  /**
   * The data plane this control plane installs. `AMBIENT` adds what Istio's
   * ambient profile installs: the `istio-cni` node agent and the `ztunnel`
   * node proxy (DaemonSets with their ServiceAccounts, RBAC and config),
   * istiod with ambient enabled, HBONE for every proxy, and istiod's Gateway
   * API deployment controller (it deploys the waypoints). Namespaces still
   * choose their mode (`MeshNamespace` `dataPlaneMode`): sidecar namespaces
   * keep working beside ambient ones. One control plane per app can install it.
   *
   * @default DataPlaneMode.SIDECAR
   * @see https://istio.io/latest/docs/ambient/install/helm/
   */
  readonly dataPlane?: DataPlaneMode;

  /**
   * Settings of the ambient node agents (only with `dataPlane: DataPlaneMode.AMBIENT`).
   *
   * @default - upstream's defaults (see `AmbientOptions`)
   */
  readonly ambient?: AmbientOptions;
}

/**
 * The Istio control plane: everything a GitOps repository needs to bring an
 * empty cluster to a working sidecar mesh.
 *
 * Emits the control-plane Namespace, the Istio CRDs (optional), istiod
 * (ServiceAccount, RBAC, Deployment, Service, HPA, PDB), the `istio` mesh
 * config ConfigMap, the `istio-sidecar-injector` ConfigMap (Istio 1.30.3's own
 * injection templates, with values computed from these props), and the injection and
 * validation webhooks. Nothing istiod creates at run time (the per-namespace
 * `istio-ca-root-cert` ConfigMap, webhook `caBundle`s) is emitted.
 *
 * @example
 * new IstioControlPlane(chart, 'istio', { revision: '1-30' });
 */
export class IstioControlPlane extends Construct implements IMeshControlPlane {
  /** Namespace istiod runs in. */
  public readonly namespace: string;
  /** Revision name; undefined for the default revision. */
  public readonly revision?: string;
  /** Mesh root namespace. */
  public readonly rootNamespace: string;
  /** Image tag (Istio version) of istiod and the proxies. */
  public readonly tag: string;
  /** Image registry. */
  public readonly hub: string;
  /** istiod Service name (`istiod` or `istiod-<revision>`). */
  public readonly istiodServiceName: string;
  /** The istiod Deployment (escape hatch: `addJsonPatch`). */
  public readonly deployment: ApiObject;
  /** The `istio` mesh config ConfigMap (escape hatch). */
  public readonly meshConfigMap: ApiObject;
  /** The `istio-sidecar-injector` ConfigMap (escape hatch). */
  public readonly injectorConfigMap: ApiObject;
  /**
   * The mesh's default access-log provider, carrying `accessLogFile` and `accessLogEncoding`.
   *
   * Pass it to `MeshTelemetry` access logging. Undefined without `accessLogFile`.
   */
  public readonly accessLogProvider?: IAccessLogProvider;
  /** The data plane this control plane installs (ambient adds ztunnel and istio-cni). */
  public readonly dataPlane: DataPlaneMode;

  private readonly model: MeshModel;

  constructor(scope: Construct, id: string, props: IstioControlPlaneProps = {}) {
    super(scope, id);
    checkArgs(this, 'IstioControlPlane.new', arguments);
    this.model = meshOf(this);
    this.namespace = validateDnsLabel(this, 'namespace', props.namespace ?? 'istio-system');
    this.revision = this.validateRevision(props.revision);
    this.rootNamespace = validateDnsLabel(this, 'rootNamespace', props.rootNamespace ?? this.namespace);
    this.hub = this.validateImagePart('hub', props.hub ?? ISTIO_DEFAULT_HUB);
    this.tag = this.validateImagePart('tag', props.tag ?? ISTIO_VERSION);
    this.dataPlane = props.dataPlane ?? DataPlaneMode.SIDECAR;
    this.istiodServiceName = controlPlaneNames(this).istiod;
    const cp = this.toModel(props);
    if (cp.accessLog) {
      const { provider: name, path, encoding } = cp.accessLog;
      this.accessLogProvider = new EnvoyFileAccessLogProvider(this, 'AccessLogProvider', { name, path, encoding: encoding === 'JSON' ? AccessLogEncoding.JSON : AccessLogEncoding.TEXT });
    }
    this.model.addImage({ path: this.node.path, prop: 'tag', image: this.tag });
    this.model.addControlPlane(cp);
    addMeshValidation(this);

    this.attachSharedObjects(cp);
    this.attachRbac(cp);
    this.meshConfigMap = new k8s.KubeConfigMap(this, 'MeshConfig', {
      metadata: istiodMeta(cp, `istio${controlPlaneNames(cp).suffix}`),
      data: { mesh: Lazy.any({ produce: () => renderMeshConfigYaml(snapshotOf(this.model), cp) }), meshNetworks: 'networks: {}' },
    });
    // the one place that decides what every injected proxy (sidecars and gateways) runs:
    // istiod renders Istio's own templates with these values
    this.injectorConfigMap = new k8s.KubeConfigMap(this, 'InjectorConfig', {
      metadata: istiodMeta(cp, `istio-sidecar-injector${controlPlaneNames(cp).suffix}`),
      data: {
        config: renderInjectorConfig(injectionTemplates(cp.gatewayApiDeploymentController)),
        values: Lazy.any({ produce: () => JSON.stringify(renderInjectorValues(snapshotOf(this.model), cp), undefined, 2) }),
      },
    });
    this.attachWebhooks(cp);
    this.deployment = this.attachIstiod(cp);
    if (cp.ambientAgents) this.attachAmbientAgents(cp);
  }

  /**
   * The strictest Pod Security Standard the pods cdk8s-mesh puts in the control
   * plane's namespace pass (`privileged` or `restricted`) and why not stricter;
   * read at synth time, once every construct is declared.
   */
  public podSecurityLevel(): PodSecurityLevelInfo {
    const snapshot = snapshotOf(this.model);
    const agents = snapshot.controlPlanes.filter((cp) => cp.dataPlane === 'ambient' && cp.namespace === this.namespace);
    const base: PodSecurityVerdict = agents.length > 0
      ? {
        level: 'privileged',
        reason: agents.map((cp) => `${cp.path} runs the ambient node agents here: istio-cni and ztunnel add NET_ADMIN and SYS_ADMIN and mount host paths (baseline forbids both)`).join('; '),
      }
      : { level: 'restricted', reason: '' };
    return namespacePodSecurity(snapshot.services, this.namespace, base);
  }

  private validateRevision(revision: string | undefined): string | undefined {
    if (revision === undefined) return undefined;
    validateDnsLabel(this, 'revision', revision, 'use a DNS label such as \'1-30\' (dots are not allowed)');
    if (revision === 'default') {
      throw propError(this, 'revision', 'must not be \'default\' (the name of the unrevisioned control plane)', revision,
        'leave revision unset for the default revision, or name it after the version, e.g. \'1-30\'');
    }
    return revision;
  }

  /** The control plane's model: the validated props, every default filled in. */
  private toModel(props: IstioControlPlaneProps): ControlPlaneModel {
    const ambient = this.dataPlane === DataPlaneMode.AMBIENT;
    const earlier = this.model.controlPlanes;
    const crds = props.crds ?? true;
    return {
      path: this.node.path,
      namespace: this.namespace,
      rootNamespace: this.rootNamespace,
      revision: this.revision,
      trustDomain: this.validateTrustDomain(props.trustDomain),
      hub: this.hub,
      tag: this.tag,
      clusterId: props.clusterId ?? 'Kubernetes',
      istiodAddress: `${controlPlaneNames(this).istiod}.${this.namespace}.svc:${EnvoyPorts.XDS_MTLS}`,
      accessLog: this.validateAccessLog(props),
      dataPlane: ambient ? 'ambient' : 'sidecar',
      ambientAgents: this.validateAmbient(props),
      // control planes side by side (canary upgrade) share the namespace and the CRDs: the first one emits them
      emitsNamespace: !earlier.some((cp) => cp.namespace === this.namespace),
      crdFile: crds && !earlier.some((cp) => cp.crdFile !== undefined) ? this.validateCrdFile(props.crdFile) : undefined,
      // ambient waypoints are Gateway API Gateways: on by default there (unless CRDs are managed elsewhere)
      emitsGatewayApiCrds: (props.gatewayApiCrds ?? (ambient && crds)) && !earlier.some((cp) => cp.emitsGatewayApiCrds),
      ...this.validateScaling(props),
      resources: props.resources ? toResourcesModel(props.resources) : undefined,
      proxyResources: props.proxyResources ? toResourcesModel(props.proxyResources) : ENVOY_DEFAULT_RESOURCES,
      traceSampling: this.validateTraceSampling(props.traceSampling ?? 1),
      defaultTracingProvider: props.defaultTracingProvider?.tracingProviderName,
      outboundTrafficPolicy: props.outboundTrafficPolicy === OutboundTrafficPolicyMode.ALLOW_ANY ? 'ALLOW_ANY' : 'REGISTRY_ONLY',
      proxyConcurrency: props.proxyConcurrency === undefined ? undefined : this.validateWhole('proxyConcurrency', props.proxyConcurrency, 0, 64),
      holdApplicationUntilProxyStarts: props.holdApplicationUntilProxyStarts ?? true,
      terminationDrainSeconds: (props.terminationDrainDuration ?? Duration.seconds(5)).toSeconds(),
      gatewayApiDeploymentController: props.gatewayApiDeploymentController ?? ambient,
      multiclusterReader: props.multiclusterReader ?? false,
      podSecurityLabels: props.podSecurityLabels ?? false,
    };
  }

  /** One mesh, one trust domain: every principal, proxy and gateway reads it from the snapshot. */
  private validateTrustDomain(trustDomain: string | undefined): string | undefined {
    if (trustDomain === undefined) return undefined;
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(trustDomain)) {
      throw propError(this, 'trustDomain', 'must be a domain name (lower-case letters, digits, \'-\' and \'.\')', trustDomain, 'use e.g. \'cluster.local\' or \'acme.com\'');
    }
    const source = this.model.controlPlanes.find((cp) => cp.trustDomain !== undefined);
    if (source && source.trustDomain !== trustDomain) {
      throw propError(this, 'trustDomain', `must equal the trust domain of ${source.path} (${source.trustDomain}): `
        + 'the workload identities of one mesh share one trust domain', trustDomain, `use '${source.trustDomain}' on every control plane of the app`);
    }
    return trustDomain;
  }

  private validateScaling(props: IstioControlPlaneProps): Pick<ControlPlaneModel, 'replicas' | 'maxReplicas' | 'targetCpuUtilization'> {
    const replicas = this.validateWhole('replicas', props.replicas ?? 1, 1, 100);
    const maxReplicas = this.validateWhole('autoscaleMaxReplicas', props.autoscaleMaxReplicas ?? Math.max(5, replicas), replicas, 100, `set it to at least replicas (${replicas})`);
    const targetCpuUtilization = this.validateWhole('autoscaleTargetCpuUtilization', props.autoscaleTargetCpuUtilization ?? 80, 1, 100);
    return { replicas, maxReplicas, targetCpuUtilization };
  }

  private validateTraceSampling(traceSampling: number): number {
    if (typeof traceSampling !== 'number' || !(traceSampling >= 0 && traceSampling <= 100)) {
      throw propError(this, 'traceSampling', 'must be a percentage between 0 and 100', traceSampling, 'use e.g. 1 for 1% of requests');
    }
    return traceSampling;
  }

  private validateAccessLog(props: IstioControlPlaneProps): ControlPlaneModel['accessLog'] {
    if (props.accessLogFile !== undefined && !props.accessLogFile.startsWith('/')) {
      throw propError(this, 'accessLogFile', 'must be an absolute path in the proxy container', props.accessLogFile, 'use \'/dev/stdout\'');
    }
    if (props.accessLogEncoding !== undefined && props.accessLogFile === undefined) {
      throw propError(this, 'accessLogEncoding', 'has no effect without accessLogFile', props.accessLogEncoding, 'set accessLogFile (e.g. \'/dev/stdout\') or remove accessLogEncoding');
    }
    if (props.accessLogFile === undefined) return undefined;
    const encoding = props.accessLogEncoding === AccessLogEncoding.JSON ? 'JSON' : 'TEXT';
    return { provider: `mesh-access-log${controlPlaneNames(this).suffix}`, path: props.accessLogFile, encoding };
  }

  private validateAmbient(props: IstioControlPlaneProps): AmbientAgentsModel | undefined {
    const ambient = this.dataPlane === DataPlaneMode.AMBIENT;
    if (props.ambient !== undefined && !ambient) {
      throw propError(this, 'ambient', 'only applies with dataPlane: DataPlaneMode.AMBIENT', props.ambient, 'set dataPlane: DataPlaneMode.AMBIENT or remove ambient');
    }
    if (!ambient) return undefined;
    const other = this.model.controlPlanes.find((cp) => cp.dataPlane === 'ambient');
    if (other) {
      throw propError(this, 'dataPlane', `must be AMBIENT on one control plane of the app only: ${other.path} already installs ztunnel and istio-cni, which run once per node`,
        this.dataPlane, 'leave dataPlane unset on the other control planes: one ztunnel and one istio-cni per node serve the cluster');
    }
    const options = props.ambient ?? {};
    const logLevel = options.ztunnelLogLevel ?? 'info';
    if (typeof logLevel !== 'string' || !/^[a-z]+(,[a-z_:=]+)*$/.test(logLevel)) {
      throw propError(this, 'ambient.ztunnelLogLevel', 'must be a RUST_LOG level such as \'info\' or \'debug\'', logLevel, 'use \'info\', \'debug\', \'warn\' or \'error\'');
    }
    const requests = (cpu: string, memory: string): ResourcesModel => ({ requests: { cpu, memory } });
    return {
      ztunnelLogLevel: logLevel,
      ztunnelResources: options.ztunnelResources ? toResourcesModel(options.ztunnelResources) : requests('200m', '512Mi'),
      cniResources: options.cniResources ? toResourcesModel(options.cniResources) : requests('100m', '100Mi'),
    };
  }

  private validateCrdFile(crdFile: string | undefined): string {
    if (crdFile !== undefined && !fs.existsSync(crdFile)) {
      throw propError(this, 'crdFile', 'must be an existing file', crdFile, 'pass the path of crd-all.gen.yaml of the Istio release you install');
    }
    return crdFile ?? DEFAULT_CRD_FILE;
  }

  /** The namespace and the CRDs, when this control plane is the first of the app to need them. */
  private attachSharedObjects(cp: ControlPlaneModel): void {
    if (cp.emitsNamespace) {
      // No injection label (as upstream): gateways in this namespace opt in per pod
      // (`sidecar.istio.io/inject: "true"` / `istio.io/rev`); istiod opts out per pod.
      clusterScoped(new k8s.KubeNamespace(this, 'Namespace', { metadata: { name: cp.namespace, ...(cp.podSecurityLabels ? { labels: this.podSecurityLabels() } : {}) } }));
    }
    // mesh-wide config (PeerAuthentication, Telemetry, ...) lives in the root namespace, which must exist for it to apply
    new ObjectSlot(this, 'RootNamespace', (slot, snapshot) => (emitsRootNamespace(snapshot, cp)
      // no pods run there: marked as not needing injection (Istio's analyzer reports an unmarked one, IST0102)
      ? clusterScoped(new k8s.KubeNamespace(slot, 'Resource', { metadata: { name: cp.rootNamespace, labels: { 'istio-injection': 'disabled' } } }))
      : undefined));
    if (cp.crdFile !== undefined) {
      const docs = loadCrds(cp.crdFile);
      const crds = docs.filter(isCrd);
      if (crds.length === 0 || crds.length !== docs.length) {
        throw propError(this, 'crdFile', 'must contain only CustomResourceDefinition documents', cp.crdFile,
          'pass manifests/charts/base/files/crd-all.gen.yaml of an Istio release');
      }
      for (const crd of crds) clusterScoped(new ApiObject(this, `Crd-${crd.metadata.name}`, crd));
    }
    if (cp.emitsGatewayApiCrds) {
      for (const crd of loadGatewayApiCrds()) {
        clusterScoped(new ApiObject(this, `GatewayApiCrd-${(crd.metadata as { name: string }).name}`, crd as unknown as ApiObjectProps));
      }
    }
  }

  /** The Pod Security labels of the control plane's namespace (the level is read at synth). */
  private podSecurityLabels(): Record<string, string> {
    const level = Lazy.any({ produce: () => this.podSecurityLevel().level });
    const labels: Record<string, string> = {};
    for (const mode of ['enforce', 'audit', 'warn']) labels[`pod-security.kubernetes.io/${mode}`] = level;
    return labels;
  }

  private attachGrant(grant: ClusterRoleGrant, id: string): void {
    clusterScoped(new k8s.KubeClusterRole(this, `${id}ClusterRole${grant.id}`, grant.role));
    clusterScoped(new k8s.KubeClusterRoleBinding(this, `${id}ClusterRoleBinding${grant.id}`, grant.binding));
  }

  private attachRbac(cp: ControlPlaneModel): void {
    new k8s.KubeServiceAccount(this, 'ServiceAccount', renderIstiodServiceAccount(cp));
    for (const grant of renderIstiodClusterRoles(cp)) this.attachGrant(grant, '');
    if (cp.multiclusterReader) {
      new k8s.KubeServiceAccount(this, 'ReaderServiceAccount', renderReaderServiceAccount(cp));
      const reader = renderReaderClusterRole(cp);
      clusterScoped(new k8s.KubeClusterRole(this, 'ClusterRole-Reader', reader.role));
      clusterScoped(new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding-Reader', reader.binding));
    }
    new k8s.KubeRole(this, 'Role', renderIstiodRole(cp));
    new k8s.KubeRoleBinding(this, 'RoleBinding', renderIstiodRoleBinding(cp));
  }

  private attachWebhooks(cp: ControlPlaneModel): void {
    clusterScoped(new k8s.KubeMutatingWebhookConfiguration(this, 'InjectionWebhook', renderInjectionWebhookConfiguration(cp)));
    clusterScoped(new k8s.KubeValidatingWebhookConfiguration(this, 'ValidationWebhook', renderValidationWebhookConfiguration(cp)));
    // objects without an istio.io/rev label are validated by the default revision
    const defaultValidation = renderDefaultValidationWebhookConfiguration(cp);
    if (defaultValidation) clusterScoped(new k8s.KubeValidatingWebhookConfiguration(this, 'DefaultValidationWebhook', defaultValidation));
  }

  private attachIstiod(cp: ControlPlaneModel): ApiObject {
    const deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: istiodObjectMeta(cp),
      spec: Lazy.any({ produce: () => renderIstiodDeploymentSpec(snapshotOf(this.model), cp) }),
    });
    new k8s.KubeService(this, 'Service', { metadata: istiodObjectMeta(cp), spec: renderIstiodServiceSpec(cp) });
    const meta = istiodMeta(cp, controlPlaneNames(cp).istiod);
    if (istiodAutoscaled(cp)) new k8s.KubeHorizontalPodAutoscalerV2(this, 'Autoscaler', { metadata: meta, spec: renderIstiodAutoscalerSpec(cp) });
    if (cp.replicas > 1) new k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', { metadata: meta, spec: renderIstiodDisruptionBudgetSpec(cp) });
    return deployment;
  }

  /** What the ambient profile adds: the istio-cni node agent and ztunnel. */
  private attachAmbientAgents(cp: ControlPlaneModel): void {
    new k8s.KubeServiceAccount(this, 'CniServiceAccount', renderCniServiceAccount(cp));
    for (const grant of renderCniClusterRoles(cp)) this.attachGrant(grant, 'Cni');
    new k8s.KubeConfigMap(this, 'CniConfig', renderCniConfigMap(cp));
    new k8s.KubeDaemonSet(this, 'CniDaemonSet', renderCniDaemonSet(cp));
    new k8s.KubeServiceAccount(this, 'ZtunnelServiceAccount', renderZtunnelServiceAccount(cp));
    new k8s.KubeDaemonSet(this, 'ZtunnelDaemonSet', renderZtunnelDaemonSet(cp));
  }

  private validateImagePart(prop: string, value: string): string {
    if (prop === 'hub' && typeof value === 'string' && (value.endsWith('/') || value.includes('//'))) {
      throw propError(this, prop, `must not end with '/' or contain '//': images are <hub>/pilot:<tag>, so it would give ${JSON.stringify(`${value}/pilot`)}, which cannot be pulled`,
        value, `use ${JSON.stringify(value.replace(/\/+/g, '/').replace(/\/$/, '').replace(/^(\w+:)\//, '$1//'))}`);
    }
    if (!value || /[\s@]/.test(value) || (prop === 'tag' && value.includes(':'))) {
      throw propError(this, prop, 'must be a non-empty image registry/tag without whitespace', value,
        prop === 'hub' ? 'use e.g. \'docker.io/istio\'' : `use an Istio version such as '${ISTIO_VERSION}'`);
    }
    return value;
  }

  private validateWhole(prop: string, value: number, min: number, max: number, fix?: string): number {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw propError(this, prop, `must be a whole number between ${min} and ${max}`, value, fix ?? `use a value between ${min} and ${max}`);
    }
    return value;
  }
}

/**
 * True when `cp` creates its mesh root namespace: when it is not the control
 * plane's own namespace, no `MeshNamespace` and no control plane of the app
 * declares it (whatever the declaration order), and `cp` is the first control
 * plane with that root.
 */
function emitsRootNamespace(snapshot: MeshSnapshot, cp: ControlPlaneModel): boolean {
  const root = cp.rootNamespace;
  if (root === cp.namespace || snapshot.namespace(root)?.declaration !== undefined) return false;
  if (snapshot.controlPlanes.some((c) => c.namespace === root)) return false;
  return snapshot.controlPlanes.find((c) => c.rootNamespace === root)?.path === cp.path;
}
