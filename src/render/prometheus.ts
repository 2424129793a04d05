import { k8s } from 'cdk8s-plus-28';
import { renderRuleFileGroups } from './alerts';
import { PrometheusAddonModel } from '../model/observability';
import { MeshSnapshot } from '../model/snapshot';

const DROP_FINISHED_PODS = { source_labels: ['__meta_kubernetes_pod_phase'], action: 'drop', regex: 'Pending|Succeeded|Failed|Completed' } as const;
const POD_TARGET_LABELS = [
  { source_labels: ['__meta_kubernetes_namespace'], action: 'replace', target_label: 'namespace' },
  { source_labels: ['__meta_kubernetes_pod_name'], action: 'replace', target_label: 'pod' },
] as const;

/**
 * Prometheus's `prometheus.yml`: itself, istiod's monitoring port, the pods
 * annotated for scraping (the agent's merged metrics) and Envoy's own stats
 * port; the app's alert rules file and, if any, its Alertmanager.
 */
export function renderPrometheusConfig(snapshot: MeshSnapshot, prometheus: PrometheusAddonModel): Record<string, unknown> {
  const istiodNamespace = prometheus.controlPlaneNamespace ?? snapshot.mesh.namespace;
  return {
    global: { scrape_interval: prometheus.interval, evaluation_interval: prometheus.interval },
    rule_files: ['/etc/prometheus/alerts.yml'],
    ...(prometheus.alertmanager ? { alerting: { alertmanagers: [prometheus.alertmanager] } } : {}),
    scrape_configs: [
      { job_name: 'prometheus', static_configs: [{ targets: [`localhost:${prometheus.port}`] }] },
      {
        job_name: 'istiod',
        kubernetes_sd_configs: [{ role: 'endpoints', namespaces: { names: [istiodNamespace] } }],
        relabel_configs: [
          { source_labels: ['__meta_kubernetes_service_name', '__meta_kubernetes_endpoint_port_name'], action: 'keep', regex: 'istiod(-.+)?;http-monitoring' },
          { source_labels: ['__meta_kubernetes_namespace'], action: 'replace', target_label: 'namespace' },
          { source_labels: ['__meta_kubernetes_pod_name'], action: 'replace', target_label: 'pod' },
        ],
      },
      {
        job_name: 'kubernetes-pods',
        kubernetes_sd_configs: [{ role: 'pod' }],
        relabel_configs: [
          { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'keep', regex: 'true' },
          DROP_FINISHED_PODS,
          { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'], action: 'replace', target_label: '__metrics_path__', regex: '(.+)' },
          // IPv4 and IPv6 pod addresses with the annotated port
          { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_port', '__meta_kubernetes_pod_ip'], action: 'replace', regex: '(\\d+);(\\d+\\.\\d+\\.\\d+\\.\\d+)', replacement: '$2:$1', target_label: '__address__' },
          { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_port', '__meta_kubernetes_pod_ip'], action: 'replace', regex: '(\\d+);([0-9A-Fa-f]*:[0-9A-Fa-f:]+)', replacement: '[$2]:$1', target_label: '__address__' },
          ...POD_TARGET_LABELS,
        ],
      },
      {
        job_name: 'envoy-stats',
        metrics_path: '/stats/prometheus',
        kubernetes_sd_configs: [{ role: 'pod' }],
        relabel_configs: [
          { source_labels: ['__meta_kubernetes_pod_container_port_name'], action: 'keep', regex: '.*-envoy-prom' },
          // merged-metrics pods are scraped by kubernetes-pods already
          { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'drop', regex: 'true' },
          DROP_FINISHED_PODS,
          ...POD_TARGET_LABELS,
        ],
      },
    ],
  };
}

/** Prometheus's `alerts.yml`: the rule groups of every `GoldenSignalAlerts` of the app. */
export function renderPrometheusAlerts(snapshot: MeshSnapshot): Record<string, unknown> {
  return { groups: renderRuleFileGroups(snapshot) };
}

/** Prometheus's ClusterRole: service discovery reads endpoints, pods and services. */
export function renderPrometheusClusterRoleRules(): k8s.PolicyRule[] {
  return [
    { apiGroups: [''], resources: ['endpoints', 'pods', 'services'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
  ];
}
