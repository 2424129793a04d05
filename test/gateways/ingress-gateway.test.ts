import { ApiObject, Duration, JsonPatch, Size, Testing } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import {
  BlueGreenRelease, CanaryRelease, GatewayServer, GatewayServiceType, GatewayTls, HttpMatch, HttpMethod,
  IngressGateway, IngressGatewayProps, IstioControlPlane, MeshNamespace, MeshService, PathMatch, Protocol, TlsProtocolVersion,
} from '../../src';
import { findObject, findObjects, synthAndValidate } from '../util';

function err(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

const HOST = 'shop.example.com';

function setup(props: IngressGatewayProps = {}) {
  const chart = Testing.chart();
  const orders = new MeshService(chart, 'orders', { namespace: 'shop', versions: [{ name: 'v1', image: 'ghcr.io/acme/orders:1.0.0' }] });
  const users = new MeshService(chart, 'users', { namespace: 'shop', versions: [{ name: 'v1', image: 'ghcr.io/acme/users:1.0.0' }] });
  const gw = new IngressGateway(chart, 'shop-gateway', {
    namespace: 'istio-ingress',
    servers: [
      GatewayServer.http({ hosts: [HOST], httpsRedirect: true }),
      GatewayServer.https({ hosts: [HOST], tls: GatewayTls.simple('shop-cert') }),
    ],
    ...props,
  });
  return { chart, gw, orders, users };
}

describe('IngressGateway', () => {
  describe('workload', () => {
    test('emits SA, Role/RoleBinding for secrets, Deployment, Service, Gateway', () => {
      // GIVEN
      const { chart } = setup();
      // WHEN
      const out = synthAndValidate(chart).filter((o) => o.metadata.namespace === 'istio-ingress');
      // THEN
      expect(out.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
        'Deployment/shop-gateway',
        'Gateway/shop-gateway',
        'Role/shop-gateway-sds',
        'RoleBinding/shop-gateway-sds',
        'Service/shop-gateway',
        'ServiceAccount/shop-gateway-service-account',
      ]);
      expect(out).toMatchSnapshot();
    });

    test('the Deployment is an injected gateway: istiod fills in an unprivileged router proxy', () => {
      const { chart } = setup();
      const d = findObject(synthAndValidate(chart), 'Deployment', 'shop-gateway');
      const pod = d.spec.template;
      expect(pod.metadata.labels).toMatchObject({ 'app': 'shop-gateway', 'istio': 'shop-gateway', 'sidecar.istio.io/inject': 'true' });
      expect(pod.metadata.labels['istio.io/rev']).toBeUndefined(); // the default revision's object webhook requires its absence
      expect(pod.metadata.annotations['inject.istio.io/templates']).toBe('gateway');
      expect(pod.metadata.annotations['sidecar.istio.io/proxyImage']).toBeUndefined();
      expect(d.spec.selector.matchLabels).toEqual({ app: 'shop-gateway', istio: 'shop-gateway' });
      const c = pod.spec.containers[0];
      expect(c.name).toBe('istio-proxy');
      expect(c.image).toBe('auto');
      expect(c.ports.map((p: any) => p.containerPort)).toEqual([15021, 8080, 8443, 15090]);
      expect(c.env).toBeUndefined();
      expect(c.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1337, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1337 });
      expect(pod.spec.serviceAccountName).toBe('shop-gateway-service-account');
      expect(d.spec.replicas).toBe(1);
    });

    test('the Role lets the gateway read TLS secrets in its namespace only', () => {
      const { chart } = setup();
      const out = synthAndValidate(chart);
      expect(findObject(out, 'Role', 'shop-gateway-sds').rules).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'watch', 'list'] }]);
      expect(findObject(out, 'RoleBinding', 'shop-gateway-sds').subjects)
        .toEqual([{ kind: 'ServiceAccount', name: 'shop-gateway-service-account', namespace: 'istio-ingress' }]);
    });

    test('Service: LoadBalancer 80->8080, 443->8443, status 15021; type selectable', () => {
      const { chart } = setup();
      const svc = findObject(synthAndValidate(chart), 'Service', 'shop-gateway');
      expect(svc.spec.type).toBe('LoadBalancer');
      expect(svc.spec.selector).toEqual({ app: 'shop-gateway', istio: 'shop-gateway' });
      expect(svc.spec.ports).toEqual([
        { name: 'status-port', port: 15021, targetPort: 15021, protocol: 'TCP' },
        { name: 'http2', port: 80, targetPort: 8080, protocol: 'TCP' },
        { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
      ]);
      const np = setup({ serviceType: GatewayServiceType.NODE_PORT, serviceAnnotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' } });
      const svc2 = findObject(synthAndValidate(np.chart), 'Service', 'shop-gateway');
      expect(svc2.spec.type).toBe('NodePort');
      expect(svc2.metadata.annotations).toEqual({ 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' });
    });

    test('autoscaling adds an HPA, omits replicas, and a PDB when min >= 2', () => {
      const { chart } = setup({ autoscaling: { minReplicas: 2, maxReplicas: 6 } });
      const out = synthAndValidate(chart);
      const hpa = findObject(out, 'HorizontalPodAutoscaler', 'shop-gateway');
      expect(hpa.spec).toEqual({
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'shop-gateway' },
        minReplicas: 2,
        maxReplicas: 6,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
      });
      expect(findObject(out, 'Deployment', 'shop-gateway').spec.replicas).toBeUndefined();
      expect(findObject(out, 'PodDisruptionBudget', 'shop-gateway').spec).toEqual({
        minAvailable: 1, selector: { matchLabels: { app: 'shop-gateway', istio: 'shop-gateway' } },
      });
      expect(out).toMatchSnapshot();
    });

    test('one replica gets no PDB; resources, image and istioLabel are configurable', () => {
      const { chart } = setup({
        image: 'registry.example/istio/proxyv2:1.30.3',
        istioLabel: 'public',
        resources: { cpu: { request: Cpu.millis(50) }, memory: { limit: Size.mebibytes(512) } },
      });
      const out = synthAndValidate(chart);
      expect(findObjects(out, 'PodDisruptionBudget')).toHaveLength(0);
      const d = findObject(out, 'Deployment', 'shop-gateway');
      expect(d.spec.template.spec.containers[0].image).toBe('auto');
      expect(d.spec.template.metadata.annotations['sidecar.istio.io/proxyImage']).toBe('registry.example/istio/proxyv2:1.30.3');
      expect(d.spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '50m' }, limits: { memory: '512Mi' } });
      expect(findObject(out, 'Gateway', 'shop-gateway').spec.selector).toEqual({ app: 'shop-gateway', istio: 'public' });
    });

    test('a revisioned control plane: the pod carries its istio.io/rev label, so that istiod injects it', () => {
      const { chart } = setup();
      new IstioControlPlane(chart, 'cp', { namespace: 'istio-cp', revision: 'canary', crds: false });
      const d = findObject(synthAndValidate(chart), 'Deployment', 'shop-gateway');
      expect(d.spec.template.metadata.labels['istio.io/rev']).toBe('canary');
      expect(d.spec.template.spec.containers[0].image).toBe('auto');
    });

    test('controlPlane moves the gateway to another revision (canary upgrade)', () => {
      // GIVEN two control planes side by side
      const chart = Testing.chart();
      const stable = new IstioControlPlane(chart, 'istio', { crds: false });
      const canary = new IstioControlPlane(chart, 'istio-canary', { crds: false, revision: '1-31' });
      // WHEN one gateway stays and one moves
      new IngressGateway(chart, 'old', { namespace: 'istio-ingress', servers: [GatewayServer.http({ hosts: ['a.example.com'] })], controlPlane: stable });
      new IngressGateway(chart, 'new', { namespace: 'istio-ingress', servers: [GatewayServer.http({ hosts: ['b.example.com'] })], controlPlane: canary });
      // THEN each pod is selected by its own istiod's webhook
      const out = synthAndValidate(chart);
      const labels = (name: string) => findObject(out, 'Deployment', name).spec.template.metadata.labels;
      expect(labels('old')['istio.io/rev']).toBeUndefined();
      expect(labels('old')['sidecar.istio.io/inject']).toBe('true');
      expect(labels('new')['istio.io/rev']).toBe('1-31');
    });

    test('GW004: the gateway namespace must let the gateway\'s istiod inject it', () => {
      const chart = Testing.chart();
      const cp = new IstioControlPlane(chart, 'istio', { crds: false, revision: '1-31' });
      new MeshNamespace(chart, 'off', { name: 'edge', injection: false });
      new IngressGateway(chart, 'gw', { namespace: 'edge', servers: [GatewayServer.http({ hosts: ['a.example.com'] })], controlPlane: cp });
      expect(err(() => synthAndValidate(chart))).toContain(
        "[test/gw] GW004: 'namespace' must allow sidecar injection: the gateway's proxy is injected by istiod, but MeshNamespace test/off disables injection (istio-injection: disabled), got \"edge\"");
      const other = Testing.chart();
      const cp2 = new IstioControlPlane(other, 'istio', { crds: false, revision: '1-31' });
      new MeshNamespace(other, 'ns', { name: 'edge' });
      new IngressGateway(other, 'gw', { namespace: 'edge', servers: [GatewayServer.http({ hosts: ['a.example.com'] })], controlPlane: cp2 });
      expect(err(() => synthAndValidate(other))).toContain(
        "[test/gw] GW004: 'namespace' must be bound to the gateway's control plane (revision 1-31); MeshNamespace test/ns is bound to revision default, whose istiod would inject the gateway, got \"edge\"");
      const ok = Testing.chart();
      const cp3 = new IstioControlPlane(ok, 'istio', { crds: false, revision: '1-31' });
      new MeshNamespace(ok, 'ns', { name: 'edge', controlPlane: cp3 });
      new IngressGateway(ok, 'gw', { namespace: 'edge', servers: [GatewayServer.http({ hosts: ['a.example.com'] })], controlPlane: cp3 });
      expect(() => synthAndValidate(ok)).not.toThrow();
    });

    test('implements IMeshIdentity with its ServiceAccount', () => {
      const { gw } = setup();
      expect([gw.identityNamespace, gw.identityServiceAccount]).toEqual(['istio-ingress', 'shop-gateway-service-account']);
    });

    test('escape hatch: addJsonPatch on the Deployment reaches the output', () => {
      const { chart, gw } = setup();
      ApiObject.of(gw.deployment).addJsonPatch(JsonPatch.add('/spec/minReadySeconds', 5));
      expect(findObject(synthAndValidate(chart), 'Deployment', 'shop-gateway').spec.minReadySeconds).toBe(5);
    });
  });

  describe('servers', () => {
    test('HTTP redirect, SIMPLE, MUTUAL and PASSTHROUGH servers', () => {
      const { chart, gw } = setup({ servers: [] });
      gw.addServer(GatewayServer.http({ hosts: [HOST], httpsRedirect: true }));
      gw.addServer(GatewayServer.https({ hosts: [HOST], tls: GatewayTls.simple('shop-cert', { minProtocolVersion: TlsProtocolVersion.TLSV1_3 }) }));
      gw.addServer(GatewayServer.https({ hosts: ['partners.example.com'], tls: GatewayTls.mutual('partners-cert', { caCertCredentialName: 'partners-ca', subjectAltNames: ['partner-a'] }) }));
      gw.addServer(GatewayServer.https({ hosts: ['legacy.example.com'], tls: GatewayTls.passthrough() }));
      gw.addServer(GatewayServer.https({ hosts: ['admin.example.com'], port: 9443, tls: GatewayTls.simple('admin-cert') }));
      const out = synthAndValidate(chart);
      expect(findObject(out, 'Gateway', 'shop-gateway').spec.servers).toEqual([
        { port: { number: 80, name: 'http-80', protocol: 'HTTP' }, hosts: [HOST], tls: { httpsRedirect: true } },
        { port: { number: 443, name: 'https-443', protocol: 'HTTPS' }, hosts: [HOST], tls: { mode: 'SIMPLE', credentialName: 'shop-cert', minProtocolVersion: 'TLSV1_3' } },
        {
          port: { number: 443, name: 'https-443-2', protocol: 'HTTPS' },
          hosts: ['partners.example.com'],
          tls: { mode: 'MUTUAL', credentialName: 'partners-cert', caCertCredentialName: 'partners-ca', subjectAltNames: ['partner-a'] },
        },
        { port: { number: 443, name: 'tls-443', protocol: 'TLS' }, hosts: ['legacy.example.com'], tls: { mode: 'PASSTHROUGH' } },
        { port: { number: 9443, name: 'https-9443', protocol: 'HTTPS' }, hosts: ['admin.example.com'], tls: { mode: 'SIMPLE', credentialName: 'admin-cert' } },
      ]);
      // a non-standard port is exposed on the Service and the container
      expect(findObject(out, 'Service', 'shop-gateway').spec.ports).toContainEqual({ name: 'tls-9443', port: 9443, targetPort: 9443, protocol: 'TCP' });
      expect(findObject(out, 'Deployment', 'shop-gateway').spec.template.spec.containers[0].ports).toContainEqual({ name: 'tls-9443', containerPort: 9443, protocol: 'TCP' });
      expect(gw.servers.map((s) => s.port)).toEqual([80, 443, 443, 443, 9443]);
      expect(out).toMatchSnapshot();
    });
  });

  describe('routes', () => {
    test('a gateway route honours the service\'s canary split and blue-green switch', () => {
      // GIVEN services with releases
      const { chart, gw, orders, users } = setup();
      orders.addVersion({ name: 'v2', image: 'ghcr.io/acme/orders:2.0.0' });
      users.addVersion({ name: 'v2', image: 'ghcr.io/acme/users:2.0.0' });
      new CanaryRelease(chart, 'orders-canary', { service: orders, stable: 'v1', canary: 'v2', canaryPercentage: 20 });
      new BlueGreenRelease(chart, 'users-switch', { service: users, active: 'v2', preview: 'v1' });
      // WHEN routed through the gateway
      gw.addRoute({ host: HOST, service: orders, match: [HttpMatch.pathPrefix('/api/orders')] });
      gw.addRoute({ host: HOST, service: users });
      // THEN the gateway splits like the in-mesh default route
      const http = findObject(synthAndValidate(chart), 'VirtualService', 'shop-gateway-shop-example-com').spec.http;
      expect(http[0].route).toEqual([
        { destination: { host: 'orders.shop.svc.cluster.local', subset: 'v1' }, weight: 80 },
        { destination: { host: 'orders.shop.svc.cluster.local', subset: 'v2' }, weight: 20 },
      ]);
      expect(http[1].route).toEqual([{ destination: { host: 'users.shop.svc.cluster.local', subset: 'v2' } }]);
    });

    test('routes of one host share a VirtualService bound to the gateway; matched routes before the catch-all', () => {
      const { chart, gw, orders, users } = setup();
      gw.addRoute({ host: HOST, service: users });
      const vs = gw.addRoute({
        host: HOST,
        service: orders,
        match: [HttpMatch.pathPrefix('/api/orders'), HttpMatch.of({ method: HttpMethod.POST, path: PathMatch.exact('/checkout') })],
        rewritePrefix: '/',
        timeout: Duration.seconds(15),
      });
      const out = synthAndValidate(chart);
      const obj = findObject(out, 'VirtualService', 'shop-gateway-shop-example-com');
      expect(ApiObject.of(vs).name).toBe('shop-gateway-shop-example-com');
      expect(obj.metadata.namespace).toBe('istio-ingress');
      expect(obj.spec).toEqual({
        hosts: [HOST],
        gateways: ['istio-ingress/shop-gateway'],
        http: [
          {
            match: [{ uri: { prefix: '/api/orders' } }, { uri: { exact: '/checkout' }, method: { exact: 'POST' } }],
            rewrite: { uri: '/' },
            timeout: '15s',
            route: [{ destination: { host: 'orders.shop.svc.cluster.local', subset: 'v1' } }],
          },
          { route: [{ destination: { host: 'users.shop.svc.cluster.local', subset: 'v1' } }] },
        ],
      });
      expect(out).toMatchSnapshot();
    });

    test('the route follows the service\'s stable version (rendered at synth)', () => {
      const { chart, gw } = setup();
      const svc = new MeshService(chart, 'reviews', {
        namespace: 'shop',
        versions: [{ name: 'v1', image: 'ghcr.io/acme/reviews:1' }, { name: 'v2', image: 'ghcr.io/acme/reviews:2' }],
        stableVersion: 'v2',
      });
      gw.addRoute({ host: HOST, service: svc });
      const vs = findObject(synthAndValidate(chart), 'VirtualService', 'shop-gateway-shop-example-com');
      expect(vs.spec.http[0].route).toEqual([{ destination: { host: 'reviews.shop.svc.cluster.local', subset: 'v2' } }]);
    });

    test('multi-port services get the destination port', () => {
      const { chart, gw } = setup();
      const svc = new MeshService(chart, 'api', {
        namespace: 'shop',
        versions: [{ name: 'v1', image: 'ghcr.io/acme/api:1' }],
        ports: [{ port: 80, targetPort: 8080 }, { port: 9090, protocol: Protocol.GRPC }, { port: 5432, protocol: Protocol.TCP }],
      });
      gw.addRoute({ host: HOST, service: svc, port: 9090 });
      const vs = findObject(synthAndValidate(chart), 'VirtualService', 'shop-gateway-shop-example-com');
      expect(vs.spec.http[0].route).toEqual([{ destination: { host: 'api.shop.svc.cluster.local', subset: 'v1', port: { number: 9090 } } }]);
    });

    test('wildcard servers serve routes to their subdomains', () => {
      const { chart, gw, users } = setup({ servers: [GatewayServer.https({ hosts: ['*.example.com'], tls: GatewayTls.simple('wildcard-cert') })] });
      gw.addRoute({ host: 'users.example.com', service: users });
      expect(findObject(synthAndValidate(chart), 'VirtualService', 'shop-gateway-users-example-com').spec.hosts).toEqual(['users.example.com']);
    });
  });

  describe('validation', () => {

    test('GW005: a gateway without servers fails at synth', () => {
      const { chart } = setup({ servers: [] });
      expect(() => synthAndValidate(chart)).toThrow(
        "[test/shop-gateway] GW005: 'servers' must list at least one server (Istio rejects a Gateway without servers), got []. Fix: pass servers:");
    });

    test('TLS server without credentials', () => {
      expect(err(() => setup({ servers: [GatewayServer.https({ hosts: [HOST], tls: undefined as any })] }))).toBe(
        "[GatewayServer.https] 'tls' is required by HttpsServerOptions, got undefined. Fix: pass a GatewayTls object");
      expect(err(() => setup({ servers: [GatewayServer.https({ hosts: [HOST], tls: GatewayTls.simple('') })] }))).toContain(
        "[test/shop-gateway] 'servers[0].tls.credentialName' must name a Kubernetes Secret (a DNS-1123 subdomain) in the gateway's namespace, got \"\". Fix:");
      expect(err(() => setup({ servers: [GatewayServer.https({ hosts: [HOST], tls: GatewayTls.mutual('c', { caCertCredentialName: 'Bad_CA' }) })] }))).toContain(
        "'servers[0].tls.caCertCredentialName' must name a Kubernetes Secret (a DNS-1123 subdomain) in the gateway's namespace, got \"Bad_CA\"");
      expect(err(() => setup({ servers: [GatewayServer.https({ hosts: [HOST], tls: GatewayTls.mutual('c', { subjectAltNames: [''] }) })] }))).toContain(
        "'servers[0].tls.subjectAltNames' must be non-empty names without whitespace, got [\"\"]");
    });

    test('server hosts', () => {
      expect(err(() => setup({ servers: [GatewayServer.http({ hosts: [] })] }))).toContain("'servers[0].hosts' must list at least one host, got []");
      expect(err(() => setup({ servers: [GatewayServer.http({ hosts: ['https://Shop.example.com/'] })] }))).toBe(
        "[test/shop-gateway] 'servers[0].hosts[0]' must be a lower-case DNS name, a wildcard subdomain ('*.example.com') or '*', " +
        'got "https://Shop.example.com/". Fix: use "shop.example.com"');
      expect(err(() => setup({ servers: [GatewayServer.http({ hosts: [HOST, HOST] })] }))).toContain("'servers[0].hosts' must not repeat a host, got \"shop.example.com\"");
    });

    test('port collisions', () => {
      expect(err(() => setup({ servers: [GatewayServer.http({ hosts: [HOST], port: 443 }), GatewayServer.https({ hosts: ['a.example.com'], tls: GatewayTls.simple('a') })] }))).toBe(
        "[test/shop-gateway] 'servers[1].port' must not be shared by servers of different protocols: servers[0] serves HTTP on it and this server HTTPS, got 443. " +
        'Fix: put each protocol on its own port (e.g. HTTP on 80, HTTPS on 443)');
      expect(err(() => setup({ servers: [GatewayServer.http({ hosts: [HOST], port: 15021 })] }))).toContain(
        "'servers[0].port' must not collide with a port the gateway pod already uses (Envoy/agent 15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090; 8080 and 8443 receive ports 80 and 443), got 15021");
      expect(err(() => setup({ servers: [GatewayServer.http({ hosts: [HOST], port: 8080 })] }))).toContain("'servers[0].port' must not collide");
      expect(err(() => setup({ servers: [GatewayServer.http({ hosts: [HOST], port: 81 })] }))).toContain(
        "'servers[0].port' must be 80, 443 or at least 1024 (the gateway runs unprivileged; only 80 and 443 are forwarded to 8080/8443), got 81");
      expect(err(() => setup({ servers: [GatewayServer.http({ hosts: [HOST], port: 70000 })] }))).toContain(
        "'servers[0].port' must be a whole number between 1 and 65535, got 70000");
    });

    test('workload props', () => {
      expect(err(() => setup({ replicas: 0 }))).toContain("'replicas' must be a whole number >= 1, got 0");
      expect(err(() => setup({ podDisruptionBudget: true }))).toBe(
        "[test/shop-gateway] 'podDisruptionBudget' needs at least 2 replicas (with 1, minAvailable: 1 would block every node drain), got true. " +
        'Fix: set replicas (or autoscaling.minReplicas) to 2 or more, or drop podDisruptionBudget');
      expect(err(() => setup({ autoscaling: { minReplicas: 0 } }))).toContain("'autoscaling.minReplicas' must be a whole number >= 1, got 0");
      expect(err(() => setup({ autoscaling: { minReplicas: 3, maxReplicas: 2 } }))).toContain("'autoscaling.maxReplicas' must be a whole number >= minReplicas (3), got 2");
      expect(err(() => setup({ autoscaling: { targetCpuUtilization: 150 } }))).toContain("'autoscaling.targetCpuUtilization' must be a whole percentage between 1 and 100, got 150");
      expect(err(() => setup({ image: 'a b' }))).toContain("'image' must be a full container image reference (registry/name:tag) without whitespace, got \"a b\"");
      expect(err(() => setup({ istioLabel: '-bad-' }))).toContain("'istioLabel' must be a non-empty Kubernetes label value");
      expect(err(() => setup({ serviceType: 'External' as any }))).toContain("'serviceType' must be a GatewayServiceType (one of GatewayServiceType.CLUSTER_IP, GatewayServiceType.LOAD_BALANCER, GatewayServiceType.NODE_PORT), got \"External\"");
      expect(err(() => setup({ gatewayName: 'Shop_Gateway' }))).toContain("'gatewayName' must be a DNS-1123 label");
    });

    test('two gateways cannot share the istio label', () => {
      const { chart } = setup();
      expect(err(() => new IngressGateway(chart, 'other', { istioLabel: 'shop-gateway', servers: [GatewayServer.http({ hosts: ['x.example.com'] })] }))).toBe(
        "[test/other] 'istioLabel' must be unique among gateways (a Gateway resource selects pods by this label in every namespace; test/shop-gateway uses it), " +
        'got "shop-gateway". Fix: give the gateway another istioLabel or gatewayName');
    });

    test('route inputs', () => {
      const { gw, users, chart } = setup();
      expect(err(() => gw.addRoute({ host: '*.example.com', service: users }))).toBe(
        "[test/shop-gateway] 'routes[0].host' must be a lower-case DNS name (the host clients request) or '*' (every host the gateway's servers accept), " +
        "got \"*.example.com\". Fix: route each concrete host, or use '*' for every host the servers accept");
      expect(err(() => gw.addRoute({ host: 'Shop.Example.com', service: users }))).toContain("'routes[0].host' must be a lower-case DNS name (the host clients request) or '*'" +
        " (every host the gateway's servers accept), got \"Shop.Example.com\". Fix: use \"shop.example.com\"");
      expect(err(() => gw.addRoute({ host: HOST, service: 'users' as any }))).toContain("'addRoute.options.service' must be a MeshService construct, got \"users\". Fix: pass the MeshService construct object itself");
      expect(err(() => gw.addRoute({ host: HOST, service: users, port: 8080 }))).toContain("'routes[0].port' must be one of the HTTP ports of users (80), got 8080");
      const multi = new MeshService(chart, 'multi', {
        namespace: 'shop', versions: [{ name: 'v1', image: 'x:1' }], ports: [{ port: 80, targetPort: 8080 }, { port: 81, targetPort: 8081 }],
      });
      expect(err(() => gw.addRoute({ host: HOST, service: multi }))).toContain("'routes[0].port' is required because multi has 2 HTTP ports (80, 81), got undefined");
      expect(err(() => gw.addRoute({ host: HOST, service: users, rewritePrefix: 'v1' }))).toContain("'routes[0].rewritePrefix' must be an absolute path starting with '/', got \"v1\"");
      expect(err(() => gw.addRoute({ host: HOST, service: users, timeout: Duration.millis(0) }))).toContain("'routes[0].timeout' must be at least 1 ms");
      expect(err(() => gw.addRoute({ host: HOST, service: users, match: [HttpMatch.pathPrefix('api')] }))).toContain("'routes[0].match[0].path' must be an absolute path");
      gw.addRoute({ host: HOST, service: users });
      expect(err(() => gw.addRoute({ host: HOST, service: users }))).toBe(
        "[test/shop-gateway] 'routes[1].match' must narrow the route: routes[0] already takes every request for shop.example.com, so this route would never match, got []. " +
        "Fix: give the route a match (e.g. match: [HttpMatch.pathPrefix('/api')]) or remove one of the routes");
      expect(err(() => gw.addServer('x' as any))).toContain("'addServer.server' must be a GatewayServer object, got \"x\"");
    });

    test('GW002: a route to a host the gateway does not serve', () => {
      const { chart, gw, users } = setup();
      gw.addRoute({ host: 'admin.example.com', service: users });
      expect(() => synthAndValidate(chart)).toThrow(
        "[test/shop-gateway] GW002: 'routes[0].host' must be a host that one of the gateway's HTTP/HTTPS servers serves (served: \"shop.example.com\"), " +
        'got "admin.example.com". Fix: add a server for the host');
    });

    test('GW002: a passthrough-only host cannot take HTTP routes', () => {
      const { chart, gw, users } = setup({ servers: [GatewayServer.https({ hosts: [HOST], tls: GatewayTls.passthrough() })] });
      gw.addRoute({ host: HOST, service: users });
      expect(() => synthAndValidate(chart)).toThrow("GW002: 'routes[0].host' must be a host that one of the gateway's HTTP/HTTPS servers serves (served: none)");
    });

    test('GW001: host collisions between servers and between gateways', () => {
      const { chart } = setup({ servers: [GatewayServer.https({ hosts: [HOST], tls: GatewayTls.simple('a') }), GatewayServer.https({ hosts: [HOST], tls: GatewayTls.simple('b') })] });
      expect(() => synthAndValidate(chart)).toThrow(
        "[test/shop-gateway] GW001: 'servers[1].hosts' must not repeat a host already served on port 443 (servers[0] of this gateway serves it; " +
        'Envoy would pick one of them at random), got "shop.example.com". Fix: serve each host on each port from exactly one server of one gateway');
      const two = setup();
      new IngressGateway(two.chart, 'second', { servers: [GatewayServer.https({ hosts: [HOST], tls: GatewayTls.simple('c') })] });
      expect(() => synthAndValidate(two.chart)).toThrow(
        "[test/second] GW001: 'servers[0].hosts' must not repeat a host already served on port 443 (servers[1] of test/shop-gateway serves it;");
    });
  });
});
