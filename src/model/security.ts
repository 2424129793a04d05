/**
 * The security posture of the mesh, as plain data: peer authentication
 * (mTLS) per scope, client TLS the emitted DestinationRules use, identities
 * referenced by authorization rules, JWT providers and where tokens are
 * required.
 */

/** Server-side mTLS modes, in Istio's PeerAuthentication terms. */
export type MtlsModeName = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

/** Client-side TLS modes a DestinationRule can use toward a service. */
export type ClientTlsModeName = 'ISTIO_MUTUAL' | 'DISABLE';

/** Where a PeerAuthentication applies. */
export type PeerAuthenticationScope = 'mesh' | 'namespace' | 'workload';

/** One PeerAuthentication. */
export interface PeerAuthenticationModel {
  /** Construct path of the declaring construct. */
  readonly path: string;
  readonly scope: PeerAuthenticationScope;
  /** Namespace for `namespace` and `workload` scope; the mesh root namespace is used for `mesh`. */
  readonly namespace?: string;
  /** Workload selector (workload scope only). */
  readonly selector?: Readonly<Record<string, string>>;
  readonly mode: MtlsModeName;
  /** Port-level overrides, keyed by workload (container) port. */
  readonly portLevel: readonly { readonly port: number; readonly mode: MtlsModeName }[];
}

/** Client TLS that the mesh's own DestinationRule for `host` uses. */
export interface ClientTlsModel {
  readonly path: string;
  readonly host: string;
  readonly mode: ClientTlsModeName;
}

/** An identity (ServiceAccount) that exists in the graph but is not a service (e.g. a gateway). */
export interface IdentityModel {
  readonly path: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** An authorization rule naming an in-mesh identity as its source. */
export interface IdentityReferenceModel {
  /** Construct path the finding is reported on (the callee's authorization). */
  readonly path: string;
  /** The method / prop that referenced the identity, e.g. `allowFrom`. */
  readonly prop: string;
  /** Construct path of the referenced identity. */
  readonly identityPath: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** Where a token is read from: a request header, with an optional value prefix. */
export interface JwtHeaderModel {
  readonly name: string;
  readonly prefix?: string;
}

/** A RequestAuthentication (JWT provider). */
export interface JwtProviderModel {
  readonly path: string;
  /** Host of the service it validates tokens for (its waypoint does in ambient mode); undefined for namespace and mesh scope. */
  readonly serviceHost?: string;
  readonly issuer: string;
  readonly scope: PeerAuthenticationScope;
  readonly namespace?: string;
  readonly selector?: Readonly<Record<string, string>>;
  /** HTTPS URL of the key set (exclusive with `jwks`). */
  readonly jwksUri?: string;
  /** Inline key set (exclusive with `jwksUri`). */
  readonly jwks?: string;
  /** Accepted `aud` values; undefined: not checked. */
  readonly audiences?: readonly string[];
  /** Headers the token is read from; undefined: Istio's default. */
  readonly fromHeaders?: readonly JwtHeaderModel[];
  /** Query parameters the token is read from; undefined: Istio's default. */
  readonly fromParams?: readonly string[];
  /** Keep the token on the request after validation. */
  readonly forwardOriginalToken?: boolean;
  /** Header the validated payload is written to. */
  readonly outputPayloadToHeader?: string;
}

/** A service requires a valid token of a provider. */
export interface JwtRequirementModel {
  /** Construct path the finding is reported on. */
  readonly path: string;
  readonly providerPath: string;
  readonly serviceHost: string;
}

/** What an AuthorizationPolicy does when a rule matches. */
export type AuthorizationActionName = 'ALLOW' | 'DENY' | 'CUSTOM';

/** A workload identity (ServiceAccount); rendered as a principal with the mesh's trust domain. */
export interface IdentityRefModel {
  readonly namespace: string;
  readonly serviceAccount: string;
}

/**
 * Who a request comes from (one `from[].source`). All given fields must
 * match; within one field any entry matches.
 */
export interface AuthorizationSourceModel {
  /** In-mesh identities, rendered as `<trust-domain>/ns/<namespace>/sa/<serviceAccount>` principals. */
  readonly identities?: readonly IdentityRefModel[];
  /** Raw peer principals (without `spiffe://`), rendered after the identities. */
  readonly principals?: readonly string[];
  /** Peer namespaces. */
  readonly namespaces?: readonly string[];
  /** Request principals (`<issuer>/<subject>`) the request must NOT carry. */
  readonly notRequestPrincipals?: readonly string[];
}

/** The operation a rule is restricted to (`to[].operation`); omitted fields do not restrict. */
export interface AuthorizationOperationModel {
  readonly methods?: readonly string[];
  readonly paths?: readonly string[];
  /** Workload (container) ports, as Istio matches them (strings). */
  readonly ports?: readonly string[];
}

/** A condition on a request attribute (`when[]`). */
export interface AuthorizationConditionModel {
  /** Attribute, e.g. `request.auth.claims[scope]`. */
  readonly key: string;
  readonly values?: readonly string[];
  readonly notValues?: readonly string[];
}

/** One rule of an AuthorizationPolicy. */
export interface AuthorizationRuleModel {
  /** Sources, one `from[]` entry each (one of them must match); undefined: every source. */
  readonly from?: readonly AuthorizationSourceModel[];
  /** Operation; undefined: every operation. */
  readonly operation?: AuthorizationOperationModel;
  /** Conditions (all must hold); undefined: none. */
  readonly when?: readonly AuthorizationConditionModel[];
}

/**
 * One AuthorizationPolicy. Without `action` and `rules` it is Istio's
 * "allow nothing" policy (an empty spec).
 */
export interface AuthorizationPolicyModel {
  /** Construct path of the policy object. */
  readonly path: string;
  /** Host of the service whose authorization it is (its waypoint enforces it in ambient mode); undefined for namespace-wide policies. */
  readonly serviceHost?: string;
  readonly name: string;
  readonly namespace: string;
  /** Workload selector; undefined: every workload of the namespace. */
  readonly selector?: Readonly<Record<string, string>>;
  readonly action?: AuthorizationActionName;
  /** Extension provider name (CUSTOM only). */
  readonly provider?: string;
  /** Rules, in the order they were added (appended with `addAuthorizationRules`). */
  readonly rules?: readonly AuthorizationRuleModel[];
}

/** SPIFFE principal as Istio authorization matches it: `<trust-domain>/ns/<namespace>/sa/<serviceAccount>`. */
export function principalOf(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** Namespace a PeerAuthentication or RequestAuthentication lives in: the mesh root namespace for mesh scope. */
export function policyNamespace(rootNamespace: string, policy: { readonly scope: PeerAuthenticationScope; readonly namespace?: string }): string {
  return policy.scope === 'mesh' ? rootNamespace : policy.namespace!;
}

/** The mTLS mode a service's workloads accept, and the policy that decides it. */
export interface EffectiveMtls {
  readonly mode: MtlsModeName;
  /** The policy that decides, or undefined when Istio's default (PERMISSIVE) applies. */
  readonly source?: PeerAuthenticationModel;
}
