import { Duration, Testing } from 'cdk8s';
import { AlertRuleFormat, AlertSeverity, GoldenSignalAlerts, MeshService, PrometheusAddon } from '../../src';
import { findObject, synthAndValidate } from '../util';

function svc(chart: any) {
  return new MeshService(chart, 'reviews', { namespace: 'shop', versions: [{ name: 'v1', image: 'ghcr.io/acme/reviews:1' }] });
}

describe('GoldenSignalAlerts', () => {
  describe('rules', () => {
    test('error rate and p99 latency over the service\'s server-side metrics, thresholds from props', () => {
      // GIVEN
      const chart = Testing.chart();
      new PrometheusAddon(chart, 'prometheus');
      // WHEN
      const a = new GoldenSignalAlerts(chart, 'alerts', {
        service: svc(chart), errorRatePercent: 2.5, p99Latency: Duration.millis(300), for: Duration.minutes(10), severity: AlertSeverity.CRITICAL,
      });
      synthAndValidate(chart);
      // THEN
      const [err, lat] = a.rules.rules as any[];
      expect(err).toMatchObject({
        alert: 'MeshServiceHighErrorRate',
        for: '600s',
        labels: { severity: 'critical', service: 'reviews', namespace: 'shop' },
        expr: '100 * sum(rate(istio_requests_total{reporter="destination", destination_service="reviews.shop.svc.cluster.local", response_code=~"5.."}[300s])) '
          + '/ sum(rate(istio_requests_total{reporter="destination", destination_service="reviews.shop.svc.cluster.local"}[300s])) > 2.5',
      });
      expect(lat.expr).toBe('histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination", destination_service="reviews.shop.svc.cluster.local"}[300s]))) > 300');
      expect(a.prometheusRule).toBeUndefined();
    });

    test('PROMETHEUS_RULE format emits a valid PrometheusRule, no addon needed', () => {
      const chart = Testing.chart();
      new GoldenSignalAlerts(chart, 'alerts', { service: svc(chart), format: AlertRuleFormat.PROMETHEUS_RULE, prometheusRuleLabels: { release: 'kube-prometheus-stack' } });
      const out = synthAndValidate(chart);
      const rule = findObject(out, 'PrometheusRule', 'reviews-golden-signals');
      expect(rule.metadata).toMatchObject({ namespace: 'shop', labels: { app: 'reviews', release: 'kube-prometheus-stack' } });
      expect(rule.spec.groups[0].rules.map((r: any) => r.alert)).toEqual(['MeshServiceHighErrorRate', 'MeshServiceHighP99Latency']);
      expect(out).toMatchSnapshot();
    });
  });

  describe('errors', () => {
    test('OBS003: rule file without a PrometheusAddon', () => {
      const chart = Testing.chart();
      new GoldenSignalAlerts(chart, 'alerts', { service: svc(chart) });
      expect(() => synthAndValidate(chart)).toThrow(
        "[test/alerts] OBS003: 'format' RULE_FILE needs a PrometheusAddon in the same App to load the rule file, got none. "
        + 'Fix: add a PrometheusAddon (or ObservabilityStack), or use format: AlertRuleFormat.PROMETHEUS_RULE for a Prometheus-operator cluster');
    });

    test('bad thresholds and labels', () => {
      const chart = Testing.chart();
      const s = svc(chart);
      expect(() => new GoldenSignalAlerts(chart, 'a', { service: s, errorRatePercent: 0 })).toThrow(
        "[test/a] 'errorRatePercent' must be greater than 0 and at most 100, got 0. Fix: use a percentage such as 5");
      expect(() => new GoldenSignalAlerts(chart, 'b', { service: s, p99Latency: Duration.millis(0) })).toThrow(/\[test\/b\] 'p99Latency' must be longer than 0, got "0ms"/);
      expect(() => new GoldenSignalAlerts(chart, 'c', { service: s, window: Duration.seconds(10) })).toThrow(/\[test\/c\] 'window' must be at least 30 seconds/);
      expect(() => new GoldenSignalAlerts(chart, 'd', { service: s, prometheusRuleLabels: { a: 'b' } })).toThrow(
        /\[test\/d\] 'prometheusRuleLabels' only applies with format: AlertRuleFormat.PROMETHEUS_RULE/);
      expect(() => new GoldenSignalAlerts(chart, 'e', { service: s, format: AlertRuleFormat.PROMETHEUS_RULE, prometheusRuleLabels: { a: 'not ok' } })).toThrow(
        /\[test\/e\] 'prometheusRuleLabels.a' must be a Kubernetes label value, got "not ok"/);
    });
  });
});
