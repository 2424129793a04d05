import { ResourcesModel } from './control-plane';

/**
 * Observability intent of one App (plain data, no cdk8s objects): which
 * providers Telemetry resources reference, which Telemetry resources exist
 * per target, which alert groups want a Prometheus to load them.
 */

/** What a Telemetry resource uses a provider for. */
export type ProviderUse = 'tracing' | 'accessLogging' | 'metrics';

/** Keys of a mesh config `extensionProviders[]` entry that make it usable for each purpose. */
export const PROVIDER_KINDS: Readonly<Record<ProviderUse, readonly string[]>> = {
  tracing: ['opentelemetry', 'zipkin', 'datadog', 'skywalking', 'lightstep', 'stackdriver'],
  accessLogging: ['envoyFileAccessLog', 'envoyOtelAls', 'envoyHttpAls', 'envoyTcpAls', 'stackdriver'],
  metrics: ['prometheus', 'stackdriver'],
};

/** Providers every Istio mesh config has unless overridden (pkg/config/mesh defaults). */
export const BUILTIN_PROVIDERS: Readonly<Record<string, ProviderUse>> = {
  envoy: 'accessLogging',
  prometheus: 'metrics',
};

/** One provider reference made by a Telemetry resource. */
export interface ProviderReference {
  /** Construct path of the referencing construct. */
  readonly path: string;
  /** The prop that holds the reference, e.g. `tracing.providers[0]`. */
  readonly prop: string;
  readonly name: string;
  readonly use: ProviderUse;
}

/** A Telemetry resource's target. */
export interface TelemetryTargetModel {
  readonly path: string;
  readonly namespace: string;
  /** `mesh`, `namespace` or `workload`. */
  readonly scope: string;
  /** Selector labels for workload scope. */
  readonly selector?: Readonly<Record<string, string>>;
}

/** Which side of a request a telemetry setting applies to. */
export type TrafficModeName = 'CLIENT_AND_SERVER' | 'CLIENT' | 'SERVER';

/** A tag added to every span: a literal, a request header, or a proxy environment variable. */
export type CustomTagModel =
  | { readonly tag: string; readonly kind: 'literal'; readonly value: string }
  | { readonly tag: string; readonly kind: 'header' | 'environment'; readonly name: string; readonly defaultValue?: string };

/** One `tracing[]` entry of a Telemetry. */
export interface TracingModel {
  /** Undefined: both sides. */
  readonly mode?: TrafficModeName;
  /** Provider name; undefined: the mesh's default tracing provider. */
  readonly provider?: string;
  readonly randomSamplingPercentage?: number;
  /** In declaration order; tag names are unique. */
  readonly customTags: readonly CustomTagModel[];
  readonly disableSpanReporting?: boolean;
}

/** One `accessLogging[]` entry of a Telemetry. */
export interface AccessLoggingModel {
  /** Undefined: both sides. */
  readonly mode?: TrafficModeName;
  /** Provider names; empty: the mesh's default access-log providers. */
  readonly providers: readonly string[];
  readonly disabled?: boolean;
  /** CEL expression selecting the requests to log. */
  readonly filter?: string;
}

/** A change to one tag of a metric. */
export interface TagOverrideModel {
  readonly tag: string;
  readonly operation: 'REMOVE' | 'UPSERT';
  /** CEL expression (UPSERT only). */
  readonly value?: string;
}

/** One override of the standard metrics. */
export interface MetricsOverrideModel {
  /** Istio standard metric name, e.g. `REQUEST_COUNT` or `ALL_METRICS`. */
  readonly metric: string;
  /** Undefined: not matched on (both sides). */
  readonly mode?: TrafficModeName;
  readonly disabled?: boolean;
  /** Sorted by tag name. */
  readonly tagOverrides: readonly TagOverrideModel[];
}

/** One `metrics[]` entry of a Telemetry. */
export interface MetricsModel {
  /** Provider names; empty: the mesh's default metrics providers. */
  readonly providers: readonly string[];
  readonly overrides: readonly MetricsOverrideModel[];
}

/** A Telemetry resource: its target and its entries, in the order they were added. */
export interface TelemetryModel extends TelemetryTargetModel {
  readonly name: string;
  readonly tracing: readonly TracingModel[];
  readonly accessLogging: readonly AccessLoggingModel[];
  readonly metrics: readonly MetricsModel[];
}

/**
 * The golden-signal alert rules of one service (`GoldenSignalAlerts`):
 * rendered from the snapshot, since the metrics' reporter depends on the
 * service's data plane.
 */
export interface AlertGroupModel {
  readonly path: string;
  /** Host of the service the alerts watch. */
  readonly serviceHost: string;
  readonly serviceName: string;
  readonly namespace: string;
  /** Rule group name. */
  readonly name: string;
  readonly errorRatePercent: number;
  readonly p99LatencyMs: number;
  /** `for` of each alert, as a Prometheus duration. */
  readonly for: string;
  /** Rate window, as a Prometheus duration. */
  readonly window: string;
  /** `severity` label of each alert. */
  readonly severity: string;
  /** True when the group is loaded from a `PrometheusAddon`'s rule file (else a PrometheusRule carries it). */
  readonly ruleFile: boolean;
}

/** A Prometheus addon that loads rule files. */
export interface RuleLoaderModel {
  readonly path: string;
}

/** The kinds of add-on the library declares. */
export type AddonKind = 'prometheus' | 'grafana' | 'jaeger' | 'kiali';

/** An environment variable of an add-on's container: a value, a pod field, or a Secret key. */
export interface AddonEnvModel {
  readonly name: string;
  readonly value?: string;
  readonly fieldPath?: string;
  readonly secret?: { readonly name: string; readonly key: string };
}

/** A volume of an add-on's pod (a ConfigMap or an emptyDir) and where it mounts. */
export interface AddonVolumeModel {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly?: boolean;
  readonly configMap?: { readonly name: string; readonly items?: readonly { readonly key: string; readonly path: string }[] };
  readonly emptyDir?: { readonly sizeLimit?: string };
}

/** The one hardened, single-container workload of an add-on. */
export interface AddonWorkloadModel {
  readonly name: string;
  readonly namespace: string;
  readonly image: string;
  readonly args?: readonly string[];
  readonly env?: readonly AddonEnvModel[];
  readonly ports: readonly { readonly name: string; readonly containerPort: number }[];
  readonly volumes: readonly AddonVolumeModel[];
  readonly resources: ResourcesModel;
  readonly uid: number;
  readonly readinessPath: string;
  readonly livenessPath?: string;
  readonly probePort: number;
  /** Needs to talk to the Kubernetes API (Prometheus discovery, Kiali). */
  readonly apiAccess: boolean;
  /**
   * Its pods join the ambient mesh for their outbound traffic when the app runs anything on
   * the ambient data plane (Prometheus: its scrapes of ambient pods then carry its identity
   * over mTLS, which STRICT requires); inbound stays uncaptured for its clients outside the mesh.
   */
  readonly joinsAmbientMesh?: boolean;
}

/** A port of an add-on's Service. */
export interface AddonServicePortModel {
  readonly name: string;
  readonly port: number;
  readonly targetPort: number;
  readonly appProtocol: string;
}

/** What every add-on entry carries. */
export interface AddonModelBase {
  readonly kind: AddonKind;
  readonly path: string;
  readonly namespace: string;
  /** In-cluster URL of its HTTP endpoint (e.g. the Prometheus API, `http://prometheus.istio-system.svc.cluster.local:9090`). */
  readonly url: string;
  /** Its pods' workload; `workload.name` is also the ServiceAccount they run as, in `namespace` (the identity their requests carry in the mesh). */
  readonly workload: AddonWorkloadModel;
}

export interface PrometheusAddonModel extends AddonModelBase {
  readonly kind: 'prometheus';
  readonly port: number;
  /** Scrape and evaluation interval, as a Prometheus duration. */
  readonly interval: string;
  /** Namespace whose istiod is scraped (undefined: the mesh's control-plane namespace). */
  readonly controlPlaneNamespace?: string;
  /** The `alerting.alertmanagers[]` entry, if alerts are sent. */
  readonly alertmanager?: Readonly<Record<string, unknown>>;
}

export interface GrafanaAddonModel extends AddonModelBase {
  readonly kind: 'grafana';
  readonly port: number;
  readonly datasourceUrl: string;
  /** URL of the Jaeger query API, when a tracing datasource is provisioned. */
  readonly tracingQueryUrl?: string;
  /** Whether an admin Secret enables the login form. */
  readonly withAdmin: boolean;
}

export interface JaegerAddonModel extends AddonModelBase {
  readonly kind: 'jaeger';
  readonly maxTraces: number;
}

export interface KialiAddonModel extends AddonModelBase {
  readonly kind: 'kiali';
  readonly port: number;
  readonly metricsPort: number;
  readonly prometheusUrl: string;
  readonly grafana?: { readonly internalUrl: string; readonly externalUrl: string };
  readonly tracing?: { readonly internalUrl: string; readonly externalUrl: string };
}

/** An add-on of the app (`PrometheusAddon`, `GrafanaAddon`, `JaegerAddon`, `KialiAddon`), by kind. */
export type AddonModel = PrometheusAddonModel | GrafanaAddonModel | JaegerAddonModel | KialiAddonModel;

/** An analysis that queries the app's Prometheus (an `SloAnalysis`), checked by ROLLOUT003. */
export interface PrometheusQueryModel {
  readonly path: string;
  /** The URL the analysis was given; undefined when it uses the app's one Prometheus. */
  readonly url?: string;
}

/** The purposes a declared extension provider entry serves. */
export function usesOf(entry: object): ProviderUse[] {
  return (Object.keys(PROVIDER_KINDS) as ProviderUse[]).filter((use) => PROVIDER_KINDS[use].some((k) => k in entry));
}

/** Where and how Istio's built-in `envoy` access-log provider writes (its format is Istio's text format). */
export const BUILTIN_ENVOY_ACCESS_LOG = { path: '/dev/stdout', encoding: 'TEXT' } as const;
