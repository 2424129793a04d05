import { ApiObject, JsonPatch, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { MeshService, MeshServiceProps, Protocol } from '../../src';
import { findObject, findObjects, synthAndValidate } from '../util';

const v1 = { name: 'v1', image: 'ghcr.io/acme/reviews:1.0.0' };
const v2 = { name: 'v2', image: 'ghcr.io/acme/reviews:2.0.0' };

function reviews(props: Partial<MeshServiceProps> = {}, id = 'reviews') {
  const chart = Testing.chart();
  const svc = new MeshService(chart, id, { versions: [v1, v2], ...props });
  return { chart, svc };
}

describe('MeshService', () => {
  describe('objects', () => {
    test('one Deployment per version, one Service, ServiceAccount, DestinationRule, VirtualService and Sidecar', () => {
      // GIVEN
      const { chart } = reviews();
      // WHEN
      const out = synthAndValidate(chart);
      // THEN
      expect(out.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
        'Deployment/reviews-v1',
        'Deployment/reviews-v2',
        'DestinationRule/reviews',
        'Service/reviews',
        'ServiceAccount/reviews',
        'Sidecar/reviews',
        'VirtualService/reviews',
      ]);
      expect(out).toMatchSnapshot();
    });

    test('pods carry app/version labels and sidecar injection; the Deployment selects app+version', () => {
      const { chart } = reviews();
      const d = findObject(synthAndValidate(chart), 'Deployment', 'reviews-v2');
      expect(d.spec.template.metadata.labels).toMatchObject({
        'app': 'reviews',
        'version': 'v2',
        'app.kubernetes.io/name': 'reviews',
        'app.kubernetes.io/version': 'v2',
        'sidecar.istio.io/inject': 'true',
      });
      expect(d.spec.selector.matchLabels).toEqual({ app: 'reviews', version: 'v2' });
      expect(d.spec.template.spec.serviceAccountName).toBe('reviews');
    });

    test('the Service selects on app only and names ports with appProtocol', () => {
      const { chart } = reviews({
        ports: [
          { port: 80, targetPort: 8080 },
          { port: 9090, protocol: Protocol.GRPC },
          { port: 8081, protocol: Protocol.HTTP, name: 'http-admin' },
          { port: 5432, protocol: Protocol.TCP },
          { port: 8443, protocol: Protocol.HTTP2 },
        ],
      });
      const out = synthAndValidate(chart);
      const svc = findObject(out, 'Service', 'reviews');
      expect(svc.spec.selector).toEqual({ app: 'reviews' });
      expect(svc.spec.ports).toEqual([
        { name: 'http-80', port: 80, targetPort: 8080, protocol: 'TCP', appProtocol: 'http' },
        { name: 'grpc', port: 9090, targetPort: 9090, protocol: 'TCP', appProtocol: 'grpc' },
        { name: 'http-admin', port: 8081, targetPort: 8081, protocol: 'TCP', appProtocol: 'http' },
        { name: 'tcp', port: 5432, targetPort: 5432, protocol: 'TCP', appProtocol: 'tcp' },
        { name: 'http2', port: 8443, targetPort: 8443, protocol: 'TCP', appProtocol: 'http2' },
      ]);
      const container = findObject(out, 'Deployment', 'reviews-v1').spec.template.spec.containers[0];
      expect(container.ports.map((p: any) => [p.name, p.containerPort])).toEqual([
        ['http-80', 8080], ['grpc', 9090], ['http-admin', 8081], ['tcp', 5432], ['http2', 8443],
      ]);
      // TCP ports get an L4 route to the stable subset
      const vs = findObject(out, 'VirtualService', 'reviews');
      expect(vs.spec.tcp).toEqual([{
        match: [{ port: 5432 }],
        route: [{ destination: { host: 'reviews.default.svc.cluster.local', subset: 'v1', port: { number: 5432 } } }],
      }]);
    });

    test('default port is HTTP 80 -> 8080', () => {
      const { chart } = reviews();
      expect(findObject(synthAndValidate(chart), 'Service', 'reviews').spec.ports)
        .toEqual([{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', appProtocol: 'http' }]);
    });

    test('DestinationRule has a subset per version whose labels match the pod labels', () => {
      const { chart } = reviews();
      const out = synthAndValidate(chart);
      const dr = findObject(out, 'DestinationRule', 'reviews');
      expect(dr.spec.host).toBe('reviews.default.svc.cluster.local');
      expect(dr.spec.subsets.map((s: any) => s.name)).toEqual(['v1', 'v2']);
      for (const subset of dr.spec.subsets) {
        const pods = findObject(out, 'Deployment', `reviews-${subset.name}`).spec.template.metadata.labels;
        expect(pods).toMatchObject(subset.labels);
      }
    });

    test('VirtualService routes everything to the first version by default', () => {
      const { chart } = reviews();
      const vs = findObject(synthAndValidate(chart), 'VirtualService', 'reviews');
      expect(vs.spec.hosts).toEqual(['reviews.default.svc.cluster.local']);
      expect(vs.spec.http).toEqual([{ name: 'default', route: [{ destination: { host: 'reviews.default.svc.cluster.local', subset: 'v1' } }] }]);
    });

    test('stableVersion picks the default route', () => {
      const { chart, svc } = reviews({ stableVersion: 'v2' });
      expect(svc.stableVersion).toBe('v2');
      expect(findObject(synthAndValidate(chart), 'VirtualService', 'reviews').spec.http[0].route[0].destination.subset).toBe('v2');
    });

    test('addVersion after construction reaches the output', () => {
      const { chart, svc } = reviews();
      svc.addVersion({ name: 'v3', image: 'ghcr.io/acme/reviews:3.0.0', replicas: 0 });
      const out = synthAndValidate(chart);
      expect(findObjects(out, 'Deployment')).toHaveLength(3);
      expect(findObject(out, 'Deployment', 'reviews-v3').spec.replicas).toBe(0);
      expect(findObject(out, 'DestinationRule', 'reviews').spec.subsets.map((s: any) => s.name)).toEqual(['v1', 'v2', 'v3']);
      expect(svc.versions).toEqual(['v1', 'v2', 'v3']);
    });

    test('namespace defaults to the chart namespace, then to default', () => {
      const chart = Testing.chart();
      (chart as any).namespace = undefined;
      const a = new MeshService(chart, 'a', { versions: [v1] });
      expect(a.namespace).toBe('default');
      const { chart: c2 } = reviews({ namespace: 'shop' });
      for (const o of synthAndValidate(c2)) expect(o.metadata.namespace).toBe('shop');
    });

    test('env, replicas, resources and probes reach the container', () => {
      const { chart } = reviews({
        env: { LOG_LEVEL: 'info', A: 'service' },
        versions: [{ ...v1, replicas: 3, env: { A: 'version' } }],
        readiness: kplus.Probe.fromHttpGet('/ready', { port: 8080 }),
      });
      const d = findObject(synthAndValidate(chart), 'Deployment', 'reviews-v1');
      expect(d.spec.replicas).toBe(3);
      const c = d.spec.template.spec.containers[0];
      expect(c.env).toEqual([{ name: 'LOG_LEVEL', value: 'info' }, { name: 'A', value: 'version' }]);
      expect(c.readinessProbe.httpGet).toMatchObject({ path: '/ready', port: 8080 });
      expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    });
  });

  describe('secure defaults', () => {
    test('non-root, read-only root filesystem, no escalation, all capabilities dropped, RuntimeDefault seccomp', () => {
      const { chart } = reviews();
      const pod = findObject(synthAndValidate(chart), 'Deployment', 'reviews-v1').spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.containers[0].securityContext).toEqual({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsGroup: 1000,
        runAsNonRoot: true,
        runAsUser: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.containers[0].volumeMounts).toEqual([{ mountPath: '/tmp', name: 'tmp' }]);
      expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: {} }]);
    });

    test('relaxing takes explicit props', () => {
      const { chart } = reviews({
        security: {
          user: 0,
          ensureNonRoot: false,
          readOnlyRootFilesystem: false,
          allowPrivilegeEscalation: true,
          addCapabilities: [kplus.Capability.NET_BIND_SERVICE],
        },
      });
      const pod = findObject(synthAndValidate(chart), 'Deployment', 'reviews-v1').spec.template.spec;
      expect(pod.containers[0].securityContext).toMatchObject({
        runAsUser: 0,
        runAsNonRoot: false,
        readOnlyRootFilesystem: false,
        allowPrivilegeEscalation: true,
        capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
      });
      expect(pod.volumes).toBeUndefined();
    });
  });

  describe('input errors', () => {
    test('invalid DNS-1123 service name', () => {
      expect(() => reviews({}, 'Reviews_Service')).toThrow(
        "[test/Reviews_Service] 'serviceName' must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters), got \"Reviews_Service\". Fix: use a name such as \"reviews-service\"");
    });

    test('invalid namespace', () => {
      expect(() => reviews({ namespace: 'Shop' })).toThrow(/\[test\/reviews\] 'namespace' must be a DNS-1123 label .*got "Shop"/);
    });

    test('invalid version name', () => {
      expect(() => reviews({ versions: [{ ...v1, name: 'V1.0' }] })).toThrow(/'versions\[0\]\.name' must be a DNS-1123 label .*got "V1\.0"/);
    });

    test('duplicate version names', () => {
      expect(() => reviews({ versions: [v1, { ...v2, name: 'v1' }] })).toThrow(
        "[test/reviews] 'versions[1].name' must be unique within a MeshService, got \"v1\". Fix: give each version a distinct name, e.g. v1 and v2");
    });

    test('no versions', () => {
      expect(() => reviews({ versions: [] })).toThrow(
        "[test/reviews] 'versions' must list at least one version, got []. Fix: add a version, e.g. versions: [{ name: 'v1', image: '...' }]");
    });

    test('port out of range', () => {
      expect(() => reviews({ ports: [{ port: 70000 }] })).toThrow(
        "[test/reviews] 'ports[0].port' must be a whole number between 1 and 65535, got 70000. Fix: use a valid TCP port number");
      expect(() => reviews({ ports: [{ port: 80, targetPort: 0 }] })).toThrow(/'ports\[0\]\.targetPort' must be a whole number between 1 and 65535, got 0/);
    });

    test('duplicated port number, name or target', () => {
      expect(() => reviews({ ports: [{ port: 80 }, { port: 80, protocol: Protocol.GRPC }] })).toThrow(
        "[test/reviews] 'ports[1].port' must be unique, but ports[0] also uses it, got 80. Fix: give each port its own number");
      expect(() => reviews({ ports: [{ port: 80, name: 'web' }, { port: 81, name: 'web' }] })).toThrow(/'ports\[1\]\.name' must be unique, but ports\[0\] is also named so, got "web"/);
      expect(() => reviews({ ports: [{ port: 80, targetPort: 8080 }, { port: 81, targetPort: 8080 }] })).toThrow(/'ports\[1\]\.targetPort' must be unique, but ports\[0\] also targets it, got 8080/);
    });

    test('port reserved by the Envoy sidecar', () => {
      expect(() => reviews({ ports: [{ port: 80, targetPort: 15001 }] })).toThrow(/'ports\[0\]\.targetPort' must not be a port the Envoy sidecar reserves .*got 15001/);
    });

    test('port name not an IANA service name', () => {
      expect(() => reviews({ ports: [{ port: 80, name: 'a-very-long-port-name' }] })).toThrow(/'ports\[0\]\.name' must be an IANA service name .*got "a-very-long-port-name"/);
    });

    test('unknown stableVersion', () => {
      expect(() => reviews({ stableVersion: 'v9' })).toThrow(
        "[test/reviews] 'stableVersion' must name one of the versions (\"v1\", \"v2\"), got \"v9\". Fix: set stableVersion to an existing version name or add that version");
    });

    test('negative or fractional replicas', () => {
      expect(() => reviews({ versions: [{ ...v1, replicas: -1 }] })).toThrow(/'versions\[0\]\.replicas' must be a whole number >= 0, got -1/);
    });

    test('empty image', () => {
      expect(() => reviews({ versions: [{ ...v1, image: '' }] })).toThrow(/'versions\[0\]\.image' must be a container image reference without whitespace, got ""/);
    });

    test('running as the sidecar UID or as root without opting out of ensureNonRoot', () => {
      expect(() => reviews({ security: { user: 1337 } })).toThrow(/'security\.user' must not be 1337, the UID of the Envoy sidecar/);
      expect(() => reviews({ security: { user: 0 } })).toThrow(
        "[test/reviews] 'security.user' must not be 0 (root) while ensureNonRoot is true, got 0. Fix: use a non-root UID, or set security.ensureNonRoot: false to run as root explicitly");
    });

    test('two services with the same name in one namespace', () => {
      const chart = Testing.chart();
      new MeshService(chart, 'a', { serviceName: 'users', versions: [v1] });
      expect(() => new MeshService(chart, 'b', { serviceName: 'users', versions: [v1] })).toThrow(
        "[test/b] 'serviceName' must be unique per namespace: test/a already declares host users.default.svc.cluster.local, got \"users\". Fix: give one of the services another serviceName or namespace");
    });

    test('deploymentOf an unknown version', () => {
      const { svc } = reviews();
      expect(() => svc.deploymentOf('v7')).toThrow(/'version' must name one of the versions \("v1", "v2"\), got "v7"/);
    });
  });

  describe('escape hatches', () => {
    test('ApiObject.of reaches the generated objects and JSON patches apply', () => {
      const { chart, svc } = reviews();
      ApiObject.of(svc.deploymentOf('v1')).addJsonPatch(JsonPatch.add('/spec/template/spec/priorityClassName', 'high'));
      svc.destinationRule.addJsonPatch(JsonPatch.add('/spec/exportTo', ['.']));
      svc.virtualService.addJsonPatch(JsonPatch.add('/spec/exportTo', ['.']));
      ApiObject.of(svc.service).metadata.addAnnotation('team', 'reviews');
      const out = synthAndValidate(chart);
      expect(findObject(out, 'Deployment', 'reviews-v1').spec.template.spec.priorityClassName).toBe('high');
      expect(findObject(out, 'DestinationRule', 'reviews').spec.exportTo).toEqual(['.']);
      expect(findObject(out, 'VirtualService', 'reviews').spec.exportTo).toEqual(['.']);
      expect(findObject(out, 'Service', 'reviews').metadata.annotations).toEqual({ team: 'reviews' });
    });

    test('getters return copies', () => {
      const { svc } = reviews();
      svc.versions.push('x');
      svc.ports.push({ port: 1 });
      expect(svc.versions).toEqual(['v1', 'v2']);
      expect(svc.ports).toHaveLength(1);
      expect(svc.host).toBe('reviews.default.svc.cluster.local');
      expect(svc.serviceAccountName).toBe('reviews');
    });
  });
});
