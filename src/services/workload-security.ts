import * as kplus from 'cdk8s-plus-28';

/**
 * Security settings of a mesh workload's application container and pod.
 *
 * Every default is the secure choice; relaxing one is an explicit prop.
 */
export interface WorkloadSecurityOptions {
  /**
   * UID the application runs as. Must not be 0 or 1337 (the UID the Envoy
   * sidecar runs as; traffic from it bypasses the proxy's iptables capture).
   *
   * @default 1000
   */
  readonly user?: number;

  /**
   * GID the application runs as.
   *
   * @default 1000
   */
  readonly group?: number;

  /**
   * Require the container to run as a non-root user (`runAsNonRoot`).
   *
   * @default true
   */
  readonly ensureNonRoot?: boolean;

  /**
   * Mount the container's root filesystem read-only. When true, an `emptyDir`
   * volume is mounted at `/tmp` so runtimes such as Python can still write
   * temporary files.
   *
   * @default true
   */
  readonly readOnlyRootFilesystem?: boolean;

  /**
   * Allow a process to gain more privileges than its parent.
   *
   * @default false
   */
  readonly allowPrivilegeEscalation?: boolean;

  /**
   * Linux capabilities added back after dropping `ALL`.
   *
   * @default - none: all capabilities are dropped
   */
  readonly addCapabilities?: kplus.Capability[];
}
