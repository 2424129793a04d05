import { Duration, Testing } from 'cdk8s';
import { IstioMetricsMonitors } from '../../src';
import { findObject, synthAndValidate } from '../util';

describe('IstioMetricsMonitors', () => {
  describe('objects', () => {
    test('PodMonitor for Envoy 15090 and ServiceMonitor for istiod 15014', () => {
      // GIVEN
      const chart = Testing.chart();
      // WHEN
      new IstioMetricsMonitors(chart, 'monitors', { labels: { release: 'prom' }, interval: Duration.seconds(30) });
      const out = synthAndValidate(chart);
      // THEN
      const pm = findObject(out, 'PodMonitor', 'envoy-stats');
      expect(pm.metadata).toMatchObject({ namespace: 'istio-system', labels: { release: 'prom' } });
      expect(pm.spec.selector).toEqual({ matchExpressions: [{ key: 'security.istio.io/tlsMode', operator: 'Exists' }] });
      expect(pm.spec.namespaceSelector).toEqual({ any: true });
      expect(pm.spec.podMetricsEndpoints[0]).toMatchObject({ port: 'http-envoy-prom', path: '/stats/prometheus', interval: '30s' });
      const sm = findObject(out, 'ServiceMonitor', 'istiod');
      expect(sm.spec).toMatchObject({ selector: { matchLabels: { app: 'istiod' } }, namespaceSelector: { matchNames: ['istio-system'] } });
      expect(sm.spec.endpoints[0]).toMatchObject({ port: 'http-monitoring', interval: '30s' });
      // jobLabel names a label of the selected objects: the istiod Service carries app=istiod; the
      // PodMonitor sets none (the job is then <namespace>/envoy-stats)
      expect(sm.spec.jobLabel).toBe('app');
      expect(Object.keys(sm.spec.selector.matchLabels)).toContain(sm.spec.jobLabel);
      expect(pm.spec.jobLabel).toBeUndefined();
      expect(out).toMatchSnapshot();
    });
  });

  describe('input errors', () => {
    test('bad interval or label', () => {
      const chart = Testing.chart();
      expect(() => new IstioMetricsMonitors(chart, 'a', { interval: Duration.millis(1) })).toThrow(
        "[test/a] 'interval' must be at least 1 second, got \"1ms\". Fix: use e.g. Duration.seconds(15)");
      expect(() => new IstioMetricsMonitors(chart, 'b', { labels: { release: 'a b' } })).toThrow(/\[test\/b\] 'labels.release' must be a Kubernetes label value/);
    });
  });
});
