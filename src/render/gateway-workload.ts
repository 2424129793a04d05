import { k8s } from 'cdk8s-plus-28';
import { envoyDefaultResources, EnvoyPorts, injectedGatewayContainer, PROXY_UID } from './proxy';
import { renderResourceRequirements } from './resources';
import { GatewayModel, GatewayWorkloadModel } from '../model/gateways';
import { GatewaySnapshot } from '../model/snapshot';

/**
 * The workload of a gateway cdk8s-mesh deploys: an injected gateway, as
 * Istio's gateway chart deploys it. The pod opts in to injection (per pod, so
 * the namespace needs no label) with the `gateway` template, and istiod of the
 * bound revision fills in the proxy (image, args, env, probes, volumes, its
 * own mesh config).
 */

/** Unprivileged container ports that Service ports 80 and 443 forward to. */
export const GATEWAY_HTTP_TARGET = 8080;
export const GATEWAY_HTTPS_TARGET = 8443;

/** Container port an exposed gateway port forwards to. */
function targetPortOf(port: number): number {
  if (port === 80) return GATEWAY_HTTP_TARGET;
  if (port === 443) return GATEWAY_HTTPS_TARGET;
  return port;
}

/** A port of the gateway's Service and the container port it forwards to. */
export interface GatewayServicePort {
  readonly name: string;
  readonly port: number;
  readonly targetPort: number;
}

/** The pod labels the gateway's Service and Gateway resource select on. */
export function gatewaySelector(gateway: Pick<GatewayModel, 'selector'>): Record<string, string> {
  return { ...gateway.selector };
}

/** Service ports: status (ingress), 80 -> 8080, 443 -> 8443, then any other server port. */
export function gatewayServicePorts(gateway: GatewaySnapshot): GatewayServicePort[] {
  const ports: GatewayServicePort[] = [];
  if (gateway.direction === 'ingress') ports.push({ name: 'status-port', port: EnvoyPorts.STATUS, targetPort: EnvoyPorts.STATUS });
  ports.push({ name: 'http2', port: 80, targetPort: GATEWAY_HTTP_TARGET }, { name: 'https', port: 443, targetPort: GATEWAY_HTTPS_TARGET });
  const extra = [...new Set(gateway.servers.map((s) => s.port))].filter((p) => p !== 80 && p !== 443).sort((a, b) => a - b);
  for (const port of extra) {
    const protocol = gateway.servers.find((s) => s.port === port)!.protocol;
    ports.push({ name: `${protocol === 'HTTPS' || protocol === 'TLS' ? 'tls' : protocol.toLowerCase()}-${port}`, port, targetPort: targetPortOf(port) });
  }
  return ports;
}

function podLabels(gateway: GatewaySnapshot): Record<string, string> {
  return {
    ...gatewaySelector(gateway),
    'app.kubernetes.io/name': gateway.name,
    'istio.io/dataplane-mode': 'none',
    'sidecar.istio.io/inject': 'true',
    // the default revision's object webhook selects pods *without* istio.io/rev
    ...(gateway.revision ? { 'istio.io/rev': gateway.revision } : {}),
  };
}

function podAnnotations(workload: GatewayWorkloadModel): Record<string, string> {
  return {
    'inject.istio.io/templates': 'gateway',
    'prometheus.io/path': '/stats/prometheus',
    'prometheus.io/port': String(EnvoyPorts.AGENT),
    'prometheus.io/scrape': 'true',
    ...(workload.image ? { 'sidecar.istio.io/proxyImage': workload.image } : {}),
  };
}

/** The gateway Deployment's spec. */
export function renderGatewayDeploymentSpec(gateway: GatewaySnapshot, workload: GatewayWorkloadModel): k8s.DeploymentSpec {
  const containerPorts: k8s.ContainerPort[] = gatewayServicePorts(gateway).map((p) => ({ containerPort: p.targetPort, name: p.name, protocol: 'TCP' }));
  const resources = workload.resources ? renderResourceRequirements(workload.resources) : envoyDefaultResources();
  return {
    replicas: workload.autoscaling ? undefined : workload.replicas,
    selector: { matchLabels: gatewaySelector(gateway) },
    strategy: {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: k8s.IntOrString.fromString('100%'), maxUnavailable: k8s.IntOrString.fromString('25%') },
    },
    template: {
      metadata: { labels: podLabels(gateway), annotations: podAnnotations(workload) },
      spec: {
        serviceAccountName: workload.serviceAccount,
        automountServiceAccountToken: false,
        securityContext: {
          runAsUser: PROXY_UID,
          runAsGroup: PROXY_UID,
          runAsNonRoot: true,
          fsGroup: PROXY_UID,
          seccompProfile: { type: 'RuntimeDefault' },
          // lets the unprivileged proxy bind any port (the gateway template sets it too)
          sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
        },
        terminationGracePeriodSeconds: 30,
        containers: [injectedGatewayContainer(containerPorts, resources)],
      },
    },
  };
}

/** The gateway Service's spec. */
export function renderGatewayServiceSpec(gateway: GatewaySnapshot, workload: GatewayWorkloadModel): k8s.ServiceSpec {
  return {
    type: workload.serviceType,
    selector: gatewaySelector(gateway),
    ports: gatewayServicePorts(gateway).map((p) => ({ name: p.name, port: p.port, targetPort: k8s.IntOrString.fromNumber(p.targetPort), protocol: 'TCP' })),
  };
}

/** The HorizontalPodAutoscaler's spec, when the gateway autoscales. */
export function renderGatewayAutoscalerSpec(gateway: Pick<GatewayModel, 'name'>, workload: GatewayWorkloadModel): k8s.HorizontalPodAutoscalerSpecV2 | undefined {
  const a = workload.autoscaling;
  if (!a) return undefined;
  return {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: gateway.name },
    minReplicas: a.minReplicas,
    maxReplicas: a.maxReplicas,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: a.targetCpuUtilization } } }],
  };
}

/** The PodDisruptionBudget's spec, when the gateway has one. */
export function renderGatewayDisruptionBudgetSpec(gateway: Pick<GatewayModel, 'selector'>, workload: GatewayWorkloadModel): k8s.PodDisruptionBudgetSpec | undefined {
  if (!workload.disruptionBudget) return undefined;
  return { minAvailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: gatewaySelector(gateway) } };
}

/** The Role and RoleBinding that let an ingress gateway read the TLS secrets of its namespace. */
export interface GatewaySecretReader {
  readonly role: k8s.KubeRoleProps;
  readonly binding: k8s.KubeRoleBindingProps;
}

/**
 * What lets istiod hand an ingress gateway a `credentialName` certificate:
 * istiod checks (SubjectAccessReview) that the gateway's ServiceAccount may
 * read secrets in its namespace. Named `<gateway>-sds`.
 */
export function renderGatewaySecretReader(name: string, namespace: string, serviceAccount: string): GatewaySecretReader {
  const roleName = `${name}-sds`;
  const metadata = { name: roleName, namespace, labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'istio' } };
  return {
    role: { metadata, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'watch', 'list'] }] },
    binding: {
      metadata: { ...metadata, labels: { ...metadata.labels } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace }],
    },
  };
}
