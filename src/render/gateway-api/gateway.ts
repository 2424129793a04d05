import {
  precedenceConflict, renderMatches, rewriteFilter, RuleSource, serviceBackend, timeouts,
} from './http-route-rules';
import { ProblemKind, ProblemList } from './problems';
import {
  GatewaySpec, GatewaySpecListeners, GatewaySpecListenersTlsMode, HttpRouteSpec, HttpRouteSpecParentRefs, HttpRouteSpecRules,
  HttpRouteSpecRulesFiltersRequestRedirectScheme, HttpRouteSpecRulesFiltersRequestRedirectStatusCode, HttpRouteSpecRulesFiltersType,
  ReferenceGrantSpec,
} from '../../imports/gateway.networking.k8s.io';
import { ANY_HOST, GatewayModel, GatewayRouteModel, GatewayServerModel } from '../../model/gateways';
import { versionServiceName } from '../../model/routing';
import { GatewaySnapshot, MeshSnapshot, ServiceSnapshot } from '../../model/snapshot';
import { describeMatch, MATCH_ALL, MatchModel, NamedMatchModel } from '../../model/traffic';

/**
 * Gateway API rendering of an ingress gateway: the `Gateway` (class `istio`,
 * bound to the gateway's own Deployment and Service through `addresses`, as
 * Istio's manual deployment does), one listener per server host, TLS from the
 * server's Secret; the routes of one host as an `HTTPRoute` attached to the
 * listeners that serve the host; a redirect `HTTPRoute` for HTTP servers that
 * only redirect to HTTPS; `ReferenceGrant`s in the namespaces of the backend
 * Services.
 */

interface Listener {
  readonly server: GatewayServerModel;
  readonly serverIndex: number;
  readonly spec: GatewaySpecListeners;
}

function listenerHostname(host: string): string | undefined {
  return host === '*' ? undefined : host;
}

/** The listeners of a gateway, one per server host (problems for servers the Gateway API cannot carry). */
export function gatewayListeners(gateway: GatewayModel, problems: ProblemList): Listener[] {
  const out: Listener[] = [];
  const names = new Map<string, number>();
  gateway.servers.forEach((server, serverIndex) => {
    const prop = `servers[${serverIndex}]`;
    let protocol: string | undefined;
    let tls: GatewaySpecListeners['tls'];
    if (server.protocol === 'HTTP' || server.protocol === 'HTTP2' || server.protocol === 'GRPC') {
      protocol = 'HTTP';
    } else if (server.protocol === 'HTTPS' && server.tlsMode === 'SIMPLE' && server.credentialName) {
      protocol = 'HTTPS';
      tls = { mode: GatewaySpecListenersTlsMode.TERMINATE, certificateRefs: [{ group: '', kind: 'Secret', name: server.credentialName }] };
    } else {
      const what = server.tlsMode ? `${server.protocol} with TLS mode ${server.tlsMode}` : server.protocol;
      problems.add(ProblemKind.LISTENER, gateway.path, prop,
        'must be a plain HTTP server or an HTTPS server terminating TLS with a certificate Secret (GatewayTls.simple) to be a Gateway API listener ' +
        '(client-certificate validation, passthrough, ISTIO_MUTUAL and TCP servers have no routes of ours in the standard channel)',
        what, 'use GatewayServer.http(...) or GatewayServer.https({ tls: GatewayTls.simple(secret) }), or render this gateway with RoutingApi.ISTIO');
      return;
    }
    for (const rawHost of server.hosts) {
      if (rawHost.includes('/')) {
        problems.add(ProblemKind.LISTENER, gateway.path, `${prop}.hosts`, 'must not carry a \'<namespace>/\' prefix with the Gateway API (listeners admit routes by allowedRoutes, not by host prefix)',
          rawHost, `use ${JSON.stringify(rawHost.slice(rawHost.indexOf('/') + 1))}`);
        continue;
      }
      const base = `${protocol.toLowerCase()}-${server.port}`;
      const n = (names.get(base) ?? 0) + 1;
      names.set(base, n);
      const hostname = listenerHostname(rawHost);
      out.push({
        server,
        serverIndex,
        spec: { name: n === 1 ? base : `${base}-${n}`, port: server.port, protocol, ...(hostname ? { hostname } : {}), ...(tls ? { tls } : {}) },
      });
    }
  });
  return out;
}

/** `spec` of the Gateway API Gateway. */
export function renderGatewayApiGatewaySpec(gateway: GatewayModel, problems: ProblemList): GatewaySpec {
  return {
    gatewayClassName: 'istio',
    // manual deployment: the gateway's own Service (and its pods) carry the listeners
    addresses: [{ type: 'Hostname', value: gateway.serviceHost }],
    listeners: gatewayListeners(gateway, problems).map((l) => l.spec),
  };
}

function listenerServes(l: Listener, host: string): boolean {
  if (l.server.httpsRedirect) return false;
  const h = l.spec.hostname;
  if (host === ANY_HOST || h === undefined) return true;
  if (h.startsWith('*.')) return host.endsWith(h.slice(1)) && host.length > h.length - 1;
  return h === host;
}

function parentRef(gateway: GatewayModel, sectionName: string): HttpRouteSpecParentRefs {
  return { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gateway.name, namespace: gateway.namespace, sectionName };
}

/** Backend Service names of a mesh service's default traffic (per-version Services with the Gateway API). */
function defaultBackends(gateway: GatewayModel, route: GatewayRouteModel, service: ServiceSnapshot, problems: ProblemList) {
  const ns = service.namespace === gateway.namespace ? undefined : service.namespace;
  if (service.routingApi !== 'gateway-api') {
    if (service.versions.length === 1) return [serviceBackend(service.name, route.resolvedPort, undefined, ns)];
    problems.add(ProblemKind.NOT_EXPRESSIBLE, gateway.path, `routes[${route.index}].service`,
      `must be routed with the Gateway API as well when it has several versions (${service.versions.map((v) => v.name).join(', ')}): only then does each version have a Service an HTTPRoute can send to`,
      service.name, 'route the service with RoutingApi.GATEWAY_API too (same chart or app choice, or its routingApi prop), or render this gateway with RoutingApi.ISTIO');
    return [];
  }
  return service.defaultVersions.map((d) => serviceBackend(versionServiceName(service, d.version), route.resolvedPort, d.weight, ns));
}

/** A route's own match AND a release's tester match (header conditions); undefined (a problem) when they test one header differently. */
function combine(own: MatchModel, pinned: MatchModel): MatchModel | undefined {
  const headers: NamedMatchModel[] = [...own.headers];
  for (const h of pinned.headers) {
    const same = headers.find((x) => x.name === h.name);
    if (!same) headers.push(h);
    else if (JSON.stringify(same.match) !== JSON.stringify(h.match)) return undefined;
  }
  return { ...own, headers, queryParams: [...own.queryParams, ...pinned.queryParams] };
}

interface Draft { readonly route: GatewayRouteModel; readonly matches: readonly MatchModel[]; readonly rule: HttpRouteSpecRules }

/** The rules of one gateway route: a tester-pinned rule first when the service's release pins testers, then the default rule. */
function routeDrafts(gateway: GatewaySnapshot, route: GatewayRouteModel, service: ServiceSnapshot, problems: ProblemList): Draft[] {
  const source: RuleSource = { path: gateway.path, prop: `routes[${route.index}].` };
  const own: MatchModel[] = route.catchAll ? [] : [...route.matches];
  const common: { filters?: HttpRouteSpecRules['filters']; timeouts?: HttpRouteSpecRules['timeouts'] } = {};
  if (route.rewritePrefix !== undefined) common.filters = [rewriteFilter({ uri: route.rewritePrefix }, own, source, problems)];
  const t = timeouts(route.timeoutMs);
  if (t) common.timeouts = t;
  const drafts: Draft[] = [];
  const release = service.release;
  if (release && release.pinned.length > 0) {
    const pinnedTo = versionServiceName(service, release.managedSubsets?.canary ?? release.canary);
    const combined: MatchModel[] = [];
    for (const o of own.length ? own : [MATCH_ALL]) {
      for (const p of release.pinned) {
        const c = combine(o, p);
        if (c) {
          combined.push(c);
        } else {
          problems.add(ProblemKind.NOT_EXPRESSIBLE, gateway.path, `routes[${route.index}].match`,
            `must not test a header the release of ${service.name} uses to pin testers (${describeMatch(p)})`, describeMatch(o), 'match on another header');
        }
      }
    }
    const ns = service.namespace === gateway.namespace ? undefined : service.namespace;
    const backendRefs = [serviceBackend(pinnedTo, route.resolvedPort, undefined, ns)];
    drafts.push({ route, matches: combined, rule: { matches: renderMatches(combined, source, problems), ...common, backendRefs } });
  }
  const backendRefs = defaultBackends(gateway, route, service, problems);
  drafts.push({ route, matches: own, rule: { matches: renderMatches(own, source, problems), ...common, backendRefs } });
  return drafts;
}

/**
 * `spec` of the HTTPRoute carrying the routes of one host, in the order of
 * the gateway's route table (the any-host routes follow a concrete host's own).
 */
export function renderGatewayApiRouteSpec(snapshot: MeshSnapshot, gateway: GatewaySnapshot, host: string, problems: ProblemList): HttpRouteSpec {
  const table = gateway.routeTables.find((t) => t.host === host);
  const drafts = (table?.routes ?? []).flatMap((route) => {
    const service = snapshot.service(route.serviceHost);
    return service ? routeDrafts(gateway, route, service, problems) : []; // a service of another app: MESH001
  });
  const flat = drafts.flatMap((d, rule) => (d.matches.length ? d.matches : [MATCH_ALL]).map((match) => ({ rule, match })));
  const conflict = precedenceConflict(flat);
  if (conflict) {
    const earlier = drafts[flat[conflict.earlier].rule].route;
    const later = drafts[flat[conflict.later].rule].route;
    problems.add(ProblemKind.ORDER_CHANGES, gateway.path, `routes[${later.index}].match`,
      `would be evaluated before routes[${earlier.index}] (${describeMatch(flat[conflict.earlier].match)}) with the Gateway API, which orders rules by precedence ` +
      '(exact path, longest prefix, method, most headers, most query parameters) and a request can match both',
      describeMatch(flat[conflict.later].match), 'make the two matches exclusive (e.g. give both a path), or render this gateway with RoutingApi.ISTIO');
  }
  if (drafts.length > 16) {
    problems.add(ProblemKind.NOT_EXPRESSIBLE, gateway.path, 'routes', `must be at most 16 rules per host with the Gateway API (host ${host})`, drafts.length, 'split the routes over hosts');
  }
  const listeners = gatewayListeners(gateway, new ProblemList()).filter((l) => listenerServes(l, host));
  return {
    parentRefs: listeners.map((l) => parentRef(gateway, l.spec.name)),
    ...(host === ANY_HOST ? {} : { hostnames: [host] }),
    rules: drafts.map((d) => d.rule),
  };
}

/** `spec` of the HTTPRoute answering the redirect-only HTTP listeners with a 301 to HTTPS (undefined when none). */
export function renderHttpsRedirectRouteSpec(gateway: GatewayModel): HttpRouteSpec | undefined {
  const listeners = gatewayListeners(gateway, new ProblemList()).filter((l) => l.server.httpsRedirect);
  if (listeners.length === 0) return undefined;
  return {
    parentRefs: listeners.map((l) => parentRef(gateway, l.spec.name)),
    rules: [{
      name: 'https-redirect',
      filters: [{
        type: HttpRouteSpecRulesFiltersType.REQUEST_REDIRECT,
        requestRedirect: {
          scheme: HttpRouteSpecRulesFiltersRequestRedirectScheme.HTTPS,
          statusCode: HttpRouteSpecRulesFiltersRequestRedirectStatusCode.VALUE_301,
        },
      }],
    }],
  };
}

/**
 * The ReferenceGrants the gateway's routes need: per namespace of a backend
 * Service other than the gateway's, one grant letting the gateway
 * namespace's HTTPRoutes refer to exactly those Services.
 */
export function renderReferenceGrantSpecs(snapshot: MeshSnapshot, gateway: GatewaySnapshot): Map<string, ReferenceGrantSpec> {
  const byNamespace = new Map<string, Set<string>>();
  const add = (ns: string, name: string) => {
    if (ns === gateway.namespace) return;
    let set = byNamespace.get(ns);
    if (!set) byNamespace.set(ns, set = new Set());
    set.add(name);
  };
  for (const route of gateway.routes) {
    const service = snapshot.service(route.serviceHost);
    if (!service) continue;
    if (service.routingApi !== 'gateway-api') {
      add(service.namespace, service.name);
      continue;
    }
    for (const d of service.defaultVersions) add(service.namespace, versionServiceName(service, d.version));
    const release = service.release;
    if (release && release.pinned.length > 0) add(service.namespace, versionServiceName(service, release.canary));
  }
  const out = new Map<string, ReferenceGrantSpec>();
  for (const [ns, names] of [...byNamespace.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    out.set(ns, {
      from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: gateway.namespace }],
      to: [...names].sort().map((name) => ({ group: '', kind: 'Service', name })),
    });
  }
  return out;
}
