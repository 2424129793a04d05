import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Diagnostic, MeshModel } from '../../model';
import { externalServicesOf, gatewaysOf } from '../../model/gateways';
import { peerAuthentications, principalOf } from '../../model/security';
import { propMessage } from '../../private/errors';
import { egressHosts } from '../../render/sidecar';

/**
 * Risky choices that synthesize valid objects but leave the mesh insecure or
 * broken at run time. Each is a coded finding (a warning, or an error where
 * the result cannot work), listed in `docs/analysis-rules.md`.
 */
export const RISK_RULES = {
  /** The app declares services but no PeerAuthentication at all. */
  NO_MTLS_POLICY: 'SEC005',
  /** A port-level mTLS DISABLE exception. */
  PORT_MTLS_DISABLED: 'SEC006',
  /** A DefaultDeny whose namespace has no ALLOW rule. */
  DENY_WITHOUT_ALLOW: 'SEC007',
  /** A gateway routes to a service whose authorization denies the gateway. */
  GATEWAY_DENIED: 'SEC008',
  /** An ExternalService host is a service inside the mesh. */
  EXTERNAL_HOST_IN_MESH: 'MESH006',
  /** A MeshService in a namespace whose sidecar injection is disabled. */
  INJECTION_DISABLED: 'MESH007',
  /** A mutable (`latest`) or untagged image. */
  MUTABLE_IMAGE: 'MESH008',
  /** A service whose Sidecar reaches only the control plane. */
  EGRESS_ONLY_CONTROL_PLANE: 'MESH009',
  /** A second traffic policy call replaced the first. */
  TRAFFIC_POLICY_REPLACED: 'TRAFFIC006',
} as const;

/** An image reference a construct declared, checked by MESH008. */
interface ImageUse {
  readonly path: string;
  readonly prop: string;
  readonly image: string;
}

/** A configuration call that replaced an earlier one, reported by TRAFFIC006. */
interface Replacement {
  readonly path: string;
  readonly prop: string;
  readonly what: string;
}

interface RiskState {
  readonly images: ImageUse[];
  readonly replacements: Replacement[];
}

const STATES = new WeakMap<MeshModel, RiskState>();

function stateOf(model: MeshModel): RiskState {
  let s = STATES.get(model);
  if (!s) STATES.set(model, (s = { images: [], replacements: [] }));
  return s;
}

/** Records an image reference for MESH008. */
export function recordImage(scope: IConstruct, prop: string, image: string): void {
  const model = MeshModel.of(scope);
  stateOf(model).images.push({ path: scope.node.path, prop, image });
  model.touch();
}

/** Records that a configuration call replaced an earlier one (TRAFFIC006). */
export function recordReplacement(scope: IConstruct, prop: string, what: string): void {
  const model = MeshModel.of(scope);
  stateOf(model).replacements.push({ path: scope.node.path, prop, what });
  model.touch();
}

function finding(code: string, severity: 'error' | 'warning', path: string, message: string): Diagnostic {
  return { code, severity, path, message };
}

/** Registers the risk rules on the model of the app rooted at `root`. */
export function registerRiskRules(root: IConstruct, model: MeshModel): void {
  model.addRule(RISK_RULES.NO_MTLS_POLICY, noMtlsPolicy);
  model.addRule(RISK_RULES.PORT_MTLS_DISABLED, portMtlsDisabled);
  model.addRule(RISK_RULES.DENY_WITHOUT_ALLOW, () => denyWithoutAllow(root));
  model.addRule(RISK_RULES.GATEWAY_DENIED, (m) => gatewayDenied(root, m));
  model.addRule(RISK_RULES.EXTERNAL_HOST_IN_MESH, externalHostInMesh);
  model.addRule(RISK_RULES.INJECTION_DISABLED, injectionDisabled);
  model.addRule(RISK_RULES.MUTABLE_IMAGE, mutableImages);
  model.addRule(RISK_RULES.EGRESS_ONLY_CONTROL_PLANE, egressOnlyControlPlane);
  model.addRule(RISK_RULES.TRAFFIC_POLICY_REPLACED, (m) => stateOf(m).replacements.map((r) => finding(RISK_RULES.TRAFFIC_POLICY_REPLACED, 'warning', r.path,
    propMessage(r.prop, `was set twice: the second call replaced ${r.what} of the first entirely (the settings are not merged)`, 'a second call',
      'set the policy once with every setting (loadBalancer, connectionPool, outlierDetection together)'))));
}

function noMtlsPolicy(model: MeshModel): Diagnostic[] {
  if (model.services.length === 0 || peerAuthentications(model).length > 0) return [];
  return [finding(RISK_RULES.NO_MTLS_POLICY, 'warning', '',
    propMessage('StrictMtls', `is declared nowhere in this app, so the ${model.services.length} service(s) accept plaintext from any pod (Istio's default is PERMISSIVE)`,
      'none', 'add new StrictMtls(chart, \'mtls\', { scope: MtlsScope.mesh() }) (or per namespace) so only mesh identities can call the services'))];
}

function portMtlsDisabled(model: MeshModel): Diagnostic[] {
  return peerAuthentications(model).flatMap((pa) => pa.portLevel.filter((p) => p.mode === 'DISABLE').map((p) =>
    finding(RISK_RULES.PORT_MTLS_DISABLED, 'warning', pa.path,
      propMessage(`portLevelMtls[${p.port}]`, `disables mTLS on port ${p.port}: it accepts plaintext only, from any pod, without an identity (authorization by principal cannot match there)`,
        'DISABLE', 'use PERMISSIVE for a port scraped from outside the mesh, or keep it STRICT'))));
}

/** The fields of a rendered AuthorizationPolicy (its manifest JSON) the rules below read. */
interface RenderedPolicy {
  readonly metadata?: { readonly namespace?: string };
  readonly spec?: {
    readonly action?: string;
    readonly selector?: { readonly matchLabels?: Readonly<Record<string, string>> };
    readonly rules?: readonly {
      readonly from?: readonly { readonly source?: { readonly principals?: readonly string[]; readonly namespaces?: readonly string[] } }[];
    }[];
  };
}

/** The rendered AuthorizationPolicies of the app, with the construct that declared each. */
function authorizationPolicies(root: IConstruct): { path: string; obj: RenderedPolicy }[] {
  return root.node.findAll()
    .filter((c): c is ApiObject => ApiObject.isApiObject(c) && c.kind === 'AuthorizationPolicy' && c.apiVersion.startsWith('security.istio.io/'))
    .map((c) => {
      const obj: RenderedPolicy = c.toJson();
      return { path: (c.node.scope ?? c).node.path, obj };
    });
}

const isDenyAll = (obj: RenderedPolicy) => !obj.spec || (Object.keys(obj.spec).length === 0);
const isAllow = (obj: RenderedPolicy) => !isDenyAll(obj) && (obj.spec?.action ?? 'ALLOW') === 'ALLOW';

/** A construct with a mesh identity (a gateway's ServiceAccount), seen from below the services layer. */
interface WithIdentity {
  readonly identityNamespace: string;
  readonly identityServiceAccount: string;
}

function identityOf(c: IConstruct | undefined): WithIdentity | undefined {
  if (!c) return undefined;
  const { identityNamespace, identityServiceAccount } = c as Partial<Record<keyof WithIdentity, unknown>>;
  return typeof identityNamespace === 'string' && identityNamespace && typeof identityServiceAccount === 'string'
    ? { identityNamespace, identityServiceAccount }
    : undefined;
}

function denyWithoutAllow(root: IConstruct): Diagnostic[] {
  const policies = authorizationPolicies(root);
  const out: Diagnostic[] = [];
  for (const deny of policies.filter((p) => isDenyAll(p.obj))) {
    const ns = deny.obj.metadata?.namespace;
    if (policies.some((p) => isAllow(p.obj) && p.obj.metadata?.namespace === ns && (p.obj.spec?.rules ?? []).length > 0)) continue;
    out.push(finding(RISK_RULES.DENY_WITHOUT_ALLOW, 'warning', deny.path,
      propMessage('namespace', 'has a deny-by-default policy but no ALLOW rule in this app, so every request to its workloads is denied (403 RBAC: access denied)',
        ns, 'declare who may call each service (dependsOn / allowFrom), or remove the DefaultDeny')));
  }
  return out;
}

function gatewayDenied(root: IConstruct, model: MeshModel): Diagnostic[] {
  const gateways = gatewaysOf(model).filter((g) => g.routes.length > 0);
  if (gateways.length === 0) return [];
  const policies = authorizationPolicies(root);
  const byPath = new Map(root.node.findAll().map((c) => [c.node.path, c]));
  const out: Diagnostic[] = [];
  for (const g of gateways) {
    const identity = identityOf(byPath.get(g.path));
    if (!identity) continue;
    const principal = principalOf(model.controlPlane, identity.identityNamespace, identity.identityServiceAccount);
    for (const r of g.routes) {
      const service = model.findService(r.serviceHost);
      if (!service) continue;
      const applies = (p: RenderedPolicy) => p.metadata?.namespace === service.namespace
        && (!p.spec?.selector || Object.entries(p.spec.selector.matchLabels ?? {}).every(([k, v]) => service.selector[k] === v));
      const relevant = policies.filter((p) => applies(p.obj));
      const denyAll = relevant.some((p) => isDenyAll(p.obj));
      const allows = relevant.filter((p) => isAllow(p.obj));
      if (!denyAll && allows.length === 0) continue; // no ALLOW policy: everything is allowed
      const admitted = allows.some((p) => (p.obj.spec?.rules ?? []).some((rule) => !rule.from || rule.from.some((f) =>
        (f.source?.principals ?? []).some((x: string) => x === principal || x === '*')
        || (f.source?.namespaces ?? []).includes(identity.identityNamespace))));
      if (admitted) continue;
      out.push(finding(RISK_RULES.GATEWAY_DENIED, 'error', g.path,
        propMessage(`routes[${r.index}].service`, `routes ${r.host} to ${service.name}, whose authorization admits no request from this gateway (${principal}), so every routed request is denied with 403`,
          service.name, `allow the gateway on the service: ${service.name}.allowFrom(<this gateway>)`)));
    }
  }
  return out;
}

function externalHostInMesh(model: MeshModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const x of externalServicesOf(model)) {
    x.hosts.forEach((h, i) => {
      const s = model.services.find((svc) => [svc.host, `${svc.name}.${svc.namespace}`, `${svc.name}.${svc.namespace}.svc`].includes(h)
        || (h === svc.name && svc.namespace === x.namespace));
      const inCluster = h.endsWith(`.svc.${model.clusterDomain}`);
      if (!s && !inCluster) return;
      out.push(finding(RISK_RULES.EXTERNAL_HOST_IN_MESH, 'error', x.path,
        propMessage(`hosts[${i}]`, s
          ? `is the in-mesh service ${s.path}: a ServiceEntry for it overrides the mesh's own routing, mTLS and subsets for every caller`
          : 'is a Kubernetes Service inside the cluster: Istio already knows it from the Kubernetes registry, and a ServiceEntry would shadow it',
        h, s ? `call ${s.name} with dependsOn(${s.name}) instead of declaring it as external` : 'remove the host; in-cluster services need no ServiceEntry')));
    });
  }
  return out;
}

function injectionDisabled(model: MeshModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const ns of model.namespaces.filter((n) => !n.injection)) {
    for (const s of model.services.filter((svc) => svc.namespace === ns.name)) {
      out.push(finding(RISK_RULES.INJECTION_DISABLED, 'error', s.path,
        propMessage('namespace', `has sidecar injection disabled (${ns.path}), so the pods of ${s.name} get no Envoy: its mTLS, authorization, routes to its versions and Sidecar scoping cannot apply`,
          ns.name, `enable injection on ${ns.path} (injection: true), or move the service to an injected namespace`)));
    }
  }
  return out;
}

/** The tag of an image reference, or undefined when it has none (a digest counts as pinned). */
function tagOf(image: string): string | undefined {
  if (image.includes('@')) return 'digest';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return colon < 0 ? undefined : last.slice(colon + 1);
}

function mutableImages(model: MeshModel): Diagnostic[] {
  return stateOf(model).images.flatMap((u) => {
    const tag = u.prop === 'tag' ? u.image : tagOf(u.image);
    if (tag !== undefined && tag !== 'latest') return [];
    return [finding(RISK_RULES.MUTABLE_IMAGE, 'warning', u.path,
      propMessage(u.prop, `${tag === 'latest' ? 'uses the mutable tag \'latest\'' : 'has no tag (the registry serves \'latest\')'}: pods started at different times run different code, and a rollback does not restore the previous code`,
        u.image, 'pin a version tag or a digest, e.g. \'ghcr.io/acme/app:1.4.2\''))];
  });
}

function egressOnlyControlPlane(model: MeshModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const called = new Set(model.edges.map((e) => e.to.host));
  for (const s of model.services) {
    if (s.egressScoped === false || called.has(s.host)) continue;
    const hosts = egressHosts(model, s);
    if (hosts.some((h) => !h.endsWith('/*'))) continue;
    out.push(finding(RISK_RULES.EGRESS_ONLY_CONTROL_PLANE, 'warning', s.path,
      propMessage('dependsOn', `is empty and no service calls ${s.name}, so its Sidecar lets it reach only the control plane (${hosts.join(', ')}); any call it makes to another service fails at run time`,
        [], `declare what it calls with ${s.name}.dependsOn(...), or set egressScoping: false`)));
  }
  return out;
}
