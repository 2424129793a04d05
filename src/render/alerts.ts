import { PrometheusRuleSpecGroups, PrometheusRuleSpecGroupsRulesExpr } from '../imports/monitoring.coreos.com';
import { AlertGroupModel } from '../model/observability';
import { MeshSnapshot } from '../model/snapshot';

/**
 * Golden-signal alert rules of a service from Istio's standard metrics: a
 * high 5xx error rate and a high p99 latency, selected by the reporter that
 * sees the service's requests (its sidecar, or its waypoint in ambient mode).
 */

/** One alerting rule, as Prometheus rule files and the PrometheusRule CRD spell it. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly [key: string]: string };
  readonly annotations: { readonly [key: string]: string };
}

/** A Prometheus rule group. */
export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

/** The rule group of a `GoldenSignalAlerts`. */
export function renderAlertRuleGroup(snapshot: MeshSnapshot, group: AlertGroupModel): RuleGroup {
  const reporter = snapshot.service(group.serviceHost)?.requestMetricsReporter ?? 'destination';
  const selector = `reporter="${reporter}", destination_service="${group.serviceHost}"`;
  const labels = { severity: group.severity, service: group.serviceName, namespace: group.namespace };
  const w = group.window;
  return {
    name: group.name,
    rules: [
      {
        alert: 'MeshServiceHighErrorRate',
        expr: `100 * sum(rate(istio_requests_total{${selector}, response_code=~"5.."}[${w}])) / sum(rate(istio_requests_total{${selector}}[${w}])) > ${group.errorRatePercent}`,
        for: group.for,
        labels,
        annotations: {
          summary: `${group.serviceName} answers more than ${group.errorRatePercent}% of requests with 5xx`,
          description: `{{ $value | printf "%.1f" }}% of requests to ${group.serviceHost} failed with a 5xx over the last ${w}.`,
        },
      },
      {
        alert: 'MeshServiceHighP99Latency',
        expr: `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${selector}}[${w}]))) > ${group.p99LatencyMs}`,
        for: group.for,
        labels,
        annotations: {
          summary: `${group.serviceName} p99 latency above ${group.p99LatencyMs}ms`,
          description: `The 99th percentile of requests to ${group.serviceHost} took {{ $value | printf "%.0f" }}ms over the last ${w}.`,
        },
      },
    ],
  };
}

/** The rule groups a `PrometheusAddon` loads from its rule file, in declaration order. */
export function renderRuleFileGroups(snapshot: MeshSnapshot): RuleGroup[] {
  return snapshot.observability.alertGroups.filter((g) => g.ruleFile).map((g) => renderAlertRuleGroup(snapshot, g));
}

/** A rule group as the `PrometheusRule` (monitoring.coreos.com/v1) spec carries it. */
export function renderPrometheusRuleGroup(group: RuleGroup): PrometheusRuleSpecGroups {
  return {
    name: group.name,
    rules: group.rules.map((r) => ({
      alert: r.alert,
      expr: PrometheusRuleSpecGroupsRulesExpr.fromString(r.expr),
      for: r.for,
      labels: { ...r.labels },
      annotations: { ...r.annotations },
    })),
  };
}
