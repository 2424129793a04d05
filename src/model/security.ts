import { Diagnostic, MeshModel, ServiceModel } from './mesh-model';
import { propMessage } from '../private/errors';

/**
 * The security posture of the mesh, as plain data: peer authentication
 * (mTLS) per scope, client TLS the emitted DestinationRules use, identities
 * referenced by authorization rules, JWT providers and where tokens are
 * required. Per-App state lives beside the `MeshModel` (a WeakMap), so the
 * model class itself stays untouched.
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
  /** Construct path of the declaring construct. */
  readonly path: string;
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

interface SecurityState {
  readonly peerAuthentications: PeerAuthenticationModel[];
  readonly clientTls: Map<string, ClientTlsModel>;
  readonly identities: IdentityModel[];
  readonly identityReferences: IdentityReferenceModel[];
  readonly jwtProviders: JwtProviderModel[];
  readonly jwtRequirements: JwtRequirementModel[];
  readonly authorizationPolicies: Map<string, AuthorizationPolicyModel>;
}

const STATES = new WeakMap<MeshModel, SecurityState>();

function stateOf(model: MeshModel): SecurityState {
  let state = STATES.get(model);
  if (!state) {
    state = {
      peerAuthentications: [],
      clientTls: new Map(),
      identities: [],
      identityReferences: [],
      jwtProviders: [],
      jwtRequirements: [],
      authorizationPolicies: new Map(),
    };
    STATES.set(model, state);
  }
  return state;
}

/** Rule codes of the security analysis. */
export const SECURITY_RULES = {
  /** Two PeerAuthentications for the same scope. */
  PEER_AUTHENTICATION_CONFLICT: 'SEC001',
  /** A DestinationRule disables TLS toward a workload that only accepts mTLS. */
  CLIENT_TLS_DISABLED_UNDER_STRICT: 'SEC002',
  /** An authorization rule names an identity that has no ServiceAccount in the graph. */
  UNKNOWN_IDENTITY: 'SEC003',
  /** A service requires a JWT its workloads never validate. */
  JWT_PROVIDER_NOT_APPLIED: 'SEC004',
};

export function addPeerAuthentication(model: MeshModel, pa: PeerAuthenticationModel): void {
  stateOf(model).peerAuthentications.push(pa);
  model.touch();
}

export function peerAuthentications(model: MeshModel): readonly PeerAuthenticationModel[] {
  return stateOf(model).peerAuthentications;
}

/** Records the client TLS mode of the mesh's DestinationRule toward `host` (last one wins). */
export function setClientTls(model: MeshModel, tls: ClientTlsModel): void {
  stateOf(model).clientTls.set(tls.host, tls);
  model.touch();
}

/** Client TLS mode used toward `host`: `ISTIO_MUTUAL` unless something asked otherwise. */
export function clientTlsModeOf(model: MeshModel, host: string): ClientTlsModeName {
  return STATES.get(model)?.clientTls.get(host)?.mode ?? 'ISTIO_MUTUAL';
}

/** Registers a non-service identity (e.g. a gateway's ServiceAccount) so authorization may reference it. */
export function addIdentity(model: MeshModel, identity: IdentityModel): void {
  stateOf(model).identities.push(identity);
  model.touch();
}

export function addIdentityReference(model: MeshModel, ref: IdentityReferenceModel): void {
  stateOf(model).identityReferences.push(ref);
  model.touch();
}

export function addJwtProvider(model: MeshModel, provider: JwtProviderModel): void {
  stateOf(model).jwtProviders.push(provider);
  model.touch();
}

export function addJwtRequirement(model: MeshModel, req: JwtRequirementModel): void {
  stateOf(model).jwtRequirements.push(req);
  model.touch();
}

/** Registers an AuthorizationPolicy under its construct path (rules may be appended later). */
export function addAuthorizationPolicy(model: MeshModel, policy: AuthorizationPolicyModel): void {
  const policies = stateOf(model).authorizationPolicies;
  if (policies.has(policy.path)) throw new Error(`internal: authorization policy ${policy.path} is already registered`);
  policies.set(policy.path, { ...policy, rules: policy.rules ? [...policy.rules] : undefined });
  model.touch();
}

/** Appends rules to the AuthorizationPolicy registered under `path`. */
export function addAuthorizationRules(model: MeshModel, path: string, rules: readonly AuthorizationRuleModel[]): void {
  const policies = stateOf(model).authorizationPolicies;
  const policy = policies.get(path);
  if (!policy) throw new Error(`internal: authorization policy ${path} is not registered`);
  policies.set(path, { ...policy, rules: [...(policy.rules ?? []), ...rules] });
  model.touch();
}

/** Every AuthorizationPolicy of the app, in registration order. */
export function authorizationPoliciesOf(model: MeshModel): readonly AuthorizationPolicyModel[] {
  return [...(STATES.get(model)?.authorizationPolicies.values() ?? [])];
}

/** Every JWT provider (RequestAuthentication) of the app, in registration order. */
export function jwtProvidersOf(model: MeshModel): readonly JwtProviderModel[] {
  return STATES.get(model)?.jwtProviders ?? [];
}

/** Every token requirement (`requireJwt`) of the app, in registration order. */
export function jwtRequirementsOf(model: MeshModel): readonly JwtRequirementModel[] {
  return STATES.get(model)?.jwtRequirements ?? [];
}

/** The non-service identities of the app (gateways), in registration order. */
export function identitiesOf(model: MeshModel): readonly IdentityModel[] {
  return STATES.get(model)?.identities ?? [];
}

/** The AuthorizationPolicy registered under `path`. */
export function authorizationPolicyAt(model: MeshModel, path: string): AuthorizationPolicyModel {
  const policy = STATES.get(model)?.authorizationPolicies.get(path);
  if (!policy) throw new Error(`internal: authorization policy ${path} is not registered`);
  return policy;
}

const IDENTITY_INDEX = new WeakMap<MeshModel, { size: number; byIdentity: Map<string, ServiceModel> }>();

/** The service that runs as `namespace/serviceAccount`, if any (indexed; rebuilt when services are added). */
export function serviceWithIdentity(model: MeshModel, namespace: string, serviceAccount: string): ServiceModel | undefined {
  let index = IDENTITY_INDEX.get(model);
  if (!index || index.size !== model.services.length) {
    const byIdentity = new Map<string, ServiceModel>();
    for (const svc of model.services) {
      const key = `${svc.namespace}/${svc.serviceAccount}`;
      if (!byIdentity.has(key)) byIdentity.set(key, svc);
    }
    index = { size: model.services.length, byIdentity };
    IDENTITY_INDEX.set(model, index);
  }
  const hit = index.byIdentity.get(`${namespace}/${serviceAccount}`);
  // the index holds the registration seen when it was built; return the current one
  return hit ? model.findService(hit.host) : undefined;
}

/** SPIFFE principal as Istio authorization matches it: `<trust-domain>/ns/<namespace>/sa/<serviceAccount>`. */
export function principalOf(model: { readonly trustDomain: string }, namespace: string, serviceAccount: string): string {
  return `${model.trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** Namespace a PeerAuthentication lives in. */
export function namespaceOf(model: MeshModel, pa: { scope: PeerAuthenticationScope; namespace?: string }): string {
  return pa.scope === 'mesh' ? model.rootNamespace : pa.namespace!;
}

function selects(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Scope key: PeerAuthentications with equal keys apply to exactly the same workloads. */
function scopeKey(model: MeshModel, pa: PeerAuthenticationModel): string {
  const ns = namespaceOf(model, pa);
  if (pa.scope === 'workload') {
    const sel = Object.keys(pa.selector ?? {}).sort().map((k) => `${k}=${pa.selector![k]}`).join(',');
    return `workload:${ns}:${sel}`;
  }
  // a namespace-wide policy in the root namespace is the mesh-wide policy
  return ns === model.rootNamespace ? 'mesh' : `namespace:${ns}`;
}

function describeScope(model: MeshModel, pa: PeerAuthenticationModel): string {
  const key = scopeKey(model, pa);
  if (key === 'mesh') return `the whole mesh (root namespace ${JSON.stringify(model.rootNamespace)})`;
  if (pa.scope === 'namespace') return `namespace ${JSON.stringify(pa.namespace)}`;
  return `workloads ${JSON.stringify(pa.selector)} in namespace ${JSON.stringify(pa.namespace)}`;
}

export interface EffectiveMtls {
  readonly mode: MtlsModeName;
  /** The policy that decides, or undefined when Istio's default (PERMISSIVE) applies. */
  readonly source?: PeerAuthenticationModel;
}

/**
 * The mTLS mode a service's workloads accept, following Istio's precedence:
 * workload selector, then namespace, then mesh root namespace; PERMISSIVE
 * when no policy applies.
 */
export function effectiveMtlsOf(model: MeshModel, service: ServiceModel): EffectiveMtls {
  const all = STATES.get(model)?.peerAuthentications ?? [];
  const podLabels = service.versions.length > 0 ? service.versions.map((v) => v.podLabels) : [service.selector];
  const workload = all.find((pa) => pa.scope === 'workload' && pa.namespace === service.namespace
    && podLabels.every((labels) => selects(pa.selector, labels)));
  if (workload) return { mode: workload.mode, source: workload };
  const ns = all.find((pa) => pa.scope !== 'workload' && namespaceOf(model, pa) === service.namespace);
  if (ns) return { mode: ns.mode, source: ns };
  const mesh = all.find((pa) => pa.scope !== 'workload' && namespaceOf(model, pa) === model.rootNamespace);
  if (mesh) return { mode: mesh.mode, source: mesh };
  return { mode: 'PERMISSIVE' };
}

/** Registers the security rules (`SECnnn`); called once per model by the rule catalog (`analysis/rules`). */
export function registerSecurityRules(model: MeshModel): void {
  model.addRule(SECURITY_RULES.PEER_AUTHENTICATION_CONFLICT, (m) => {
    const out: Diagnostic[] = [];
    const seen = new Map<string, PeerAuthenticationModel>();
    for (const pa of stateOf(m).peerAuthentications) {
      const key = scopeKey(m, pa);
      const first = seen.get(key);
      if (!first) {
        seen.set(key, pa);
        continue;
      }
      const differs = first.mode !== pa.mode ? `with a different mode (${first.mode} vs ${pa.mode})` : 'as well';
      out.push({
        code: SECURITY_RULES.PEER_AUTHENTICATION_CONFLICT,
        severity: 'error',
        path: pa.path,
        message: propMessage('scope', `must be unique: ${first.path} already sets mTLS for ${describeScope(m, pa)} ${differs}; Istio would apply only the oldest`,
          pa.mode, 'keep one StrictMtls per scope (use portLevelMtls for per-port exceptions, or narrow this one to a service)'),
      });
    }
    return out;
  });

  model.addRule(SECURITY_RULES.CLIENT_TLS_DISABLED_UNDER_STRICT, (m) => {
    const out: Diagnostic[] = [];
    for (const tls of stateOf(m).clientTls.values()) {
      if (tls.mode !== 'DISABLE') continue;
      const service = m.findService(tls.host);
      if (!service) continue;
      const eff = effectiveMtlsOf(m, service);
      if (eff.mode !== 'STRICT') continue;
      out.push({
        code: SECURITY_RULES.CLIENT_TLS_DISABLED_UNDER_STRICT,
        severity: 'error',
        path: tls.path,
        message: propMessage('clientTlsMode', `must not disable TLS toward ${tls.host}: its workloads only accept mTLS (STRICT, set by ${eff.source!.path}), so every request would be reset`,
          tls.mode, 'remove clientTlsMode (ISTIO_MUTUAL), or opt the workload into permissiveMigration first'),
      });
    }
    return out;
  });

  model.addRule(SECURITY_RULES.UNKNOWN_IDENTITY, (m) => {
    const out: Diagnostic[] = [];
    const state = stateOf(m);
    for (const ref of state.identityReferences) {
      const known = serviceWithIdentity(m, ref.namespace, ref.serviceAccount)
        ?? state.identities.find((i) => i.namespace === ref.namespace && i.serviceAccount === ref.serviceAccount);
      if (known) continue;
      out.push({
        code: SECURITY_RULES.UNKNOWN_IDENTITY,
        severity: 'error',
        path: ref.path,
        message: propMessage(ref.prop, `must reference an identity with a ServiceAccount in the mesh graph, but no service or gateway runs as ${ref.namespace}/${ref.serviceAccount} (${ref.identityPath})`,
          `${ref.namespace}/${ref.serviceAccount}`, 'pass a MeshService or gateway of this app, or AuthzSource.serviceAccount(namespace, name) for a workload managed elsewhere'),
      });
    }
    return out;
  });

  model.addRule(SECURITY_RULES.JWT_PROVIDER_NOT_APPLIED, (m) => {
    const out: Diagnostic[] = [];
    const state = stateOf(m);
    for (const req of state.jwtRequirements) {
      const provider = state.jwtProviders.find((p) => p.path === req.providerPath);
      const service = m.findService(req.serviceHost);
      if (!provider || !service) continue;
      const ns = namespaceOf(m, provider);
      const applies = provider.scope === 'workload'
        ? ns === service.namespace && service.versions.every((v) => selects(provider.selector, v.podLabels))
        : ns === service.namespace || ns === m.rootNamespace;
      if (applies) continue;
      out.push({
        code: SECURITY_RULES.JWT_PROVIDER_NOT_APPLIED,
        severity: 'error',
        path: req.path,
        message: propMessage('requireJwt', `must use a JwtAuthentication that applies to ${service.host}, but ${provider.path} validates tokens only for ${provider.scope === 'workload' ? `workloads ${JSON.stringify(provider.selector)} in` : 'namespace'} ${JSON.stringify(ns)}, so every request would be denied`,
          provider.issuer, 'declare the JwtAuthentication for this service or its namespace'),
      });
    }
    return out;
  });
}
