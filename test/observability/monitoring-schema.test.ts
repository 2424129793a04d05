import { validateObject } from '../util';

describe('monitoring.coreos.com validator', () => {
  test('rejects wrong types and unknown kinds, accepts a valid PodMonitor', () => {
    const ok = { apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name: 'a' }, spec: { selector: {}, podMetricsEndpoints: [{ port: 'http' }] } };
    expect(validateObject(ok)).toEqual([]);
    const bad = { ...ok, spec: { selector: {}, podMetricsEndpoints: [{ port: 42 }] } };
    expect(validateObject(bad).join('\n')).toMatch(/port/);
    expect(validateObject({ ...ok, kind: 'Nope' })).toEqual(['unknown kind Nope in monitoring.coreos.com/v1']);
  });

  test('rejects a misspelled field (the model package alone would accept it)', () => {
    const typo = { apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name: 'a' }, spec: { selector: {}, podMetricsEndpoints: [{ port: 'http', intervall: '15s' }] } };
    expect(validateObject(typo)).toEqual(['/spec/podMetricsEndpoints/0/intervall is not a field of the CRD (unknown field)']);
  });
});
