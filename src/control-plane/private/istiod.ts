import { k8s } from 'cdk8s-plus-28';

/** What the istiod Deployment of one control plane is rendered from. */
export interface IstiodInput {
  /** Deployment, ServiceAccount and Service name (`istiod` or `istiod-<revision>`). */
  readonly istiod: string;
  /** `istio.io/rev` value (`default` for the default revision). */
  readonly revLabel: string;
  readonly hub: string;
  readonly tag: string;
  readonly clusterDomain: string;
  readonly clusterId: string;
  readonly traceSampling: number;
  readonly gatewayController: boolean;
  readonly replicas: number;
  /** True when an HPA scales istiod (the Deployment then leaves `replicas` unset). */
  readonly autoscale: boolean;
  readonly selector: Record<string, string>;
  readonly podLabels: Record<string, string>;
  /** Resources of the discovery container; Istio's chart default when undefined. */
  readonly resources?: k8s.ResourceRequirements;
  /** Further env entries (the ambient profile's, issue 17), after the default ones. */
  readonly extraEnv?: k8s.EnvVar[];
}

const env = (name: string, value: string): k8s.EnvVar => ({ name, value });

/** Addresses istiod never fetches a JWKS from: its own pod's loopback and the unspecified address. */
export const JWKS_BLOCKED_CIDRS = '127.0.0.0/8,::1/128,0.0.0.0/8,::/128';
const field = (name: string, fieldPath: string): k8s.EnvVar => ({ name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } });
const quantity = (value: string): k8s.Quantity => k8s.Quantity.fromString(value);

/** The istiod Deployment spec (Istio 1.30.3's istiod chart, with the values of the control plane). */
export function istiodDeploymentSpec(i: IstiodInput): k8s.DeploymentSpec {
  return {
    replicas: i.autoscale ? undefined : i.replicas,
    selector: { matchLabels: i.selector },
    strategy: { rollingUpdate: { maxSurge: k8s.IntOrString.fromString('100%'), maxUnavailable: k8s.IntOrString.fromString('25%') } },
    template: {
      metadata: {
        labels: i.podLabels,
        annotations: { 'prometheus.io/port': '15014', 'prometheus.io/scrape': 'true', 'sidecar.istio.io/inject': 'false' },
      },
      spec: {
        serviceAccountName: i.istiod,
        tolerations: [{ key: 'cni.istio.io/not-ready', operator: 'Exists' }],
        containers: [{
          name: 'discovery',
          image: `${i.hub}/pilot:${i.tag}`,
          args: ['discovery', '--monitoringAddr=:15014', '--log_output_level=default:info', '--domain', i.clusterDomain, '--keepaliveMaxServerConnectionAge', '30m'],
          env: [
            env('REVISION', i.revLabel),
            env('PILOT_CERT_PROVIDER', 'istiod'),
            field('POD_NAME', 'metadata.name'),
            field('POD_NAMESPACE', 'metadata.namespace'),
            field('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
            env('KUBECONFIG', '/var/run/secrets/remote/config'),
            env('PILOT_TRACE_SAMPLING', String(i.traceSampling)),
            env('PILOT_ENABLE_ANALYSIS', 'false'),
            // istiod fetches RequestAuthentication jwksUris itself; it always refuses link-local and cloud
            // metadata addresses, and this also refuses its own loopback (its debug and webhook ports).
            // Private ranges stay open: in-cluster identity providers live there.
            env('BLOCKED_CIDRS_IN_JWKS_URIS', JWKS_BLOCKED_CIDRS),
            env('CLUSTER_ID', i.clusterId),
            env('PLATFORM', ''),
            ...(i.gatewayController ? [] : [env('PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER', 'false')]),
            ...(i.extraEnv ?? []),
          ],
          ports: [
            { containerPort: 8080, name: 'http-debug', protocol: 'TCP' },
            { containerPort: 15010, name: 'grpc-xds', protocol: 'TCP' },
            { containerPort: 15012, name: 'tls-xds', protocol: 'TCP' },
            { containerPort: 15017, name: 'https-webhooks', protocol: 'TCP' },
            { containerPort: 15014, name: 'http-monitoring', protocol: 'TCP' },
          ],
          readinessProbe: { httpGet: { path: '/ready', port: k8s.IntOrString.fromNumber(8080) }, initialDelaySeconds: 1, periodSeconds: 3, timeoutSeconds: 5 },
          resources: i.resources ?? { requests: { cpu: quantity('500m'), memory: quantity('2048Mi') } },
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
        }],
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
