import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { IAccessLogProvider, IMetricsProvider, ITracingProvider } from '../control-plane/providers';
import { Telemetry } from '../imports/telemetry.istio.io';
import { MeshModel } from '../model';
import { addProviderReference, addTelemetryTarget } from '../model/observability';
import { propError } from '../private/errors';
import { validateDnsLabel } from '../private/names';
import { checkArgs } from '../private/runtime-types';
import { MeshService } from '../services/mesh-service';

/**
 * Which workloads a `MeshTelemetry` applies to.
 *
 * @see https://istio.io/latest/docs/reference/config/telemetry/
 */
export abstract class TelemetryTarget {
  /** Every workload of the mesh: the Telemetry lives in the mesh root namespace without a selector. */
  public static mesh(): TelemetryTarget {
    return new ScopedTarget('mesh');
  }

  /** Every workload of one namespace. */
  public static namespace(namespace: string): TelemetryTarget {
    checkArgs('TelemetryTarget.namespace', 'TelemetryTarget.namespace', arguments);
    return new ScopedTarget('namespace', namespace);
  }

  /** The pods of one `MeshService` (all versions), selected by its `app` label. */
  public static workload(service: MeshService): TelemetryTarget {
    checkArgs('TelemetryTarget.workload', 'TelemetryTarget.workload', arguments);
    return new ScopedTarget('workload', service.namespace, { app: service.serviceName });
  }

  /** `mesh`, `namespace` or `workload`. */
  public abstract readonly scope: string;

  /** @internal */
  public abstract _bind(model: MeshModel): { namespace: string; selector?: Record<string, string> };
}

class ScopedTarget extends TelemetryTarget {
  constructor(public readonly scope: string, private readonly ns?: string, private readonly selector?: Record<string, string>) {
    super();
  }

  public _bind(model: MeshModel) {
    return { namespace: this.ns ?? model.rootNamespace, selector: this.selector ? { ...this.selector } : undefined };
  }
}

/** Which side of a request a setting applies to. */
export enum TrafficMode {
  /** Both the client and the server side. */
  CLIENT_AND_SERVER = 'CLIENT_AND_SERVER',
  /** Only when the workload is the client (outbound). */
  CLIENT = 'CLIENT',
  /** Only when the workload is the server (inbound). */
  SERVER = 'SERVER',
}

/**
 * A tag added to every span.
 *
 * @see https://istio.io/latest/docs/reference/config/telemetry/#Tracing-CustomTag
 */
export abstract class TracingCustomTag {
  /** A fixed value. */
  public static literal(tag: string, value: string): TracingCustomTag {
    checkArgs('TracingCustomTag.literal', 'TracingCustomTag.literal', arguments);
    return new CustomTagImpl(tag, { literal: { value } });
  }

  /** The value of a request header (or `defaultValue` when the header is absent). */
  public static header(tag: string, header: string, defaultValue?: string): TracingCustomTag {
    checkArgs('TracingCustomTag.header', 'TracingCustomTag.header', arguments);
    return new CustomTagImpl(tag, { header: { name: header, ...(defaultValue !== undefined ? { defaultValue } : {}) } });
  }

  /** The value of an environment variable of the proxy (or `defaultValue` when unset). */
  public static environment(tag: string, variable: string, defaultValue?: string): TracingCustomTag {
    checkArgs('TracingCustomTag.environment', 'TracingCustomTag.environment', arguments);
    return new CustomTagImpl(tag, { environment: { name: variable, ...(defaultValue !== undefined ? { defaultValue } : {}) } });
  }

  /** Span tag name. */
  public abstract readonly tag: string;

  /** @internal */
  public abstract _toKube(): Record<string, unknown>;
}

class CustomTagImpl extends TracingCustomTag {
  constructor(public readonly tag: string, private readonly value: Record<string, unknown>) {
    super();
  }

  public _toKube() {
    return this.value;
  }
}

/** Tracing settings of a `MeshTelemetry`. */
export interface TelemetryTracing {
  /**
   * Where spans go. Istio supports one provider per tracing entry.
   *
   * @default - the mesh config's `defaultProviders.tracing`
   */
  readonly provider?: ITracingProvider;

  /**
   * Percentage of requests sampled when the caller made no sampling decision, 0 to 100.
   *
   * @default - the provider's or mesh's setting (Istio's default is 1)
   */
  readonly randomSamplingPercentage?: number;

  /**
   * Tags added to every span.
   *
   * @default - none
   */
  readonly customTags?: TracingCustomTag[];

  /**
   * Stop reporting spans (the trace context is still propagated).
   *
   * @default false
   */
  readonly disableSpanReporting?: boolean;

  /**
   * Which side of a request this applies to.
   *
   * @default TrafficMode.CLIENT_AND_SERVER
   */
  readonly mode?: TrafficMode;
}

/** Access log settings of a `MeshTelemetry`. */
export interface TelemetryAccessLogging {
  /**
   * Where access logs go.
   *
   * @default - the mesh config's `defaultProviders.accessLogging` (named explicitly when the
   * entry has a `filter`, since istiod applies a filter only to providers the entry names)
   */
  readonly providers?: IAccessLogProvider[];

  /**
   * CEL expression selecting the requests to log, e.g.
   * `response.code >= 400`.
   *
   * @default - every request is logged
   * @see https://istio.io/latest/docs/reference/config/telemetry/#AccessLogging-Filter
   */
  readonly filter?: string;

  /**
   * Turn access logging off for the target.
   *
   * @default false
   */
  readonly disabled?: boolean;

  /**
   * Which side of a request this applies to.
   *
   * @default TrafficMode.CLIENT_AND_SERVER
   */
  readonly mode?: TrafficMode;
}

/** Istio standard metrics. */
export enum IstioMetric {
  /** Every metric. */
  ALL_METRICS = 'ALL_METRICS',
  /** `istio_requests_total`. */
  REQUEST_COUNT = 'REQUEST_COUNT',
  /** `istio_request_duration_milliseconds`. */
  REQUEST_DURATION = 'REQUEST_DURATION',
  /** `istio_request_bytes`. */
  REQUEST_SIZE = 'REQUEST_SIZE',
  /** `istio_response_bytes`. */
  RESPONSE_SIZE = 'RESPONSE_SIZE',
  /** `istio_tcp_connections_opened_total`. */
  TCP_OPENED_CONNECTIONS = 'TCP_OPENED_CONNECTIONS',
  /** `istio_tcp_connections_closed_total`. */
  TCP_CLOSED_CONNECTIONS = 'TCP_CLOSED_CONNECTIONS',
  /** `istio_tcp_sent_bytes_total`. */
  TCP_SENT_BYTES = 'TCP_SENT_BYTES',
  /** `istio_tcp_received_bytes_total`. */
  TCP_RECEIVED_BYTES = 'TCP_RECEIVED_BYTES',
  /** `istio_request_messages_total`. */
  GRPC_REQUEST_MESSAGES = 'GRPC_REQUEST_MESSAGES',
  /** `istio_response_messages_total`. */
  GRPC_RESPONSE_MESSAGES = 'GRPC_RESPONSE_MESSAGES',
}

/**
 * A change to one label (tag) of a metric.
 *
 * @see https://istio.io/latest/docs/reference/config/telemetry/#MetricsOverrides-TagOverride
 */
export abstract class MetricTag {
  /** Drop the tag from the metric (reduces cardinality). */
  public static remove(): MetricTag {
    return new MetricTagImpl({ operation: 'REMOVE' });
  }

  /**
   * Add or replace the tag with the value of a CEL expression over Envoy attributes, e.g. `request.host`.
   */
  public static upsert(expression: string): MetricTag {
    checkArgs('MetricTag.upsert', 'MetricTag.upsert', arguments);
    return new MetricTagImpl({ operation: 'UPSERT', value: expression });
  }

  /** @internal */
  public abstract _toKube(): Record<string, unknown>;
}

class MetricTagImpl extends MetricTag {
  constructor(private readonly value: Record<string, unknown>) {
    super();
  }

  public _toKube() {
    return { ...this.value };
  }
}

/** One override of the standard metrics. */
export interface MetricsOverride {
  /**
   * The metric to change.
   *
   * @default IstioMetric.ALL_METRICS
   */
  readonly metric?: IstioMetric;

  /**
   * Which side of a request this applies to.
   *
   * @default TrafficMode.CLIENT_AND_SERVER
   */
  readonly mode?: TrafficMode;

  /**
   * Stop generating the metric.
   *
   * @default false
   */
  readonly disabled?: boolean;

  /**
   * Tags to remove or set, by tag name.
   *
   * @default - no change
   */
  readonly tagOverrides?: { [tag: string]: MetricTag };
}

/** Metrics settings of a `MeshTelemetry`. */
export interface TelemetryMetrics {
  /**
   * Where metrics are reported.
   *
   * @default - the mesh config's `defaultProviders.metrics` (`prometheus`)
   */
  readonly providers?: IMetricsProvider[];

  /**
   * Overrides applied in order.
   *
   * @default - none
   */
  readonly overrides?: MetricsOverride[];
}

/**
 * Properties of a `MeshTelemetry`.
 */
export interface MeshTelemetryProps {
  /**
   * Workloads the settings apply to.
   *
   * @default TelemetryTarget.mesh()
   */
  readonly target?: TelemetryTarget;

  /**
   * Name of the Telemetry resource.
   *
   * @default - `mesh-default` for the mesh target, `namespace-default` for a
   * namespace, the service name for a workload
   */
  readonly name?: string;

  /**
   * Tracing settings.
   *
   * @default - inherited from the enclosing scope
   */
  readonly tracing?: TelemetryTracing[];

  /**
   * Access logging settings.
   *
   * @default - inherited from the enclosing scope
   */
  readonly accessLogging?: TelemetryAccessLogging[];

  /**
   * Metrics settings.
   *
   * @default - inherited from the enclosing scope
   */
  readonly metrics?: TelemetryMetrics[];
}

const TAG_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Tracing, access logging and metrics for the mesh, a namespace, or one
 * service: an Istio `Telemetry` (telemetry.istio.io/v1).
 *
 * Providers are passed as objects; a provider no construct of the App declares
 * fails synth (OBS001). Two Telemetry resources for the same target fail
 * synth (OBS002).
 *
 * @see https://istio.io/latest/docs/reference/config/telemetry/
 * @example
 * new MeshTelemetry(chart, 'mesh-telemetry', {
 *   tracing: [{ provider: jaeger.addTracingProvider('jaeger'), randomSamplingPercentage: 10 }],
 *   accessLogging: [{ providers: [MeshProviders.envoyAccessLog()] }],
 * });
 */
export class MeshTelemetry extends Construct {
  /** Name of the Telemetry resource. */
  public readonly name: string;
  /** Namespace of the Telemetry resource. */
  public readonly namespace: string;
  /** The Telemetry resource (escape hatch: `addJsonPatch`). */
  public readonly resource: ApiObject;

  private readonly model: MeshModel;
  private readonly selector?: Record<string, string>;
  private readonly _tracing: Record<string, unknown>[] = [];
  private readonly _accessLogging: Record<string, unknown>[] = [];
  private readonly _metrics: Record<string, unknown>[] = [];

  constructor(scope: Construct, id: string, props: MeshTelemetryProps = {}) {
    super(scope, id);
    checkArgs(this, 'MeshTelemetry.new', arguments);
    this.model = MeshModel.of(this);
    const target = props.target ?? TelemetryTarget.mesh();
    const bound = target._bind(this.model);
    this.namespace = validateDnsLabel(this, 'target', bound.namespace);
    this.selector = bound.selector;
    const defaultName = target.scope === 'mesh' ? 'mesh-default' : target.scope === 'namespace' ? 'namespace-default' : bound.selector!.app;
    this.name = validateDnsLabel(this, 'name', props.name ?? defaultName);

    this.resource = new Telemetry(this, 'Resource', {
      metadata: { name: this.name, namespace: this.namespace },
      spec: Lazy.any({ produce: () => this._toKube() }),
    });
    addTelemetryTarget(this.model, { path: this.node.path, namespace: this.namespace, scope: target.scope, selector: this.selector });
    this.node.addValidation({ validate: () => this.model.errorsFor(this.node.path) });

    for (const t of props.tracing ?? []) this.addTracing(t);
    for (const a of props.accessLogging ?? []) this.addAccessLogging(a);
    for (const m of props.metrics ?? []) this.addMetrics(m);
  }

  /**
   * Adds a tracing entry.
   */
  public addTracing(tracing: TelemetryTracing): void {
    checkArgs(this, 'MeshTelemetry.addTracing', arguments);
    const prop = `tracing[${this._tracing.length}]`;
    const pct = tracing.randomSamplingPercentage;
    if (pct !== undefined && (typeof pct !== 'number' || !Number.isFinite(pct) || pct < 0 || pct > 100)) {
      throw propError(this, `${prop}.randomSamplingPercentage`, 'must be between 0 and 100', pct, 'use a percentage such as 10 (10% of requests)');
    }
    const tags: Record<string, unknown> = {};
    (tracing.customTags ?? []).forEach((t, i) => {
      if (!TAG_NAME.test(t.tag)) {
        throw propError(this, `${prop}.customTags[${i}]`, 'must have a tag name of letters, digits, \'_\', \'.\' or \'-\'', t.tag, 'use a name such as \'team\'');
      }
      if (t.tag in tags) {
        throw propError(this, `${prop}.customTags[${i}]`, 'must have a unique tag name', t.tag, 'give each custom tag its own name');
      }
      tags[t.tag] = t._toKube();
    });
    const entry: Record<string, unknown> = {};
    if (tracing.mode && tracing.mode !== TrafficMode.CLIENT_AND_SERVER) entry.match = { mode: tracing.mode };
    if (tracing.provider) {
      entry.providers = [{ name: tracing.provider.tracingProviderName }];
      addProviderReference(this.model, { path: this.node.path, prop: `${prop}.provider`, name: tracing.provider.tracingProviderName, use: 'tracing' });
    }
    if (pct !== undefined) entry.randomSamplingPercentage = pct;
    if (Object.keys(tags).length) entry.customTags = tags;
    if (tracing.disableSpanReporting !== undefined) entry.disableSpanReporting = tracing.disableSpanReporting;
    this._tracing.push(entry);
  }

  /**
   * Adds an access logging entry.
   */
  public addAccessLogging(logging: TelemetryAccessLogging): void {
    checkArgs(this, 'MeshTelemetry.addAccessLogging', arguments);
    const prop = `accessLogging[${this._accessLogging.length}]`;
    if (logging.filter !== undefined && logging.filter.trim() === '') {
      throw propError(this, `${prop}.filter`, 'must be a non-empty CEL expression', logging.filter, 'omit filter to log every request, or use e.g. \'response.code >= 400\'');
    }
    const entry: Record<string, unknown> = {};
    if (logging.mode && logging.mode !== TrafficMode.CLIENT_AND_SERVER) entry.match = { mode: logging.mode };
    const providers = logging.providers ?? [];
    if (providers.length) {
      entry.providers = providers.map((p, i) => {
        addProviderReference(this.model, { path: this.node.path, prop: `${prop}.providers[${i}]`, name: p.accessLogProviderName, use: 'accessLogging' });
        return { name: p.accessLogProviderName };
      });
    }
    if (logging.disabled !== undefined) entry.disabled = logging.disabled;
    if (logging.filter !== undefined) entry.filter = { expression: logging.filter };
    this._accessLogging.push(entry);
  }

  /**
   * Adds a metrics entry.
   */
  public addMetrics(metrics: TelemetryMetrics): void {
    checkArgs(this, 'MeshTelemetry.addMetrics', arguments);
    const prop = `metrics[${this._metrics.length}]`;
    const entry: Record<string, unknown> = {};
    const providers = metrics.providers ?? [];
    if (providers.length) {
      entry.providers = providers.map((p, i) => {
        addProviderReference(this.model, { path: this.node.path, prop: `${prop}.providers[${i}]`, name: p.metricsProviderName, use: 'metrics' });
        return { name: p.metricsProviderName };
      });
    }
    const overrides = (metrics.overrides ?? []).map((o, i) => {
      const tagOverrides: Record<string, unknown> = {};
      for (const [tag, op] of Object.entries(o.tagOverrides ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
        if (!TAG_NAME.test(tag)) {
          throw propError(this, `${prop}.overrides[${i}].tagOverrides`, 'must use tag names of letters, digits, \'_\', \'.\' or \'-\'', tag, 'use a tag name such as \'request_host\'');
        }
        tagOverrides[tag] = op._toKube();
      }
      if (o.disabled && Object.keys(tagOverrides).length) {
        throw propError(this, `${prop}.overrides[${i}]`, 'must not both disable a metric and override its tags', Object.keys(tagOverrides),
          'drop tagOverrides or disabled');
      }
      const match: Record<string, unknown> = { metric: o.metric ?? IstioMetric.ALL_METRICS };
      if (o.mode) match.mode = o.mode;
      return {
        match,
        ...(o.disabled !== undefined ? { disabled: o.disabled } : {}),
        ...(Object.keys(tagOverrides).length ? { tagOverrides } : {}),
      };
    });
    if (overrides.length) entry.overrides = overrides;
    this._metrics.push(entry);
  }

  /**
   * An entry without providers means "the mesh's default access-log providers", but istiod
   * applies an entry's `filter` only to providers the entry names (pilot's mergeLogs; the
   * conformance xDS stage showed the filter dropped). So an entry that filters names the
   * control planes' default providers explicitly (each istiod ignores names its mesh config
   * does not define, as with one provider per revision).
   */
  private withDefaultAccessLogProviders(entry: Record<string, unknown>): Record<string, unknown> {
    if (entry.providers || entry.filter === undefined) return entry;
    const defaults = [...new Set(this.model.controlPlanes.flatMap((cp) => (cp.accessLog ? [cp.accessLog.provider] : [])))].sort();
    if (!defaults.length) return entry;
    return { ...entry, providers: defaults.map((name) => ({ name })) };
  }

  /** @internal */
  public _toKube(): Record<string, unknown> {
    const spec: Record<string, unknown> = {};
    if (this.selector) spec.selector = { matchLabels: { ...this.selector } };
    if (this._tracing.length) spec.tracing = this._tracing;
    if (this._accessLogging.length) spec.accessLogging = this._accessLogging.map((e) => this.withDefaultAccessLogProviders(e));
    if (this._metrics.length) spec.metrics = this._metrics;
    return spec;
  }
}
