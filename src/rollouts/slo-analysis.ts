import { ApiObject, Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import {
  AnalysisTemplate, AnalysisTemplateSpec, AnalysisTemplateSpecMetrics, AnalysisTemplateSpecMetricsCount, AnalysisTemplateSpecMetricsFailureLimit,
} from '../imports/argoproj.io';
import { snapshotOf } from '../model/resolve';
import { IPrometheusEndpoint } from '../observability/prometheus';
import { propError } from '../private/errors';
import { checkArgs } from '../private/runtime-types';
import { checkInt } from '../private/values';
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

  private readonly props: SloAnalysisProps;
  private readonly intervalSeconds: number;

  constructor(scope: Construct, id: string, props: SloAnalysisProps) {
    super(scope, id);
    checkArgs(this, 'SloAnalysis.new', arguments);
    this.props = props;
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
    this.intervalSeconds = ms / 1000;
    checkInt(this, 'count', props.count ?? 5, 1);
    checkInt(this, 'failureLimit', props.failureLimit ?? 1, 0);
    if (!props.service.versions.includes(props.canary)) {
      throw propError(this, 'canary', `must name a version of ${props.service.serviceName} (${props.service.versions.map((v) => JSON.stringify(v)).join(', ')})`,
        props.canary, 'use the canary version of the release');
    }
    this.namespace = props.service.namespace;
    this.templateName = props.templateName ?? `${props.service.serviceName}-${props.canary}-slo`;
    this.resource = new AnalysisTemplate(this, 'Resource', {
      metadata: { name: this.templateName, namespace: this.namespace, labels: { 'app.kubernetes.io/name': props.service.serviceName } },
      spec: Lazy.any({ produce: () => this._toArgo() }),
    });
    // ROLLOUT003 (analysis/rules/rollout-rules.ts) checks that the app has the one Prometheus the template queries
    meshOf(this).addPrometheusQuery({ path: this.node.path, url: props.prometheus?.prometheusUrl });
    addMeshValidation(this);
  }

  /** @internal */
  public _toArgo(): AnalysisTemplateSpec {
    const p = this.props;
    const snapshot = snapshotOf(meshOf(this));
    const address = p.prometheus?.prometheusUrl ?? snapshot.addons.find((a) => a.kind === 'prometheus')?.url;
    const window = `${this.intervalSeconds}s`;
    // the waypoint reports the requests of an ambient service
    const reporter = snapshot.service(p.service.host)?.requestMetricsReporter ?? 'destination';
    const selector = `reporter="${reporter}",destination_service="${p.service.host}",destination_version="${p.canary}"`;
    const common = {
      interval: window,
      count: AnalysisTemplateSpecMetricsCount.fromNumber(p.count ?? 5),
      failureLimit: AnalysisTemplateSpecMetricsFailureLimit.fromNumber(p.failureLimit ?? 1),
    };
    const metrics: AnalysisTemplateSpecMetrics[] = [];
    if (p.successRatePercent !== undefined) {
      metrics.push({
        name: 'success-rate',
        ...common,
        ...conditions(`result[0] >= ${p.successRatePercent / 100}`, `result[0] < ${p.successRatePercent / 100}`),
        provider: {
          prometheus: {
            address,
            query: `sum(rate(istio_requests_total{${selector},response_code!~"5.*"}[${window}])) / sum(rate(istio_requests_total{${selector}}[${window}]))`,
          },
        },
      });
    }
    if (p.p99LatencyMs !== undefined) {
      metrics.push({
        name: 'p99-latency',
        ...common,
        ...conditions(`result[0] <= ${p.p99LatencyMs}`, `result[0] > ${p.p99LatencyMs}`),
        provider: {
          prometheus: {
            address,
            query: `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${selector}}[${window}])))`,
          },
        },
      });
    }
    return { metrics };
  }

}

/**
 * Success and failure conditions that both require a number: with no traffic
 * Prometheus returns an empty vector (or NaN for 0/0), which meets neither, so
 * Argo Rollouts records the measurement as Inconclusive.
 */
function conditions(success: string, failure: string): { successCondition: string; failureCondition: string } {
  const hasData = 'len(result) > 0 && !isNaN(result[0])';
  return { successCondition: `${hasData} && ${success}`, failureCondition: `${hasData} && ${failure}` };
}
