import { ApiObject, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { GatewayServiceType, MeshGateway, MeshGatewayOptions } from './mesh-gateway';
import { DestinationRule } from '../imports/networking.istio.io';
import { EgressLegModel } from '../model/gateways';
import { propError } from '../private/errors';
import { checkArgs } from '../private/runtime-types';
import { renderEgressGatewayDestinationRuleSpec } from '../render/destination-rule';

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
  private _destinationRule?: ApiObject;

  constructor(scope: Construct, id: string, props: EgressGatewayProps = {}) {
    super(scope, id, props, 'egress', GatewayServiceType.CLUSTER_IP, props.serviceType);
    checkArgs(this, 'EgressGateway.new', arguments);
    this.node.addValidation({ validate: () => this._model.errorsFor(this.node.path) });
  }

  /** The Istio Gateway resource, once an external service routes through the gateway. */
  public get gateway(): ApiObject | undefined {
    return this._egressLegs.length ? this._gatewayResource() : undefined;
  }

  /** Hosts of the external services routed through this gateway. */
  public get externalHosts(): string[] {
    return [...new Set(this._egressLegs.map((l) => l.host))];
  }

  /**
   * @internal Registers an external host leaving through the gateway: a
   * Gateway server and a DestinationRule subset.
   */
  public _addLeg(scope: IConstruct, leg: EgressLegModel): void {
    const prop = `externalServices[${this._egressLegs.length}]`;
    const other = this._egressLegs.find((l) => l.subset === leg.subset && l.path !== leg.path);
    if (other) {
      throw propError(scope, 'serviceName', `must be unique among the external services routed through ${this.node.path} (${other.path} uses it)`, leg.subset,
        'give one of the external services another serviceName');
    }
    if (leg.kind === 'http') {
      // sidecar -> gateway is mutual TLS; SNI selects the server
      this._addServer(prop, { port: 80, protocol: 'HTTPS', hosts: [leg.host], tlsMode: 'ISTIO_MUTUAL', httpsRedirect: false, path: leg.path, portName: `https-${leg.subset}` });
    } else {
      this._addServer(prop, { port: 443, protocol: 'TLS', hosts: [leg.host], tlsMode: 'PASSTHROUGH', httpsRedirect: false, path: leg.path, portName: `tls-${leg.subset}` });
    }
    this._egressLegs.push(leg);
    this._register();
    this._gatewayResource();
    if (!this._destinationRule) {
      this._destinationRule = new DestinationRule(this, 'DestinationRule', {
        metadata: { name: this.gatewayName, namespace: this.namespace, labels: { 'app.kubernetes.io/name': this.gatewayName } },
        spec: Lazy.any({ produce: () => renderEgressGatewayDestinationRuleSpec(this._toModel()) }),
      });
    }
  }
}
