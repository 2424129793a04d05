import { Diagnostic } from '../../model/core';
import { ANY_HOST, hostMatches, servesHttp } from '../../model/gateways';
import { GatewaySnapshot, MeshSnapshot } from '../../model/snapshot';
import { propMessage } from '../../private/errors';
import { finding, RuleSet } from '../rule';

/** Rules over the gateways: their servers, routes and namespaces (`GWnnn`). */

function hostCollisions(s: MeshSnapshot): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Map<string, { gateway: GatewaySnapshot; serverIndex: number }>();
  for (const gateway of s.gateways.filter((g) => g.direction === 'ingress')) {
    gateway.servers.forEach((server, serverIndex) => {
      for (const host of server.hosts) {
        const key = `${server.port}|${host}`;
        const first = seen.get(key);
        if (!first) {
          seen.set(key, { gateway, serverIndex });
          continue;
        }
        const where = first.gateway.path === gateway.path
          ? `servers[${first.serverIndex}] of this gateway`
          : `servers[${first.serverIndex}] of ${first.gateway.path}`;
        out.push(finding(GATEWAY_RULES.HOST_COLLISION, gateway.path,
          `'servers[${serverIndex}].hosts' must not repeat a host already served on port ${server.port} (${where} serves it; ` +
          `Envoy would pick one of them at random), got ${JSON.stringify(host)}. Fix: serve each host on each port from exactly one server of one gateway`));
      }
    });
  }
  return out;
}

function routesToUnservedHosts(s: MeshSnapshot): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const gateway of s.gateways) {
    const httpServers = gateway.servers.filter(servesHttp);
    for (const route of gateway.routes) {
      // an any-host route takes whatever hosts the HTTP servers accept
      if (route.host === ANY_HOST ? httpServers.length > 0 : httpServers.some((sv) => sv.hosts.some((p) => hostMatches(p, route.host)))) continue;
      const served = [...new Set(httpServers.flatMap((sv) => sv.hosts))];
      out.push(finding(GATEWAY_RULES.ROUTE_HOST_NOT_SERVED, gateway.path,
        `'routes[${route.index}].host' must be a host that one of the gateway's HTTP/HTTPS servers serves ` +
        `(served: ${served.length ? served.map((h) => JSON.stringify(h)).join(', ') : 'none'}), got ${JSON.stringify(route.host)}. ` +
        'Fix: add a server for the host (e.g. GatewayServer.https({ hosts: [host], tls: GatewayTls.simple(secret) })) or route a served host'));
    }
  }
  return out;
}

/**
 * Istio builds one Envoy virtual host per host name a server lists. The
 * any-host VirtualService (`hosts: ['*']`) lands in the virtual host of every
 * exact name a server lists; when that name also has a VirtualService of its
 * own, Istio appends the two route lists in VirtualService creation order,
 * which is not defined for objects applied together. A wildcard server host
 * (`*`, `*.example.com`) keeps them apart: Envoy then picks the more specific
 * virtual host, which carries the host's routes followed by the any-host
 * routes.
 */
function anyHostMerges(s: MeshSnapshot): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const gateway of s.gateways) {
    const anyRoute = gateway.routes.find((r) => r.host === ANY_HOST);
    if (!anyRoute) continue;
    const reported = new Set<string>();
    for (const route of gateway.routes) {
      if (route.host === ANY_HOST || reported.has(route.host)) continue;
      const serverIndex = gateway.servers.findIndex((sv) => servesHttp(sv) && sv.hosts.includes(route.host));
      if (serverIndex < 0) continue;
      reported.add(route.host);
      out.push(finding(GATEWAY_RULES.ANY_HOST_MERGE, gateway.path,
        `'servers[${serverIndex}].hosts' must not list ${JSON.stringify(route.host)} exactly while routes[${anyRoute.index}] routes any host ('*') and ` +
        `routes[${route.index}] routes ${JSON.stringify(route.host)}: Istio would merge both VirtualServices into one virtual host in an undefined order, ` +
        `got ${JSON.stringify(route.host)}. Fix: accept the host through a wildcard server host ('*' or '*.${route.host.split('.').slice(1).join('.') || 'example.com'}') ` +
        'so its routes stay apart (they fall back to the any-host routes), or route it through the any-host routes only'));
    }
  }
  return out;
}

/**
 * The injection webhooks only see a gateway pod if its namespace lets them:
 * a MeshNamespace of the app with injection off, or bound to another
 * revision, would leave the `image: auto` placeholder uninjected (or injected
 * by the wrong istiod).
 */
function uninjectableGateways(s: MeshSnapshot): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const gateway of s.gateways.filter((g) => !g.attached)) {
    const declared = s.namespace(gateway.namespace)?.declaration;
    if (!declared) continue;
    if (!declared.injection) {
      out.push(finding(GATEWAY_RULES.NAMESPACE_NOT_INJECTED, gateway.path, propMessage('namespace',
        `must allow sidecar injection: the gateway's proxy is injected by istiod, but MeshNamespace ${declared.path} disables injection (istio-injection: disabled)`,
        gateway.namespace,
        'bind the namespace to the gateway\'s control plane (new MeshNamespace(..., { controlPlane })) or put the gateway in another namespace')));
    } else if (declared.revision !== gateway.revision) {
      out.push(finding(GATEWAY_RULES.NAMESPACE_NOT_INJECTED, gateway.path, propMessage('namespace',
        `must be bound to the gateway's control plane (revision ${gateway.revision ?? 'default'}); MeshNamespace ${declared.path} ` +
        `is bound to revision ${declared.revision ?? 'default'}, whose istiod would inject the gateway`, gateway.namespace,
        'pass the same controlPlane to the gateway and the namespace')));
    }
  }
  return out;
}

function ingressWithoutServers(s: MeshSnapshot): Diagnostic[] {
  return s.gateways.filter((g) => g.direction === 'ingress' && g.servers.length === 0).map((g) => finding(GATEWAY_RULES.NO_SERVERS, g.path,
    propMessage('servers', 'must list at least one server (Istio rejects a Gateway without servers)', [],
      'pass servers: [GatewayServer.https({ hosts: [...], tls: GatewayTls.simple(secret) })] or call addServer()')));
}

export const GATEWAY_RULES: RuleSet<'HOST_COLLISION' | 'ROUTE_HOST_NOT_SERVED' | 'ANY_HOST_MERGE' | 'NAMESPACE_NOT_INJECTED' | 'NO_SERVERS'> = {
  HOST_COLLISION: {
    code: 'GW001',
    severity: 'error',
    reportedOn: 'the `IngressGateway`',
    summary: 'Conflicting gateways: the same host on the same port is served by two ingress servers (Envoy picks one at random).',
    fix: 'Serve each host/port from exactly one server.',
    check: hostCollisions,
  },
  ROUTE_HOST_NOT_SERVED: {
    code: 'GW002',
    severity: 'error',
    reportedOn: 'the `IngressGateway`',
    summary: 'A gateway route for a host that none of the gateway\'s HTTP/HTTPS servers serves: the route never receives traffic.',
    fix: 'Add a server for the host, or route a served host.',
    check: routesToUnservedHosts,
  },
  ANY_HOST_MERGE: {
    code: 'GW003',
    severity: 'error',
    reportedOn: 'the `IngressGateway` / `ExistingIngressGateway`',
    summary: 'A gateway routes any host (`\'*\'`) and also a concrete host that one of its HTTP/HTTPS servers lists exactly: Istio would put both VirtualServices into that host\'s virtual host, in an order it does not define.',
    fix: 'Accept the host through a wildcard server host (`\'*\'`, `\'*.example.com\'`): its own routes then come first, then the any-host routes.',
    check: anyHostMerges,
  },
  NAMESPACE_NOT_INJECTED: {
    code: 'GW004',
    severity: 'error',
    reportedOn: 'the `IngressGateway` / `EgressGateway`',
    summary: 'A gateway whose namespace is a `MeshNamespace` with injection disabled, or bound to another control-plane revision than the gateway: istiod would not inject its proxy (the pod keeps the `image: auto` placeholder) or the wrong istiod would.',
    fix: 'Bind the namespace to the gateway\'s control plane, or put the gateway in another namespace.',
    check: uninjectableGateways,
  },
  NO_SERVERS: {
    code: 'GW005',
    severity: 'error',
    reportedOn: 'the `IngressGateway` / `ExistingIngressGateway`',
    summary: 'An ingress gateway without servers: Istio rejects a Gateway resource without servers.',
    fix: 'Pass `servers`, or call `addServer()`.',
    check: ingressWithoutServers,
  },
};
