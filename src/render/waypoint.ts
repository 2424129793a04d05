import { GatewaySpec } from '../imports/gateway.networking.k8s.io';

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
 */
export function renderWaypointSpec(): GatewaySpec {
  return { gatewayClassName: WAYPOINT_CLASS, listeners: [{ name: 'mesh', port: HBONE_PORT, protocol: 'HBONE' }] };
}
