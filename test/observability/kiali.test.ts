import { Testing } from 'cdk8s';
import { KialiAddon } from '../../src';
import { findObject, synthAndValidate } from '../util';

const prometheus = { prometheusUrl: 'http://prom.monitoring.svc.cluster.local:9090' };

describe('KialiAddon', () => {
  describe('configuration', () => {
    test('Prometheus only: Grafana and tracing integrations off, view-only', () => {
      // GIVEN
      const chart = Testing.chart();
      // WHEN
      const k = new KialiAddon(chart, 'kiali', { prometheus });
      const out = synthAndValidate(chart);
      // THEN
      expect(k.config.external_services).toMatchObject({
        prometheus: { url: prometheus.prometheusUrl }, grafana: { enabled: false }, tracing: { enabled: false },
      });
      expect(k.config.deployment.view_only_mode).toBe(true);
      expect(k.config.istio_namespace).toBe('istio-system');
      expect(findObject(out, 'Service', 'kiali').spec.ports.map((p: any) => p.port)).toEqual([20001, 9090]);
      expect(findObject(out, 'Deployment', 'kiali').spec.template.spec.containers[0].args).toEqual(['-config', '/kiali-configuration/config.yaml']);
      expect(out).toMatchSnapshot();
    });

    test('config getter returns a copy', () => {
      const chart = Testing.chart();
      const k = new KialiAddon(chart, 'kiali', { prometheus });
      k.config.auth.strategy = 'token';
      expect(k.config.auth.strategy).toBe('anonymous');
    });
  });

  describe('input errors', () => {
    test('bad namespace', () => {
      const chart = Testing.chart();
      expect(() => new KialiAddon(chart, 'k', { prometheus, namespace: 'Kiali' })).toThrow(/\[test\/k\] 'namespace' must be a DNS-1123 label/);
    });
  });
});
