import { GatewayServer, GatewayTls } from '../../src';

describe('GatewayServer', () => {
  test('http defaults to port 80, https to 443; passthrough is protocol TLS', () => {
    const http = GatewayServer.http({ hosts: ['a.example.com'] });
    const https = GatewayServer.https({ hosts: ['a.example.com'], tls: GatewayTls.simple('a') });
    const pass = GatewayServer.https({ hosts: ['b.example.com'], tls: GatewayTls.passthrough() });
    expect([http.port, http.protocol]).toEqual([80, 'HTTP']);
    expect([https.port, https.protocol]).toEqual([443, 'HTTPS']);
    expect([pass.port, pass.protocol]).toEqual([443, 'TLS']);
  });

  test('hosts returns a copy', () => {
    const hosts = ['a.example.com'];
    const s = GatewayServer.http({ hosts });
    hosts.push('b.example.com');
    s.hosts.push('c.example.com');
    expect(s.hosts).toEqual(['a.example.com']);
  });

  test('GatewayTls exposes mode and credential', () => {
    expect([GatewayTls.simple('c').mode, GatewayTls.simple('c').credentialName]).toEqual(['SIMPLE', 'c']);
    expect([GatewayTls.mutual('m').mode, GatewayTls.passthrough().mode, GatewayTls.passthrough().credentialName]).toEqual(['MUTUAL', 'PASSTHROUGH', undefined]);
  });
});
