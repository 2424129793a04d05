/**
 * The shop on a laptop (kind or minikube): the README's "Try it on a local
 * cluster" section applies what this writes. Public images only:
 * `hashicorp/http-echo` answers every request with its `-text`, so the 90/10
 * canary split is visible in `curl` output.
 *
 * - `platform`: Istio CRDs, istiod, the injected `shop` namespace
 * - `edge`: the ingress gateway (istio-system) serving `shop.local` on port 80
 * - `shop`: user-service (v1) and order-service (v1 90%, v2 10%), STRICT mTLS;
 *   user-service admits order-service, and the gateway for GET only, so a
 *   POST through the gateway's `/users` route answers 403 (RBAC: access denied).
 *
 * Synthesize with `cdk8s synth` here (writes dist/).
 */
import { App, Chart } from 'cdk8s';
import {
  CanaryRelease, GatewayServer, HttpMatch, HttpMethod, IngressGateway, IstioControlPlane, MeshApp, MeshNamespace, MeshService,
  MeshServiceVersion, Protocol, StrictMtls,
} from '../../src';

export const SHOP_HOST = 'shop.local';
/** hashicorp/http-echo: a static, non-root HTTP server that prints `-text` (Docker Hub). */
export const ECHO_IMAGE = 'hashicorp/http-echo:0.2.3';
const ECHO_PORT = 5678;

function echo(name: string, text: string, replicas = 1): MeshServiceVersion {
  return { name, image: ECHO_IMAGE, args: [`-text=${text}`, `-listen=:${ECHO_PORT}`], replicas };
}

/** Builds the example into `app` (used by `cdk8s synth` and by the tests). */
export function buildLocalCluster(app: App) {
  const platform = new Chart(app, 'platform');
  const istio = new IstioControlPlane(platform, 'istio');
  new MeshNamespace(platform, 'shop', { controlPlane: istio });

  const shop = new Chart(app, 'shop', { namespace: 'shop' });
  const ports = [{ port: 80, targetPort: ECHO_PORT, protocol: Protocol.HTTP }];
  const users = new MeshService(shop, 'user-service', { ports, versions: [echo('v1', 'user-service v1')] });
  const orders = new MeshService(shop, 'order-service', {
    ports,
    versions: [echo('v1', 'order-service v1', 2), echo('v2', 'order-service v2')],
  });
  orders.dependsOn(users);
  new CanaryRelease(shop, 'order-service-canary', { service: orders, stable: 'v1', canary: 'v2', canaryPercentage: 10 });
  new StrictMtls(shop, 'mtls', { namespace: 'shop' });
  users.allowFrom(orders);

  const edge = new Chart(app, 'edge', { namespace: 'istio-system' });
  const gateway = new IngressGateway(edge, 'ingress', { servers: [GatewayServer.http({ hosts: [SHOP_HOST] })] });
  // /users reaches user-service, which admits the gateway for GET only: a POST is denied with 403 by design
  gateway.addRoute({ host: SHOP_HOST, match: [HttpMatch.pathPrefix('/users')], service: users });
  gateway.addRoute({ host: SHOP_HOST, service: orders });
  users.allowFrom(gateway, { methods: [HttpMethod.GET] });
  orders.allowFrom(gateway);
  return { platform, shop, edge, gateway };
}

if (require.main === module) {
  const app = new MeshApp();
  buildLocalCluster(app);
  app.synth();
}
