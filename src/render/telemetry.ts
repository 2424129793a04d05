import {
  TelemetrySpec, TelemetrySpecAccessLogging, TelemetrySpecAccessLoggingMatchMode, TelemetrySpecMetrics, TelemetrySpecMetricsOverrides,
  TelemetrySpecMetricsOverridesMatchMetric, TelemetrySpecMetricsOverridesMatchMode, TelemetrySpecMetricsOverridesTagOverrides,
  TelemetrySpecMetricsOverridesTagOverridesOperation, TelemetrySpecTracing, TelemetrySpecTracingCustomTags, TelemetrySpecTracingMatchMode,
} from '../imports/telemetry.istio.io';
import {
  AccessLoggingModel, CustomTagModel, MetricsModel, MetricsOverrideModel, TagOverrideModel, TelemetryModel, TracingModel, TrafficModeName,
} from '../model/observability';
import { MeshSnapshot } from '../model/snapshot';

/**
 * Istio `telemetry.istio.io/v1` Telemetry rendering: a pure function from the
 * snapshot to the generated spec type.
 */

const TRACING_MODES: Readonly<Record<TrafficModeName, TelemetrySpecTracingMatchMode>> = {
  CLIENT_AND_SERVER: TelemetrySpecTracingMatchMode.CLIENT_UNDERSCORE_AND_UNDERSCORE_SERVER,
  CLIENT: TelemetrySpecTracingMatchMode.CLIENT,
  SERVER: TelemetrySpecTracingMatchMode.SERVER,
};

const ACCESS_LOG_MODES: Readonly<Record<TrafficModeName, TelemetrySpecAccessLoggingMatchMode>> = {
  CLIENT_AND_SERVER: TelemetrySpecAccessLoggingMatchMode.CLIENT_UNDERSCORE_AND_UNDERSCORE_SERVER,
  CLIENT: TelemetrySpecAccessLoggingMatchMode.CLIENT,
  SERVER: TelemetrySpecAccessLoggingMatchMode.SERVER,
};

const METRIC_MODES: Readonly<Record<TrafficModeName, TelemetrySpecMetricsOverridesMatchMode>> = {
  CLIENT_AND_SERVER: TelemetrySpecMetricsOverridesMatchMode.CLIENT_UNDERSCORE_AND_UNDERSCORE_SERVER,
  CLIENT: TelemetrySpecMetricsOverridesMatchMode.CLIENT,
  SERVER: TelemetrySpecMetricsOverridesMatchMode.SERVER,
};

const METRICS: ReadonlyMap<string, TelemetrySpecMetricsOverridesMatchMetric> = new Map(
  Object.values(TelemetrySpecMetricsOverridesMatchMetric).map((m) => [m, m]));

const TAG_OPERATIONS: Readonly<Record<TagOverrideModel['operation'], TelemetrySpecMetricsOverridesTagOverridesOperation>> = {
  REMOVE: TelemetrySpecMetricsOverridesTagOverridesOperation.REMOVE,
  UPSERT: TelemetrySpecMetricsOverridesTagOverridesOperation.UPSERT,
};

/**
 * `spec` of a Telemetry: the workload selector (workload scope only) and the
 * tracing, access logging and metrics entries in the order they were added.
 */
export function renderTelemetrySpec(snapshot: MeshSnapshot, telemetry: TelemetryModel): TelemetrySpec {
  return {
    ...(telemetry.selector ? { selector: { matchLabels: { ...telemetry.selector } } } : {}),
    ...(telemetry.tracing.length ? { tracing: telemetry.tracing.map(renderTracing) } : {}),
    ...(telemetry.accessLogging.length ? { accessLogging: telemetry.accessLogging.map((a) => renderAccessLogging(snapshot, a)) } : {}),
    ...(telemetry.metrics.length ? { metrics: telemetry.metrics.map((m) => renderMetrics(telemetry.path, m)) } : {}),
  };
}

/** A `tracing[]` entry. `match` only for one side (both sides is Istio's default). */
export function renderTracing(tracing: TracingModel): TelemetrySpecTracing {
  const customTags: { [tag: string]: TelemetrySpecTracingCustomTags } = {};
  for (const t of tracing.customTags) customTags[t.tag] = renderCustomTag(t);
  return {
    ...(tracing.mode && tracing.mode !== 'CLIENT_AND_SERVER' ? { match: { mode: TRACING_MODES[tracing.mode] } } : {}),
    ...(tracing.provider !== undefined ? { providers: [{ name: tracing.provider }] } : {}),
    ...(tracing.randomSamplingPercentage !== undefined ? { randomSamplingPercentage: tracing.randomSamplingPercentage } : {}),
    ...(tracing.customTags.length ? { customTags } : {}),
    ...(tracing.disableSpanReporting !== undefined ? { disableSpanReporting: tracing.disableSpanReporting } : {}),
  };
}

function renderCustomTag(tag: CustomTagModel): TelemetrySpecTracingCustomTags {
  if (tag.kind === 'literal') return { literal: { value: tag.value } };
  const source = { name: tag.name, ...(tag.defaultValue !== undefined ? { defaultValue: tag.defaultValue } : {}) };
  return tag.kind === 'header' ? { header: source } : { environment: source };
}

/**
 * An `accessLogging[]` entry. An entry without providers means "the mesh's
 * default access-log providers", but istiod applies an entry's `filter` only
 * to providers the entry names (pilot's mergeLogs; the conformance xDS stage
 * showed the filter dropped). So an entry that filters names the control
 * planes' default providers explicitly (each istiod ignores names its mesh
 * config does not define, as with one provider per revision).
 */
export function renderAccessLogging(snapshot: MeshSnapshot, logging: AccessLoggingModel): TelemetrySpecAccessLogging {
  let providers = [...logging.providers];
  if (!providers.length && logging.filter !== undefined) {
    providers = [...new Set(snapshot.controlPlanes.flatMap((cp) => (cp.accessLog ? [cp.accessLog.provider] : [])))].sort();
  }
  return {
    ...(logging.mode && logging.mode !== 'CLIENT_AND_SERVER' ? { match: { mode: ACCESS_LOG_MODES[logging.mode] } } : {}),
    ...(providers.length ? { providers: providers.map((name) => ({ name })) } : {}),
    ...(logging.disabled !== undefined ? { disabled: logging.disabled } : {}),
    ...(logging.filter !== undefined ? { filter: { expression: logging.filter } } : {}),
  };
}

/** A `metrics[]` entry. */
export function renderMetrics(path: string, metrics: MetricsModel): TelemetrySpecMetrics {
  return {
    ...(metrics.providers.length ? { providers: metrics.providers.map((name) => ({ name })) } : {}),
    ...(metrics.overrides.length ? { overrides: metrics.overrides.map((o) => renderOverride(path, o)) } : {}),
  };
}

function renderOverride(path: string, o: MetricsOverrideModel): TelemetrySpecMetricsOverrides {
  const metric = METRICS.get(o.metric);
  if (!metric) throw new Error(`internal: telemetry ${path} overrides unknown metric ${o.metric}`);
  const tagOverrides: { [tag: string]: TelemetrySpecMetricsOverridesTagOverrides } = {};
  for (const t of o.tagOverrides) {
    tagOverrides[t.tag] = { operation: TAG_OPERATIONS[t.operation], ...(t.value !== undefined ? { value: t.value } : {}) };
  }
  return {
    match: { metric, ...(o.mode ? { mode: METRIC_MODES[o.mode] } : {}) },
    ...(o.disabled !== undefined ? { disabled: o.disabled } : {}),
    ...(o.tagOverrides.length ? { tagOverrides } : {}),
  };
}
