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

/** An add-on of the app (`PrometheusAddon`, `GrafanaAddon`, `JaegerAddon`, `KialiAddon`). */
export interface AddonModel {
  readonly kind: AddonKind;
  readonly path: string;
  readonly namespace: string;
  /** In-cluster URL of its HTTP endpoint (e.g. the Prometheus API, `http://prometheus.istio-system.svc.cluster.local:9090`). */
  readonly url: string;
  /** ServiceAccount its pods run as, in `namespace` (the identity its requests carry when they are in the mesh). */
  readonly serviceAccount: string;
}

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
