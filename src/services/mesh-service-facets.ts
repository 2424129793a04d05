import { IMeshIdentity, IMeshService } from '../model/shared-interfaces';
import { checkArgs } from '../private/runtime-types';
import { AllowFromOptions, AuthorizationRule, DenyFromOptions, RequireJwtOptions, ServiceAuthorization } from '../security/authorization';
import { AuthzSource } from '../security/authz-source';
import { JwtAuthentication } from '../security/jwt';
import { MeshRoute, MeshRouteOptions } from '../traffic/mesh-route';
import { setServiceTrafficPolicy, setVersionTrafficPolicy } from '../traffic/private/traffic-policy';
import { TrafficPolicy } from '../traffic/traffic-policy';

/**
 * The traffic of a `MeshService` (`service.traffic`): its HTTP routes and
 * the traffic policies of its DestinationRule.
 */
export class MeshServiceTraffic {
  /** @internal */
  public static _of(service: IMeshService): MeshServiceTraffic {
    return new MeshServiceTraffic(service);
  }

  private constructor(private readonly service: IMeshService) {}

  /**
   * Adds an HTTP routing rule to the service's VirtualService. Rules are
   * evaluated in the order they are added; the default route (the stable
   * version, or a release's split) stays last.
   *
   * @returns the route
   * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRoute
   */
  public addRoute(options: MeshRouteOptions = {}): MeshRoute {
    checkArgs(this.service, 'MeshServiceTraffic.addRoute', arguments);
    return MeshRoute._add(this.service, options);
  }

  /**
   * Sets the service-wide traffic policy of the DestinationRule (load
   * balancer, connection pool, outlier detection). Replaces a previous one.
   *
   * @see https://istio.io/latest/docs/reference/config/networking/destination-rule/#TrafficPolicy
   */
  public configurePolicy(policy: TrafficPolicy): void {
    checkArgs(this.service, 'MeshServiceTraffic.configurePolicy', arguments);
    setServiceTrafficPolicy(this.service, policy);
  }

  /**
   * Sets the traffic policy of one version (the DestinationRule subset's
   * `trafficPolicy`, which overrides the service-wide one field by field).
   * Replaces a previous one for the same version.
   *
   * @see https://istio.io/latest/docs/reference/config/networking/destination-rule/#Subset
   */
  public configureVersionPolicy(version: string, policy: TrafficPolicy): void {
    checkArgs(this.service, 'MeshServiceTraffic.configureVersionPolicy', arguments);
    setVersionTrafficPolicy(this.service, version, policy);
  }
}

/**
 * The security of a `MeshService` (`service.security`): who may call it
 * (its AuthorizationPolicies) and which end-user tokens it requires.
 */
export class MeshServiceSecurity {
  /** @internal */
  public static _of(service: IMeshService): MeshServiceSecurity {
    return new MeshServiceSecurity(service);
  }

  private constructor(private readonly service: IMeshService) {}

  /**
   * Admits requests from another workload of the mesh (a MeshService or a
   * gateway), identified by its ServiceAccount principal
   * `<trust-domain>/ns/<namespace>/sa/<serviceAccount>`, optionally only
   * some methods, paths and ports. Records the caller -> callee edge.
   *
   * Deny by default: once a service has an allow rule, every request no
   * allow rule matches is denied (Istio ALLOW semantics).
   *
   * @returns the rule added to the service's `<service>-allow` AuthorizationPolicy
   */
  public allowFrom(caller: IMeshIdentity, options?: AllowFromOptions): AuthorizationRule {
    checkArgs(this.service, 'MeshServiceSecurity.allowFrom', arguments);
    return ServiceAuthorization.of(this.service)._allow(AuthzSource.identity(caller), options ?? {}, 'allowFrom');
  }

  /**
   * Admits requests from a typed source, e.g. a ServiceAccount or principal
   * managed outside this app.
   *
   * @returns the rule added to the service's `<service>-allow` AuthorizationPolicy
   */
  public allowFromSource(source: AuthzSource, options?: AllowFromOptions): AuthorizationRule {
    checkArgs(this.service, 'MeshServiceSecurity.allowFromSource', arguments);
    return ServiceAuthorization.of(this.service)._allow(source, options ?? {}, 'allowFromSource');
  }

  /**
   * Admits requests from every workload of a namespace.
   *
   * @returns the rule added to the service's `<service>-allow` AuthorizationPolicy
   */
  public allowFromNamespace(namespace: string, options?: AllowFromOptions): AuthorizationRule {
    checkArgs(this.service, 'MeshServiceSecurity.allowFromNamespace', arguments);
    return ServiceAuthorization.of(this.service)._allow(AuthzSource.namespace(namespace), options ?? {}, 'allowFromNamespace');
  }

  /**
   * Rejects requests from a source (evaluated before any allow rule).
   *
   * @returns the rule added to the service's `<service>-deny` AuthorizationPolicy
   */
  public denyFrom(source: AuthzSource, options?: DenyFromOptions): AuthorizationRule {
    checkArgs(this.service, 'MeshServiceSecurity.denyFrom', arguments);
    return ServiceAuthorization.of(this.service).denyFrom(source, options ?? {});
  }

  /**
   * Requires a valid end-user token of `authentication`'s issuer (and
   * optional claims) on some or all operations of this service.
   *
   * @returns the rule added to the service's `<service>-require-jwt` AuthorizationPolicy
   */
  public requireJwt(authentication: JwtAuthentication, options?: RequireJwtOptions): AuthorizationRule {
    checkArgs(this.service, 'MeshServiceSecurity.requireJwt', arguments);
    return ServiceAuthorization.of(this.service).requireJwt(authentication, options ?? {});
  }
}
