import { defaultDestinations } from './virtual-service';
import { MeshModel, ServiceModel } from '../model';
import { isAmbient, l7NeedsOf, namespaceDataPlaneOf, waypointOf } from '../model/ambient';
import { externalServicesOf, ExternalServiceModel, GatewayModel, gatewaysOf } from '../model/gateways';
import { clientTlsModeOf, effectiveMtlsOf } from '../model/security';
import { releaseOf } from '../model/traffic';

/** A Mermaid node id from arbitrary text (stable, collision-free for DNS names). */
function nodeId(prefix: string, ...parts: string[]): string {
  return `${prefix}_${parts.join('__').replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function quote(label: string): string {
  return `"${label.replace(/"/g, '#quot;')}"`;
}

function byString<T>(key: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };
}

/** Extra lines other areas contribute. */
export interface TopologyContribution {
  /** Lines placed inside the flowchart, after everything else. */
  readonly lines: string[];
}

const contributors = new WeakMap<MeshModel, Array<(model: MeshModel) => TopologyContribution>>();

/** Lets an area add to the diagram of a model. */
export function addTopologyContributor(model: MeshModel, fn: (model: MeshModel) => TopologyContribution): void {
  const list = contributors.get(model) ?? [];
  if (!list.includes(fn)) list.push(fn);
  contributors.set(model, list);
}

/** Mermaid node id of a service (for contributors drawing edges to it). */
export function serviceNodeId(service: ServiceModel): string {
  return nodeId('svc', service.namespace, service.name);
}

function gatewayNodeId(g: GatewayModel): string {
  return nodeId('gw', g.namespace, g.name);
}

function externalNodeId(x: ExternalServiceModel): string {
  return nodeId('ext', x.namespace, x.name);
}

/**
 * How calls to `callee` are protected, from the security model: `mTLS` when
 * its workloads only accept mTLS (STRICT), `plaintext` when the callers'
 * DestinationRule disables TLS or the workloads disable mTLS, otherwise
 * `mTLS optional` (PERMISSIVE, explicit or Istio's default).
 */
function transportOf(model: MeshModel, callee: ServiceModel): string {
  const mode = effectiveMtlsOf(model, callee).mode;
  if (mode === 'DISABLE' || clientTlsModeOf(model, callee.host) === 'DISABLE') return 'plaintext';
  return mode === 'STRICT' ? 'mTLS' : 'mTLS optional';
}

function serviceLabel(model: MeshModel, s: ServiceModel): string {
  const shares = new Map<string, number>();
  for (const d of defaultDestinations(model, s)) shares.set(d.subset, d.weight ?? 100);
  const release = releaseOf(model, s.host);
  const managed = release?.managedSubsets;
  const versions = managed ? [`${release!.stable} → ${release!.canary} (Argo Rollouts)`] : s.versions.map((v) => {
    const share = shares.get(v.name);
    return `${v.name}${share !== undefined ? ` ${share}%` : ''}${v.replicas === 0 ? ' (0 replicas)' : ''}`;
  });
  const eff = effectiveMtlsOf(model, s);
  const authz = incomingAuthorized(model).has(s.host) ? ' · authz' : '';
  // ambient (issue 17): no sidecar; ztunnel (L4) and, where the intent needs L7, the namespace waypoint
  const ambient = isAmbient(model, s.host) ? `<br/>ambient${waypointOf(model, s) ? ' · via waypoint' : ' · L4 only'}` : '';
  return `${s.name}<br/>${versions.join(' · ')}<br/>${eff.source ? `mTLS ${eff.mode}` : 'no mTLS policy'}${authz}${ambient}`;
}

const AUTHORIZED = new WeakMap<MeshModel, { edges: number; hosts: Set<string> }>();

/** Hosts of services that admit callers by identity (an `allowFrom` edge ends there). */
function incomingAuthorized(model: MeshModel): Set<string> {
  const cached = AUTHORIZED.get(model);
  if (cached && cached.edges === model.edges.length) return cached.hosts;
  const hosts = new Set(model.edges.filter((e) => e.reason === 'allowFrom').map((e) => e.to.host));
  AUTHORIZED.set(model, { edges: model.edges.length, hosts });
  return hosts;
}

/**
 * Renders the mesh as a Mermaid flowchart: namespaces as subgraphs holding
 * their gateways (hexagons) and services (with their versions, the share of
 * default traffic each version receives, and the mTLS/authorization posture);
 * call edges between services (solid when the callee authorizes the caller by
 * identity, dashed when only declared with `dependsOn`) labelled with how the
 * call is protected; ingress routes (labelled with their hosts); and external
 * services, reached directly or through their egress gateway.
 * Deterministic: everything is sorted.
 */
export function renderMermaid(model: MeshModel): string {
  const lines: string[] = ['flowchart LR'];
  const gateways = [...gatewaysOf(model)].sort(byString((g) => `${g.namespace}/${g.name}`));
  const externals = [...externalServicesOf(model)].sort(byString((x) => `${x.namespace}/${x.name}`));

  const namespaces = new Set<string>([...model.services.map((s) => s.namespace), ...gateways.map((g) => g.namespace)]);
  for (const ns of [...namespaces].sort()) {
    const ambientNs = namespaceDataPlaneOf(model, ns)?.mode === 'ambient';
    lines.push(`  subgraph ${nodeId('ns', ns)}[${quote(`namespace ${ns}${ambientNs ? ' · ambient' : ''}`)}]`);
    for (const g of gateways.filter((x) => x.namespace === ns)) {
      lines.push(`    ${gatewayNodeId(g)}{{${quote(`${g.direction} gateway ${g.name}`)}}}`);
    }
    const waypointServices = model.services.filter((x) => x.namespace === ns && waypointOf(model, x) !== undefined);
    if (waypointServices.length > 0) lines.push(`    ${nodeId('wp', ns)}{{${quote('waypoint (L7)')}}}`);
    for (const s of model.services.filter((x) => x.namespace === ns).sort(byString((x) => x.name))) {
      lines.push(`    ${serviceNodeId(s)}[${quote(serviceLabel(model, s))}]`);
    }
    lines.push('  end');
  }
  if (externals.length > 0) {
    lines.push(`  subgraph outside[${quote('outside the mesh')}]`);
    for (const x of externals) {
      const ports = x.ports.map((p) => `${p.protocol} ${p.number}`).join(', ');
      lines.push(`    ${externalNodeId(x)}[/${quote(`${x.hosts.join('<br/>')}<br/>${ports}`)}/]`);
    }
    lines.push('  end');
  }

  const edgeLines = new Set<string>();
  // ingress: gateway -> service, one edge per (gateway, service) with its hosts
  for (const g of gateways) {
    const hostsByService = new Map<string, Set<string>>();
    for (const r of g.routes) {
      const set = hostsByService.get(r.serviceHost) ?? new Set<string>();
      set.add(r.host);
      hostsByService.set(r.serviceHost, set);
    }
    for (const [serviceHost, hosts] of hostsByService) {
      const s = model.findService(serviceHost);
      if (!s) continue;
      edgeLines.add(`  ${gatewayNodeId(g)} -->|${quote(`${[...hosts].sort().join(', ')} · ${transportOf(model, s)}`)}| ${serviceNodeId(s)}`);
    }
  }

  // east-west: service -> service
  const calls = new Map<string, { from: ServiceModel; to: ServiceModel; authorized: boolean }>();
  for (const e of model.edges) {
    const from = model.findService(e.from.host) ?? e.from;
    const to = model.findService(e.to.host) ?? e.to;
    const key = `${from.host}->${to.host}`;
    const entry = calls.get(key) ?? { from, to, authorized: false };
    if (e.reason === 'allowFrom') entry.authorized = true;
    calls.set(key, entry);
  }
  for (const c of calls.values()) {
    const transport = transportOf(model, c.to);
    edgeLines.add(c.authorized
      ? `  ${serviceNodeId(c.from)} -->|${quote(`${transport} · authz`)}| ${serviceNodeId(c.to)}`
      : `  ${serviceNodeId(c.from)} -.->|${quote(`calls · ${transport}`)}| ${serviceNodeId(c.to)}`);
  }

  // egress: service -> external service (through the egress gateway when there is one)
  for (const s of model.services) {
    const entries = new Set(model.extraEgressHosts(s.host));
    for (const x of externals) {
      if (!x.hosts.some((h) => entries.has(`${x.namespace}/${h}`))) continue;
      const gateway = x.egressGatewayPath ? gateways.find((g) => g.path === x.egressGatewayPath) : undefined;
      const last = x.originatesTls ? 'TLS originated' : x.ports.map((p) => p.protocol).join(', ');
      if (gateway) {
        edgeLines.add(`  ${serviceNodeId(s)} -.->|${quote('calls · mTLS')}| ${gatewayNodeId(gateway)}`);
        edgeLines.add(`  ${gatewayNodeId(gateway)} -->|${quote(last)}| ${externalNodeId(x)}`);
      } else {
        edgeLines.add(`  ${serviceNodeId(s)} -.->|${quote(`calls · ${last}`)}| ${externalNodeId(x)}`);
      }
    }
  }
  // ambient: the waypoint serves the L7 intent of the services attached to it
  for (const s of model.services) {
    if (!waypointOf(model, s)) continue;
    const what = [...new Set(l7NeedsOf(model, s).map((n) => n.what.replace(/ ".*"$| of .*$/, '')))].sort().join(', ');
    edgeLines.add(`  ${nodeId('wp', s.namespace)} -->|${quote(what)}| ${serviceNodeId(s)}`);
  }
  lines.push(...[...edgeLines].sort());
  for (const fn of contributors.get(model) ?? []) lines.push(...fn(model).lines);
  return lines.join('\n') + '\n';
}
