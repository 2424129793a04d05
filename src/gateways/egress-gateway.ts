import { ApiObject, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { GatewayServiceType, MeshGateway, MeshGatewayOptions } from './mesh-gateway';
import { EgressLeg } from './private/egress-leg';
import { DestinationRule } from '../imports/networking.istio.io';
import { propError } from '../private/errors';
import { checkArgs } from '../private/runtime-types';

/**
 * Properties of an `EgressGateway`.
 */
export interface EgressGatewayProps extends MeshGatewayOptions {
  /**
   * How the gateway Service is exposed. Egress gateways are reached from
   * inside the mesh only.
   *
   * @default GatewayServiceType.CLUSTER_IP
   */
  readonly serviceType?: GatewayServiceType;
}

/**
 * A mesh exit point: an Envoy egress gateway (same Envoy specification as
 * ingress gateways; ClusterIP Service 80 -> 8080, 443 -> 8443). External
 * services route through it with `ExternalService({ egressGateway })`, which
 * adds the Gateway servers, the DestinationRule subsets and the
 * VirtualService Istio needs to send their traffic sidecar -> egress gateway
 * -> outside. Together with a `REGISTRY_ONLY` outbound traffic policy and a
 * NetworkPolicy that only lets the egress gateway leave the cluster, this is
 * the controlled way out of the mesh.
 *
 * @see https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway/
 */
export class EgressGateway extends MeshGateway {
  private readonly legs: EgressLeg[] = [];
  private _destinationRule?: ApiObject;

  constructor(scope: Construct, id: string, props: EgressGatewayProps = {}) {
    super(scope, id, props, 'egress', GatewayServiceType.CLUSTER_IP, props.serviceType);
    checkArgs(this, 'EgressGateway.new', arguments);
    this.node.addValidation({ validate: () => this._model.errorsFor(this.node.path) });
  }

  /** The Istio Gateway resource, once an external service routes through the gateway. */
  public get gateway(): ApiObject | undefined {
    return this.legs.length ? this._gatewayResource() : undefined;
  }

  /** Hosts of the external services routed through this gateway. */
  public get externalHosts(): string[] {
    return [...new Set(this.legs.map((l) => l.host))];
  }

  /**
   * @internal Registers an external host leaving through the gateway: a
   * Gateway server and a DestinationRule subset.
   */
  public _addLeg(scope: IConstruct, leg: EgressLeg): void {
    const prop = `externalServices[${this.legs.length}]`;
    const other = this.legs.find((l) => l.subset === leg.subset && l.path !== leg.path);
    if (other) {
      throw propError(scope, 'serviceName', `must be unique among the external services routed through ${this.node.path} (${other.path} uses it)`, leg.subset,
        'give one of the external services another serviceName');
    }
    if (leg.kind === 'http') {
      // sidecar -> gateway is mutual TLS; SNI selects the server
      this._addServer(prop, { port: 80, protocol: 'HTTPS', hosts: [leg.host], tlsMode: 'ISTIO_MUTUAL', httpsRedirect: false, path: leg.path },
        { port: { number: 80, name: `https-${leg.subset}`, protocol: 'HTTPS' }, hosts: [leg.host], tls: { mode: 'ISTIO_MUTUAL' } });
    } else {
      this._addServer(prop, { port: 443, protocol: 'TLS', hosts: [leg.host], tlsMode: 'PASSTHROUGH', httpsRedirect: false, path: leg.path },
        { port: { number: 443, name: `tls-${leg.subset}`, protocol: 'TLS' }, hosts: [leg.host], tls: { mode: 'PASSTHROUGH' } });
    }
    this.legs.push(leg);
    this._gatewayResource();
    if (!this._destinationRule) {
      this._destinationRule = new DestinationRule(this, 'DestinationRule', {
        metadata: { name: this.gatewayName, namespace: this.namespace, labels: { 'app.kubernetes.io/name': this.gatewayName } },
        spec: Lazy.any({ produce: () => this.destinationRuleSpec() }),
      });
    }
  }

  private destinationRuleSpec(): any {
    const subsets = new Map<string, any>();
    for (const leg of this.legs) {
      const subset = subsets.get(leg.subset) ?? { name: leg.subset };
      if (leg.kind === 'http') {
        subset.trafficPolicy = {
          portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'ISTIO_MUTUAL', sni: leg.host } }],
        };
      }
      subsets.set(leg.subset, subset);
    }
    return { host: this.host, subsets: [...subsets.values()] };
  }
}
