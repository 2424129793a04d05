import { Testing } from 'cdk8s';
import { EgressGateway, ExternalProtocol, ExternalResolution, ExternalService, ExternalServiceProps } from '../../src';
import { err, findObject, findObjects, synthAndValidate } from '../util';

const HOST = 'api.payments.example';

function setup(props: Partial<ExternalServiceProps> = {}, withEgress = false) {
  const chart = Testing.chart();
  const egress = withEgress ? new EgressGateway(chart, 'istio-egressgateway', { namespace: 'istio-system' }) : undefined;
  const es = new ExternalService(chart, 'payments', { namespace: 'shop', hosts: [HOST], egressGateway: egress, ...props });
  return { chart, egress, es };
}

describe('ExternalService', () => {
  describe('ServiceEntry', () => {
    test('defaults: one TLS port 443, DNS resolution, MESH_EXTERNAL; nothing else', () => {
      const { chart, es } = setup();
      const out = synthAndValidate(chart);
      expect(out.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ServiceEntry/payments']);
      expect(findObject(out, 'ServiceEntry', 'payments').spec).toEqual({
        hosts: [HOST], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ number: 443, name: 'tls-443', protocol: 'TLS' }],
      });
      expect(es.hosts).toEqual([HOST]);
      expect(es.ports).toEqual([{ port: 443, name: 'tls-443', protocol: ExternalProtocol.TLS }]);
      expect(out).toMatchSnapshot();
    });

    test('ports, protocols and wildcard hosts with resolution NONE', () => {
      const { chart } = setup({
        hosts: ['*.storage.example'],
        resolution: ExternalResolution.NONE,
        ports: [{ port: 443, name: 'https', protocol: ExternalProtocol.HTTPS }, { port: 5432, protocol: ExternalProtocol.TCP }],
      });
      expect(findObject(synthAndValidate(chart), 'ServiceEntry', 'payments').spec).toEqual({
        hosts: ['*.storage.example'],
        location: 'MESH_EXTERNAL',
        resolution: 'NONE',
        ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }, { number: 5432, name: 'tcp-5432', protocol: 'TCP' }],
      });
    });
  });

  describe('TLS origination at the sidecar', () => {
    test('port 80 carries plain HTTP to target port 443; the DestinationRule originates verified TLS with SNI', () => {
      const { chart, es } = setup({ tlsOrigination: {} });
      const out = synthAndValidate(chart);
      expect(findObject(out, 'ServiceEntry', 'payments').spec.ports).toEqual([{ number: 80, name: 'http-80', protocol: 'HTTP', targetPort: 443 }]);
      expect(findObject(out, 'DestinationRule', 'payments').spec).toEqual({
        host: HOST,
        trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'SIMPLE', sni: HOST, caCertificates: 'system' } }] },
      });
      expect(es.virtualService).toBeUndefined();
      expect(out).toMatchSnapshot();
    });

    test('custom port, target port and SNI', () => {
      const { chart } = setup({
        ports: [{ port: 8080, protocol: ExternalProtocol.HTTP }, { port: 443 }],
        tlsOrigination: { port: 8080, targetPort: 8443, sni: 'payments.example' },
      });
      const out = synthAndValidate(chart);
      expect(findObject(out, 'ServiceEntry', 'payments').spec.ports).toEqual([
        { number: 8080, name: 'http-8080', protocol: 'HTTP', targetPort: 8443 },
        { number: 443, name: 'tls-443', protocol: 'TLS' },
      ]);
      expect(findObject(out, 'DestinationRule', 'payments').spec.trafficPolicy.portLevelSettings)
        .toEqual([{ port: { number: 8080 }, tls: { mode: 'SIMPLE', sni: 'payments.example', caCertificates: 'system' } }]);
    });
  });

  describe('through an egress gateway', () => {
    test('HTTP with TLS origination: mTLS sidecar -> gateway on 80, gateway -> external with TLS', () => {
      const { chart } = setup({ tlsOrigination: {} }, true);
      const out = synthAndValidate(chart);
      expect(findObject(out, 'VirtualService', 'payments').spec).toEqual({
        hosts: [HOST],
        gateways: ['mesh', 'istio-system/istio-egressgateway'],
        http: [
          {
            name: 'mesh-to-egress-gateway',
            match: [{ gateways: ['mesh'], port: 80 }],
            route: [{ destination: { host: 'istio-egressgateway.istio-system.svc.cluster.local', subset: 'payments', port: { number: 80 } } }],
          },
          {
            name: 'egress-gateway-to-external',
            match: [{ gateways: ['istio-system/istio-egressgateway'], port: 80 }],
            route: [{ destination: { host: HOST, port: { number: 80 } } }],
          },
        ],
      });
      expect(findObject(out, 'Gateway', 'istio-egressgateway').spec.servers).toEqual([
        { port: { number: 80, name: 'https-payments', protocol: 'HTTPS' }, hosts: [HOST], tls: { mode: 'ISTIO_MUTUAL' } },
      ]);
      expect(findObject(out, 'DestinationRule', 'istio-egressgateway').spec).toEqual({
        host: 'istio-egressgateway.istio-system.svc.cluster.local',
        subsets: [{ name: 'payments', trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'ISTIO_MUTUAL', sni: HOST } }] } }],
      });
      expect(findObject(out, 'DestinationRule', 'payments').spec.trafficPolicy.portLevelSettings[0].tls).toEqual({ mode: 'SIMPLE', sni: HOST, caCertificates: 'system' });
      expect(out).toMatchSnapshot();
    });

    test('TLS from the application: SNI passthrough on 443', () => {
      const { chart } = setup({}, true);
      const out = synthAndValidate(chart);
      expect(findObject(out, 'VirtualService', 'payments').spec.tls).toEqual([
        {
          match: [{ gateways: ['mesh'], port: 443, sniHosts: [HOST] }],
          route: [{ destination: { host: 'istio-egressgateway.istio-system.svc.cluster.local', subset: 'payments', port: { number: 443 } } }],
        },
        {
          match: [{ gateways: ['istio-system/istio-egressgateway'], port: 443, sniHosts: [HOST] }],
          route: [{ destination: { host: HOST, port: { number: 443 } } }],
        },
      ]);
      expect(findObject(out, 'Gateway', 'istio-egressgateway').spec.servers).toEqual([
        { port: { number: 443, name: 'tls-payments', protocol: 'TLS' }, hosts: [HOST], tls: { mode: 'PASSTHROUGH' } },
      ]);
      expect(findObject(out, 'DestinationRule', 'istio-egressgateway').spec.subsets).toEqual([{ name: 'payments' }]);
      expect(findObjects(out, 'DestinationRule', 'payments')).toHaveLength(0);
    });
  });

  describe('validation', () => {
    test('hosts', () => {
      expect(err(() => setup({ hosts: [] }))).toBe(
        "[test/payments] 'hosts' must list at least one host, got []. Fix: list the external host names, e.g. hosts: ['api.payments.example']");
      expect(err(() => setup({ hosts: ['https://API.payments.example'] }))).toContain(
        "'hosts[0]' must be a lower-case DNS name or a wildcard subdomain ('*.example.com'), got \"https://API.payments.example\". Fix: use \"api.payments.example\"");
      expect(err(() => setup({ hosts: ['*.payments.example'] }))).toBe(
        "[test/payments] 'hosts[0]' must not be a wildcard with resolution DNS (a wildcard cannot be resolved by DNS), got \"*.payments.example\". " +
        'Fix: list the exact host names, or set resolution: ExternalResolution.NONE');
    });

    test('a host declared twice', () => {
      const { chart } = setup();
      expect(err(() => new ExternalService(chart, 'again', { hosts: ['other.example', HOST] }))).toBe(
        "[test/again] 'hosts' must not repeat a host another ExternalService declares (test/payments), got \"api.payments.example\". " +
        'Fix: declare each external host once and reuse that ExternalService');
    });

    test('ports', () => {
      expect(err(() => setup({ ports: [] }))).toContain("'ports' must list at least one port, got []");
      expect(err(() => setup({ ports: [{ port: 0 }] }))).toContain("'ports[0].port' must be a whole number between 1 and 65535, got 0");
      expect(err(() => setup({ ports: [{ port: 443, protocol: 'QUIC' as any }] })))
        .toContain("'ports[0].protocol' must be an ExternalProtocol (one of ExternalProtocol.GRPC, ExternalProtocol.HTTP, ExternalProtocol.HTTP2, ExternalProtocol.HTTPS, ExternalProtocol.TCP, ExternalProtocol.TLS), got \"QUIC\"");
      expect(err(() => setup({ ports: [{ port: 443, name: 'Bad' }] }))).toContain("'ports[0].name' must be a DNS-1123 label, got \"Bad\"");
      expect(err(() => setup({ ports: [{ port: 443 }, { port: 443, name: 'b' }] }))).toContain("'ports[1].port' must be unique, got 443");
      expect(err(() => setup({ ports: [{ port: 443, name: 'a' }, { port: 8443, name: 'a' }] }))).toContain("'ports[1].name' must be unique, got \"a\"");
    });

    test('TLS origination', () => {
      expect(err(() => setup({ ports: [{ port: 443 }], tlsOrigination: {} }))).toBe(
        "[test/payments] 'tlsOrigination.port' must be an HTTP port of the service (ports: 443/TLS), got 80. " +
        'Fix: add { port: 80, protocol: ExternalProtocol.HTTP } to ports, or point tlsOrigination.port at an HTTP port');
      expect(err(() => setup({ tlsOrigination: { targetPort: 0 } }))).toContain("'tlsOrigination.targetPort' must be a whole number between 1 and 65535, got 0");
      expect(err(() => setup({ hosts: ['*.payments.example'], resolution: ExternalResolution.NONE, tlsOrigination: {} }))).toContain(
        "'tlsOrigination.sni' must be a lower-case DNS name without wildcard, got \"*.payments.example\"");
    });

    test('egress routing limits', () => {
      expect(err(() => setup({ hosts: [HOST, 'b.example'] }, true))).toBe(
        "[test/payments] 'hosts' must be exactly one host without wildcard when routed through an egress gateway, got [\"api.payments.example\",\"b.example\"]. " +
        'Fix: declare one ExternalService per host, or drop egressGateway');
      expect(err(() => setup({ ports: [{ port: 5432, protocol: ExternalProtocol.TCP }] }, true))).toContain(
        "'ports' must not contain TCP ports when routed through an egress gateway (opaque TCP carries no host to route by), got 5432");
      expect(err(() => setup({ ports: [{ port: 80, protocol: ExternalProtocol.HTTP }, { port: 8080, protocol: ExternalProtocol.HTTP }] }, true)))
        .toContain(
          "'ports' must contain at most one HTTP port when routed through an egress gateway (the gateway cannot tell them apart), got [80,8080]");
      expect(err(() => setup({ egressGateway: {} as any }))).toContain("'egressGateway' must be an EgressGateway construct");
    });
  });
});
