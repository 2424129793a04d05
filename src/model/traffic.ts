import { Diagnostic, MeshModel, ServiceModel } from './mesh-model';

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
  // --- gitops (src/rollouts): a controller (Argo Rollouts) owns the split ---
  /**
   * Set when a progressive-delivery controller owns the split: the service's
   * DestinationRule gets these two subsets (selecting the service's pods by
   * the Service selector only; the controller adds the pod-template-hash
   * label at run time) instead of the `stable` and `canary` version subsets,
   * and the default route sends 100% to `stable`, 0% to `canary` in Git.
   */
  readonly managedSubsets?: { readonly stable: string; readonly canary: string };
  // --- end gitops ---
}

/** Everything traffic-related registered for one service host. */
export interface ServiceTrafficModel {
  readonly routes: RouteModel[];
  policy?: TrafficPolicyModel;
  /** Per-version (subset) overrides, by version name. */
  readonly versionPolicies: Map<string, { readonly path: string; readonly policy: TrafficPolicyModel }>;
  readonly releases: ReleaseModel[];
}

const STATE = new WeakMap<MeshModel, Map<string, ServiceTrafficModel>>();

/** The traffic registrations of one service host (created on first use). */
export function trafficOf(model: MeshModel, host: string): ServiceTrafficModel {
  let byHost = STATE.get(model);
  if (!byHost) {
    byHost = new Map();
    STATE.set(model, byHost);
  }
  let t = byHost.get(host);
  if (!t) {
    t = { routes: [], versionPolicies: new Map(), releases: [] };
    byHost.set(host, t);
  }
  return t;
}

/** The traffic registrations of a host if any exist (never creates state). */
export function findTraffic(model: MeshModel, host: string): ServiceTrafficModel | undefined {
  return STATE.get(model)?.get(host);
}

/** The release that owns a service's default routing, if any. */
export function releaseOf(model: MeshModel, host: string): ReleaseModel | undefined {
  return findTraffic(model, host)?.releases[0];
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
export function splitRoutePorts(service: Pick<ServiceModel, 'ports'>): number[] {
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

/** Rule codes of the traffic analysis. */
export const TrafficRule = {
  UNKNOWN_VERSION: 'TRAFFIC001',
  ZERO_REPLICAS: 'TRAFFIC002',
  UNREACHABLE: 'TRAFFIC003',
  MIRROR_IS_PRIMARY: 'TRAFFIC004',
  RELEASE_CONFLICT: 'TRAFFIC005',
} as const;

/**
 * Where default traffic of a service goes, as versions and weights
 * (release-aware; pinned tester routes excluded).
 */
export function defaultVersions(model: MeshModel, service: ServiceModel): DestinationModel[] {
  const release = releaseOf(model, service.host);
  if (!release) return [{ version: service.stableVersion }];
  if (release.kind === 'blue-green') return [{ version: release.stable }];
  // gitops: a controller owns the weights; Git holds the resting state (all to stable)
  if (release.managedSubsets) return [{ version: release.managedSubsets.stable, weight: 100 }, { version: release.managedSubsets.canary, weight: 0 }];
  return [
    { version: release.stable, weight: 100 - release.canaryWeight },
    { version: release.canary, weight: release.canaryWeight },
  ];
}

/** The mirror applied to routes that follow the default destinations. */
export function defaultMirror(model: MeshModel, service: ServiceModel): MirrorModel | undefined {
  const release = releaseOf(model, service.host);
  if (!release || release.mirrorPercentage === undefined) return undefined;
  return { version: release.managedSubsets?.canary ?? release.canary, percentage: release.mirrorPercentage };
}

function diag(code: string, path: string, message: string): Diagnostic {
  return { code, severity: 'error', path, message };
}

function versionList(service: ServiceModel): string {
  return service.versions.map((v) => JSON.stringify(v.name)).join(', ');
}

/** Registers the traffic rules (`TRAFFICnnn`); called once per model by the rule catalog (`analysis/rules`). */
export function registerTrafficRules(model: MeshModel): void {
  model.addRule(TrafficRule.UNKNOWN_VERSION, (m) => forEachService(m, checkUnknownVersions));
  model.addRule(TrafficRule.ZERO_REPLICAS, (m) => forEachService(m, checkZeroReplicas));
  model.addRule(TrafficRule.UNREACHABLE, (m) => forEachService(m, checkUnreachable));
  model.addRule(TrafficRule.MIRROR_IS_PRIMARY, (m) => forEachService(m, checkMirror));
  model.addRule(TrafficRule.RELEASE_CONFLICT, (m) => forEachService(m, checkReleaseConflicts));
}

type ServiceCheck = (model: MeshModel, service: ServiceModel, traffic: ServiceTrafficModel) => Diagnostic[];

function forEachService(model: MeshModel, check: ServiceCheck): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const service of model.services) {
    out.push(...check(model, service, findTraffic(model, service.host) ?? { routes: [], versionPolicies: new Map(), releases: [] }));
  }
  return out;
}

function checkUnknownVersions(_model: MeshModel, service: ServiceModel, t: ServiceTrafficModel): Diagnostic[] {
  const known = new Set(service.versions.map((v) => v.name));
  const out: Diagnostic[] = [];
  const check = (path: string, prop: string, version: string) => {
    if (!known.has(version)) {
      out.push(diag(TrafficRule.UNKNOWN_VERSION, path,
        `'${prop}' must name a version (DestinationRule subset) of ${service.name} (${versionList(service)}), got ${JSON.stringify(version)}. Fix: use an existing version or add it with addVersion()`));
    }
  };
  for (const r of t.routes) {
    r.destinations?.forEach((d, i) => check(r.path, r.destinations!.length === 1 ? 'to' : `destinations[${i}].version`, d.version));
    if (r.mirror) check(r.path, 'mirror.version', r.mirror.version);
  }
  for (const [version, { path }] of t.versionPolicies) check(path, 'version', version);
  for (const rel of t.releases) {
    const [s, c] = rel.kind === 'canary' ? ['stable', 'canary'] : ['active', 'preview'];
    check(rel.path, s, rel.stable);
    check(rel.path, c, rel.canary);
  }
  return out;
}

function replicasOf(service: ServiceModel, version: string): number | undefined {
  return service.versions.find((v) => v.name === version)?.replicas;
}

function checkZeroReplicas(model: MeshModel, service: ServiceModel, t: ServiceTrafficModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const check = (path: string, what: string, version: string) => {
    if (replicasOf(service, version) === 0) {
      out.push(diag(TrafficRule.ZERO_REPLICAS, path,
        `${what} version ${JSON.stringify(version)} of ${service.name}, which has 0 replicas, so those requests would fail with 503. Fix: give version ${JSON.stringify(version)} at least 1 replica, or route elsewhere`));
    }
  };
  const release = t.releases[0];
  const defaults = defaultVersions(model, service).filter((d) => d.weight === undefined || d.weight > 0);
  const defaultPath = release?.path ?? service.path;
  let defaultsUsed = !t.routes.some((r) => isCatchAllRoute(r) && r.redirect === undefined && r.destinations !== undefined);
  for (const r of t.routes) {
    if (r.redirect) continue;
    if (r.destinations) {
      for (const d of r.destinations) if (d.weight === undefined || d.weight > 0) check(r.path, 'the route sends traffic to', d.version);
    } else {
      defaultsUsed = true;
    }
    if (r.mirror) check(r.path, 'the route mirrors traffic to', r.mirror.version);
  }
  if (defaultsUsed) for (const d of defaults) check(defaultPath, 'the default route sends traffic to', d.version);
  if (release) {
    if (release.pinned.length > 0) check(release.path, 'pinned testers are sent to', release.canary);
    if (release.mirrorPercentage !== undefined) check(release.path, 'the release mirrors traffic to', release.canary);
  }
  return out;
}

function checkUnreachable(_model: MeshModel, _service: ServiceModel, t: ServiceTrafficModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  t.routes.forEach((later, j) => {
    for (let i = 0; i < j; i++) {
      const earlier = t.routes[i];
      const laterMatches = later.matches.length === 0 ? [{ headers: [], queryParams: [], ignoreUriCase: false }] : later.matches;
      const earlierMatches = earlier.matches.length === 0 ? [{ headers: [], queryParams: [], ignoreUriCase: false }] : earlier.matches;
      const shadowed = laterMatches.every((lm) => earlierMatches.some((em) => matchSubsumes(em, lm)));
      if (shadowed) {
        const why = isCatchAllRoute(earlier) ? 'matches every request' : `matches everything it matches (${earlierMatches.map(describeMatch).join(' | ')})`;
        out.push(diag(TrafficRule.UNREACHABLE, later.path,
          `'match' is unreachable: the earlier route ${JSON.stringify(earlier.name)} ${why}, got ${laterMatches.map((m) => JSON.stringify(describeMatch(m))).join(' | ')}. Fix: add the more specific route before ${JSON.stringify(earlier.name)}, or narrow ${JSON.stringify(earlier.name)}`));
        break;
      }
    }
  });
  return out;
}

function checkMirror(model: MeshModel, service: ServiceModel, t: ServiceTrafficModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const defaults = defaultVersions(model, service);
  const primaries = (ds: readonly DestinationModel[]) => ds.filter((d) => d.weight === undefined || d.weight > 0).map((d) => d.version);
  for (const r of t.routes) {
    if (!r.mirror || r.redirect) continue;
    const primary = primaries(r.destinations ?? defaults);
    if (primary.includes(r.mirror.version)) {
      out.push(diag(TrafficRule.MIRROR_IS_PRIMARY, r.path,
        `'mirror.version' must differ from the route's primary destination (${primary.map((v) => JSON.stringify(v)).join(', ')}): mirroring a version to itself doubles its load and side effects, got ${JSON.stringify(r.mirror.version)}. Fix: mirror to a version that receives no live traffic on this route`));
    }
  }
  const release = t.releases[0];
  if (release?.mirrorPercentage !== undefined && release.canaryWeight > 0) {
    out.push(diag(TrafficRule.MIRROR_IS_PRIMARY, release.path,
      `'mirrorPercentage' shadows traffic to the canary, which already receives live traffic (canaryPercentage ${release.canaryWeight}), got ${release.mirrorPercentage}. Fix: use mirroring only in the shadow phase with canaryPercentage: 0, or drop mirrorPercentage`));
  }
  return out;
}

function checkReleaseConflicts(_model: MeshModel, service: ServiceModel, t: ServiceTrafficModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const release = t.releases[0];
  if (!release) return out;
  for (const other of t.releases.slice(1)) {
    out.push(diag(TrafficRule.RELEASE_CONFLICT, other.path,
      `'service' already has a release that owns its routing (${release.path}), got ${service.name}. Fix: keep one CanaryRelease or BlueGreenRelease per service`));
  }
  for (const r of t.routes) {
    if (r.destinations) {
      out.push(diag(TrafficRule.RELEASE_CONFLICT, r.path,
        `'to' pins the route to ${r.destinations.map((d) => JSON.stringify(d.version)).join(', ')}, but ${release.path} owns the routing of ${service.name} and would be bypassed, got ${JSON.stringify(r.destinations.map((d) => d.version))}. Fix: drop 'to'/'destinations' so the route follows the release split, or remove the release`));
    }
  }
  return out;
}
