import { DataPlaneName } from './ambient';

/**
 * The control planes of the mesh, as the `IstioControlPlane` props declare
 * them (validated, defaults filled in). The control-plane renderers
 * (`src/render/control-plane/`) turn one into its objects: namespace, CRDs,
 * RBAC, mesh config, injector values, webhooks, istiod and the ambient node
 * agents.
 */

/** Compute resources as Kubernetes quantities (`'500m'`, `'2048Mi'`). */
export interface ResourcesModel {
  readonly requests?: { readonly cpu?: string; readonly memory?: string };
  readonly limits?: { readonly cpu?: string; readonly memory?: string };
}

/** The access log a control plane declares for every proxy, rendered as the mesh's default access-log provider. */
export interface AccessLogModel {
  /** Name of the `envoyFileAccessLog` extension provider carrying it. */
  readonly provider: string;
  readonly path: string;
  readonly encoding: 'TEXT' | 'JSON';
}

/** Settings of the ambient node agents (ztunnel, istio-cni). */
export interface AmbientAgentsModel {
  /** `RUST_LOG` of ztunnel. */
  readonly ztunnelLogLevel: string;
  readonly ztunnelResources: ResourcesModel;
  readonly cniResources: ResourcesModel;
}

/** A control plane the mesh is installed with (one per revision). */
export interface ControlPlaneModel {
  readonly path: string;
  /** Namespace istiod runs in (e.g. `istio-system`). */
  readonly namespace: string;
  /** Mesh root namespace (mesh-wide policies live here). */
  readonly rootNamespace: string;
  /** Revision, or undefined for the default revision. */
  readonly revision?: string;
  /** The trust domain the control plane's props set, if they set one (the mesh's is resolved in the snapshot). */
  readonly trustDomain?: string;
  /** Registry of the `pilot` and `proxyv2` images. */
  readonly hub: string;
  /** Tag (Istio version) of the `pilot` and `proxyv2` images. */
  readonly tag: string;
  /** Cluster id (`CLUSTER_ID`, `global.multiCluster.clusterName`). */
  readonly clusterId: string;
  /** istiod's xDS and CA address every proxy connects to, `<istiod service>.<namespace>.svc:15012`. */
  readonly istiodAddress: string;
  /** The access log every proxy writes, when declared. */
  readonly accessLog?: AccessLogModel;
  /** The data plane this control plane installs (ambient adds ztunnel and istio-cni). */
  readonly dataPlane: DataPlaneName;
  /** Settings of the ambient node agents (ambient only). */
  readonly ambientAgents?: AmbientAgentsModel;
  /** True when this control plane emits its namespace (the first control plane of the namespace does). */
  readonly emitsNamespace: boolean;
  /** True when its namespace (if it emits it) carries the Pod Security labels of the strictest level its pods pass. */
  readonly podSecurityLabels: boolean;
  /** The Istio CRD file this control plane emits, when it emits the CRDs (the first one that wants them does). */
  readonly crdFile?: string;
  /** True when this control plane emits the Gateway API CRDs (the first one that wants them does). */
  readonly emitsGatewayApiCrds: boolean;
  /** Minimum (and initial) istiod replicas. */
  readonly replicas: number;
  /** Maximum istiod replicas of the autoscaler (equal to `replicas`: no autoscaler). */
  readonly maxReplicas: number;
  /** CPU utilization (percent of requests) the autoscaler targets. */
  readonly targetCpuUtilization: number;
  /** Resources of istiod; undefined: upstream's chart default. */
  readonly resources?: ResourcesModel;
  /** Resources of every injected proxy. */
  readonly proxyResources: ResourcesModel;
  /** Percentage of requests traced by default. */
  readonly traceSampling: number;
  /** Name of the default tracing provider, if any. */
  readonly defaultTracingProvider?: string;
  readonly outboundTrafficPolicy: 'REGISTRY_ONLY' | 'ALLOW_ANY';
  /** Envoy worker threads; undefined: Istio's default. */
  readonly proxyConcurrency?: number;
  readonly holdApplicationUntilProxyStarts: boolean;
  /** How long a terminating proxy drains connections, in seconds. */
  readonly terminationDrainSeconds: number;
  /** istiod deploys Gateway API gateways and waypoints itself. */
  readonly gatewayApiDeploymentController: boolean;
  /** Emit the `istio-reader-service-account` and its ClusterRole. */
  readonly multiclusterReader: boolean;
}

/**
 * The control-plane handle: the proxy inputs every proxy, gateway and
 * principal reads, resolved from the app's control planes (the first one
 * declared is the mesh's default; with none, Istio's defaults).
 */
export interface MeshHandle {
  /** Construct path of the control plane, undefined when the app declares none. */
  readonly path?: string;
  /** Namespace istiod runs in. */
  readonly namespace: string;
  /** Mesh root namespace (mesh-wide policies live here). */
  readonly rootNamespace: string;
  /** Revision of the default control plane, undefined for the default revision. */
  readonly revision?: string;
  /**
   * SPIFFE trust domain of every workload identity of the mesh (principals
   * `<trust domain>/ns/<namespace>/sa/<service account>`): the one a control
   * plane of the app sets, else `cluster.local`.
   */
  readonly trustDomain: string;
  /** Kubernetes cluster DNS domain. */
  readonly clusterDomain: string;
  /** Image registry of the proxies; undefined without a control plane (istiod's own). */
  readonly hub?: string;
  /** Image tag of the proxies; undefined without a control plane (istiod's own). */
  readonly tag?: string;
  /** istiod's xDS and CA address; undefined without a control plane. */
  readonly istiodAddress?: string;
}

/**
 * An entry of the mesh config's `extensionProviders`, in Istio's terms.
 * Exactly one provider kind is set.
 *
 * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-ExtensionProvider
 */
export interface ExtensionProviderEntry {
  readonly name: string;
  /** OpenTelemetry (OTLP/gRPC) tracing. */
  readonly opentelemetry?: { readonly service: string; readonly port: number; readonly maxTagLength?: number };
  /** Envoy's file access log; `logFormat.labels: {}` selects Istio's default JSON fields. */
  readonly envoyFileAccessLog?: { readonly path: string; readonly logFormat?: { readonly labels: Readonly<Record<string, string>> } };
}

/** An extension provider declared by a construct of the app; every control plane renders all of them. */
export interface ExtensionProviderModel {
  /** Provider name, unique in the mesh (referenced by Telemetry and CUSTOM authz). */
  readonly name: string;
  /** Construct path of the declaring construct. */
  readonly path: string;
  readonly entry: ExtensionProviderEntry;
}
