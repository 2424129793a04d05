import { Diagnostic, MeshModel } from './mesh-model';

/**
 * Gateways and external services in the mesh model: plain data, no cdk8s
 * objects and no Istio kinds. Registered by `IngressGateway`,
 * `EgressGateway` and `ExternalService`; read by the whole-graph rules below
 * (and by anything else that needs the north-south picture, e.g. Sidecar
 * egress scoping or a topology diagram).
 */

/** Ingress (north-south in) or egress (mesh to outside). */
export type GatewayDirection = 'ingress' | 'egress';

/** Transport of a gateway server, in Istio's `Server.port.protocol` terms. */
export type GatewayServerProtocol = 'HTTP' | 'HTTPS' | 'HTTP2' | 'GRPC' | 'TLS' | 'TCP';

/** How a gateway server handles TLS (absent for plain-text servers). */
export type GatewayTlsModeName = 'SIMPLE' | 'MUTUAL' | 'PASSTHROUGH' | 'ISTIO_MUTUAL';

export interface GatewayServerModel {
  /** Port number on the gateway Service. */
  readonly port: number;
  readonly protocol: GatewayServerProtocol;
  /** Hosts the server accepts (`shop.example.com`, `*.example.com`, `*`). */
  readonly hosts: readonly string[];
  readonly tlsMode?: GatewayTlsModeName;
  /** Secret with the server certificate (SIMPLE / MUTUAL). */
  readonly credentialName?: string;
  /** Plain-HTTP server that only redirects to HTTPS. */
  readonly httpsRedirect: boolean;
  /** Who declared the server (a gateway, or an external service on an egress gateway). */
  readonly path: string;
}

export interface GatewayRouteModel {
  /** Construct path of the gateway that owns the route (for diagnostics). */
  readonly path: string;
  /** `routes[i]` index in the gateway, used in messages. */
  readonly index: number;
  /** Host the route answers. */
  readonly host: string;
  /** Host of the destination service in the mesh. */
  readonly serviceHost: string;
}

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
}

export interface ExternalPortModel {
  readonly name: string;
  readonly number: number;
  readonly protocol: string;
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
}

interface GatewayState {
  readonly gateways: GatewayModel[];
  readonly externalServices: ExternalServiceModel[];
}

const STATES = new WeakMap<MeshModel, GatewayState>();

function stateOf(model: MeshModel): GatewayState {
  let s = STATES.get(model);
  if (!s) {
    s = { gateways: [], externalServices: [] };
    STATES.set(model, s);
  }
  return s;
}

/** All gateways of the app, in registration order. */
export function gatewaysOf(model: MeshModel): readonly GatewayModel[] {
  return stateOf(model).gateways;
}

/** All external services of the app, in registration order. */
export function externalServicesOf(model: MeshModel): readonly ExternalServiceModel[] {
  return stateOf(model).externalServices;
}

/** Registers or replaces (same path) a gateway. */
export function putGateway(model: MeshModel, gateway: GatewayModel): void {
  const list = stateOf(model).gateways;
  const i = list.findIndex((g) => g.path === gateway.path);
  if (i < 0) list.push(gateway);
  else list[i] = gateway;
  model.touch();
}

/**
 * Registers an external service; returns an existing registration that
 * already declares one of its hosts, if any.
 */
export function addExternalService(model: MeshModel, service: ExternalServiceModel): ExternalServiceModel | undefined {
  const list = stateOf(model).externalServices;
  const clash = list.find((e) => e.hosts.some((h) => service.hosts.includes(h)));
  if (clash) return clash;
  list.push(service);
  model.touch();
  return undefined;
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

/** Rule code: the same host is served on the same port by two ingress servers. */
export const GATEWAY_HOST_COLLISION = 'MESH-GW001';
/** Rule code: a gateway route answers a host no server of the gateway serves over HTTP. */
export const GATEWAY_ROUTE_HOST_NOT_SERVED = 'MESH-GW002';

function hostCollisions(model: MeshModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Map<string, { gateway: GatewayModel; serverIndex: number }>();
  for (const gateway of gatewaysOf(model)) {
    if (gateway.direction !== 'ingress') continue;
    gateway.servers.forEach((server, serverIndex) => {
      for (const host of server.hosts) {
        const key = `${server.port}|${host}`;
        const first = seen.get(key);
        if (!first) {
          seen.set(key, { gateway, serverIndex });
          continue;
        }
        const where = first.gateway.path === gateway.path
          ? `servers[${first.serverIndex}] of this gateway`
          : `servers[${first.serverIndex}] of ${first.gateway.path}`;
        out.push({
          code: GATEWAY_HOST_COLLISION,
          severity: 'error',
          path: gateway.path,
          message: `'servers[${serverIndex}].hosts' must not repeat a host already served on port ${server.port} (${where} serves it; ` +
            `Envoy would pick one of them at random), got ${JSON.stringify(host)}. Fix: serve each host on each port from exactly one server of one gateway`,
        });
      }
    });
  }
  return out;
}

function routesToUnservedHosts(model: MeshModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const gateway of gatewaysOf(model)) {
    const httpServers = gateway.servers.filter(servesHttp);
    for (const route of gateway.routes) {
      if (httpServers.some((s) => s.hosts.some((p) => hostMatches(p, route.host)))) continue;
      const served = [...new Set(httpServers.flatMap((s) => s.hosts))];
      out.push({
        code: GATEWAY_ROUTE_HOST_NOT_SERVED,
        severity: 'error',
        path: gateway.path,
        message: `'routes[${route.index}].host' must be a host that one of the gateway's HTTP/HTTPS servers serves ` +
          `(served: ${served.length ? served.map((h) => JSON.stringify(h)).join(', ') : 'none'}), got ${JSON.stringify(route.host)}. ` +
          'Fix: add a server for the host (e.g. GatewayServer.https({ hosts: [host], tls: GatewayTls.simple(secret) })) or route a served host',
      });
    }
  }
  return out;
}

/** Registers the gateway rules on the model (idempotent). */
export function registerGatewayRules(model: MeshModel): void {
  model.addRule(GATEWAY_HOST_COLLISION, hostCollisions);
  model.addRule(GATEWAY_ROUTE_HOST_NOT_SERVED, routesToUnservedHosts);
}
