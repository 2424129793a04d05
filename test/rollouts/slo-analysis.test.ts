import { Duration, Testing } from 'cdk8s';
import { MeshAnalysis, MeshService, SloAnalysis } from '../../src';
import { findObject, synthAndValidate } from '../util';

function orders() {
  const chart = Testing.chart();
  const svc = new MeshService(chart, 'orders', { versions: [{ name: 'v1', image: 'a:1' }, { name: 'v2', image: 'a:2' }] });
  return { chart, svc };
}
const PROM = { prometheusUrl: 'http://prometheus.monitoring.svc.cluster.local:9090' };
const SEL = 'reporter="destination",destination_service="orders.default.svc.cluster.local",destination_version="v2"';

describe('SloAnalysis', () => {
  test('success rate and p99 latency queries from Istio standard metrics', () => {
    // GIVEN
    const { chart, svc } = orders();
    // WHEN
    new SloAnalysis(chart, 'slo', { service: svc, canary: 'v2', successRatePercent: 99.5, p99LatencyMs: 300, prometheus: PROM, interval: Duration.seconds(30), count: 4 });
    const out = synthAndValidate(chart);
    // THEN
    const t = findObject(out, 'AnalysisTemplate', 'orders-v2-slo');
    expect(t.spec.metrics).toEqual([
      {
        name: 'success-rate',
        interval: '30s',
        count: 4,
        failureLimit: 1,
        successCondition: 'len(result) > 0 && !isNaN(result[0]) && result[0] >= 0.995',
        failureCondition: 'len(result) > 0 && !isNaN(result[0]) && result[0] < 0.995',
        provider: { prometheus: { address: PROM.prometheusUrl, query: `sum(rate(istio_requests_total{${SEL},response_code!~"5.*"}[30s])) / sum(rate(istio_requests_total{${SEL}}[30s]))` } },
      },
      {
        name: 'p99-latency',
        interval: '30s',
        count: 4,
        failureLimit: 1,
        successCondition: 'len(result) > 0 && !isNaN(result[0]) && result[0] <= 300',
        failureCondition: 'len(result) > 0 && !isNaN(result[0]) && result[0] > 300',
        provider: { prometheus: { address: PROM.prometheusUrl, query: `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${SEL}}[30s])))` } },
      },
    ]);
    expect(out).toMatchSnapshot();
  });

  describe('errors', () => {
    test('no objective', () => {
      const { chart, svc } = orders();
      expect(() => new SloAnalysis(chart, 's', { service: svc, canary: 'v2', prometheus: PROM })).toThrow(
        "[test/s] 'successRatePercent' or 'p99LatencyMs' must be set (an analysis needs at least one objective), got undefined. Fix: set e.g. successRatePercent: 99 and/or p99LatencyMs: 500");
    });
    test('unknown canary version', () => {
      const { chart, svc } = orders();
      expect(() => new SloAnalysis(chart, 's', { service: svc, canary: 'v3', successRatePercent: 99, prometheus: PROM })).toThrow(
        "[test/s] 'canary' must name a version of orders (\"v1\", \"v2\"), got \"v3\". Fix: use the canary version of the release");
    });
    test('success rate out of range', () => {
      const { chart, svc } = orders();
      expect(() => new SloAnalysis(chart, 's', { service: svc, canary: 'v2', successRatePercent: 120, prometheus: PROM })).toThrow(
        "[test/s] 'successRatePercent' must be a percentage above 0 and at most 100, got 120. Fix: use e.g. 99 for 99%");
    });
    test('no Prometheus in the App or the props', () => {
      const { chart, svc } = orders();
      new SloAnalysis(chart, 's', { service: svc, canary: 'v2', successRatePercent: 99 });
      expect(() => synthAndValidate(chart)).toThrow(
        "[test/s] ROLLOUT003: 'prometheus' must name the Prometheus that collects Istio's metrics: without the prop, the App must contain exactly one PrometheusAddon, got \"none\". Fix: add a PrometheusAddon (or ObservabilityStack) to the App, or pass prometheus: { prometheusUrl: 'http://prometheus.monitoring:9090' }");
    });
    test('ROLLOUT003 is a finding of the model (reported on the analysis), and an explicit URL needs no addon', () => {
      const { chart, svc } = orders();
      new SloAnalysis(chart, 's', { service: svc, canary: 'v2', successRatePercent: 99 });
      new SloAnalysis(chart, 'explicit', { service: svc, canary: 'v2', successRatePercent: 99, templateName: 'explicit', prometheus: PROM });
      expect(MeshAnalysis.of(chart).findings().filter((f) => f.code === 'ROLLOUT003').map((f) => [f.path, f.fatal])).toEqual([['test/s', true]]);
    });
  });
});
