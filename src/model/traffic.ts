import type { PortModel } from './core';

/**
 * Traffic intent of the mesh: routes, traffic policies and releases, as plain
 * data keyed by service host. Renderers (VirtualService/DestinationRule,
 * gateway routes) and whole-graph rules read it; nothing here knows Istio.
 *
 * Durations are whole milliseconds; percentages are 0-100.
 */

export type StringMatchKind = 'exact' | 'prefix' | 'regex';

export interface StringMatchModel {
  readonly kind: StringMatchKind;
  readonly value: string;
}

/** A name/value condition (header or query parameter); no `match` means "present". */
export interface NamedMatchModel {
  readonly name: string;
  readonly match?: StringMatchModel;
}

/** One request condition set (all must hold). */
export interface MatchModel {
  readonly path?: StringMatchModel;
  readonly headers: readonly NamedMatchModel[];
  readonly queryParams: readonly NamedMatchModel[];
  readonly method?: string;
  readonly ignoreUriCase: boolean;
}

export interface DestinationModel {
  readonly version: string;
  /** 0-100; undefined when the route has a single destination. */
  readonly weight?: number;
}

export interface RetriesModel {
  readonly attempts: number;
  readonly perTryTimeoutMs?: number;
  readonly retryOn: readonly string[];
  readonly retryRemoteLocalities?: boolean;
}

export interface FaultModel {
  readonly delay?: { readonly fixedDelayMs: number; readonly percentage: number };
  readonly abort?: { readonly httpStatus: number; readonly percentage: number };
}

export interface MirrorModel {
  readonly version: string;
  readonly percentage: number;
}

export interface HeaderOpsModel {
  readonly set?: Readonly<Record<string, string>>;
  readonly add?: Readonly<Record<string, string>>;
  readonly remove?: readonly string[];
}

export interface RewriteModel {
  readonly uri?: string;
  readonly authority?: string;
  readonly uriRegex?: { readonly match: string; readonly rewrite: string };
}

export interface RedirectModel {
  readonly uri?: string;
  readonly authority?: string;
  readonly port?: number;
  readonly scheme?: string;
  readonly redirectCode?: number;
}

export interface CorsModel {
  readonly allowOrigins: readonly StringMatchModel[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeMs?: number;
  readonly allowCredentials?: boolean;
}

/** One HTTP routing rule of a service, in evaluation order. */
export interface RouteModel {
  /** Construct path of the route (diagnostics are reported there). */
  readonly path: string;
  /** Rule name (unique per service). */
  readonly name: string;
  /** Conditions (OR); empty means every request. */
  readonly matches: readonly MatchModel[];
  /** Explicit destinations; undefined means "wherever default traffic goes" (release-aware). */
  readonly destinations?: readonly DestinationModel[];
  readonly timeoutMs?: number;
  readonly retries?: RetriesModel;
  readonly fault?: FaultModel;
  readonly mirror?: MirrorModel;
  readonly requestHeaders?: HeaderOpsModel;
  readonly responseHeaders?: HeaderOpsModel;
  readonly rewrite?: RewriteModel;
  readonly redirect?: RedirectModel;
  readonly cors?: CorsModel;
}

export type LoadBalancerModel =
  | { readonly simple: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' }
  | { readonly hashHeader: string }
  | { readonly hashCookie: { readonly name: string; readonly path?: string; readonly ttlMs?: number } }
  | { readonly hashSourceIp: true }
  | { readonly hashQueryParam: string };

export interface ConnectionPoolModel {
  readonly maxConnections?: number;
  readonly connectTimeoutMs?: number;
  readonly http1MaxPendingRequests?: number;
  readonly http2MaxRequests?: number;
  readonly maxRequestsPerConnection?: number;
  readonly maxRetries?: number;
  readonly idleTimeoutMs?: number;
}

export interface OutlierDetectionModel {
  readonly consecutive5xxErrors?: number;
  readonly consecutiveGatewayErrors?: number;
  readonly intervalMs?: number;
  readonly baseEjectionTimeMs?: number;
  readonly maxEjectionPercent?: number;
  readonly minHealthPercent?: number;
}

export interface TrafficPolicyModel {
  readonly loadBalancer?: LoadBalancerModel;
  readonly connectionPool?: ConnectionPoolModel;
  readonly outlierDetection?: OutlierDetectionModel;
}

/** A release owning a service's default routing (canary or blue-green). */
export interface ReleaseModel {
  /** Construct path of the release. */
  readonly path: string;
  readonly kind: 'canary' | 'blue-green';
  /** Version receiving the rest of the traffic (blue-green: the active version). */
  readonly stable: string;
  /** Version under test (blue-green: the preview version). */
  readonly canary: string;
  /** Percentage of default traffic sent to `canary` (blue-green: always 0). */
  readonly canaryWeight: number;
  /** Requests matching any of these always reach `canary`. */
  readonly pinned: readonly MatchModel[];
  /** Percentage of default traffic shadowed to `canary`. */
  readonly mirrorPercentage?: number;
  /**
   * Set when a progressive-delivery controller owns the split: the service's
   * DestinationRule gets these two subsets (selecting the service's pods by
   * the Service selector only; the controller adds the pod-template-hash
   * label at run time) instead of the `stable` and `canary` version subsets,
   * and the default route sends 100% to `stable`, 0% to `canary` in Git.
   */
  readonly managedSubsets?: { readonly stable: string; readonly canary: string };
}

/** Everything traffic-related registered for one service host. */
export interface ServiceTrafficModel {
  readonly routes: readonly RouteModel[];
  readonly policy?: TrafficPolicyModel;
  /** Per-version (subset) overrides, in the order they were set. */
  readonly versionPolicies: readonly VersionTrafficPolicyModel[];
  /** Releases of the service, in declaration order; the first one owns the default routing. */
  readonly releases: readonly ReleaseModel[];
}

/** The traffic policy of one version (its DestinationRule subset). */
export interface VersionTrafficPolicyModel {
  readonly version: string;
  /** Construct path of the service that set it. */
  readonly path: string;
  readonly policy: TrafficPolicyModel;
}

/** True when a match has no condition at all. */
export function isCatchAllMatch(m: MatchModel): boolean {
  return !m.path && m.headers.length === 0 && m.queryParams.length === 0 && !m.method;
}

/**
 * The HTTP ports a service's own VirtualService repeats each rule for, or none.
 * Istio's analyzer requires a destination port wherever the service has more
 * than one port (IST0112). With one HTTP port the rules name it; with several,
 * each rule is repeated per HTTP port, matched on the port the request came in
 * on and sent to that same port, named `<rule>-<port>` (`routeNameOnPort`): what
 * a rule without a port means (pilot sends it to the listener's own port).
 */
export function splitRoutePorts(service: { readonly ports: readonly PortModel[] }): number[] {
  const http = service.ports.filter((p) => p.protocol !== 'tcp');
  return http.length > 1 ? http.map((p) => p.port) : [];
}

/** Name of a service VirtualService rule repeated for one of its HTTP ports (see `splitRoutePorts`). */
export function routeNameOnPort(name: string, port: number): string {
  return `${name}-${port}`;
}

/** True when a rule matches every request (no match, or one condition-free match). */
export function isCatchAllRoute(r: Pick<RouteModel, 'matches'>): boolean {
  return r.matches.length === 0 || r.matches.some(isCatchAllMatch);
}

function stringSubsumes(a: StringMatchModel, b: StringMatchModel): boolean {
  if (a.kind === 'regex' || b.kind === 'regex') return a.kind === b.kind && a.value === b.value;
  if (a.kind === 'exact') return b.kind === 'exact' && a.value === b.value;
  return b.value.startsWith(a.value);
}

function namedSubsumes(a: readonly NamedMatchModel[], b: readonly NamedMatchModel[]): boolean {
  return a.every((ac) => {
    const bc = b.find((x) => x.name === ac.name);
    if (!bc) return false;
    if (!ac.match) return true;
    return bc.match !== undefined && stringSubsumes(ac.match, bc.match);
  });
}

/**
 * True when every request matching `b` also matches `a` (so a rule with `a`
 * placed before a rule with `b` makes `b` unreachable). Conservative: regexes
 * only subsume identical regexes.
 */
export function matchSubsumes(a: MatchModel, b: MatchModel): boolean {
  if (a.path) {
    if (!b.path || a.ignoreUriCase !== b.ignoreUriCase) return false;
    if (!stringSubsumes(a.path, b.path)) return false;
  }
  if (a.method && a.method !== b.method) return false;
  return namedSubsumes(a.headers, b.headers) && namedSubsumes(a.queryParams, b.queryParams);
}

/** Describes a match for messages, e.g. `path prefix "/api", header x-canary exact "1"`. */
export function describeMatch(m: MatchModel): string {
  const parts: string[] = [];
  if (m.path) parts.push(`path ${m.path.kind} ${JSON.stringify(m.path.value)}`);
  for (const h of m.headers) parts.push(h.match ? `header ${h.name} ${h.match.kind} ${JSON.stringify(h.match.value)}` : `header ${h.name} present`);
  for (const q of m.queryParams) parts.push(q.match ? `query ${q.name} ${q.match.kind} ${JSON.stringify(q.match.value)}` : `query ${q.name} present`);
  if (m.method) parts.push(`method ${m.method}`);
  return parts.length ? parts.join(', ') : 'every request';
}

/**
 * Where default traffic of a service goes, as versions and weights
 * (release-aware; pinned tester routes excluded): the release's split, the
 * active version of a blue-green release, or the stable version.
 */
export function defaultVersionsOf(stableVersion: string, release: ReleaseModel | undefined): DestinationModel[] {
  if (!release) return [{ version: stableVersion }];
  if (release.kind === 'blue-green') return [{ version: release.stable }];
  // a controller owns the weights: Git holds the resting state (all to stable)
  if (release.managedSubsets) return [{ version: release.managedSubsets.stable, weight: 100 }, { version: release.managedSubsets.canary, weight: 0 }];
  return [
    { version: release.stable, weight: 100 - release.canaryWeight },
    { version: release.canary, weight: release.canaryWeight },
  ];
}

/** The mirror applied to routes that follow the default destinations. */
export function defaultMirrorOf(release: ReleaseModel | undefined): MirrorModel | undefined {
  if (!release || release.mirrorPercentage === undefined) return undefined;
  return { version: release.managedSubsets?.canary ?? release.canary, percentage: release.mirrorPercentage };
}

/** A match with no condition (what a route without `match` means). */
export const MATCH_ALL: MatchModel = { headers: [], queryParams: [], ignoreUriCase: false };

/**
 * Name of a gateway route to a service whose split a controller owns (Argo
 * Rollouts needs named routes to find them), or undefined for every other
 * service (their gateway routes stay unnamed).
 */
export function managedGatewayRouteName(
  service: { readonly name: string; readonly release?: ReleaseModel } | undefined, routeIndex: number,
): string | undefined {
  return service?.release?.managedSubsets ? `${service.name}-${routeIndex}` : undefined;
}
