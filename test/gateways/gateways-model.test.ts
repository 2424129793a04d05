import { hostMatches, servesHttp } from '../../src/model/gateways';

describe('gateway model helpers', () => {
  test('hostMatches follows Istio host patterns', () => {
    expect(hostMatches('*', 'a.example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'a.example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'example.com')).toBe(false);
    expect(hostMatches('ns/a.example.com', 'a.example.com')).toBe(true);
    expect(hostMatches('a.example.com', 'b.example.com')).toBe(false);
  });

  test('servesHttp: HTTP and terminating HTTPS, not redirects or passthrough', () => {
    const base = { port: 443, hosts: ['a'], httpsRedirect: false, path: 'p' };
    expect(servesHttp({ ...base, protocol: 'HTTPS', tlsMode: 'SIMPLE' })).toBe(true);
    expect(servesHttp({ ...base, protocol: 'HTTP' })).toBe(true);
    expect(servesHttp({ ...base, protocol: 'HTTP', httpsRedirect: true })).toBe(false);
    expect(servesHttp({ ...base, protocol: 'TLS', tlsMode: 'PASSTHROUGH' })).toBe(false);
  });
});
