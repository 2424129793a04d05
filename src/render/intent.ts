import { dataPlaneOf, namespaceDataPlaneOf, waypointOf, waypointOnly, waypointServicesOf } from '../model/ambient';
import { externalServicesOf, gatewaysOf } from '../model/gateways';
import { MeshModel, ServiceModel } from '../model/mesh-model';
import { prometheusesOf } from '../model/observability';
import { gatewayApiVersionServicesOf, routingApiOf } from '../model/routing';
import {
  authorizationPoliciesOf, clientTlsModeOf, identitiesOf, jwtProvidersOf, jwtRequirementsOf, namespaceOf, peerAuthentications,
} from '../model/security';
import { findTraffic } from '../model/traffic';

/**
 * The resolved intent of a mesh, machine-readable: what the app's constructs
 * declared (services, versions, who calls whom, routes and releases, traffic
 * policies, mTLS, authorization, tokens, gateways, external services, data
 * planes), read from the mesh model, never from the rendered objects.
 * `MeshApp` writes it beside the manifests (`mesh-intent.jsonc`), so any
 * output folder can be judged against what was declared: the conformance
 * suite's behaviour stage derives requests and their expected outcomes from
 * it and sends them through the Envoy configuration istiod generates.
 *
 * The document is plain JSON (the `.jsonc` extension keeps `kubectl apply -f
 * dist/` and Argo CD directory sources, which read `*.json`, `*.yaml` and
 * `*.yml`, from taking it for a manifest). Its shape is versioned by
 * `version`; fields are only added within a version.
 */

/** The version of the intent document's shape. */
export const MESH_INTENT_VERSION = 1;

/** The `kind` of the intent document. */
export const MESH_INTENT_KIND = 'MeshIntent';

/** The intent document (a JSON object; see `renderMeshIntent`). */
export type MeshIntentDocument = Record<string, unknown>;

/** The intent of the app whose model is `model`, as one JSON document with sorted, deterministic content. */
export function renderMeshIntent(model: MeshModel): MeshIntentDocument {
  const cp = model.controlPlane;
  const firstCp = model.controlPlanes[0];
  return {
    kind: MESH_INTENT_KIND,
    version: MESH_INTENT_VERSION,
    mesh: {
      trustDomain: cp.trustDomain,
      clusterDomain: cp.clusterDomain,
      rootNamespace: cp.rootNamespace,
      controlPlaneNamespace: cp.namespace,
      // undefined when the app installs no control plane (the cluster's istiod decides)
      outboundTrafficPolicy: firstCp?.outboundTrafficPolicy,
      ambient: model.controlPlanes.some((c) => c.ambient === true),
    },
    namespaces: namespacesOf(model),
    services: sorted(model.services, (s) => s.host).map((s) => serviceIntent(model, s)),
    identities: sorted(identitiesOf(model), (i) => i.path).map((i) => ({ path: i.path, namespace: i.namespace, serviceAccount: i.serviceAccount })),
    peerAuthentications: sorted(peerAuthentications(model), (pa) => pa.path).map((pa) => ({ ...pa, namespace: namespaceOf(model, pa) })),
    authorizationPolicies: sorted(authorizationPoliciesOf(model), (p) => p.path),
    jwtProviders: sorted(jwtProvidersOf(model), (p) => p.path).map((p) => ({ ...p, namespace: namespaceOf(model, p) })),
    jwtRequirements: sorted(jwtRequirementsOf(model), (r) => `${r.path}|${r.serviceHost}`),
    gateways: sorted(gatewaysOf(model), (g) => g.path),
    externalServices: sorted(externalServicesOf(model), (x) => x.path),
    prometheus: sorted(prometheusesOf(model), (p) => p.path),
  };
}

/**
 * `items` ordered by `key`: the document does not depend on the order constructs were
 * declared in (only orders that mean something are kept: a service's routes, a policy's rules).
 */
function sorted<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** The document as `MeshApp` writes it: two-space indented JSON and a final newline. */
export function meshIntentText(model: MeshModel): string {
  return `${JSON.stringify(renderMeshIntent(model), undefined, 2)}\n`;
}

function namespacesOf(model: MeshModel): Record<string, unknown>[] {
  const names = new Set<string>([...model.namespaces.map((n) => n.name), ...model.services.map((s) => s.namespace)]);
  return [...names].sort().map((name) => {
    const declared = model.namespaces.find((n) => n.name === name);
    const dataPlane = namespaceDataPlaneOf(model, name);
    return {
      name,
      declared: declared !== undefined,
      injection: declared?.injection,
      revision: declared?.revision,
      dataPlane: dataPlane?.mode,
      waypoints: dataPlane?.waypoints,
    };
  });
}

function serviceIntent(model: MeshModel, service: ServiceModel): Record<string, unknown> {
  const traffic = findTraffic(model, service.host);
  const versionPolicies: Record<string, unknown> = {};
  for (const [version, v] of [...(traffic?.versionPolicies ?? new Map()).entries()].sort(([a], [b]) => a.localeCompare(b))) {
    versionPolicies[version] = v.policy;
  }
  return {
    ...service,
    dataPlane: dataPlaneOf(model, service.host),
    routingApi: routingApiOf(model, service.host),
    versionServices: gatewayApiVersionServicesOf(model, service),
    waypoint: waypointOf(model, service),
    waypointServices: waypointServicesOf(model, service),
    waypointOnly: waypointOnly(model, service),
    // who it calls: `dependsOn` and the callers `allowFrom` admits
    calls: sorted(model.edgesFrom(service.host), (e) => `${e.to.host}|${e.reason}`).map((e) => ({ host: e.to.host, reason: e.reason })),
    // `<namespace>/<host>` of the external services it calls
    externalHosts: [...model.extraEgressHosts(service.host)].sort(),
    clientTls: clientTlsModeOf(model, service.host),
    routes: traffic?.routes ?? [],
    releases: traffic?.releases ?? [],
    trafficPolicy: traffic?.policy,
    versionPolicies,
  };
}
