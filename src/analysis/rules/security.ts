import { Diagnostic, selects } from '../../model/core';
import { AuthorizationPolicyModel, PeerAuthenticationModel, principalOf } from '../../model/security';
import { MeshSnapshot } from '../../model/snapshot';
import { propMessage } from '../../private/errors';
import { finding, RuleSet } from '../rule';

/** Rules over mTLS, authentication and authorization (`SECnnn`). */

type ResolvedPeerAuthentication = MeshSnapshot['security']['peerAuthentications'][number];

/** Scope key: PeerAuthentications with equal keys apply to exactly the same workloads. */
function scopeKey(s: MeshSnapshot, pa: ResolvedPeerAuthentication): string {
  const ns = pa.resolvedNamespace;
  if (pa.scope === 'workload') {
    const sel = Object.keys(pa.selector ?? {}).sort().map((k) => `${k}=${pa.selector![k]}`).join(',');
    return `workload:${ns}:${sel}`;
  }
  // a namespace-wide policy in the root namespace is the mesh-wide policy
  return ns === s.mesh.rootNamespace ? 'mesh' : `namespace:${ns}`;
}

function describeScope(s: MeshSnapshot, pa: ResolvedPeerAuthentication): string {
  if (scopeKey(s, pa) === 'mesh') return `the whole mesh (root namespace ${JSON.stringify(s.mesh.rootNamespace)})`;
  if (pa.scope === 'namespace') return `namespace ${JSON.stringify(pa.namespace)}`;
  return `workloads ${JSON.stringify(pa.selector)} in namespace ${JSON.stringify(pa.namespace)}`;
}

function peerAuthenticationConflicts(s: MeshSnapshot): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Map<string, PeerAuthenticationModel>();
  for (const pa of s.security.peerAuthentications) {
    const key = scopeKey(s, pa);
    const first = seen.get(key);
    if (!first) {
      seen.set(key, pa);
      continue;
    }
    const differs = first.mode !== pa.mode ? `with a different mode (${first.mode} vs ${pa.mode})` : 'as well';
    out.push(finding(SECURITY_RULES.PEER_AUTHENTICATION_CONFLICT, pa.path,
      propMessage('scope', `must be unique: ${first.path} already sets mTLS for ${describeScope(s, pa)} ${differs}; Istio would apply only the oldest`,
        pa.mode, 'keep one StrictMtls per scope (use portLevelMtls for per-port exceptions, or narrow this one to a service)')));
  }
  return out;
}

function clientTlsDisabledUnderStrict(s: MeshSnapshot): Diagnostic[] {
  return s.security.clientTls.flatMap((tls) => {
    const service = s.service(tls.host);
    if (tls.mode !== 'DISABLE' || !service || service.mtls.mode !== 'STRICT') return [];
    return [finding(SECURITY_RULES.CLIENT_TLS_DISABLED_UNDER_STRICT, tls.path,
      propMessage('clientTlsMode', `must not disable TLS toward ${tls.host}: its workloads only accept mTLS (STRICT, set by ${service.mtls.source!.path}), so every request would be reset`,
        tls.mode, 'remove clientTlsMode (ISTIO_MUTUAL), or opt the workload into permissiveMigration first'))];
  });
}

function unknownIdentities(s: MeshSnapshot): Diagnostic[] {
  return s.security.identityReferences.flatMap((ref) => {
    const known = s.serviceWithIdentity(ref.namespace, ref.serviceAccount)
      ?? s.security.identities.find((i) => i.namespace === ref.namespace && i.serviceAccount === ref.serviceAccount);
    if (known) return [];
    return [finding(SECURITY_RULES.UNKNOWN_IDENTITY, ref.path,
      propMessage(ref.prop, `must reference an identity with a ServiceAccount in the mesh graph, but no service or gateway runs as ${ref.namespace}/${ref.serviceAccount} (${ref.identityPath})`,
        `${ref.namespace}/${ref.serviceAccount}`, 'pass a MeshService or gateway of this app, or AuthzSource.serviceAccount(namespace, name) for a workload managed elsewhere'))];
  });
}

function jwtProvidersNotApplied(s: MeshSnapshot): Diagnostic[] {
  return s.security.jwtRequirements.flatMap((req) => {
    const provider = s.security.jwtProviders.find((p) => p.path === req.providerPath);
    const service = s.service(req.serviceHost);
    if (!provider || !service) return [];
    const ns = provider.resolvedNamespace;
    const applies = provider.scope === 'workload'
      ? ns === service.namespace && service.versions.every((v) => selects(provider.selector, v.podLabels))
      : ns === service.namespace || ns === s.mesh.rootNamespace;
    if (applies) return [];
    return [finding(SECURITY_RULES.JWT_PROVIDER_NOT_APPLIED, req.path,
      propMessage('requireJwt', `must use a JwtAuthentication that applies to ${service.host}, but ${provider.path} validates tokens only for ${provider.scope === 'workload' ? `workloads ${JSON.stringify(provider.selector)} in` : 'namespace'} ${JSON.stringify(ns)}, so every request would be denied`,
        provider.issuer, 'declare the JwtAuthentication for this service or its namespace'))];
  });
}

function noMtlsPolicy(s: MeshSnapshot): Diagnostic[] {
  if (s.services.length === 0 || s.security.peerAuthentications.length > 0) return [];
  return [finding(SECURITY_RULES.NO_MTLS_POLICY, '',
    propMessage('StrictMtls', `is declared nowhere in this app, so the ${s.services.length} service(s) accept plaintext from any pod (Istio's default is PERMISSIVE)`,
      'none', 'add new StrictMtls(chart, \'mtls\', { scope: MtlsScope.mesh() }) (or per namespace) so only mesh identities can call the services'))];
}

function portMtlsDisabled(s: MeshSnapshot): Diagnostic[] {
  return s.security.peerAuthentications.flatMap((pa) => pa.portLevel.filter((p) => p.mode === 'DISABLE').map((p) =>
    finding(SECURITY_RULES.PORT_MTLS_DISABLED, pa.path,
      propMessage(`portLevelMtls[${p.port}]`, `disables mTLS on port ${p.port}: it accepts plaintext only, from any pod, without an identity (authorization by principal cannot match there)`,
        'DISABLE', 'use PERMISSIVE for a port scraped from outside the mesh, or keep it STRICT'))));
}

/** The construct that declared a policy: the parent of its object. */
function declaringPath(policy: AuthorizationPolicyModel): string {
  return policy.path.slice(0, policy.path.lastIndexOf('/'));
}

const isDenyAll = (p: AuthorizationPolicyModel) => p.action === undefined && p.rules === undefined;
const isAllow = (p: AuthorizationPolicyModel) => !isDenyAll(p) && (p.action ?? 'ALLOW') === 'ALLOW';

function denyWithoutAllow(s: MeshSnapshot): Diagnostic[] {
  const policies = s.security.authorizationPolicies;
  return policies.filter(isDenyAll).flatMap((deny) => {
    if (policies.some((p) => isAllow(p) && p.namespace === deny.namespace && (p.rules ?? []).length > 0)) return [];
    return [finding(SECURITY_RULES.DENY_WITHOUT_ALLOW, declaringPath(deny),
      propMessage('namespace', 'has a deny-by-default policy but no ALLOW rule in this app, so every request to its workloads is denied (403 RBAC: access denied)',
        deny.namespace, 'declare who may call each service (dependsOn / allowFrom), or remove the DefaultDeny'))];
  });
}

/** True when an ALLOW policy has a rule admitting `principal` (or its namespace). */
function admits(s: MeshSnapshot, policy: AuthorizationPolicyModel, principal: string, namespace: string): boolean {
  return (policy.rules ?? []).some((rule) => !rule.from || rule.from.some((f) => {
    const identities = (f.identities ?? []).map((id) => principalOf(s.mesh.trustDomain, id.namespace, id.serviceAccount));
    const principals = [...identities, ...(f.principals ?? [])];
    return principals.some((x) => x === principal || x === '*') || (f.namespaces ?? []).includes(namespace);
  }));
}

function gatewayDenied(s: MeshSnapshot): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const g of s.gateways) {
    if (!g.identity || g.routes.length === 0) continue;
    const principal = principalOf(s.mesh.trustDomain, g.identity.namespace, g.identity.serviceAccount);
    for (const r of g.routes) {
      const service = s.service(r.serviceHost);
      if (!service) continue;
      const relevant = s.security.authorizationPolicies.filter((p) => p.namespace === service.namespace
        && (!p.selector || Object.entries(p.selector).every(([k, v]) => service.selector[k] === v)));
      const allows = relevant.filter(isAllow);
      if (!relevant.some(isDenyAll) && allows.length === 0) continue; // no ALLOW policy: everything is allowed
      if (allows.some((p) => admits(s, p, principal, g.identity!.namespace))) continue;
      out.push(finding(SECURITY_RULES.GATEWAY_DENIED, g.path,
        propMessage(`routes[${r.index}].service`, `routes ${r.host} to ${service.name}, whose authorization admits no request from this gateway (${principal}), so every routed request is denied with 403`,
          service.name, `allow the gateway on the service: ${service.name}.allowFrom(<this gateway>)`)));
    }
  }
  return out;
}

export const SECURITY_RULES: RuleSet<'PEER_AUTHENTICATION_CONFLICT' | 'CLIENT_TLS_DISABLED_UNDER_STRICT' | 'UNKNOWN_IDENTITY' | 'JWT_PROVIDER_NOT_APPLIED'
| 'NO_MTLS_POLICY' | 'PORT_MTLS_DISABLED' | 'DENY_WITHOUT_ALLOW' | 'GATEWAY_DENIED'> = {
  PEER_AUTHENTICATION_CONFLICT: {
    code: 'SEC001',
    severity: 'error',
    reportedOn: 'the `StrictMtls`',
    summary: 'Two PeerAuthentications for the same scope (mesh, namespace or the same workloads): Istio applies only the oldest, so the mode in effect is not the declared one.',
    fix: 'One policy per scope; use `portLevelMtls` or a service scope for exceptions.',
    check: peerAuthenticationConflicts,
  },
  CLIENT_TLS_DISABLED_UNDER_STRICT: {
    code: 'SEC002',
    severity: 'error',
    reportedOn: 'the `MeshService`',
    summary: '`clientTlsMode: DISABLE` toward a service whose workloads are under STRICT mTLS: every request would be reset.',
    fix: 'Keep `ISTIO_MUTUAL`, or opt the workload into `permissiveMigration` first.',
    check: clientTlsDisabledUnderStrict,
  },
  UNKNOWN_IDENTITY: {
    code: 'SEC003',
    severity: 'error',
    reportedOn: 'the service\'s authorization',
    summary: 'An authorization rule references an identity (ServiceAccount) that no service or gateway of the graph runs as.',
    fix: 'Pass a `MeshService` or gateway of this app, or `AuthzSource.serviceAccount()` for a workload managed elsewhere.',
    check: unknownIdentities,
  },
  JWT_PROVIDER_NOT_APPLIED: {
    code: 'SEC004',
    severity: 'error',
    reportedOn: 'the service\'s authorization',
    summary: '`requireJwt` with a `JwtAuthentication` (RequestAuthentication) that does not apply to the service\'s workloads: every request would be denied.',
    fix: 'Declare the JwtAuthentication for this service or its namespace.',
    check: jwtProvidersNotApplied,
  },
  NO_MTLS_POLICY: {
    code: 'SEC005',
    severity: 'warning',
    reportedOn: 'the app root',
    summary: 'The app declares services but no `StrictMtls` anywhere: Istio\'s default (PERMISSIVE) lets any pod call them in plaintext.',
    fix: 'Add a mesh- or namespace-wide `StrictMtls`.',
    check: noMtlsPolicy,
  },
  PORT_MTLS_DISABLED: {
    code: 'SEC006',
    severity: 'warning',
    reportedOn: 'the `StrictMtls`',
    summary: 'A port-level `DISABLE` exception: that port accepts plaintext only, without identities.',
    fix: 'Use PERMISSIVE for a port scraped from outside, or keep STRICT.',
    check: portMtlsDisabled,
  },
  DENY_WITHOUT_ALLOW: {
    code: 'SEC007',
    severity: 'warning',
    reportedOn: 'the `DefaultDeny`',
    summary: 'Deny-by-default in a namespace with no ALLOW rule in the app: every request is denied.',
    fix: 'Declare callers (`dependsOn` / `allowFrom`), or remove the DefaultDeny.',
    check: denyWithoutAllow,
  },
  GATEWAY_DENIED: {
    code: 'SEC008',
    severity: 'error',
    reportedOn: 'the `IngressGateway`',
    summary: 'A gateway routes to a service whose authorization (ALLOW rules or DefaultDeny) admits nothing from the gateway\'s identity: every routed request gets 403.',
    fix: '`service.allowFrom(gateway)`.',
    check: gatewayDenied,
  },
};
