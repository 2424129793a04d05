import { Gateway } from '../../src/imports/networking.istio.io';
import { GatewayServerModel } from '../../src/model/gateways';
import { renderGatewaySpec } from '../../src/render/gateway';
import { findObject, synthAndValidate } from '../util';
import { handModel } from './fixtures';

const server = (partial: Partial<GatewayServerModel>): GatewayServerModel => ({
  port: 80, protocol: 'HTTP', hosts: ['shop.example.com'], httpsRedirect: false, path: 'test/edge', ...partial,
});

describe('renderGatewaySpec', () => {
  test('HTTPS redirect, TLS termination (mutual, SANs, TLS 1.3), passthrough; port names deduplicated', () => {
    const { chart } = handModel();
    const spec = renderGatewaySpec({
      selector: { app: 'edge', istio: 'edge' },
      servers: [
        server({ httpsRedirect: true }),
        server({ hosts: ['api.example.com'] }),
        server({
          port: 443,
          protocol: 'HTTPS',
          tlsMode: 'MUTUAL',
          credentialName: 'shop-cert',
          caCertCredentialName: 'shop-ca',
          subjectAltNames: ['spiffe://partner.example/checkout'],
          minProtocolVersion: 'TLSV1_3',
        }),
        server({ port: 8443, protocol: 'TLS', hosts: ['*.legacy.example.com'], tlsMode: 'PASSTHROUGH' }),
      ],
    });
    expect(JSON.parse(JSON.stringify(spec))).toEqual({
      selector: { app: 'edge', istio: 'edge' },
      servers: [
        { port: { number: 80, name: 'http-80', protocol: 'HTTP' }, hosts: ['shop.example.com'], tls: { httpsRedirect: true } },
        { port: { number: 80, name: 'http-80-2', protocol: 'HTTP' }, hosts: ['api.example.com'] },
        {
          port: { number: 443, name: 'https-443', protocol: 'HTTPS' },
          hosts: ['shop.example.com'],
          tls: {
            mode: 'MUTUAL',
            credentialName: 'shop-cert',
            caCertCredentialName: 'shop-ca',
            subjectAltNames: ['spiffe://partner.example/checkout'],
            minProtocolVersion: 'TLSV1_3',
          },
        },
        { port: { number: 8443, name: 'tls-8443', protocol: 'TLS' }, hosts: ['*.legacy.example.com'], tls: { mode: 'PASSTHROUGH' } },
      ],
    });
    new Gateway(chart, 'gw', { metadata: { name: 'edge', namespace: 'istio-ingress' }, spec });
    expect(findObject(synthAndValidate(chart), 'Gateway', 'edge').spec).toEqual(JSON.parse(JSON.stringify(spec)));
  });

  test('an egress leg names its port after its subset (ISTIO_MUTUAL from the sidecars)', () => {
    const spec = renderGatewaySpec({
      selector: { istio: 'egress' },
      servers: [server({ protocol: 'HTTPS', hosts: ['api.pay.example'], tlsMode: 'ISTIO_MUTUAL', portName: 'https-pay' })],
    });
    expect(JSON.parse(JSON.stringify(spec.servers))).toEqual([
      { port: { number: 80, name: 'https-pay', protocol: 'HTTPS' }, hosts: ['api.pay.example'], tls: { mode: 'ISTIO_MUTUAL' } },
    ]);
  });
});
