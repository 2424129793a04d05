import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { IAccessLogProvider, IMetricsProvider, ITracingProvider } from '../control-plane/providers';
import { Telemetry, TelemetrySpec } from '../imports/telemetry.istio.io';
import { MeshModel } from '../model/mesh-model';
import { CustomTagModel, MetricsOverrideModel, TagOverrideModel, TelemetryModel } from '../model/observability';
import { snapshotOf } from '../model/resolve';
import { propError } from '../private/errors';
import { validateDnsLabel } from '../private/names';
import { checkArgs } from '../private/runtime-types';
import { renderTelemetrySpec } from '../render/telemetry';
import { MeshService } from '../services/mesh-service';
import { addMeshValidation, meshOf } from '../synth/mesh';

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
    return { namespace: this.ns ?? snapshotOf(model).mesh.rootNamespace, selector: this.selector ? { ...this.selector } : undefined };
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
    return new CustomTagImpl({ tag, kind: 'literal', value });
  }

  /** The value of a request header (or `defaultValue` when the header is absent). */
  public static header(tag: string, header: string, defaultValue?: string): TracingCustomTag {
    checkArgs('TracingCustomTag.header', 'TracingCustomTag.header', arguments);
    return new CustomTagImpl({ tag, kind: 'header', name: header, defaultValue });
  }

  /** The value of an environment variable of the proxy (or `defaultValue` when unset). */
  public static environment(tag: string, variable: string, defaultValue?: string): TracingCustomTag {
    checkArgs('TracingCustomTag.environment', 'TracingCustomTag.environment', arguments);
    return new CustomTagImpl({ tag, kind: 'environment', name: variable, defaultValue });
  }

  /** Span tag name. */
  public abstract readonly tag: string;

  /** @internal */
  public abstract _toModel(): CustomTagModel;
}

class CustomTagImpl extends TracingCustomTag {
  constructor(private readonly value: CustomTagModel) {
    super();
  }

  public get tag(): string {
    return this.value.tag;
  }

  public _toModel(): CustomTagModel {
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
    return new MetricTagImpl('REMOVE');
  }

  /**
   * Add or replace the tag with the value of a CEL expression over Envoy attributes, e.g. `request.host`.
   */
  public static upsert(expression: string): MetricTag {
    checkArgs('MetricTag.upsert', 'MetricTag.upsert', arguments);
    return new MetricTagImpl('UPSERT', expression);
  }

  /** @internal the override of tag `tag`. */
  public abstract _toModel(tag: string): TagOverrideModel;
}

class MetricTagImpl extends MetricTag {
  constructor(private readonly operation: TagOverrideModel['operation'], private readonly value?: string) {
    super();
  }

  public _toModel(tag: string): TagOverrideModel {
    return this.value === undefined ? { tag, operation: this.operation } : { tag, operation: this.operation, value: this.value };
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
  private readonly counts = { tracing: 0, accessLogging: 0, metrics: 0 };

  constructor(scope: Construct, id: string, props: MeshTelemetryProps = {}) {
    super(scope, id);
    checkArgs(this, 'MeshTelemetry.new', arguments);
    this.model = meshOf(this);
    const target = props.target ?? TelemetryTarget.mesh();
    const bound = target._bind(this.model);
    this.namespace = validateDnsLabel(this, 'target', bound.namespace);
    const defaultName = target.scope === 'mesh' ? 'mesh-default' : target.scope === 'namespace' ? 'namespace-default' : bound.selector!.app;
    this.name = validateDnsLabel(this, 'name', props.name ?? defaultName);

    this.resource = new Telemetry(this, 'Resource', {
      metadata: { name: this.name, namespace: this.namespace },
      spec: Lazy.any({ produce: () => this._toKube() }),
    });
    this.model.putTelemetry({
      path: this.node.path,
      name: this.name,
      namespace: this.namespace,
      scope: target.scope,
      selector: bound.selector,
      tracing: [],
      accessLogging: [],
      metrics: [],
    });
    addMeshValidation(this);

    for (const t of props.tracing ?? []) this.addTracing(t);
    for (const a of props.accessLogging ?? []) this.addAccessLogging(a);
    for (const m of props.metrics ?? []) this.addMetrics(m);
  }

  /**
   * Adds a tracing entry.
   */
  public addTracing(tracing: TelemetryTracing): void {
    checkArgs(this, 'MeshTelemetry.addTracing', arguments);
    const prop = `tracing[${this.counts.tracing}]`;
    const pct = tracing.randomSamplingPercentage;
    if (pct !== undefined && (typeof pct !== 'number' || !Number.isFinite(pct) || pct < 0 || pct > 100)) {
      throw propError(this, `${prop}.randomSamplingPercentage`, 'must be between 0 and 100', pct, 'use a percentage such as 10 (10% of requests)');
    }
    const tags: CustomTagModel[] = [];
    (tracing.customTags ?? []).forEach((t, i) => {
      if (!TAG_NAME.test(t.tag)) {
        throw propError(this, `${prop}.customTags[${i}]`, 'must have a tag name of letters, digits, \'_\', \'.\' or \'-\'', t.tag, 'use a name such as \'team\'');
      }
      if (tags.some((o) => o.tag === t.tag)) {
        throw propError(this, `${prop}.customTags[${i}]`, 'must have a unique tag name', t.tag, 'give each custom tag its own name');
      }
      tags.push(t._toModel());
    });
    const provider = tracing.provider?.tracingProviderName;
    if (provider !== undefined) this.model.addProviderReference({ path: this.node.path, prop: `${prop}.provider`, name: provider, use: 'tracing' });
    this.addEntry({
      tracing: [{
        mode: tracing.mode,
        provider,
        randomSamplingPercentage: pct,
        customTags: tags,
        disableSpanReporting: tracing.disableSpanReporting,
      }],
    });
    this.counts.tracing++;
  }

  /**
   * Adds an access logging entry.
   */
  public addAccessLogging(logging: TelemetryAccessLogging): void {
    checkArgs(this, 'MeshTelemetry.addAccessLogging', arguments);
    const prop = `accessLogging[${this.counts.accessLogging}]`;
    if (logging.filter !== undefined && logging.filter.trim() === '') {
      throw propError(this, `${prop}.filter`, 'must be a non-empty CEL expression', logging.filter, 'omit filter to log every request, or use e.g. \'response.code >= 400\'');
    }
    const providers = (logging.providers ?? []).map((p, i) => {
      this.model.addProviderReference({ path: this.node.path, prop: `${prop}.providers[${i}]`, name: p.accessLogProviderName, use: 'accessLogging' });
      return p.accessLogProviderName;
    });
    this.addEntry({ accessLogging: [{ mode: logging.mode, providers, disabled: logging.disabled, filter: logging.filter }] });
    this.counts.accessLogging++;
  }

  /**
   * Adds a metrics entry.
   */
  public addMetrics(metrics: TelemetryMetrics): void {
    checkArgs(this, 'MeshTelemetry.addMetrics', arguments);
    const prop = `metrics[${this.counts.metrics}]`;
    const providers = (metrics.providers ?? []).map((p, i) => {
      this.model.addProviderReference({ path: this.node.path, prop: `${prop}.providers[${i}]`, name: p.metricsProviderName, use: 'metrics' });
      return p.metricsProviderName;
    });
    const overrides = (metrics.overrides ?? []).map((o, i): MetricsOverrideModel => {
      const tagOverrides: TagOverrideModel[] = [];
      for (const [tag, op] of Object.entries(o.tagOverrides ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
        if (!TAG_NAME.test(tag)) {
          throw propError(this, `${prop}.overrides[${i}].tagOverrides`, 'must use tag names of letters, digits, \'_\', \'.\' or \'-\'', tag, 'use a tag name such as \'request_host\'');
        }
        tagOverrides.push(op._toModel(tag));
      }
      if (o.disabled && tagOverrides.length) {
        throw propError(this, `${prop}.overrides[${i}]`, 'must not both disable a metric and override its tags', tagOverrides.map((t) => t.tag),
          'drop tagOverrides or disabled');
      }
      return { metric: o.metric ?? IstioMetric.ALL_METRICS, mode: o.mode, disabled: o.disabled, tagOverrides };
    });
    this.addEntry({ metrics: [{ providers, overrides }] });
    this.counts.metrics++;
  }

  /** @internal */
  public _toKube(): TelemetrySpec {
    const snapshot = snapshotOf(this.model);
    const telemetry = snapshot.observability.telemetries.find((t) => t.path === this.node.path);
    if (!telemetry) throw new Error(`internal: telemetry ${this.node.path} is not in the snapshot`);
    return renderTelemetrySpec(snapshot, telemetry);
  }

  /** Appends entries to the Telemetry's model. */
  private addEntry(entry: Partial<Pick<TelemetryModel, 'tracing' | 'accessLogging' | 'metrics'>>): void {
    const t = this.model.telemetryAt(this.node.path);
    this.model.putTelemetry({
      ...t,
      tracing: [...t.tracing, ...(entry.tracing ?? [])],
      accessLogging: [...t.accessLogging, ...(entry.accessLogging ?? [])],
      metrics: [...t.metrics, ...(entry.metrics ?? [])],
    });
  }
}
