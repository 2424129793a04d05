import { ApiObject, Chart, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { GatewayRouteOptions } from './gateway-route';
import { GatewayServer } from './gateway-server';
import { GatewayRoutes } from './private/gateway-routes';
import { Gateway } from '../imports/networking.istio.io';
import { GatewayModel, GatewayRouteModel, GatewayServerModel } from '../model/gateways';
import { MeshModel } from '../model/mesh-model';
import { snapshotOf } from '../model/resolve';
import { MeshRouting, RoutingApi } from '../model/routing';
import { propError } from '../private/errors';
import { isLabelValue, validateDnsLabel } from '../private/names';
import { checkArgs } from '../private/runtime-types';
import { checkPort } from '../private/values';
import { renderGatewaySpec } from '../render/gateway';
import { ENVOY_RESERVED_PORTS } from '../render/proxy';
import { addMeshValidation, meshOf } from '../synth/mesh';

/** Ports Envoy or the agent bind in every gateway pod; servers cannot use them. */
const RESERVED_PORTS = ENVOY_RESERVED_PORTS;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * Options of `GatewayWorkload.fromSelector()`.
 */
export interface GatewayWorkloadSelectorOptions {
  /** Namespace the gateway pods run in (TLS secrets of the servers must live here). */
  readonly namespace: string;

  /**
   * Pod labels of the gateway workload, e.g. `{ istio: 'ingressgateway' }`.
   * The Istio Gateway resource selects the pods by them.
   */
  readonly selector: { [key: string]: string };
}

/**
 * Options of `GatewayWorkload.fromName()`.
 */
export interface GatewayWorkloadNameOptions {
  /**
   * Name the gateway was installed under (its Deployment and Service), e.g.
   * `istio-ingressgateway`.
   */
  readonly name: string;

  /** Namespace the gateway pods run in (TLS secrets of the servers must live here). */
  readonly namespace: string;
}

/**
 * A gateway of this app whose pods other Istio Gateway resources may bind
 * to: an `IngressGateway`, for `GatewayWorkload.fromIngressGateway()`.
 */
export interface IIngressGateway extends IConstruct {
  /** Name of the gateway's Deployment and Service. */
  readonly gatewayName: string;
  /** Namespace the gateway pods run in. */
  readonly namespace: string;
  /** Labels of the gateway pods (a copy). */
  readonly selector: { [key: string]: string };
}

/**
 * A gateway workload (Envoy pods) that is installed and operated elsewhere,
 * e.g. by the platform team's Helm release of Istio's `gateway` chart or by
 * another cdk8s app. Used by `IngressGateway.fromExisting()`.
 */
export abstract class GatewayWorkload {
  /** The gateway pods carrying these labels in `namespace`. */
  public static fromSelector(options: GatewayWorkloadSelectorOptions): GatewayWorkload {
    checkArgs('GatewayWorkload.fromSelector', 'GatewayWorkload.fromSelector', arguments);
    return new WorkloadImpl(options.namespace, options.selector, undefined);
  }

  /**
   * The gateway installed under `name` with Istio's labelling convention
   * (the `gateway` Helm chart and `istioctl` label the pods
   * `istio: <name without a leading "istio-">`): `istio-ingressgateway`
   * is selected by `istio: ingressgateway`.
   */
  public static fromName(options: GatewayWorkloadNameOptions): GatewayWorkload {
    checkArgs('GatewayWorkload.fromName', 'GatewayWorkload.fromName', arguments);
    const name = options.name;
    const label = typeof name === 'string' ? (name.replace(/^istio-/, '') || name) : name;
    return new WorkloadImpl(options.namespace, { istio: label }, name);
  }

  /** The workload of an `IngressGateway` declared in this app (e.g. by the platform team's chart). */
  public static fromIngressGateway(gateway: IIngressGateway): GatewayWorkload {
    checkArgs('GatewayWorkload.fromIngressGateway', 'GatewayWorkload.fromIngressGateway', arguments);
    return new WorkloadImpl(gateway.namespace, gateway.selector, gateway.gatewayName);
  }

  /** Namespace the gateway pods run in. */
  public abstract readonly namespace: string;

  /** Pod labels the Istio Gateway resource selects on (a copy). */
  public abstract readonly selector: { [key: string]: string };

  /** @internal validates the workload reference. */
  public abstract _bind(scope: IConstruct, prop: string): { namespace: string; selector: Record<string, string>; name?: string };
}

class WorkloadImpl extends GatewayWorkload {
  private readonly _selector: Record<string, string>;

  constructor(public readonly namespace: string, selector: Record<string, string>, private readonly name: string | undefined) {
    super();
    this._selector = selector && typeof selector === 'object' ? { ...selector } : selector;
  }

  public get selector(): { [key: string]: string } {
    return { ...this._selector };
  }

  public _bind(scope: IConstruct, prop: string): { namespace: string; selector: Record<string, string>; name?: string } {
    if (this.name !== undefined) validateDnsLabel(scope, `${prop}.name`, this.name);
    validateDnsLabel(scope, `${prop}.namespace`, this.namespace);
    const entries = this._selector && typeof this._selector === 'object' ? Object.entries(this._selector) : [];
    if (entries.length === 0) {
      throw propError(scope, `${prop}.selector`, 'must list at least one pod label (an empty selector would bind the servers to every gateway of the cluster)',
        this._selector, 'pass the labels of the gateway pods, e.g. { istio: \'ingressgateway\' }');
    }
    for (const [key, value] of entries) {
      if (!LABEL_KEY.test(key) || key.length > 317) {
        throw propError(scope, `${prop}.selector`, 'must use Kubernetes label keys (an optional DNS prefix and \'/\', then at most 63 of [A-Za-z0-9_.-])', key,
          'use the label key the gateway pods carry, e.g. \'istio\'');
      }
      if (typeof value !== 'string' || !isLabelValue(value) || value === '') {
        throw propError(scope, `${prop}.selector[${JSON.stringify(key)}]`, 'must be a non-empty Kubernetes label value (at most 63 of [A-Za-z0-9_.-], alphanumeric at both ends)',
          value, 'use the label value the gateway pods carry, e.g. \'ingressgateway\'');
      }
    }
    return { namespace: this.namespace, selector: { ...this._selector }, name: this.name };
  }
}

/**
 * Properties of an `ExistingIngressGateway` (`IngressGateway.fromExisting()`).
 */
export interface ExistingIngressGatewayProps {
  /**
   * The gateway pods the servers and routes bind to, installed elsewhere:
   * `GatewayWorkload.fromName({ name: 'istio-ingressgateway', namespace: 'istio-ingress' })`,
   * `GatewayWorkload.fromSelector(...)` or `GatewayWorkload.fromIngressGateway(gw)`.
   */
  readonly workload: GatewayWorkload;

  /**
   * Name of the Istio Gateway resource (and prefix of the route
   * VirtualServices).
   *
   * @default - the construct id (which must then be a DNS-1123 label)
   */
  readonly gatewayName?: string;

  /**
   * Namespace of the Istio Gateway resource and of its VirtualServices (the
   * app team's namespace). Istio matches the Gateway's selector against
   * gateway pods in every namespace (unless istiod runs with
   * `PILOT_SCOPE_GATEWAY_TO_NAMESPACE=true`, which requires the workload's
   * namespace).
   *
   * @default - the chart's namespace, or the workload's namespace
   */
  readonly namespace?: string;

  /**
   * Servers of the Istio Gateway resource: ports (as exposed by the existing
   * gateway's Service), protocols, TLS and hosts. TLS secrets
   * (`credentialName`) must live in the workload's namespace. More can be
   * added with `addServer()`; at least one is required at synth.
   *
   * @default - none (add them with `addServer()`)
   * @see https://istio.io/latest/docs/reference/config/networking/gateway/#Server
   */
  readonly servers?: GatewayServer[];
}

/**
 * Servers and routes bound to a gateway workload someone else installed: an
 * Istio Gateway resource selecting the existing gateway pods and one
 * VirtualService per routed host, with the same route API and analysis as
 * `IngressGateway` (host collisions, routes to unserved hosts, release-aware
 * destinations, tester pinning, any-host routes). Emits no workload: no
 * Deployment, Service, ServiceAccount or RBAC.
 *
 * Create it with `IngressGateway.fromExisting()`.
 *
 * @example
 * const gw = IngressGateway.fromExisting(chart, 'shop-gateway', {
 *   workload: GatewayWorkload.fromName({ name: 'istio-ingressgateway', namespace: 'istio-ingress' }),
 *   servers: [GatewayServer.http({ hosts: ['shop.example.com'] })],
 * });
 * gw.addRoute({ host: 'shop.example.com', service: orders });
 *
 * @see https://istio.io/latest/docs/setup/additional-setup/gateway/#deploying-a-gateway
 */
export class ExistingIngressGateway extends Construct {
  /** Name of the Istio Gateway resource. */
  public readonly gatewayName: string;
  /** Namespace of the Gateway resource and its VirtualServices. */
  public readonly namespace: string;
  /** Namespace the gateway pods run in (where TLS secrets live). */
  public readonly workloadNamespace: string;
  /** The Istio Gateway resource (escape hatch: `addJsonPatch`). */
  public readonly gateway: ApiObject;

  private readonly model: MeshModel;
  private readonly workloadName?: string;
  private readonly _selector: Record<string, string>;
  private readonly bound: { server: GatewayServer; model: GatewayServerModel }[] = [];
  private readonly routeModels: GatewayRouteModel[] = [];
  private readonly routeTable: GatewayRoutes;

  constructor(scope: Construct, id: string, props: ExistingIngressGatewayProps) {
    super(scope, id);
    checkArgs(this, 'ExistingIngressGateway.new', arguments);
    this.model = meshOf(this);
    if (MeshRouting.of(this) === RoutingApi.GATEWAY_API) {
      throw propError(this, 'routingApi', 'must be RoutingApi.ISTIO for a gateway bound to an existing workload: its Gateway API rendering (a Gateway addressing the existing Service) is not implemented',
        RoutingApi.GATEWAY_API, 'create it in a chart routed with the Istio API (MeshRouting.use(chart, RoutingApi.ISTIO)), or deploy the gateway with new IngressGateway(...)');
    }
    if (!(props.workload instanceof GatewayWorkload)) {
      throw propError(this, 'workload', 'must be a GatewayWorkload', props.workload,
        'pass GatewayWorkload.fromName({ name, namespace }) or GatewayWorkload.fromSelector({ namespace, selector })');
    }
    const workload = props.workload._bind(this, 'workload');
    this.workloadNamespace = workload.namespace;
    this.workloadName = workload.name;
    this._selector = workload.selector;
    this.gatewayName = validateDnsLabel(this, 'gatewayName', props.gatewayName ?? id);
    this.namespace = validateDnsLabel(this, 'namespace', props.namespace ?? Chart.of(this).namespace ?? workload.namespace);

    this.gateway = new Gateway(this, 'Gateway', {
      metadata: {
        name: this.gatewayName,
        namespace: this.namespace,
        labels: { 'app.kubernetes.io/name': this.gatewayName, 'app.kubernetes.io/component': 'ingress-gateway' },
      },
      spec: Lazy.any({ produce: () => renderGatewaySpec(snapshotOf(this.model).gateway(this.node.path)!) }),
    });
    this.routeTable = new GatewayRoutes(this, this.model, {
      gatewayName: this.gatewayName,
      namespace: this.namespace,
      onRoute: (route) => {
        this.routeModels.push(route);
        this.register();
      },
    });
    for (const server of props.servers ?? []) this.addServer(server);
    this.register();

    addMeshValidation(this);
  }

  /** Labels of the gateway pods the Gateway resource selects (a copy). */
  public get selector(): { [key: string]: string } {
    return { ...this._selector };
  }

  /** `<namespace>/<name>`: how VirtualServices refer to this Gateway resource. */
  public get gatewayRef(): string {
    return `${this.namespace}/${this.gatewayName}`;
  }

  /** The servers of the Gateway resource (a copy). */
  public get servers(): GatewayServer[] {
    return this.bound.map((b) => b.server);
  }

  /**
   * Adds a server to the Gateway resource. Its port is a port of the
   * existing gateway's Service (or container).
   *
   * @returns the server
   */
  public addServer(server: GatewayServer): GatewayServer {
    checkArgs(this, 'ExistingIngressGateway.addServer', arguments);
    const prop = `servers[${this.bound.length}]`;
    if (!(server instanceof GatewayServer)) {
      throw propError(this, prop, 'must be a GatewayServer', server, 'use GatewayServer.http(...) or GatewayServer.https(...)');
    }
    const model = server._bind(this, prop);
    checkPort(this, `${prop}.port`, model.port, 'use the port the gateway Service exposes, e.g. 80 or 443');
    if (RESERVED_PORTS.includes(model.port)) {
      throw propError(this, `${prop}.port`, `must not be a port the gateway's Envoy or agent binds (${RESERVED_PORTS.join(', ')})`, model.port,
        'use the port the gateway Service exposes, e.g. 80 or 443');
    }
    const tls = (p: string) => p === 'HTTPS' || p === 'TLS';
    const other = this.bound.find((b) => b.model.port === model.port && tls(b.model.protocol) !== tls(model.protocol));
    if (other) {
      throw propError(this, `${prop}.port`, `must not be shared by servers of different protocols: servers[${this.bound.indexOf(other)}] ` +
        `serves ${other.model.protocol} on it and this server ${model.protocol}`, model.port, 'put each protocol on its own port (e.g. HTTP on 80, HTTPS on 443)');
    }
    this.bound.push({ server, model });
    this.register();
    return server;
  }

  /**
   * Routes requests for `host` (or `'*'`: every host the servers accept) to
   * a mesh service through the existing gateway; same rules as
   * `IngressGateway.addRoute()`.
   *
   * @returns the VirtualService that carries the route
   */
  public addRoute(options: GatewayRouteOptions): ApiObject {
    checkArgs(this, 'ExistingIngressGateway.addRoute', arguments);
    return this.routeTable.add(options);
  }

  private register(): void {
    this.model.putGateway(this.toModel());
  }

  private toModel(): GatewayModel {
    return {
      path: this.node.path,
      direction: 'ingress',
      name: this.gatewayName,
      namespace: this.namespace,
      selector: { ...this._selector },
      // the workload's Service when known by name; '' when only its pod labels are known
      serviceHost: this.workloadName ? this.model.hostOf(this.workloadName, this.workloadNamespace) : '',
      servers: this.bound.map((b) => b.model),
      routes: [...this.routeModels],
      attached: true,
    };
  }
}
