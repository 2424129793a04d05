import { RequestAuthenticationSpec, RequestAuthenticationSpecJwtRules } from '../imports/security.istio.io';
import { JwtProviderModel } from '../model/security';
import { MeshSnapshot } from '../model/snapshot';

/**
 * Istio `security.istio.io/v1` RequestAuthentication rendering: a pure
 * function from the snapshot to the generated spec type.
 *
 * The construct emits the result through a plain `ApiObject`, not the
 * generated L1 class: the L1's serializer writes `jwksUri` under its legacy
 * alias `jwks_uri`.
 */

/**
 * `spec` of a RequestAuthentication: one JWT rule, plus the workload selector for a
 * workload-scoped provider, or `targetRefs` to the Services whose waypoint validates the
 * tokens (an ambient service with a waypoint).
 */
export function renderRequestAuthenticationSpec(snapshot: MeshSnapshot, provider: JwtProviderModel): RequestAuthenticationSpec {
  const waypointServices = provider.serviceHost ? snapshot.service(provider.serviceHost)?.waypointServices ?? [] : [];
  if (waypointServices.length > 0) {
    return { targetRefs: waypointServices.map((name) => ({ group: '', kind: 'Service', name })), jwtRules: [renderJwtRule(provider)] };
  }
  return {
    ...(provider.selector ? { selector: { matchLabels: { ...provider.selector } } } : {}),
    jwtRules: [renderJwtRule(provider)],
  };
}

/** The `jwtRules[]` entry of a provider. Optional fields appear only when set (`forwardOriginalToken` only when true). */
export function renderJwtRule(provider: JwtProviderModel): RequestAuthenticationSpecJwtRules {
  return {
    issuer: provider.issuer,
    ...(provider.jwksUri ? { jwksUri: provider.jwksUri } : {}),
    ...(provider.jwks ? { jwks: provider.jwks } : {}),
    ...(provider.audiences ? { audiences: [...provider.audiences] } : {}),
    ...(provider.fromHeaders
      ? { fromHeaders: provider.fromHeaders.map((h) => (h.prefix === undefined ? { name: h.name } : { name: h.name, prefix: h.prefix })) }
      : {}),
    ...(provider.fromParams ? { fromParams: [...provider.fromParams] } : {}),
    ...(provider.forwardOriginalToken ? { forwardOriginalToken: true } : {}),
    ...(provider.outputPayloadToHeader ? { outputPayloadToHeader: provider.outputPayloadToHeader } : {}),
  };
}
