import { Testing } from 'cdk8s';
import * as YAML from 'yaml';
import { JaegerAddon } from '../../src';
import { MeshModel } from '../../src/model';
import { findObject, synthAndValidate } from '../util';

describe('JaegerAddon', () => {
  describe('collector and query', () => {
    test('OTLP receivers on 4317/4318 behind jaeger-collector; UI under /jaeger behind tracing:80', () => {
      // GIVEN
      const chart = Testing.chart();
      // WHEN
      const j = new JaegerAddon(chart, 'jaeger', { namespace: 'observability', maxTraces: 1000 });
      const out = synthAndValidate(chart);
      // THEN
      expect(j.collectorHost).toBe('jaeger-collector.observability.svc.cluster.local');
      expect(j.tracingQueryUrl).toBe('http://tracing.observability.svc.cluster.local:80/jaeger');
      const cfg = YAML.parse(findObject(out, 'ConfigMap', 'jaeger').data['config.yaml']);
      expect(cfg.receivers.otlp.protocols).toEqual({ grpc: { endpoint: '0.0.0.0:4317' }, http: { endpoint: '0.0.0.0:4318' } });
      expect(cfg.extensions.jaeger_storage.backends.memstore.memory.max_traces).toBe(1000);
      expect(cfg.extensions.jaeger_query.base_path).toBe('/jaeger');
      expect(findObject(out, 'Service', 'jaeger-collector').spec.ports.map((p: any) => [p.name, p.port])).toEqual([['grpc-otel', 4317], ['http-otel', 4318], ['http-zipkin', 9411]]);
      expect(findObject(out, 'Service', 'tracing').spec.ports).toEqual([{ name: 'http-query', port: 80, targetPort: 16686, protocol: 'TCP', appProtocol: 'http' }]);
      expect(out).toMatchSnapshot();
    });

    test('addTracingProvider declares an OpenTelemetry provider pointing at the collector', () => {
      const chart = Testing.chart();
      const j = new JaegerAddon(chart, 'jaeger');
      const p = j.addTracingProvider('traces');
      expect(p.tracingProviderName).toBe('traces');
      expect(MeshModel.of(chart).extensionProviders[0].entry).toEqual({
        name: 'traces', opentelemetry: { service: 'jaeger-collector.istio-system.svc.cluster.local', port: 4317 },
      });
    });
  });

  describe('input errors', () => {
    test('maxTraces below 1', () => {
      const chart = Testing.chart();
      expect(() => new JaegerAddon(chart, 'j', { maxTraces: 0 })).toThrow("[test/j] 'maxTraces' must be a whole number >= 1, got 0. Fix: use e.g. 50000");
    });
  });
});
