import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import * as YAML from 'yaml';
import { AuthorizationAction, AuthzSource, DefaultDeny, HttpMethod, IstioControlPlane, MeshService, Protocol } from '../../src';
import { MeshModel } from '../../src/model';
import { findObject, findObjects, runValidations, synthAndValidate } from '../util';

const nsChart = (namespace: string) => new Chart(Testing.app(), 'test', { namespace });
const image = (n: string) => ({ name: 'v1', image: `ghcr.io/acme/${n}:1.0.0` });

function shop() {
  const chart = nsChart('shop');
  const users = new MeshService(chart, 'user-service', { versions: [image('users')], ports: [{ port: 80, targetPort: 5000 }] });
  const orders = new MeshService(chart, 'order-service', { versions: [image('orders')], ports: [{ port: 80, targetPort: 5000 }], serviceAccountName: 'orders-sa' });
  return { chart, users, orders };
}

describe('authorization from the service graph', () => {
  describe('allowFrom(service)', () => {
    test('emits an ALLOW policy on the callee admitting the caller\'s ServiceAccount principal', () => {
      // GIVEN
      const { chart, users, orders } = shop();
      // WHEN
      const rule = users.allowFrom(orders);
      // THEN
      const out = synthAndValidate(chart);
      const ap = findObject(out, 'AuthorizationPolicy', 'user-service-allow');
      expect(ap.metadata.namespace).toBe('shop');
      expect(ap.spec).toEqual({
        selector: { matchLabels: { app: 'user-service' } },
        action: 'ALLOW',
        rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/orders-sa'] } }] }],
      });
      expect(rule.action).toBe(AuthorizationAction.ALLOW);
      expect(rule.principals).toEqual(['cluster.local/ns/shop/sa/orders-sa']);
      expect(out).toMatchSnapshot();
    });

    test('restricts to methods, paths and ports (Service port rendered as the container port)', () => {
      const { chart, users, orders } = shop();
      const rule = users.allowFrom(orders, { methods: [HttpMethod.GET], paths: ['/users', '/users/*'], ports: [80] });
      const ap = findObject(synthAndValidate(chart), 'AuthorizationPolicy', 'user-service-allow');
      expect(ap.spec.rules[0].to).toEqual([{ operation: { methods: ['GET'], paths: ['/users', '/users/*'], ports: ['5000'] } }]);
      expect(rule.methods).toEqual(['GET']);
      expect(rule.paths).toEqual(['/users', '/users/*']);
      expect(rule.ports).toEqual([5000]);
    });

    test('several callers become several rules of one policy; the edge is recorded in the model', () => {
      const { chart, users, orders } = shop();
      const admin = new MeshService(chart, 'admin', { versions: [image('admin')] });
      users.allowFrom(orders);
      users.allowFrom(admin, { methods: [HttpMethod.DELETE] });
      const out = synthAndValidate(chart);
      expect(findObjects(out, 'AuthorizationPolicy')).toHaveLength(1);
      const rules = findObject(out, 'AuthorizationPolicy', 'user-service-allow').spec.rules;
      expect(rules.map((r: any) => r.from[0].source.principals[0])).toEqual(['cluster.local/ns/shop/sa/orders-sa', 'cluster.local/ns/shop/sa/admin']);
      const edges = MeshModel.of(chart).edges.map((e) => `${e.from.name}->${e.to.name}:${e.reason}`);
      expect(edges).toEqual(['order-service->user-service:allowFrom', 'admin->user-service:allowFrom']);
    });

    test('principals follow the control plane\'s trustDomain, declared before or after the rules', () => {
      const { chart, users, orders } = shop();
      users.allowFrom(orders);
      new IstioControlPlane(chart, 'istio', { trustDomain: 'acme.example' });
      const out = synthAndValidate(chart);
      const ap = findObject(out, 'AuthorizationPolicy', 'user-service-allow');
      expect(ap.spec.rules[0].from[0].source.principals).toEqual(['acme.example/ns/shop/sa/orders-sa']);
      // the mesh config and the injector values (read by every injected proxy and gateway) say the same
      const mesh = YAML.parse(findObject(out, 'ConfigMap', 'istio').data.mesh);
      expect(mesh.trustDomain).toBe('acme.example');
      expect(JSON.parse(findObject(out, 'ConfigMap', 'istio-sidecar-injector').data.values).global.trustDomain).toBe('acme.example');
    });

    test('two control planes with different trust domains are an error', () => {
      const { chart } = shop();
      new IstioControlPlane(chart, 'istio', { trustDomain: 'acme.example', revision: 'a' });
      expect(() => new IstioControlPlane(chart, 'istio-b', { trustDomain: 'other.example', revision: 'b' })).toThrow(
        "[test/istio-b] 'trustDomain' must equal the trust domain of test/istio (acme.example): the workload identities of one mesh share one trust domain, "
        + "got \"other.example\". Fix: use 'acme.example' on every control plane of the app");
    });

    test('without any rule no AuthorizationPolicy is emitted (Istio then allows all)', () => {
      const { chart } = shop();
      expect(findObjects(synthAndValidate(chart), 'AuthorizationPolicy')).toEqual([]);
    });
  });

  describe('sources outside the library', () => {
    test('allowFromNamespace, ServiceAccount and principal sources', () => {
      const { chart, users } = shop();
      users.allowFromNamespace('monitoring', { ports: [80] });
      users.allowFromSource(AuthzSource.serviceAccount('istio-ingress', 'istio-ingressgateway'));
      users.allowFromSource(AuthzSource.principal('partner.example/ns/billing/sa/api'));
      const ap = findObject(synthAndValidate(chart), 'AuthorizationPolicy', 'user-service-allow');
      expect(ap.spec.rules).toEqual([
        { from: [{ source: { namespaces: ['monitoring'] } }], to: [{ operation: { ports: ['5000'] } }] },
        { from: [{ source: { principals: ['cluster.local/ns/istio-ingress/sa/istio-ingressgateway'] } }] },
        { from: [{ source: { principals: ['partner.example/ns/billing/sa/api'] } }] },
      ]);
      // external sources add no graph edge
      expect(MeshModel.of(chart).edges).toEqual([]);
    });
  });

  describe('deny', () => {
    test('denyFrom emits a DENY policy, evaluated before ALLOW', () => {
      const { chart, users, orders } = shop();
      users.allowFrom(orders);
      const rule = users.denyFrom(AuthzSource.namespace('sandbox'), { paths: ['/admin/*'] });
      const out = synthAndValidate(chart);
      const deny = findObject(out, 'AuthorizationPolicy', 'user-service-deny');
      expect(rule.action).toBe(AuthorizationAction.DENY);
      expect(deny.spec).toEqual({
        selector: { matchLabels: { app: 'user-service' } },
        action: 'DENY',
        rules: [{ from: [{ source: { namespaces: ['sandbox'] } }], to: [{ operation: { paths: ['/admin/*'], ports: ['5000'] } }] }],
      });
      expect(rule.namespaces).toEqual(['sandbox']);
    });

    test('a DENY rule of HTTP-only conditions applies to the HTTP ports only (Istio would deny all TCP traffic)', () => {
      // GIVEN a service with an HTTP and a TCP port
      const chart = nsChart('shop');
      const db = new MeshService(chart, 'db-proxy', {
        versions: [image('db')],
        ports: [{ port: 80, targetPort: 8080 }, { port: 5432, protocol: Protocol.TCP }],
      });
      // WHEN one DENY rule names paths, another only a source, a third explicit ports
      db.denyFrom(AuthzSource.namespace('sandbox'), { paths: ['/admin/*'] });
      db.denyFrom(AuthzSource.namespace('legacy'));
      db.denyFrom(AuthzSource.namespace('batch'), { methods: [HttpMethod.DELETE], ports: [80] });
      // THEN the HTTP rule is pinned to 8080; the source-only rule keeps every port; explicit ports stay
      const rules = findObject(synthAndValidate(chart), 'AuthorizationPolicy', 'db-proxy-deny').spec.rules;
      expect(rules).toEqual([
        { from: [{ source: { namespaces: ['sandbox'] } }], to: [{ operation: { paths: ['/admin/*'], ports: ['8080'] } }] },
        { from: [{ source: { namespaces: ['legacy'] } }] },
        { from: [{ source: { namespaces: ['batch'] } }], to: [{ operation: { methods: ['DELETE'], ports: ['8080'] } }] },
      ]);
    });

    test('a DENY rule may use the wildcard', () => {
      const { chart, users } = shop();
      users.denyFrom(AuthzSource.principal('*'), { methods: [HttpMethod.DELETE] });
      expect(findObject(synthAndValidate(chart), 'AuthorizationPolicy', 'user-service-deny').spec.rules[0].from[0].source).toEqual({ principals: ['*'] });
    });

    test('DefaultDeny: namespace-wide allow-nothing policy with an empty spec', () => {
      const { chart, users, orders } = shop();
      users.allowFrom(orders);
      const deny = new DefaultDeny(chart, 'deny-all');
      const out = synthAndValidate(chart);
      const ap = findObject(out, 'AuthorizationPolicy', 'allow-nothing');
      expect(deny.namespace).toBe('shop');
      expect(ap.metadata.namespace).toBe('shop');
      expect(ap.spec).toEqual({});
      expect(out).toMatchSnapshot();
    });

    test('DefaultDeny needs a namespace', () => {
      const chart = Testing.chart();
      expect(() => new DefaultDeny(chart, 'deny-all')).toThrow(
        '[test/deny-all] \'namespace\' must be set when the chart has no namespace (the policy is namespace-wide), got undefined. Fix: set namespace, e.g. \'shop\'');
    });
  });

  describe('validation', () => {
    test('SEC003: a caller with no ServiceAccount in the graph (service of another app)', () => {
      const { chart, users } = shop();
      const other = nsChart('elsewhere');
      const stranger = new MeshService(other, 'stranger', { versions: [image('stranger')] });
      // allowFrom() rejects a construct of another app at once; AuthzSource.identity() (no scope) reaches SEC003
      expect(() => users.allowFrom(stranger)).toThrow('[test/user-service] \'allowFrom.caller\' must be a construct of this app, but test/stranger belongs to another App');
      users.allowFromSource(AuthzSource.identity(stranger));
      expect(() => runValidations(chart)).toThrow(
        '[test/user-service/Authorization] SEC003: \'allowFromSource\' must reference an identity with a ServiceAccount in the mesh graph, but no service or gateway runs as elsewhere/stranger (test/stranger), got "elsewhere/stranger". Fix: pass a MeshService or gateway of this app, or AuthzSource.serviceAccount(namespace, name) for a workload managed elsewhere');
    });

    test('an identity registered by a non-service construct (e.g. a gateway) satisfies SEC003', () => {
      const { chart, users } = shop();
      const gateway = Object.assign(new Construct(chart, 'gw'), { identityNamespace: 'istio-ingress', identityServiceAccount: 'gw' });
      MeshModel.of(chart).addIdentity({ path: 'test/gw', namespace: 'istio-ingress', serviceAccount: 'gw' });
      users.allowFrom(gateway);
      expect(findObject(synthAndValidate(chart), 'AuthorizationPolicy', 'user-service-allow').spec.rules[0].from[0].source.principals)
        .toEqual(['cluster.local/ns/istio-ingress/sa/gw']);
    });

    test('paths must be absolute', () => {
      const { users, orders } = shop();
      expect(() => users.allowFrom(orders, { paths: ['users'] })).toThrow(
        '[test/user-service] \'allowFrom.options.paths[0]\' must be an absolute path starting with \'/\' (or a suffix match \'*/...\'), got "users". Fix: use "/users"');
      expect(() => users.allowFrom(orders, { paths: ['/a/*/b'] })).toThrow(
        '[test/user-service] \'allowFrom.options.paths[0]\' may use \'*\' only as a whole trailing or leading segment match');
    });

    test('empty lists that Istio would read as "anything" are rejected', () => {
      const { users, orders } = shop();
      expect(() => users.allowFrom(orders, { methods: [] })).toThrow('[test/user-service] \'allowFrom.options.methods\' must not be empty');
      expect(() => users.allowFrom(orders, { paths: [] })).toThrow('[test/user-service] \'allowFrom.options.paths\' must not be empty (Istio would treat it as "any path"), got [].');
      expect(() => users.allowFrom(orders, { ports: [] })).toThrow('[test/user-service] \'allowFrom.options.ports\' must not be empty');
    });

    test('wildcard sources that would allow everything are rejected in ALLOW rules', () => {
      const { users } = shop();
      expect(() => users.allowFromNamespace('*')).toThrow(
        '[test/user-service] \'allowFromNamespace\' must not be the wildcard \'*\' in an ALLOW rule: it would admit every authenticated workload of every namespace, got "*".');
      expect(() => users.allowFromSource(AuthzSource.principal('*'))).toThrow(
        '[test/user-service] \'allowFromSource\' must not be the wildcard \'*\' in an ALLOW rule: it would admit every authenticated workload, got "*".');
    });

    test('malformed sources', () => {
      const { users } = shop();
      expect(() => users.allowFromSource(AuthzSource.principal('spiffe://cluster.local/ns/a/sa/b'))).toThrow(
        '[test/user-service] \'allowFromSource\' must not carry the \'spiffe://\' prefix (Istio matches principals without it), got "spiffe://cluster.local/ns/a/sa/b". Fix: use "cluster.local/ns/a/sa/b"');
      expect(() => users.allowFromSource(AuthzSource.principal('a*b'))).toThrow('\'allowFromSource\' must be a principal');
      expect(() => users.allowFromSource(AuthzSource.serviceAccount('Bad_NS', 'x'))).toThrow('[test/user-service] \'allowFromSource.namespace\' must be a namespace name (a DNS-1123 label), got "Bad_NS".');
      expect(() => users.allowFromNamespace('Shop')).toThrow('[test/user-service] \'allowFromNamespace\' must be a namespace name');
    });

    test('ports must belong to the service; HTTP conditions on TCP-only ports are rejected', () => {
      const chart = nsChart('shop');
      const db = new MeshService(chart, 'db', { versions: [image('db')], ports: [{ port: 5432, protocol: Protocol.TCP }, { port: 8080 }] });
      const app = new MeshService(chart, 'app', { versions: [image('app')] });
      expect(() => db.allowFrom(app, { ports: [3306] })).toThrow('[test/db] \'allowFrom.options.ports[0]\' must be a port of db (5432, 8080), got 3306.');
      expect(() => db.allowFrom(app, { ports: [5432], methods: [HttpMethod.GET] })).toThrow(
        '[test/db] \'allowFrom.options.methods\' only apply to HTTP traffic, but every selected port is TCP, so the rule could never match, got ["GET"].');
      // TCP-only port restriction without HTTP conditions is fine
      db.allowFrom(app, { ports: [5432] });
      expect(findObject(synthAndValidate(chart), 'AuthorizationPolicy', 'db-allow').spec.rules[0].to).toEqual([{ operation: { ports: ['5432'] } }]);
    });
  });
});
