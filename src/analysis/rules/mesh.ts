import { Diagnostic } from '../../model/core';
import { PeerAuthenticationModel } from '../../model/security';
import { MeshSnapshot, ServiceSnapshot } from '../../model/snapshot';
import { propMessage } from '../../private/errors';
import { finding, RuleSet } from '../rule';

/** Whole-mesh rules over the service graph, external services and images (`MESHnnn`). */

const FIX_UNKNOWN_HOST = 'pass constructs of this app (a MeshService or ExternalService declared under the same App), or declare the destination in this app';

function unknownHosts(s: MeshSnapshot): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const e of s.edges) {
    if (s.service(e.to.host)) continue;
    out.push(finding(MESH_RULES.UNKNOWN_HOST, e.from.path,
      propMessage(e.reason, `must name a service of this app, but ${e.to.path} belongs to another App, so no Service, subset or Sidecar entry exists for it here`,
        e.to.host, FIX_UNKNOWN_HOST)));
  }
  const externalHosts = new Set(s.externalServices.flatMap((x) => x.hosts.map((h) => `${x.namespace}/${h}`)));
  for (const svc of s.services) {
    for (const entry of svc.externalDependencies) {
      if (externalHosts.has(entry) || s.service(entry.slice(entry.indexOf('/') + 1))) continue;
      out.push(finding(MESH_RULES.UNKNOWN_HOST, svc.path,
        propMessage('dependsOn', 'must name a destination declared in this app (no ServiceEntry of this app declares the host, so the sidecar would have no route to it)',
          entry, FIX_UNKNOWN_HOST)));
    }
  }
  for (const g of s.gateways) {
    for (const r of g.routes) {
      if (s.service(r.serviceHost)) continue;
      out.push(finding(MESH_RULES.UNKNOWN_HOST, g.path,
        propMessage(`routes[${r.index}].service`, 'must be a MeshService of this app (the route would point at a host with no Service in the output)', r.serviceHost, FIX_UNKNOWN_HOST)));
    }
  }
  return out;
}

function subsetsWithoutPods(svc: ServiceSnapshot): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const v of svc.versions) {
    // the labels the DestinationRule subset of the version selects on
    const labels = { version: v.podLabels.version };
    const selected = svc.versions.filter((p) => labels.version !== undefined && p.podLabels.version === labels.version
      && Object.entries(svc.selector).every(([k, val]) => p.podLabels[k] === val));
    if (selected.length === 1 && selected[0].name === v.name) continue;
    const what = selected.length === 0
      ? 'selects no pod template of the service, so requests routed to it fail with 503 (no healthy upstream)'
      : `selects the pods of versions ${selected.map((p) => JSON.stringify(p.name)).join(', ')}, so the split between versions is not what the routes say`;
    out.push(finding(MESH_RULES.SUBSET_SELECTS_NO_POD, svc.path,
      propMessage(`subsets[${JSON.stringify(v.name)}].labels`, `must select exactly the pods of version ${JSON.stringify(v.name)}: the subset ${what}`,
        labels, `label the pods of version ${JSON.stringify(v.name)} with version: ${JSON.stringify(v.name)} (and only those)`)));
  }
  return out;
}

const PLAINTEXT_PROTOCOLS: readonly string[] = ['HTTP', 'HTTP2', 'GRPC'];

function plaintextExternalCalls(s: MeshSnapshot): Diagnostic[] {
  const plaintext = s.externalServices.filter((x) => !x.originatesTls);
  return plaintext.flatMap((x) => x.ports.flatMap((p, i) => (!PLAINTEXT_PROTOCOLS.includes(p.protocol) ? [] : [
    finding(MESH_RULES.EXTERNAL_PLAINTEXT, x.path,
      propMessage(`ports[${i}].protocol`, `leaves the cluster in clear text to ${x.hosts.join(', ')} (no TLS, so nothing verifies the server either)`, p.protocol,
        'call the service over TLS (protocol TLS, port 443), or set tlsOrigination so the mesh opens a verified TLS connection')),
  ])));
}

function describeTarget(pa: PeerAuthenticationModel): string {
  if (pa.scope === 'mesh') return 'every workload of the mesh';
  if (pa.scope === 'namespace') return `every workload of namespace ${JSON.stringify(pa.namespace)}`;
  return `the workloads ${JSON.stringify(pa.selector)} in namespace ${JSON.stringify(pa.namespace)}`;
}

function permissivePolicies(s: MeshSnapshot): Diagnostic[] {
  // port-level PERMISSIVE (e.g. a metrics port scraped from outside the mesh) is a deliberate, narrow exception: not reported
  return s.security.peerAuthentications.filter((pa) => pa.mode === 'PERMISSIVE').map((pa) => finding(MESH_RULES.PERMISSIVE_MTLS, pa.path,
    propMessage('permissiveMigration', `leaves ${describeTarget(pa)} accepting plaintext as well as mTLS, so any pod (in the mesh or not) can call them without an identity`,
      true, 'finish the migration and drop permissiveMigration (STRICT); promote MESH004 with treatWarningsAsErrors() to keep it from shipping')));
}

function externalHostInMesh(s: MeshSnapshot): Diagnostic[] {
  return s.externalServices.flatMap((x) => x.hosts.flatMap((h, i) => {
    const svc = s.services.find((c) => [c.host, `${c.name}.${c.namespace}`, `${c.name}.${c.namespace}.svc`].includes(h) || (h === c.name && c.namespace === x.namespace));
    if (!svc && !h.endsWith(`.svc.${s.clusterDomain}`)) return [];
    return [finding(MESH_RULES.EXTERNAL_HOST_IN_MESH, x.path,
      propMessage(`hosts[${i}]`, svc
        ? `is the in-mesh service ${svc.path}: a ServiceEntry for it overrides the mesh's own routing, mTLS and subsets for every caller`
        : 'is a Kubernetes Service inside the cluster: Istio already knows it from the Kubernetes registry, and a ServiceEntry would shadow it',
      h, svc ? `call ${svc.name} with dependsOn(${svc.name}) instead of declaring it as external` : 'remove the host; in-cluster services need no ServiceEntry'))];
  }));
}

function injectionDisabled(s: MeshSnapshot): Diagnostic[] {
  const uninjected = s.namespaces.filter((n) => n.declaration && !n.declaration.injection);
  return uninjected.flatMap((ns) => s.services.filter((svc) => svc.namespace === ns.name).map((svc) =>
    finding(MESH_RULES.INJECTION_DISABLED, svc.path,
      propMessage('namespace', `has sidecar injection disabled (${ns.declaration!.path}), so the pods of ${svc.name} get no Envoy: its mTLS, authorization, routes to its versions and Sidecar scoping cannot apply`,
        ns.name, `enable injection on ${ns.declaration!.path} (injection: true), or move the service to an injected namespace`))));
}

/** The tag of an image reference, or undefined when it has none (a digest counts as pinned). */
function tagOf(image: string): string | undefined {
  if (image.includes('@')) return 'digest';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return colon < 0 ? undefined : last.slice(colon + 1);
}

function mutableImages(s: MeshSnapshot): Diagnostic[] {
  return s.hygiene.images.flatMap((u) => {
    const tag = u.prop === 'tag' ? u.image : tagOf(u.image);
    if (tag !== undefined && tag !== 'latest') return [];
    return [finding(MESH_RULES.MUTABLE_IMAGE, u.path,
      propMessage(u.prop, `${tag === 'latest' ? 'uses the mutable tag \'latest\'' : 'has no tag (the registry serves \'latest\')'}: pods started at different times run different code, and a rollback does not restore the previous code`,
        u.image, 'pin a version tag or a digest, e.g. \'ghcr.io/acme/app:1.4.2\''))];
  });
}

function egressOnlyControlPlane(s: MeshSnapshot): Diagnostic[] {
  const called = new Set(s.edges.map((e) => e.to.host));
  return s.services.flatMap((svc) => {
    if (svc.egressScoped === false || called.has(svc.host) || svc.egressHosts.some((h) => !h.endsWith('/*'))) return [];
    return [finding(MESH_RULES.EGRESS_ONLY_CONTROL_PLANE, svc.path,
      propMessage('dependsOn', `is empty and no service calls ${svc.name}, so its Sidecar lets it reach only the control plane (${svc.egressHosts.join(', ')}); any call it makes to another service fails at run time`,
        [], `declare what it calls with ${svc.name}.dependsOn(...), or set egressScoping: false`))];
  });
}

export const MESH_RULES: RuleSet<'UNKNOWN_HOST' | 'SUBSET_SELECTS_NO_POD' | 'EXTERNAL_PLAINTEXT' | 'PERMISSIVE_MTLS' | 'EXTERNAL_HOST_IN_MESH'
| 'INJECTION_DISABLED' | 'MUTABLE_IMAGE' | 'EGRESS_ONLY_CONTROL_PLANE'> = {
  UNKNOWN_HOST: {
    code: 'MESH001',
    severity: 'error',
    reportedOn: 'the caller `MeshService` / the `IngressGateway`',
    summary: 'A call edge (`dependsOn`, `allowFrom`), an external dependency or a gateway route names a destination that is not declared in this app (e.g. a construct of another `App`): the output would route to a host with no Service, subset or Sidecar entry.',
    fix: 'Pass constructs declared under the same App.',
    check: unknownHosts,
  },
  SUBSET_SELECTS_NO_POD: {
    code: 'MESH002',
    severity: 'error',
    reportedOn: 'the `MeshService`',
    summary: 'A DestinationRule subset\'s labels select no pod template of the service (requests to it fail with 503), or select the pods of several versions (the weights are not what the routes say).',
    fix: 'Label each version\'s pods with `version: <name>`, and only those.',
    check: (s) => s.services.flatMap(subsetsWithoutPods),
  },
  EXTERNAL_PLAINTEXT: {
    code: 'MESH003',
    severity: 'warning',
    reportedOn: 'the `ExternalService`',
    summary: 'A plain-HTTP/HTTP2/gRPC port of an external service without `tlsOrigination`: requests leave the cluster in clear text and nothing verifies the server.',
    fix: 'Call it over TLS (`ExternalProtocol.TLS`, 443) or set `tlsOrigination`.',
    check: plaintextExternalCalls,
  },
  PERMISSIVE_MTLS: {
    code: 'MESH004',
    severity: 'warning',
    reportedOn: 'the `StrictMtls`',
    summary: 'A PeerAuthentication left PERMISSIVE (`permissiveMigration: true`): workloads accept plaintext from any pod, with no identity. Port-level PERMISSIVE exceptions are deliberate and not reported.',
    fix: 'Finish the migration (STRICT); promote MESH004 to keep it from shipping.',
    check: permissivePolicies,
  },
  EXTERNAL_HOST_IN_MESH: {
    code: 'MESH006',
    severity: 'error',
    reportedOn: 'the `ExternalService`',
    summary: 'A host of an external service is a service inside the mesh (or any `*.svc.<cluster domain>` host): the ServiceEntry would shadow the mesh\'s own routing, mTLS and subsets.',
    fix: 'Call the service with `dependsOn`; in-cluster services need no ServiceEntry.',
    check: externalHostInMesh,
  },
  INJECTION_DISABLED: {
    code: 'MESH007',
    severity: 'error',
    reportedOn: 'the `MeshService`',
    summary: 'The service\'s namespace is declared with `MeshNamespace({ injection: false })`: its pods get no Envoy, so its mTLS, authorization, version routing and Sidecar scoping cannot apply.',
    fix: 'Enable injection, or move the service.',
    check: injectionDisabled,
  },
  MUTABLE_IMAGE: {
    code: 'MESH008',
    severity: 'warning',
    reportedOn: 'the `MeshService` / `IstioControlPlane`',
    summary: 'A `latest` or untagged image (or control-plane `tag: \'latest\'`): pods started at different times run different code and rollbacks do not restore code.',
    fix: 'Pin a version tag or a digest.',
    check: mutableImages,
  },
  EGRESS_ONLY_CONTROL_PLANE: {
    code: 'MESH009',
    severity: 'warning',
    reportedOn: 'the `MeshService`',
    summary: 'A service with no `dependsOn` that no service calls: its derived Sidecar reaches only the control plane, so any call it makes fails at run time.',
    fix: 'Declare its dependencies, or `egressScoping: false`.',
    check: egressOnlyControlPlane,
  },
};
