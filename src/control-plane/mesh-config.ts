/**
 * Typed pieces of Istio's mesh config (the `istio` ConfigMap istiod reads).
 *
 * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/
 */

/**
 * Format of Envoy access logs written to `accessLogFile`.
 *
 * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-AccessLogEncoding
 */
export enum AccessLogEncoding {
  /** Plain text, one line per request. */
  TEXT = 'TEXT',
  /** One JSON object per request. */
  JSON = 'JSON',
}

/**
 * What sidecars do with traffic to hosts the mesh does not know.
 *
 * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-OutboundTrafficPolicy-Mode
 */
export enum OutboundTrafficPolicyMode {
  /** Only hosts in the service registry (Kubernetes Services, ServiceEntries) are reachable. */
  REGISTRY_ONLY = 'REGISTRY_ONLY',
  /** Unknown hosts are passed through without mesh features. */
  ALLOW_ANY = 'ALLOW_ANY',
}
