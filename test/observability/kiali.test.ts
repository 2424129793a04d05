import { Testing } from 'cdk8s';
import { KialiAddon } from '../../src';
import { findObject, synthAndValidate } from '../util';

/** The addon's configuration, for field assertions (the public getter is typed `unknown`). */
const cfg = (addon: { readonly config: { [key: string]: unknown } }): any => addon.config;

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
      expect(cfg(k).external_services).toMatchObject({
        prometheus: { url: prometheus.prometheusUrl }, grafana: { enabled: false }, tracing: { enabled: false },
      });
      expect(cfg(k).deployment.view_only_mode).toBe(true);
      // Kiali v2 discovers istiod itself: no keys it does not read
      expect(cfg(k).istio_namespace).toBeUndefined();
      expect(cfg(k).external_services.istio).toBeUndefined();
      expect(findObject(out, 'Service', 'kiali').spec.ports.map((p: any) => p.port)).toEqual([20001, 9090]);
      expect(findObject(out, 'Deployment', 'kiali').spec.template.spec.containers[0].args).toEqual(['-config', '/kiali-configuration/config.yaml']);
      expect(out).toMatchSnapshot();
    });

    test('Grafana and tracing links open in the browser: external_url, port-forward addresses by default', () => {
      // GIVEN
      const chart = Testing.chart();
      const grafana = { grafanaUrl: 'http://grafana.istio-system.svc.cluster.local:3000' };
      const tracing = { tracingQueryUrl: 'http://tracing.istio-system.svc.cluster.local:80/jaeger' };
      // WHEN
      const byDefault = new KialiAddon(chart, 'kiali', { prometheus, grafana, tracing });
      const set = new KialiAddon(chart, 'kiali2', { prometheus, grafana, tracing, namespace: 'other', grafanaExternalUrl: 'https://grafana.example.com', tracingExternalUrl: 'https://jaeger.example.com/jaeger' });
      synthAndValidate(chart);
      // THEN
      expect(cfg(byDefault).external_services.grafana).toMatchObject({ enabled: true, internal_url: grafana.grafanaUrl, external_url: 'http://localhost:3000' });
      expect(cfg(byDefault).external_services.tracing).toMatchObject({ enabled: true, internal_url: tracing.tracingQueryUrl, external_url: 'http://localhost:16686/jaeger' });
      expect(cfg(set).external_services.grafana.external_url).toBe('https://grafana.example.com');
      expect(cfg(set).external_services.tracing.external_url).toBe('https://jaeger.example.com/jaeger');
    });

    test('may port-forward to istiod and Envoy (create pods/portforward), and nothing else beyond reads', () => {
      const chart = Testing.chart();
      new KialiAddon(chart, 'kiali', { prometheus });
      const role = findObject(synthAndValidate(chart), 'ClusterRole', 'kiali-istio-system');
      expect(role.rules).toContainEqual({ apiGroups: [''], resources: ['pods/portforward'], verbs: ['create'] });
      const writes = role.rules.filter((r: any) => r.verbs.some((v: string) => !['get', 'list', 'watch'].includes(v)));
      expect(writes.map((r: any) => r.resources).flat().sort()).toEqual(['pods/portforward', 'selfsubjectaccessreviews', 'tokenreviews']);
    });

    test('config getter returns a copy', () => {
      const chart = Testing.chart();
      const k = new KialiAddon(chart, 'kiali', { prometheus });
      cfg(k).auth.strategy = 'token';
      expect(cfg(k).auth.strategy).toBe('anonymous');
    });
  });

  describe('input errors', () => {
    test('external URL that is not absolute', () => {
      const chart = Testing.chart();
      expect(() => new KialiAddon(chart, 'k', { prometheus, grafanaExternalUrl: 'grafana.example.com' })).toThrow(
        "[test/k] 'grafanaExternalUrl' must be an absolute http:// or https:// URL that the user's browser can open, got \"grafana.example.com\". Fix: use e.g. 'https://grafana.example.com'");
    });
    test('bad namespace', () => {
      const chart = Testing.chart();
      expect(() => new KialiAddon(chart, 'k', { prometheus, namespace: 'Kiali' })).toThrow(/\[test\/k\] 'namespace' must be a DNS-1123 label/);
    });
  });
});
