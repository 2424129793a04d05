import { ServiceEntry } from '../../src/imports/networking.istio.io';
import { ExternalServiceModel } from '../../src/model/gateways';
import { renderServiceEntrySpec } from '../../src/render/service-entry';
import { synthAndValidate } from '../util';
import { handModel } from './fixtures';

const pay: ExternalServiceModel = {
  path: 'test/pay',
  name: 'pay',
  namespace: 'shop',
  hosts: ['api.pay.example'],
  originatesTls: false,
  resolution: 'DNS',
  ports: [{ name: 'tls-443', number: 443, protocol: 'TLS' }],
};

describe('renderServiceEntrySpec', () => {
  test('MESH_EXTERNAL with the resolution and ports', () => {
    const { chart } = handModel();
    const spec = renderServiceEntrySpec({ ...pay, hosts: ['*.pay.example'], resolution: 'NONE' });
    expect(JSON.parse(JSON.stringify(spec))).toEqual({
      hosts: ['*.pay.example'], location: 'MESH_EXTERNAL', resolution: 'NONE', ports: [{ number: 443, name: 'tls-443', protocol: 'TLS' }],
    });
    new ServiceEntry(chart, 'se', { metadata: { name: 'pay', namespace: 'shop' }, spec });
    synthAndValidate(chart);
  });

  test('TLS origination: the plain-HTTP port forwards to the TLS port (targetPort), unless they are the same', () => {
    const http = { ...pay, originatesTls: true, ports: [{ name: 'http-80', number: 80, protocol: 'HTTP' }, { name: 'tls-443', number: 443, protocol: 'TLS' }] };
    expect(renderServiceEntrySpec({ ...http, tlsOrigination: { port: 80, targetPort: 443, sni: 'api.pay.example' } }).ports?.map((p) => p.targetPort))
      .toEqual([443, undefined]);
    const same = { ...pay, resolution: 'DNS_ROUND_ROBIN' as const, ports: [{ name: 'http-8443', number: 8443, protocol: 'HTTP' }] };
    expect(renderServiceEntrySpec({ ...same, tlsOrigination: { port: 8443, targetPort: 8443, sni: 'api.pay.example' } }))
      .toEqual({ hosts: ['api.pay.example'], location: 'MESH_EXTERNAL', resolution: 'DNS_ROUND_ROBIN', ports: [{ number: 8443, name: 'http-8443', protocol: 'HTTP' }] });
  });
});
