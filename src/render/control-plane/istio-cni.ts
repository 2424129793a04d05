import { k8s } from 'cdk8s-plus-28';
import * as YAML from 'yaml';
import { nodeAgentImage, nodeAgentTolerations } from './ambient';
import { ControlPlaneModel } from '../../model/control-plane';
import { renderResourceRequirements } from '../resources';

/**
 * The `istio-cni` node agent in ambient mode: it installs Istio's CNI plugin
 * (chained after the cluster's own) on every node, and for every pod that
 * joins the ambient mesh it programs the pod's network namespace to redirect
 * traffic to the node's ztunnel (passing ztunnel the pod's netns over
 * `/var/run/ztunnel`). It also repairs sidecar pods that started before the
 * plugin was ready.
 *
 * Facts (names, env, mounts, capabilities) from Istio 1.30's `istio-cni`
 * chart with `ambient.enabled: true` and its golden render
 * (../shared/istio/1.30.3/istio-cni.golden.yaml); the differences are listed
 * in test/control-plane/ambient-parity.test.ts.
 */
/** Name of the DaemonSet; the CNI plugin falls back to it, so it is fixed. */
export const CNI_NAME = 'istio-cni';
export const CNI_DAEMONSET = `${CNI_NAME}-node`;

/** Pods the agent captures: labelled ambient, or in an ambient namespace and not opted out. */
function enablementSelectors(): unknown[] {
  return [
    { podSelector: { matchLabels: { 'istio.io/dataplane-mode': 'ambient' } } },
    {
      podSelector: { matchExpressions: [{ key: 'istio.io/dataplane-mode', operator: 'NotIn', values: ['none'] }] },
      namespaceSelector: { matchLabels: { 'istio.io/dataplane-mode': 'ambient' } },
    },
  ];
}

function labelsOf(cp: ControlPlaneModel): Record<string, string> {
  return { 'app.kubernetes.io/name': CNI_NAME, 'app.kubernetes.io/part-of': 'istio', 'istio.io/rev': cp.revision ?? 'default' };
}

/** A ClusterRole of the agent and its binding to the agent's ServiceAccount. */
export interface ClusterRoleGrant {
  /** Suffix of the construct ids (`''`, `-Repair`, `-Ambient`). */
  readonly id: string;
  readonly role: k8s.KubeClusterRoleProps;
  readonly binding: k8s.KubeClusterRoleBindingProps;
}

/** The agent's ServiceAccount. */
export function renderCniServiceAccount(cp: ControlPlaneModel): k8s.KubeServiceAccountProps {
  return { metadata: { name: CNI_NAME, namespace: cp.namespace, labels: { app: CNI_NAME, ...labelsOf(cp) } } };
}

/** The agent's ClusterRoles, each bound to its ServiceAccount. */
export function renderCniClusterRoles(cp: ControlPlaneModel): ClusterRoleGrant[] {
  const grant = (id: string, name: string, rules: k8s.PolicyRule[]): ClusterRoleGrant => ({
    id,
    role: { metadata: { name, labels: { app: CNI_NAME, ...labelsOf(cp) } }, rules },
    binding: {
      metadata: { name, labels: { app: CNI_NAME, ...labelsOf(cp) } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: CNI_NAME, namespace: cp.namespace }],
    },
  });
  return [
    // read pods, nodes and namespaces to decide which pods are ambient
    grant('', CNI_NAME, [{ apiGroups: [''], resources: ['pods', 'nodes', 'namespaces'], verbs: ['get', 'list', 'watch'] }]),
    // repair of sidecar pods (repairPods mode: fixes the pod's netns in place, so no delete/label rights)
    grant('-Repair', `${CNI_NAME}-repair-role`, [
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['watch', 'get', 'list'] },
    ]),
    // ambient: annotate captured pods (pods/status only) and read its own DaemonSet
    grant('-Ambient', `${CNI_NAME}-ambient`, [
      { apiGroups: [''], resources: ['pods/status'], verbs: ['patch', 'update'] },
      { apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: [CNI_DAEMONSET], verbs: ['get'] },
    ]),
  ];
}

const CNI_CONFIG = `${CNI_NAME}-config`;

/** The agent's settings (read as env). */
export function renderCniConfigMap(cp: ControlPlaneModel): k8s.KubeConfigMapProps {
  return {
    metadata: { name: CNI_CONFIG, namespace: cp.namespace, labels: { app: CNI_NAME, ...labelsOf(cp) } },
    data: {
      CURRENT_AGENT_VERSION: cp.tag,
      AMBIENT_ENABLED: 'true',
      AMBIENT_ENABLEMENT_SELECTOR: YAML.stringify(enablementSelectors()),
      AMBIENT_DNS_CAPTURE: 'true',
      AMBIENT_IPV6: 'true',
      AMBIENT_RECONCILE_POD_RULES_ON_STARTUP: 'true',
      ENABLE_AMBIENT_DETECTION_RETRY: 'false',
      ISTIO_OWNED_CNI_CONFIG: 'false',
      CHAINED_CNI_PLUGIN: 'true',
      EXCLUDE_NAMESPACES: 'kube-system',
      REPAIR_ENABLED: 'true',
      REPAIR_LABEL_PODS: 'false',
      REPAIR_DELETE_PODS: 'false',
      REPAIR_REPAIR_PODS: 'true',
      REPAIR_INIT_CONTAINER_NAME: 'istio-validation',
      REPAIR_BROKEN_POD_LABEL_KEY: 'cni.istio.io/uninitialized',
      REPAIR_BROKEN_POD_LABEL_VALUE: 'true',
      NATIVE_NFTABLES: 'false',
    },
  };
}

const field = (name: string, fieldPath: string, apiVersion?: string): k8s.EnvVar => ({ name, valueFrom: { fieldRef: { apiVersion, fieldPath } } });
const limit = (name: string, resource: string): k8s.EnvVar => ({ name, valueFrom: { resourceFieldRef: { resource, divisor: k8s.Quantity.fromString('1') } } });
const hostPath = (name: string, path: string, type?: string): k8s.Volume => ({ name, hostPath: { path, type } });

/** The `install-cni` container. */
function installCniContainer(cp: ControlPlaneModel): k8s.Container {
  return {
    name: 'install-cni',
    image: nodeAgentImage(cp.hub, cp.tag, 'install-cni'),
    command: ['install-cni'],
    args: ['--log_output_level=info'],
    ports: [{ containerPort: 15014, name: 'metrics', protocol: 'TCP' }],
    readinessProbe: { httpGet: { path: '/readyz', port: k8s.IntOrString.fromNumber(8000) } },
    securityContext: {
      privileged: false,
      runAsGroup: 0,
      runAsUser: 0,
      runAsNonRoot: false,
      // what the agent needs and nothing else: iptables/ipset and routes (NET_ADMIN, NET_RAW),
      // entering pod network namespaces through /proc (SYS_PTRACE, SYS_ADMIN),
      // writing to host directories owned by others (DAC_OVERRIDE)
      capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW', 'SYS_PTRACE', 'SYS_ADMIN', 'DAC_OVERRIDE'] },
    },
    envFrom: [{ configMapRef: { name: CNI_CONFIG } }],
    env: [
      field('REPAIR_NODE_NAME', 'spec.nodeName'),
      { name: 'REPAIR_RUN_AS_DAEMON', value: 'true' },
      { name: 'REPAIR_SIDECAR_ANNOTATION', value: 'sidecar.istio.io/status' },
      { name: 'ALLOW_SWITCH_TO_HOST_NS', value: 'true' },
      field('NODE_NAME', 'spec.nodeName', 'v1'),
      limit('GOMEMLIMIT', 'limits.memory'),
      limit('GOMAXPROCS', 'limits.cpu'),
      field('POD_NAME', 'metadata.name'),
      field('POD_NAMESPACE', 'metadata.namespace'),
    ],
    volumeMounts: [
      { mountPath: '/host/opt/cni/bin', name: 'cni-bin-dir' },
      { mountPath: '/host/proc', name: 'cni-host-procfs', readOnly: true },
      { mountPath: '/host/etc/cni/net.d', name: 'cni-net-dir' },
      { mountPath: '/var/run/istio-cni', name: 'cni-socket-dir' },
      { mountPath: '/host/var/run/netns', mountPropagation: 'HostToContainer', name: 'cni-netns-dir' },
      { mountPath: '/var/run/ztunnel', name: 'cni-ztunnel-sock-dir' },
    ],
    resources: renderResourceRequirements(cp.ambientAgents!.cniResources),
  };
}

/** The agent's DaemonSet (one pod per node). */
export function renderCniDaemonSet(cp: ControlPlaneModel): k8s.KubeDaemonSetProps {
  const selector = { 'k8s-app': CNI_DAEMONSET };
  return {
    metadata: { name: CNI_DAEMONSET, namespace: cp.namespace, labels: { ...selector, ...labelsOf(cp) } },
    spec: {
      selector: { matchLabels: selector },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
      template: {
        metadata: {
          labels: { ...selector, 'sidecar.istio.io/inject': 'false', 'istio.io/dataplane-mode': 'none', 'app.kubernetes.io/name': CNI_NAME, 'app.kubernetes.io/part-of': 'istio' },
          annotations: {
            'sidecar.istio.io/inject': 'false',
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': '15014',
            'prometheus.io/path': '/metrics',
            // AppArmor profiles of some distributions block the privileged operations of the agent; the
            // annotation (not the Kubernetes 1.30 securityContext field) works from 1.28 on
            'container.apparmor.security.beta.kubernetes.io/install-cni': 'unconfined',
          },
        },
        spec: {
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          tolerations: nodeAgentTolerations(),
          priorityClassName: 'system-node-critical',
          serviceAccountName: CNI_NAME,
          terminationGracePeriodSeconds: 30,
          containers: [installCniContainer(cp)],
          volumes: [
            hostPath('cni-bin-dir', '/opt/cni/bin'),
            hostPath('cni-host-procfs', '/proc', 'Directory'),
            hostPath('cni-ztunnel-sock-dir', '/var/run/ztunnel', 'DirectoryOrCreate'),
            hostPath('cni-net-dir', '/etc/cni/net.d'),
            hostPath('cni-socket-dir', '/var/run/istio-cni'),
            // the runtime may create it only with the first pod: do not block the agent on it
            hostPath('cni-netns-dir', '/var/run/netns', 'DirectoryOrCreate'),
          ],
        },
      },
    },
  };
}
