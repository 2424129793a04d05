import { ApiObject, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { GatewayServiceType, MeshGateway, MeshGatewayOptions } from './mesh-gateway';
import { DestinationRule, Gateway } from '../imports/networking.istio.io';
import { EgressLegModel } from '../model/gateways';
import { propError } from '../private/errors';
import { checkArgs } from '../private/runtime-types';
import { renderEgressGatewayDestinationRuleSpec } from '../render/destination-rule';
import { addMeshValidation } from '../synth/mesh';
import { ObjectSlot } from '../synth/object-slot';

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
  private readonly gatewaySlot: ObjectSlot;

  constructor(scope: Construct, id: string, props: EgressGatewayProps = {}) {
    super(scope, id, props, 'egress', GatewayServiceType.CLUSTER_IP, props.serviceType);
    checkArgs(this, 'EgressGateway.new', arguments);
    addMeshValidation(this);
    // the Gateway and the DestinationRule exist once an external service leaves through the gateway
    const metadata = { name: this.gatewayName, namespace: this.namespace };
    this.gatewaySlot = new ObjectSlot(this, 'Gateway', (slot, snapshot) => (snapshot.gateway(this.node.path)?.egressLegs.length
      ? new Gateway(slot, 'Resource', { metadata: { ...metadata, labels: this._objectLabels() }, spec: Lazy.any({ produce: () => this._gatewaySpec() }) })
      : undefined));
    new ObjectSlot(this, 'DestinationRule', (slot, snapshot) => (snapshot.gateway(this.node.path)?.egressLegs.length
      ? new DestinationRule(slot, 'Resource', {
        metadata: { ...metadata, labels: { 'app.kubernetes.io/name': this.gatewayName } },
        spec: Lazy.any({ produce: () => renderEgressGatewayDestinationRuleSpec(this._snapshot()) }),
      })
      : undefined));
  }

  /** The Istio Gateway resource, once the app is synthesized and an external service routes through the gateway. */
  public get gateway(): ApiObject | undefined {
    return this.gatewaySlot.object;
  }

  /** Hosts of the external services routed through this gateway. */
  public get externalHosts(): string[] {
    return [...new Set(this._model.egressLegsOf(this.node.path).map((l) => l.host))];
  }

  /** @internal Records an external host leaving through the gateway (a Gateway server and a DestinationRule subset in the snapshot). */
  public _addLeg(scope: IConstruct, leg: EgressLegModel): void {
    const other = this._model.egressLegsOf(this.node.path).find((l) => l.subset === leg.subset && l.path !== leg.path);
    if (other) {
      throw propError(scope, 'serviceName', `must be unique among the external services routed through ${this.node.path} (${other.path} uses it)`, leg.subset,
        'give one of the external services another serviceName');
    }
    this._model.addEgressLeg(this.node.path, leg);
  }
}
