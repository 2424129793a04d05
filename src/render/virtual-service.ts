import { compact, dur, renderStringMatch } from './common';
import {
  VirtualServiceSpec,
  VirtualServiceSpecHttp,
  VirtualServiceSpecHttpCorsPolicy,
  VirtualServiceSpecHttpFault,
  VirtualServiceSpecHttpHeaders,
  VirtualServiceSpecHttpHeadersRequest,
  VirtualServiceSpecHttpMatch,
  VirtualServiceSpecHttpMatchHeaders,
  VirtualServiceSpecHttpRedirect,
  VirtualServiceSpecHttpRetries,
  VirtualServiceSpecHttpRewrite,
  VirtualServiceSpecHttpRoute,
  VirtualServiceSpecTcp,
  VirtualServiceSpecTcpRoute,
  VirtualServiceSpecTls,
  VirtualServiceSpecTlsRoute,
} from '../imports/networking.istio.io';
import { EXTERNAL_HTTP_PROTOCOLS, EXTERNAL_TLS_PROTOCOLS, ExternalServiceModel, GatewayModel, GatewayRouteModel } from '../model/gateways';
import { GatewaySnapshot, MeshSnapshot, ServiceSnapshot } from '../model/snapshot';
import {
  CorsModel, HeaderOpsModel, isCatchAllRoute, managedGatewayRouteName, MatchModel, MirrorModel, NamedMatchModel, RouteModel, routeNameOnPort,
  splitRoutePorts,
} from '../model/traffic';
import { istioDuration } from '../private/values';

/**
 * VirtualService rendering: a mesh service's own VirtualService, the
 * VirtualServices of gateway routes (one per host, bound to the gateway) and
 * the one that steers an external service through an egress gateway. Pure
 * functions from the snapshot to `VirtualServiceSpec`.
 */

/** One weighted destination of a route. */
export interface WeightedDestination {
  readonly host: string;
  readonly subset: string;
  /** Percentage 0-100; omitted when there is a single destination. */
  readonly weight?: number;
  readonly port?: number;
}

/** A route destination: the same shape in `http[]`, `tcp[]` and `tls[]` rules, so it fits each of their L1 interfaces. */
export type RouteDestination = VirtualServiceSpecHttpRoute & VirtualServiceSpecTcpRoute & VirtualServiceSpecTlsRoute;

/**
 * Where traffic addressed to `service` goes by default — the single place
 * both in-mesh routes and gateway routes ask, so a gateway route honours the
 * same release split as the service's own VirtualService.
 *
 * Release-aware: with a `CanaryRelease` this is the weighted stable/canary
 * split (its tester-pinned rule is not included); with a `BlueGreenRelease`
 * the active version; otherwise the stable version.
 */
export function defaultDestinations(service: ServiceSnapshot): WeightedDestination[] {
  return service.defaultVersions.map((d) => (d.weight === undefined
    ? { host: service.host, subset: d.version }
    : { host: service.host, subset: d.version, weight: d.weight }));
}

/** Destinations in VirtualService `route[]` form (a host outside the mesh has no subset). */
export function renderRoute(destinations: readonly (Omit<WeightedDestination, 'subset'> & { readonly subset?: string })[]): RouteDestination[] {
  return destinations.map((d) => ({
    destination: { host: d.host, subset: d.subset, port: d.port === undefined ? undefined : { number: d.port } },
    weight: d.weight,
  }));
}

function renderNamed(ms: readonly NamedMatchModel[]): { [name: string]: VirtualServiceSpecHttpMatchHeaders } {
  const out: { [name: string]: VirtualServiceSpecHttpMatchHeaders } = {};
  for (const m of ms) out[m.name] = m.match ? renderStringMatch(m.match) : {};
  return out;
}

/** An Istio `HTTPMatchRequest` from the model. */
export function renderMatch(m: MatchModel): VirtualServiceSpecHttpMatch {
  return {
    uri: m.path ? renderStringMatch(m.path) : undefined,
    headers: m.headers.length ? renderNamed(m.headers) : undefined,
    queryParams: m.queryParams.length ? renderNamed(m.queryParams) : undefined,
    method: m.method ? { exact: m.method } : undefined,
    ignoreUriCase: m.ignoreUriCase ? true : undefined,
  };
}

function renderHeaderOps(h: HeaderOpsModel | undefined): VirtualServiceSpecHttpHeadersRequest | undefined {
  if (!h) return undefined;
  return compact<VirtualServiceSpecHttpHeadersRequest>({ set: h.set, add: h.add, remove: h.remove ? [...h.remove] : undefined });
}

function renderCors(c: CorsModel): VirtualServiceSpecHttpCorsPolicy | undefined {
  return compact<VirtualServiceSpecHttpCorsPolicy>({
    allowOrigins: c.allowOrigins.map(renderStringMatch),
    allowMethods: c.allowMethods.length ? [...c.allowMethods] : undefined,
    allowHeaders: c.allowHeaders.length ? [...c.allowHeaders] : undefined,
    exposeHeaders: c.exposeHeaders.length ? [...c.exposeHeaders] : undefined,
    maxAge: dur(c.maxAgeMs),
    allowCredentials: c.allowCredentials,
  });
}

function renderMirror(service: ServiceSnapshot, m: MirrorModel | undefined): Pick<VirtualServiceSpecHttp, 'mirror' | 'mirrorPercentage'> {
  return m ? { mirror: { host: service.host, subset: m.version }, mirrorPercentage: { value: m.percentage } } : {};
}

/** One `http[]` rule of the VirtualService from a route of the model. */
function renderHttpRoute(service: ServiceSnapshot, r: RouteModel): VirtualServiceSpecHttp {
  const common: VirtualServiceSpecHttp = {
    name: r.name,
    match: r.matches.length && !isCatchAllRoute(r) ? r.matches.map(renderMatch) : undefined,
    headers: compact<VirtualServiceSpecHttpHeaders>({ request: renderHeaderOps(r.requestHeaders), response: renderHeaderOps(r.responseHeaders) }),
    corsPolicy: r.cors ? renderCors(r.cors) : undefined,
  };
  if (r.redirect) {
    const { uri, authority, port, scheme, redirectCode } = r.redirect;
    return { ...common, redirect: compact<VirtualServiceSpecHttpRedirect>({ uri, authority, port, scheme, redirectCode }) };
  }
  const destinations: WeightedDestination[] = r.destinations
    ? r.destinations.map((d) => ({ host: service.host, subset: d.version, weight: d.weight }))
    : defaultDestinations(service);
  const rewrite = r.rewrite && compact<VirtualServiceSpecHttpRewrite>({
    uri: r.rewrite.uri,
    authority: r.rewrite.authority,
    uriRegexRewrite: r.rewrite.uriRegex ? { match: r.rewrite.uriRegex.match, rewrite: r.rewrite.uriRegex.rewrite } : undefined,
  });
  const retries = r.retries && compact<VirtualServiceSpecHttpRetries>({
    attempts: r.retries.attempts,
    perTryTimeout: dur(r.retries.perTryTimeoutMs),
    retryOn: r.retries.retryOn.length ? r.retries.retryOn.join(',') : undefined,
    retryRemoteLocalities: r.retries.retryRemoteLocalities,
  });
  const fault = r.fault && compact<VirtualServiceSpecHttpFault>({
    delay: r.fault.delay ? { fixedDelay: istioDuration(r.fault.delay.fixedDelayMs), percentage: { value: r.fault.delay.percentage } } : undefined,
    abort: r.fault.abort ? { httpStatus: r.fault.abort.httpStatus, percentage: { value: r.fault.abort.percentage } } : undefined,
  });
  return {
    ...common,
    route: renderRoute(destinations),
    rewrite,
    timeout: dur(r.timeoutMs),
    retries,
    fault,
    ...renderMirror(service, r.mirror ?? (r.destinations ? undefined : service.defaultMirror)),
  };
}

/**
 * `http[]` of the VirtualService: a release's tester-pinned rule first, the
 * service's routes in order, then the default rule (unless the last route
 * already matches every request).
 */
export function renderHttpRoutes(service: ServiceSnapshot): VirtualServiceSpecHttp[] {
  const routes = service.traffic.routes;
  const release = service.release;
  const http: VirtualServiceSpecHttp[] = [];
  if (release && release.pinned.length > 0) {
    http.push({
      name: release.kind === 'canary' ? 'canary-pinned' : 'preview-pinned',
      match: release.pinned.map(renderMatch),
      route: renderRoute([{ host: service.host, subset: release.managedSubsets?.canary ?? release.canary }]),
    });
  }
  for (const r of routes) http.push(renderHttpRoute(service, r));
  if (routes.length === 0 || !isCatchAllRoute(routes[routes.length - 1])) {
    http.push({
      name: 'default',
      route: renderRoute(defaultDestinations(service)),
      ...renderMirror(service, service.defaultMirror),
    });
  }
  return http;
}

/**
 * The HTTP rules of a service with more than one port, each naming its
 * destination port (IST0112): the only HTTP port, or (several) each rule
 * repeated per HTTP port, matched on it and sent to it (`splitRoutePorts`).
 */
export function onServicePorts(service: ServiceSnapshot, http: VirtualServiceSpecHttp[]): VirtualServiceSpecHttp[] {
  if (service.ports.length < 2) return http;
  const split = splitRoutePorts(service);
  if (split.length === 0) {
    const only = service.ports.find((p) => p.protocol !== 'tcp');
    return only ? http.map((h) => onPort(h, only.port, false)) : http;
  }
  return split.flatMap((port) => http.map((h) => onPort(h, port, true)));
}

function onPort(h: VirtualServiceSpecHttp, port: number, matchPort: boolean): VirtualServiceSpecHttp {
  const withPort = <T extends { port?: { number?: number } }>(d: T): T => ({ ...d, port: { number: port } });
  return {
    ...h,
    name: matchPort && h.name !== undefined ? routeNameOnPort(h.name, port) : h.name,
    match: matchPort ? (h.match ?? [{}]).map((m) => ({ ...m, port })) : h.match,
    route: h.route?.map((r) => ({ ...r, destination: withPort(r.destination) })),
    mirror: h.mirror && withPort(h.mirror),
  };
}

/** `spec` of a service's VirtualService: HTTP routes (release-aware) and an L4 route per TCP port. */
export function renderVirtualServiceSpec(service: ServiceSnapshot): VirtualServiceSpec {
  const destinations = defaultDestinations(service);
  const httpPorts = service.ports.filter((p) => p.protocol !== 'tcp');
  const tcpPorts = service.ports.filter((p) => p.protocol === 'tcp');
  const tcp = tcpPorts.map((p): VirtualServiceSpecTcp => ({
    match: [{ port: p.port }],
    route: renderRoute(destinations.map((d) => ({ ...d, port: p.port }))),
  }));
  return {
    hosts: [service.host],
    http: httpPorts.length > 0 ? onServicePorts(service, renderHttpRoutes(service)) : undefined,
    tcp: tcp.length > 0 ? tcp : undefined,
  };
}

/**
 * `spec` of the VirtualService of one routed host of a gateway (an
 * `IngressGateway` or `ExistingIngressGateway`): bound to the gateway, its
 * routes in the order of its route table. A route to a service this app
 * does not declare is left out (MESH001 reports it before anything is
 * written).
 */
export function renderGatewayRouteSpec(snapshot: MeshSnapshot, gateway: GatewaySnapshot, host: string): VirtualServiceSpec {
  const table = gateway.routeTables.find((t) => t.host === host);
  return {
    hosts: [host],
    gateways: [gatewayRef(gateway)],
    http: (table?.routes ?? []).flatMap((r) => {
      const service = snapshot.service(r.serviceHost);
      return service ? renderGatewayRoute(r, service) : [];
    }),
  };
}

/** `<namespace>/<name>`: how VirtualServices refer to a gateway. */
export function gatewayRef(gateway: Pick<GatewayModel, 'name' | 'namespace'>): string {
  return `${gateway.namespace}/${gateway.name}`;
}

/**
 * The `http[]` rules of one gateway route: a tester-pinned rule first when
 * the service's release pins testers (header, cookie or blue-green preview
 * header, each combined with the route's own matches), then the weighted
 * rule that follows the release split.
 */
function renderGatewayRoute(r: GatewayRouteModel, service: ServiceSnapshot): VirtualServiceSpecHttp[] {
  const withPort = (d: WeightedDestination): WeightedDestination => (r.port === undefined ? d : { ...d, port: r.port });
  const common: VirtualServiceSpecHttp = {
    rewrite: r.rewritePrefix !== undefined ? { uri: r.rewritePrefix } : undefined,
    timeout: dur(r.timeoutMs),
  };
  const out: VirtualServiceSpecHttp[] = [];
  // Argo Rollouts finds the routes it manages by name
  const managedName = managedGatewayRouteName(service, r.index);
  const release = service.release;
  if (release && release.pinned.length > 0) {
    const pinnedTo = release.managedSubsets?.canary ?? release.canary;
    const own: readonly (MatchModel | undefined)[] = r.catchAll ? [undefined] : r.matches;
    out.push({
      ...common,
      name: managedName ? `${managedName}-pinned` : undefined,
      match: own.flatMap((m) => release.pinned.map((p) => renderMatch(pinnedMatch(m, p)))),
      route: renderRoute([withPort({ host: service.host, subset: pinnedTo })]),
    });
  }
  out.push({
    ...common,
    name: managedName,
    match: r.catchAll ? undefined : r.matches.map(renderMatch),
    route: renderRoute(defaultDestinations(service).map(withPort)),
  });
  return out;
}

/**
 * The header of a release's tester match that a route's own match already
 * tests with another condition (one Istio match holds one condition per
 * header, so the two cannot be combined); undefined when they combine.
 */
export function pinConflict(own: MatchModel, pinned: MatchModel): NamedMatchModel | undefined {
  return pinned.headers.find((h) => {
    const same = own.headers.find((x) => x.name === h.name);
    return same !== undefined && JSON.stringify(same.match) !== JSON.stringify(h.match);
  });
}

/** A route match AND a release's tester match (header conditions only; see `pinConflict`). */
function pinnedMatch(own: MatchModel | undefined, pinned: MatchModel): MatchModel {
  if (!own) return pinned;
  const extra = pinned.headers.filter((h) => !own.headers.some((x) => x.name === h.name));
  return { ...own, headers: [...own.headers, ...extra] };
}

/**
 * `spec` of the VirtualService that sends an external service's traffic
 * sidecar -> egress gateway -> outside: plain HTTP over mTLS to the
 * gateway's port 80, TLS by SNI through its port 443.
 */
export function renderEgressVirtualServiceSpec(external: ExternalServiceModel, gateway: Pick<GatewayModel, 'name' | 'namespace' | 'serviceHost'>): VirtualServiceSpec {
  const host = external.hosts[0];
  const ref = gatewayRef(gateway);
  const httpPort = external.ports.find((p) => EXTERNAL_HTTP_PROTOCOLS.includes(p.protocol));
  const tlsPort = external.ports.find((p) => EXTERNAL_TLS_PROTOCOLS.includes(p.protocol));
  const toGateway = (port: number) => renderRoute([{ host: gateway.serviceHost, subset: external.name, port }]);
  const toExternal = (port: number) => renderRoute([{ host, port }]);
  const http: VirtualServiceSpecHttp[] | undefined = httpPort && [
    { name: 'mesh-to-egress-gateway', match: [{ gateways: ['mesh'], port: httpPort.number }], route: toGateway(80) },
    { name: 'egress-gateway-to-external', match: [{ gateways: [ref], port: 80 }], route: toExternal(httpPort.number) },
  ];
  const tls: VirtualServiceSpecTls[] | undefined = tlsPort && [
    { match: [{ gateways: ['mesh'], port: tlsPort.number, sniHosts: [host] }], route: toGateway(443) },
    { match: [{ gateways: [ref], port: 443, sniHosts: [host] }], route: toExternal(tlsPort.number) },
  ];
  return { hosts: [host], gateways: ['mesh', ref], http, tls };
}
