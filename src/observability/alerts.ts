import { ApiObject, Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { promDuration } from './addon-base';
import { PrometheusRule } from '../imports/monitoring.coreos.com';
import { MeshModel } from '../model/mesh-model';
import { AlertGroupModel } from '../model/observability';
import { snapshotOf } from '../model/resolve';
import { propError } from '../private/errors';
import { isLabelValue } from '../private/names';
import { checkArgs } from '../private/runtime-types';
import { renderAlertRuleGroup, renderPrometheusRuleGroup } from '../render/alerts';
import { MeshService } from '../services/mesh-service';
import { addMeshValidation, meshOf } from '../synth/mesh';

/** Where alert rules are delivered. */
export enum AlertRuleFormat {
  /** A rule group in the `alerts.yml` rule file of the App's `PrometheusAddon`. */
  RULE_FILE = 'RULE_FILE',
  /** A `PrometheusRule` (monitoring.coreos.com/v1) for clusters running the Prometheus operator. */
  PROMETHEUS_RULE = 'PROMETHEUS_RULE',
}

/** The `severity` label of an alert. */
export enum AlertSeverity {
  /** Needs attention during working hours. */
  WARNING = 'warning',
  /** Needs attention now. */
  CRITICAL = 'critical',
}

/**
 * Properties of `GoldenSignalAlerts`.
 */
export interface GoldenSignalAlertsProps {
  /** The service whose server-side (`reporter="destination"`) metrics are watched. */
  readonly service: MeshService;

  /**
   * Alert when more than this percentage of requests fail with a 5xx, 0 to 100.
   *
   * @default 5
   */
  readonly errorRatePercent?: number;

  /**
   * Alert when the 99th percentile request duration exceeds this.
   *
   * @default Duration.seconds(1)
   */
  readonly p99Latency?: Duration;

  /**
   * How long a condition must hold before the alert fires.
   *
   * @default Duration.minutes(5)
   */
  readonly for?: Duration;

  /**
   * Window of the rate() over which error rate and latency are computed.
   *
   * @default Duration.minutes(5)
   */
  readonly window?: Duration;

  /**
   * The `severity` label of both alerts.
   *
   * @default AlertSeverity.WARNING
   */
  readonly severity?: AlertSeverity;

  /**
   * Where the rules go.
   *
   * @default AlertRuleFormat.RULE_FILE
   */
  readonly format?: AlertRuleFormat;

  /**
   * Labels of the `PrometheusRule` (operators select rules by label, e.g. `release: kube-prometheus-stack`).
   * Only with `AlertRuleFormat.PROMETHEUS_RULE`.
   *
   * @default - none
   */
  readonly prometheusRuleLabels?: { [key: string]: string };
}


/**
 * Golden-signal alerts for one `MeshService` from Istio's standard metrics:
 * a high 5xx error rate and a high p99 latency, as measured by the
 * service's own sidecars.
 *
 * With `AlertRuleFormat.RULE_FILE` (the default) the App's `PrometheusAddon`
 * loads them; without one, synth fails (OBS003).
 *
 * @see https://istio.io/latest/docs/reference/config/metrics/
 */
export class GoldenSignalAlerts extends Construct {
  /** Prometheus rule group name. */
  public readonly groupName: string;
  /** The PrometheusRule, with `AlertRuleFormat.PROMETHEUS_RULE`. */
  public readonly prometheusRule?: ApiObject;

  private readonly model: MeshModel;
  private readonly group: AlertGroupModel;

  constructor(scope: Construct, id: string, props: GoldenSignalAlertsProps) {
    super(scope, id);
    checkArgs(this, 'GoldenSignalAlerts.new', arguments);
    this.model = meshOf(this);
    const format = this.validateProps(props);
    const svc = props.service;
    this.groupName = `${svc.serviceName}.${svc.namespace}.golden-signals`;
    this.group = {
      path: this.node.path,
      serviceHost: svc.host,
      serviceName: svc.serviceName,
      namespace: svc.namespace,
      name: this.groupName,
      errorRatePercent: props.errorRatePercent ?? 5,
      p99LatencyMs: (props.p99Latency ?? Duration.seconds(1)).toMilliseconds(),
      for: promDuration(props.for ?? Duration.minutes(5)),
      window: promDuration(props.window ?? Duration.minutes(5)),
      severity: props.severity ?? AlertSeverity.WARNING,
      ruleFile: format === AlertRuleFormat.RULE_FILE,
    };
    this.model.addAlertGroup(this.group);
    if (format === AlertRuleFormat.PROMETHEUS_RULE) {
      this.prometheusRule = new PrometheusRule(this, 'Resource', {
        metadata: {
          name: `${svc.serviceName}-golden-signals`,
          namespace: svc.namespace,
          labels: { app: svc.serviceName, ...props.prometheusRuleLabels },
        },
        spec: Lazy.any({ produce: () => ({ groups: [renderPrometheusRuleGroup(renderAlertRuleGroup(snapshotOf(this.model), this.group))] }) }),
      });
    } else {
      addMeshValidation(this);
    }
  }

  /** The rule group (a copy), with the app's data planes as declared so far. */
  public get rules(): { [key: string]: unknown } {
    return JSON.parse(JSON.stringify(renderAlertRuleGroup(snapshotOf(this.model), this.group)));
  }

  /** Checks the props; returns the format. */
  private validateProps(props: GoldenSignalAlertsProps): AlertRuleFormat {
    const errorRate = props.errorRatePercent ?? 5;
    if (typeof errorRate !== 'number' || !Number.isFinite(errorRate) || errorRate <= 0 || errorRate > 100) {
      throw propError(this, 'errorRatePercent', 'must be greater than 0 and at most 100', errorRate, 'use a percentage such as 5');
    }
    const p99 = props.p99Latency ?? Duration.seconds(1);
    if (p99.toMilliseconds() <= 0) {
      throw propError(this, 'p99Latency', 'must be longer than 0', `${p99.toMilliseconds()}ms`, 'use e.g. Duration.millis(500)');
    }
    const window = props.window ?? Duration.minutes(5);
    if (window.toMilliseconds() < 30000) {
      throw propError(this, 'window', 'must be at least 30 seconds (two scrape intervals)', `${window.toMilliseconds()}ms`, 'use e.g. Duration.minutes(5)');
    }
    const format = props.format ?? AlertRuleFormat.RULE_FILE;
    for (const [k, v] of Object.entries(props.prometheusRuleLabels ?? {})) {
      if (!isLabelValue(v)) {
        throw propError(this, `prometheusRuleLabels.${k}`, 'must be a Kubernetes label value', v, 'use letters, digits, \'-\', \'_\' and \'.\' (at most 63)');
      }
    }
    if (props.prometheusRuleLabels && format !== AlertRuleFormat.PROMETHEUS_RULE) {
      throw propError(this, 'prometheusRuleLabels', 'only applies with format: AlertRuleFormat.PROMETHEUS_RULE', props.prometheusRuleLabels,
        'drop prometheusRuleLabels or set format to PROMETHEUS_RULE');
    }
    return format;
  }
}
