import { Testing } from 'cdk8s';
import { EgressGateway, ExternalService } from '../../src';
import { findObject, synthAndValidate } from '../util';

describe('EgressGateway', () => {
  test('same injected Envoy workload as ingress; ClusterIP 80->8080, 443->8443; no secrets Role; no Gateway until used', () => {
    // GIVEN
    const chart = Testing.chart();
    const egress = new EgressGateway(chart, 'istio-egressgateway', { namespace: 'istio-system' });
    // WHEN
    const out = synthAndValidate(chart);
    // THEN
    expect(out.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'Deployment/istio-egressgateway', 'Service/istio-egressgateway', 'ServiceAccount/istio-egressgateway-service-account',
    ]);
    const svc = findObject(out, 'Service', 'istio-egressgateway');
    expect(svc.spec).toEqual({
      type: 'ClusterIP',
      selector: { app: 'istio-egressgateway', istio: 'egressgateway' },
      ports: [{ name: 'http2', port: 80, targetPort: 8080, protocol: 'TCP' }, { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' }],
    });
    const c = findObject(out, 'Deployment', 'istio-egressgateway').spec.template.spec.containers[0];
    expect([c.name, c.image]).toEqual(['istio-proxy', 'auto']); // injected with the gateway template, like the ingress
    expect(c.ports.map((p: any) => p.containerPort)).toEqual([8080, 8443, 15090]);
    expect(egress.gateway).toBeUndefined();
    expect(egress.istioLabel).toBe('egressgateway');
    expect(out).toMatchSnapshot();
  });

  test('external services add one server and one subset each', () => {
    const chart = Testing.chart();
    const egress = new EgressGateway(chart, 'istio-egressgateway', { namespace: 'istio-system' });
    new ExternalService(chart, 'payments', { namespace: 'shop', hosts: ['api.payments.example'], tlsOrigination: {}, egressGateway: egress });
    new ExternalService(chart, 'maps', { namespace: 'shop', hosts: ['maps.example'], egressGateway: egress });
    const out = synthAndValidate(chart);
    expect(findObject(out, 'Gateway', 'istio-egressgateway').spec.servers.map((s: any) => [s.port.number, s.port.protocol, s.hosts[0], s.tls.mode])).toEqual([
      [80, 'HTTPS', 'api.payments.example', 'ISTIO_MUTUAL'],
      [443, 'TLS', 'maps.example', 'PASSTHROUGH'],
    ]);
    expect(findObject(out, 'DestinationRule', 'istio-egressgateway').spec.subsets.map((s: any) => s.name)).toEqual(['payments', 'maps']);
    expect(egress.externalHosts).toEqual(['api.payments.example', 'maps.example']);
    expect(egress.gateway).toBeDefined();
  });

  test('two external services with one name cannot share a gateway', () => {
    const chart = Testing.chart();
    const egress = new EgressGateway(chart, 'istio-egressgateway', { namespace: 'istio-system' });
    new ExternalService(chart, 'payments', { namespace: 'shop', hosts: ['a.example'], egressGateway: egress });
    expect(() => new ExternalService(chart, 'payments2', { serviceName: 'payments', namespace: 'billing', hosts: ['b.example'], egressGateway: egress })).toThrow(
      "[test/payments2] 'serviceName' must be unique among the external services routed through test/istio-egressgateway (test/payments uses it), got \"payments\". " +
      'Fix: give one of the external services another serviceName');
  });
});
