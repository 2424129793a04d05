import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { assertValidManifests, synthAndValidate, validateObject } from './validate';

const virtualService = (http: any[]) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'reviews', namespace: 'shop' },
  spec: {
    hosts: ['reviews'],
    http,
  },
});

describe('strict validation harness', () => {
  describe('Istio kinds', () => {
    test('accepts a valid VirtualService', () => {
      expect(validateObject(virtualService([{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 100 }] }]))).toEqual([]);
    });

    test('rejects a misspelled field that Kubernetes would silently prune', () => {
      const errors = validateObject(virtualService([{ route: [{ destination: { host: 'reviews', subset: 'v1' }, wieght: 100 }] }]));
      expect(errors).toEqual([expect.stringContaining("/spec/http/0/route/0 must NOT have additional properties 'wieght'")]);
    });

    test('rejects a wrong type', () => {
      const errors = validateObject(virtualService([{ route: [{ destination: { host: 'reviews' }, weight: 'ten' }] }]));
      expect(errors.join('\n')).toContain('/spec/http/0/route/0/weight must be integer');
    });

    test('accepts int-or-string fields as either', () => {
      const dr = (maxEjectionPercent: any, interval: any) => ({
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'r' },
        spec: { host: 'r', trafficPolicy: { outlierDetection: { maxEjectionPercent, interval } } },
      });
      expect(validateObject(dr(50, '10s'))).toEqual([]);
    });

    test('rejects a version that is not in the CRD', () => {
      const obj = { ...virtualService([]), apiVersion: 'networking.istio.io/v2' };
      expect(validateObject(obj)).toEqual([expect.stringContaining('VirtualService has no version v2')]);
    });

    test('rejects unknown top-level fields', () => {
      const obj = { ...virtualService([]), extra: 1 };
      expect(validateObject(obj).join()).toContain("must NOT have additional properties 'extra'");
    });
  });

  describe('Kubernetes kinds', () => {
    test('accepts a cdk8s-plus Deployment', () => {
      const chart = Testing.chart();
      new kplus.Deployment(chart, 'd', { containers: [{ image: 'nginx', securityContext: { user: 1000 } }] });
      expect(synthAndValidate(chart)).toHaveLength(1);
    });

    test('rejects a misspelled Kubernetes field', () => {
      const chart = Testing.chart();
      new kplus.Deployment(chart, 'd', { containers: [{ image: 'nginx', securityContext: { user: 1000 } }] });
      const [deployment] = Testing.synth(chart);
      deployment.spec.template.spec.containers[0].imagePullPolice = 'Always';
      expect(validateObject(deployment)).toContain("/spec/template/spec/containers/0 must NOT have additional properties 'imagePullPolice'");
    });

    test('rejects a wrong type through kubernetes-models as well', () => {
      const errors = validateObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 'eighty' }] } });
      expect(errors.join('\n')).toMatch(/ports\/0\/port must be number/);
      expect(errors.join('\n')).toMatch(/kubernetes-models/);
    });
  });

  describe('unknown kinds', () => {
    test('an object of an unknown kind fails', () => {
      expect(validateObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }))
        .toEqual([expect.stringContaining('unknown Kubernetes 1.28 kind Widget')]);
    });

    test('assertValidManifests reports every invalid object and duplicates', () => {
      const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } };
      expect(() => assertValidManifests([obj, obj])).toThrow(/duplicate object/);
    });
  });
});
