import { App, Chart } from 'cdk8s';
import {
  GoldenSignalAlerts, MeshService, MeshTelemetry, ObservabilityStack,
} from '../../src';

/**
 * The shop's observability: Prometheus, Grafana, Jaeger and Kiali in
 * `istio-system`, mesh-wide tracing at 10% sampling to Jaeger, access logs
 * for failed requests (in the JSON the control plane declares), and
 * golden-signal alerts for each shop service.
 */
export function addObservability(app: App, services: MeshService[]): { chart: Chart; stack: ObservabilityStack } {
  const chart = new Chart(app, 'observability', { namespace: 'istio-system' });
  const stack = new ObservabilityStack(chart, 'stack');

  new MeshTelemetry(chart, 'mesh-telemetry', {
    tracing: [{ provider: stack.tracingProvider, randomSamplingPercentage: 10 }],
    // no providers: the mesh default, i.e. the control plane's accessLogFile/accessLogEncoding (JSON)
    accessLogging: [{ filter: 'response.code >= 400' }],
  });

  for (const svc of services) {
    new GoldenSignalAlerts(chart, `${svc.serviceName}-alerts`, { service: svc, errorRatePercent: 5 });
  }
  return { chart, stack };
}
