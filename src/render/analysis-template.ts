import {
  AnalysisTemplateSpec, AnalysisTemplateSpecMetrics, AnalysisTemplateSpecMetricsCount, AnalysisTemplateSpecMetricsFailureLimit,
} from '../imports/argoproj.io';
import { SloAnalysisModel } from '../model/releases';
import { MeshSnapshot } from '../model/snapshot';

/**
 * Success and failure conditions that both require a number: with no traffic
 * Prometheus returns an empty vector (or NaN for 0/0), which meets neither, so
 * Argo Rollouts records the measurement as Inconclusive.
 */
function conditions(success: string, failure: string): { successCondition: string; failureCondition: string } {
  const hasData = 'len(result) > 0 && !isNaN(result[0])';
  return { successCondition: `${hasData} && ${success}`, failureCondition: `${hasData} && ${failure}` };
}

/**
 * `spec` of the AnalysisTemplate of an SLO analysis: one Prometheus metric
 * per objective (success rate, p99 latency) over the canary version's
 * requests, as reported by the proxy that sees them (the waypoint of an
 * ambient service, else the destination's sidecar).
 */
export function renderSloAnalysisSpec(snapshot: MeshSnapshot, analysis: SloAnalysisModel): AnalysisTemplateSpec {
  const address = analysis.prometheusUrl ?? snapshot.addons.find((a) => a.kind === 'prometheus')?.url;
  const window = `${analysis.intervalSeconds}s`;
  const reporter = snapshot.service(analysis.serviceHost)?.requestMetricsReporter ?? 'destination';
  const selector = `reporter="${reporter}",destination_service="${analysis.serviceHost}",destination_version="${analysis.canary}"`;
  const common = {
    interval: window,
    count: AnalysisTemplateSpecMetricsCount.fromNumber(analysis.count),
    failureLimit: AnalysisTemplateSpecMetricsFailureLimit.fromNumber(analysis.failureLimit),
  };
  const metrics: AnalysisTemplateSpecMetrics[] = [];
  if (analysis.successRatePercent !== undefined) {
    const ratio = analysis.successRatePercent / 100;
    metrics.push({
      name: 'success-rate',
      ...common,
      ...conditions(`result[0] >= ${ratio}`, `result[0] < ${ratio}`),
      provider: {
        prometheus: {
          address,
          query: `sum(rate(istio_requests_total{${selector},response_code!~"5.*"}[${window}])) / sum(rate(istio_requests_total{${selector}}[${window}]))`,
        },
      },
    });
  }
  if (analysis.p99LatencyMs !== undefined) {
    metrics.push({
      name: 'p99-latency',
      ...common,
      ...conditions(`result[0] <= ${analysis.p99LatencyMs}`, `result[0] > ${analysis.p99LatencyMs}`),
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
