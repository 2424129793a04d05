import { k8s } from 'cdk8s-plus-28';
import { DASHBOARD_TITLES } from './grafana-dashboards';
import { KialiAddonModel } from '../model/observability';

/** Kiali's `config.yaml` (view-only, anonymous inside the cluster, wired to the other add-ons). */
export function renderKialiConfig(kiali: KialiAddonModel): Record<string, unknown> {
  return {
    auth: { strategy: 'anonymous' },
    deployment: { cluster_wide_access: true, view_only_mode: true, namespace: kiali.namespace },
    server: { port: kiali.port, web_root: '/kiali', observability: { metrics: { enabled: true, port: kiali.metricsPort } } },
    external_services: {
      prometheus: { url: kiali.prometheusUrl },
      grafana: kiali.grafana ? {
        enabled: true,
        internal_url: kiali.grafana.internalUrl,
        external_url: kiali.grafana.externalUrl,
        dashboards: [
          { name: DASHBOARD_TITLES.service, variables: { service: 'var-service' } },
          { name: DASHBOARD_TITLES.workload, variables: { namespace: 'var-namespace', workload: 'var-workload' } },
          { name: DASHBOARD_TITLES.mesh },
        ],
      } : { enabled: false },
      tracing: kiali.tracing ? {
        enabled: true,
        provider: 'jaeger',
        internal_url: kiali.tracing.internalUrl,
        external_url: kiali.tracing.externalUrl,
        use_grpc: false,
      } : { enabled: false },
    },
  };
}

const READ = ['get', 'list', 'watch'] as const;

/**
 * Kiali's ClusterRole: read-only (no write verbs, no Secrets). The one
 * non-read permission is `create` on `pods/portforward`: Kiali port-forwards
 * to istiod (proxy sync status, registry) and to Envoy's admin port (config
 * dumps); without it istiod shows as unreachable.
 */
export function renderKialiClusterRoleRules(): k8s.PolicyRule[] {
  return [
    { apiGroups: [''], resources: ['configmaps', 'endpoints', 'namespaces', 'nodes', 'pods', 'pods/log', 'replicationcontrollers', 'services'], verbs: [...READ] },
    { apiGroups: ['apps'], resources: ['daemonsets', 'deployments', 'replicasets', 'statefulsets'], verbs: [...READ] },
    { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: [...READ] },
    { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: [...READ] },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: [...READ] },
    {
      apiGroups: ['networking.istio.io', 'security.istio.io', 'telemetry.istio.io', 'extensions.istio.io', 'gateway.networking.k8s.io', 'gateway.networking.x-k8s.io'],
      resources: ['*'],
      verbs: [...READ],
    },
    { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'], verbs: [...READ] },
    { apiGroups: [''], resources: ['pods/portforward'], verbs: ['create'] },
    { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    { apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews'], verbs: ['create'] },
  ];
}
