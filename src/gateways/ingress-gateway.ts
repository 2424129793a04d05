import { ApiObject, Duration, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { GatewayServer } from './gateway-server';
import { GatewayServiceType, MeshGateway, MeshGatewayOptions } from './mesh-gateway';
import { hostToLabel, isDnsName, suggestHost } from './private/hosts';
import { VirtualService } from '../imports/networking.istio.io';
import { managedGatewayRouteName } from '../model/gitops';
import { propError, propMessage } from '../private/errors';
import { checkArgs } from '../private/runtime-types';
import { defaultDestinations, renderRoute } from '../render/destinations';
import { MeshService } from '../services/mesh-service';
import { HttpMatch } from '../traffic/http-match';

/**
 * Properties of an `IngressGateway`.
 */
export interface IngressGatewayProps extends MeshGatewayOptions {
  /**
   * Servers of the Istio Gateway resource: ports, protocols, TLS and hosts.
   * More can be added with `addServer()`; at least one is required at synth.
   *
   * @default - none (add them with `addServer()`)
   * @see https://istio.io/latest/docs/reference/config/networking/gateway/#Server
   */
  readonly servers?: GatewayServer[];

  /**
   * How the gateway Service is exposed.
   *
   * @default GatewayServiceType.LOAD_BALANCER
   */
  readonly serviceType?: GatewayServiceType;
}

/**
 * A route from an ingress gateway to a `MeshService`.
 */
export interface GatewayRouteOptions {
  /**
   * Host the route answers (the `Host`/`:authority` of the request). One of
   * the gateway's HTTP or HTTPS servers must serve it.
   */
  readonly host: string;

  /**
   * The mesh service that receives the traffic. The destination follows the
   * service's release state (stable version, or the canary split).
   */
  readonly service: MeshService;

  /**
   * Requests the route applies to (any of them). Routes with matches are
   * tried before the host's catch-all route.
   *
   * @default - every request for the host
   * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPMatchRequest
   */
  readonly match?: HttpMatch[];

  /**
   * Service port to send to. Required when the service has several HTTP ports.
   *
   * @default - the service's only HTTP port
   */
  readonly port?: number;

  /**
   * Replace the matched path prefix (or the whole path) before forwarding,
   * e.g. `/` to strip `/api`.
   *
   * @default - the path is forwarded unchanged
   * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRewrite
   */
  readonly rewritePrefix?: string;

  /**
   * Upper bound of the whole request, retries included.
   *
   * @default - no timeout (Istio's default)
   * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRoute
   */
  readonly timeout?: Duration;
}

interface RouteEntry {
  readonly index: number;
  readonly options: GatewayRouteOptions;
  readonly match?: any[];
  readonly catchAll: boolean;
}

/**
 * A north-south entry point: an Envoy ingress gateway (Deployment running the
 * Istio proxy as a router on unprivileged ports 8080/8443, ServiceAccount,
 * Role and RoleBinding to read TLS secrets in its namespace, a LoadBalancer
 * Service mapping 80 -> 8080 and 443 -> 8443, optional HPA and
 * PodDisruptionBudget), the Istio Gateway resource that configures it, and
 * one VirtualService per host routing to mesh services.
 *
 * @example
 * const gw = new IngressGateway(chart, 'shop-gateway', {
 *   servers: [
 *     GatewayServer.http({ hosts: ['shop.example.com'], httpsRedirect: true }),
 *     GatewayServer.https({ hosts: ['shop.example.com'], tls: GatewayTls.simple('shop-example-com-cert') }),
 *   ],
 * });
 * gw.addRoute({ host: 'shop.example.com', match: [HttpMatch.pathPrefix('/orders')], service: orders });
 *
 * @see https://istio.io/latest/docs/tasks/traffic-management/ingress/ingress-control/
 */
export class IngressGateway extends MeshGateway {
  /** The Istio Gateway resource (escape hatch: `addJsonPatch`). */
  public readonly gateway: ApiObject;
  /** Role that lets the gateway read TLS secrets in its namespace. */
  public readonly secretReaderRole: ApiObject;

  private readonly virtualServices = new Map<string, { vs: ApiObject; routes: RouteEntry[] }>();
  private routeCount = 0;

  constructor(scope: Construct, id: string, props: IngressGatewayProps = {}) {
    super(scope, id, props, 'ingress', GatewayServiceType.LOAD_BALANCER, props.serviceType);
    checkArgs(this, 'IngressGateway.new', arguments);
    this.gateway = this._gatewayResource();

    // istiod checks (SubjectAccessReview) that the gateway may list secrets
    // before it hands it a `credentialName` certificate.
    const labels = { 'app.kubernetes.io/name': this.gatewayName, 'app.kubernetes.io/part-of': 'istio' };
    const roleName = `${this.gatewayName}-sds`;
    this.secretReaderRole = new k8s.KubeRole(this, 'SecretReader', {
      metadata: { name: roleName, namespace: this.namespace, labels },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'watch', 'list'] }],
    });
    new k8s.KubeRoleBinding(this, 'SecretReaderBinding', {
      metadata: { name: roleName, namespace: this.namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name: this.identityServiceAccount, namespace: this.namespace }],
    });

    for (const server of props.servers ?? []) this.addServer(server);

    this.node.addValidation({
      validate: () => [
        ...(this._servers.length === 0
          ? [propMessage('servers', 'must list at least one server (Istio rejects a Gateway without servers)', [],
            'pass servers: [GatewayServer.https({ hosts: [...], tls: GatewayTls.simple(secret) })] or call addServer()')]
          : []),
        ...this._model.errorsFor(this.node.path),
      ],
    });
  }

  /** The servers of the Gateway resource (a copy). */
  public get servers(): GatewayServer[] {
    return this._servers.map((s) => s.server!);
  }

  /**
   * Adds a server to the Gateway resource.
   *
   * @returns the server
   */
  public addServer(server: GatewayServer): GatewayServer {
    checkArgs(this, 'IngressGateway.addServer', arguments);
    const prop = `servers[${this._servers.length}]`;
    if (!(server instanceof GatewayServer)) {
      throw propError(this, prop, 'must be a GatewayServer', server, 'use GatewayServer.http(...) or GatewayServer.https(...)');
    }
    const model = server._bind(this, prop);
    this._addServer(prop, model, server._toIstio(`${model.protocol.toLowerCase()}-${model.port}`), server);
    return server;
  }

  /**
   * Routes requests for `host` (optionally only those matching `match`) from
   * this gateway to a mesh service. All routes of one host share one
   * VirtualService bound to this gateway; routes with matches come first, in
   * the order added, then the host's catch-all route.
   *
   * @returns the VirtualService that carries the route
   */
  public addRoute(options: GatewayRouteOptions): ApiObject {
    checkArgs(this, 'IngressGateway.addRoute', arguments);
    const index = this.routeCount;
    const prop = `routes[${index}]`;
    const host = options.host;
    if (!isDnsName(host)) {
      throw propError(this, `${prop}.host`, 'must be a lower-case DNS name without wildcard (the host clients request)', host,
        String(host).includes('*') ? 'route each concrete host (a wildcard server serves them all)' : `use ${JSON.stringify(suggestHost(host))}`);
    }
    if (!(options.service instanceof MeshService)) {
      throw propError(this, `${prop}.service`, 'must be a MeshService', options.service, 'pass the MeshService object that should receive the traffic');
    }
    this.resolvePort(prop, options);
    const match = options.match?.map((m, i) => m._toIstio(this, `${prop}.match[${i}]`));
    const catchAll = !options.match || options.match.length === 0 || options.match.some((m) => m.isCatchAll);
    if (options.rewritePrefix !== undefined && !options.rewritePrefix.startsWith('/')) {
      throw propError(this, `${prop}.rewritePrefix`, 'must be an absolute path starting with \'/\'', options.rewritePrefix, `use "/${options.rewritePrefix}"`);
    }
    if (options.timeout !== undefined && options.timeout.toMilliseconds() < 1) {
      throw propError(this, `${prop}.timeout`, 'must be at least 1 ms', `${options.timeout.toMilliseconds()}ms`, 'use e.g. Duration.seconds(15), or omit it');
    }

    let entry = this.virtualServices.get(host);
    if (entry && catchAll) {
      const other = entry.routes.find((r) => r.catchAll);
      if (other) {
        throw propError(this, `${prop}.match`, `must narrow the route: routes[${other.index}] already takes every request for ${host}, so this route would never match`,
          options.match ?? [], 'give the route a match (e.g. match: [HttpMatch.pathPrefix(\'/api\')]) or remove one of the routes');
      }
    }
    if (!entry) {
      const routes: RouteEntry[] = [];
      const vs = new VirtualService(this, `Route-${host}`, {
        metadata: { name: `${this.gatewayName}-${hostToLabel(host)}`, namespace: this.namespace, labels: { 'app.kubernetes.io/name': this.gatewayName } },
        spec: Lazy.any({ produce: () => this.renderVirtualService(host, routes) }),
      });
      entry = { vs, routes };
      this.virtualServices.set(host, entry);
    }
    entry.routes.push({ index, options, match, catchAll });
    this.routeCount++;
    this._routes.push({ path: this.node.path, index, host, serviceHost: options.service.host });
    this._register();
    return entry.vs;
  }

  private resolvePort(prop: string, options: GatewayRouteOptions): number | undefined {
    const ports = options.service.ports;
    const httpPorts = ports.filter((p) => p.protocol !== 'tcp');
    if (options.port !== undefined) {
      if (!httpPorts.some((p) => p.port === options.port)) {
        throw propError(this, `${prop}.port`, `must be one of the HTTP ports of ${options.service.serviceName} (${httpPorts.map((p) => p.port).join(', ') || 'none'})`,
          options.port, 'pass one of those ports or omit port');
      }
      return ports.length > 1 ? options.port : undefined;
    }
    if (httpPorts.length !== 1) {
      throw propError(this, `${prop}.port`, `is required because ${options.service.serviceName} has ${httpPorts.length} HTTP ports ` +
        `(${httpPorts.map((p) => p.port).join(', ') || 'none'})`, options.port, 'pass port: <service port> (a gateway route carries HTTP only)');
    }
    return ports.length > 1 ? httpPorts[0].port : undefined;
  }

  private renderVirtualService(host: string, routes: readonly RouteEntry[]): any {
    const ordered = [...routes.filter((r) => !r.catchAll), ...routes.filter((r) => r.catchAll)];
    return {
      hosts: [host],
      gateways: [this.gatewayRef],
      http: ordered.map((r) => {
        const svc = r.options.service;
        const port = this.resolvePort(`routes[${r.index}]`, r.options);
        const model = this._model.findService(svc.host) ?? svc._toModel();
        const destinations = defaultDestinations(this._model, model).map((d) => (port === undefined ? d : { ...d, port }));
        const http: any = {};
        // --- gitops (src/rollouts): Argo Rollouts finds the routes it manages by name ---
        const managedName = managedGatewayRouteName(this._model, svc.host, svc.serviceName, r.index);
        if (managedName) http.name = managedName;
        // --- end gitops ---
        if (r.match && r.match.length && !r.catchAll) http.match = r.match;
        if (r.options.rewritePrefix !== undefined) http.rewrite = { uri: r.options.rewritePrefix };
        if (r.options.timeout !== undefined) http.timeout = `${r.options.timeout.toMilliseconds() / 1000}s`;
        http.route = renderRoute(destinations);
        return http;
      }),
    };
  }
}
