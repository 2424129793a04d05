import * as fs from 'fs';
import * as path from 'path';
import { Chart, Duration, Testing } from 'cdk8s';
import * as YAML from 'yaml';
import { DataPlaneMode, GitOps, IstioControlPlane, MeshNamespace, MeshService } from '../../src';
import { findObjects, GATEWAY_API_CRD_DIR, synthAndValidate, synthAppAndValidate } from '../util';

const WAVE = 'argocd.argoproj.io/sync-wave';
const OPTIONS = 'argocd.argoproj.io/sync-options';

/** The CRDs of the pinned release's standard channel, read from ../shared (not from the package). */
function releaseCrds(): any[] {
  return fs.readdirSync(GATEWAY_API_CRD_DIR).filter((f) => f.endsWith('.yaml')).sort()
    .flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(path.join(GATEWAY_API_CRD_DIR, f), 'utf8')).map((d) => d.toJS()))
    .filter((d) => d && d.kind === 'CustomResourceDefinition')
    // the one deliberate difference: the empty `status` stub of the upstream files is not emitted
    .map(({ status: _status, ...crd }) => crd);
}

describe('IstioControlPlane gatewayApiCrds', () => {
  test('off by default: no Gateway API CRD', () => {
    const chart = Testing.chart();
    new IstioControlPlane(chart, 'istio');
    const groups = findObjects(synthAndValidate(chart), 'CustomResourceDefinition').map((c) => c.spec.group);
    expect(groups).not.toContain('gateway.networking.k8s.io');
  });

  const gatewayApiCrdKinds = (objects: any[]) => findObjects(objects, 'CustomResourceDefinition')
    .filter((c) => c.spec.group === 'gateway.networking.k8s.io').map((c) => c.spec.names.kind).sort();

  test('on by default with the ambient data plane (its waypoints are Gateway API Gateways)', () => {
    const chart = Testing.chart();
    new IstioControlPlane(chart, 'istio', { dataPlane: DataPlaneMode.AMBIENT });
    const objects = synthAndValidate(chart);
    expect(gatewayApiCrdKinds(objects)).toEqual(
      ['BackendTLSPolicy', 'GRPCRoute', 'Gateway', 'GatewayClass', 'HTTPRoute', 'ListenerSet', 'ReferenceGrant', 'TLSRoute']);
    // beside the Istio CRDs
    expect(findObjects(objects, 'CustomResourceDefinition').some((c) => c.spec.group === 'networking.istio.io')).toBe(true);
  });

  test('ambient with gatewayApiCrds: false (cluster has them) or crds: false (CRDs managed elsewhere): none emitted, waypoints still are', () => {
    for (const props of [{ gatewayApiCrds: false }, { crds: false }]) {
      const chart = new Chart(Testing.app(), 'test', { namespace: 'shop' });
      new IstioControlPlane(chart, 'istio', { dataPlane: DataPlaneMode.AMBIENT, ...props });
      new MeshNamespace(chart, 'shop', { dataPlaneMode: DataPlaneMode.AMBIENT });
      new MeshService(chart, 'reviews', { versions: [{ name: 'v1', image: 'ghcr.io/acme/reviews:1.0.0' }] }).addRoute({ name: 'all', timeout: Duration.seconds(2) });
      const objects = synthAndValidate(chart);
      expect(gatewayApiCrdKinds(objects)).toEqual([]);
      expect(findObjects(objects, 'Gateway').map((g) => g.spec.gatewayClassName)).toEqual(['istio-waypoint']);
    }
  });

  test('ambient with crds: false but gatewayApiCrds: true emits only the Gateway API CRDs', () => {
    const chart = Testing.chart();
    new IstioControlPlane(chart, 'istio', { dataPlane: DataPlaneMode.AMBIENT, crds: false, gatewayApiCrds: true });
    const objects = synthAndValidate(chart);
    expect(gatewayApiCrdKinds(objects)).toHaveLength(8);
    expect(findObjects(objects, 'CustomResourceDefinition')).toHaveLength(8);
  });

  test('gatewayApiCrds: true emits the 8 standard-channel CRDs of v1.5.1, unchanged but for the status stub', () => {
    const chart = Testing.chart();
    new IstioControlPlane(chart, 'istio', { crds: false, gatewayApiCrds: true });
    const emitted = findObjects(synthAndValidate(chart), 'CustomResourceDefinition');
    const release = releaseCrds();
    expect(emitted.map((c) => c.spec.names.kind).sort()).toEqual(
      ['BackendTLSPolicy', 'GRPCRoute', 'Gateway', 'GatewayClass', 'HTTPRoute', 'ListenerSet', 'ReferenceGrant', 'TLSRoute']);
    for (const crd of emitted) {
      expect(crd).toEqual(release.find((c) => c.metadata.name === crd.metadata.name));
      expect(crd.metadata.annotations['gateway.networking.k8s.io/bundle-version']).toBe('v1.5.1');
      expect(crd.metadata.annotations['gateway.networking.k8s.io/channel']).toBe('standard');
    }
  });

  test('two control planes side by side (canary upgrade) emit them once', () => {
    const chart = Testing.chart();
    new IstioControlPlane(chart, 'istio', { crds: false, gatewayApiCrds: true });
    new IstioControlPlane(chart, 'canary', { crds: false, gatewayApiCrds: true, revision: '1-30' });
    expect(findObjects(synthAndValidate(chart), 'CustomResourceDefinition')).toHaveLength(8);
  });

  test('GitOps: the same sync wave as the Istio CRDs; no server-side apply needed (all under the client-side limit)', () => {
    const app = Testing.app();
    const cp = new Chart(app, 'cp');
    new IstioControlPlane(cp, 'istio', { gatewayApiCrds: true });
    GitOps.argoCd(app, { repoUrl: 'https://github.com/acme/deploy.git' });
    const crds = findObjects(synthAppAndValidate(app).get('cp')!.objects, 'CustomResourceDefinition');
    const waves = new Set(crds.map((c) => c.metadata.annotations[WAVE]));
    expect([...waves]).toEqual(['-3']);
    // the largest one (HTTPRoute, 243,898 bytes as JSON) stays under the 256 KiB client-side apply limit
    const httpRoutes = crds.find((c) => c.metadata.name === 'httproutes.gateway.networking.k8s.io');
    expect(Buffer.byteLength(JSON.stringify(httpRoutes))).toBeLessThan(256 * 1024);
    expect(httpRoutes.metadata.annotations[OPTIONS] ?? '').not.toContain('ServerSideApply=true');
  });
});
