import { JaegerAddonModel } from '../model/observability';

/** Ports of the all-in-one Jaeger v2 (an OpenTelemetry collector with the Jaeger query UI). */
export const JAEGER_PORTS = { query: 16686, otlpGrpc: 4317, otlpHttp: 4318, zipkin: 9411, health: 13133 } as const;

/** Jaeger's `config.yaml`: OTLP and Zipkin receivers, in-memory storage, the query UI under `/jaeger`. */
export function renderJaegerConfig(jaeger: JaegerAddonModel): Record<string, unknown> {
  const p = JAEGER_PORTS;
  return {
    service: {
      extensions: ['jaeger_storage', 'jaeger_query', 'healthcheckv2'],
      pipelines: { traces: { receivers: ['otlp', 'zipkin'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] } },
    },
    extensions: {
      healthcheckv2: { use_v2: true, http: { endpoint: `0.0.0.0:${p.health}` } },
      jaeger_query: { storage: { traces: 'memstore' }, base_path: '/jaeger' },
      jaeger_storage: { backends: { memstore: { memory: { max_traces: jaeger.maxTraces } } } },
    },
    receivers: {
      otlp: { protocols: { grpc: { endpoint: `0.0.0.0:${p.otlpGrpc}` }, http: { endpoint: `0.0.0.0:${p.otlpHttp}` } } },
      zipkin: { endpoint: `0.0.0.0:${p.zipkin}` },
    },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: 'memstore' } },
  };
}
