import { Testing } from 'cdk8s';
import { IstioControlPlane, MeshService } from '../../src';
import { findObject, synthAndValidate } from '../util';

/**
 * Istio's metrics merging: istiod's injector rewrites a pod's own
 * `prometheus.io/*` annotations onto the agent's merged endpoint
 * (15020/stats/prometheus) and hands the original port/path to the agent, which
 * then serves the app's metrics beside Envoy's. A pod already annotated with
 * port 15020 is left alone, so its app metrics are never merged: the library
 * must emit the app's own endpoint (or nothing) and let injection rewrite it.
 */
describe('merged metrics scraping', () => {
  test('a service declaring its metrics endpoint annotates every version\'s pods with the app\'s own port and path', () => {
    // GIVEN
    const chart = Testing.chart();
    const svc = new MeshService(chart, 'reviews', {
      versions: [{ name: 'v1', image: 'ghcr.io/acme/reviews:1' }],
      metrics: { port: 9102, path: '/prometheus' },
    });
    // WHEN
    svc.addVersion({ name: 'v2', image: 'ghcr.io/acme/reviews:2' });
    const out = synthAndValidate(chart);
    // THEN
    for (const v of ['v1', 'v2']) {
      expect(findObject(out, 'Deployment', `reviews-${v}`).spec.template.metadata.annotations).toEqual({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '9102',
        'prometheus.io/path': '/prometheus',
      });
    }
  });

  test('the path defaults to /metrics', () => {
    const chart = Testing.chart();
    new MeshService(chart, 'reviews', { versions: [{ name: 'v1', image: 'ghcr.io/acme/reviews:1' }], metrics: { port: 8080 } });
    expect(findObject(synthAndValidate(chart), 'Deployment', 'reviews-v1').spec.template.metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    });
  });

  test('no app metrics: no prometheus.io annotations up front (the injector adds the merged endpoint itself)', () => {
    const chart = Testing.chart();
    new MeshService(chart, 'reviews', { versions: [{ name: 'v1', image: 'ghcr.io/acme/reviews:1' }] });
    const annotations = findObject(synthAndValidate(chart), 'Deployment', 'reviews-v1').spec.template.metadata.annotations ?? {};
    expect(Object.keys(annotations).filter((k) => k.startsWith('prometheus.io/'))).toEqual([]);
  });

  test('the mesh config enables merging, which the rewrite depends on', () => {
    const chart = Testing.chart();
    new IstioControlPlane(chart, 'istio', { crds: false });
    new MeshService(chart, 'reviews', { versions: [{ name: 'v1', image: 'ghcr.io/acme/reviews:1' }], metrics: { port: 9102 } });
    const out = synthAndValidate(chart);
    expect(findObject(out, 'ConfigMap', 'istio').data.mesh).toMatch(/^enablePrometheusMerge: true$/m);
    // never pre-set to the agent's port: that would stop the injector from merging the app's metrics
    expect(findObject(out, 'Deployment', 'reviews-v1').spec.template.metadata.annotations['prometheus.io/port']).not.toBe('15020');
  });

  describe('errors', () => {
    test('metrics.port must be a port', () => {
      const chart = Testing.chart();
      expect(() => new MeshService(chart, 'reviews', { versions: [{ name: 'v1', image: 'a:1' }], metrics: { port: 70000 } })).toThrow(
        "[test/reviews] 'metrics.port' must be a whole number between 1 and 65535, got 70000. Fix: use the port your application serves metrics on, e.g. 9102");
    });

    test('metrics.port must not be a port the sidecar reserves (15020 would disable merging)', () => {
      const chart = Testing.chart();
      expect(() => new MeshService(chart, 'reviews', { versions: [{ name: 'v1', image: 'a:1' }], metrics: { port: 15020 } })).toThrow(
        "[test/reviews] 'metrics.port' must be the application's own metrics port, not one the Envoy sidecar reserves (15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090), got 15020. "
        + "Fix: give the application's port; Istio's injector points Prometheus at the agent's merged endpoint (15020) itself");
    });

    test('metrics.path must be an absolute URL path', () => {
      const chart = Testing.chart();
      expect(() => new MeshService(chart, 'reviews', { versions: [{ name: 'v1', image: 'a:1' }], metrics: { port: 9102, path: 'metrics' } })).toThrow(
        "[test/reviews] 'metrics.path' must be an absolute URL path without spaces, got \"metrics\". Fix: use e.g. '/metrics'");
    });
  });
});
