import { IConstruct } from 'constructs';
import { MatchModel, NamedMatchModel, StringMatchKind } from '../model/traffic';
import { propError } from '../private/errors';
import { checkArgs } from '../private/runtime-types';

/**
 * How a request path is matched.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPMatchRequest
 */
export abstract class PathMatch {
  /** The path equals `path` exactly. */
  public static exact(path: string): PathMatch {
    checkArgs('PathMatch.exact', 'PathMatch.exact', arguments);
    return new StringMatchImpl('exact', path, true);
  }

  /** The path starts with `prefix`. */
  public static prefix(prefix: string): PathMatch {
    checkArgs('PathMatch.prefix', 'PathMatch.prefix', arguments);
    return new StringMatchImpl('prefix', prefix, true);
  }

  /** The path matches an RE2 regular expression. */
  public static regex(regex: string): PathMatch {
    checkArgs('PathMatch.regex', 'PathMatch.regex', arguments);
    return new StringMatchImpl('regex', regex, false);
  }

  /** `exact`, `prefix` or `regex`. */
  public abstract readonly kind: string;
  /** The value matched against. */
  public abstract readonly value: string;

  /** @internal Checks the condition (a valid regex; a path starting with '/'). */
  public abstract _validate(scope: IConstruct, prop: string): void;
}

/**
 * How a header value is matched. Header names are lower-case (HTTP/2 and
 * Envoy normalise them; Istio rejects upper-case names).
 */
export abstract class HeaderMatch {
  /** Header `name` equals `value`. */
  public static exact(name: string, value: string): HeaderMatch {
    checkArgs('HeaderMatch.exact', 'HeaderMatch.exact', arguments);
    return new HeaderMatchImpl(name, new StringMatchImpl('exact', value, false));
  }

  /** Header `name` starts with `prefix`. */
  public static prefix(name: string, prefix: string): HeaderMatch {
    checkArgs('HeaderMatch.prefix', 'HeaderMatch.prefix', arguments);
    return new HeaderMatchImpl(name, new StringMatchImpl('prefix', prefix, false));
  }

  /** Header `name` matches an RE2 regular expression. */
  public static regex(name: string, regex: string): HeaderMatch {
    checkArgs('HeaderMatch.regex', 'HeaderMatch.regex', arguments);
    return new HeaderMatchImpl(name, new StringMatchImpl('regex', regex, false));
  }

  /** Header `name` is present, whatever its value. */
  public static present(name: string): HeaderMatch {
    checkArgs('HeaderMatch.present', 'HeaderMatch.present', arguments);
    return new HeaderMatchImpl(name, undefined);
  }

  /** Header name (lower-case). */
  public abstract readonly name: string;

  /** @internal Validates the condition and returns it as model data. */
  public abstract _toModel(scope: IConstruct, prop: string): NamedMatchModel;
}

/**
 * How a query parameter is matched.
 */
export abstract class QueryParamMatch {
  /** Parameter `name` equals `value`. */
  public static exact(name: string, value: string): QueryParamMatch {
    checkArgs('QueryParamMatch.exact', 'QueryParamMatch.exact', arguments);
    return new QueryParamMatchImpl(name, new StringMatchImpl('exact', value, false));
  }

  /** Parameter `name` matches an RE2 regular expression. */
  public static regex(name: string, regex: string): QueryParamMatch {
    checkArgs('QueryParamMatch.regex', 'QueryParamMatch.regex', arguments);
    return new QueryParamMatchImpl(name, new StringMatchImpl('regex', regex, false));
  }

  /** Parameter `name` is present (with any value). */
  public static present(name: string): QueryParamMatch {
    checkArgs('QueryParamMatch.present', 'QueryParamMatch.present', arguments);
    return new QueryParamMatchImpl(name, undefined);
  }

  /** Parameter name. */
  public abstract readonly name: string;

  /** @internal Validates the condition and returns it as model data. */
  public abstract _toModel(scope: IConstruct, prop: string): NamedMatchModel;
}

/** HTTP request methods. */
export enum HttpMethod {
  GET = 'GET',
  HEAD = 'HEAD',
  POST = 'POST',
  PUT = 'PUT',
  PATCH = 'PATCH',
  DELETE = 'DELETE',
  OPTIONS = 'OPTIONS',
  CONNECT = 'CONNECT',
  TRACE = 'TRACE',
}

/**
 * Conditions of one HTTP match. All given conditions must hold (AND);
 * a route with several `HttpMatch`es matches when any of them does (OR).
 */
export interface HttpMatchOptions {
  /**
   * Path condition.
   *
   * @default - any path
   */
  readonly path?: PathMatch;

  /**
   * Header conditions (all must hold).
   *
   * @default - no header condition
   */
  readonly headers?: HeaderMatch[];

  /**
   * Query parameter conditions (all must hold).
   *
   * @default - no query parameter condition
   */
  readonly queryParams?: QueryParamMatch[];

  /**
   * Request method.
   *
   * @default - any method
   */
  readonly method?: HttpMethod;

  /**
   * Match the path case-insensitively (exact and prefix only).
   *
   * @default false
   */
  readonly ignoreUriCase?: boolean;
}

/**
 * A typed Istio `HTTPMatchRequest`.
 *
 * @example
 * HttpMatch.pathPrefix('/api');
 * HttpMatch.of({ path: PathMatch.prefix('/api'), method: HttpMethod.GET, headers: [HeaderMatch.exact('x-canary', 'true')] });
 */
export class HttpMatch {
  /** Requests whose path starts with `prefix`. */
  public static pathPrefix(prefix: string): HttpMatch {
    checkArgs('HttpMatch.pathPrefix', 'HttpMatch.pathPrefix', arguments);
    return new HttpMatch({ path: PathMatch.prefix(prefix) });
  }

  /** Requests whose path is exactly `path`. */
  public static pathExact(path: string): HttpMatch {
    checkArgs('HttpMatch.pathExact', 'HttpMatch.pathExact', arguments);
    return new HttpMatch({ path: PathMatch.exact(path) });
  }

  /** Requests whose path matches an RE2 regular expression. */
  public static pathRegex(regex: string): HttpMatch {
    checkArgs('HttpMatch.pathRegex', 'HttpMatch.pathRegex', arguments);
    return new HttpMatch({ path: PathMatch.regex(regex) });
  }

  /** Requests carrying a header that matches. */
  public static header(header: HeaderMatch): HttpMatch {
    checkArgs('HttpMatch.header', 'HttpMatch.header', arguments);
    return new HttpMatch({ headers: [header] });
  }

  /** Requests with this method. */
  public static method(method: HttpMethod): HttpMatch {
    checkArgs('HttpMatch.method', 'HttpMatch.method', arguments);
    return new HttpMatch({ method });
  }

  /** Requests that satisfy every given condition. */
  public static of(options: HttpMatchOptions): HttpMatch {
    checkArgs('HttpMatch.of', 'HttpMatch.of', arguments);
    return new HttpMatch(options);
  }

  private constructor(public readonly options: HttpMatchOptions) {}

  /** True when the match has no condition (it matches every request). */
  public get isCatchAll(): boolean {
    const o = this.options;
    return !o.path && !(o.headers?.length) && !(o.queryParams?.length) && !o.method;
  }

  /**
   * Validates the match and returns it as plain model data.
   * @internal
   */
  public _toModel(scope: IConstruct, prop: string): MatchModel {
    const o = this.options;
    o.path?._validate(scope, `${prop}.path`);
    const headers = (o.headers ?? []).map((h, i) => h._toModel(scope, `${prop}.headers[${i}]`));
    headers.forEach((h, i) => {
      if (headers.findIndex((x) => x.name === h.name) < i) {
        throw propError(scope, `${prop}.headers[${i}]`, 'must not repeat a header name within one match', h.name, 'combine the conditions into one regex, or use two matches');
      }
    });
    const queryParams = (o.queryParams ?? []).map((q, i) => q._toModel(scope, `${prop}.queryParams[${i}]`));
    if (o.ignoreUriCase && (!o.path || o.path.kind === 'regex')) {
      throw propError(scope, `${prop}.ignoreUriCase`, 'only applies to exact or prefix path matches', true, 'add an exact/prefix path or drop ignoreUriCase');
    }
    return {
      path: o.path ? { kind: o.path.kind as StringMatchKind, value: o.path.value } : undefined,
      headers,
      queryParams,
      method: o.method,
      ignoreUriCase: o.ignoreUriCase ?? false,
    };
  }
}

class StringMatchImpl extends PathMatch {
  constructor(public readonly kind: 'exact' | 'prefix' | 'regex', public readonly value: string, private readonly isPath: boolean) {
    super();
  }

  public _validate(scope: IConstruct, prop: string): void {
    if (this.kind === 'regex') {
      try {
        new RegExp(this.value);
      } catch (e) {
        throw propError(scope, prop, `must be a valid regular expression (${(e as Error).message})`, this.value, 'fix the expression (Istio uses RE2 syntax)');
      }
    } else if (this.isPath && !this.value.startsWith('/')) {
      throw propError(scope, prop, 'must be an absolute path starting with \'/\'', this.value, `use "/${this.value}"`);
    }
  }
}

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

function checkName(scope: IConstruct, prop: string, what: string, name: string, lower: boolean) {
  if (!name || (lower ? !HEADER_NAME.test(name) : /\s/.test(name))) {
    throw propError(scope, `${prop}.name`, lower ? `must be a lower-case ${what} name` : `must be a non-empty ${what} name without whitespace`, name,
      lower ? `use ${JSON.stringify((name ?? '').toLowerCase().trim())}` : 'use the parameter name as sent');
  }
}

class HeaderMatchImpl extends HeaderMatch {
  constructor(public readonly name: string, private readonly match: StringMatchImpl | undefined) {
    super();
  }

  public _toModel(scope: IConstruct, prop: string): NamedMatchModel {
    checkName(scope, prop, 'header', this.name, true);
    this.match?._validate(scope, `${prop}.value`);
    return { name: this.name, match: this.match ? { kind: this.match.kind, value: this.match.value } : undefined };
  }
}

class QueryParamMatchImpl extends QueryParamMatch {
  constructor(public readonly name: string, private readonly match: StringMatchImpl | undefined) {
    super();
  }

  public _toModel(scope: IConstruct, prop: string): NamedMatchModel {
    checkName(scope, prop, 'query parameter', this.name, false);
    // no match: the condition checks that the parameter is present
    this.match?._validate(scope, `${prop}.value`);
    return { name: this.name, match: this.match ? { kind: this.match.kind, value: this.match.value } : undefined };
  }
}
