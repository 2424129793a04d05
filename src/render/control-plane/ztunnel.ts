import { k8s } from 'cdk8s-plus-28';
import { AMBIENT_PROXY_METADATA, nodeAgentImage, nodeAgentTolerations, ZTUNNEL_NAME } from './ambient';
import { ControlPlaneModel } from '../../model/control-plane';
import { renderResourceRequirements } from '../resources';

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
const LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/name': ZTUNNEL_NAME, 'app.kubernetes.io/part-of': 'istio' };
const GRACE_SECONDS = 30;

function annotationsOf(cp: ControlPlaneModel): Record<string, string> {
  return cp.revision ? { 'istio.io/rev': cp.revision } : {};
}

/**
 * ztunnel's ServiceAccount. ztunnel talks to istiod only (with the projected
 * istio-token), never to the Kubernetes API: no RBAC, and no API token in the pod.
 */
export function renderZtunnelServiceAccount(cp: ControlPlaneModel): k8s.KubeServiceAccountProps {
  return {
    metadata: { name: ZTUNNEL_NAME, namespace: cp.namespace, labels: { ...LABELS }, annotations: annotationsOf(cp) },
    automountServiceAccountToken: false,
  };
}

const field = (name: string, fieldPath: string): k8s.EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });

function ztunnelEnv(cp: ControlPlaneModel): k8s.EnvVar[] {
  return [
    { name: 'CA_ADDRESS', value: cp.istiodAddress },
    { name: 'XDS_ADDRESS', value: cp.istiodAddress },
    { name: 'RUST_LOG', value: cp.ambientAgents!.ztunnelLogLevel },
    { name: 'RUST_BACKTRACE', value: '1' },
    { name: 'ISTIO_META_CLUSTER_ID', value: cp.clusterId },
    { name: 'INPOD_ENABLED', value: 'true' },
    { name: 'TERMINATION_GRACE_PERIOD_SECONDS', value: String(GRACE_SECONDS) },
    field('POD_NAME', 'metadata.name'),
    field('POD_NAMESPACE', 'metadata.namespace'),
    field('NODE_NAME', 'spec.nodeName'),
    field('INSTANCE_IP', 'status.podIP'),
    field('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    // the mesh config's proxyMetadata, which ztunnel reads as env
    ...Object.entries(AMBIENT_PROXY_METADATA).sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => ({ name, value })),
    { name: 'ZTUNNEL_CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: k8s.Quantity.fromString('1') } } },
  ];
}

function ztunnelContainer(cp: ControlPlaneModel): k8s.Container {
  return {
    name: 'istio-proxy',
    image: nodeAgentImage(cp.hub, cp.tag, ZTUNNEL_NAME),
    args: ['proxy', 'ztunnel'],
    ports: [{ containerPort: 15020, name: 'ztunnel-stats', protocol: 'TCP' }],
    resources: renderResourceRequirements(cp.ambientAgents!.ztunnelResources),
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
    env: ztunnelEnv(cp),
    volumeMounts: [
      { mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' },
      { mountPath: '/var/run/secrets/tokens', name: 'istio-token' },
      { mountPath: '/var/run/ztunnel', name: 'cni-ztunnel-sock-dir' },
      { mountPath: '/tmp', name: 'tmp' },
    ],
  };
}

/** ztunnel's DaemonSet (one pod per node). */
export function renderZtunnelDaemonSet(cp: ControlPlaneModel): k8s.KubeDaemonSetProps {
  const annotations = annotationsOf(cp);
  return {
    metadata: { name: ZTUNNEL_NAME, namespace: cp.namespace, labels: { ...LABELS }, annotations },
    spec: {
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) } },
      selector: { matchLabels: { app: ZTUNNEL_NAME } },
      template: {
        metadata: {
          labels: { 'sidecar.istio.io/inject': 'false', 'istio.io/dataplane-mode': 'none', 'app': ZTUNNEL_NAME, ...LABELS },
          annotations: { 'sidecar.istio.io/inject': 'false', ...annotations, 'prometheus.io/port': '15020', 'prometheus.io/scrape': 'true' },
        },
        spec: {
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          serviceAccountName: ZTUNNEL_NAME,
          automountServiceAccountToken: false,
          tolerations: nodeAgentTolerations(),
          priorityClassName: 'system-node-critical',
          terminationGracePeriodSeconds: GRACE_SECONDS,
          containers: [ztunnelContainer(cp)],
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
  };
}
