/**
 * The flask shop: two Flask microservices in one namespace.
 * `order-service` calls `user-service`; both listen on port 5000.
 *
 * Synthesize with `npm run example` (from the repository root) or `cdk8s synth` here.
 * Flavours: `SHOP_ROUTING=gateway-api` (Kubernetes Gateway API routing) and/or
 * `SHOP_DATAPLANE=ambient` (ambient data plane, ambient.ts); see `shopFlavour`.
 */
import { App, Chart, ChartProps, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { addControlPlane } from './control-plane';
import { buildGateways } from './gateways';
import { addGitOps } from './gitops';
import { addObservability } from './observability';
import { secureShop } from './security';
import { addShopTraffic } from './traffic';
import { DataPlaneMode, MeshApp, MeshService, Protocol, RolloutRevision, RoutingApi } from '../../src';

export const SHOP_NAMESPACE = 'shop';
const REGISTRY = 'ghcr.io/acme-shop';

/** The shop's workloads and their mesh configuration. */
export class ShopChart extends Chart {
  public readonly users: MeshService;
  public readonly orders: MeshService;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: SHOP_NAMESPACE, ...props });

    const flaskPort = [{ port: 80, targetPort: 5000, protocol: Protocol.HTTP }];
    const health = kplus.Probe.fromHttpGet('/healthz', { port: 5000, periodSeconds: Duration.seconds(10) });
    // the Flask apps export their own metrics (prometheus-flask-exporter) on the app port;
    // Istio merges them into the sidecar's 15020/stats/prometheus scrape
    const metrics = { port: 5000, path: '/metrics' };

    this.users = new MeshService(this, 'user-service', {
      ports: flaskPort,
      versions: [{ name: 'v1', image: `${REGISTRY}/user-service:1.4.2`, replicas: 2 }],
      env: { FLASK_RUN_PORT: '5000', GUNICORN_WORKERS: '2' },
      readiness: health,
      liveness: health,
      metrics,
    });

    this.orders = new MeshService(this, 'order-service', {
      ports: flaskPort,
      versions: [{ name: 'v1', image: `${REGISTRY}/order-service:2.0.0`, replicas: 2 }],
      env: {
        FLASK_RUN_PORT: '5000',
        GUNICORN_WORKERS: '2',
        // in-mesh call: plain HTTP to the Service; the sidecar upgrades it to mTLS
        USER_SERVICE_URL: `http://${'user-service'}.${SHOP_NAMESPACE}.svc.cluster.local`,
      },
      readiness: health,
      liveness: health,
      metrics,
    });
    this.orders.dependsOn(this.users);
  }
}

/**
 * Builds the whole example into `app` (used by `cdk8s synth` and by the tests).
 * `gatewayApiIntent`: the traffic of the Gateway API flavour (default: when the app routes with
 * `RoutingApi.GATEWAY_API`; see traffic.ts). `dataPlane`: sidecars (default) or ambient (see ambient.ts).
 */
export function buildShop(app: App, rolloutRevision?: RolloutRevision, gatewayApiIntent?: boolean, dataPlane?: DataPlaneMode): { shop: ShopChart } {
  addControlPlane(app, SHOP_NAMESPACE, dataPlane);
  const shop = new ShopChart(app, 'flask-shop');
  addShopTraffic(shop, shop, rolloutRevision, gatewayApiIntent);
  secureShop(shop, SHOP_NAMESPACE, shop.users, shop.orders);
  buildGateways(app, shop);
  addObservability(app, [shop.users, shop.orders]);
  addGitOps(app); // last: derives sync waves from everything declared above
  return { shop };
}

/**
 * The flavour of the shop chosen by the environment (README "Choosing a data plane and a routing API"):
 * `SHOP_ROUTING=gateway-api` routes with the Kubernetes Gateway API (see traffic.ts), `SHOP_DATAPLANE=ambient`
 * runs the shop on the ambient data plane (see ambient.ts); unset, sidecars and the Istio APIs.
 */
export function shopFlavour(env: Record<string, string | undefined>): { routingApi: RoutingApi; ambient: boolean } {
  const routing = env.SHOP_ROUTING ?? 'istio';
  const dataPlane = env.SHOP_DATAPLANE ?? 'sidecar';
  if (routing !== 'istio' && routing !== 'gateway-api') {
    throw new Error(`SHOP_ROUTING must be 'istio' or 'gateway-api', got '${routing}'`);
  }
  if (dataPlane !== 'sidecar' && dataPlane !== 'ambient') {
    throw new Error(`SHOP_DATAPLANE must be 'sidecar' or 'ambient', got '${dataPlane}'`);
  }
  return { routingApi: routing === 'gateway-api' ? RoutingApi.GATEWAY_API : RoutingApi.ISTIO, ambient: dataPlane === 'ambient' };
}

if (require.main === module) {
  // MeshApp: all-or-nothing synthesis, analysis warnings, and dist/mesh.md (topology diagram)
  const flavour = shopFlavour(process.env);
  const app = new MeshApp(flavour.routingApi === RoutingApi.GATEWAY_API ? { routingApi: RoutingApi.GATEWAY_API } : {});
  buildShop(app, undefined, undefined, flavour.ambient ? DataPlaneMode.AMBIENT : DataPlaneMode.SIDECAR);
  app.synth();
}
