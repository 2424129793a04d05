/**
 * Equivalence program (ports, any-host routes, blue-green): a service with two HTTP ports
 * (one HTTPRoute per port with the Gateway API) under a blue-green release with a preview
 * header, reached in the mesh and through an ingress gateway whose server accepts every
 * host (routes for any host, one with a path match, one catch-all).
 */
import { App, Chart, Duration } from 'cdk8s';
import { BlueGreenRelease, GatewayServer, HeaderMatch, HttpMatch, IngressGateway, IstioControlPlane, MeshNamespace, MeshService, Protocol } from '../../src';

export function build(app: App): void {
  const platform = new Chart(app, 'platform');
  const istio = new IstioControlPlane(platform, 'istio', { gatewayApiCrds: true });
  new MeshNamespace(platform, 'apps', { controlPlane: istio });

  const apps = new Chart(app, 'apps', { namespace: 'apps' });
  const api = new MeshService(apps, 'api', {
    ports: [{ port: 80, targetPort: 8080, protocol: Protocol.HTTP }, { port: 9090, targetPort: 9090, protocol: Protocol.GRPC }],
    versions: [{ name: 'blue', image: 'ghcr.io/acme/api:1' }, { name: 'green', image: 'ghcr.io/acme/api:2' }],
  });
  const web = new MeshService(apps, 'web', { versions: [{ name: 'v1', image: 'ghcr.io/acme/web:1' }] });
  web.dependsOn(api);
  api.addRoute({ name: 'slow', match: [HttpMatch.pathPrefix('/reports')], timeout: Duration.seconds(30) });
  new BlueGreenRelease(apps, 'api-switch', { service: api, active: 'blue', preview: 'green', previewHeader: HeaderMatch.exact('x-preview', 'green') });

  const edge = new Chart(app, 'edge', { namespace: 'edge' });
  new MeshNamespace(platform, 'edge', { controlPlane: istio });
  const gw = new IngressGateway(edge, 'edge-gateway', { servers: [GatewayServer.http({ hosts: ['*'] })] });
  gw.addRoute({ host: IngressGateway.ANY_HOST, match: [HttpMatch.pathPrefix('/api')], service: api, port: 80, timeout: Duration.seconds(5) });
  gw.addRoute({ host: IngressGateway.ANY_HOST, service: web });
}
