import { IConstruct } from 'constructs';
import { AuthorizationSourceModel } from '../model/security';
import { IMeshIdentity } from '../model/shared-interfaces';
import { propError } from '../private/errors';
import { isDnsLabel } from '../private/names';
import { checkArgs } from '../private/runtime-types';

/**
 * Who a request comes from, in an authorization rule
 * (`rules[].from[].source` of an Istio AuthorizationPolicy).
 *
 * Prefer `AuthzSource.identity(service)` (or `svc.allowFrom(service)`): it
 * takes the caller object, records the dependency edge and is checked
 * against the mesh graph. The other factories are for callers the library
 * does not manage.
 *
 * @see https://istio.io/latest/docs/reference/config/security/authorization-policy/#Source
 */
export abstract class AuthzSource {
  /** A workload of this app with a mesh identity (a MeshService or gateway): its ServiceAccount principal. */
  public static identity(identity: IMeshIdentity): AuthzSource {
    checkArgs('AuthzSource.identity', 'AuthzSource.identity', arguments);
    return new IdentitySource(identity);
  }

  /** A ServiceAccount managed outside this app: principal `<trust-domain>/ns/<namespace>/sa/<serviceAccount>`. */
  public static serviceAccount(namespace: string, serviceAccount: string): AuthzSource {
    checkArgs('AuthzSource.serviceAccount', 'AuthzSource.serviceAccount', arguments);
    return new ServiceAccountSource(namespace, serviceAccount);
  }

  /**
   * A raw peer principal such as `other-domain.example/ns/payments/sa/api`
   * (no `spiffe://` prefix). A trailing or leading `*` is a prefix/suffix match.
   */
  public static principal(principal: string): AuthzSource {
    checkArgs('AuthzSource.principal', 'AuthzSource.principal', arguments);
    return new PrincipalSource(principal);
  }

  /** Every workload of a namespace (its peers' mTLS identities). */
  public static namespace(namespace: string): AuthzSource {
    checkArgs('AuthzSource.namespace', 'AuthzSource.namespace', arguments);
    return new NamespaceSource(namespace);
  }

  /** Human-readable description, used in messages. */
  public abstract readonly description: string;

  /** @internal */
  public abstract _validate(scope: IConstruct, prop: string, allowWildcards: boolean): void;

  /** @internal the source as model data (in-mesh identities stay identities until rendered). */
  public abstract _toModel(): AuthorizationSourceModel;

  /** @internal the in-mesh identity this source names, if any. */
  public _identity(): IMeshIdentity | undefined {
    return undefined;
  }
}

const PRINCIPAL = /^[^\s*]+$/;

function checkNamespace(scope: IConstruct, prop: string, ns: string, allowWildcards: boolean) {
  if (ns === '*') {
    if (allowWildcards) return;
    throw propError(scope, prop, 'must not be the wildcard \'*\' in an ALLOW rule: it would admit every authenticated workload of every namespace', ns,
      'name the namespace, or use allowFrom(service) for a single caller');
  }
  if (!isDnsLabel(ns)) {
    throw propError(scope, prop, 'must be a namespace name (a DNS-1123 label)', ns, 'use the namespace name, e.g. \'shop\'');
  }
}

class IdentitySource extends AuthzSource {
  constructor(private readonly identity: IMeshIdentity) {
    super();
  }

  public get description(): string {
    return `${this.identity.identityNamespace}/${this.identity.identityServiceAccount} (${this.identity.node.path})`;
  }

  public _validate(): void {}

  public _toModel(): AuthorizationSourceModel {
    return { identities: [{ namespace: this.identity.identityNamespace, serviceAccount: this.identity.identityServiceAccount }] };
  }

  public _identity(): IMeshIdentity {
    return this.identity;
  }
}

class ServiceAccountSource extends AuthzSource {
  constructor(private readonly namespace: string, private readonly serviceAccount: string) {
    super();
  }

  public get description(): string {
    return `${this.namespace}/${this.serviceAccount}`;
  }

  public _validate(scope: IConstruct, prop: string): void {
    checkNamespace(scope, `${prop}.namespace`, this.namespace, false);
    if (!isDnsLabel(this.serviceAccount) && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(this.serviceAccount)) {
      throw propError(scope, `${prop}.serviceAccount`, 'must be a ServiceAccount name', this.serviceAccount, 'use the ServiceAccount\'s metadata.name');
    }
  }

  public _toModel(): AuthorizationSourceModel {
    return { identities: [{ namespace: this.namespace, serviceAccount: this.serviceAccount }] };
  }
}

class PrincipalSource extends AuthzSource {
  constructor(private readonly principal: string) {
    super();
  }

  public get description(): string {
    return this.principal;
  }

  public _validate(scope: IConstruct, prop: string, allowWildcards: boolean): void {
    const p = this.principal;
    if (p === '*') {
      if (allowWildcards) return;
      throw propError(scope, prop, 'must not be the wildcard \'*\' in an ALLOW rule: it would admit every authenticated workload', p,
        'name the principal, e.g. \'cluster.local/ns/shop/sa/order-service\'');
    }
    if (p.startsWith('spiffe://')) {
      throw propError(scope, prop, 'must not carry the \'spiffe://\' prefix (Istio matches principals without it)', p, `use ${JSON.stringify(p.slice('spiffe://'.length))}`);
    }
    const core = p.replace(/^\*/, '').replace(/\*$/, '');
    if (!core || !PRINCIPAL.test(core)) {
      throw propError(scope, prop, 'must be a principal \'<trust-domain>/ns/<namespace>/sa/<serviceAccount>\' (\'*\' only as a prefix or suffix)', p,
        'e.g. \'cluster.local/ns/shop/sa/order-service\'');
    }
  }

  public _toModel(): AuthorizationSourceModel {
    return { principals: [this.principal] };
  }
}

class NamespaceSource extends AuthzSource {
  constructor(private readonly namespace: string) {
    super();
  }

  public get description(): string {
    return `namespace ${this.namespace}`;
  }

  public _validate(scope: IConstruct, prop: string, allowWildcards: boolean): void {
    checkNamespace(scope, prop, this.namespace, allowWildcards);
  }

  public _toModel(): AuthorizationSourceModel {
    return { namespaces: [this.namespace] };
  }
}
