import { ResourcesModel } from './control-plane';
import { MatchModel } from './traffic';

/**
 * Gateways and external services in the mesh model: plain data, no cdk8s
 * objects and no Istio kinds. Recorded by `IngressGateway`,
 * `ExistingIngressGateway`, `EgressGateway` and `ExternalService`.
 */

/** Ingress (north-south in) or egress (mesh to outside). */
export type GatewayDirection = 'ingress' | 'egress';

/** Transport of a gateway server, in Istio's `Server.port.protocol` terms. */
export type GatewayServerProtocol = 'HTTP' | 'HTTPS' | 'HTTP2' | 'GRPC' | 'TLS' | 'TCP';

/** How a gateway server handles TLS (absent for plain-text servers). */
export type GatewayTlsModeName = 'SIMPLE' | 'MUTUAL' | 'PASSTHROUGH' | 'ISTIO_MUTUAL';

/** TLS protocol version names of a gateway server, in Istio's terms. */
export type TlsVersionName = 'TLSV1_2' | 'TLSV1_3';

export interface GatewayServerModel {
  /** Port number on the gateway Service. */
  readonly port: number;
  readonly protocol: GatewayServerProtocol;
  /** Hosts the server accepts (`shop.example.com`, `*.example.com`, `*`). */
  readonly hosts: readonly string[];
  readonly tlsMode?: GatewayTlsModeName;
  /** Secret with the server certificate (SIMPLE / MUTUAL). */
  readonly credentialName?: string;
  /** Secret with the CA certificate client certificates must chain to (MUTUAL). */
  readonly caCertCredentialName?: string;
  /** Subject alternative names a client certificate must carry (MUTUAL). */
  readonly subjectAltNames?: readonly string[];
  /** Lowest TLS version accepted. */
  readonly minProtocolVersion?: TlsVersionName;
  /** Plain-HTTP server that only redirects to HTTPS. */
  readonly httpsRedirect: boolean;
  /** Who declared the server (a gateway, or an external service on an egress gateway). */
  readonly path: string;
  /**
   * Base name of the server's port (suffixed `-2`, `-3`... when several
   * servers of a gateway share it).
   *
   * @default - `<protocol>-<port>` in lower case
   */
  readonly portName?: string;
}

/** The TLS part of a gateway server's model. */
export type GatewayServerTlsModel = Pick<GatewayServerModel, 'tlsMode' | 'credentialName' | 'caCertCredentialName' | 'subjectAltNames' | 'minProtocolVersion'>;

export interface GatewayRouteModel {
  /** Construct path of the gateway that owns the route (for diagnostics). */
  readonly path: string;
  /** `routes[i]` index in the gateway, used in messages. */
  readonly index: number;
  /** Host the route answers: a DNS name, or `*` (`ANY_HOST`) for every host the gateway's servers accept. */
  readonly host: string;
  /** Host of the destination service in the mesh. */
  readonly serviceHost: string;
  /** True when the route takes every request for its host (no narrowing match). */
  readonly catchAll: boolean;
  /** Name of the destination service (its Kubernetes Service). */
  readonly serviceName: string;
  /** Requests the route applies to (any of them); empty for a catch-all route. */
  readonly matches: readonly MatchModel[];
  /** Service port the route sends to; undefined when the service has a single port. */
  readonly port?: number;
  /** Service port the route sends to: `port`, or the service's only HTTP port. */
  readonly resolvedPort: number;
  /** Replacement of the matched path prefix. */
  readonly rewritePrefix?: string;
  /** Upper bound of the whole request, in milliseconds. */
  readonly timeoutMs?: number;
}

/** How an external service leaves through an egress gateway. */
export interface EgressLegModel {
  /** Construct path of the external service. */
  readonly path: string;
  /** Subset name (unique per egress gateway). */
  readonly subset: string;
  /** The external host. */
  readonly host: string;
  /** `http`: plain HTTP from the app, mTLS to the gateway on port 80; `tls`: TLS passthrough on port 443 by SNI. */
  readonly kind: 'http' | 'tls';
}

/** The route host that stands for every host a gateway's servers accept. */
export const ANY_HOST = '*';

export interface GatewayModel {
  readonly path: string;
  readonly direction: GatewayDirection;
  /** Gateway resource and Deployment name. */
  readonly name: string;
  readonly namespace: string;
  /** Pod labels the Istio Gateway resource selects on. */
  readonly selector: Readonly<Record<string, string>>;
  /** In-mesh host of the gateway's Service. */
  readonly serviceHost: string;
  readonly servers: readonly GatewayServerModel[];
  readonly routes: readonly GatewayRouteModel[];
  /**
   * True when the gateway binds to a workload installed by someone else
   * (no Deployment/Service of its own): several such gateways may select
   * the same pods.
   */
  readonly attached?: boolean;
  /** The gateway's own mesh identity (its ServiceAccount); undefined for a workload installed by someone else. */
  readonly identity?: { readonly namespace: string; readonly serviceAccount: string };
  /** The control plane its `controlPlane` prop binds it to (undefined: the app's first control plane). */
  readonly controlPlane?: { readonly revision?: string };
  /** The gateway's own workload; undefined for a workload installed by someone else. */
  readonly workload?: GatewayWorkloadModel;
}

/** The Deployment, Service and scaling objects of a gateway cdk8s-mesh deploys. */
export interface GatewayWorkloadModel {
  /** Labels of every object of the gateway. */
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  /** Proxy image other than the control plane's (`sidecar.istio.io/proxyImage`). */
  readonly image?: string;
  readonly replicas: number;
  readonly autoscaling?: { readonly minReplicas: number; readonly maxReplicas: number; readonly targetCpuUtilization: number };
  readonly disruptionBudget: boolean;
  /** Resources of the proxy container (undefined: Istio's chart defaults). */
  readonly resources?: ResourcesModel;
  readonly serviceType?: string;
  readonly serviceAnnotations?: Readonly<Record<string, string>>;
}

export interface ExternalPortModel {
  readonly name: string;
  readonly number: number;
  readonly protocol: string;
}

/** Protocols of an external port that an egress gateway routes as HTTP (over mTLS to the gateway). */
export const EXTERNAL_HTTP_PROTOCOLS: readonly string[] = ['HTTP', 'HTTP2', 'GRPC'];
/** Protocols of an external port that an egress gateway routes as TLS, by SNI. */
export const EXTERNAL_TLS_PROTOCOLS: readonly string[] = ['TLS', 'HTTPS'];

/** Address resolution of an external service, in Istio's `ServiceEntry.resolution` terms. */
export type ExternalResolutionName = 'DNS' | 'DNS_ROUND_ROBIN' | 'NONE';

/** TLS origination for plain-HTTP calls to an external service. */
export interface TlsOriginationModel {
  /** The plain-HTTP port the application calls. */
  readonly port: number;
  /** The TLS port of the external service. */
  readonly targetPort: number;
  /** Server name sent in the TLS handshake. */
  readonly sni: string;
}

export interface ExternalServiceModel {
  readonly path: string;
  readonly name: string;
  readonly namespace: string;
  /** External hosts, e.g. `api.payments.example`. */
  readonly hosts: readonly string[];
  readonly ports: readonly ExternalPortModel[];
  /** Construct path of the egress gateway the traffic leaves through, if any. */
  readonly egressGatewayPath?: string;
  /** True when the mesh originates TLS for plain-HTTP calls. */
  readonly originatesTls: boolean;
  /** Address resolution. */
  readonly resolution: ExternalResolutionName;
  /** Set when the mesh originates TLS (then `originatesTls` is true). */
  readonly tlsOrigination?: TlsOriginationModel;
}

/**
 * True if a server host pattern accepts `host`. Patterns follow Istio:
 * `*` (any), `*.example.com` (any subdomain), or an exact name; an optional
 * `<namespace>/` prefix is ignored.
 */
export function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.includes('/') ? pattern.slice(pattern.indexOf('/') + 1) : pattern;
  if (p === '*') return true;
  if (p.startsWith('*.')) return host.endsWith(p.slice(1)) && host.length > p.length - 1;
  return p === host;
}

/** True for servers that terminate HTTP (so VirtualService `http` routes apply). */
export function servesHttp(server: GatewayServerModel): boolean {
  if (server.httpsRedirect) return false;
  if (server.protocol === 'HTTP' || server.protocol === 'HTTP2' || server.protocol === 'GRPC') return true;
  return server.protocol === 'HTTPS' && server.tlsMode !== 'PASSTHROUGH';
}

/**
 * The VirtualServices of a gateway's routes, one per route host, with the
 * routes in evaluation order: routes with matches (in the order added), then
 * the host's catch-all route. A concrete host falls back to the any-host
 * (`*`) routes after its own, unless it has a catch-all route of its own:
 * "any host" means every host, also the ones with routes of their own.
 */
export function gatewayRouteTables(gateway: Pick<GatewayModel, 'routes'>): { host: string; routes: GatewayRouteModel[] }[] {
  const byHost = new Map<string, GatewayRouteModel[]>();
  for (const r of gateway.routes) {
    const list = byHost.get(r.host) ?? [];
    list.push(r);
    byHost.set(r.host, list);
  }
  const ordered = (routes: readonly GatewayRouteModel[]) => [...routes.filter((r) => !r.catchAll), ...routes.filter((r) => r.catchAll)];
  const anyHost = ordered(byHost.get(ANY_HOST) ?? []);
  return [...byHost.entries()].map(([host, routes]) => {
    const own = ordered(routes);
    if (host === ANY_HOST || own.some((r) => r.catchAll)) return { host, routes: own };
    return { host, routes: [...own, ...anyHost] };
  });
}

/**
 * Name of the VirtualService that carries a gateway's routes for one host:
 * `<gateway>-<host as a DNS label>` (`<gateway>-any` for `*`,
 * `<gateway>-wildcard-example-com` for `*.example.com`).
 */
export function gatewayRouteTableName(gatewayName: string, host: string): string {
  const label = host.replace(/^\*$/, 'any').replace(/^\*\./, 'wildcard.').replace(/\./g, '-').slice(0, 63).replace(/-+$/, '');
  return `${gatewayName}-${label}`;
}
