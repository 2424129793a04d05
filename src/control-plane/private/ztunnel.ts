import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { nodeAgentTolerations } from './istio-cni';

/**
 * `ztunnel`, the per-node proxy of ambient mode: it receives the network
 * namespace of every ambient pod of its node from istio-cni, terminates and
 * originates mTLS (HBONE, port 15008) inside it with the pod's own identity
 * (certificates it requests from istiod on the pod's behalf, which istiod
 * allows because its `CA_TRUSTED_NODE_ACCOUNTS` names this ServiceAccount)
 * and enforces L4 AuthorizationPolicies.
 *
 * Facts from Istio 1.30's `ztunnel` chart and its golden render
 * (../shared/istio/1.30.3/ztunnel.golden.yaml); the differences are listed in
 * test/control-plane/ambient-parity.test.ts.
 */
export interface ZtunnelInput {
  readonly namespace: string;
  readonly revision?: string;
  readonly image: string;
  /** istiod's XDS and CA address, `istiod[-<rev>].<ns>.svc:15012`. */
  readonly istiodAddress: string;
  readonly clusterId: string;
  readonly logLevel: string;
  readonly resources: k8s.ResourceRequirements;
  /** `defaultConfig.proxyMetadata` of the mesh config (ztunnel reads it as env). */
  readonly proxyMetadata: Readonly<Record<string, string>>;
}

export const ZTUNNEL_NAME = 'ztunnel';

export function ztunnel(scope: Construct, input: ZtunnelInput): void {
  const ns = input.namespace;
  const labels: Record<string, string> = { 'app.kubernetes.io/name': ZTUNNEL_NAME, 'app.kubernetes.io/part-of': 'istio' };
  const annotations: Record<string, string> = input.revision ? { 'istio.io/rev': input.revision } : {};
  // ztunnel talks to istiod only (with the projected istio-token below), never to the
  // Kubernetes API: no RBAC, and no API token in the pod
  new k8s.KubeServiceAccount(scope, 'ZtunnelServiceAccount', {
    metadata: { name: ZTUNNEL_NAME, namespace: ns, labels, annotations },
    automountServiceAccountToken: false,
  });
  const field = (name: string, fieldPath: string): k8s.EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  const grace = 30;
  new k8s.KubeDaemonSet(scope, 'ZtunnelDaemonSet', {
    metadata: { name: ZTUNNEL_NAME, namespace: ns, labels, annotations },
    spec: {
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) } },
      selector: { matchLabels: { app: ZTUNNEL_NAME } },
      template: {
        metadata: {
          labels: { 'sidecar.istio.io/inject': 'false', 'istio.io/dataplane-mode': 'none', 'app': ZTUNNEL_NAME, ...labels },
          annotations: { 'sidecar.istio.io/inject': 'false', ...annotations, 'prometheus.io/port': '15020', 'prometheus.io/scrape': 'true' },
        },
        spec: {
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          serviceAccountName: ZTUNNEL_NAME,
          automountServiceAccountToken: false,
          tolerations: nodeAgentTolerations(),
          priorityClassName: 'system-node-critical',
          terminationGracePeriodSeconds: grace,
          containers: [{
            name: 'istio-proxy',
            image: input.image,
            args: ['proxy', 'ztunnel'],
            ports: [{ containerPort: 15020, name: 'ztunnel-stats', protocol: 'TCP' }],
            resources: input.resources,
            securityContext: {
              // Kubernetes rejects allowPrivilegeEscalation: false together with CAP_SYS_ADMIN
              allowPrivilegeEscalation: true,
              privileged: false,
              // TPROXY and socket options (NET_ADMIN), setns into pod network namespaces
              // (SYS_ADMIN), raw sockets for TPROXY (NET_RAW); nothing else
              capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'SYS_ADMIN', 'NET_RAW'] },
              readOnlyRootFilesystem: true,
              runAsGroup: 1337,
              runAsNonRoot: false,
              runAsUser: 0,
            },
            readinessProbe: { httpGet: { port: k8s.IntOrString.fromNumber(15021), path: '/healthz/ready' } },
            env: [
              { name: 'CA_ADDRESS', value: input.istiodAddress },
              { name: 'XDS_ADDRESS', value: input.istiodAddress },
              { name: 'RUST_LOG', value: input.logLevel },
              { name: 'RUST_BACKTRACE', value: '1' },
              { name: 'ISTIO_META_CLUSTER_ID', value: input.clusterId },
              { name: 'INPOD_ENABLED', value: 'true' },
              { name: 'TERMINATION_GRACE_PERIOD_SECONDS', value: String(grace) },
              field('POD_NAME', 'metadata.name'),
              field('POD_NAMESPACE', 'metadata.namespace'),
              field('NODE_NAME', 'spec.nodeName'),
              field('INSTANCE_IP', 'status.podIP'),
              field('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
              ...Object.entries(input.proxyMetadata).sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => ({ name, value })),
              { name: 'ZTUNNEL_CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: k8s.Quantity.fromString('1') } } },
            ],
            volumeMounts: [
              { mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' },
              { mountPath: '/var/run/secrets/tokens', name: 'istio-token' },
              { mountPath: '/var/run/ztunnel', name: 'cni-ztunnel-sock-dir' },
              { mountPath: '/tmp', name: 'tmp' },
            ],
          }],
          volumes: [
            { name: 'istio-token', projected: { sources: [{ serviceAccountToken: { path: 'istio-token', expirationSeconds: 43200, audience: 'istio-ca' } }] } },
            // the mesh root certificate istiod publishes in every namespace
            { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } },
            // istio-cni hands pod network namespaces over this socket directory
            { name: 'cni-ztunnel-sock-dir', hostPath: { path: '/var/run/ztunnel', type: 'DirectoryOrCreate' } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  });
}
