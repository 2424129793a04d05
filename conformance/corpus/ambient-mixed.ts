/**
 * Conformance corpus: sidecar and ambient side by side. An ambient namespace with
 * an L4-only service (no waypoint; ztunnel enforces its selector policy) and a service with
 * L7 intent (routes with a timeout and retries, a version split, GET-only authorization:
 * attached to the namespace waypoint, policies targeting the Service); a sidecar namespace
 * whose service calls the ambient services (routes only on the one it calls, so no
 * waypoint-only guard stands in its way), and an ambient caller of the guarded one.
 */
import { App, Chart, Duration } from 'cdk8s';
import { DataPlaneMode, HttpMethod, IstioControlPlane, MeshNamespace, MeshService, StrictMtls } from '../../src';

export function build(app: App): void {
  const platform = new Chart(app, 'platform');
  new IstioControlPlane(platform, 'istio', { crds: false, dataPlane: DataPlaneMode.AMBIENT });
  new MeshNamespace(platform, 'store', { dataPlaneMode: DataPlaneMode.AMBIENT });
  new MeshNamespace(platform, 'legacy');
  new StrictMtls(platform, 'mtls', {});

  const store = new Chart(app, 'store', { namespace: 'store' });
  const catalog = new MeshService(store, 'catalog', {
    versions: [{ name: 'v1', image: 'ghcr.io/acme/catalog:1.0.0', replicas: 2 }, { name: 'v2', image: 'ghcr.io/acme/catalog:2.0.0' }],
  });
  catalog.addRoute({ name: 'v2-beta', match: [], destinations: [{ version: 'v1', weight: 80 }, { version: 'v2', weight: 20 }], timeout: Duration.seconds(2), retries: { attempts: 2 } });
  const basket = new MeshService(store, 'basket', { versions: [{ name: 'v1', image: 'ghcr.io/acme/basket:1.0.0' }] });
  const checkout = new MeshService(store, 'checkout', { versions: [{ name: 'v1', image: 'ghcr.io/acme/checkout:1.0.0' }] });
  basket.allowFrom(checkout, { methods: [HttpMethod.GET, HttpMethod.POST] }); // L7: basket gets the waypoint
  const stock = new MeshService(store, 'stock', { versions: [{ name: 'v1', image: 'ghcr.io/acme/stock:1.0.0' }] });
  stock.allowFrom(catalog); // L4 only: no waypoint

  const legacy = new Chart(app, 'legacy', { namespace: 'legacy' });
  const web = new MeshService(legacy, 'web', { versions: [{ name: 'v1', image: 'ghcr.io/acme/web:1.0.0' }] });
  web.dependsOn(catalog);
}
