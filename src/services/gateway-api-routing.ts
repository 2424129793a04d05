import { ApiObject, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { HttpRoute } from '../imports/gateway.networking.k8s.io';
import { DestinationRule } from '../imports/networking.istio.io';
import { ServiceModel } from '../model/core';
import { MeshModel } from '../model/mesh-model';
import { snapshotOf } from '../model/resolve';
import { versionServiceName } from '../model/routing';
import { ServiceSnapshot } from '../model/snapshot';
import { httpPorts, renderMeshHttpRoutes } from '../render/gateway-api/mesh-http-route';
import { assertNoProblems, ProblemList } from '../render/gateway-api/problems';
import { renderVersionDestinationRuleSpec, renderVersionServiceSpec } from '../render/gateway-api/version-services';

/**
 * The Gateway API objects of one `MeshService` routed with
 * `RoutingApi.GATEWAY_API`: an `HTTPRoute` per HTTP port (parent: the
 * service's `Service`), and per version a `Service` and the `DestinationRule`
 * of that Service's host. Specs are rendered at synth from the snapshot,
 * like the VirtualService of the Istio rendering; what the Gateway API
 * cannot express is reported by the analysis (GWAPI rules).
 */
export class GatewayApiServiceRouting {
  /** The HTTPRoutes, one per HTTP port, in port order. */
  public readonly httpRoutes: ApiObject[];

  constructor(
    private readonly scope: Construct,
    private readonly model: MeshModel,
    private readonly declared: ServiceModel,
    private readonly labels: Readonly<Record<string, string>>,
    private readonly attachToWaypoint: (service: ApiObject) => void,
  ) {
    const ports = httpPorts(declared);
    this.httpRoutes = ports.map((port, i) => new HttpRoute(scope, ports.length === 1 ? 'HTTPRoute' : `HTTPRoute-${port.name}`, {
      metadata: { name: ports.length === 1 ? declared.name : `${declared.name}-${port.name}`, namespace: declared.namespace, labels: { ...labels } },
      spec: Lazy.any({ produce: () => this.render()[i].spec }),
    }));
  }

  /** Adds the Service and DestinationRule of a version (called for each version as it is added). */
  public addVersion(version: string): void {
    const s = this.declared;
    const metadata = { name: versionServiceName(s, version), namespace: s.namespace, labels: { ...this.labels, version } };
    const service = new k8s.KubeService(this.scope, `VersionService-${version}`, {
      metadata,
      spec: Lazy.any({ produce: () => renderVersionServiceSpec(this.snapshot(), this.versionOf(version)) }),
    });
    this.attachToWaypoint(service);
    new DestinationRule(this.scope, `VersionDestinationRule-${version}`, {
      metadata,
      spec: Lazy.any({ produce: () => renderVersionDestinationRuleSpec(this.snapshot(), this.versionOf(version)) }),
    });
  }

  private snapshot(): ServiceSnapshot {
    const s = snapshotOf(this.model).service(this.declared.host);
    if (!s) throw new Error(`internal: ${this.declared.path} is not in the snapshot`);
    return s;
  }

  private versionOf(version: string) {
    const v = this.snapshot().versions.find((x) => x.name === version);
    if (!v) throw new Error(`internal: version ${version} of ${this.declared.path} is not in the snapshot`);
    return v;
  }

  private render() {
    const problems = new ProblemList();
    const routes = renderMeshHttpRoutes(this.snapshot(), problems);
    assertNoProblems(problems);
    return routes;
  }
}
