import { defaultDestinations } from './virtual-service';
import { ServiceModel } from '../model/core';
import { ExternalServiceModel, GatewayModel } from '../model/gateways';
import { MeshSnapshot, ServiceSnapshot } from '../model/snapshot';

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

/** Mermaid node id of a service. */
function serviceNodeId(service: ServiceModel): string {
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
function transportOf(callee: ServiceSnapshot): string {
  const mode = callee.mtls.mode;
  if (mode === 'DISABLE' || callee.clientTls === 'DISABLE') return 'plaintext';
  return mode === 'STRICT' ? 'mTLS' : 'mTLS optional';
}

function serviceLabel(s: ServiceSnapshot, authorized: ReadonlySet<string>): string {
  const shares = new Map<string, number>();
  for (const d of defaultDestinations(s)) shares.set(d.subset, d.weight ?? 100);
  const release = s.release;
  const managed = release?.managedSubsets;
  const versions = managed ? [`${release!.stable} → ${release!.canary} (Argo Rollouts)`] : s.versions.map((v) => {
    const share = shares.get(v.name);
    return `${v.name}${share !== undefined ? ` ${share}%` : ''}${v.replicas === 0 ? ' (0 replicas)' : ''}`;
  });
  const eff = s.mtls;
  const authz = authorized.has(s.host) ? ' · authz' : '';
  // ambient: no sidecar; ztunnel (L4) and, where the intent needs L7, the namespace waypoint
  const ambient = s.dataPlane === 'ambient' ? `<br/>ambient${s.waypoint ? ' · via waypoint' : ' · L4 only'}` : '';
  return `${s.name}<br/>${versions.join(' · ')}<br/>${eff.source ? `mTLS ${eff.mode}` : 'no mTLS policy'}${authz}${ambient}`;
}

/** The namespaces (services and gateways) as subgraphs, and the external services outside them. */
function nodeLines(snapshot: MeshSnapshot, gateways: readonly GatewayModel[], externals: readonly ExternalServiceModel[]): string[] {
  const lines: string[] = [];
  const authorized = new Set(snapshot.edges.filter((e) => e.reason === 'allowFrom').map((e) => e.to.host));
  const namespaces = new Set<string>([...snapshot.services.map((s) => s.namespace), ...gateways.map((g) => g.namespace)]);
  for (const ns of [...namespaces].sort()) {
    const ambientNs = snapshot.namespace(ns)?.dataPlane === 'ambient';
    lines.push(`  subgraph ${nodeId('ns', ns)}[${quote(`namespace ${ns}${ambientNs ? ' · ambient' : ''}`)}]`);
    for (const g of gateways.filter((x) => x.namespace === ns)) {
      lines.push(`    ${gatewayNodeId(g)}{{${quote(`${g.direction} gateway ${g.name}`)}}}`);
    }
    if (snapshot.services.some((x) => x.namespace === ns && x.waypoint !== undefined)) lines.push(`    ${nodeId('wp', ns)}{{${quote('waypoint (L7)')}}}`);
    for (const s of snapshot.services.filter((x) => x.namespace === ns).sort(byString((x) => x.name))) {
      lines.push(`    ${serviceNodeId(s)}[${quote(serviceLabel(s, authorized))}]`);
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
  return lines;
}

/** Ingress: gateway -> service, one edge per (gateway, service) with its hosts. */
function ingressEdges(snapshot: MeshSnapshot, gateways: readonly GatewayModel[]): string[] {
  const out: string[] = [];
  for (const g of gateways) {
    const hostsByService = new Map<string, Set<string>>();
    for (const r of g.routes) hostsByService.set(r.serviceHost, new Set([...(hostsByService.get(r.serviceHost) ?? []), r.host]));
    for (const [serviceHost, hosts] of hostsByService) {
      const s = snapshot.service(serviceHost);
      if (s) out.push(`  ${gatewayNodeId(g)} -->|${quote(`${[...hosts].sort().join(', ')} · ${transportOf(s)}`)}| ${serviceNodeId(s)}`);
    }
  }
  return out;
}

/** East-west: service -> service, solid when the callee authorizes the caller by identity. */
function callEdges(snapshot: MeshSnapshot): string[] {
  const calls = new Map<string, { from: ServiceModel; to: ServiceSnapshot; authorized: boolean }>();
  for (const e of snapshot.edges) {
    const to = snapshot.service(e.to.host);
    if (!to) continue; // a service of another app: MESH001
    const key = `${e.from.host}->${to.host}`;
    const entry = calls.get(key) ?? { from: e.from, to, authorized: false };
    if (e.reason === 'allowFrom') entry.authorized = true;
    calls.set(key, entry);
  }
  return [...calls.values()].map((c) => (c.authorized
    ? `  ${serviceNodeId(c.from)} -->|${quote(`${transportOf(c.to)} · authz`)}| ${serviceNodeId(c.to)}`
    : `  ${serviceNodeId(c.from)} -.->|${quote(`calls · ${transportOf(c.to)}`)}| ${serviceNodeId(c.to)}`));
}

/** Egress: service -> external service (through the egress gateway when there is one). */
function egressEdges(snapshot: MeshSnapshot, gateways: readonly GatewayModel[], externals: readonly ExternalServiceModel[]): string[] {
  const out: string[] = [];
  for (const s of snapshot.services) {
    const entries = new Set(s.externalDependencies);
    for (const x of externals) {
      if (!x.hosts.some((h) => entries.has(`${x.namespace}/${h}`))) continue;
      const gateway = x.egressGatewayPath ? gateways.find((g) => g.path === x.egressGatewayPath) : undefined;
      const last = x.originatesTls ? 'TLS originated' : x.ports.map((p) => p.protocol).join(', ');
      if (gateway) {
        out.push(`  ${serviceNodeId(s)} -.->|${quote('calls · mTLS')}| ${gatewayNodeId(gateway)}`);
        out.push(`  ${gatewayNodeId(gateway)} -->|${quote(last)}| ${externalNodeId(x)}`);
      } else {
        out.push(`  ${serviceNodeId(s)} -.->|${quote(`calls · ${last}`)}| ${externalNodeId(x)}`);
      }
    }
  }
  return out;
}

/** Ambient: the waypoint serves the L7 intent of the services attached to it. */
function waypointEdges(snapshot: MeshSnapshot): string[] {
  return snapshot.services.filter((s) => s.waypoint).map((s) => {
    const what = [...new Set(s.l7Needs.map((n) => n.what.replace(/ ".*"$| of .*$/, '')))].sort().join(', ');
    return `  ${nodeId('wp', s.namespace)} -->|${quote(what)}| ${serviceNodeId(s)}`;
  });
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
export function renderMermaid(snapshot: MeshSnapshot): string {
  const gateways = [...snapshot.gateways].sort(byString((g) => `${g.namespace}/${g.name}`));
  const externals = [...snapshot.externalServices].sort(byString((x) => `${x.namespace}/${x.name}`));
  const edges = new Set([
    ...ingressEdges(snapshot, gateways), ...callEdges(snapshot), ...egressEdges(snapshot, gateways, externals), ...waypointEdges(snapshot),
  ]);
  return ['flowchart LR', ...nodeLines(snapshot, gateways, externals), ...[...edges].sort()].join('\n') + '\n';
}
