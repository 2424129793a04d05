import { gatewayApiDuration, ProblemKind, ProblemList } from './problems';
import {
  HttpRouteSpecRules, HttpRouteSpecRulesBackendRefs, HttpRouteSpecRulesFilters, HttpRouteSpecRulesFiltersCorsAllowMethods,
  HttpRouteSpecRulesFiltersRequestRedirectScheme, HttpRouteSpecRulesFiltersRequestRedirectStatusCode, HttpRouteSpecRulesFiltersType,
  HttpRouteSpecRulesFiltersUrlRewritePathType, HttpRouteSpecRulesMatches, HttpRouteSpecRulesMatchesHeaders, HttpRouteSpecRulesMatchesHeadersType,
  HttpRouteSpecRulesMatchesMethod, HttpRouteSpecRulesMatchesPathType, HttpRouteSpecRulesMatchesQueryParams, HttpRouteSpecRulesMatchesQueryParamsType,
  HttpRouteSpecRulesFiltersRequestRedirectPathType,
} from '../../imports/gateway.networking.k8s.io';
import {
  CorsModel, describeMatch, HeaderOpsModel, MatchModel, matchSubsumes, NamedMatchModel, RedirectModel, RewriteModel, StringMatchModel,
} from '../../model/traffic';
import { escapeRegex } from '../../private/values';

/**
 * Conversion of the model's HTTP route pieces (matches, filters, timeouts)
 * into Gateway API `HTTPRouteRule` parts, shared by the mesh (GAMMA) routes
 * and the ingress gateway routes. Every defaulted field is written out
 * (path `PathPrefix /`, match types, backend group and kind), so what the
 * API server stores, what Istio converts and what the conformance oracle
 * reads are the same object.
 */

/** Where a rule came from, for problems. */
export interface RuleSource {
  /** Construct path problems are reported on. */
  readonly path: string;
  /** Prop prefix of the rule in that construct (e.g. `''` for a MeshRoute, `routes[2].` for a gateway route). */
  readonly prop: string;
}

const METHODS: ReadonlySet<string> = new Set<string>(Object.values(HttpRouteSpecRulesMatchesMethod));
const CORS_METHODS: ReadonlySet<string> = new Set<string>(Object.values(HttpRouteSpecRulesFiltersCorsAllowMethods));
const REDIRECT_CODES: ReadonlySet<number> = new Set<number>([301, 302, 303, 307, 308]);
const RULE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A rule name the Gateway API accepts (SectionName), or undefined. */
export function ruleName(name: string | undefined): string | undefined {
  return name !== undefined && name.length <= 253 && RULE_NAME.test(name) ? name : undefined;
}

function namedMatch(m: NamedMatchModel): { type: 'Exact' | 'RegularExpression'; value: string } {
  if (!m.match) return { type: 'RegularExpression', value: '.*' };
  if (m.match.kind === 'exact') return { type: 'Exact', value: m.match.value };
  if (m.match.kind === 'regex') return { type: 'RegularExpression', value: m.match.value };
  // prefix: the Gateway API matches headers and query parameters exactly or by regex (full match)
  return { type: 'RegularExpression', value: `${escapeRegex(m.match.value)}.*` };
}

function pathMatch(p: StringMatchModel | undefined): { type: HttpRouteSpecRulesMatchesPathType; value: string } {
  if (!p) return { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: '/' };
  if (p.kind === 'exact') return { type: HttpRouteSpecRulesMatchesPathType.EXACT, value: p.value };
  if (p.kind === 'prefix') return { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: p.value };
  return { type: HttpRouteSpecRulesMatchesPathType.REGULAR_EXPRESSION, value: p.value };
}

/** One `HTTPRouteMatch` from a model match (path defaults to `PathPrefix /`). */
export function renderMatch(m: MatchModel, src: RuleSource, problems: ProblemList): HttpRouteSpecRulesMatches {
  if (m.ignoreUriCase) {
    problems.add(ProblemKind.NOT_EXPRESSIBLE, src.path, `${src.prop}match`, 'must not ignore the URI case: the Gateway API has no case-insensitive path match',
      describeMatch(m), 'match the path with a regex such as \'(?i)/api.*\', or route this service with RoutingApi.ISTIO');
  }
  if (m.path && m.path.kind === 'prefix' && !m.path.value.startsWith('/')) {
    problems.add(ProblemKind.NOT_EXPRESSIBLE, src.path, `${src.prop}match`, 'must match a path prefix starting with \'/\' (Gateway API PathPrefix)',
      m.path.value, `use "/${m.path.value}"`);
  }
  if (m.method !== undefined && !METHODS.has(m.method)) {
    problems.add(ProblemKind.NOT_EXPRESSIBLE, src.path, `${src.prop}match`, `must match one of the Gateway API methods (${[...METHODS].join(', ')})`,
      m.method, 'match one of those methods, or route this service with RoutingApi.ISTIO');
  }
  const out: { -readonly [K in keyof HttpRouteSpecRulesMatches]: HttpRouteSpecRulesMatches[K] } = { path: pathMatch(m.path) };
  if (m.headers.length) {
    out.headers = m.headers.map((h): HttpRouteSpecRulesMatchesHeaders => {
      const v = namedMatch(h);
      return { name: h.name, type: v.type === 'Exact' ? HttpRouteSpecRulesMatchesHeadersType.EXACT : HttpRouteSpecRulesMatchesHeadersType.REGULAR_EXPRESSION, value: v.value };
    });
  }
  if (m.queryParams.length) {
    out.queryParams = m.queryParams.map((q): HttpRouteSpecRulesMatchesQueryParams => {
      const v = namedMatch(q);
      return { name: q.name, type: v.type === 'Exact' ? HttpRouteSpecRulesMatchesQueryParamsType.EXACT : HttpRouteSpecRulesMatchesQueryParamsType.REGULAR_EXPRESSION, value: v.value };
    });
  }
  if (m.method !== undefined && METHODS.has(m.method)) out.method = m.method as HttpRouteSpecRulesMatchesMethod;
  return out;
}

/** The match list of a rule: none in the model means every request (`PathPrefix /`). */
export function renderMatches(matches: readonly MatchModel[], src: RuleSource, problems: ProblemList): HttpRouteSpecRulesMatches[] {
  const list = matches.length ? matches : [{ headers: [], queryParams: [], ignoreUriCase: false }];
  if (list.length > 64) {
    problems.add(ProblemKind.NOT_EXPRESSIBLE, src.path, `${src.prop}match`, 'must list at most 64 matches (HTTPRouteRule.matches)', list.length, 'split the route');
  }
  return list.map((m) => renderMatch(m, src, problems));
}

function headerModifier(h: HeaderOpsModel): { set?: { name: string; value: string }[]; add?: { name: string; value: string }[]; remove?: string[] } {
  const pairs = (r: Readonly<Record<string, string>> | undefined) =>
    (r && Object.keys(r).length ? Object.entries(r).map(([name, value]) => ({ name, value })) : undefined);
  const out: { set?: { name: string; value: string }[]; add?: { name: string; value: string }[]; remove?: string[] } = {};
  const set = pairs(h.set);
  const add = pairs(h.add);
  if (set) out.set = set;
  if (add) out.add = add;
  if (h.remove && h.remove.length) out.remove = [...h.remove];
  return out;
}

/** Request/response header edits as filters (none when empty). */
export function headerFilters(request: HeaderOpsModel | undefined, response: HeaderOpsModel | undefined): HttpRouteSpecRulesFilters[] {
  const out: HttpRouteSpecRulesFilters[] = [];
  if (request && Object.keys(headerModifier(request)).length) {
    out.push({ type: HttpRouteSpecRulesFiltersType.REQUEST_HEADER_MODIFIER, requestHeaderModifier: headerModifier(request) });
  }
  if (response && Object.keys(headerModifier(response)).length) {
    out.push({ type: HttpRouteSpecRulesFiltersType.RESPONSE_HEADER_MODIFIER, responseHeaderModifier: headerModifier(response) });
  }
  return out;
}

/** A `RequestRedirect` filter from the model's redirect. */
export function redirectFilter(r: RedirectModel, src: RuleSource, problems: ProblemList): HttpRouteSpecRulesFilters {
  const code = r.redirectCode ?? 301; // Istio's default (the Gateway API's is 302): written out
  if (!REDIRECT_CODES.has(code)) {
    problems.add(ProblemKind.NOT_EXPRESSIBLE, src.path, `${src.prop}redirect.redirectCode`, 'must be 301, 302, 303, 307 or 308 (Gateway API RequestRedirect.statusCode)',
      code, 'use one of those codes, or route this service with RoutingApi.ISTIO');
  }
  if (r.authority !== undefined && r.authority.includes(':')) {
    problems.add(ProblemKind.NOT_EXPRESSIBLE, src.path, `${src.prop}redirect.authority`, 'must be a host name without a port (Gateway API RequestRedirect.hostname; the port is its own field)',
      r.authority, `set authority: ${JSON.stringify(r.authority.split(':')[0])} and port: ${r.authority.split(':')[1]}`);
  }
  if (r.scheme !== undefined && r.scheme !== 'http' && r.scheme !== 'https') {
    problems.add(ProblemKind.NOT_EXPRESSIBLE, src.path, `${src.prop}redirect.scheme`, 'must be \'http\' or \'https\' (Gateway API RequestRedirect.scheme)', r.scheme, 'use \'https\'');
  }
  return {
    type: HttpRouteSpecRulesFiltersType.REQUEST_REDIRECT,
    requestRedirect: {
      ...(r.scheme === 'http' ? { scheme: HttpRouteSpecRulesFiltersRequestRedirectScheme.HTTP } : {}),
      ...(r.scheme === 'https' ? { scheme: HttpRouteSpecRulesFiltersRequestRedirectScheme.HTTPS } : {}),
      ...(r.authority !== undefined && !r.authority.includes(':') ? { hostname: r.authority } : {}),
      ...(r.uri !== undefined ? { path: { type: HttpRouteSpecRulesFiltersRequestRedirectPathType.REPLACE_FULL_PATH, replaceFullPath: r.uri } } : {}),
      ...(r.port !== undefined ? { port: r.port } : {}),
      statusCode: (REDIRECT_CODES.has(code) ? code : 301) as HttpRouteSpecRulesFiltersRequestRedirectStatusCode,
    },
  };
}

/**
 * A `URLRewrite` filter from the model's rewrite. Istio's `rewrite.uri`
 * replaces the matched prefix when the request matched a path prefix, and
 * the whole path otherwise; the Gateway API spells the two cases out
 * (`ReplacePrefixMatch` needs exactly one `PathPrefix` match).
 */
export function rewriteFilter(r: RewriteModel, matches: readonly MatchModel[], src: RuleSource, problems: ProblemList): HttpRouteSpecRulesFilters {
  type RewritePath = { type: HttpRouteSpecRulesFiltersUrlRewritePathType; replacePrefixMatch?: string; replaceFullPath?: string };
  const out: { hostname?: string; path?: RewritePath } = {};
  if (r.uriRegex) {
    problems.add(ProblemKind.NOT_EXPRESSIBLE, src.path, `${src.prop}rewrite.uriRegex`, 'has no Gateway API equivalent (URLRewrite replaces a prefix or the full path only)',
      r.uriRegex, 'rewrite a path prefix instead, or route this service with RoutingApi.ISTIO');
  }
  if (r.authority !== undefined) out.hostname = r.authority;
  if (r.uri !== undefined) {
    // a rule without matches is PathPrefix / in the Gateway API (and a catch-all VirtualService rule matches prefix /)
    const paths = matches.length ? matches.map((m) => m.path) : [{ kind: 'prefix' as const, value: '/' }];
    if (paths.length === 1 && paths[0]?.kind === 'prefix') {
      out.path = { type: HttpRouteSpecRulesFiltersUrlRewritePathType.REPLACE_PREFIX_MATCH, replacePrefixMatch: r.uri };
    } else if (paths.length > 0 && paths.every((p) => p?.kind === 'exact')) {
      out.path = { type: HttpRouteSpecRulesFiltersUrlRewritePathType.REPLACE_FULL_PATH, replaceFullPath: r.uri };
    } else {
      problems.add(ProblemKind.NOT_EXPRESSIBLE, src.path, `${src.prop}rewrite.uri`,
        'needs exactly one path-prefix match, or only exact-path matches, to be a Gateway API URLRewrite (ReplacePrefixMatch / ReplaceFullPath)',
        matches.map(describeMatch), 'give the route one HttpMatch.pathPrefix(...) match (or exact paths only), or route this service with RoutingApi.ISTIO');
    }
  }
  return { type: HttpRouteSpecRulesFiltersType.URL_REWRITE, urlRewrite: out };
}

/** A `CORS` filter from the model's CORS policy. */
export function corsFilter(c: CorsModel, src: RuleSource, problems: ProblemList): HttpRouteSpecRulesFilters {
  const origins: string[] = [];
  for (const o of c.allowOrigins) {
    if (o.kind === 'exact') {
      origins.push(o.value);
    } else {
      problems.add(ProblemKind.NOT_EXPRESSIBLE, src.path, `${src.prop}cors.allowOrigins`, `must list exact origins (the Gateway API CORS filter takes origins or '*' wildcards, no prefix or regex; this one is a ${o.kind})`,
        o.value, 'list each origin exactly (e.g. \'https://shop.example.com\'), or route this service with RoutingApi.ISTIO');
    }
  }
  const bad = c.allowMethods.filter((m) => !CORS_METHODS.has(m));
  if (bad.length) {
    problems.add(ProblemKind.NOT_EXPRESSIBLE, src.path, `${src.prop}cors.allowMethods`, `must be among ${[...CORS_METHODS].join(', ')}`, bad, 'drop the other methods');
  }
  if (c.maxAgeMs !== undefined && c.maxAgeMs % 1000 !== 0) {
    problems.add(ProblemKind.NOT_EXPRESSIBLE, src.path, `${src.prop}cors.maxAge`, 'must be whole seconds (Gateway API CORS maxAge)', `${c.maxAgeMs}ms`, `use Duration.seconds(${Math.round(c.maxAgeMs / 1000)})`);
  }
  return {
    type: HttpRouteSpecRulesFiltersType.CORS,
    cors: {
      ...(origins.length ? { allowOrigins: origins } : {}),
      ...(c.allowMethods.length
        ? { allowMethods: c.allowMethods.filter((m) => CORS_METHODS.has(m)) as HttpRouteSpecRulesFiltersCorsAllowMethods[] }
        : {}),
      ...(c.allowHeaders.length ? { allowHeaders: [...c.allowHeaders] } : {}),
      ...(c.exposeHeaders.length ? { exposeHeaders: [...c.exposeHeaders] } : {}),
      ...(c.maxAgeMs !== undefined ? { maxAge: Math.round(c.maxAgeMs / 1000) } : {}),
      ...(c.allowCredentials !== undefined ? { allowCredentials: c.allowCredentials } : {}),
    },
  };
}

/** `timeouts` of a rule (undefined without a timeout). */
export function timeouts(timeoutMs: number | undefined): { request: string } | undefined {
  return timeoutMs === undefined ? undefined : { request: gatewayApiDuration(timeoutMs) };
}

/** A backendRef to a Service (group and kind written out). */
export function serviceBackend(name: string, port: number, weight?: number, namespace?: string): HttpRouteSpecRulesBackendRefs {
  return { group: '', kind: 'Service', name, ...(namespace !== undefined ? { namespace } : {}), port, ...(weight !== undefined ? { weight } : {}) };
}

/**
 * Istio evaluates a Gateway API route's rules in the Gateway API precedence
 * order (it splits rules into one match each, then sorts stably: exact path,
 * then prefix, then regex; longer paths first; a method; more headers; more
 * query parameters), not in the order they are written, while a
 * VirtualService is evaluated in order. Returns, for the first pair of
 * matches whose order the sort would swap and which a request can satisfy
 * both, their indexes in `ordered` (undefined when the declared order
 * survives).
 */
export function precedenceConflict(
  ordered: readonly { readonly rule: number; readonly match: MatchModel }[],
): { earlier: number; later: number } | undefined {
  const rank = (m: MatchModel) => (!m.path ? 2 : m.path.kind === 'exact' ? 3 : m.path.kind === 'prefix' ? 2 : 1);
  const len = (m: MatchModel) => (m.path ? m.path.value.length : 1);
  const before = (a: MatchModel, b: MatchModel): boolean => {
    if (rank(a) !== rank(b)) return rank(a) > rank(b);
    if (len(a) !== len(b)) return len(a) > len(b);
    if ((a.method === undefined) !== (b.method === undefined)) return a.method !== undefined;
    if (a.headers.length !== b.headers.length) return a.headers.length > b.headers.length;
    return a.queryParams.length > b.queryParams.length;
  };
  for (let j = 0; j < ordered.length; j++) {
    for (let i = 0; i < j; i++) {
      if (ordered[i].rule === ordered[j].rule) continue;
      if (!before(ordered[j].match, ordered[i].match) || !mayOverlap(ordered[i].match, ordered[j].match)) continue;
      // harmless when another match of the earlier rule, evaluated before the later one, takes every request both match
      const both = intersect(ordered[i].match, ordered[j].match);
      const covered = both !== undefined
        && ordered.some((k) => k.rule === ordered[i].rule && before(k.match, ordered[j].match) && matchSubsumes(k.match, both));
      if (!covered) return { earlier: i, later: j };
    }
  }
  return undefined;
}

/** The conditions of two matches together (undefined when they test one header or parameter differently). */
export function intersect(a: MatchModel, b: MatchModel): MatchModel | undefined {
  const named = (x: readonly NamedMatchModel[], y: readonly NamedMatchModel[]): NamedMatchModel[] | undefined => {
    const out = [...x];
    for (const n of y) {
      const same = out.find((o) => o.name === n.name);
      if (!same) out.push(n);
      else if (JSON.stringify(same.match) !== JSON.stringify(n.match)) return undefined;
    }
    return out;
  };
  const headers = named(a.headers, b.headers);
  const queryParams = named(a.queryParams, b.queryParams);
  if (!headers || !queryParams) return undefined;
  if (a.method !== undefined && b.method !== undefined && a.method !== b.method) return undefined;
  let path = a.path ?? b.path;
  if (a.path && b.path) {
    if (!pathsMayOverlap(a.path, b.path)) return undefined;
    // the narrower of two overlapping non-regex paths (a regex keeps the first: never subsumed by a plain path)
    if (b.path.kind === 'exact' || (b.path.kind === 'prefix' && a.path.kind === 'prefix' && b.path.value.length > a.path.value.length)) path = b.path;
  }
  return { path, headers, queryParams, method: a.method ?? b.method, ignoreUriCase: a.ignoreUriCase || b.ignoreUriCase };
}

function pathsMayOverlap(a: StringMatchModel | undefined, b: StringMatchModel | undefined): boolean {
  if (!a || !b) return true;
  if (a.kind === 'regex' || b.kind === 'regex') return true;
  if (a.kind === 'exact' && b.kind === 'exact') return a.value === b.value;
  if (a.kind === 'exact') return a.value.startsWith(b.value);
  if (b.kind === 'exact') return b.value.startsWith(a.value);
  return a.value.startsWith(b.value) || b.value.startsWith(a.value);
}

function namedMayOverlap(a: readonly NamedMatchModel[], b: readonly NamedMatchModel[]): boolean {
  for (const x of a) {
    const y = b.find((n) => n.name === x.name);
    if (y?.match?.kind === 'exact' && x.match?.kind === 'exact' && x.match.value !== y.match.value) return false;
  }
  return true;
}

/** False only when no request can satisfy both matches (different exact values, disjoint paths, different methods). */
export function mayOverlap(a: MatchModel, b: MatchModel): boolean {
  if (a.method !== undefined && b.method !== undefined && a.method !== b.method) return false;
  return pathsMayOverlap(a.path, b.path) && namedMayOverlap(a.headers, b.headers) && namedMayOverlap(a.queryParams, b.queryParams);
}

export type { HttpRouteSpecRules };
