import { IConstruct } from 'constructs';
import { GatewayServerModel, GatewayServerProtocol, GatewayServerTlsModel } from '../model/gateways';
import { propError } from '../private/errors';
import { isDnsSubdomain, isHostPattern, suggestHost } from './private/hosts';
import { checkArgs } from '../private/runtime-types';

/** TLS protocol versions a gateway server negotiates. */
export enum TlsProtocolVersion {
  /** TLS 1.2. */
  TLSV1_2 = 'TLSV1_2',
  /** TLS 1.3. */
  TLSV1_3 = 'TLSV1_3',
}

/**
 * Options of a TLS-terminating gateway server.
 */
export interface GatewayTlsOptions {
  /**
   * Lowest TLS version accepted.
   *
   * @default - TLS 1.2 (Istio's default for gateways)
   * @see https://istio.io/latest/docs/reference/config/networking/gateway/#ServerTLSSettings
   */
  readonly minProtocolVersion?: TlsProtocolVersion;
}

/**
 * Options of a mutual-TLS gateway server.
 */
export interface GatewayMutualTlsOptions extends GatewayTlsOptions {
  /**
   * Secret (in the gateway's namespace) holding the CA certificate (`ca.crt`)
   * that client certificates must chain to.
   *
   * @default - the `ca.crt` key of the server certificate secret, or a secret named `<credentialName>-cacert`
   * @see https://istio.io/latest/docs/tasks/traffic-management/ingress/secure-ingress/#configure-a-mutual-tls-ingress-gateway
   */
  readonly caCertCredentialName?: string;

  /**
   * Subject alternative names a client certificate must carry (any of them).
   *
   * @default - any client certificate issued by the CA
   */
  readonly subjectAltNames?: string[];
}

function checkSecretName(scope: IConstruct, prop: string, value: string): void {
  if (typeof value !== 'string' || !isDnsSubdomain(value)) {
    throw propError(scope, prop, 'must name a Kubernetes Secret (a DNS-1123 subdomain) in the gateway\'s namespace', value,
      'pass the name of the TLS secret holding tls.crt and tls.key, e.g. \'shop-example-com-cert\'');
  }
}

/**
 * How a gateway server handles TLS.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/gateway/#ServerTLSSettings-TLSmode
 */
export abstract class GatewayTls {
  /**
   * Terminate TLS with the certificate in the Kubernetes TLS secret
   * `credentialName` (keys `tls.crt`, `tls.key`) in the gateway's namespace.
   */
  public static simple(credentialName: string, options: GatewayTlsOptions = {}): GatewayTls {
    checkArgs('GatewayTls.simple', 'GatewayTls.simple', arguments);
    return new TerminatingTls('SIMPLE', credentialName, options, undefined, undefined);
  }

  /**
   * Terminate TLS and require a client certificate signed by the CA in the
   * secret (`ca.crt`).
   */
  public static mutual(credentialName: string, options: GatewayMutualTlsOptions = {}): GatewayTls {
    checkArgs('GatewayTls.mutual', 'GatewayTls.mutual', arguments);
    return new TerminatingTls('MUTUAL', credentialName, options, options.caCertCredentialName, options.subjectAltNames);
  }

  /**
   * Do not terminate TLS: forward the encrypted stream by its SNI to the
   * backend, which owns the certificate. Routes need TLS (SNI) routing, so
   * `addRoute()` does not apply to such a server.
   */
  public static passthrough(): GatewayTls {
    return new PassthroughTls();
  }

  /** `SIMPLE`, `MUTUAL` or `PASSTHROUGH`. */
  public abstract readonly mode: string;

  /** Secret with the server certificate, if the mode terminates TLS. */
  public abstract readonly credentialName?: string;

  /** @internal */
  public abstract _validate(scope: IConstruct, prop: string): void;

  /** @internal the TLS fields of the server's model. */
  public abstract _toModel(): GatewayServerTlsModel;
}

class TerminatingTls extends GatewayTls {
  constructor(
    public readonly mode: 'SIMPLE' | 'MUTUAL',
    public readonly credentialName: string,
    private readonly options: GatewayTlsOptions,
    private readonly caCertCredentialName: string | undefined,
    private readonly subjectAltNames: string[] | undefined,
  ) {
    super();
  }

  public _validate(scope: IConstruct, prop: string): void {
    checkSecretName(scope, `${prop}.credentialName`, this.credentialName);
    if (this.caCertCredentialName !== undefined) checkSecretName(scope, `${prop}.caCertCredentialName`, this.caCertCredentialName);
    if (this.subjectAltNames !== undefined && this.subjectAltNames.some((s) => !s || /\s/.test(s))) {
      throw propError(scope, `${prop}.subjectAltNames`, 'must be non-empty names without whitespace', this.subjectAltNames,
        'list the SANs client certificates carry, e.g. [\'spiffe://partner.example/checkout\']');
    }
  }

  public _toModel(): GatewayServerTlsModel {
    return {
      tlsMode: this.mode,
      credentialName: this.credentialName,
      caCertCredentialName: this.caCertCredentialName,
      subjectAltNames: this.subjectAltNames?.length ? [...this.subjectAltNames] : undefined,
      minProtocolVersion: this.options.minProtocolVersion,
    };
  }
}

class PassthroughTls extends GatewayTls {
  public readonly mode = 'PASSTHROUGH';
  public readonly credentialName = undefined;

  public _validate(): void {}

  public _toModel(): GatewayServerTlsModel {
    return { tlsMode: 'PASSTHROUGH' };
  }
}

/**
 * Options of a plain-HTTP gateway server.
 */
export interface HttpServerOptions {
  /**
   * Hosts the server accepts: exact names (`shop.example.com`), a wildcard
   * subdomain (`*.example.com`) or `*`.
   */
  readonly hosts: string[];

  /**
   * Port on the gateway Service.
   *
   * @default 80
   */
  readonly port?: number;

  /**
   * Answer every request with a 301 redirect to `https://` instead of routing it.
   *
   * @default false
   * @see https://istio.io/latest/docs/reference/config/networking/gateway/#ServerTLSSettings
   */
  readonly httpsRedirect?: boolean;
}

/**
 * Options of a TLS gateway server.
 */
export interface HttpsServerOptions {
  /**
   * Hosts the server accepts (matched against SNI): exact names, a wildcard
   * subdomain (`*.example.com`) or `*`.
   */
  readonly hosts: string[];

  /**
   * TLS handling: `GatewayTls.simple(secret)`, `GatewayTls.mutual(secret)`
   * or `GatewayTls.passthrough()`.
   */
  readonly tls: GatewayTls;

  /**
   * Port on the gateway Service.
   *
   * @default 443
   */
  readonly port?: number;
}

/**
 * A server of an Istio Gateway: a port, its protocol and TLS handling, and
 * the hosts it accepts.
 *
 * @example
 * GatewayServer.http({ hosts: ['shop.example.com'], httpsRedirect: true });
 * GatewayServer.https({ hosts: ['shop.example.com'], tls: GatewayTls.simple('shop-example-com-cert') });
 *
 * @see https://istio.io/latest/docs/reference/config/networking/gateway/#Server
 */
export abstract class GatewayServer {
  /** A plain-HTTP server (port 80 by default), optionally redirecting to HTTPS. */
  public static http(options: HttpServerOptions): GatewayServer {
    checkArgs('GatewayServer.http', 'GatewayServer.http', arguments);
    return new ServerImpl('HTTP', options.port ?? 80, options.hosts, undefined, options.httpsRedirect ?? false);
  }

  /**
   * A TLS server (port 443 by default). With `GatewayTls.simple()` or
   * `GatewayTls.mutual()` it terminates TLS and routes HTTP
   * (protocol `HTTPS`); with `GatewayTls.passthrough()` it forwards the TLS
   * stream by SNI (protocol `TLS`).
   */
  public static https(options: HttpsServerOptions): GatewayServer {
    checkArgs('GatewayServer.https', 'GatewayServer.https', arguments);
    const protocol = options.tls?.mode === 'PASSTHROUGH' ? 'TLS' : 'HTTPS';
    return new ServerImpl(protocol, options.port ?? 443, options.hosts, options.tls, false);
  }

  /** Port on the gateway Service. */
  public abstract readonly port: number;
  /** Istio server protocol (`HTTP`, `HTTPS`, `TLS`). */
  public abstract readonly protocol: string;
  /** Hosts the server accepts (a copy). */
  public abstract readonly hosts: string[];

  /** @internal validates the server and returns its model (rendered by `renderGatewaySpec`). */
  public abstract _bind(scope: IConstruct, prop: string): GatewayServerModel;
}

class ServerImpl extends GatewayServer {
  private readonly _hosts: string[];

  constructor(
    public readonly protocol: GatewayServerProtocol,
    public readonly port: number,
    hosts: string[],
    private readonly tls: GatewayTls | undefined,
    private readonly httpsRedirect: boolean,
  ) {
    super();
    this._hosts = hosts ? [...hosts] : hosts;
  }

  public get hosts(): string[] {
    return [...(this._hosts ?? [])];
  }

  public _bind(scope: IConstruct, prop: string): GatewayServerModel {
    if (!Array.isArray(this._hosts) || this._hosts.length === 0) {
      throw propError(scope, `${prop}.hosts`, 'must list at least one host', this._hosts,
        'list the hosts clients use, e.g. hosts: [\'shop.example.com\']');
    }
    this._hosts.forEach((h, i) => {
      if (!isHostPattern(h)) {
        throw propError(scope, `${prop}.hosts[${i}]`, 'must be a lower-case DNS name, a wildcard subdomain (\'*.example.com\') or \'*\'', h,
          `use ${JSON.stringify(suggestHost(h))}`);
      }
    });
    const dup = this._hosts.find((h, i) => this._hosts.indexOf(h) !== i);
    if (dup !== undefined) {
      throw propError(scope, `${prop}.hosts`, 'must not repeat a host', dup, 'list each host once');
    }
    if (this.protocol !== 'HTTP' && !this.tls) {
      throw propError(scope, `${prop}.tls`, 'is required for a TLS server (the gateway needs a certificate to terminate TLS, or passthrough)', this.tls,
        'pass tls: GatewayTls.simple(\'<tls-secret-name>\')');
    }
    this.tls?._validate(scope, `${prop}.tls`);
    return {
      port: this.port,
      protocol: this.protocol,
      hosts: [...this._hosts],
      ...this.tls?._toModel(),
      httpsRedirect: this.httpsRedirect,
      path: scope.node.path,
    };
  }
}
