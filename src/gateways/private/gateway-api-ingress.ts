import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { Gateway, HttpRoute, ReferenceGrant } from '../../imports/gateway.networking.k8s.io';
import { GatewayModel, GatewayRouteModel, gatewayRouteTableName } from '../../model/gateways';
import { MeshModel } from '../../model/mesh-model';
import { snapshotOf } from '../../model/resolve';
import { GatewaySnapshot, MeshSnapshot } from '../../model/snapshot';
import {
  renderGatewayApiGatewaySpec, renderGatewayApiRouteSpec, renderHttpsRedirectRouteSpec, renderReferenceGrantSpecs,
} from '../../render/gateway-api/gateway';
import { assertNoProblems, ProblemList } from '../../render/gateway-api/problems';

/**
 * The Gateway API objects of an `IngressGateway` rendered with
 * `RoutingApi.GATEWAY_API`: the `Gateway`, an `HTTPRoute` per route host, the
 * HTTPS-redirect `HTTPRoute`, and a `ReferenceGrant` per namespace of a
 * backend Service. Specs are rendered at synth from the snapshot; what the
 * Gateway API cannot express is reported by the analysis (GWAPI rules).
 */
export class GatewayApiIngress {
  /** The Gateway API Gateway. */
  public readonly gateway: ApiObject;
  private redirectRoute?: ApiObject;
  private readonly grants = new Set<string>();

  constructor(
    private readonly scope: Construct,
    private readonly model: MeshModel,
    private readonly declared: Pick<GatewayModel, 'name' | 'namespace'>,
    private readonly labels: Readonly<Record<string, string>>,
  ) {
    this.gateway = new Gateway(scope, 'GatewayApiGateway', {
      metadata: { name: declared.name, namespace: declared.namespace, labels: { ...labels } },
      spec: Lazy.any({ produce: () => this.checked((_snapshot, g, p) => renderGatewayApiGatewaySpec(g, p)) }),
    });
  }

  /** The HTTPRoute of a route host (created by the route table on the host's first route). */
  public routeObject(host: string): ApiObject {
    const g = this.declared;
    return new HttpRoute(this.scope, `HTTPRoute-${host}`, {
      metadata: { name: gatewayRouteTableName(g.name, host), namespace: g.namespace, labels: { 'app.kubernetes.io/name': g.name } },
      spec: Lazy.any({ produce: () => this.checked((s, gw, p) => renderGatewayApiRouteSpec(s, gw, host, p)) }),
    });
  }

  /** Called for each server added: an HTTPS-redirect server gets the redirect HTTPRoute. */
  public onServer(httpsRedirect: boolean): void {
    if (!httpsRedirect || this.redirectRoute) return;
    const g = this.declared;
    this.redirectRoute = new HttpRoute(this.scope, 'HTTPRoute-https-redirect', {
      metadata: { name: `${g.name}-https-redirect`, namespace: g.namespace, labels: { 'app.kubernetes.io/name': g.name } },
      spec: Lazy.any({ produce: () => renderHttpsRedirectRouteSpec(this.snapshot()[1]) }),
    });
  }

  /** Called for each route added: a backend in another namespace gets (once) a ReferenceGrant there. */
  public onRoute(route: GatewayRouteModel): void {
    const service = this.model.findService(route.serviceHost);
    const g = this.declared;
    if (!service || service.namespace === g.namespace || this.grants.has(service.namespace)) return;
    const ns = service.namespace;
    this.grants.add(ns);
    new ReferenceGrant(this.scope, `ReferenceGrant-${ns}`, {
      metadata: { name: `${g.name}-${g.namespace}-routes`, namespace: ns, labels: { ...this.labels } },
      spec: Lazy.any({ produce: () => renderReferenceGrantSpecs(...this.snapshot()).get(ns) }),
    });
  }

  private snapshot(): [MeshSnapshot, GatewaySnapshot] {
    const snapshot = snapshotOf(this.model);
    const gateway = snapshot.gateway(this.scope.node.path);
    if (!gateway) throw new Error(`internal: ${this.scope.node.path} is not in the snapshot`);
    return [snapshot, gateway];
  }

  private checked<T>(render: (snapshot: MeshSnapshot, gateway: GatewaySnapshot, problems: ProblemList) => T): T {
    const problems = new ProblemList();
    const out = render(...this.snapshot(), problems);
    assertNoProblems(problems);
    return out;
  }
}
