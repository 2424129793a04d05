import { defaultDestinations } from './destinations';
import { MeshModel, ServiceModel } from '../model';

/** A Mermaid node id from arbitrary text (stable, collision-free for DNS names). */
function nodeId(prefix: string, ...parts: string[]): string {
  return `${prefix}_${parts.join('__').replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function quote(label: string): string {
  return `"${label.replace(/"/g, '#quot;')}"`;
}

/** Extra lines other areas contribute (gateways, security markings...). */
export interface TopologyContribution {
  /** Lines placed inside the flowchart, after services. */
  readonly lines: string[];
}

const contributors = new WeakMap<MeshModel, Array<(model: MeshModel) => TopologyContribution>>();

/** Lets an area (gateways, security) add to the diagram of a model. */
export function addTopologyContributor(model: MeshModel, fn: (model: MeshModel) => TopologyContribution): void {
  const list = contributors.get(model) ?? [];
  if (!list.includes(fn)) list.push(fn);
  contributors.set(model, list);
}

/** Mermaid node id of a service (for contributors drawing edges to it). */
export function serviceNodeId(service: ServiceModel): string {
  return nodeId('svc', service.namespace, service.name);
}

/**
 * Renders the mesh as a Mermaid flowchart: namespaces as subgraphs, services
 * with their versions and the share of default traffic each receives, call
 * edges (`dependsOn` dashed, authorized calls solid), plus contributions.
 * Deterministic: everything is sorted.
 */
export function renderMermaid(model: MeshModel): string {
  const lines: string[] = ['flowchart LR'];
  const byNs = new Map<string, ServiceModel[]>();
  for (const s of model.services) byNs.set(s.namespace, [...(byNs.get(s.namespace) ?? []), s]);
  for (const ns of [...byNs.keys()].sort()) {
    lines.push(`  subgraph ${nodeId('ns', ns)}[${quote(`namespace ${ns}`)}]`);
    for (const s of byNs.get(ns)!.sort((a, b) => a.name.localeCompare(b.name))) {
      const shares = new Map<string, number>();
      const dests = defaultDestinations(model, s);
      for (const d of dests) shares.set(d.subset, d.weight ?? 100);
      const versions = s.versions.map((v) => {
        const share = shares.get(v.name);
        return `${v.name}${share !== undefined ? ` ${share}%` : ''}${v.replicas === 0 ? ' (0 replicas)' : ''}`;
      });
      lines.push(`    ${serviceNodeId(s)}[${quote(`${s.name}<br/>${versions.join(' · ')}`)}]`);
    }
    lines.push('  end');
  }
  const edges = new Map<string, { from: string; to: string; reasons: Set<string> }>();
  for (const e of model.edges) {
    const from = model.findService(e.from.host) ?? e.from;
    const to = model.findService(e.to.host) ?? e.to;
    const key = `${serviceNodeId(from)}->${serviceNodeId(to)}`;
    const entry = edges.get(key) ?? { from: serviceNodeId(from), to: serviceNodeId(to), reasons: new Set<string>() };
    entry.reasons.add(e.reason);
    edges.set(key, entry);
  }
  for (const key of [...edges.keys()].sort()) {
    const e = edges.get(key)!;
    const authorized = e.reasons.has('allowFrom');
    lines.push(authorized ? `  ${e.from} -->|${quote('mTLS · authz')}| ${e.to}` : `  ${e.from} -.->|calls| ${e.to}`);
  }
  for (const fn of contributors.get(model) ?? []) lines.push(...fn(model).lines);
  return lines.join('\n') + '\n';
}
