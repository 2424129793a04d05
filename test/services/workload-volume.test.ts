import { Size, Testing } from 'cdk8s';
import { EmptyDirMedium } from 'cdk8s-plus-28';
import { MeshService, MeshServiceVersion, WorkloadVolume } from '../../src';
import { err, findObject, synthAndValidate } from '../util';

function setup(volumes: WorkloadVolume[], extra: Partial<MeshServiceVersion> = {}, readOnlyRootFilesystem = true) {
  const chart = Testing.chart();
  const svc = new MeshService(chart, 'orders', {
    namespace: 'shop',
    versions: [{ name: 'v1', image: 'ghcr.io/acme/orders:1.0.0', volumes, ...extra }],
    security: { readOnlyRootFilesystem },
  });
  return { chart, svc };
}

const podOf = (chart: any) => findObject(synthAndValidate(chart), 'Deployment', 'orders-v1').spec.template.spec;

describe('MeshService version volumes', () => {
  test('emptyDir (medium, sizeLimit, readOnly), configMap and secret are mounted into the app container', () => {
    // GIVEN a version with one volume of each kind
    const { chart } = setup([
      WorkloadVolume.emptyDir({ name: 'cache', path: '/var/cache/orders', medium: EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(64) }),
      WorkloadVolume.emptyDir({ name: 'uploads', path: '/srv/uploads', sizeLimit: Size.gibibytes(1) }),
      WorkloadVolume.emptyDir({ name: 'seed', path: '/srv/seed', readOnly: true }),
      WorkloadVolume.configMap({ name: 'config', path: '/etc/orders', configMapName: 'orders-config', items: { 'app.yaml': 'config/app.yaml' } }),
      WorkloadVolume.secret({ name: 'db', path: '/var/run/secrets/db', secretName: 'orders-db', optional: true }),
      WorkloadVolume.secret({ name: 'tls', path: '/var/run/secrets/tls', secretName: 'orders-tls', defaultMode: 0o400 }),
    ]);
    // WHEN synthesized
    const pod = podOf(chart);
    // THEN the default /tmp stays and each volume is declared and mounted as asked
    expect(pod.volumes).toEqual([
      { name: 'tmp', emptyDir: {} },
      { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      { name: 'uploads', emptyDir: { sizeLimit: '1024Mi' } },
      { name: 'seed', emptyDir: {} },
      { name: 'config', configMap: { name: 'orders-config', defaultMode: 0o444, items: [{ key: 'app.yaml', path: 'config/app.yaml' }] } },
      { name: 'db', secret: { secretName: 'orders-db', defaultMode: 0o440, optional: true } },
      { name: 'tls', secret: { secretName: 'orders-tls', defaultMode: 0o400 } },
    ]);
    expect(pod.containers[0].volumeMounts).toEqual([
      { mountPath: '/tmp', name: 'tmp' },
      { mountPath: '/var/cache/orders', name: 'cache', readOnly: false },
      { mountPath: '/srv/uploads', name: 'uploads', readOnly: false },
      { mountPath: '/srv/seed', name: 'seed', readOnly: true },
      { mountPath: '/etc/orders', name: 'config', readOnly: true },
      { mountPath: '/var/run/secrets/db', name: 'db', readOnly: true },
      { mountPath: '/var/run/secrets/tls', name: 'tls', readOnly: true },
    ]);
    // AND the root filesystem stays read-only
    expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    expect(pod).toMatchSnapshot();
  });

  test('a volume at /tmp replaces the default one; versions get their own volumes', () => {
    const { chart, svc } = setup([WorkloadVolume.emptyDir({ name: 'tmp', path: '/tmp', sizeLimit: Size.mebibytes(32) })]);
    svc.addVersion({ name: 'v2', image: 'ghcr.io/acme/orders:2.0.0', volumes: [WorkloadVolume.emptyDir({ name: 'scratch', path: '/scratch' })] });
    const out = synthAndValidate(chart);
    const v1 = findObject(out, 'Deployment', 'orders-v1').spec.template.spec;
    expect(v1.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '32Mi' } }]);
    expect(v1.containers[0].volumeMounts).toEqual([{ mountPath: '/tmp', name: 'tmp', readOnly: false }]);
    const v2 = findObject(out, 'Deployment', 'orders-v2').spec.template.spec;
    expect(v2.volumes).toEqual([{ name: 'tmp', emptyDir: {} }, { name: 'scratch', emptyDir: {} }]);
  });

  test('with a writable root filesystem there is no default /tmp and the name tmp is free', () => {
    const { chart } = setup([WorkloadVolume.emptyDir({ name: 'tmp', path: '/work' })], {}, false);
    expect(podOf(chart).volumes).toEqual([{ name: 'tmp', emptyDir: {} }]);
  });

  describe('validation', () => {
    const V = (volumes: WorkloadVolume[]) => err(() => setup(volumes));

    test('names', () => {
      expect(V([WorkloadVolume.emptyDir({ name: 'Cache_Dir', path: '/cache' })])).toBe(
        "[test/orders] 'versions[0].volumes[0].name' must be a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters), got \"Cache_Dir\". Fix: use \"cache-dir\"");
      expect(V([WorkloadVolume.emptyDir({ name: 'istio-data', path: '/cache' })])).toBe(
        "[test/orders] 'versions[0].volumes[0].name' must not be a volume name the Istio sidecar injector adds to the pod (istio-*, istiod-*, credential-socket, workload-socket, " +
        "workload-certs, gke-workload-certificate, custom-bootstrap-volume, lightstep-certs), got \"istio-data\". Fix: choose a name after what the volume holds, e.g. 'cache' or 'config'");
      expect(V([WorkloadVolume.emptyDir({ name: 'workload-socket', path: '/cache' })])).toContain("'versions[0].volumes[0].name' must not be a volume name the Istio sidecar injector adds");
      expect(V([WorkloadVolume.emptyDir({ name: 'cache', path: '/a' }), WorkloadVolume.configMap({ name: 'cache', path: '/b', configMapName: 'c' })])).toBe(
        "[test/orders] 'versions[0].volumes[1].name' must be unique within the version, but volumes[0] is also named so, got \"cache\". Fix: give each volume its own name");
      expect(V([WorkloadVolume.emptyDir({ name: 'tmp', path: '/scratch' })])).toBe(
        "[test/orders] 'versions[0].volumes[0].name' must not be 'tmp', the default /tmp emptyDir of a read-only root filesystem, got \"tmp\". " +
        "Fix: choose another name, or mount this volume at '/tmp' to replace the default one");
    });

    test('mount paths', () => {
      expect(V([WorkloadVolume.emptyDir({ name: 'cache', path: 'var/cache' })])).toBe(
        "[test/orders] 'versions[0].volumes[0].path' must be an absolute path below '/' (the container's root is the image), got \"var/cache\". Fix: use \"/var/cache\"");
      expect(V([WorkloadVolume.emptyDir({ name: 'cache', path: '/' })])).toContain("'versions[0].volumes[0].path' must be an absolute path below '/'");
      expect(V([WorkloadVolume.emptyDir({ name: 'cache', path: '/var/../etc/' })])).toBe(
        "[test/orders] 'versions[0].volumes[0].path' must be a normalized absolute path (no '.' or '..' segments, no '//', no trailing '/', no ':' or whitespace), " +
        'got "/var/../etc/". Fix: use "/var/etc"');
      expect(V([WorkloadVolume.emptyDir({ name: 'a', path: '/data' }), WorkloadVolume.secret({ name: 'b', path: '/data', secretName: 's' })])).toBe(
        "[test/orders] 'versions[0].volumes[1].path' must be unique within the version, but volumes[0] is also mounted there, got \"/data\". " +
        'Fix: mount each volume at its own path (one volume can hold several files)');
    });

    test('emptyDir fields', () => {
      expect(V([WorkloadVolume.emptyDir({ name: 'cache', path: '/cache', sizeLimit: Size.kibibytes(512) })])).toBe(
        "[test/orders] 'versions[0].volumes[0].sizeLimit' must be a whole number of mebibytes, at least 1, got \"0.5Mi\". Fix: use e.g. Size.mebibytes(256) or Size.gibibytes(1)");
      // a wrong enum value is stopped at the factory (jsii boundary check)
      expect(() => WorkloadVolume.emptyDir({ name: 'cache', path: '/cache', medium: 'Disk' as any })).toThrow(
        "[WorkloadVolume.emptyDir] 'medium' must be an EmptyDirMedium (one of EmptyDirMedium.DEFAULT, EmptyDirMedium.MEMORY), got \"Disk\". Fix: use a member of the EmptyDirMedium enum, e.g. EmptyDirMedium.DEFAULT");
    });

    test('configMap and secret fields', () => {
      expect(V([WorkloadVolume.configMap({ name: 'config', path: '/etc/app', configMapName: 'App_Config' })])).toBe(
        "[test/orders] 'versions[0].volumes[0].configMapName' must name a ConfigMap (a DNS-1123 subdomain) in the service's namespace, got \"App_Config\". " +
        'Fix: pass the ConfigMap\'s metadata.name, e.g. "app-config"');
      expect(V([WorkloadVolume.secret({ name: 'db', path: '/db', secretName: '' })])).toContain(
        "'versions[0].volumes[0].secretName' must name a Secret (a DNS-1123 subdomain) in the service's namespace, got \"\"");
      expect(V([WorkloadVolume.secret({ name: 'db', path: '/db', secretName: 'db', defaultMode: 0o1777 })])).toBe(
        "[test/orders] 'versions[0].volumes[0].defaultMode' must be permission bits between 0 and 0o777 (511), got 1023. Fix: use e.g. 0o440 (owner and group read)");
      expect(V([WorkloadVolume.configMap({ name: 'c', path: '/c', configMapName: 'c', items: { 'a b': 'a' } })])).toBe(
        "[test/orders] 'versions[0].volumes[0].items' must use ConfigMap keys (letters, digits, '-', '_' and '.'), got \"a b\". Fix: use the key as it appears in the ConfigMap's data");
      expect(V([WorkloadVolume.configMap({ name: 'c', path: '/c', configMapName: 'c', items: { 'app.yaml': '../app.yaml' } })])).toBe(
        "[test/orders] 'versions[0].volumes[0].items[\"app.yaml\"]' must be a relative file path below the mount path (no leading '/', no '.', '..' or empty segments), " +
        'got "../app.yaml". Fix: use e.g. "app.yaml"');
      expect(V([WorkloadVolume.secret({ name: 's', path: '/s', secretName: 's', items: { a: 'x', b: 'x' } })])).toBe(
        "[test/orders] 'versions[0].volumes[0].items[\"b\"]' must not repeat the file path of key \"a\", got \"x\". Fix: give each key its own file path");
    });

    test('not a volume; nothing is emitted for a rejected version', () => {
      expect(V(['/data' as any])).toBe(
        "[test/orders] 'versions[0].volumes[0]' must be a WorkloadVolume object, got \"/data\". Fix: create it with the WorkloadVolume API (its static methods or constructor), not a plain object");
      const { chart, svc } = setup([]);
      expect(() => svc.addVersion({ name: 'v2', image: 'x:2', volumes: [WorkloadVolume.emptyDir({ name: 'a', path: 'rel' })] })).toThrow("'versions[1].volumes[0].path'");
      expect(svc.versions).toEqual(['v1']);
      expect(synthAndValidate(chart).filter((o) => o.kind === 'Deployment').map((d) => d.metadata.name)).toEqual(['orders-v1']);
    });
  });
});
