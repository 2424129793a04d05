/** A Pod Security Standard level (the `pod-security.kubernetes.io/*` label value). */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** The levels, least restrictive first. */
const ORDER: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];

/** The strictest level some pods pass, and why not stricter. */
export interface PodSecurityVerdict {
  readonly level: PodSecurityLevel;
  /** Why not stricter (empty for `restricted`). */
  readonly reason: string;
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
const BASELINE_CAPABILITIES: ReadonlySet<string> = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD',
  'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);

/** The settings of a service's application container that decide its Pod Security level. */
export interface ContainerSecurityModel {
  readonly runAsNonRoot: boolean;
  readonly user?: number;
  readonly allowPrivilegeEscalation: boolean;
  /** Capabilities added after dropping ALL. */
  readonly addCapabilities: readonly string[];
}

/**
 * The strictest level of a pod whose one application container has these
 * settings (`privileged: false`, seccomp `RuntimeDefault`, emptyDir /
 * ConfigMap / Secret volumes, as cdk8s-mesh renders every workload), and why
 * not stricter. `injectedSidecar`: the pod gets an injected sidecar, whose
 * `istio-init` container adds NET_ADMIN and NET_RAW and runs as root.
 */
export function containerPodSecurity(c: ContainerSecurityModel, injectedSidecar: boolean): PodSecurityVerdict {
  if (injectedSidecar) {
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

/** Something that puts pods in a namespace (a resolved service). */
export interface PodSecurityOwner {
  readonly path: string;
  readonly namespace: string;
  readonly podSecurity: PodSecurityVerdict;
}

/**
 * The strictest level every pod cdk8s-mesh puts in `namespace` passes: the
 * namespace's own constraint (`base`, e.g. sidecar injection or the ambient
 * node agents) and each of its services' pods, with the reasons it is not
 * stricter.
 */
export function namespacePodSecurity(services: readonly PodSecurityOwner[], namespace: string, base: PodSecurityVerdict): PodSecurityVerdict {
  let level = base.level;
  const reasons = base.reason ? [base.reason] : [];
  for (const s of services.filter((x) => x.namespace === namespace)) {
    level = looserPodSecurity(level, s.podSecurity.level);
    if (s.podSecurity.level !== 'restricted') reasons.push(`${s.path}: ${s.podSecurity.reason}`);
  }
  return { level, reason: [...new Set(reasons)].join('; ') };
}
