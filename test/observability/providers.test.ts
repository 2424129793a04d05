import { Testing } from 'cdk8s';
import { AccessLogEncoding, EnvoyFileAccessLogProvider, MeshProviders, OpenTelemetryTracingProvider } from '../../src';
import { MeshModel } from '../../src/model';

describe('extension providers', () => {
  describe('registration in the mesh model', () => {
    test('OpenTelemetryTracingProvider registers its complete mesh config entry', () => {
      // GIVEN
      const chart = Testing.chart();
      // WHEN
      const p = new OpenTelemetryTracingProvider(chart, 'jaeger', { service: 'jaeger-collector.istio-system.svc.cluster.local', maxTagLength: 99 });
      // THEN
      expect(p.tracingProviderName).toBe('jaeger');
      expect(MeshModel.of(chart).extensionProviders).toEqual([{
        name: 'jaeger',
        path: 'test/jaeger',
        entry: { name: 'jaeger', opentelemetry: { service: 'jaeger-collector.istio-system.svc.cluster.local', port: 4317, maxTagLength: 99 } },
      }]);
    });

    test('EnvoyFileAccessLogProvider: text by default, JSON on request', () => {
      const chart = Testing.chart();
      new EnvoyFileAccessLogProvider(chart, 'stdout');
      new EnvoyFileAccessLogProvider(chart, 'json', { name: 'json-log', path: '/var/log/access.log', encoding: AccessLogEncoding.JSON });
      expect(MeshModel.of(chart).extensionProviders.map((p) => p.entry)).toEqual([
        { name: 'stdout', envoyFileAccessLog: { path: '/dev/stdout' } },
        { name: 'json-log', envoyFileAccessLog: { path: '/var/log/access.log', logFormat: { labels: {} } } },
      ]);
    });

    test('built-in providers are Istio\'s default names', () => {
      expect(MeshProviders.envoyAccessLog().accessLogProviderName).toBe('envoy');
      expect(MeshProviders.prometheus().metricsProviderName).toBe('prometheus');
    });
  });

  describe('input errors', () => {
    test('duplicate provider name', () => {
      const chart = Testing.chart();
      new OpenTelemetryTracingProvider(chart, 'a', { name: 'tracing', service: 'a.b.svc.cluster.local' });
      expect(() => new OpenTelemetryTracingProvider(chart, 'b', { name: 'tracing', service: 'c.d.svc.cluster.local' })).toThrow(
        "[test/b] 'name' must be unique among the mesh's extension providers: test/a already declares it, got \"tracing\". Fix: give one of the providers another name");
    });

    test('bad host, port, tag length or path', () => {
      const chart = Testing.chart();
      expect(() => new OpenTelemetryTracingProvider(chart, 'a', { service: 'http://collector:4317' })).toThrow(
        "[test/a] 'service' must be a DNS host name without scheme or port, got \"http://collector:4317\". Fix: use the collector Service's FQDN, e.g. 'jaeger-collector.istio-system.svc.cluster.local'");
      expect(() => new OpenTelemetryTracingProvider(chart, 'b', { service: 'c.d', port: 0 })).toThrow(/\[test\/b\] 'port' must be a whole number between 1 and 65535, got 0/);
      expect(() => new OpenTelemetryTracingProvider(chart, 'c', { service: 'c.d', maxTagLength: 0 })).toThrow(/\[test\/c\] 'maxTagLength' must be a whole number >= 1, got 0/);
      expect(() => new EnvoyFileAccessLogProvider(chart, 'd', { path: 'access.log' })).toThrow(
        "[test/d] 'path' must be an absolute file path, got \"access.log\". Fix: use /dev/stdout or an absolute path on a mounted volume");
      expect(() => new EnvoyFileAccessLogProvider(chart, 'Bad_Name')).toThrow(/\[test\/Bad_Name\] 'name' must be a DNS-1123 label/);
    });
  });
});
