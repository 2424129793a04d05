import { EnvoyPorts } from './proxy';
import { PodMonitorSpec, ServiceMonitorSpec } from '../imports/monitoring.coreos.com';

/**
 * The Prometheus-operator monitors of the mesh: the proxies' Envoy stats
 * (a PodMonitor over every pod with a mesh TLS mode) and istiod's monitoring
 * port (a ServiceMonitor). `interval` is a Prometheus duration.
 */

const TARGET_LABELS = [
  { sourceLabels: ['__meta_kubernetes_namespace'], action: 'replace', targetLabel: 'namespace' },
  { sourceLabels: ['__meta_kubernetes_pod_name'], action: 'replace', targetLabel: 'pod' },
] as const;

function targetLabels() {
  return TARGET_LABELS.map((l) => ({ sourceLabels: [...l.sourceLabels], action: l.action, targetLabel: l.targetLabel }));
}

/** The PodMonitor of the proxies' Envoy stats port. */
export function renderEnvoyPodMonitorSpec(interval: string): PodMonitorSpec {
  return {
    selector: { matchExpressions: [{ key: 'security.istio.io/tlsMode', operator: 'Exists' }] },
    namespaceSelector: { any: true },
    // no jobLabel: it names a pod label whose value becomes the job; without it the job is <namespace>/envoy-stats
    podMetricsEndpoints: [{
      port: 'http-envoy-prom',
      path: '/stats/prometheus',
      interval,
      relabelings: [
        { sourceLabels: ['__meta_kubernetes_pod_container_port_number'], action: 'keep', regex: String(EnvoyPorts.PROMETHEUS) },
        ...targetLabels(),
      ],
    }],
  };
}

/** The ServiceMonitor of istiod's monitoring port, in `controlPlaneNamespace`. */
export function renderIstiodServiceMonitorSpec(interval: string, controlPlaneNamespace: string): ServiceMonitorSpec {
  return {
    selector: { matchLabels: { app: 'istiod' } },
    namespaceSelector: { matchNames: [controlPlaneNamespace] },
    // the Service label whose value names the job: app=istiod (every istiod Service carries it)
    jobLabel: 'app',
    endpoints: [{ port: 'http-monitoring', interval, relabelings: targetLabels() }],
  };
}
