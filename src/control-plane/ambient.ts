import * as kplus from 'cdk8s-plus-28';

/**
 * How the pods of a namespace (or of one service) join the mesh.
 *
 * @see https://istio.io/latest/docs/ambient/overview/
 */
export enum DataPlaneMode {
  /**
   * An Envoy sidecar is injected into every pod by istiod's webhook: L4 and L7
   * policy, routing and telemetry run in the pod.
   */
  SIDECAR = 'SIDECAR',
  /**
   * Ambient mode: no sidecar. The node's `ztunnel` carries the pods' traffic
   * over mTLS (HBONE) and enforces L4 authorization; L7 intent (routes,
   * retries, timeouts, L7 authorization) runs in a waypoint proxy that
   * cdk8s-mesh declares where the service's intent needs one.
   */
  AMBIENT = 'AMBIENT',
}

/**
 * Settings of the ambient data plane an `IstioControlPlane` installs with
 * `dataPlane: DataPlaneMode.AMBIENT`.
 */
export interface AmbientOptions {
  /**
   * Compute resources of the `ztunnel` node proxy (one per node).
   *
   * @default - requests 200m CPU / 512Mi memory, no limits (upstream's chart:
   * a throttled or OOM-killed ztunnel cuts off every ambient pod of its node)
   */
  readonly ztunnelResources?: kplus.ContainerResources;

  /**
   * Compute resources of the `istio-cni` node agent (one per node).
   *
   * @default - requests 100m CPU / 100Mi memory, no limits (upstream's chart)
   */
  readonly cniResources?: kplus.ContainerResources;

  /**
   * Log level of ztunnel (`RUST_LOG`), e.g. `info`, `debug`, `warn`.
   *
   * @default 'info'
   */
  readonly ztunnelLogLevel?: string;
}
