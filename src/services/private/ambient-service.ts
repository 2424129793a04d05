import { ApiObject, Lazy } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Gateway } from '../../imports/gateway.networking.k8s.io';
import { AuthorizationPolicy, AuthorizationPolicySpec, AuthorizationPolicySpecAction } from '../../imports/security.istio.io';
import { MeshModel, ServiceModel } from '../../model';
import { externalL7Of, WAYPOINT_NAME, waypointOf, waypointOnly, waypointsAllowed } from '../../model/ambient';
import { prometheusesOf } from '../../model/observability';
import { gatewayApiVersionServicesOf } from '../../model/routing';
import { authorizationPoliciesOf, principalOf } from '../../model/security';
import { renderWaypointSpec, waypointLabels, waypointPrincipal } from '../../render/waypoint';

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
/** Declares the waypoint of `namespace` under `owner` unless the app already has it. */
function ensureWaypoint(mesh: MeshModel, owner: IConstruct, namespace: string): void {
  let byNs = WAYPOINTS.get(mesh);
  if (!byNs) WAYPOINTS.set(mesh, byNs = new Map());
  if (byNs.has(namespace)) return;
  const revision = mesh.controlPlanes.find((cp) => cp.ambient)?.revision;
  byNs.set(namespace, new Gateway(owner, 'Waypoint', {
    metadata: { name: WAYPOINT_NAME, namespace, labels: waypointLabels(revision) },
    spec: renderWaypointSpec(revision),
  }));
}

/**
 * External services the ambient service calls through an egress gateway or with TLS
 * origination: their ServiceEntry is attached to its namespace's waypoint, which applies the
 * VirtualService to the egress gateway and the TLS-originating DestinationRule (ztunnel
 * alone would send the calls straight out).
 */
function attachExternalServices(service: AmbientServiceScope, mesh: MeshModel, model: ServiceModel): void {
  const externals = externalL7Of(mesh, model).filter((x) => waypointsAllowed(mesh, x.namespace));
  if (externals.length === 0) return;
  const byPath = new Map(service.node.root.node.findAll().map((c) => [c.node.path, c]));
  for (const x of externals) {
    const owner = byPath.get(x.path);
    const entry = owner?.node.tryFindChild('ServiceEntry');
    if (!owner || !entry) continue;
    ensureWaypoint(mesh, owner, x.namespace);
    ApiObject.of(entry).metadata.addLabel('istio.io/use-waypoint', WAYPOINT_NAME);
  }
}

export function finalizeAmbientService(service: AmbientServiceScope, model: ServiceModel): void {
  const mesh = MeshModel.of(service);
  attachExternalServices(service, mesh, model);
  admitScrapes(service, mesh, model);
  const waypoint = waypointOf(mesh, model);
  if (!waypoint) return;
  ensureWaypoint(mesh, service, service.namespace);
  // the service's Service and, with the Gateway API rendering, its per-version Services (the
  // HTTPRoutes' backends): the waypoint then sends to them through its inbound-vip clusters, with
  // their DestinationRules applied there, and calls addressed to them directly (clients, ingress
  // HTTPRoutes) pass the waypoint and its policies (targetRefs) too
  const versionServices = gatewayApiVersionServicesOf(mesh, model).map((v) => {
    const child = service.node.tryFindChild(`VersionService-${v.version}`);
    if (!child) throw new Error(`internal: ${service.node.path} has no Service for version ${v.version} of its Gateway API rendering`);
    return child;
  });
  for (const s of [service.service, ...versionServices]) {
    const svc = ApiObject.of(s);
    svc.metadata.addLabel('istio.io/use-waypoint', waypoint);
    svc.metadata.addLabel('istio.io/ingress-use-waypoint', 'true');
  }
  if (waypointOnly(mesh, model) && !service.node.tryFindChild('WaypointGuard')) {
    new AuthorizationPolicy(service, 'WaypointGuard', {
      metadata: {
        name: `${service.serviceName}-waypoint-only`,
        namespace: service.namespace,
        labels: { 'app': service.serviceName, 'app.kubernetes.io/name': service.serviceName },
      },
      spec: {
        selector: { matchLabels: { app: service.serviceName } },
        action: AuthorizationPolicySpecAction.ALLOW,
        rules: [{ from: [{ source: { principals: [waypointPrincipal(mesh.controlPlane.trustDomain, service.namespace)] } }] }],
      },
    });
  }
}

/**
 * The app's Prometheus servers scrape an ambient pod's own metrics endpoint by pod address,
 * as ambient workloads themselves (PrometheusAddon joins an ambient mesh), so ztunnel sees
 * their identity. When an ALLOW policy applies to the pods (the waypoint-only guard, the
 * service's authorization, a namespace's deny-by-default), a policy of their own admits those
 * identities on the metrics port, and on nothing else: ztunnel matches L4 only, so the path
 * cannot be narrowed further.
 */
function admitScrapes(service: AmbientServiceScope, mesh: MeshModel, model: ServiceModel): void {
  const metrics = model.metrics;
  if (!metrics || prometheusesOf(mesh).length === 0 || !underAllowPolicy(mesh, model) || service.node.tryFindChild('MetricsScrape')) return;
  new AuthorizationPolicy(service, 'MetricsScrape', {
    metadata: {
      name: `${service.serviceName}-metrics-scrape`,
      namespace: service.namespace,
      labels: { 'app': service.serviceName, 'app.kubernetes.io/name': service.serviceName },
    },
    spec: Lazy.any({
      produce: (): AuthorizationPolicySpec => ({
        selector: { matchLabels: { app: service.serviceName } },
        action: AuthorizationPolicySpecAction.ALLOW,
        rules: [{
          from: [{ source: { principals: prometheusesOf(mesh).map((p) => principalOf(mesh.controlPlane, p.namespace, p.serviceAccount)) } }],
          to: [{ operation: { ports: [String(metrics.port)] } }],
        }],
      }),
    }),
  });
}

/** True when an ALLOW policy (Istio's deny-by-default) applies to the service's pods. */
function underAllowPolicy(mesh: MeshModel, model: ServiceModel): boolean {
  if (waypointOnly(mesh, model)) return true;
  return authorizationPoliciesOf(mesh).some((p) => (p.action === undefined || p.action === 'ALLOW')
    && (p.namespace === model.namespace || (p.namespace === mesh.rootNamespace && !p.selector))
    && (!p.selector || Object.entries(p.selector).every(([k, v]) => model.selector[k] === v)));
}
