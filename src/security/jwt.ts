import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { registeredService } from './private/registered-service';
import { RequestAuthentication } from '../imports/security.istio.io';
import { MeshModel } from '../model/mesh-model';
import { snapshotOf } from '../model/resolve';
import { JwtProviderModel, policyNamespace } from '../model/security';
import { IMeshService } from '../model/shared-interfaces';
import { propError } from '../private/errors';
import { validateDnsLabel } from '../private/names';
import { checkArgs } from '../private/runtime-types';
import { renderRequestAuthenticationSpec } from '../render/request-authentication';
import { addMeshValidation, meshOf } from '../synth/mesh';

/** Where a token is read from: a request header, with an optional value prefix. */
export interface JwtHeader {
  /** Header name (lower-case). */
  readonly name: string;

  /**
   * Prefix stripped from the header value before the token is read, e.g.
   * `Bearer ` (with the trailing space).
   *
   * @default - the whole header value is the token
   */
  readonly prefix?: string;
}

/** A claim a token must carry with one of the given values. */
export interface JwtClaimRequirement {
  /** Top-level claim name, e.g. `scope` or `groups`. */
  readonly claim: string;

  /** Accepted values (a list claim matches when it contains any of them). */
  readonly values: string[];
}

/**
 * Properties of `JwtAuthentication`. Give at most one of `service` and
 * `namespace`; with neither the provider is mesh-wide.
 */
export interface JwtAuthenticationProps {
  /**
   * Validate tokens for the workloads of this service only.
   *
   * @default - not workload-scoped
   */
  readonly service?: IMeshService;

  /**
   * Validate tokens for every workload of this namespace.
   *
   * @default - mesh-wide: placed in the mesh root namespace
   */
  readonly namespace?: string;

  /**
   * Name of the RequestAuthentication.
   *
   * @default - `<service>-jwt` for a service, else the construct id
   */
  readonly name?: string;

  /**
   * The token issuer (`iss` claim), e.g. `https://auth.example.com`.
   *
   * @see https://istio.io/latest/docs/reference/config/security/jwt/#JWTRule
   */
  readonly issuer: string;

  /**
   * HTTPS URL of the issuer's JSON Web Key Set. istiod fetches it at run
   * time (never at synth). Mutually exclusive with `jwks`.
   *
   * @default - discovered from the issuer's OpenID configuration (`<issuer>/.well-known/openid-configuration`)
   */
  readonly jwksUri?: string;

  /**
   * Inline JSON Web Key Set (a JSON document with a `keys` array).
   * Mutually exclusive with `jwksUri`.
   *
   * @default - fetched from `jwksUri`
   */
  readonly jwks?: string;

  /**
   * Accepted `aud` values.
   *
   * @default - the audience is not checked
   */
  readonly audiences?: string[];

  /**
   * Headers the token is read from.
   *
   * @default - `Authorization: Bearer <token>`
   */
  readonly fromHeaders?: JwtHeader[];

  /**
   * Query parameters the token is read from.
   *
   * @default - `access_token` (only when `fromHeaders` is not set either)
   */
  readonly fromParams?: string[];

  /**
   * Forward the token to the application after validation.
   *
   * @default false - the token is removed from the request once validated
   */
  readonly forwardOriginalToken?: boolean;

  /**
   * Header the validated payload is written to (base64url-encoded JSON).
   *
   * @default - the payload is not forwarded
   */
  readonly outputPayloadToHeader?: string;
}

const HEADER_NAME = /^[-_A-Za-z0-9]+$/;

/**
 * End-user authentication: a `RequestAuthentication` that validates JWTs of
 * one issuer. Requests carrying an invalid token are rejected; requests
 * without a token are not — require one with `service.requireJwt(auth)`.
 *
 * @see https://istio.io/latest/docs/reference/config/security/request_authentication/
 *
 * @example
 * const auth = new JwtAuthentication(chart, 'shop-jwt', {
 *   service: orders,
 *   issuer: 'https://auth.acme-shop.example',
 *   jwksUri: 'https://auth.acme-shop.example/.well-known/jwks.json',
 * });
 * orders.requireJwt(auth);
 */
export class JwtAuthentication extends Construct {
  /** The RequestAuthentication (escape hatch). */
  public readonly resource: ApiObject;
  /** The token issuer. */
  public readonly issuer: string;

  private readonly model: MeshModel;
  private readonly _model: JwtProviderModel;

  constructor(scope: Construct, id: string, props: JwtAuthenticationProps) {
    super(scope, id);
    checkArgs(this, 'JwtAuthentication.new', arguments);
    this.model = meshOf(this);
    if (props.service && props.namespace !== undefined) {
      throw propError(this, 'namespace', 'must not be set together with \'service\'', props.namespace, 'drop namespace, or drop service for a namespace-wide provider');
    }
    if (!props.issuer || /\s/.test(props.issuer)) {
      throw propError(this, 'issuer', 'must be a non-empty issuer without whitespace', props.issuer, 'use the issuer exactly as in the tokens\' \'iss\' claim');
    }
    if (props.service) registeredService(this, 'service', props.service);
    this.issuer = props.issuer;
    this.validateKeys(props);
    this.validateTokenLocations(props);

    const name = validateDnsLabel(this, 'name', props.name ?? (props.service ? `${props.service.serviceName}-jwt` : id));
    let namespace: string | undefined;
    if (props.service) namespace = props.service.namespace;
    else if (props.namespace !== undefined) namespace = validateDnsLabel(this, 'namespace', props.namespace);
    this._model = {
      path: this.node.path,
      serviceHost: props.service?.host,
      issuer: props.issuer,
      scope: props.service ? 'workload' : namespace !== undefined ? 'namespace' : 'mesh',
      namespace,
      selector: props.service ? { app: props.service.serviceName } : undefined,
      jwksUri: props.jwksUri,
      jwks: props.jwks,
      audiences: props.audiences ? [...props.audiences] : undefined,
      fromHeaders: props.fromHeaders?.map((h) => ({ name: h.name, prefix: h.prefix })),
      fromParams: props.fromParams ? [...props.fromParams] : undefined,
      forwardOriginalToken: props.forwardOriginalToken,
      outputPayloadToHeader: props.outputPayloadToHeader,
    };
    this.model.addJwtProvider(this._model);
    addMeshValidation(this);

    // a plain ApiObject: the generated L1 would rename `jwksUri` to its legacy alias `jwks_uri`
    this.resource = new ApiObject(this, 'Resource', {
      ...RequestAuthentication.GVK,
      metadata: {
        name,
        namespace: Lazy.any({ produce: () => policyNamespace(snapshotOf(this.model).mesh.rootNamespace, this._model) }) as unknown as string,
      },
      // an ambient service's waypoint validates the tokens (targetRefs), not ztunnel
      spec: Lazy.any({ produce: () => renderRequestAuthenticationSpec(snapshotOf(this.model), this._model) }),
    });
  }

  private validateTokenLocations(props: JwtAuthenticationProps): void {
    (props.audiences ?? []).forEach((a, i) => {
      if (!a) throw propError(this, `audiences[${i}]`, 'must not be empty', a, 'remove it, or give the audience');
    });
    if (props.audiences !== undefined && props.audiences.length === 0) {
      throw propError(this, 'audiences', 'must not be empty (omit it to skip the audience check)', props.audiences, 'list the accepted audiences');
    }
    (props.fromHeaders ?? []).forEach((h, i) => {
      if (!h.name || !HEADER_NAME.test(h.name)) {
        throw propError(this, `fromHeaders[${i}].name`, 'must be a header name (letters, digits, \'-\' and \'_\')', h.name, 'e.g. \'authorization\'');
      }
    });
    (props.fromParams ?? []).forEach((p, i) => {
      if (!p || /[\s&=?]/.test(p)) throw propError(this, `fromParams[${i}]`, 'must be a query parameter name', p, 'e.g. \'access_token\'');
    });
    if (props.outputPayloadToHeader !== undefined && !HEADER_NAME.test(props.outputPayloadToHeader)) {
      throw propError(this, 'outputPayloadToHeader', 'must be a header name (letters, digits, \'-\' and \'_\')', props.outputPayloadToHeader, 'e.g. \'x-jwt-payload\'');
    }
  }

  private validateKeys(props: JwtAuthenticationProps) {
    if (props.jwksUri !== undefined && props.jwks !== undefined) {
      throw propError(this, 'jwks', 'must not be set together with \'jwksUri\'', '(inline key set)', 'keep one of them');
    }
    if (props.jwksUri !== undefined) {
      let url: URL | undefined;
      try {
        url = new URL(props.jwksUri);
      } catch {
        url = undefined;
      }
      if (!url || url.protocol !== 'https:') {
        throw propError(this, 'jwksUri', 'must be an https:// URL (keys fetched over plaintext could be replaced in transit)', props.jwksUri,
          'serve the key set over HTTPS, or inline it with \'jwks\'');
      }
    }
    if (props.jwks !== undefined) {
      let keys: unknown;
      try {
        const doc: unknown = JSON.parse(props.jwks);
        keys = doc !== null && typeof doc === 'object' ? (doc as { keys?: unknown }).keys : undefined;
      } catch {
        keys = undefined;
      }
      if (!Array.isArray(keys) || keys.length === 0) {
        throw propError(this, 'jwks', 'must be a JSON Web Key Set: a JSON object with a non-empty \'keys\' array', props.jwks.slice(0, 40),
          'paste the issuer\'s JWKS document, e.g. {"keys":[{"kty":"RSA",...}]}');
      }
    }
  }
}
