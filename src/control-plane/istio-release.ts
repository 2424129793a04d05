/**
 * The one Istio release cdk8s-mesh is pinned to: the default image tag, the
 * CRDs shipped in the package (`assets/istio/crd-all.gen.yaml`, copied from
 * `../shared/istio/<ISTIO_VERSION>/` by scripts/copy-istio-crds.js), the
 * generated L1 classes in `src/imports/` (scripts/import-istio.ts) and the
 * schemas the tests validate against all come from this release. Change it
 * here only; the scripts read it from this file.
 */

/** Istio release this version of cdk8s-mesh is built and tested against. */
export const ISTIO_VERSION = '1.30.3';
/** Default image registry of the Istio images (`pilot`, `proxyv2`). */
export const ISTIO_DEFAULT_HUB = 'docker.io/istio';
