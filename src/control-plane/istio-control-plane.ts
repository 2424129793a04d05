import * as fs from 'fs';
import { ApiObject, ApiObjectProps, Duration, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import * as YAML from 'yaml';
import { AmbientOptions, DataPlaneMode } from './ambient';
import { ISTIO_DEFAULT_HUB, ISTIO_VERSION } from './istio-release';
import { AccessLogEncoding, OutboundTrafficPolicyMode } from './mesh-config';
import { PodSecurityLevelInfo } from './pod-security';
import { MeshModel } from '../model';
import { AMBIENT_PROXY_METADATA, ambientDataPlane, ambientIstiodEnv, ambientMeshConfig, validateAmbientOptions } from './private/ambient-data-plane';
import { DEFAULT_CRD_FILE, isCrd, loadCrds } from './private/crds';
import { loadGatewayApiCrds } from './private/gateway-api-crds';
import { InjectorInput, injectorConfig, injectorValues } from './private/injector';
import { istiodDeploymentSpec } from './private/istiod';
import { gatewayControllerRules, istiodClusterRules, istiodNamespaceRules, readerClusterRules } from './private/rbac';
import { injectionWebhooks, validationWebhook, WebhookTarget } from './private/webhooks';
import { EnvoyFileAccessLogProvider, IAccessLogProvider, ITracingProvider } from './providers';
import { recordImage } from '../analysis/rules/risk-rules';
import { envoyDefaultResources, EnvoyPorts } from '../data-plane/envoy-proxy';
import { looserPodSecurity, PodSecurityLevel, workloadPodSecurityOf } from '../model/pod-security';
import { clusterScoped } from '../private/cluster-scoped';
import { propError, propMessage } from '../private/errors';
import { validateDnsLabel } from '../private/names';
import { toResourceRequirements } from '../private/resources';
import { checkArgs } from '../private/runtime-types';

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

  // --- ambient (issue 17) ---
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
  // --- end ambient ---
}


/** Shared objects (the namespace, the CRDs) already emitted by a control plane of the same app. */
const EMITTED = new WeakMap<MeshModel, Set<string>>();
function firstToEmit(model: MeshModel, what: string): boolean {
  let set = EMITTED.get(model);
  if (!set) EMITTED.set(model, set = new Set());
  if (set.has(what)) return false;
  set.add(what);
  return true;
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
  private readonly props: IstioControlPlaneProps;

  constructor(scope: Construct, id: string, props: IstioControlPlaneProps = {}) {
    super(scope, id);
    checkArgs(this, 'IstioControlPlane.new', arguments);
    this.props = props;
    this.model = MeshModel.of(this);

    this.namespace = validateDnsLabel(this, 'namespace', props.namespace ?? 'istio-system');
    if (props.revision !== undefined) {
      validateDnsLabel(this, 'revision', props.revision, 'use a DNS label such as \'1-30\' (dots are not allowed)');
      if (props.revision === 'default') {
        throw propError(this, 'revision', 'must not be \'default\' (the name of the unrevisioned control plane)', props.revision,
          'leave revision unset for the default revision, or name it after the version, e.g. \'1-30\'');
      }
    }
    this.revision = props.revision;
    this.rootNamespace = validateDnsLabel(this, 'rootNamespace', props.rootNamespace ?? this.namespace);
    this.hub = this.validateImagePart('hub', props.hub ?? ISTIO_DEFAULT_HUB);
    this.tag = this.validateImagePart('tag', props.tag ?? ISTIO_VERSION);
    recordImage(this, 'tag', this.tag);
    if (props.trustDomain !== undefined) {
      if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(props.trustDomain)) {
        throw propError(this, 'trustDomain', 'must be a domain name (lower-case letters, digits, \'-\' and \'.\')', props.trustDomain, 'use e.g. \'cluster.local\' or \'acme.com\'');
      }
      // one mesh, one trust domain: every principal, proxy and gateway reads it from the control-plane handle
      const source = this.model.trustDomainSource;
      if (source && source.trustDomain !== props.trustDomain) {
        throw propError(this, 'trustDomain', `must equal the trust domain of ${source.path} (${source.trustDomain}): `
          + 'the workload identities of one mesh share one trust domain', props.trustDomain, `use '${source.trustDomain}' on every control plane of the app`);
      }
    }
    const replicas = props.replicas ?? 1;
    const maxReplicas = props.autoscaleMaxReplicas ?? Math.max(5, replicas);
    this.validateWhole('replicas', replicas, 1, 100);
    this.validateWhole('autoscaleMaxReplicas', maxReplicas, replicas, 100, `set it to at least replicas (${replicas})`);
    const targetCpu = props.autoscaleTargetCpuUtilization ?? 80;
    this.validateWhole('autoscaleTargetCpuUtilization', targetCpu, 1, 100);
    const traceSampling = props.traceSampling ?? 1;
    if (typeof traceSampling !== 'number' || !(traceSampling >= 0 && traceSampling <= 100)) {
      throw propError(this, 'traceSampling', 'must be a percentage between 0 and 100', traceSampling, 'use e.g. 1 for 1% of requests');
    }
    if (props.proxyConcurrency !== undefined) this.validateWhole('proxyConcurrency', props.proxyConcurrency, 0, 64);
    if (props.accessLogFile !== undefined && !props.accessLogFile.startsWith('/')) {
      throw propError(this, 'accessLogFile', 'must be an absolute path in the proxy container', props.accessLogFile, 'use \'/dev/stdout\'');
    }
    if (props.accessLogEncoding !== undefined && props.accessLogFile === undefined) {
      throw propError(this, 'accessLogEncoding', 'has no effect without accessLogFile', props.accessLogEncoding, 'set accessLogFile (e.g. \'/dev/stdout\') or remove accessLogEncoding');
    }

    const suffix = this.revision ? `-${this.revision}` : '';
    const revLabel = this.revision ?? 'default';
    const istiod = `istiod${suffix}`;
    this.istiodServiceName = istiod;
    const ns = this.namespace;
    const labels = { 'app': 'istiod', 'app.kubernetes.io/name': 'istiod', 'app.kubernetes.io/part-of': 'istio', 'istio.io/rev': revLabel };
    const meta = (name: string, extra: Record<string, string> = {}) => ({ name, namespace: ns, labels: { ...labels, ...extra } });
    const clusterMeta = (name: string, extra: Record<string, string> = {}) => ({ name, labels: { ...labels, ...extra } });
    const istiodAddress = `${istiod}.${ns}.svc:${EnvoyPorts.XDS_MTLS}`;
    // --- ambient (issue 17) ---
    this.dataPlane = props.dataPlane ?? DataPlaneMode.SIDECAR;
    const ambient = this.dataPlane === DataPlaneMode.AMBIENT;
    if (props.ambient !== undefined && !ambient) {
      throw propError(this, 'ambient', 'only applies with dataPlane: DataPlaneMode.AMBIENT', props.ambient, 'set dataPlane: DataPlaneMode.AMBIENT or remove ambient');
    }
    const otherAmbient = ambient ? this.model.controlPlanes.find((cp) => cp.ambient) : undefined;
    if (otherAmbient) {
      throw propError(this, 'dataPlane', `must be AMBIENT on one control plane of the app only: ${otherAmbient.path} already installs ztunnel and istio-cni, which run once per node`,
        this.dataPlane, 'leave dataPlane unset on the other control planes: one ztunnel and one istio-cni per node serve the cluster');
    }
    if (ambient) validateAmbientOptions(this, props.ambient ?? {});
    // --- end ambient ---

    let accessLog: { provider: string; path: string; encoding: AccessLogEncoding } | undefined;
    if (props.accessLogFile !== undefined) {
      accessLog = { provider: `mesh-access-log${suffix}`, path: props.accessLogFile, encoding: props.accessLogEncoding ?? AccessLogEncoding.TEXT };
      this.accessLogProvider = new EnvoyFileAccessLogProvider(this, 'AccessLogProvider', { name: accessLog.provider, path: accessLog.path, encoding: accessLog.encoding });
    }
    this.model.addControlPlane({
      path: this.node.path,
      namespace: ns,
      rootNamespace: this.rootNamespace,
      revision: this.revision,
      accessLog,
      trustDomain: props.trustDomain,
      hub: this.hub,
      tag: this.tag,
      istiodAddress,
      ambient,
    });
    // CP001 (duplicate revision) is a model rule: analysis/rules/control-plane-rules.ts
    this.node.addValidation({ validate: () => this.model.errorsFor(this.node.path) });

    if (props.defaultTracingProvider) {
      const name = props.defaultTracingProvider.tracingProviderName;
      this.node.addValidation({
        validate: () => this.model.extensionProviders.some((e) => e.name === name) ? [] : [propMessage('defaultTracingProvider',
          'must name an extension provider declared in the app', name, 'declare it, e.g. new OpenTelemetryTracingProvider(...) or jaeger.addTracingProvider()')],
      });
    }

    // --- namespace and CRDs --------------------------------------------------
    // Control planes side by side (canary upgrade) share the namespace and the CRDs: the first one emits them.
    if (firstToEmit(this.model, `namespace:${ns}`)) {
      // No injection label (as upstream): gateways in this namespace opt in per pod
      // (`sidecar.istio.io/inject: "true"` / `istio.io/rev`); istiod opts out per pod.
      const nsLabels: Record<string, string> = {};
      if (props.podSecurityLabels) {
        const level = Lazy.any({ produce: () => this.podSecurityLevel().level });
        for (const mode of ['enforce', 'audit', 'warn']) nsLabels[`pod-security.kubernetes.io/${mode}`] = level;
      }
      clusterScoped(new k8s.KubeNamespace(this, 'Namespace', { metadata: { name: ns, ...(props.podSecurityLabels ? { labels: nsLabels } : {}) } }));
    }
    // mesh-wide config (PeerAuthentication, Telemetry, ...) lives in the root namespace, which must
    // exist for it to apply: created here unless it is the control plane's own namespace or a
    // MeshNamespace declared it first (MeshNamespace refuses to declare it afterwards)
    const root = this.rootNamespace;
    if (root !== ns && !this.model.namespaces.some((n) => n.name === root) && firstToEmit(this.model, `namespace:${root}`)) {
      // no pods run there: marked as not needing injection (Istio's analyzer reports an unmarked one, IST0102)
      clusterScoped(new k8s.KubeNamespace(this, 'RootNamespace', { metadata: { name: root, labels: { 'istio-injection': 'disabled' } } }));
    }
    if ((props.crds ?? true) && firstToEmit(this.model, 'crds')) {
      if (props.crdFile !== undefined && !fs.existsSync(props.crdFile)) {
        throw propError(this, 'crdFile', 'must be an existing file', props.crdFile, 'pass the path of crd-all.gen.yaml of the Istio release you install');
      }
      const docs = loadCrds(props.crdFile ?? DEFAULT_CRD_FILE);
      const crds = docs.filter(isCrd);
      if (crds.length === 0 || crds.length !== docs.length) {
        throw propError(this, 'crdFile', 'must contain only CustomResourceDefinition documents', props.crdFile ?? DEFAULT_CRD_FILE,
          'pass manifests/charts/base/files/crd-all.gen.yaml of an Istio release');
      }
      for (const crd of crds) clusterScoped(new ApiObject(this, `Crd-${crd.metadata.name}`, crd));
    }
    // --- Gateway API CRDs (issue 17): opt-in, shared by control planes side by side like the Istio CRDs
    // ambient waypoints are Gateway API Gateways: on by default there (unless CRDs are managed elsewhere)
    const gatewayApiCrds = props.gatewayApiCrds ?? (ambient && (props.crds ?? true));
    if (gatewayApiCrds && firstToEmit(this.model, 'gateway-api-crds')) {
      for (const crd of loadGatewayApiCrds()) {
        const name = (crd.metadata as { name: string }).name;
        clusterScoped(new ApiObject(this, `GatewayApiCrd-${name}`, crd as unknown as ApiObjectProps));
      }
    }

    // --- identity and RBAC ---------------------------------------------------
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: meta(istiod) });
    const bind = (idSuffix: string, name: string, rules: k8s.PolicyRule[], sa: { name: string; namespace: string }) => {
      clusterScoped(new k8s.KubeClusterRole(this, `ClusterRole${idSuffix}`, { metadata: clusterMeta(name), rules }));
      clusterScoped(new k8s.KubeClusterRoleBinding(this, `ClusterRoleBinding${idSuffix}`, {
        metadata: clusterMeta(name),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ kind: 'ServiceAccount', ...sa }],
      }));
    };
    bind('', `istiod-clusterrole${suffix}-${ns}`, istiodClusterRules(), { name: istiod, namespace: ns });
    // ambient: istiod deploys the waypoints (Gateways of class istio-waypoint)
    const gatewayController = props.gatewayApiDeploymentController ?? ambient;
    if (gatewayController) bind('-GatewayController', `istiod-gateway-controller${suffix}-${ns}`, gatewayControllerRules(), { name: istiod, namespace: ns });
    if (props.multiclusterReader ?? false) {
      const reader = { 'app': 'istio-reader', 'app.kubernetes.io/name': 'istio-reader', 'app.kubernetes.io/part-of': 'istio' };
      new k8s.KubeServiceAccount(this, 'ReaderServiceAccount', { metadata: { name: 'istio-reader-service-account', namespace: ns, labels: reader } });
      const name = `istio-reader-clusterrole${suffix}-${ns}`;
      clusterScoped(new k8s.KubeClusterRole(this, 'ClusterRole-Reader', { metadata: { name, labels: reader }, rules: readerClusterRules() }));
      clusterScoped(new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding-Reader', {
        metadata: { name, labels: reader },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ kind: 'ServiceAccount', name: 'istio-reader-service-account', namespace: ns }],
      }));
    }
    new k8s.KubeRole(this, 'Role', { metadata: meta(istiod), rules: istiodNamespaceRules() });
    new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: meta(istiod),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: istiod },
      subjects: [{ kind: 'ServiceAccount', name: istiod, namespace: ns }],
    });

    // --- configuration -------------------------------------------------------
    this.meshConfigMap = new k8s.KubeConfigMap(this, 'MeshConfig', {
      metadata: meta(`istio${suffix}`),
      data: {
        mesh: Lazy.any({ produce: () => YAML.stringify(this._meshConfig(istiodAddress), { lineWidth: 0 }) }),
        meshNetworks: 'networks: {}',
      },
    });
    const proxyResources = props.proxyResources ? toResourceRequirements(props.proxyResources) : envoyDefaultResources();
    // The one place that decides what every injected proxy (sidecars and gateways) runs:
    // istiod renders Istio's own templates with these values.
    // The trust domain is the mesh's (the handle's), read when the ConfigMap renders.
    const injectorInput = (): InjectorInput => ({
      istioNamespace: ns,
      revision: this.revision,
      hub: this.hub,
      tag: this.tag,
      clusterDomain: this.model.clusterDomain,
      trustDomain: this.model.controlPlane.trustDomain,
      clusterId: props.clusterId ?? 'Kubernetes',
      proxyLogLevel: 'warning',
      holdApplicationUntilProxyStarts: props.holdApplicationUntilProxyStarts ?? true,
      proxyResources,
      gatewayApiTemplates: gatewayController,
    });
    this.injectorConfigMap = new k8s.KubeConfigMap(this, 'InjectorConfig', {
      metadata: meta(`istio-sidecar-injector${suffix}`),
      data: { config: injectorConfig(injectorInput()), values: Lazy.any({ produce: () => injectorValues(injectorInput()) }) },
    });

    // --- webhooks --------------------------------------------------------------
    const target: WebhookTarget = { service: istiod, namespace: ns, revLabel, isDefault: this.revision === undefined };
    clusterScoped(new k8s.KubeMutatingWebhookConfiguration(this, 'InjectionWebhook', {
      metadata: clusterMeta(`istio-sidecar-injector${suffix}${ns === 'istio-system' ? '' : `-${ns}`}`, { app: 'sidecar-injector' }),
      webhooks: injectionWebhooks(target),
    }));
    clusterScoped(new k8s.KubeValidatingWebhookConfiguration(this, 'ValidationWebhook', {
      metadata: clusterMeta(`istio-validator${suffix}-${ns}`, { istio: 'istiod' }),
      webhooks: [validationWebhook(target, 'rev.validation.istio.io', { matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: [revLabel] }] })],
    }));
    if (target.isDefault) {
      // objects without an istio.io/rev label are validated by the default revision
      clusterScoped(new k8s.KubeValidatingWebhookConfiguration(this, 'DefaultValidationWebhook', {
        metadata: clusterMeta('istiod-default-validator', { istio: 'istiod' }),
        webhooks: [validationWebhook(target, 'validation.istio.io', { matchExpressions: [{ key: 'istio.io/rev', operator: 'DoesNotExist' }] })],
      }));
    }

    // --- istiod ----------------------------------------------------------------
    const podLabels: Record<string, string> = {
      ...labels,
      'sidecar.istio.io/inject': 'false',
      'istio.io/dataplane-mode': 'none',
      ...(this.revision ? {} : { istio: 'pilot' }),
    };
    const selector: Record<string, string> = this.revision ? { 'app': 'istiod', 'istio.io/rev': this.revision } : { istio: 'pilot' };
    const serviceSelector: Record<string, string> = this.revision ? { 'app': 'istiod', 'istio.io/rev': this.revision } : { app: 'istiod', istio: 'pilot' };
    const autoscale = maxReplicas > replicas;
    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: meta(istiod, this.revision ? {} : { istio: 'pilot' }),
      spec: istiodDeploymentSpec({
        istiod,
        revLabel,
        hub: this.hub,
        tag: this.tag,
        clusterDomain: this.model.clusterDomain,
        clusterId: props.clusterId ?? 'Kubernetes',
        traceSampling,
        gatewayController,
        replicas,
        autoscale,
        selector,
        podLabels,
        resources: props.resources ? toResourceRequirements(props.resources) : undefined,
        extraEnv: ambient ? ambientIstiodEnv(ns) : [],
      }),
    });
    new k8s.KubeService(this, 'Service', {
      metadata: meta(istiod, this.revision ? {} : { istio: 'pilot' }),
      spec: {
        selector: serviceSelector,
        ports: [
          { name: 'grpc-xds', port: 15010, protocol: 'TCP' },
          { name: 'https-dns', port: 15012, protocol: 'TCP' },
          { name: 'https-webhook', port: 443, targetPort: k8s.IntOrString.fromNumber(15017), protocol: 'TCP' },
          { name: 'http-monitoring', port: 15014, protocol: 'TCP' },
        ],
      },
    });
    if (autoscale) {
      new k8s.KubeHorizontalPodAutoscalerV2(this, 'Autoscaler', {
        metadata: meta(istiod),
        spec: {
          minReplicas: replicas,
          maxReplicas,
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: istiod },
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: targetCpu } } }],
        },
      });
    }
    if (replicas > 1) {
      new k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
        metadata: meta(istiod),
        spec: { minAvailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
      });
    }
    if (ambient) {
      ambientDataPlane(this, {
        namespace: ns,
        revision: this.revision,
        hub: this.hub,
        tag: this.tag,
        clusterId: props.clusterId ?? 'Kubernetes',
        istiodAddress,
        options: props.ambient ?? {},
      });
    }
  }

  /**
   * The strictest Pod Security Standard the pods cdk8s-mesh puts in the control
   * plane's namespace pass (`privileged` or `restricted`) and why not stricter;
   * read at synth time, once every construct is declared.
   */
  public podSecurityLevel(): PodSecurityLevelInfo {
    let level: PodSecurityLevel = 'restricted';
    const reasons: string[] = [];
    for (const cp of this.model.controlPlanes) {
      if (cp.ambient && cp.namespace === this.namespace) {
        level = 'privileged';
        reasons.push(`${cp.path} runs the ambient node agents here: istio-cni and ztunnel add NET_ADMIN and SYS_ADMIN and mount host paths (baseline forbids both)`);
      }
    }
    for (const w of workloadPodSecurityOf(this.model, this.namespace)) {
      level = looserPodSecurity(level, w.level);
      if (w.level !== 'restricted') reasons.push(`${w.path}: ${w.reason}`);
    }
    return { level, reason: reasons.join('; ') };
  }

  /** The mesh config (`mesh` key of the `istio` ConfigMap) as plain data. @internal */
  public _meshConfig(discoveryAddress: string): Record<string, unknown> {
    const p = this.props;
    const defaultConfig: Record<string, unknown> = {
      discoveryAddress,
      holdApplicationUntilProxyStarts: p.holdApplicationUntilProxyStarts ?? true,
      terminationDrainDuration: `${(p.terminationDrainDuration ?? Duration.seconds(5)).toSeconds()}s`,
    };
    if (p.proxyConcurrency !== undefined) defaultConfig.concurrency = p.proxyConcurrency;
    const ambient = this.dataPlane === DataPlaneMode.AMBIENT;
    if (ambient) defaultConfig.proxyMetadata = { ...AMBIENT_PROXY_METADATA };
    const defaultProviders: Record<string, string[]> = { metrics: ['prometheus'] };
    if (p.defaultTracingProvider) defaultProviders.tracing = [p.defaultTracingProvider.tracingProviderName];
    if (this.accessLogProvider) defaultProviders.accessLogging = [this.accessLogProvider.accessLogProviderName];
    const mesh: Record<string, unknown> = {
      defaultConfig,
      defaultProviders,
      enablePrometheusMerge: true,
      rootNamespace: this.rootNamespace,
      trustDomain: this.model.controlPlane.trustDomain,
      outboundTrafficPolicy: { mode: p.outboundTrafficPolicy ?? OutboundTrafficPolicyMode.REGISTRY_ONLY },
    };
    if (ambient) Object.assign(mesh, ambientMeshConfig());
    const providers = this.model.extensionProviders.map((e) => e.entry);
    if (providers.length) mesh.extensionProviders = providers;
    return mesh;
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

  private validateWhole(prop: string, value: number, min: number, max: number, fix?: string): void {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw propError(this, prop, `must be a whole number between ${min} and ${max}`, value, fix ?? `use a value between ${min} and ${max}`);
    }
  }
}
