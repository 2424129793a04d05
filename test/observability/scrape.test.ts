import { Testing } from 'cdk8s';
import { MeshService } from '../../src';
import { findObject, synthAndValidate } from '../util';

describe('merged metrics scraping', () => {
  test('every MeshService version\'s pods carry the Prometheus annotations of the agent\'s merged endpoint', () => {
    // GIVEN
    const chart = Testing.chart();
    const svc = new MeshService(chart, 'reviews', { versions: [{ name: 'v1', image: 'ghcr.io/acme/reviews:1' }] });
    // WHEN
    svc.addVersion({ name: 'v2', image: 'ghcr.io/acme/reviews:2' });
    const out = synthAndValidate(chart);
    // THEN
    for (const v of ['v1', 'v2']) {
      expect(findObject(out, 'Deployment', `reviews-${v}`).spec.template.metadata.annotations).toEqual({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '15020',
        'prometheus.io/path': '/stats/prometheus',
      });
    }
  });
});
