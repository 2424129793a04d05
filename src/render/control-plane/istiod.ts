import { k8s } from 'cdk8s-plus-28';
import { ambientIstiodEnv } from './ambient';
import { controlPlaneNames, istiodMeta } from './names';
import { ControlPlaneModel } from '../../model/control-plane';
import { MeshSnapshot } from '../../model/snapshot';
import { renderResourceRequirements } from '../resources';

/**
 * istiod: its Deployment, Service, autoscaler and disruption budget, as
 * Istio 1.30.3's istiod chart renders them with the control plane's values.
 */

const env = (name: string, value: string): k8s.EnvVar => ({ name, value });
const field = (name: string, fieldPath: string): k8s.EnvVar => ({ name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } });
const quantity = (value: string): k8s.Quantity => k8s.Quantity.fromString(value);

/** True when an autoscaler scales istiod (the Deployment then leaves `replicas` unset). */
export function istiodAutoscaled(cp: ControlPlaneModel): boolean {
  return cp.maxReplicas > cp.replicas;
}

/** Labels the istiod Deployment selects its pods by. */
function istiodSelector(cp: ControlPlaneModel): Record<string, string> {
  return cp.revision ? { 'app': 'istiod', 'istio.io/rev': cp.revision } : { istio: 'pilot' };
}

/** Metadata of the istiod Deployment and Service (the default revision also carries `istio: pilot`). */
export function istiodObjectMeta(cp: ControlPlaneModel): k8s.ObjectMeta {
  return istiodMeta(cp, controlPlaneNames(cp).istiod, cp.revision ? {} : { istio: 'pilot' });
}

/** Addresses istiod never fetches a JWKS from: its own pod's loopback and the unspecified address. */
export const JWKS_BLOCKED_CIDRS = '127.0.0.0/8,::1/128,0.0.0.0/8,::/128';

function istiodEnv(cp: ControlPlaneModel): k8s.EnvVar[] {
  return [
    env('REVISION', controlPlaneNames(cp).revLabel),
    env('PILOT_CERT_PROVIDER', 'istiod'),
    field('POD_NAME', 'metadata.name'),
    field('POD_NAMESPACE', 'metadata.namespace'),
    field('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    env('KUBECONFIG', '/var/run/secrets/remote/config'),
    env('PILOT_TRACE_SAMPLING', String(cp.traceSampling)),
    env('PILOT_ENABLE_ANALYSIS', 'false'),
    // istiod fetches RequestAuthentication jwksUris itself; it always refuses link-local and cloud
    // metadata addresses, and this also refuses its own loopback (its debug and webhook ports).
    // Private ranges stay open: in-cluster identity providers live there.
    env('BLOCKED_CIDRS_IN_JWKS_URIS', JWKS_BLOCKED_CIDRS),
    env('CLUSTER_ID', cp.clusterId),
    env('PLATFORM', ''),
    ...(cp.gatewayApiDeploymentController ? [] : [env('PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER', 'false')]),
    ...(cp.dataPlane === 'ambient' ? ambientIstiodEnv(cp.namespace) : []),
  ];
}

/** The `discovery` container. */
function discoveryContainer(snapshot: MeshSnapshot, cp: ControlPlaneModel): k8s.Container {
  return {
    name: 'discovery',
    image: `${cp.hub}/pilot:${cp.tag}`,
    args: ['discovery', '--monitoringAddr=:15014', '--log_output_level=default:info', '--domain', snapshot.clusterDomain, '--keepaliveMaxServerConnectionAge', '30m'],
    env: istiodEnv(cp),
    ports: [
      { containerPort: 8080, name: 'http-debug', protocol: 'TCP' },
      { containerPort: 15010, name: 'grpc-xds', protocol: 'TCP' },
      { containerPort: 15012, name: 'tls-xds', protocol: 'TCP' },
      { containerPort: 15017, name: 'https-webhooks', protocol: 'TCP' },
      { containerPort: 15014, name: 'http-monitoring', protocol: 'TCP' },
    ],
    readinessProbe: { httpGet: { path: '/ready', port: k8s.IntOrString.fromNumber(8080) }, initialDelaySeconds: 1, periodSeconds: 3, timeoutSeconds: 5 },
    resources: cp.resources ? renderResourceRequirements(cp.resources) : { requests: { cpu: quantity('500m'), memory: quantity('2048Mi') } },
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [
      { name: 'istio-token', mountPath: '/var/run/secrets/tokens', readOnly: true },
      { name: 'local-certs', mountPath: '/var/run/secrets/istio-dns' },
      { name: 'cacerts', mountPath: '/etc/cacerts', readOnly: true },
      { name: 'istio-kubeconfig', mountPath: '/var/run/secrets/remote', readOnly: true },
      { name: 'istio-csr-dns-cert', mountPath: '/var/run/secrets/istiod/tls', readOnly: true },
      { name: 'istio-csr-ca-configmap', mountPath: '/var/run/secrets/istiod/ca', readOnly: true },
    ],
  };
}

/** The istiod Deployment spec (Istio 1.30.3's istiod chart, with the values of the control plane). */
export function renderIstiodDeploymentSpec(snapshot: MeshSnapshot, cp: ControlPlaneModel): k8s.DeploymentSpec {
  const names = controlPlaneNames(cp);
  return {
    replicas: istiodAutoscaled(cp) ? undefined : cp.replicas,
    selector: { matchLabels: istiodSelector(cp) },
    strategy: { rollingUpdate: { maxSurge: k8s.IntOrString.fromString('100%'), maxUnavailable: k8s.IntOrString.fromString('25%') } },
    template: {
      metadata: {
        labels: { ...names.labels, 'sidecar.istio.io/inject': 'false', 'istio.io/dataplane-mode': 'none', ...(cp.revision ? {} : { istio: 'pilot' }) },
        annotations: { 'prometheus.io/port': '15014', 'prometheus.io/scrape': 'true', 'sidecar.istio.io/inject': 'false' },
      },
      spec: {
        serviceAccountName: names.istiod,
        tolerations: [{ key: 'cni.istio.io/not-ready', operator: 'Exists' }],
        containers: [discoveryContainer(snapshot, cp)],
        volumes: [
          { name: 'local-certs', emptyDir: { medium: 'Memory' } },
          { name: 'istio-token', projected: { sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' } }] } },
          // plug-in CA (optional): https://istio.io/latest/docs/tasks/security/cert-management/plugin-ca-cert/
          { name: 'cacerts', secret: { secretName: 'cacerts', optional: true } },
          { name: 'istio-kubeconfig', secret: { secretName: 'istio-kubeconfig', optional: true } },
          { name: 'istio-csr-dns-cert', secret: { secretName: 'istiod-tls', optional: true } },
          { name: 'istio-csr-ca-configmap', configMap: { name: 'istio-ca-root-cert', defaultMode: 420, optional: true } },
        ],
      },
    },
  };
}

/** The istiod Service: xDS (plain and mTLS), the webhooks, monitoring. */
export function renderIstiodServiceSpec(cp: ControlPlaneModel): k8s.ServiceSpec {
  return {
    selector: cp.revision ? { 'app': 'istiod', 'istio.io/rev': cp.revision } : { app: 'istiod', istio: 'pilot' },
    ports: [
      { name: 'grpc-xds', port: 15010, protocol: 'TCP' },
      { name: 'https-dns', port: 15012, protocol: 'TCP' },
      { name: 'https-webhook', port: 443, targetPort: k8s.IntOrString.fromNumber(15017), protocol: 'TCP' },
      { name: 'http-monitoring', port: 15014, protocol: 'TCP' },
    ],
  };
}

/** The autoscaler of istiod on CPU (only when `maxReplicas` exceeds `replicas`). */
export function renderIstiodAutoscalerSpec(cp: ControlPlaneModel): k8s.HorizontalPodAutoscalerSpecV2 {
  return {
    minReplicas: cp.replicas,
    maxReplicas: cp.maxReplicas,
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: controlPlaneNames(cp).istiod },
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cp.targetCpuUtilization } } }],
  };
}

/** The disruption budget of istiod (only with more than one replica). */
export function renderIstiodDisruptionBudgetSpec(cp: ControlPlaneModel): k8s.PodDisruptionBudgetSpec {
  return { minAvailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: istiodSelector(cp) } };
}
