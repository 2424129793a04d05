import { Chart, Testing } from 'cdk8s';
import {
  AuthzSource, GatewayServer, HttpMatch, HttpMethod, IngressGateway, JwtAuthentication, LoadBalancer, MeshService, MeshServiceSecurity,
  MeshServiceTraffic, TrafficPolicy,
} from '../../src';
import { err, synthAndValidate } from '../util';

const versions = [{ name: 'v1', image: 'ghcr.io/acme/orders:1.0.0' }, { name: 'v2', image: 'ghcr.io/acme/orders:2.0.0' }];

/** One program, written with the facets or with the service's own methods. */
function shop(useFacets: boolean): unknown[] {
  const chart = new Chart(Testing.app(), 'shop', { namespace: 'shop' });
  const orders = new MeshService(chart, 'orders', { versions });
  const web = new MeshService(chart, 'web', { versions: [versions[0]] });
  const gw = new IngressGateway(chart, 'gw', { namespace: 'istio-ingress', servers: [GatewayServer.http({ hosts: ['shop.example.com'] })] });
  const jwt = new JwtAuthentication(chart, 'jwt', { issuer: 'https://id.example.com', jwksUri: 'https://id.example.com/jwks.json', service: orders });
  const policy: TrafficPolicy = { loadBalancer: LoadBalancer.leastRequest() };
  if (useFacets) {
    orders.traffic.addRoute({ match: [HttpMatch.pathPrefix('/v2')], to: 'v2' });
    orders.traffic.configurePolicy(policy);
    orders.traffic.configureVersionPolicy('v2', policy);
    orders.security.allowFrom(web, { methods: [HttpMethod.GET] });
    orders.security.allowFromSource(AuthzSource.identity(gw));
    orders.security.allowFromNamespace('ops');
    orders.security.denyFrom(AuthzSource.namespace('sandbox'));
    orders.security.requireJwt(jwt, { paths: ['/admin/*'] });
  } else {
    orders.addRoute({ match: [HttpMatch.pathPrefix('/v2')], to: 'v2' });
    orders.configureTrafficPolicy(policy);
    orders.configureVersionTrafficPolicy('v2', policy);
    orders.allowFrom(web, { methods: [HttpMethod.GET] });
    orders.allowFromSource(AuthzSource.identity(gw));
    orders.allowFromNamespace('ops');
    orders.denyFrom(AuthzSource.namespace('sandbox'));
    orders.requireJwt(jwt, { paths: ['/admin/*'] });
  }
  return synthAndValidate(chart);
}

describe('MeshService facets', () => {
  test('service.traffic and service.security write what the service\'s own methods write', () => {
    expect(shop(true)).toEqual(shop(false));
  });

  test('the facets belong to their service and check their arguments', () => {
    const chart = Testing.chart();
    const orders = new MeshService(chart, 'orders', { versions });
    expect(orders.traffic).toBeInstanceOf(MeshServiceTraffic);
    expect(orders.security).toBeInstanceOf(MeshServiceSecurity);
    expect(err(() => orders.traffic.configureVersionPolicy(42 as any, {}))).toBe("[test/orders] 'configureVersionPolicy.version' must be a string, got 42. Fix: quote the value so it is a string");
  });
});
