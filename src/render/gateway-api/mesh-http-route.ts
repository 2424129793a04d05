import {
  corsFilter, headerFilters, intersect, precedenceConflict, redirectFilter, renderMatches, rewriteFilter, RuleSource, ruleName, serviceBackend,
  timeouts,
} from './http-route-rules';
import { isServiceName, ProblemKind, ProblemList } from './problems';
import { HttpRouteSpec, HttpRouteSpecRules, HttpRouteSpecRulesFilters, HttpRouteSpecRulesFiltersType } from '../../imports/gateway.networking.k8s.io';
import { PortModel, ServiceModel } from '../../model/core';
import { versionServiceName } from '../../model/routing';
import { ServiceSnapshot } from '../../model/snapshot';
import {
  describeMatch, DestinationModel, isCatchAllRoute, MATCH_ALL, MatchModel, MirrorModel, RouteModel, TrafficPolicyModel,
} from '../../model/traffic';

/**
 * Gateway API (GAMMA) rendering of a mesh service's routing: one `HTTPRoute`
 * per HTTP port whose parent is the service's own `Service`, with the same
 * rules, in the same order, as the VirtualService of the Istio rendering
 * (a release's tester-pinned rule, the service's routes, the default rule).
 *
 * The Gateway API has no subsets: each version is a `Service` of its own
 * (`<service>-<version>`, selecting `app` and `version`; see
 * `renderVersionServices`), and weights split traffic between those.
 */

/** One HTTPRoute of a service. */
export interface MeshHttpRoute {
  /** Object name: the service name, suffixed with the port name when the service has several HTTP ports. */
  readonly name: string;
  readonly port: PortModel;
  readonly spec: HttpRouteSpec;
}

/** The HTTP (non-TCP) ports of a service. */
export function httpPorts(service: ServiceModel): PortModel[] {
  return service.ports.filter((p) => p.protocol !== 'tcp');
}

interface RuleDraft {
  readonly source: RuleSource;
  readonly name?: string;
  readonly matches: readonly MatchModel[];
  readonly build: (port: PortModel) => HttpRouteSpecRules;
}

function backends(service: ServiceModel, destinations: readonly DestinationModel[], port: PortModel) {
  return destinations.map((d) => serviceBackend(versionServiceName(service, d.version), port.port, d.weight));
}

function mirrorFilter(service: ServiceModel, m: MirrorModel, port: PortModel): HttpRouteSpecRulesFilters {
  const whole = Number.isInteger(m.percentage);
  return {
    type: HttpRouteSpecRulesFiltersType.REQUEST_MIRROR,
    requestMirror: {
      backendRef: { group: '', kind: 'Service', name: versionServiceName(service, m.version), port: port.port },
      ...(whole ? { percent: m.percentage } : { fraction: { numerator: Math.round(m.percentage * 10000), denominator: 1000000 } }),
    },
  };
}

function routeDraft(service: ServiceSnapshot, r: RouteModel, problems: ProblemList): RuleDraft {
  const source: RuleSource = { path: r.path, prop: '' };
  const matches = r.matches.length && !isCatchAllRoute(r) ? r.matches : [];
  if (r.retries) {
    problems.add(ProblemKind.NOT_EXPRESSIBLE, r.path, 'retries',
      'cannot be rendered with the Gateway API: HTTPRouteRule.retry is in the experimental channel of Gateway API v1.5.1 only (the standard-channel CRDs prune it)',
      { attempts: r.retries.attempts, retryOn: r.retries.retryOn },
      `drop retries (the mesh-wide default retry policy applies), or route ${service.name} with the Istio API: routingApi: RoutingApi.ISTIO on the MeshService`);
  }
  if (r.fault) {
    problems.add(ProblemKind.NOT_EXPRESSIBLE, r.path, 'fault', 'has no Gateway API equivalent (fault injection is an Istio VirtualService feature)',
      r.fault, `route ${service.name} with the Istio API for the experiment: routingApi: RoutingApi.ISTIO on the MeshService`);
  }
  const renderedMatches = renderMatches(matches, source, problems);
  // filters that do not depend on the port, converted once (problems reported once)
  const fixed: HttpRouteSpecRulesFilters[] = [...headerFilters(r.requestHeaders, r.responseHeaders)];
  if (r.redirect) fixed.push(redirectFilter(r.redirect, source, problems));
  else if (r.rewrite) fixed.push(rewriteFilter(r.rewrite, matches, source, problems));
  if (r.cors) fixed.push(corsFilter(r.cors, source, problems));
  const mirror = r.redirect ? undefined : r.mirror ?? (r.destinations ? undefined : service.defaultMirror);
  const t = timeouts(r.timeoutMs);
  return {
    source,
    name: r.name,
    matches,
    build: (port) => {
      const rule: { -readonly [K in keyof HttpRouteSpecRules]: HttpRouteSpecRules[K] } = {};
      const name = ruleName(r.name);
      if (name) rule.name = name;
      rule.matches = renderedMatches;
      const f = [...fixed, ...(mirror ? [mirrorFilter(service, mirror, port)] : [])];
      if (f.length) rule.filters = f;
      if (!r.redirect) {
        rule.backendRefs = backends(service, r.destinations ?? service.defaultVersions, port);
        if (t) rule.timeouts = t;
      }
      return rule;
    },
  };
}

/** Problems of the service as a whole: version Service names, a Rollouts-driven release, hashing, TCP ports. */
function checkService(service: ServiceSnapshot, problems: ProblemList): void {
  for (const v of service.versions) {
    if (isServiceName(versionServiceName(service, v.name))) continue;
    problems.add(ProblemKind.NAME, service.path, 'versions', 'must give Service names with the Gateway API: each version is a Service \'<service>-<version>\', which must be a DNS-1035 label of at most 63 characters (lower-case letters, digits, \'-\', starting with a letter)',
      v.name, 'use a short lower-case version name such as \'v2\' (and a shorter serviceName), or route this service with RoutingApi.ISTIO');
  }
  const release = service.release;
  if (release?.managedSubsets) {
    problems.add(ProblemKind.ROLLOUTS_PLUGIN, service.path, 'routingApi',
      `must be RoutingApi.ISTIO while ${release.path} hands the split to Argo Rollouts (ReleaseDriver.argoRollouts): Argo Rollouts shifts Gateway API weights only through its Gateway API traffic-router plugin, which cdk8s-mesh does not install or configure`,
      'gateway-api', `route ${service.name} with the Istio API (routingApi: RoutingApi.ISTIO on the MeshService, or MeshRouting.use(chart, RoutingApi.ISTIO)), or release it without Argo Rollouts (a CanaryRelease without driver)`);
  }
  // measured by the conformance equivalence check: pilot (Istio 1.30) adds the DestinationRule's
  // consistent-hash policy to the routes of a VirtualService only, not to those it converts from an HTTPRoute
  const hashed = (policy: TrafficPolicyModel | undefined) => policy?.loadBalancer !== undefined && !('simple' in policy.loadBalancer);
  const traffic = service.traffic;
  const hashedAt = [
    ...(hashed(traffic.policy) ? [{ prop: 'trafficPolicy.loadBalancer', lb: traffic.policy!.loadBalancer }] : []),
    ...traffic.versionPolicies.filter((v) => hashed(v.policy)).map((v) => ({ prop: `versionTrafficPolicy(${v.version}).loadBalancer`, lb: v.policy.loadBalancer })),
  ];
  for (const h of hashedAt) {
    problems.add(ProblemKind.NOT_EXPRESSIBLE, service.path, h.prop,
      'must not be consistent hashing with the Gateway API: Istio 1.30 adds the hash policy of a DestinationRule to VirtualService routes only, so the routes it converts from an HTTPRoute would balance without session affinity',
      h.lb, `use LoadBalancer.leastRequest() / roundRobin() / random(), or route ${service.name} with the Istio API (routingApi: RoutingApi.ISTIO on the MeshService)`);
  }
  const tcp = service.ports.filter((p) => p.protocol === 'tcp');
  if (tcp.length > 0 && service.versions.length > 1) {
    problems.add(ProblemKind.NOT_EXPRESSIBLE, service.path, 'ports',
      `must be HTTP only when a service with several versions is routed with the Gateway API: the TCP port's default route to ${service.stableVersion} needs a TCPRoute, which is in the experimental channel of v1.5.1 only`,
      tcp.map((p) => `${p.name}:${p.port}`), `route ${service.name} with the Istio API (routingApi: RoutingApi.ISTIO on the MeshService), or give it a single version`);
  }
}

/**
 * The tester-pinned rule of a release. The VirtualService evaluates it first,
 * whatever the path; the Gateway API ranks a longer path first. So the pin is
 * repeated with every route's match (more conditions: it outranks that
 * route) and with the catch-all.
 */
function pinnedDraft(service: ServiceSnapshot, problems: ProblemList): RuleDraft | undefined {
  const release = service.release;
  if (!release || release.pinned.length === 0) return undefined;
  const canary = release.managedSubsets?.canary ?? release.canary;
  const source: RuleSource = { path: service.path, prop: `routes (release ${release.path}) ` };
  const pinned: MatchModel[] = [];
  const seen = new Set<string>();
  const bases = [...service.traffic.routes.flatMap((r) => (isCatchAllRoute(r) ? [] : r.matches)), MATCH_ALL];
  for (const base of bases) {
    for (const pin of release.pinned) {
      const m = intersect(base, pin);
      const key = JSON.stringify(m);
      if (m && !seen.has(key)) {
        seen.add(key);
        pinned.push(m);
      }
    }
  }
  const matches = renderMatches(pinned, source, problems);
  const name = release.kind === 'canary' ? 'canary-pinned' : 'preview-pinned';
  return { source, name, matches: pinned, build: (port) => ({ name, matches, backendRefs: backends(service, [{ version: canary }], port) }) };
}

/** The default rule: everything the routes leave goes where the service's default traffic goes. */
function defaultDraft(service: ServiceSnapshot, problems: ProblemList): RuleDraft {
  const matches = renderMatches([], { path: service.path, prop: '' }, problems);
  return {
    source: { path: service.path, prop: '' },
    name: 'default',
    matches: [],
    build: (port) => {
      const mirror = service.defaultMirror;
      return {
        name: 'default',
        matches,
        ...(mirror ? { filters: [mirrorFilter(service, mirror, port)] } : {}),
        backendRefs: backends(service, service.defaultVersions, port),
      };
    },
  };
}

/**
 * The HTTPRoutes of a service (one per HTTP port; none without HTTP ports),
 * reporting into `problems` what the Gateway API cannot express.
 */
export function renderMeshHttpRoutes(service: ServiceSnapshot, problems: ProblemList): MeshHttpRoute[] {
  const routes = service.traffic.routes;
  const ports = httpPorts(service);
  checkService(service, problems);
  const pinned = pinnedDraft(service, problems);
  const drafts: RuleDraft[] = [...(pinned ? [pinned] : []), ...routes.map((r) => routeDraft(service, r, problems))];
  if (routes.length === 0 || !isCatchAllRoute(routes[routes.length - 1])) drafts.push(defaultDraft(service, problems));
  if (drafts.length > 16) {
    problems.add(ProblemKind.NOT_EXPRESSIBLE, service.path, 'routes', 'must be at most 16 rules per HTTPRoute (routes, a release\'s pinned rule and the default rule)', drafts.length,
      'merge routes, or route this service with RoutingApi.ISTIO');
  }
  checkOrder(drafts, problems);
  return ports.map((port) => ({
    name: ports.length === 1 ? service.name : `${service.name}-${port.name}`,
    port,
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: service.name, port: port.port }],
      rules: drafts.map((d) => d.build(port)),
    },
  }));
}

function checkOrder(drafts: readonly RuleDraft[], problems: ProblemList): void {
  const flat = drafts.flatMap((d, rule) => (d.matches.length ? d.matches : [MATCH_ALL])
    .map((match) => ({ rule, match })));
  const conflict = precedenceConflict(flat);
  if (!conflict) return;
  const earlier = drafts[flat[conflict.earlier].rule];
  const later = drafts[flat[conflict.later].rule];
  problems.add(ProblemKind.ORDER_CHANGES, later.source.path, `${later.source.prop}match`,
    `would be evaluated before the earlier route ${JSON.stringify(earlier.name ?? '')} (${describeMatch(flat[conflict.earlier].match)}) with the Gateway API, ` +
    'which orders rules by precedence (exact path, longest prefix, method, most headers, most query parameters) instead of declaration order, and a request can match both',
    describeMatch(flat[conflict.later].match),
    'declare the more specific route first (or make the two matches exclusive), or route this service with RoutingApi.ISTIO');
}
