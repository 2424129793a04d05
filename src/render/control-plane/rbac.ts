import { k8s } from 'cdk8s-plus-28';
import { ClusterRoleGrant } from './istio-cni';
import { controlPlaneNames, istiodClusterMeta, istiodMeta } from './names';
import { ControlPlaneModel } from '../../model/control-plane';

/**
 * The permissions istiod needs, as upstream's istio-discovery chart grants them
 * (facts: ../shared/reference/istio-install.md §2.3). No wildcard beyond
 * upstream's: `*` resources only within the Istio and Gateway API groups
 * (read-only), and `*` verbs only on `ingresses/status`.
 */

const READ: readonly string[] = ['get', 'list', 'watch'];
const WRITE: readonly string[] = ['get', 'watch', 'list', 'update', 'patch', 'create', 'delete'];
const ISTIO_GROUPS: readonly string[] = ['config.istio.io', 'security.istio.io', 'networking.istio.io', 'authentication.istio.io', 'rbac.istio.io', 'telemetry.istio.io', 'extensions.istio.io'];
const GATEWAY_API_STATUS: readonly string[] = [
  'backendtlspolicies/status', 'gatewayclasses/status', 'gateways/status', 'grpcroutes/status', 'httproutes/status',
  'referencegrants/status', 'tcproutes/status', 'tlsroutes/status', 'udproutes/status', 'listenersets/status',
];

function rule(apiGroups: readonly string[], resources: readonly string[], verbs: readonly string[]): k8s.PolicyRule {
  return { apiGroups: [...apiGroups], resources: [...resources], verbs: [...verbs] };
}

/** ClusterRole `istiod-clusterrole-*`: the main controller. */
function istiodClusterRules(): k8s.PolicyRule[] {
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
function gatewayControllerRules(): k8s.PolicyRule[] {
  return [
    rule(['apps'], ['deployments'], WRITE),
    rule(['autoscaling'], ['horizontalpodautoscalers'], WRITE),
    rule(['policy'], ['poddisruptionbudgets'], WRITE),
    rule([''], ['services'], WRITE),
    rule([''], ['serviceaccounts'], WRITE),
  ];
}

/** ClusterRole `istio-reader-clusterrole-*`: read-only, for remote (multicluster) istiods. */
function readerClusterRules(): k8s.PolicyRule[] {
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
function istiodNamespaceRules(): k8s.PolicyRule[] {
  return [
    rule(['networking.istio.io'], ['gateways'], ['create']),
    rule([''], ['secrets'], ['create', 'get', 'watch', 'list', 'update', 'delete']),
    rule([''], ['configmaps'], ['delete']),
    rule(['coordination.k8s.io'], ['leases'], ['get', 'update', 'patch', 'create']),
  ];
}

/** istiod's ServiceAccount. */
export function renderIstiodServiceAccount(cp: ControlPlaneModel): k8s.KubeServiceAccountProps {
  return { metadata: istiodMeta(cp, controlPlaneNames(cp).istiod) };
}

/**
 * istiod's ClusterRoles, each bound to its ServiceAccount: the controller's,
 * and the Gateway API deployment controller's when istiod deploys gateways
 * and waypoints.
 */
export function renderIstiodClusterRoles(cp: ControlPlaneModel): ClusterRoleGrant[] {
  const { suffix, istiod } = controlPlaneNames(cp);
  const grant = (id: string, name: string, rules: k8s.PolicyRule[]): ClusterRoleGrant => ({
    id,
    role: { metadata: istiodClusterMeta(cp, name), rules },
    binding: {
      metadata: istiodClusterMeta(cp, name),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: istiod, namespace: cp.namespace }],
    },
  });
  return [
    grant('', `istiod-clusterrole${suffix}-${cp.namespace}`, istiodClusterRules()),
    ...(cp.gatewayApiDeploymentController ? [grant('-GatewayController', `istiod-gateway-controller${suffix}-${cp.namespace}`, gatewayControllerRules())] : []),
  ];
}

const READER = 'istio-reader-service-account';
const READER_LABELS: Readonly<Record<string, string>> = { 'app': 'istio-reader', 'app.kubernetes.io/name': 'istio-reader', 'app.kubernetes.io/part-of': 'istio' };

/** The read-only ServiceAccount remote (multicluster) istiods use. */
export function renderReaderServiceAccount(cp: ControlPlaneModel): k8s.KubeServiceAccountProps {
  return { metadata: { name: READER, namespace: cp.namespace, labels: { ...READER_LABELS } } };
}

/** The reader's ClusterRole, bound to its ServiceAccount. */
export function renderReaderClusterRole(cp: ControlPlaneModel): ClusterRoleGrant {
  const name = `istio-reader-clusterrole${controlPlaneNames(cp).suffix}-${cp.namespace}`;
  return {
    id: '-Reader',
    role: { metadata: { name, labels: { ...READER_LABELS } }, rules: readerClusterRules() },
    binding: {
      metadata: { name, labels: { ...READER_LABELS } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: READER, namespace: cp.namespace }],
    },
  };
}

/** istiod's Role in its namespace (CA secret, leader election). */
export function renderIstiodRole(cp: ControlPlaneModel): k8s.KubeRoleProps {
  return { metadata: istiodMeta(cp, controlPlaneNames(cp).istiod), rules: istiodNamespaceRules() };
}

/** The binding of istiod's Role to its ServiceAccount. */
export function renderIstiodRoleBinding(cp: ControlPlaneModel): k8s.KubeRoleBindingProps {
  const istiod = controlPlaneNames(cp).istiod;
  return {
    metadata: istiodMeta(cp, istiod),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: istiod },
    subjects: [{ kind: 'ServiceAccount', name: istiod, namespace: cp.namespace }],
  };
}
