import { ApiObject, Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { AnalysisTemplate } from '../imports/argoproj.io';
import { SloAnalysisModel } from '../model/releases';
import { snapshotOf } from '../model/resolve';
import { IPrometheusEndpoint } from '../observability/prometheus';
import { propError } from '../private/errors';
import { checkArgs } from '../private/runtime-types';
import { checkInt } from '../private/values';
import { renderSloAnalysisSpec } from '../render/analysis-template';
import type { MeshService } from '../services/mesh-service';
import { addMeshValidation, meshOf } from '../synth/mesh';

/**
 * Properties of an `SloAnalysis`.
 */
export interface SloAnalysisProps {
  /** The service whose canary is measured. */
  readonly service: MeshService;

  /**
   * The canary version (the `version` pod label Istio reports as
   * `destination_version`).
   */
  readonly canary: string;

  /**
   * Minimum share of non-5xx responses of the canary, in percent (e.g. 99
   * for 99%), from `istio_requests_total`.
   *
   * @default - no success-rate check
   */
  readonly successRatePercent?: number;

  /**
   * Maximum 99th percentile request duration of the canary, in
   * milliseconds, from `istio_request_duration_milliseconds_bucket`.
   *
   * @default - no latency check
   */
  readonly p99LatencyMs?: number;

  /**
   * The Prometheus that collects Istio's standard metrics.
   *
   * @default - the `PrometheusAddon` of this App (an error if there is none or several)
   */
  readonly prometheus?: IPrometheusEndpoint;

  /**
   * Time between two measurements, and the rate window of each query.
   *
   * @default Duration.minutes(1)
   */
  readonly interval?: Duration;

  /**
   * Number of measurements per metric.
   *
   * @default 5
   */
  readonly count?: number;

  /**
   * Failed measurements tolerated per metric before the analysis (and the
   * rollout) fails.
   *
   * @default 1
   */
  readonly failureLimit?: number;

  /**
   * Name of the AnalysisTemplate.
   *
   * @default - `<service>-<canary>-slo`
   */
  readonly templateName?: string;
}

/**
 * An Argo Rollouts `AnalysisTemplate` that checks a canary against service
 * level objectives, with Prometheus queries generated from Istio's standard
 * metrics, scoped to the canary by `destination_version` and measured on the
 * server side (`reporter="destination"`):
 *
 * - success rate: non-5xx share of `istio_requests_total` >= `successRatePercent`;
 * - latency: p99 of `istio_request_duration_milliseconds_bucket` <= `p99LatencyMs`.
 *
 * A measurement with no traffic (an empty or NaN result) is inconclusive,
 * neither success nor failure: Argo Rollouts then pauses the rollout
 * (`inconclusiveLimit` 0) until a person promotes or aborts it, so a quiet
 * interval at night never aborts a canary and never promotes one unseen.
 *
 * @see https://argoproj.github.io/argo-rollouts/features/analysis/
 * @see https://istio.io/latest/docs/reference/config/metrics/
 */
export class SloAnalysis extends Construct {
  /** Name of the AnalysisTemplate. */
  public readonly templateName: string;
  /** Namespace of the AnalysisTemplate (the service's). */
  public readonly namespace: string;
  /** The AnalysisTemplate (escape hatch). */
  public readonly resource: ApiObject;


  constructor(scope: Construct, id: string, props: SloAnalysisProps) {
    super(scope, id);
    checkArgs(this, 'SloAnalysis.new', arguments);
    if (props.successRatePercent === undefined && props.p99LatencyMs === undefined) {
      throw propError(this, 'successRatePercent', 'or \'p99LatencyMs\' must be set (an analysis needs at least one objective)', undefined,
        'set e.g. successRatePercent: 99 and/or p99LatencyMs: 500');
    }
    const rate = props.successRatePercent;
    if (rate !== undefined && (!Number.isFinite(rate) || rate <= 0 || rate > 100)) {
      throw propError(this, 'successRatePercent', 'must be a percentage above 0 and at most 100', props.successRatePercent, 'use e.g. 99 for 99%');
    }
    if (props.p99LatencyMs !== undefined && (!Number.isFinite(props.p99LatencyMs) || props.p99LatencyMs <= 0)) {
      throw propError(this, 'p99LatencyMs', 'must be a positive number of milliseconds', props.p99LatencyMs, 'use e.g. 500');
    }
    const interval = props.interval ?? Duration.minutes(1);
    const ms = interval.toMilliseconds();
    if (!Number.isInteger(ms / 1000) || ms < 1000) {
      throw propError(this, 'interval', 'must be a whole number of seconds, at least 1s', interval.toHumanString(), 'use e.g. Duration.minutes(1)');
    }
    const count = checkInt(this, 'count', props.count ?? 5, 1);
    const failureLimit = checkInt(this, 'failureLimit', props.failureLimit ?? 1, 0);
    if (!props.service.versions.includes(props.canary)) {
      throw propError(this, 'canary', `must name a version of ${props.service.serviceName} (${props.service.versions.map((v) => JSON.stringify(v)).join(', ')})`,
        props.canary, 'use the canary version of the release');
    }
    this.namespace = props.service.namespace;
    this.templateName = props.templateName ?? `${props.service.serviceName}-${props.canary}-slo`;
    const analysis: SloAnalysisModel = {
      serviceHost: props.service.host,
      canary: props.canary,
      intervalSeconds: ms / 1000,
      count,
      failureLimit,
      successRatePercent: props.successRatePercent,
      p99LatencyMs: props.p99LatencyMs,
      prometheusUrl: props.prometheus?.prometheusUrl,
    };
    const model = meshOf(this);
    this.resource = new AnalysisTemplate(this, 'Resource', {
      metadata: { name: this.templateName, namespace: this.namespace, labels: { 'app.kubernetes.io/name': props.service.serviceName } },
      spec: Lazy.any({ produce: () => renderSloAnalysisSpec(snapshotOf(model), analysis) }),
    });
    // ROLLOUT003 (analysis/rules/rollout-rules.ts) checks that the app has the one Prometheus the template queries
    model.addPrometheusQuery({ path: this.node.path, url: props.prometheus?.prometheusUrl });
    addMeshValidation(this);
  }
}
