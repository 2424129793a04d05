import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { AuthorizationPolicy, AuthorizationPolicySpecAction } from '../../imports/security.istio.io';
import { MeshModel, ServiceModel } from '../../model';
import { waypointOf } from '../../model/ambient';
import { GATEWAY_API_VERSION, renderWaypointSpec, waypointLabels, waypointPrincipal } from '../../render/waypoint';

/** What an ambient MeshService exposes to its finalization. */
export interface AmbientServiceScope extends IConstruct {
  readonly serviceName: string;
  readonly namespace: string;
  /** The Kubernetes Service object. */
  readonly service: IConstruct;
}

/** Waypoints already declared, per app model and namespace (one per namespace). */
const WAYPOINTS = new WeakMap<MeshModel, Map<string, ApiObject>>();

/**
 * Run when cdk8s validates the app, i.e. once every construct has declared its
 * intent and before any object is rendered: when the ambient service's intent
 * needs L7, declares its namespace's waypoint (once), attaches the Service to
 * it (`istio.io/use-waypoint`, and `istio.io/ingress-use-waypoint` so ingress
 * traffic takes the waypoint too) and, when the service has authorization,
 * lets the service's pods accept connections from the waypoint only
 * (ztunnel-enforced), so the waypoint's L7 policies cannot be bypassed by
 * addressing the pods directly. Idempotent (cdk8s validates once per chart).
 */
export function finalizeAmbientService(service: AmbientServiceScope, model: ServiceModel): void {
  const mesh = MeshModel.of(service);
  const waypoint = waypointOf(mesh, model);
  if (!waypoint) return;
  let byNs = WAYPOINTS.get(mesh);
  if (!byNs) WAYPOINTS.set(mesh, byNs = new Map());
  if (!byNs.has(service.namespace)) {
    const revision = mesh.controlPlanes.find((cp) => cp.ambient)?.revision;
    byNs.set(service.namespace, new ApiObject(service, 'Waypoint', {
      apiVersion: GATEWAY_API_VERSION,
      kind: 'Gateway',
      metadata: { name: waypoint, namespace: service.namespace, labels: waypointLabels(revision) },
      spec: renderWaypointSpec(),
    }));
  }
  const svc = ApiObject.of(service.service);
  svc.metadata.addLabel('istio.io/use-waypoint', waypoint);
  svc.metadata.addLabel('istio.io/ingress-use-waypoint', 'true');
  if (service.node.tryFindChild('Authorization') && !service.node.tryFindChild('WaypointGuard')) {
    new AuthorizationPolicy(service, 'WaypointGuard', {
      metadata: {
        name: `${service.serviceName}-waypoint-only`,
        namespace: service.namespace,
        labels: { 'app': service.serviceName, 'app.kubernetes.io/name': service.serviceName },
      },
      spec: {
        selector: { matchLabels: { app: service.serviceName } },
        action: AuthorizationPolicySpecAction.ALLOW,
        rules: [{ from: [{ source: { principals: [waypointPrincipal(mesh.trustDomain, service.namespace)] } }] }],
      },
    });
  }
}
