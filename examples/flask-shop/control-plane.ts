/**
 * The shop's Istio control plane and its mesh namespace: what turns an empty
 * cluster into a working mesh through GitOps.
 */
import { App, Chart, Duration } from 'cdk8s';
import { AccessLogEncoding, IstioControlPlane, MeshNamespace, MeshRouting, OutboundTrafficPolicyMode, RoutingApi } from '../../src';

/** Adds the `istio-control-plane` chart (CRDs, istiod, config, webhooks) and the injected `shop` namespace. */
export function addControlPlane(app: App, shopNamespace: string): { controlPlane: IstioControlPlane; namespace: MeshNamespace } {
  const chart = new Chart(app, 'istio-control-plane');
  const controlPlane = new IstioControlPlane(chart, 'istio', {
    replicas: 2,
    accessLogFile: '/dev/stdout',
    accessLogEncoding: AccessLogEncoding.JSON,
    outboundTrafficPolicy: OutboundTrafficPolicyMode.REGISTRY_ONLY,
    terminationDrainDuration: Duration.seconds(10),
    // the Gateway API flavour installs the Gateway API CRDs (standard channel) with Istio's
    ...(MeshRouting.of(app) === RoutingApi.GATEWAY_API ? { gatewayApiCrds: true } : {}),
  });
  const namespace = new MeshNamespace(chart, 'shop-namespace', { name: shopNamespace, controlPlane });
  return { controlPlane, namespace };
}
