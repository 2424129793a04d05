import { k8s } from 'cdk8s-plus-28';

/**
 * The permissions istiod needs, as upstream's istio-discovery chart grants them
 * (facts: ../shared/reference/istio-install.md §2.3). No wildcard beyond
 * upstream's: `*` resources only within the Istio and Gateway API groups
 * (read-only), and `*` verbs only on `ingresses/status`.
 */

const READ = ['get', 'list', 'watch'];
const WRITE = ['get', 'watch', 'list', 'update', 'patch', 'create', 'delete'];
const ISTIO_GROUPS = ['config.istio.io', 'security.istio.io', 'networking.istio.io', 'authentication.istio.io', 'rbac.istio.io', 'telemetry.istio.io', 'extensions.istio.io'];
const GATEWAY_API_STATUS = [
  'backendtlspolicies/status', 'gatewayclasses/status', 'gateways/status', 'grpcroutes/status', 'httproutes/status',
  'referencegrants/status', 'tcproutes/status', 'tlsroutes/status', 'udproutes/status', 'listenersets/status',
];

function rule(apiGroups: string[], resources: string[], verbs: string[]): k8s.PolicyRule {
  return { apiGroups, resources, verbs };
}

/** ClusterRole `istiod-clusterrole-*`: the main controller. */
export function istiodClusterRules(): k8s.PolicyRule[] {
  return [
    // istiod patches the caBundle of its own webhooks
    rule(['admissionregistration.k8s.io'], ['mutatingwebhookconfigurations'], ['get', 'list', 'watch', 'update', 'patch']),
    rule(['admissionregistration.k8s.io'], ['validatingwebhookconfigurations'], ['get', 'list', 'watch', 'update']),
    // Istio config (read) and the status/auto-registration it writes
    rule(ISTIO_GROUPS, ['*'], ['get', 'watch', 'list']),
    rule(['networking.istio.io'], ['workloadentries'], WRITE),
    rule(['networking.istio.io'], ['workloadentries/status', 'serviceentries/status'], WRITE),
    rule(['security.istio.io'], ['authorizationpolicies/status'], WRITE),
    rule([''], ['services/status'], WRITE),
    // service discovery
    rule(['apiextensions.k8s.io'], ['customresourcedefinitions'], READ),
    rule([''], ['pods', 'nodes', 'services', 'namespaces', 'endpoints'], READ),
    rule(['discovery.k8s.io'], ['endpointslices'], READ),
    // Kubernetes Ingress support
    rule(['networking.k8s.io'], ['ingresses', 'ingressclasses'], READ),
    rule(['networking.k8s.io'], ['ingresses/status'], ['*']),
    // istio-ca-root-cert in every namespace
    rule([''], ['configmaps'], ['create', 'get', 'list', 'watch', 'update']),
    // token and SDS authorization of proxies
    rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
    rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
    // Gateway API
    rule(['gateway.networking.k8s.io', 'gateway.networking.x-k8s.io'], ['*'], ['get', 'watch', 'list']),
    rule(['gateway.networking.x-k8s.io'], ['xbackendtrafficpolicies/status'], ['update', 'patch']),
    rule(['gateway.networking.k8s.io'], GATEWAY_API_STATUS, ['update', 'patch']),
    rule(['gateway.networking.k8s.io'], ['gatewayclasses'], ['create', 'update', 'patch', 'delete']),
    rule(['inference.networking.k8s.io'], ['inferencepools'], ['get', 'watch', 'list']),
    rule(['inference.networking.k8s.io'], ['inferencepools/status'], ['update', 'patch']),
    // credentialName secrets for gateways (SDS)
    rule([''], ['secrets'], ['get', 'watch', 'list']),
    // multicluster services
    rule(['multicluster.x-k8s.io'], ['serviceexports'], ['get', 'watch', 'list', 'create', 'delete']),
    rule(['multicluster.x-k8s.io'], ['serviceimports'], ['get', 'watch', 'list']),
  ];
}

/** ClusterRole `istiod-gateway-controller-*`: deploys Gateway API gateways and waypoints. */
export function gatewayControllerRules(): k8s.PolicyRule[] {
  return [
    rule(['apps'], ['deployments'], WRITE),
    rule(['autoscaling'], ['horizontalpodautoscalers'], WRITE),
    rule(['policy'], ['poddisruptionbudgets'], WRITE),
    rule([''], ['services'], WRITE),
    rule([''], ['serviceaccounts'], WRITE),
  ];
}

/** ClusterRole `istio-reader-clusterrole-*`: read-only, for remote (multicluster) istiods. */
export function readerClusterRules(): k8s.PolicyRule[] {
  return [
    rule(ISTIO_GROUPS, ['*'], READ),
    rule([''], ['endpoints', 'pods', 'services', 'nodes', 'replicationcontrollers', 'namespaces', 'secrets', 'configmaps'], READ),
    rule(['networking.istio.io'], ['workloadentries'], ['get', 'watch', 'list']),
    rule(['networking.x-k8s.io', 'gateway.networking.k8s.io'], ['gateways'], ['get', 'watch', 'list']),
    rule(['apiextensions.k8s.io'], ['customresourcedefinitions'], READ),
    rule(['discovery.k8s.io'], ['endpointslices'], READ),
    rule(['multicluster.x-k8s.io'], ['serviceexports'], ['get', 'list', 'watch', 'create', 'delete']),
    rule(['multicluster.x-k8s.io'], ['serviceimports'], READ),
    rule(['apps'], ['replicasets'], READ),
    rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
    rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
  ];
}

/** Role `istiod` in the control-plane namespace: CA secret, leader election. */
export function istiodNamespaceRules(): k8s.PolicyRule[] {
  return [
    rule(['networking.istio.io'], ['gateways'], ['create']),
    rule([''], ['secrets'], ['create', 'get', 'watch', 'list', 'update', 'delete']),
    rule([''], ['configmaps'], ['delete']),
    rule(['coordination.k8s.io'], ['leases'], ['get', 'update', 'patch', 'create']),
  ];
}
