import { IConstruct } from 'constructs';
import { Diagnostic, MeshModel, ServiceModel } from '../../model';
import { externalServicesOf, gatewaysOf } from '../../model/gateways';
import { peerAuthentications, PeerAuthenticationModel } from '../../model/security';
import { propMessage } from '../../private/errors';

/**
 * Whole-mesh rules of the analysis area (codes `MESHnnn`). Each reads the
 * plain-data model only and reports on the construct path whose input
 * caused the finding. The rules of the other areas (TRAFFIC, SEC, MESH-GW,
 * OBS, CP) live beside their model; `docs/analysis-rules.md` lists them all.
 */
export const MESH_RULES = {
  /** A call edge or gateway route names a host this app does not declare. */
  UNKNOWN_HOST: 'MESH001',
  /** A DestinationRule subset selects no pod template, or the pods of several versions. */
  SUBSET_SELECTS_NO_POD: 'MESH002',
  /** A plain-HTTP port of an external service is called without TLS origination. */
  EXTERNAL_PLAINTEXT: 'MESH003',
  /** A PeerAuthentication left PERMISSIVE (plaintext accepted). */
  PERMISSIVE_MTLS: 'MESH004',
} as const;

/** Registers the MESH rules; called once per model by the rule catalog (`./catalog.ts`). */
export function registerMeshRules(model: MeshModel): void {
  model.addRule(MESH_RULES.UNKNOWN_HOST, unknownHosts);
  model.addRule(MESH_RULES.SUBSET_SELECTS_NO_POD, subsetsWithoutPods);
  model.addRule(MESH_RULES.EXTERNAL_PLAINTEXT, plaintextExternalCalls);
  model.addRule(MESH_RULES.PERMISSIVE_MTLS, permissivePolicies);
}

/**
 * Fatal findings that no construct reports: their path names no construct,
 * or that construct's validations do not include them.
 */
export function unsurfacedFindings(root: IConstruct, model: MeshModel): Diagnostic[] {
  const fatal = model.diagnostics().filter((d) => model.isFatal(d));
  if (fatal.length === 0) return [];
  const byPath = new Map<string, IConstruct>();
  for (const c of root.node.findAll()) byPath.set(c.node.path, c);
  const reported = new Map<string, Set<string>>();
  return fatal.filter((d) => {
    const c = byPath.get(d.path);
    if (!c || c === root) return true;
    let messages = reported.get(d.path);
    if (!messages) reported.set(d.path, (messages = new Set(c.node.validate())));
    return !messages.has(`${d.code}: ${d.message}`);
  });
}

function err(code: string, path: string, message: string): Diagnostic {
  return { code, severity: 'error', path, message };
}

function unknownHosts(model: MeshModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const fix = 'pass constructs of this app (a MeshService or ExternalService declared under the same App), or declare the destination in this app';
  for (const e of model.edges) {
    if (model.findService(e.to.host)) continue;
    out.push(err(MESH_RULES.UNKNOWN_HOST, e.from.path,
      propMessage(e.reason, `must name a service of this app, but ${e.to.path} belongs to another App, so no Service, subset or Sidecar entry exists for it here`,
        e.to.host, fix)));
  }
  const externalHosts = new Set(externalServicesOf(model).flatMap((x) => x.hosts.map((h) => `${x.namespace}/${h}`)));
  for (const s of model.services) {
    for (const entry of model.extraEgressHosts(s.host)) {
      if (externalHosts.has(entry) || model.findService(entry.slice(entry.indexOf('/') + 1))) continue;
      out.push(err(MESH_RULES.UNKNOWN_HOST, s.path,
        propMessage('dependsOn', 'must name a destination declared in this app (no ServiceEntry of this app declares the host, so the sidecar would have no route to it)',
          entry, fix)));
    }
  }
  for (const g of gatewaysOf(model)) {
    for (const r of g.routes) {
      if (model.findService(r.serviceHost)) continue;
      out.push(err(MESH_RULES.UNKNOWN_HOST, g.path,
        propMessage(`routes[${r.index}].service`, 'must be a MeshService of this app (the route would point at a host with no Service in the output)', r.serviceHost, fix)));
    }
  }
  return out;
}

/** Labels the DestinationRule subset of `version` selects on (as `renderDestinationRuleSpec` emits them). */
function subsetLabels(service: ServiceModel, version: string): Record<string, string | undefined> {
  return { version: service.versions.find((v) => v.name === version)?.podLabels.version };
}

function subsetsWithoutPods(model: MeshModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const s of model.services) {
    for (const v of s.versions) {
      const labels = subsetLabels(s, v.name);
      const entries = Object.entries(labels);
      const selected = s.versions.filter((p) => entries.every(([k, val]) => val !== undefined && p.podLabels[k] === val)
        && Object.entries(s.selector).every(([k, val]) => p.podLabels[k] === val));
      if (selected.length === 1 && selected[0].name === v.name) continue;
      const what = selected.length === 0
        ? 'selects no pod template of the service, so requests routed to it fail with 503 (no healthy upstream)'
        : `selects the pods of versions ${selected.map((p) => JSON.stringify(p.name)).join(', ')}, so the split between versions is not what the routes say`;
      out.push(err(MESH_RULES.SUBSET_SELECTS_NO_POD, s.path,
        propMessage(`subsets[${JSON.stringify(v.name)}].labels`, `must select exactly the pods of version ${JSON.stringify(v.name)}: the subset ${what}`,
          labels, `label the pods of version ${JSON.stringify(v.name)} with version: ${JSON.stringify(v.name)} (and only those)`)));
    }
  }
  return out;
}

const PLAINTEXT_PROTOCOLS = ['HTTP', 'HTTP2', 'GRPC'];

function plaintextExternalCalls(model: MeshModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const x of externalServicesOf(model)) {
    if (x.originatesTls) continue;
    x.ports.forEach((p, i) => {
      if (!PLAINTEXT_PROTOCOLS.includes(p.protocol)) return;
      out.push({
        code: MESH_RULES.EXTERNAL_PLAINTEXT,
        severity: 'warning',
        path: x.path,
        message: propMessage(`ports[${i}].protocol`, `leaves the cluster in clear text to ${x.hosts.join(', ')} (no TLS, so nothing verifies the server either)`, p.protocol,
          'call the service over TLS (protocol TLS, port 443), or set tlsOrigination so the mesh opens a verified TLS connection'),
      });
    });
  }
  return out;
}

function permissivePolicies(model: MeshModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  // port-level PERMISSIVE (e.g. a metrics port scraped from outside the mesh) is a deliberate, narrow exception: not reported
  for (const pa of peerAuthentications(model)) {
    if (pa.mode !== 'PERMISSIVE') continue;
    out.push({
      code: MESH_RULES.PERMISSIVE_MTLS,
      severity: 'warning',
      path: pa.path,
      message: propMessage('permissiveMigration', `leaves ${describeTarget(pa)} accepting plaintext as well as mTLS, so any pod (in the mesh or not) can call them without an identity`,
        true, 'finish the migration and drop permissiveMigration (STRICT); promote MESH004 with treatWarningsAsErrors() to keep it from shipping'),
    });
  }
  return out;
}

function describeTarget(pa: PeerAuthenticationModel): string {
  if (pa.scope === 'mesh') return 'every workload of the mesh';
  if (pa.scope === 'namespace') return `every workload of namespace ${JSON.stringify(pa.namespace)}`;
  return `the workloads ${JSON.stringify(pa.selector)} in namespace ${JSON.stringify(pa.namespace)}`;
}
