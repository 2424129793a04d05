import { validateObject } from '../util';
import './monitoring-schema';

describe('monitoring.coreos.com validator', () => {
  test('rejects wrong types and unknown kinds, accepts a valid PodMonitor', () => {
    const ok = { apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name: 'a' }, spec: { selector: {}, podMetricsEndpoints: [{ port: 'http' }] } };
    expect(validateObject(ok)).toEqual([]);
    const bad = { ...ok, spec: { selector: {}, podMetricsEndpoints: [{ port: 42 }] } };
    expect(validateObject(bad).join('\n')).toMatch(/port/);
    expect(validateObject({ ...ok, kind: 'Nope' })).toEqual(['unknown monitoring.coreos.com kind Nope']);
  });
});
