import { ApiObject, App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';

/**
 * The pod templates of a service's versions are built with cdk8s-plus
 * `Deployment`s kept in a workspace of the service's own, outside the app's
 * construct tree: `MeshService.deploymentOf()` returns them (escape hatch),
 * the Deployment the service emits renders them, and a Rollout that runs a
 * version takes its pod template from them. Whether the service emits a
 * version's Deployment is decided by the snapshot (a Rollout may run the
 * version instead), so the emitted object is attached to the version's slot
 * at synth.
 */
export class WorkloadWorkspace {
  /**
   * The scope the version Deployments are built under: a copy of the
   * service's place in the app (the same construct path, charts with the same
   * namespace and labels), so everything cdk8s derives from the path and the
   * chart (names, the pod template's address label) is what it would be in
   * the app.
   */
  public readonly scope: Construct;

  constructor(owner: IConstruct) {
    const [root, ...scopes] = owner.node.scopes;
    let scope: Construct = new App({ resolvers: root instanceof App ? [...root.resolvers] : [] });
    for (const s of scopes) {
      scope = Chart.isChart(s) ? new Chart(scope, s.node.id, { namespace: s.namespace, labels: s.labels }) : new Construct(scope, s.node.id);
    }
    this.scope = scope;
  }
}

/**
 * The Deployment of one version as emitted in the app: the workspace
 * Deployment's manifest, with the annotations added to this object (the
 * GitOps sync waves) on top.
 */
export class WorkloadObject extends ApiObject {
  constructor(scope: Construct, id: string, private readonly source: kplus.Deployment) {
    super(scope, id, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: source.name, namespace: source.metadata.namespace } });
  }

  public override toJson(): ReturnType<ApiObject['toJson']> {
    const json = ApiObject.of(this.source).toJson();
    const annotations: Record<string, string> | undefined = this.metadata.toJson().annotations;
    if (!annotations) return json;
    const merged = { ...(json.metadata.annotations ?? {}), ...annotations };
    const sorted = Object.fromEntries(Object.keys(merged).sort().map((k) => [k, merged[k]]));
    const metadata = Object.fromEntries(Object.keys({ ...json.metadata, annotations: sorted }).sort().map((k) => [k, k === 'annotations' ? sorted : json.metadata[k]]));
    return { ...json, metadata };
  }
}
