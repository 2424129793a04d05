import { ApiObject, Chart, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { AuthzSource } from './authz-source';
import type { JwtAuthentication, JwtClaimRequirement } from './jwt';
import { AuthorizationPolicy, AuthorizationPolicySpecRules } from '../imports/security.istio.io';
import { MeshModel, PortModel } from '../model';
import { addL7Authorization, markAuthorized, waypointServicesOf } from '../model/ambient';
import { registeredService } from './private/registered-service';
import {
  addAuthorizationPolicy, addAuthorizationRules, addIdentityReference, addJwtRequirement, AuthorizationActionName, AuthorizationOperationModel,
  AuthorizationRuleModel, authorizationPolicyAt, serviceWithIdentity,
} from '../model/security';
import { IMeshService } from '../model/shared-interfaces';
import { propError } from '../private/errors';
import { validateDnsLabel } from '../private/names';
import { checkArgs } from '../private/runtime-types';
import { renderAuthorizationPolicySpec, renderAuthorizationRules } from '../render/authorization-policy';
import { HttpMethod } from '../traffic/http-match';

/**
 * What an authorization rule does when it matches.
 *
 * @see https://istio.io/latest/docs/reference/config/security/authorization-policy/#AuthorizationPolicy-Action
 */
export enum AuthorizationAction {
  /** Admit matching requests. Once a workload has an ALLOW rule, every request no ALLOW rule matches is denied. */
  ALLOW = 'ALLOW',
  /** Reject matching requests. DENY rules are evaluated before ALLOW rules. */
  DENY = 'DENY',
}

/**
 * Restricts an `allowFrom` rule to some operations. All given conditions must
 * hold; omitted ones do not restrict.
 */
export interface AllowFromOptions {
  /**
   * HTTP methods admitted. HTTP ports only.
   *
   * @default - any method
   */
  readonly methods?: HttpMethod[];

  /**
   * Request paths admitted: absolute paths (`/users`), prefix matches
   * (`/users/*`) or suffix matches (`* /info`, without the space). HTTP ports only.
   *
   * @default - any path
   */
  readonly paths?: string[];

  /**
   * Service ports admitted (as declared on the MeshService; rendered as the
   * workload's container ports, which is what Istio matches).
   *
   * @default - every port of the service
   */
  readonly ports?: number[];
}

/** Restricts a `denyFrom` rule to some operations. */
export interface DenyFromOptions extends AllowFromOptions {}

/**
 * Where a valid token is required, and which claims it must carry.
 */
export interface RequireJwtOptions extends AllowFromOptions {
  /**
   * Claim conditions the token must satisfy (all of them).
   *
   * @default - any valid token of the issuer
   */
  readonly claims?: JwtClaimRequirement[];
}

/**
 * One rule added to a service's authorization (what `allowFrom()`,
 * `denyFrom()` and `requireJwt()` return).
 */
export class AuthorizationRule {
  /** @internal */
  public static _create(scope: IConstruct, action: AuthorizationAction, description: string,
    operation: AuthorizationOperationModel | undefined, rules: readonly AuthorizationRuleModel[]): AuthorizationRule {
    return new AuthorizationRule(scope, action, description, operation, rules);
  }

  private constructor(
    private readonly scope: IConstruct,
    /** ALLOW or DENY. */
    public readonly action: AuthorizationAction,
    /** Who the rule is about, for humans. */
    public readonly description: string,
    private readonly operation: AuthorizationOperationModel | undefined,
    private readonly rules: readonly AuthorizationRuleModel[]) {}

  /** HTTP methods the rule is restricted to (empty: every method). */
  public get methods(): string[] {
    return [...(this.operation?.methods ?? [])];
  }

  /** Paths the rule is restricted to (empty: every path). */
  public get paths(): string[] {
    return [...(this.operation?.paths ?? [])];
  }

  /** Workload (container) ports the rule is restricted to (empty: every port). */
  public get ports(): number[] {
    return (this.operation?.ports ?? []).map((p) => Number(p));
  }

  /** Peer principals the rule names, rendered with the current trust domain. */
  public get principals(): string[] {
    return this._toIstio(MeshModel.of(this.scope)).flatMap((r) => (r.from ?? []).flatMap((f) => f.source?.principals ?? []));
  }

  /** Namespaces the rule names. */
  public get namespaces(): string[] {
    return this._toIstio(MeshModel.of(this.scope)).flatMap((r) => (r.from ?? []).flatMap((f) => f.source?.namespaces ?? []));
  }

  /** @internal the Istio rules this rule contributes to its policy. */
  public _toIstio(model: MeshModel): AuthorizationPolicySpecRules[] {
    return renderAuthorizationRules(this.rules, model.controlPlane);
  }
}

const PATH_WILDCARD_MISUSE = /.\*./;

/**
 * The authorization of one MeshService: its ALLOW policy (`<service>-allow`),
 * DENY policy (`<service>-deny`) and token requirement
 * (`<service>-require-jwt`), each created on first use. Reach it through the
 * service's `allowFrom()`, `allowFromSource()`, `allowFromNamespace()`,
 * `denyFrom()` and `requireJwt()`.
 *
 * Istio semantics made explicit: once the ALLOW policy has a rule, every
 * request to the service that no ALLOW rule matches is denied (deny by
 * default); DENY rules win over ALLOW rules.
 */
export class ServiceAuthorization extends Construct {
  /** The authorization of `service` (created on first use). */
  public static of(service: IMeshService): ServiceAuthorization {
    checkArgs('ServiceAuthorization.of', 'ServiceAuthorization.of', arguments);
    const existing = service.node.tryFindChild(AUTHZ_ID);
    if (existing) return existing as ServiceAuthorization;
    registeredService(service, 'service', service);
    return new ServiceAuthorization(service, AUTHZ_ID, service);
  }

  private readonly model: MeshModel;
  private allowPolicy?: ApiObject;
  private denyPolicy?: ApiObject;
  private jwtPolicy?: ApiObject;

  private constructor(scope: Construct, id: string, private readonly service: IMeshService) {
    super(scope, id);
    this.model = MeshModel.of(this);
    markAuthorized(this.model, service.host);
    this.node.addValidation({ validate: () => this.model.errorsFor(this.node.path) });
  }

  /** Admits requests from `source` (optionally only some operations). */
  public allowFrom(source: AuthzSource, options: AllowFromOptions = {}): AuthorizationRule {
    checkArgs(this, 'ServiceAuthorization.allowFrom', arguments);
    return this._allow(source, options, 'allowFrom');
  }

  /** @internal */
  public _allow(source: AuthzSource, options: AllowFromOptions, prop: string): AuthorizationRule {
    source._validate(this.service, prop, false);
    const operation = this.operation(`${prop}.options`, options);
    this.recordL7(`${prop}.options`, operation);
    this.recordIdentity(source, prop);
    this.allowPolicy ??= this.policy('Allow', 'allow', 'ALLOW');
    return this.addRules(this.allowPolicy, AuthorizationAction.ALLOW, source.description, operation, [{ from: [source._toModel()], operation }]);
  }

  /** Rejects requests from `source` (optionally only some operations), before any ALLOW rule. */
  public denyFrom(source: AuthzSource, options: DenyFromOptions = {}): AuthorizationRule {
    checkArgs(this, 'ServiceAuthorization.denyFrom', arguments);
    source._validate(this.service, 'denyFrom', true);
    const operation = this.operation('denyFrom.options', options, true);
    this.recordL7('denyFrom.options', options.methods || options.paths ? operation : undefined);
    this.denyPolicy ??= this.policy('Deny', 'deny', 'DENY');
    return this.addRules(this.denyPolicy, AuthorizationAction.DENY, source.description, operation, [{ from: [source._toModel()], operation }]);
  }

  /**
   * Requires a valid token of `authentication`'s issuer on the given
   * operations (all of them by default), plus optional claim conditions.
   * Rendered as DENY rules (`notRequestPrincipals: ["<issuer>/*"]`, and one
   * `notValues` condition per claim), so no ALLOW rule can bypass it.
   */
  public requireJwt(authentication: JwtAuthentication, options: RequireJwtOptions = {}): AuthorizationRule {
    checkArgs(this, 'ServiceAuthorization.requireJwt', arguments);
    // token checks are HTTP-only attributes: pinned to the HTTP ports, else Istio's DENY also blocks every TCP port
    const operation = this.operation('requireJwt.options', options, true, true);
    const claims = (options.claims ?? []).map((c, i) => validateClaim(this.service, `requireJwt.options.claims[${i}]`, c));
    // tokens are HTTP: a proxy that sees requests must check them (a waypoint in ambient mode)
    addL7Authorization(this.model, { path: this.node.path, host: this.service.host, prop: 'requireJwt', value: authentication.issuer });
    addJwtRequirement(this.model, { path: this.node.path, providerPath: authentication.node.path, serviceHost: this.service.host });
    const issuer = authentication.issuer;
    this.jwtPolicy ??= this.policy('RequireJwt', 'require-jwt', 'DENY');
    return this.addRules(this.jwtPolicy, AuthorizationAction.DENY, `requests without a valid token of ${issuer}`, operation, [
      { from: [{ notRequestPrincipals: [`${issuer}/*`] }], operation },
      ...claims.map((c) => ({ operation, when: [{ key: `request.auth.claims[${c.claim}]`, notValues: [...c.values] }] })),
    ]);
  }

  /** Creates one of the service's policies: registered in the model, its spec rendered from the model at synth. */
  private policy(id: string, suffix: string, action: AuthorizationActionName): ApiObject {
    const path = `${this.node.path}/${id}`;
    const name = `${this.service.serviceName}-${suffix}`;
    const app = this.service.serviceName;
    addAuthorizationPolicy(this.model, { path, name, namespace: this.service.namespace, selector: { app }, action, rules: [] });
    return new AuthorizationPolicy(this, id, {
      metadata: { name, namespace: this.service.namespace, labels: { 'app': app, 'app.kubernetes.io/name': app } },
      // ambient (issue 17): with a waypoint, the waypoint enforces the policy (targetRefs to the Service);
      // otherwise the workload's sidecar or the node's ztunnel (selector, L4 rules only)
      spec: Lazy.any({
        produce: () => renderAuthorizationPolicySpec(authorizationPolicyAt(this.model, path), this.model.controlPlane, this.waypointTarget(),
          registeredService(this, 'service', this.service).ports),
      }),
    });
  }

  /** Appends `rules` to `policy` in the model; returns the public handle. */
  private addRules(policy: ApiObject, action: AuthorizationAction, description: string, operation: AuthorizationOperationModel | undefined,
    rules: AuthorizationRuleModel[]): AuthorizationRule {
    addAuthorizationRules(this.model, policy.node.path, rules);
    return AuthorizationRule._create(this, action, description, operation, rules);
  }

  /** The Services whose waypoint enforces this service's policies (none unless it is ambient with a waypoint). */
  private waypointTarget(): string[] {
    const svc = this.model.findService(this.service.host);
    return svc ? waypointServicesOf(this.model, svc) : [];
  }

  /** ambient (issue 17): methods and paths are L7 conditions that ztunnel cannot enforce. */
  private recordL7(prop: string, operation: AuthorizationOperationModel | undefined) {
    if (operation?.methods) addL7Authorization(this.model, { path: this.node.path, host: this.service.host, prop: `${prop}.methods`, value: operation.methods });
    if (operation?.paths) addL7Authorization(this.model, { path: this.node.path, host: this.service.host, prop: `${prop}.paths`, value: operation.paths });
  }

  private recordIdentity(source: AuthzSource, prop: string) {
    const identity = source._identity();
    if (!identity) return;
    addIdentityReference(this.model, {
      path: this.node.path,
      prop,
      identityPath: identity.node.path,
      namespace: identity.identityNamespace,
      serviceAccount: identity.identityServiceAccount,
    });
    const from = serviceWithIdentity(this.model, identity.identityNamespace, identity.identityServiceAccount);
    const to = this.model.findService(this.service.host);
    if (from && to) this.model.addEdge({ from, to, reason: 'allowFrom' });
  }

  /**
   * The `to.operation` of a rule. For a DENY rule (`deny`) whose conditions are HTTP-only
   * (methods, paths, token checks) and that names no ports, the ports are the service's HTTP
   * ports: Istio applies such a DENY rule to TCP traffic as "deny everything" (its validation
   * warns about it), which is never what an HTTP condition means.
   */
  private operation(prop: string, options: AllowFromOptions, deny = false, httpOnly = false): AuthorizationOperationModel | undefined {
    const scope = this.service;
    const out: { methods?: string[]; paths?: string[]; ports?: string[] } = {};
    if (options.methods !== undefined) {
      if (options.methods.length === 0) {
        throw propError(scope, `${prop}.methods`, 'must not be empty (an empty list reads as "no method" but Istio treats it as "any method")', options.methods,
          'omit methods to admit any method, or list them');
      }
      out.methods = [...new Set(options.methods)];
    }
    if (options.paths !== undefined) {
      if (options.paths.length === 0) {
        throw propError(scope, `${prop}.paths`, 'must not be empty (Istio would treat it as "any path")', options.paths, 'omit paths to admit any path, or list them');
      }
      options.paths.forEach((p, i) => validatePath(scope, `${prop}.paths[${i}]`, p));
      out.paths = [...new Set(options.paths)];
    }
    const servicePorts: readonly PortModel[] = registeredService(scope, 'service', this.service).ports;
    let selected = servicePorts;
    if (options.ports !== undefined) {
      if (options.ports.length === 0) {
        throw propError(scope, `${prop}.ports`, 'must not be empty (Istio would treat it as "any port")', options.ports, 'omit ports to admit every port, or list them');
      }
      selected = options.ports.map((port, i) => {
        const sp = servicePorts.find((s) => s.port === port);
        if (!sp) {
          throw propError(scope, `${prop}.ports[${i}]`, `must be a port of ${this.service.serviceName} (${servicePorts.map((s) => s.port).join(', ')})`, port,
            'use one of the service\'s ports');
        }
        return sp;
      });
      out.ports = [...new Set(selected.map((s) => String(s.targetPort)))];
    }
    if ((out.methods || out.paths) && selected.every((s) => s.protocol === 'tcp')) {
      throw propError(scope, `${prop}.${out.paths ? 'paths' : 'methods'}`, 'only apply to HTTP traffic, but every selected port is TCP, so the rule could never match', out.paths ?? out.methods,
        'drop methods/paths for TCP ports, or select an HTTP port');
    }
    if (deny && options.ports === undefined && (httpOnly || out.methods || out.paths)) {
      const http = servicePorts.filter((s) => s.protocol !== 'tcp');
      if (http.length > 0) out.ports = [...new Set(http.map((s) => String(s.targetPort)))];
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
}

const AUTHZ_ID = 'Authorization';

function validatePath(scope: IConstruct, prop: string, path: string): void {
  const suffixMatch = path.startsWith('*/');
  if (!suffixMatch && !path.startsWith('/')) {
    throw propError(scope, prop, 'must be an absolute path starting with \'/\' (or a suffix match \'*/...\')', path, `use ${JSON.stringify('/' + path.replace(/^\*+/, ''))}`);
  }
  if (PATH_WILDCARD_MISUSE.test(path) || /\s/.test(path) || (suffixMatch && path.endsWith('*'))) {
    throw propError(scope, prop, 'may use \'*\' only as a whole trailing or leading segment match (\'/api/*\', \'*/info\') and no whitespace', path,
      'split it into several paths, or use a prefix match');
  }
}

function validateClaim(scope: IConstruct, prop: string, c: JwtClaimRequirement): JwtClaimRequirement {
  if (!c.claim || /[\[\]\s]/.test(c.claim)) {
    throw propError(scope, `${prop}.claim`, 'must be a top-level claim name without brackets or whitespace', c.claim, 'use the claim name, e.g. \'scope\' or \'groups\'');
  }
  if (!c.values || c.values.length === 0 || c.values.some((v) => v === '')) {
    throw propError(scope, `${prop}.values`, 'must list at least one non-empty value (no values would match every token)', c.values ?? [],
      'list the accepted values, e.g. [\'orders:read\']');
  }
  return c;
}

/**
 * Properties of `DefaultDeny`.
 */
export interface DefaultDenyProps {
  /**
   * Namespace whose workloads deny every request no ALLOW rule admits.
   *
   * @default - the chart's namespace (required when the chart has none)
   */
  readonly namespace?: string;
}

/**
 * Namespace-wide deny by default: an AuthorizationPolicy `allow-nothing`
 * with an empty spec. Istio reads an empty spec as an ALLOW policy that
 * matches nothing, selecting every workload of the namespace: requests are
 * denied unless another ALLOW policy (e.g. from `allowFrom()`) admits them.
 * (Contrast: a service's own ALLOW policy already denies everything else for
 * that service; this extends the default to services without any rule.)
 *
 * @see https://istio.io/latest/docs/reference/config/security/authorization-policy/
 *
 * @example
 * new DefaultDeny(chart, 'deny-by-default', { namespace: 'shop' });
 */
export class DefaultDeny extends Construct {
  /** The AuthorizationPolicy (escape hatch). */
  public readonly resource: ApiObject;
  /** Namespace the policy applies to. */
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: DefaultDenyProps = {}) {
    super(scope, id);
    checkArgs(this, 'DefaultDeny.new', arguments);
    const ns = props.namespace ?? Chart.of(this).namespace;
    if (ns === undefined) {
      throw propError(this, 'namespace', 'must be set when the chart has no namespace (the policy is namespace-wide)', ns, 'set namespace, e.g. \'shop\'');
    }
    this.namespace = validateDnsLabel(this, 'namespace', ns);
    const model = MeshModel.of(this);
    const policy = { path: `${this.node.path}/Resource`, name: 'allow-nothing', namespace: this.namespace };
    addAuthorizationPolicy(model, policy);
    this.resource = new AuthorizationPolicy(this, 'Resource', {
      metadata: { name: policy.name, namespace: policy.namespace },
      spec: renderAuthorizationPolicySpec(policy, model.controlPlane),
    });
  }
}
