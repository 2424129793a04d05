import { defaultDestinations, renderRoute, WeightedDestination } from './destinations';
import { MeshModel, ServiceModel } from '../model';
import {
  ConnectionPoolModel, CorsModel, defaultMirror, findTraffic, HeaderOpsModel, isCatchAllRoute, LoadBalancerModel, MatchModel,
  MirrorModel, NamedMatchModel, OutlierDetectionModel, releaseOf, RouteModel, StringMatchModel, TrafficPolicyModel,
} from '../model/traffic';
import { istioDuration } from '../private/values';

/**
 * Istio classic-API rendering of a mesh service's own objects
 * (DestinationRule and VirtualService). Pure functions from the model to the
 * `spec` of each kind.
 */

/**
 * `spec` of the DestinationRule: one subset per version, selected by the
 * `version` label, with the service's traffic policy and per-version overrides.
 */
export function renderDestinationRuleSpec(service: ServiceModel, model?: MeshModel, clientTlsMode: string = 'ISTIO_MUTUAL'): any {
  const traffic = model ? findTraffic(model, service.host) : undefined;
  const spec: any = { host: service.host };
  // security: client-side mTLS toward the callee's sidecar (see src/security/mtls.ts)
  spec.trafficPolicy = { ...renderServiceTrafficPolicy(traffic?.policy), tls: { mode: clientTlsMode } };
  // gitops (src/rollouts): subsets owned by a controller select by the Service selector only
  const managed = model ? releaseOf(model, service.host) : undefined;
  const managedSubset = (version: string): string | undefined => {
    if (!managed?.managedSubsets) return undefined;
    if (version === managed.stable) return managed.managedSubsets.stable;
    return version === managed.canary ? managed.managedSubsets.canary : undefined;
  };
  spec.subsets = service.versions.map((v) => {
    const subsetName = managedSubset(v.name);
    const subset: any = subsetName
      ? { name: subsetName, labels: { ...service.selector } }
      : { name: v.name, labels: { version: v.podLabels.version } };
    const override = renderTrafficPolicy(traffic?.versionPolicies.get(v.name)?.policy);
    if (override) subset.trafficPolicy = override;
    return subset;
  });
  return spec;
}

/**
 * The DestinationRule's top-level `trafficPolicy` (undefined when empty).
 * The one place service-wide client settings are rendered: add
 * service-wide fields (e.g. `tls`) here.
 */
export function renderServiceTrafficPolicy(policy: TrafficPolicyModel | undefined): any {
  return renderTrafficPolicy(policy);
}

/** A `TrafficPolicy` (top-level or subset) from the model; undefined when empty. */
export function renderTrafficPolicy(policy: TrafficPolicyModel | undefined): any {
  if (!policy) return undefined;
  const out: any = {};
  if (policy.loadBalancer) out.loadBalancer = renderLoadBalancer(policy.loadBalancer);
  if (policy.connectionPool) out.connectionPool = renderConnectionPool(policy.connectionPool);
  if (policy.outlierDetection) out.outlierDetection = renderOutlierDetection(policy.outlierDetection);
  return Object.keys(out).length ? out : undefined;
}

function renderLoadBalancer(lb: LoadBalancerModel): any {
  if ('simple' in lb) return { simple: lb.simple };
  if ('hashHeader' in lb) return { consistentHash: { httpHeaderName: lb.hashHeader } };
  if ('hashSourceIp' in lb) return { consistentHash: { useSourceIp: true } };
  if ('hashQueryParam' in lb) return { consistentHash: { httpQueryParameterName: lb.hashQueryParam } };
  const cookie: any = { name: lb.hashCookie.name };
  if (lb.hashCookie.path !== undefined) cookie.path = lb.hashCookie.path;
  if (lb.hashCookie.ttlMs !== undefined) cookie.ttl = istioDuration(lb.hashCookie.ttlMs);
  return { consistentHash: { httpCookie: cookie } };
}

function compact(o: Record<string, unknown>): any {
  const out: any = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return Object.keys(out).length ? out : undefined;
}

function dur(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : istioDuration(ms);
}

function renderConnectionPool(c: ConnectionPoolModel): any {
  return compact({
    tcp: compact({ maxConnections: c.maxConnections, connectTimeout: dur(c.connectTimeoutMs) }),
    http: compact({
      http1MaxPendingRequests: c.http1MaxPendingRequests,
      http2MaxRequests: c.http2MaxRequests,
      maxRequestsPerConnection: c.maxRequestsPerConnection,
      maxRetries: c.maxRetries,
      idleTimeout: dur(c.idleTimeoutMs),
    }),
  }) ?? {};
}

function renderOutlierDetection(o: OutlierDetectionModel): any {
  return compact({
    // the typed DestinationRule L1 spells the wire field `consecutive5xxErrors` this way and renames it in toJson
    consecutive5XxErrors: o.consecutive5xxErrors,
    consecutiveGatewayErrors: o.consecutiveGatewayErrors,
    interval: dur(o.intervalMs),
    baseEjectionTime: dur(o.baseEjectionTimeMs),
    maxEjectionPercent: o.maxEjectionPercent,
    minHealthPercent: o.minHealthPercent,
  }) ?? {};
}

function renderStringMatch(m: StringMatchModel): any {
  return { [m.kind]: m.value };
}

function renderNamed(ms: readonly NamedMatchModel[]): any {
  const out: any = {};
  for (const m of ms) out[m.name] = m.match ? renderStringMatch(m.match) : {};
  return out;
}

/** An Istio `HTTPMatchRequest` from the model. */
export function renderMatch(m: MatchModel): any {
  const out: any = {};
  if (m.path) out.uri = renderStringMatch(m.path);
  if (m.headers.length) out.headers = renderNamed(m.headers);
  if (m.queryParams.length) out.queryParams = renderNamed(m.queryParams);
  if (m.method) out.method = { exact: m.method };
  if (m.ignoreUriCase) out.ignoreUriCase = true;
  return out;
}

function renderHeaderOps(h: HeaderOpsModel | undefined): any {
  if (!h) return undefined;
  return compact({ set: h.set, add: h.add, remove: h.remove ? [...h.remove] : undefined });
}

function renderCors(c: CorsModel): any {
  return compact({
    allowOrigins: c.allowOrigins.map(renderStringMatch),
    allowMethods: c.allowMethods.length ? [...c.allowMethods] : undefined,
    allowHeaders: c.allowHeaders.length ? [...c.allowHeaders] : undefined,
    exposeHeaders: c.exposeHeaders.length ? [...c.exposeHeaders] : undefined,
    maxAge: dur(c.maxAgeMs),
    allowCredentials: c.allowCredentials,
  });
}

function renderMirror(service: ServiceModel, m: MirrorModel): any {
  return { mirror: { host: service.host, subset: m.version }, mirrorPercentage: { value: m.percentage } };
}

/** One `http[]` rule of the VirtualService from a route of the model. */
function renderHttpRoute(model: MeshModel, service: ServiceModel, r: RouteModel): any {
  const out: any = { name: r.name };
  if (r.matches.length && !isCatchAllRoute(r)) out.match = r.matches.map(renderMatch);
  if (r.redirect) {
    out.redirect = compact({ ...r.redirect });
  } else {
    const destinations: WeightedDestination[] = r.destinations
      ? r.destinations.map((d) => ({ host: service.host, subset: d.version, ...(d.weight === undefined ? {} : { weight: d.weight }) }))
      : defaultDestinations(model, service);
    out.route = renderRoute(destinations);
    if (r.rewrite) {
      out.rewrite = compact({
        uri: r.rewrite.uri,
        authority: r.rewrite.authority,
        uriRegexRewrite: r.rewrite.uriRegex ? { match: r.rewrite.uriRegex.match, rewrite: r.rewrite.uriRegex.rewrite } : undefined,
      });
    }
    if (r.timeoutMs !== undefined) out.timeout = istioDuration(r.timeoutMs);
    if (r.retries) {
      out.retries = compact({
        attempts: r.retries.attempts,
        perTryTimeout: dur(r.retries.perTryTimeoutMs),
        retryOn: r.retries.retryOn.length ? r.retries.retryOn.join(',') : undefined,
        retryRemoteLocalities: r.retries.retryRemoteLocalities,
      });
    }
    if (r.fault) {
      out.fault = compact({
        delay: r.fault.delay ? { fixedDelay: istioDuration(r.fault.delay.fixedDelayMs), percentage: { value: r.fault.delay.percentage } } : undefined,
        abort: r.fault.abort ? { httpStatus: r.fault.abort.httpStatus, percentage: { value: r.fault.abort.percentage } } : undefined,
      });
    }
    const mirror = r.mirror ?? (r.destinations ? undefined : defaultMirror(model, service));
    if (mirror) Object.assign(out, renderMirror(service, mirror));
  }
  const headers = compact({ request: renderHeaderOps(r.requestHeaders), response: renderHeaderOps(r.responseHeaders) });
  if (headers) out.headers = headers;
  if (r.cors) out.corsPolicy = renderCors(r.cors);
  return out;
}

/**
 * `http[]` of the VirtualService: a release's tester-pinned rule first, the
 * service's routes in order, then the default rule (unless the last route
 * already matches every request).
 */
export function renderHttpRoutes(model: MeshModel, service: ServiceModel): any[] {
  const traffic = findTraffic(model, service.host);
  const routes = traffic?.routes ?? [];
  const release = releaseOf(model, service.host);
  const http: any[] = [];
  if (release && release.pinned.length > 0) {
    http.push({
      name: release.kind === 'canary' ? 'canary-pinned' : 'preview-pinned',
      match: release.pinned.map(renderMatch),
      route: renderRoute([{ host: service.host, subset: release.managedSubsets?.canary ?? release.canary }]),
    });
  }
  for (const r of routes) http.push(renderHttpRoute(model, service, r));
  if (routes.length === 0 || !isCatchAllRoute(routes[routes.length - 1])) {
    const rule: any = { name: 'default', route: renderRoute(defaultDestinations(model, service)) };
    const mirror = defaultMirror(model, service);
    if (mirror) Object.assign(rule, renderMirror(service, mirror));
    http.push(rule);
  }
  return http;
}

/** `spec` of the VirtualService: HTTP routes (release-aware) and an L4 route per TCP port. */
export function renderVirtualServiceSpec(model: MeshModel, service: ServiceModel): any {
  const destinations = defaultDestinations(model, service);
  const httpPorts = service.ports.filter((p) => p.protocol !== 'tcp');
  const tcpPorts = service.ports.filter((p) => p.protocol === 'tcp');
  const spec: any = { hosts: [service.host] };
  if (httpPorts.length > 0) {
    spec.http = renderHttpRoutes(model, service);
  }
  if (tcpPorts.length > 0) {
    spec.tcp = tcpPorts.map((p) => ({
      match: [{ port: p.port }],
      route: renderRoute(destinations.map((d) => ({ ...d, port: p.port }))),
    }));
  }
  return spec;
}
