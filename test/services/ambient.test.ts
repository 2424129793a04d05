import { Chart, Duration, Testing } from 'cdk8s';
import * as YAML from 'yaml';
import {
  DataPlaneMode, ExternalService, HttpMethod, IstioControlPlane, JwtAuthentication, MeshNamespace, MeshRouting, MeshService,
  PrometheusAddon, Protocol, RoutingApi,
} from '../../src';
import { err, findObject, findObjects, synthAndValidate, validateGatewayApiObject } from '../util';

function shop(props: { waypoints?: boolean; controlPlane?: boolean; ambientControlPlane?: boolean } = {}) {
  const app = Testing.app();
  const chart = new Chart(app, 'test', { namespace: 'shop' });
  if (props.controlPlane ?? true) {
    new IstioControlPlane(chart, 'istio', { crds: false, dataPlane: (props.ambientControlPlane ?? true) ? DataPlaneMode.AMBIENT : undefined });
  }
  const ns = new MeshNamespace(chart, 'shop', { dataPlaneMode: DataPlaneMode.AMBIENT, waypoints: props.waypoints });
  const web = new MeshService(chart, 'web', { versions: [{ name: 'v1', image: 'ghcr.io/acme/web:1.0.0' }] });
  const cart = new MeshService(chart, 'cart', { versions: [{ name: 'v1', image: 'ghcr.io/acme/cart:1.0.0' }] });
  return { chart, ns, web, cart };
}

const v1 = [{ name: 'v1', image: 'ghcr.io/acme/app:1.0.0' }];

describe('ambient namespaces', () => {
  test('GIVEN an ambient MeshNamespace THEN it is labelled for ztunnel, not for injection', () => {
    const { chart, ns } = shop();
    const out = synthAndValidate(chart);
    expect(findObject(out, 'Namespace', 'shop').metadata.labels).toEqual({ 'istio.io/dataplane-mode': 'ambient' });
    expect(ns.dataPlaneMode).toBe(DataPlaneMode.AMBIENT);
  });

  test('a sidecar namespace is unchanged', () => {
    const chart = Testing.chart();
    new MeshNamespace(chart, 'legacy');
    expect(findObject(synthAndValidate(chart), 'Namespace', 'legacy').metadata.labels).toEqual({ 'istio-injection': 'enabled' });
  });

  test('bad input: injection, waypoints, revision, managed labels', () => {
    const chart = Testing.chart();
    expect(err(() => new MeshNamespace(chart, 'a', { dataPlaneMode: DataPlaneMode.AMBIENT, injection: true }))).toBe(
      '[test/a] \'injection\' has no effect in an ambient namespace (its pods get no sidecar; a service opts back in with dataPlaneMode: SIDECAR), got true. Fix: remove injection');
    expect(err(() => new MeshNamespace(chart, 'b', { waypoints: false }))).toBe(
      '[test/b] \'waypoints\' only applies to ambient namespaces, got false. Fix: set dataPlaneMode: DataPlaneMode.AMBIENT or remove waypoints');
    const canary = new IstioControlPlane(chart, 'canary', { revision: '1-31', crds: false });
    expect(err(() => new MeshNamespace(chart, 'c', { dataPlaneMode: DataPlaneMode.AMBIENT, controlPlane: canary }))).toContain(
      '[test/c] \'controlPlane\' must be the default revision in an ambient namespace');
    expect(err(() => new MeshNamespace(chart, 'd', { labels: { 'istio.io/dataplane-mode': 'ambient' } }))).toBe(
      '[test/d] \'labels.istio.io/dataplane-mode\' is managed by MeshNamespace, got "ambient". Fix: use the dataPlaneMode and waypoints props instead');
  });
});

describe('ambient services', () => {
  test('GIVEN a service in an ambient namespace THEN its pods are not injected and no Sidecar is emitted', () => {
    const { chart, web } = shop();
    const out = synthAndValidate(chart);
    expect(web.dataPlaneMode).toBe(DataPlaneMode.AMBIENT);
    const labels = findObject(out, 'Deployment', 'web-v1').spec.template.metadata.labels;
    expect(labels['sidecar.istio.io/inject']).toBe('false');
    expect(labels['istio.io/dataplane-mode']).toBe('ambient');
    expect(labels['istio.io/rev']).toBeUndefined();
    expect(findObjects(out, 'Sidecar')).toEqual([]);
    expect(web.sidecar).toBeUndefined();
  });

  test('a service can opt out of its ambient namespace (sidecar) and keeps its Sidecar resource', () => {
    const { chart } = shop();
    new MeshService(chart, 'legacy', { versions: v1, dataPlaneMode: DataPlaneMode.SIDECAR });
    const out = synthAndValidate(chart);
    expect(findObject(out, 'Deployment', 'legacy-v1').spec.template.metadata.labels['sidecar.istio.io/inject']).toBe('true');
    expect(findObjects(out, 'Sidecar').map((s) => s.metadata.name)).toEqual(['legacy']);
  });

  test('bad input: egressScoping on an ambient service', () => {
    const { chart } = shop();
    expect(err(() => new MeshService(chart, 'x', { versions: v1, egressScoping: true }))).toBe(
      '[test/x] \'egressScoping\' has no effect on an ambient service (an Istio Sidecar resource configures sidecars only), got true. '
      + 'Fix: remove egressScoping, or set dataPlaneMode: DataPlaneMode.SIDECAR');
  });
});

describe('waypoints: only where the declared intent needs L7', () => {
  test('GIVEN L4-only intent (identities, ports) THEN no waypoint, and ztunnel enforces the policy by selector', () => {
    const { chart, web, cart } = shop();
    cart.allowFrom(web, { ports: [80] });
    const out = synthAndValidate(chart);
    expect(findObjects(out, 'Gateway')).toEqual([]);
    expect(findObject(out, 'Service', 'cart').metadata.labels['istio.io/use-waypoint']).toBeUndefined();
    const ap = findObject(out, 'AuthorizationPolicy', 'cart-allow');
    expect(ap.spec.selector).toEqual({ matchLabels: { app: 'cart' } });
    expect(ap.spec.targetRefs).toBeUndefined();
    expect(ap.spec.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }], to: [{ operation: { ports: ['8080'] } }] }]);
    expect(findObjects(out, 'AuthorizationPolicy').map((p) => p.metadata.name)).toEqual(['cart-allow']);
  });

  test.each([
    ['an HTTP route with a timeout', (s: MeshService) => { s.addRoute({ name: 'all', timeout: Duration.seconds(3) }); }],
    ['L7 authorization (methods)', (s: MeshService, caller: MeshService) => { s.allowFrom(caller, { methods: [HttpMethod.GET] }); }],
    ['a second version (routing to the stable one)', (s: MeshService) => { s.addVersion({ name: 'v2', image: 'ghcr.io/acme/cart:2.0.0' }); }],
  ])('GIVEN %s THEN the namespace gets one waypoint and the service is attached to it', (_what, declare) => {
    const { chart, web, cart } = shop();
    declare(cart, web);
    const out = synthAndValidate(chart);
    const gw = findObjects(out, 'Gateway');
    expect(gw).toEqual([{
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'waypoint', namespace: 'shop', labels: { 'istio.io/waypoint-for': 'service' } },
      spec: {
        gatewayClassName: 'istio-waypoint',
        listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }],
        infrastructure: { labels: { 'istio.io/waypoint-for': 'service' }, annotations: {} },
      },
    }]);
    expect(findObject(out, 'Service', 'cart').metadata.labels).toMatchObject({ 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' });
    expect(findObject(out, 'Service', 'web').metadata.labels['istio.io/use-waypoint']).toBeUndefined();
  });

  test('GIVEN L7 authorization THEN the policy targets the Service (enforced by the waypoint) and the pods accept the waypoint only', () => {
    const { chart, web, cart } = shop();
    cart.allowFrom(web, { methods: [HttpMethod.GET], paths: ['/cart/*'] });
    const out = synthAndValidate(chart);
    const ap = findObject(out, 'AuthorizationPolicy', 'cart-allow');
    expect(ap.spec.targetRefs).toEqual([{ group: '', kind: 'Service', name: 'cart' }]);
    expect(ap.spec.selector).toBeUndefined();
    expect(ap.spec.rules[0].to).toEqual([{ operation: { methods: ['GET'], paths: ['/cart/*'] } }]);
    const guard = findObject(out, 'AuthorizationPolicy', 'cart-waypoint-only');
    expect(guard.spec).toEqual({
      selector: { matchLabels: { app: 'cart' } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/waypoint'] } }] }],
    });
  });

  test('two services needing L7 share the namespace waypoint; a revisioned ambient control plane labels it', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'shop' });
    new IstioControlPlane(chart, 'istio', { crds: false, revision: '1-30', dataPlane: DataPlaneMode.AMBIENT });
    new MeshNamespace(chart, 'shop', { dataPlaneMode: DataPlaneMode.AMBIENT });
    for (const name of ['a', 'b']) new MeshService(chart, name, { versions: v1 }).addRoute({ name: 'all', timeout: Duration.seconds(2) });
    const out = synthAndValidate(chart);
    const gws = findObjects(out, 'Gateway');
    expect(gws).toHaveLength(1);
    expect(gws[0].metadata.labels).toEqual({ 'istio.io/waypoint-for': 'service', 'istio.io/rev': '1-30' });
    expect(findObjects(out, 'Service').filter((s) => s.metadata.labels['istio.io/use-waypoint'] === 'waypoint').map((s) => s.metadata.name)).toEqual(['a', 'b']);
  });

  test('the waypoint states what istiod copies onto its Deployment, Service and ServiceAccount: its own labels, no annotation', () => {
    // GIVEN a waypoint, and the tracking label and annotations Argo CD adds when it applies the Gateway
    const { chart, cart } = shop();
    cart.addRoute({ name: 'all', timeout: Duration.seconds(2) });
    const gw = findObject(synthAndValidate(chart), 'Gateway', 'waypoint');
    expect(gw.spec.infrastructure).toEqual({ labels: { 'istio.io/waypoint-for': 'service' }, annotations: {} });
    const applied = {
      labels: { ...gw.metadata.labels, 'app.kubernetes.io/instance': 'flask-shop' },
      annotations: { 'argocd.argoproj.io/tracking-id': 'flask-shop:gateway.networking.k8s.io/Gateway:shop/waypoint', 'argocd.argoproj.io/sync-wave': '0' },
    };
    // WHEN istiod renders the waypoint's objects (its rule: spec.infrastructure's labels and annotations
    // when set, each on its own, else the Gateway's own metadata)
    const copied = (kind: 'labels' | 'annotations') => gw.spec.infrastructure?.[kind] ?? applied[kind];
    // THEN nothing of Argo CD's reaches them, so a sync with prune does not take them for its own
    expect(copied('labels')).toEqual({ 'istio.io/waypoint-for': 'service' });
    expect(copied('annotations')).toEqual({});
  });

  test('synthesis is deterministic and idempotent (validations run once per chart)', () => {
    const { chart, cart } = shop();
    cart.addRoute({ name: 'all', timeout: Duration.seconds(3) });
    const a = YAML.stringify(synthAndValidate(chart));
    const b = YAML.stringify(synthAndValidate(chart));
    expect(a).toBe(b);
    expect(a).toMatchSnapshot();
  });
});

describe('ambient + Gateway API routing (GAMMA HTTPRoutes applied by the waypoint)', () => {
  function gwShop(props: { waypoints?: boolean } = {}) {
    const app = Testing.app();
    MeshRouting.use(app, RoutingApi.GATEWAY_API);
    const chart = new Chart(app, 'test', { namespace: 'shop' });
    new IstioControlPlane(chart, 'istio', { crds: false, dataPlane: DataPlaneMode.AMBIENT });
    new MeshNamespace(chart, 'shop', { dataPlaneMode: DataPlaneMode.AMBIENT, waypoints: props.waypoints });
    const web = new MeshService(chart, 'web', { versions: [{ name: 'v1', image: 'ghcr.io/acme/web:1.0.0' }] });
    const cart = new MeshService(chart, 'cart', { versions: [{ name: 'v1', image: 'ghcr.io/acme/cart:1.0.0' }] });
    return { chart, web, cart };
  }
  const ref = (name: string) => ({ group: '', kind: 'Service', name });
  const attached = { 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' };

  test('GIVEN a route rendered as an HTTPRoute THEN it counts as L7 intent: the waypoint, the Service and its version Services attached', () => {
    const { chart, cart } = gwShop();
    cart.addRoute({ name: 'all', timeout: Duration.seconds(3) });
    cart.addVersion({ name: 'v2', image: 'ghcr.io/acme/cart:2.0.0' });
    const out = synthAndValidate(chart);
    expect(findObjects(out, 'VirtualService')).toEqual([]);
    expect(findObject(out, 'HTTPRoute', 'cart').spec.parentRefs).toEqual([{ ...ref('cart'), port: 80 }]);
    expect(findObjects(out, 'Gateway').map((g) => g.spec.gatewayClassName)).toEqual(['istio-waypoint']);
    for (const name of ['cart', 'cart-v1', 'cart-v2']) expect(findObject(out, 'Service', name).metadata.labels).toMatchObject(attached);
    // the version Services' DestinationRules exist for the waypoint's clusters of those hosts
    expect(findObject(out, 'DestinationRule', 'cart-v2').spec.host).toBe('cart-v2.shop.svc.cluster.local');
    // web declares nothing L7: neither it nor its version Service is attached
    for (const name of ['web', 'web-v1']) expect(findObject(out, 'Service', name).metadata.labels['istio.io/use-waypoint']).toBeUndefined();
  });

  test('GIVEN L7 authorization and a JWT THEN the policies target the Service and every version Service (calls to cart-v1 cannot skip them)', () => {
    const { chart, web, cart } = gwShop();
    cart.allowFrom(web, { methods: [HttpMethod.GET] });
    new JwtAuthentication(chart, 'jwt', { service: cart, issuer: 'https://issuer.example.com', jwksUri: 'https://issuer.example.com/jwks.json' });
    const out = synthAndValidate(chart);
    const ap = findObject(out, 'AuthorizationPolicy', 'cart-allow');
    expect(ap.spec.targetRefs).toEqual([ref('cart'), ref('cart-v1')]);
    expect(ap.spec.selector).toBeUndefined();
    expect(findObjects(out, 'RequestAuthentication').map((r) => r.spec.targetRefs)).toEqual([[ref('cart'), ref('cart-v1')]]);
    expect(findObject(out, 'Service', 'cart-v1').metadata.labels).toMatchObject(attached);
  });

  test('GIVEN L4-only intent THEN no waypoint: the HTTPRoute (one version, default rule) changes nothing ztunnel must do, policies keep their selector', () => {
    const { chart, web, cart } = gwShop();
    cart.allowFrom(web, { ports: [80] });
    const out = synthAndValidate(chart);
    expect(findObjects(out, 'Gateway')).toEqual([]);
    expect(findObject(out, 'HTTPRoute', 'cart').spec.rules.map((r: any) => r.backendRefs.map((b: any) => b.name))).toEqual([['cart-v1']]);
    for (const name of ['cart', 'cart-v1']) expect(findObject(out, 'Service', name).metadata.labels['istio.io/use-waypoint']).toBeUndefined();
    expect(findObject(out, 'AuthorizationPolicy', 'cart-allow').spec.selector).toEqual({ matchLabels: { app: 'cart' } });
  });

  test('AMB001 for a Gateway API route in a namespace without waypoints', () => {
    const { chart, cart } = gwShop({ waypoints: false });
    cart.addRoute({ name: 'slow', timeout: Duration.seconds(30) });
    expect(() => synthAndValidate(chart)).toThrow('AMB001: \'addRoute\' declares L7 intent (HTTP route "slow") on ambient service cart');
  });
});

describe('token requirements and metrics scrapes of ambient services', () => {
  test('GIVEN requireJwt on a service with a waypoint THEN the DENY rule names the Service port the waypoint serves', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'shop' });
    new IstioControlPlane(chart, 'istio', { crds: false, dataPlane: DataPlaneMode.AMBIENT });
    new MeshNamespace(chart, 'shop', { dataPlaneMode: DataPlaneMode.AMBIENT });
    const orders = new MeshService(chart, 'orders', { ports: [{ port: 80, targetPort: 5000, protocol: Protocol.HTTP }], versions: v1 });
    const jwt = new JwtAuthentication(chart, 'jwt', { service: orders, issuer: 'https://auth.example', jwksUri: 'https://auth.example/jwks.json' });
    orders.requireJwt(jwt, { paths: ['/api/*'] });
    const ap = findObject(synthAndValidate(chart), 'AuthorizationPolicy', 'orders-require-jwt');
    expect(ap.spec.targetRefs).toEqual([{ group: '', kind: 'Service', name: 'orders' }]);
    expect(ap.spec.rules[0].to).toEqual([{ operation: { paths: ['/api/*'], ports: ['80'] } }]);
  });

  function scraped(props: { guard: boolean; prometheus: boolean }) {
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'shop' });
    new IstioControlPlane(chart, 'istio', { crds: false, dataPlane: DataPlaneMode.AMBIENT });
    new MeshNamespace(chart, 'shop', { dataPlaneMode: DataPlaneMode.AMBIENT });
    const web = new MeshService(chart, 'web', { versions: v1 });
    const cart = new MeshService(chart, 'cart', { versions: v1, metrics: { port: 9102 } });
    if (props.guard) cart.allowFrom(web, { methods: [HttpMethod.GET] });
    const obs = new Chart(app, 'obs', { namespace: 'monitoring' });
    if (props.prometheus) new PrometheusAddon(obs, 'prometheus', { namespace: 'monitoring' });
    return { out: synthAndValidate(chart), obs: props.prometheus ? synthAndValidate(obs) : [] };
  }

  test('GIVEN a Prometheus and an ambient service with metrics under an ALLOW policy THEN its identity is admitted on the metrics port only', () => {
    const { out, obs } = scraped({ guard: true, prometheus: true });
    expect(findObject(out, 'AuthorizationPolicy', 'cart-metrics-scrape').spec).toEqual({
      selector: { matchLabels: { app: 'cart' } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/monitoring/sa/prometheus'] } }], to: [{ operation: { ports: ['9102'] } }] }],
    });
    // Prometheus joins the ambient mesh for its scrapes (its identity over mTLS), its own clients stay outside
    const pod = findObject(obs, 'Deployment', 'prometheus').spec.template.metadata;
    expect(pod.labels).toMatchObject({ 'istio.io/dataplane-mode': 'ambient', 'sidecar.istio.io/inject': 'false' });
    expect(pod.annotations).toMatchObject({ 'ambient.istio.io/bypass-inbound-capture': 'true' });
  });

  test('no scrape policy without an ALLOW policy on the pods (nothing to admit), or without a Prometheus of the app', () => {
    expect(findObjects(scraped({ guard: false, prometheus: true }).out, 'AuthorizationPolicy')).toEqual([]);
    expect(findObjects(scraped({ guard: true, prometheus: false }).out, 'AuthorizationPolicy').map((p) => p.metadata.name)).toEqual(['cart-allow', 'cart-waypoint-only']);
  });

  test('a sidecar mesh leaves Prometheus outside the mesh (it scrapes the sidecars\' merged endpoint)', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'obs', { namespace: 'monitoring' });
    new PrometheusAddon(chart, 'prometheus', { namespace: 'monitoring' });
    const pod = findObject(synthAndValidate(chart), 'Deployment', 'prometheus').spec.template.metadata;
    expect(pod.labels['istio.io/dataplane-mode']).toBeUndefined();
    expect(pod.annotations['ambient.istio.io/bypass-inbound-capture']).toBeUndefined();
  });
});

describe('external services of ambient callers', () => {
  test('GIVEN TLS origination to an external host THEN its ServiceEntry uses the namespace waypoint, even for an L4-only caller', () => {
    const { chart, web } = shop();
    const payments = new ExternalService(chart, 'payments', { hosts: ['api.payments.example'], tlsOrigination: {} });
    web.dependsOn(payments);
    const out = synthAndValidate(chart);
    expect(findObject(out, 'ServiceEntry', 'payments').metadata.labels).toEqual({ 'istio.io/use-waypoint': 'waypoint' });
    expect(findObjects(out, 'Gateway').map((g) => g.metadata.name)).toEqual(['waypoint']);
    // web itself has no L7 intent: not attached
    expect(findObject(out, 'Service', 'web').metadata.labels['istio.io/use-waypoint']).toBeUndefined();
  });

  test('a sidecar caller leaves the ServiceEntry alone', () => {
    const chart = Testing.chart();
    const web = new MeshService(chart, 'web', { versions: v1 });
    const payments = new ExternalService(chart, 'payments', { hosts: ['api.payments.example'], tlsOrigination: {} });
    web.dependsOn(payments);
    const out = synthAndValidate(chart);
    expect(findObject(out, 'ServiceEntry', 'payments').metadata.labels).toBeUndefined();
    expect(findObjects(out, 'Gateway')).toEqual([]);
  });

  test('AMB001 when the namespace declares no waypoints', () => {
    const { chart, web } = shop({ waypoints: false });
    const payments = new ExternalService(chart, 'payments', { hosts: ['api.payments.example'], tlsOrigination: {} });
    web.dependsOn(payments);
    expect(() => synthAndValidate(chart)).toThrow(
      '[test/payments] AMB001: \'tlsOrigination\' needs a waypoint for ambient caller web (ztunnel would send its calls straight out, skipping the TLS origination), '
      + 'and namespace shop declares no waypoint (waypoints: false), got true. '
      + 'Fix: set waypoints: true on the MeshNamespace shop, declare the ExternalService in a namespace with waypoints, or run web with sidecars');
  });
});

describe('analysis', () => {
  test('AMB001: L7 intent on an ambient service in a namespace without waypoints', () => {
    const { chart, web, cart } = shop({ waypoints: false });
    cart.allowFrom(web, { methods: [HttpMethod.POST] });
    expect(() => synthAndValidate(chart)).toThrow(
      '[test/cart/Authorization] AMB001: \'allowFrom.options.methods\' declares L7 intent (L7 authorization) on ambient service cart, which ztunnel cannot enforce '
      + '(it sees L4 only: identities, namespaces, ports), and namespace shop declares no waypoint (test/shop has waypoints: false), got ["POST"]. '
      + 'Fix: set waypoints: true on the MeshNamespace so cdk8s-mesh declares one, run the service with sidecars (dataPlaneMode: DataPlaneMode.SIDECAR), or drop the L7 condition');
  });

  test('AMB001 also for routes', () => {
    const { chart, cart } = shop({ waypoints: false });
    cart.addRoute({ name: 'slow', timeout: Duration.seconds(30) });
    expect(() => synthAndValidate(chart)).toThrow('AMB001: \'addRoute\' declares L7 intent (HTTP route "slow") on ambient service cart');
  });

  test('L4-only intent is fine without waypoints', () => {
    const { chart, web, cart } = shop({ waypoints: false });
    cart.allowFrom(web);
    expect(() => synthAndValidate(chart)).not.toThrow();
  });

  test('AMB002: ambient namespace, but the control plane installs sidecars only', () => {
    const { chart } = shop({ ambientControlPlane: false });
    expect(() => synthAndValidate(chart)).toThrow(
      '[test/shop] AMB002: \'dataPlaneMode\' is AMBIENT, but no control plane of the app installs the ambient data plane (test/istio), '
      + 'so no ztunnel would carry the traffic of these pods and they would run without mTLS or policy, got "AMBIENT". '
      + 'Fix: set dataPlane: DataPlaneMode.AMBIENT on the IstioControlPlane, or leave dataPlaneMode at SIDECAR');
  });

  test('AMB004: a sidecar caller of an ambient service whose pods accept its waypoint only', () => {
    const { chart, cart } = shop();
    const legacy = new MeshService(chart, 'legacy', { versions: v1, dataPlaneMode: DataPlaneMode.SIDECAR });
    cart.allowFrom(legacy, { methods: [HttpMethod.GET] });
    expect(() => synthAndValidate(chart)).toThrow(
      '[test/legacy] AMB004: \'allowFrom\' names ambient service cart, whose authorization its waypoint enforces, so its pods accept connections from the waypoint only; '
      + 'legacy runs a sidecar, and Istio 1.30 sidecars call ambient pods directly (not through their waypoint): every call would be rejected, got "cart". '
      + 'Fix: run legacy in ambient mode too (dataPlaneMode: DataPlaneMode.AMBIENT), or cart with sidecars');
  });

  test('a sidecar caller of an ambient service with routes only (no guard) is fine', () => {
    const { chart, cart } = shop();
    const legacy = new MeshService(chart, 'legacy', { versions: v1, dataPlaneMode: DataPlaneMode.SIDECAR });
    legacy.dependsOn(cart);
    cart.addRoute({ name: 'all', timeout: Duration.seconds(2) });
    const out = synthAndValidate(chart);
    expect(findObjects(out, 'AuthorizationPolicy')).toEqual([]);
  });

  test('AMB003: the ambient namespace declared after its service', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'late' });
    new MeshService(chart, 'early', { versions: v1 });
    new MeshNamespace(chart, 'late', { dataPlaneMode: DataPlaneMode.AMBIENT });
    expect(() => synthAndValidate(chart)).toThrow(
      '[test/early] AMB003: \'dataPlaneMode\' was taken as SIDECAR because test/late (AMBIENT) is declared after this service, got "SIDECAR". '
      + 'Fix: declare the MeshNamespace late before its services, or set dataPlaneMode on the service');
  });
});

describe('the Gateway API validator used here can fail', () => {
  test('an unknown field, a wrong type and a missing namespace are rejected', () => {
    const gw = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'w', namespace: 'n' }, spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] } };
    expect(validateGatewayApiObject(gw)).toEqual([]);
    expect(validateGatewayApiObject({ ...gw, spec: { ...gw.spec, listener: [] } }).join()).toContain('listener');
    expect(validateGatewayApiObject({ ...gw, spec: { ...gw.spec, listeners: [{ name: 'mesh', port: 'x', protocol: 'HBONE' }] } }).join()).toContain('integer');
    expect(validateGatewayApiObject({ ...gw, metadata: { name: 'w' } })).toEqual(['metadata.namespace is required (every Gateway API kind but GatewayClass is namespaced)']);
  });
});
