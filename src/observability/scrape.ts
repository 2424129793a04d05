import { EnvoyPorts } from '../data-plane/envoy-proxy';

/**
 * Pod annotations that make Prometheus scrape Istio's merged metrics endpoint
 * (pilot-agent port 15020, `/stats/prometheus`: Envoy, agent and, when
 * configured, application metrics in one scrape). The injector treats a pod
 * already annotated with port 15020 as set up and leaves it alone.
 *
 * @see https://istio.io/latest/docs/ops/integrations/prometheus/#option-1-metrics-merging
 */
export function meshScrapeAnnotations(): Record<string, string> {
  return {
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': String(EnvoyPorts.AGENT),
    'prometheus.io/path': '/stats/prometheus',
  };
}
