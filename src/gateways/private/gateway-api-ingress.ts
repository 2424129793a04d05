import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { Gateway, HttpRoute, ReferenceGrant } from '../../imports/gateway.networking.k8s.io';
import { MeshModel } from '../../model';
import { GatewayModel, GatewayRouteModel, gatewayRouteTableName, gatewayRouteTables } from '../../model/gateways';
import {
  GatewayRouteEntry, renderGatewayRouteSpec, renderGatewaySpec, renderHttpsRedirectRouteSpec, renderReferenceGrantSpecs,
} from '../../render/gateway-api/gateway';
import { addProblemSource, assertNoProblems, ProblemList } from '../../render/gateway-api/problems';

/**
 * The Gateway API objects of an `IngressGateway` rendered with
 * `RoutingApi.GATEWAY_API`: the `Gateway`, an `HTTPRoute` per route host, the
 * HTTPS-redirect `HTTPRoute`, and a `ReferenceGrant` per namespace of a
 * backend Service. Specs are rendered at synth from the model.
 */
export class GatewayApiIngress {
  /** The Gateway API Gateway. */
  public readonly gateway: ApiObject;
  private redirectRoute?: ApiObject;
  private readonly grants = new Set<string>();

  constructor(
    private readonly scope: Construct,
    private readonly model: MeshModel,
    private readonly gatewayModel: () => GatewayModel,
    private readonly entries: () => GatewayRouteEntry[],
    private readonly labels: Readonly<Record<string, string>>,
  ) {
    const g = gatewayModel();
    this.gateway = new Gateway(scope, 'GatewayApiGateway', {
      metadata: { name: g.name, namespace: g.namespace, labels: { ...labels } },
      spec: Lazy.any({ produce: () => this.checked((p) => renderGatewaySpec(this.gatewayModel(), p)) }),
    });
    addProblemSource(model, `gateway:${g.path}`, (problems) => {
      const current = this.gatewayModel();
      renderGatewaySpec(current, problems);
      for (const t of gatewayRouteTables(current)) renderGatewayRouteSpec(this.model, current, t.host, this.entries(), problems);
    });
  }

  /** The HTTPRoute of a route host (created by the route table on the host's first route). */
  public routeObject(host: string): ApiObject {
    const g = this.gatewayModel();
    return new HttpRoute(this.scope, `HTTPRoute-${host}`, {
      metadata: { name: gatewayRouteTableName(g.name, host), namespace: g.namespace, labels: { 'app.kubernetes.io/name': g.name } },
      spec: Lazy.any({ produce: () => this.checked((p) => renderGatewayRouteSpec(this.model, this.gatewayModel(), host, this.entries(), p)) }),
    });
  }

  /** Called for each server added: an HTTPS-redirect server gets the redirect HTTPRoute. */
  public onServer(httpsRedirect: boolean): void {
    if (!httpsRedirect || this.redirectRoute) return;
    const g = this.gatewayModel();
    this.redirectRoute = new HttpRoute(this.scope, 'HTTPRoute-https-redirect', {
      metadata: { name: `${g.name}-https-redirect`, namespace: g.namespace, labels: { 'app.kubernetes.io/name': g.name } },
      spec: Lazy.any({ produce: () => renderHttpsRedirectRouteSpec(this.gatewayModel()) }),
    });
  }

  /** Called for each route added: a backend in another namespace gets (once) a ReferenceGrant there. */
  public onRoute(route: GatewayRouteModel): void {
    const service = this.model.findService(route.serviceHost);
    const g = this.gatewayModel();
    if (!service || service.namespace === g.namespace || this.grants.has(service.namespace)) return;
    const ns = service.namespace;
    this.grants.add(ns);
    new ReferenceGrant(this.scope, `ReferenceGrant-${ns}`, {
      metadata: { name: `${g.name}-${g.namespace}-routes`, namespace: ns, labels: { ...this.labels } },
      spec: Lazy.any({ produce: () => renderReferenceGrantSpecs(this.model, this.gatewayModel(), this.entries()).get(ns) }),
    });
  }

  private checked<T>(render: (problems: ProblemList) => T): T {
    const problems = new ProblemList();
    const out = render(problems);
    assertNoProblems(problems);
    return out;
  }
}
