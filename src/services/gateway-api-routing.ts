import { ApiObject, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { HttpRoute } from '../imports/gateway.networking.k8s.io';
import { DestinationRule } from '../imports/networking.istio.io';
import { MeshModel, ServiceModel } from '../model';
import { RoutingApi, routingApiOf } from '../model/routing';
import { httpPorts, renderMeshHttpRoutes, versionServiceName } from '../render/gateway-api/mesh-http-route';
import { addProblemSource, assertNoProblems, ProblemList } from '../render/gateway-api/problems';
import { renderVersionDestinationRuleSpec, renderVersionServiceSpec, ServiceDestinationRule } from '../render/gateway-api/version-services';

/**
 * The Gateway API objects of one `MeshService` routed with
 * `RoutingApi.GATEWAY_API`: an `HTTPRoute` per HTTP port (parent: the
 * service's `Service`), and per version a `Service` and the `DestinationRule`
 * of that Service's host. Specs are rendered at synth from the model, like
 * the VirtualService of the Istio rendering.
 */
export class GatewayApiServiceRouting {
  /** The HTTPRoutes, one per HTTP port, in port order. */
  public readonly httpRoutes: ApiObject[];

  constructor(
    private readonly scope: Construct,
    private readonly model: MeshModel,
    private readonly service: () => ServiceModel,
    private readonly serviceRule: () => ServiceDestinationRule,
    private readonly labels: Readonly<Record<string, string>>,
  ) {
    const s = service();
    addProblemSource(model, `service:${s.host}`, (problems) => {
      const current = this.service();
      if (routingApiOf(model, current.host) === RoutingApi.GATEWAY_API) renderMeshHttpRoutes(model, current, problems);
    });
    const ports = httpPorts(s);
    this.httpRoutes = ports.map((port, i) => new HttpRoute(scope, ports.length === 1 ? 'HTTPRoute' : `HTTPRoute-${port.name}`, {
      metadata: { name: ports.length === 1 ? s.name : `${s.name}-${port.name}`, namespace: s.namespace, labels: { ...labels } },
      spec: Lazy.any({ produce: () => this.render().routes[i].spec }),
    }));
  }

  /** Adds the Service and DestinationRule of a version (called for each version as it is added). */
  public addVersion(version: string): void {
    const s = this.service();
    const name = versionServiceName(s, version);
    const metadata = { name, namespace: s.namespace, labels: { ...this.labels, version } };
    new k8s.KubeService(this.scope, `VersionService-${version}`, {
      metadata,
      spec: Lazy.any({ produce: () => renderVersionServiceSpec(this.service(), this.versionModel(version)) }),
    });
    new DestinationRule(this.scope, `VersionDestinationRule-${version}`, {
      metadata,
      spec: Lazy.any({ produce: () => renderVersionDestinationRuleSpec(this.model, this.service(), this.versionModel(version), this.serviceRule()) }),
    });
  }

  private versionModel(version: string) {
    const v = this.service().versions.find((x) => x.name === version);
    if (!v) throw new Error(`internal: version ${version} of ${this.service().path} is not in the model`);
    return v;
  }

  private render() {
    const problems = new ProblemList();
    const routes = renderMeshHttpRoutes(this.model, this.service(), problems);
    assertNoProblems(problems);
    return { routes };
  }
}

