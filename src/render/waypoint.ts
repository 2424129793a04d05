import { GatewaySpec } from '../imports/gateway.networking.k8s.io';
import { WAYPOINT_NAME } from '../model/ambient';

/** Class of Istio's waypoint Gateways. */
export const WAYPOINT_CLASS = 'istio-waypoint';
/** Istio's HBONE tunnel port. */
export const HBONE_PORT = 15008;

/** Labels of the waypoint Gateway: it serves the namespace's services (not workloads addressed by IP). */
export function waypointLabels(revision?: string): Record<string, string> {
  return { 'istio.io/waypoint-for': 'service', ...(revision ? { 'istio.io/rev': revision } : {}) };
}

/**
 * The waypoint of an ambient namespace: a Kubernetes Gateway API `Gateway`
 * of class `istio-waypoint` with the one HBONE listener on 15008, which
 * istiod's deployment controller turns into a waypoint Deployment, Service
 * and ServiceAccount (named after the Gateway) from its `waypoint` template.
 * Rendered to the generated L1 spec of `gateway.networking.k8s.io/v1`
 * `Gateway` (`src/imports/gateway.networking.k8s.io.ts`).
 *
 * `infrastructure` states what istiod copies onto those objects: the
 * waypoint's own labels and no annotation. Without it istiod copies every
 * label and annotation of the Gateway, including the ones Argo CD adds when
 * it applies the Gateway (its tracking label `app.kubernetes.io/instance` or
 * annotation `argocd.argoproj.io/tracking-id`, sync waves and options): the
 * generated objects would then look like resources of the Application that
 * Git does not hold, and a sync with prune would delete them.
 */
export function renderWaypointSpec(revision?: string): GatewaySpec {
  return {
    gatewayClassName: WAYPOINT_CLASS,
    listeners: [{ name: 'mesh', port: HBONE_PORT, protocol: 'HBONE' }],
    infrastructure: { labels: waypointLabels(revision), annotations: {} },
  };
}

/** The SPIFFE principal (without `spiffe://`) istiod gives the waypoint of `namespace`. */
export function waypointPrincipal(trustDomain: string, namespace: string): string {
  return `${trustDomain}/ns/${namespace}/sa/${WAYPOINT_NAME}`;
}
