/**
 * The Kubernetes Gateway API release cdk8s-mesh renders and installs: the one
 * Istio 1.30.3 is built against (`sigs.k8s.io/gateway-api` in its go.mod).
 * The generated L1 classes (`src/imports/gateway.networking.k8s.io.ts`,
 * scripts/import-gateway-api.ts), the standard-channel CRDs shipped in the
 * package (`assets/gateway-api/`, scripts/copy-gateway-api-crds.js) and the
 * schemas the tests validate against all come from this release.
 */

/** Gateway API release (tag of kubernetes-sigs/gateway-api). */
export const GATEWAY_API_VERSION = 'v1.5.1';
/** Release channel whose CRDs are rendered and installed. */
export const GATEWAY_API_CHANNEL = 'standard';
