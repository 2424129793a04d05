import { Diagnostic, MeshModel } from './mesh-model';

/**
 * Observability intent of one App, kept beside the mesh model (plain data, no
 * cdk8s objects): which providers Telemetry resources reference, which
 * Telemetry resources exist per target, and which alert groups want a
 * Prometheus to load them.
 */

/** What a Telemetry resource uses a provider for. */
export type ProviderUse = 'tracing' | 'accessLogging' | 'metrics';

/** Keys of a mesh config `extensionProviders[]` entry that make it usable for each purpose. */
export const PROVIDER_KINDS: Record<ProviderUse, readonly string[]> = {
  tracing: ['opentelemetry', 'zipkin', 'datadog', 'skywalking', 'lightstep', 'stackdriver'],
  accessLogging: ['envoyFileAccessLog', 'envoyOtelAls', 'envoyHttpAls', 'envoyTcpAls', 'stackdriver'],
  metrics: ['prometheus', 'stackdriver'],
};

/** Providers every Istio mesh config has unless overridden (pkg/config/mesh defaults). */
export const BUILTIN_PROVIDERS: Record<string, ProviderUse> = {
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

/** A group of alerting rules that a Prometheus addon loads from its rule file. */
export interface AlertGroupModel {
  readonly path: string;
  /** Prometheus rule group: `{ name, rules: [...] }`. */
  readonly group: Readonly<Record<string, unknown>>;
}

/** A Prometheus addon that loads rule files. */
export interface RuleLoaderModel {
  readonly path: string;
}

/** A Prometheus server declared in the app (a `PrometheusAddon`). */
export interface PrometheusModel {
  readonly path: string;
  /** In-cluster URL of its HTTP API, e.g. `http://prometheus.istio-system.svc.cluster.local:9090`. */
  readonly url: string;
  /** Namespace and ServiceAccount its pods run as (the identity its scrapes carry when they are in the mesh). */
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** An analysis that queries the app's Prometheus (an `SloAnalysis`), checked by ROLLOUT003. */
export interface PrometheusQueryModel {
  readonly path: string;
  /** The URL the analysis was given; undefined when it uses the app's one Prometheus. */
  readonly url?: string;
}

interface ObservabilityState {
  readonly references: ProviderReference[];
  readonly telemetries: TelemetryTargetModel[];
  readonly alertGroups: AlertGroupModel[];
  readonly ruleLoaders: RuleLoaderModel[];
  readonly prometheuses: PrometheusModel[];
  readonly prometheusQueries: PrometheusQueryModel[];
}

const STATES = new WeakMap<MeshModel, ObservabilityState>();

/** Observability state of the App a model belongs to (created on first use, rules registered once). */
export function observabilityOf(model: MeshModel): ObservabilityState {
  let state = STATES.get(model);
  if (!state) {
    state = { references: [], telemetries: [], alertGroups: [], ruleLoaders: [], prometheuses: [], prometheusQueries: [] };
    STATES.set(model, state);
  }
  return state;
}

/** Registers the observability rules (`OBSnnn`); called once per model by the rule catalog (`analysis/rules`). */
export function registerObservabilityRules(model: MeshModel): void {
  model.addRule('OBS001', undeclaredProviders);
  model.addRule('OBS002', conflictingTelemetry);
  model.addRule('OBS003', unloadedAlertGroups);
  model.addRule('OBS004', builtinAccessLogOverridesDeclared);
}

export function addProviderReference(model: MeshModel, ref: ProviderReference): void {
  observabilityOf(model).references.push(ref);
  model.touch();
}

export function addTelemetryTarget(model: MeshModel, target: TelemetryTargetModel): void {
  observabilityOf(model).telemetries.push(target);
  model.touch();
}

const TELEMETRIES = new WeakMap<MeshModel, Map<string, TelemetryModel>>();

/** Registers a Telemetry resource (its target takes part in OBS002); entries are added with `addTelemetryEntry`. */
export function addTelemetry(model: MeshModel, telemetry: TelemetryModel): void {
  let byPath = TELEMETRIES.get(model);
  if (!byPath) TELEMETRIES.set(model, (byPath = new Map()));
  if (byPath.has(telemetry.path)) throw new Error(`internal: telemetry ${telemetry.path} is already registered`);
  byPath.set(telemetry.path, telemetry);
  addTelemetryTarget(model, { path: telemetry.path, namespace: telemetry.namespace, scope: telemetry.scope, selector: telemetry.selector });
}

/** Appends one tracing, access logging or metrics entry to the Telemetry registered under `path`. */
export function addTelemetryEntry(model: MeshModel, path: string, entry:
| { readonly tracing: TracingModel } | { readonly accessLogging: AccessLoggingModel } | { readonly metrics: MetricsModel }): void {
  const t = telemetryAt(model, path);
  const next: TelemetryModel = 'tracing' in entry ? { ...t, tracing: [...t.tracing, entry.tracing] }
    : 'accessLogging' in entry ? { ...t, accessLogging: [...t.accessLogging, entry.accessLogging] }
      : { ...t, metrics: [...t.metrics, entry.metrics] };
  TELEMETRIES.get(model)!.set(path, next);
  model.touch();
}

/** The Telemetry registered under `path`. */
export function telemetryAt(model: MeshModel, path: string): TelemetryModel {
  const t = TELEMETRIES.get(model)?.get(path);
  if (!t) throw new Error(`internal: telemetry ${path} is not registered`);
  return t;
}

export function addAlertGroup(model: MeshModel, group: AlertGroupModel): void {
  observabilityOf(model).alertGroups.push(group);
  model.touch();
}

export function addRuleLoader(model: MeshModel, loader: RuleLoaderModel): void {
  observabilityOf(model).ruleLoaders.push(loader);
  model.touch();
}

/** Registers a Prometheus server of the app. */
export function addPrometheus(model: MeshModel, prometheus: PrometheusModel): void {
  observabilityOf(model).prometheuses.push(prometheus);
  model.touch();
}

/** The app's Prometheus servers, in registration order. */
export function prometheusesOf(model: MeshModel): readonly PrometheusModel[] {
  return observabilityOf(model).prometheuses;
}

/** Registers an analysis that queries Prometheus (checked by ROLLOUT003). */
export function addPrometheusQuery(model: MeshModel, query: PrometheusQueryModel): void {
  observabilityOf(model).prometheusQueries.push(query);
  model.touch();
}

/** Analyses that query Prometheus, in registration order. */
export function prometheusQueriesOf(model: MeshModel): readonly PrometheusQueryModel[] {
  return observabilityOf(model).prometheusQueries;
}

/** Alert groups to be loaded from rule files, in registration order. */
export function alertGroups(model: MeshModel): readonly AlertGroupModel[] {
  return observabilityOf(model).alertGroups;
}

/** The purposes a declared extension provider entry serves. */
export function usesOf(entry: Readonly<Record<string, unknown>>): ProviderUse[] {
  return (Object.keys(PROVIDER_KINDS) as ProviderUse[]).filter((use) => PROVIDER_KINDS[use].some((k) => k in entry));
}

function undeclaredProviders(model: MeshModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const ref of observabilityOf(model).references) {
    const declared = model.extensionProviders.find((p) => p.name === ref.name);
    const builtin = BUILTIN_PROVIDERS[ref.name];
    if (!declared && !builtin) {
      const known = [...Object.keys(BUILTIN_PROVIDERS), ...model.extensionProviders.map((p) => p.name)].map((n) => JSON.stringify(n)).join(', ');
      out.push({
        code: 'OBS001',
        severity: 'error',
        path: ref.path,
        message: `'${ref.prop}' must reference an extension provider declared in this app's mesh config (declared: ${known}), got ${JSON.stringify(ref.name)}. `
          + 'Fix: declare the provider (e.g. new OpenTelemetryTracingProvider(...) or JaegerAddon.addTracingProvider()) in the same App, or pass the declared provider object',
      });
      continue;
    }
    const uses = declared ? usesOf(declared.entry) : [builtin];
    if (!uses.includes(ref.use)) {
      out.push({
        code: 'OBS001',
        severity: 'error',
        path: ref.path,
        message: `'${ref.prop}' must reference a provider usable for ${ref.use}, got ${JSON.stringify(ref.name)} which serves ${uses.join(', ') || 'nothing this library knows'}. `
          + `Fix: pass a ${ref.use} provider`,
      });
    }
  }
  return out;
}

/** Where and how Istio's built-in `envoy` access-log provider writes (its format is Istio's text format). */
const BUILTIN_ENVOY_ACCESS_LOG = { path: '/dev/stdout', encoding: 'TEXT' };

/**
 * A Telemetry that names the built-in `envoy` provider replaces the mesh's
 * default access-log providers for its workloads, so an access log the control
 * plane declares with another path or encoding never reaches those proxies.
 */
function builtinAccessLogOverridesDeclared(model: MeshModel): Diagnostic[] {
  const declared = model.controlPlanes.find((cp) => cp.accessLog
    && (cp.accessLog.path !== BUILTIN_ENVOY_ACCESS_LOG.path || cp.accessLog.encoding !== BUILTIN_ENVOY_ACCESS_LOG.encoding));
  if (!declared?.accessLog) return [];
  const log = declared.accessLog;
  return observabilityOf(model).references
    .filter((ref) => ref.use === 'accessLogging' && ref.name === 'envoy' && !model.extensionProviders.some((p) => p.name === 'envoy'))
    .map((ref) => ({
      code: 'OBS004',
      severity: 'error' as const,
      path: ref.path,
      message: `'${ref.prop}' must not be Istio's built-in "envoy" provider while ${declared.path} declares accessLogFile ${JSON.stringify(log.path)} (${log.encoding}): `
        + `the built-in provider writes text to ${BUILTIN_ENVOY_ACCESS_LOG.path} and this Telemetry overrides the mesh default, so the declared access log never reaches Envoy, got "envoy". `
        + `Fix: omit providers (the mesh default ${JSON.stringify(log.provider)} carries the declared path and encoding), or pass controlPlane.accessLogProvider`,
    }));
}

function targetKey(t: TelemetryTargetModel): string {
  const sel = t.selector ? Object.entries(t.selector).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(',') : '';
  return `${t.namespace}|${sel}`;
}

function conflictingTelemetry(model: MeshModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const first = new Map<string, TelemetryTargetModel>();
  for (const t of observabilityOf(model).telemetries) {
    const key = targetKey(t);
    const prev = first.get(key);
    if (!prev) {
      first.set(key, t);
      continue;
    }
    const what = t.selector ? `workload ${JSON.stringify(t.selector)} in namespace ${t.namespace}` : `namespace ${t.namespace}`;
    out.push({
      code: 'OBS002',
      severity: 'error',
      path: t.path,
      message: `'target' must be unique: ${prev.path} already configures telemetry for ${what} (Istio does not define which of two such Telemetry resources wins), got ${t.scope}. `
        + 'Fix: merge the settings into one Telemetry',
    });
  }
  return out;
}

function unloadedAlertGroups(model: MeshModel): Diagnostic[] {
  const state = observabilityOf(model);
  if (state.ruleLoaders.length > 0) return [];
  return state.alertGroups.map((g) => ({
    code: 'OBS003',
    severity: 'error' as const,
    path: g.path,
    message: '\'format\' RULE_FILE needs a PrometheusAddon in the same App to load the rule file, got none. '
      + 'Fix: add a PrometheusAddon (or ObservabilityStack), or use format: AlertRuleFormat.PROMETHEUS_RULE for a Prometheus-operator cluster',
  }));
}
