import { MeshModel } from './mesh-model';

/** A Pod Security Standard level (the `pod-security.kubernetes.io/*` label value). */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** The levels, least restrictive first. */
const ORDER: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];

/** The Pod Security level of the pods one workload construct puts in a namespace. */
export interface WorkloadPodSecurityModel {
  /** Construct path of the workload. */
  readonly path: string;
  readonly namespace: string;
  /** The strictest level its pods (as admitted, sidecar included) pass. */
  readonly level: PodSecurityLevel;
  /** Why not stricter (empty for `restricted`). */
  readonly reason: string;
}

const STATES = new WeakMap<MeshModel, WorkloadPodSecurityModel[]>();

export function addWorkloadPodSecurity(model: MeshModel, workload: WorkloadPodSecurityModel): void {
  let list = STATES.get(model);
  if (!list) STATES.set(model, list = []);
  list.push(workload);
  model.touch();
}

/** The workloads registered in `namespace`, in registration order. */
export function workloadPodSecurityOf(model: MeshModel, namespace: string): readonly WorkloadPodSecurityModel[] {
  return (STATES.get(model) ?? []).filter((w) => w.namespace === namespace);
}

/** The less restrictive of two levels. */
export function looserPodSecurity(a: PodSecurityLevel, b: PodSecurityLevel): PodSecurityLevel {
  return ORDER.indexOf(a) <= ORDER.indexOf(b) ? a : b;
}

/**
 * The capabilities the baseline standard lets a container add (Kubernetes'
 * Pod Security Standards, "Capabilities" control); restricted allows
 * `NET_BIND_SERVICE` only, after dropping ALL.
 */
const BASELINE_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD',
  'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);

/** The container settings of an application container that decide its Pod Security level. */
export interface ContainerSecurityModel {
  readonly runAsNonRoot: boolean;
  readonly user?: number;
  readonly allowPrivilegeEscalation: boolean;
  /** Capabilities added after dropping ALL. */
  readonly addCapabilities: readonly string[];
  /** True when the pod gets an injected sidecar (the `istio-init` container: NET_ADMIN, NET_RAW, runs as root). */
  readonly injectedSidecar: boolean;
}

/**
 * The strictest level of a pod whose one application container has these
 * settings (`privileged: false`, seccomp `RuntimeDefault`, emptyDir /
 * ConfigMap / Secret volumes, as cdk8s-mesh renders every workload), and why
 * not stricter.
 */
export function containerPodSecurity(c: ContainerSecurityModel): { level: PodSecurityLevel; reason: string } {
  if (c.injectedSidecar) {
    return { level: 'privileged', reason: 'its pods get an injected sidecar, whose istio-init container adds NET_ADMIN and NET_RAW and runs as root (baseline forbids those capabilities)' };
  }
  const beyondBaseline = c.addCapabilities.filter((cap) => !BASELINE_CAPABILITIES.has(cap));
  if (beyondBaseline.length > 0) {
    return { level: 'privileged', reason: `security.addCapabilities adds ${beyondBaseline.join(', ')}, which baseline forbids` };
  }
  const why: string[] = [];
  const beyondRestricted = c.addCapabilities.filter((cap) => cap !== 'NET_BIND_SERVICE');
  if (beyondRestricted.length > 0) why.push(`security.addCapabilities adds ${beyondRestricted.join(', ')} (restricted allows NET_BIND_SERVICE only)`);
  if (!c.runAsNonRoot) why.push('security.ensureNonRoot is false (restricted requires runAsNonRoot)');
  if (c.user === 0) why.push('security.user is 0 (restricted forbids runAsUser 0)');
  if (c.allowPrivilegeEscalation) why.push('security.allowPrivilegeEscalation is true (restricted requires false)');
  return why.length > 0 ? { level: 'baseline', reason: why.join('; ') } : { level: 'restricted', reason: '' };
}
