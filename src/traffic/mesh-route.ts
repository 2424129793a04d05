import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { HttpMatch } from './http-match';
import {
  CorsPolicy, FaultInjection, HeaderOperations, HttpRedirect, HttpRewrite, MirrorPolicy, RetryPolicy, RouteDestination,
} from './route-options';
import { IMeshService } from '../model/shared-interfaces';
import {
  CorsModel, DestinationModel, FaultModel, HeaderOpsModel, RedirectModel, RetriesModel, RewriteModel, RouteModel,
} from '../model/traffic';
import { propError } from '../private/errors';
import { validateDnsLabel } from '../private/names';
import { checkArgs } from '../private/runtime-types';
import { checkInt, checkPercentage, optDuration, optInt } from '../private/values';
import { addMeshValidation, meshOf } from '../synth/mesh';

/**
 * Options of `MeshService.addRoute()`: one HTTP routing rule of the service's
 * VirtualService. Rules are evaluated in the order they are added, and the
 * default route (all remaining traffic to the stable version, or the
 * release split) always comes last.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRoute
 */
export interface MeshRouteOptions {
  /**
   * Rule name (a DNS-1123 label, unique per service); also the construct id.
   *
   * @default - `route-<n>` where n counts the service's routes from 1
   */
  readonly name?: string;

  /**
   * Conditions (any of them matches). A route without conditions matches
   * every request and becomes the service's default route, so it must be the last one.
   *
   * @default - every request
   */
  readonly match?: HttpMatch[];

  /**
   * Send all matching traffic to this version. Exclusive with `destinations`.
   *
   * @default - where the service's default traffic goes (the stable version, or the release split)
   */
  readonly to?: string;

  /**
   * Weighted destinations (weights sum to 100). Exclusive with `to`.
   *
   * @default - where the service's default traffic goes (the stable version, or the release split)
   */
  readonly destinations?: RouteDestination[];

  /**
   * Timeout of the whole request, retries included.
   *
   * @default - no timeout (Istio disables the route timeout by default)
   */
  readonly timeout?: Duration;

  /**
   * Retry policy.
   *
   * @default - Istio's default retry policy (2 attempts on connect failures and refused streams)
   */
  readonly retries?: RetryPolicy;

  /**
   * Faults to inject.
   *
   * @default - none
   */
  readonly fault?: FaultInjection;

  /**
   * Shadow a share of the route's traffic to another version.
   *
   * @default - no mirroring
   */
  readonly mirror?: MirrorPolicy;

  /**
   * Header manipulation of the request before it is forwarded.
   *
   * @default - none
   */
  readonly requestHeaders?: HeaderOperations;

  /**
   * Header manipulation of the response before it is returned.
   *
   * @default - none
   */
  readonly responseHeaders?: HeaderOperations;

  /**
   * Path/authority rewrite before forwarding.
   *
   * @default - none
   */
  readonly rewrite?: HttpRewrite;

  /**
   * Answer with a redirect instead of forwarding. Exclusive with `to`,
   * `destinations`, `rewrite`, `retries`, `timeout`, `mirror` and `fault`.
   *
   * @default - the request is forwarded
   */
  readonly redirect?: HttpRedirect;

  /**
   * CORS policy.
   *
   * @default - no CORS handling by the proxy
   */
  readonly corsPolicy?: CorsPolicy;
}

/**
 * Properties of a `MeshRoute`.
 */
export interface MeshRouteProps extends MeshRouteOptions {
  /** The service whose VirtualService gets the rule. */
  readonly service: IMeshService;
}

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const REDIRECT_CODES: readonly number[] = [301, 302, 303, 307, 308];
const RESERVED_NAMES: readonly string[] = ['default', 'canary-pinned', 'preview-pinned'];

/**
 * One HTTP routing rule of a `MeshService` (an entry of its VirtualService's
 * `http` list). Usually created with `service.addRoute()`.
 *
 * @example
 * users.addRoute({
 *   name: 'api',
 *   match: [HttpMatch.pathPrefix('/api')],
 *   timeout: Duration.seconds(3),
 *   retries: { attempts: 2, perTryTimeout: Duration.seconds(1), retryOn: [RetryOn.GATEWAY_ERROR, RetryOn.CONNECT_FAILURE] },
 * });
 */
export class MeshRoute extends Construct {
  /**
   * `MeshService.addRoute()`: a route under the service, named `route-<n>` unless `options.name` is given.
   * @internal
   */
  public static _add(service: IMeshService, options: MeshRouteOptions): MeshRoute {
    const id = options.name ?? `route-${meshOf(service).trafficOf(service.host).routes.length + 1}`;
    // a MeshService (the one implementation) is a Construct: the route is its child
    return new MeshRoute(service as Construct, id, { ...options, service });
  }

  /** Rule name (the `name` of the VirtualService HTTP route). */
  public readonly routeName: string;
  /** The service the rule belongs to. */
  public readonly service: IMeshService;

  constructor(scope: Construct, id: string, props: MeshRouteProps) {
    super(scope, id);
    checkArgs(this, 'MeshRoute.new', arguments);
    this.service = props.service;
    const model = meshOf(this);
    const traffic = model.trafficOf(props.service.host);
    this.routeName = validateDnsLabel(this, 'name', props.name ?? id);
    if (RESERVED_NAMES.includes(this.routeName)) {
      throw propError(this, 'name', `must not be one of the rule names cdk8s-mesh generates (${RESERVED_NAMES.join(', ')})`, this.routeName,
        'choose another name');
    }
    if (traffic.routes.some((r) => r.name === this.routeName)) {
      throw propError(this, 'name', `must be unique among the routes of ${props.service.serviceName}`, this.routeName, 'give each route its own name');
    }
    if (props.service.ports.every((p) => p.protocol === 'tcp')) {
      throw propError(this, 'service', 'must have an HTTP, HTTP2 or gRPC port to take HTTP routes', props.service.serviceName,
        'add an HTTP port to the service, or drop the route');
    }
    model.addRoute(props.service.host, this.toModel(props));
    addMeshValidation(this);
  }

  private toModel(p: MeshRouteProps): RouteModel {
    const matches = (p.match ?? []).map((m, i) => m._toModel(this, `match[${i}]`));
    const destinations = this.destinations(p);
    const timeoutMs = optDuration(this, 'timeout', p.timeout);
    const retries = p.retries ? this.retries(p.retries, timeoutMs) : undefined;
    if (p.redirect) {
      const clash = (['to', 'destinations', 'rewrite', 'retries', 'timeout', 'mirror', 'fault'] as const).find((k) => p[k] !== undefined);
      if (clash) {
        throw propError(this, clash, 'cannot be combined with \'redirect\' (a redirect is answered by the proxy, nothing is forwarded)', p[clash],
          `drop '${clash}' or 'redirect'`);
      }
    }
    return {
      path: this.node.path,
      name: this.routeName,
      matches,
      destinations,
      timeoutMs,
      retries,
      fault: p.fault ? this.fault(p.fault) : undefined,
      mirror: p.mirror ? { version: p.mirror.version, percentage: checkPercentage(this, 'mirror.percentage', p.mirror.percentage ?? 100) } : undefined,
      requestHeaders: p.requestHeaders ? this.headerOps('requestHeaders', p.requestHeaders) : undefined,
      responseHeaders: p.responseHeaders ? this.headerOps('responseHeaders', p.responseHeaders) : undefined,
      rewrite: p.rewrite ? this.rewrite(p.rewrite) : undefined,
      redirect: p.redirect ? this.redirect(p.redirect) : undefined,
      cors: p.corsPolicy ? this.cors(p.corsPolicy) : undefined,
    };
  }

  private destinations(p: MeshRouteProps): DestinationModel[] | undefined {
    if (p.to !== undefined && p.destinations !== undefined) {
      throw propError(this, 'to', 'cannot be combined with \'destinations\'', p.to, 'use \'to\' for one version or \'destinations\' for a weighted split');
    }
    if (p.to !== undefined) return [{ version: p.to }];
    if (p.destinations === undefined) return undefined;
    const ds = p.destinations;
    if (ds.length === 0) {
      throw propError(this, 'destinations', 'must list at least one destination', ds, 'add a destination or drop \'destinations\' to use the default');
    }
    if (ds.length === 1) {
      const w = ds[0].weight ?? 100;
      if (w !== 100) {
        throw propError(this, 'destinations[0].weight', 'must be 100 for a single destination (weights sum to 100)', w, 'drop the weight or add the other destinations');
      }
      return [{ version: ds[0].version }];
    }
    const seen = new Set<string>();
    const out = ds.map((d, i) => {
      if (seen.has(d.version)) {
        throw propError(this, `destinations[${i}].version`, 'must be unique within a route', d.version, 'merge the weights of the same version');
      }
      seen.add(d.version);
      if (d.weight === undefined) {
        throw propError(this, `destinations[${i}].weight`, 'is required when a route has several destinations', d.weight, 'give every destination a weight; weights sum to 100');
      }
      return { version: d.version, weight: checkInt(this, `destinations[${i}].weight`, d.weight, 0, 100) };
    });
    const sum = out.reduce((a, d) => a + d.weight, 0);
    if (sum !== 100) {
      throw propError(this, 'destinations', 'weights must sum to 100', out.map((d) => `${d.version}=${d.weight}`).join(', '), `adjust the weights (they sum to ${sum})`);
    }
    return out;
  }

  private retries(r: RetryPolicy, timeoutMs: number | undefined): RetriesModel {
    const attempts = checkInt(this, 'retries.attempts', r.attempts, 0, 100);
    const perTryTimeoutMs = optDuration(this, 'retries.perTryTimeout', r.perTryTimeout);
    if (timeoutMs !== undefined && perTryTimeoutMs !== undefined && attempts > 0) {
      const total = (attempts + 1) * perTryTimeoutMs;
      if (total > timeoutMs) {
        throw propError(this, 'retries',
          `must fit in the route timeout: 1 try + ${attempts} retries x perTryTimeout ${perTryTimeoutMs}ms = ${total}ms exceeds timeout ${timeoutMs}ms, so the last retries can never complete`,
          { attempts, perTryTimeout: `${perTryTimeoutMs}ms`, timeout: `${timeoutMs}ms` },
          `raise 'timeout' to at least ${total}ms, or lower 'retries.attempts' or 'retries.perTryTimeout'`);
      }
    }
    const retryOn = r.retryOn ?? [];
    return { attempts, perTryTimeoutMs, retryOn: [...new Set(retryOn)], retryRemoteLocalities: r.retryRemoteLocalities };
  }

  private fault(f: FaultInjection): FaultModel {
    if (f.fixedDelay === undefined && f.abortHttpStatus === undefined) {
      throw propError(this, 'fault', 'must set \'fixedDelay\' or \'abortHttpStatus\'', {}, 'set fault.fixedDelay and/or fault.abortHttpStatus');
    }
    if (f.fixedDelay === undefined && f.delayPercentage !== undefined) {
      throw propError(this, 'fault.delayPercentage', 'requires \'fault.fixedDelay\'', f.delayPercentage, 'set fault.fixedDelay or drop delayPercentage');
    }
    if (f.abortHttpStatus === undefined && f.abortPercentage !== undefined) {
      throw propError(this, 'fault.abortPercentage', 'requires \'fault.abortHttpStatus\'', f.abortPercentage, 'set fault.abortHttpStatus or drop abortPercentage');
    }
    return {
      delay: f.fixedDelay !== undefined ? {
        fixedDelayMs: optDuration(this, 'fault.fixedDelay', f.fixedDelay)!,
        percentage: checkPercentage(this, 'fault.delayPercentage', f.delayPercentage ?? 100),
      } : undefined,
      abort: f.abortHttpStatus !== undefined ? {
        httpStatus: checkInt(this, 'fault.abortHttpStatus', f.abortHttpStatus, 200, 599),
        percentage: checkPercentage(this, 'fault.abortPercentage', f.abortPercentage ?? 100),
      } : undefined,
    };
  }

  private headerName(prop: string, name: string): string {
    if (!HEADER_NAME.test(name)) {
      throw propError(this, prop, 'must be a lower-case HTTP header name', name, `use ${JSON.stringify(name.toLowerCase().trim())}`);
    }
    return name;
  }

  private headerOps(prop: string, h: HeaderOperations): HeaderOpsModel {
    const map = (k: 'set' | 'add', v?: { [name: string]: string }) => {
      if (!v) return undefined;
      const out: Record<string, string> = {};
      for (const name of Object.keys(v).sort()) out[this.headerName(`${prop}.${k}`, name)] = v[name];
      return out;
    };
    const set = map('set', h.set);
    const add = map('add', h.add);
    const remove = h.remove?.map((n) => this.headerName(`${prop}.remove`, n));
    if (!set && !add && !remove?.length) {
      throw propError(this, prop, 'must set, add or remove at least one header', h, `fill ${prop}.set, .add or .remove, or drop ${prop}`);
    }
    return { set, add, remove: remove?.length ? remove : undefined };
  }

  private rewrite(r: HttpRewrite): RewriteModel {
    if ((r.uriRegexMatch === undefined) !== (r.uriRegexRewrite === undefined)) {
      throw propError(this, 'rewrite.uriRegexMatch', 'and \'rewrite.uriRegexRewrite\' must be set together', r.uriRegexMatch ?? r.uriRegexRewrite,
        'set both, or neither');
    }
    if (r.uri !== undefined && r.uriRegexMatch !== undefined) {
      throw propError(this, 'rewrite.uri', 'cannot be combined with a regex rewrite', r.uri, 'use either rewrite.uri or rewrite.uriRegexMatch/uriRegexRewrite');
    }
    if (r.uri === undefined && r.authority === undefined && r.uriRegexMatch === undefined) {
      throw propError(this, 'rewrite', 'must rewrite the uri, the authority or both', r, 'set rewrite.uri, rewrite.authority or a regex rewrite');
    }
    if (r.uriRegexMatch !== undefined) {
      try {
        new RegExp(r.uriRegexMatch);
      } catch (e) {
        throw propError(this, 'rewrite.uriRegexMatch', `must be a valid regular expression (${(e as Error).message})`, r.uriRegexMatch, 'fix the expression (RE2 syntax)');
      }
    }
    return {
      uri: r.uri,
      authority: r.authority,
      uriRegex: r.uriRegexMatch !== undefined ? { match: r.uriRegexMatch, rewrite: r.uriRegexRewrite! } : undefined,
    };
  }

  private redirect(r: HttpRedirect): RedirectModel {
    if (r.redirectCode !== undefined && !REDIRECT_CODES.includes(r.redirectCode)) {
      throw propError(this, 'redirect.redirectCode', `must be one of ${REDIRECT_CODES.join(', ')}`, r.redirectCode, 'use 301 (permanent) or 302 (temporary)');
    }
    if (r.uri === undefined && r.authority === undefined && r.port === undefined && r.scheme === undefined) {
      throw propError(this, 'redirect', 'must change at least one of uri, authority, port or scheme (otherwise it redirects to itself)', r,
        'set redirect.uri, .authority, .port or .scheme');
    }
    return {
      uri: r.uri,
      authority: r.authority,
      port: optInt(this, 'redirect.port', r.port, 1, 65535),
      scheme: r.scheme,
      redirectCode: r.redirectCode,
    };
  }

  private cors(c: CorsPolicy): CorsModel {
    if (!c.allowOrigins || c.allowOrigins.length === 0) {
      throw propError(this, 'corsPolicy.allowOrigins', 'must list at least one origin', c.allowOrigins ?? [], 'add e.g. CorsOrigin.exact(\'https://shop.example.com\')');
    }
    return {
      allowOrigins: c.allowOrigins.map((o, i) => o._toModel(this, `corsPolicy.allowOrigins[${i}]`)),
      allowMethods: [...(c.allowMethods ?? [])],
      allowHeaders: (c.allowHeaders ?? []).map((h) => this.headerName('corsPolicy.allowHeaders', h)),
      exposeHeaders: (c.exposeHeaders ?? []).map((h) => this.headerName('corsPolicy.exposeHeaders', h)),
      maxAgeMs: optDuration(this, 'corsPolicy.maxAge', c.maxAge, 1000),
      allowCredentials: c.allowCredentials,
    };
  }
}
