/**
 * The shop's Istio control plane and its mesh namespace: what turns an empty
 * cluster into a working mesh through GitOps.
 */
import { App, Chart, Duration } from 'cdk8s';
import { AccessLogEncoding, DataPlaneMode, IstioControlPlane, MeshNamespace, MeshRouting, OutboundTrafficPolicyMode, RoutingApi } from '../../src';

/**
 * Adds the `istio-control-plane` chart (CRDs, istiod, config, webhooks) and the `shop`
 * namespace: injected, or with `DataPlaneMode.AMBIENT` on the ambient data plane (the control
 * plane then also installs ztunnel and istio-cni).
 */
export function addControlPlane(
  app: App, shopNamespace: string, dataPlane: DataPlaneMode = DataPlaneMode.SIDECAR,
): { controlPlane: IstioControlPlane; namespace: MeshNamespace } {
  const ambient = dataPlane === DataPlaneMode.AMBIENT;
  const chart = new Chart(app, 'istio-control-plane');
  const controlPlane = new IstioControlPlane(chart, 'istio', {
    replicas: 2,
    accessLogFile: '/dev/stdout',
    accessLogEncoding: AccessLogEncoding.JSON,
    outboundTrafficPolicy: OutboundTrafficPolicyMode.REGISTRY_ONLY,
    terminationDrainDuration: Duration.seconds(10),
    // the Gateway API flavour installs the Gateway API CRDs (standard channel) with Istio's
    ...(MeshRouting.of(app) === RoutingApi.GATEWAY_API ? { gatewayApiCrds: true } : {}),
    ...(ambient ? { dataPlane } : {}),
    // restricted with sidecars; privileged on ambient, where istio-cni and ztunnel run here
    podSecurityLabels: true,
  });
  // declared before the shop's services, which take their data plane from it; labelled with the
  // strictest Pod Security Standard its pods pass (restricted on ambient, privileged with sidecars)
  const namespace = new MeshNamespace(chart, 'shop-namespace', ambient
    ? { name: shopNamespace, dataPlaneMode: dataPlane, podSecurityLabels: true }
    : { name: shopNamespace, controlPlane, podSecurityLabels: true });
  return { controlPlane, namespace };
}
