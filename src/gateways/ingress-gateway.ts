import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ExistingIngressGateway, ExistingIngressGatewayProps, IIngressGateway } from './existing-ingress-gateway';
import { GatewayRouteOptions } from './gateway-route';
import { GatewayServer } from './gateway-server';
import { GatewayServiceType, MeshGateway, MeshGatewayOptions } from './mesh-gateway';
import { GatewayApiIngress } from './private/gateway-api-ingress';
import { GatewayRoutes } from './private/gateway-routes';
import { ANY_HOST } from '../model/gateways';
import { MeshRouting, RoutingApi } from '../model/routing';
import { propError } from '../private/errors';
import { checkArgs } from '../private/runtime-types';
import { renderGatewaySecretReader } from '../render/gateway-workload';

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
export class IngressGateway extends MeshGateway implements IIngressGateway {
  /**
   * The route host that matches every host the gateway's servers accept
   * (`'*'`), for `addRoute({ host: IngressGateway.ANY_HOST, ... })`.
   */
  public static readonly ANY_HOST = ANY_HOST;

  /**
   * Binds servers and routes to a gateway workload installed by someone
   * else (the platform team): emits the Istio Gateway resource selecting
   * the existing pods and the route VirtualServices, and no workload
   * (no Deployment, Service, ServiceAccount or RBAC). Routes have the same
   * API and analysis as an `IngressGateway`'s.
   *
   * @example
   * const gw = IngressGateway.fromExisting(chart, 'shop-gateway', {
   *   workload: GatewayWorkload.fromName({ name: 'istio-ingressgateway', namespace: 'istio-ingress' }),
   *   servers: [GatewayServer.http({ hosts: ['*'] })],
   * });
   * gw.addRoute({ host: IngressGateway.ANY_HOST, match: [HttpMatch.pathPrefix('/orders')], service: orders });
   */
  public static fromExisting(scope: Construct, id: string, props: ExistingIngressGatewayProps): ExistingIngressGateway {
    checkArgs('IngressGateway.fromExisting', 'IngressGateway.fromExisting', arguments);
    return new ExistingIngressGateway(scope, id, props);
  }

  /**
   * The gateway resource (escape hatch: `addJsonPatch`): the Istio Gateway, or
   * with `RoutingApi.GATEWAY_API` the Gateway API Gateway (class `istio`).
   */
  public readonly gateway: ApiObject;
  /** The API the gateway's servers and routes are rendered with (the chart's or app's `MeshRouting` choice). */
  public readonly routingApi: RoutingApi;
  /** Role that lets the gateway read TLS secrets in its namespace. */
  public readonly secretReaderRole: ApiObject;

  private readonly routeTable: GatewayRoutes;
  private readonly gatewayApi?: GatewayApiIngress;

  constructor(scope: Construct, id: string, props: IngressGatewayProps = {}) {
    super(scope, id, props, 'ingress', GatewayServiceType.LOAD_BALANCER, props.serviceType);
    checkArgs(this, 'IngressGateway.new', arguments);
    // with the Gateway API: a Gateway API Gateway and HTTPRoutes instead of the Istio Gateway and VirtualServices
    this.routingApi = MeshRouting.of(this);
    this._model.setRoutingApi(this.node.path, this.routingApi);
    if (this.routingApi === RoutingApi.GATEWAY_API) {
      this.gatewayApi = new GatewayApiIngress(this, this._model, { name: this.gatewayName, namespace: this.namespace }, {
        'app.kubernetes.io/name': this.gatewayName, 'app.kubernetes.io/component': 'ingress-gateway', 'app.kubernetes.io/part-of': 'istio',
      });
    }
    this.gateway = this.gatewayApi?.gateway ?? this._gatewayResource();
    const gatewayApi = this.gatewayApi;
    this.routeTable = new GatewayRoutes(this, this._model, {
      gatewayName: this.gatewayName,
      namespace: this.namespace,
      onRoute: (route) => {
        this._routes.push(route);
        this._register();
        gatewayApi?.onRoute(route);
      },
      ...(gatewayApi ? { createRouteObject: (host: string) => gatewayApi.routeObject(host) } : {}),
    });

    const secretReader = renderGatewaySecretReader(this.gatewayName, this.namespace, this.identityServiceAccount);
    this.secretReaderRole = new k8s.KubeRole(this, 'SecretReader', secretReader.role);
    new k8s.KubeRoleBinding(this, 'SecretReaderBinding', secretReader.binding);
    for (const server of props.servers ?? []) this.addServer(server);
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
    this._addServer(prop, model, server);
    this.gatewayApi?.onServer(model.httpsRedirect);
    return server;
  }

  /**
   * Routes requests for `host` (optionally only those matching `match`) from
   * this gateway to a mesh service. All routes of one host share one
   * VirtualService bound to this gateway; routes with matches come first, in
   * the order added, then the host's catch-all route.
   *
   * `host: '*'` routes every host the gateway's servers accept (e.g. a
   * gateway reached by IP with a `hosts: ['*']` server): its routes live in
   * the VirtualService `<gateway>-any` (`hosts: ['*']`) and are also the
   * fallback of every concrete host of this gateway, after that host's own
   * routes (unless the host has a catch-all route of its own).
   *
   * When the service has a `CanaryRelease` with `pinHeader`/`pinCookie` or a
   * `BlueGreenRelease` with `previewHeader`, the route gets a tester rule
   * first: the route's matches combined with the pin header send testers to
   * the canary/preview version; everyone else follows the split.
   *
   * @returns the VirtualService that carries the route
   */
  public addRoute(options: GatewayRouteOptions): ApiObject {
    checkArgs(this, 'IngressGateway.addRoute', arguments);
    return this.routeTable.add(options);
  }
}
