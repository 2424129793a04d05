import { Chart, Testing } from 'cdk8s';
import { MeshModel, MeshSnapshot, PortModel, ServiceModel, ServiceSnapshot } from '../../src/model';
import { snapshotOf } from '../../src/model/resolve';
import { MatchModel, ReleaseModel } from '../../src/model/traffic';

/**
 * A mesh model built by hand (no constructs): what the renderers read. The
 * chart is only where the model lives and where rendered specs are wrapped in
 * L1 objects for the strict validators.
 */
export function handModel(): { chart: Chart; model: MeshModel } {
  const chart = Testing.chart();
  return { chart, model: MeshModel.of(chart) };
}

export const HTTP_80: PortModel = { name: 'http', port: 80, targetPort: 8080, protocol: 'http' };
export const TCP_5432: PortModel = { name: 'tcp-db', port: 5432, targetPort: 5432, protocol: 'tcp' };

/** Registers a service `name` in namespace `shop` with the given versions (the first is stable) and ports. */
export function addService(model: MeshModel, name: string, versions: string[] = ['v1'], ports: PortModel[] = [HTTP_80]): ServiceModel {
  const service: ServiceModel = {
    path: `test/${name}`,
    name,
    namespace: 'shop',
    host: `${name}.shop.svc.cluster.local`,
    serviceAccount: name,
    selector: { app: name },
    ports,
    versions: versions.map((v) => ({ name: v, replicas: 1, podLabels: { app: name, version: v } })),
    stableVersion: versions[0],
  };
  expect(model.addService(service)).toBeUndefined();
  return service;
}

export function match(partial: Partial<MatchModel>): MatchModel {
  return { headers: [], queryParams: [], ignoreUriCase: false, ...partial };
}

/** Registers a canary release of `service`: `canaryWeight`% to `canary`, testers with `x-canary: always` pinned to it. */
export function addCanary(model: MeshModel, service: ServiceModel, stable: string, canary: string, canaryWeight: number,
  extra: Partial<ReleaseModel> = {}): ReleaseModel {
  const release: ReleaseModel = {
    path: `test/${service.name}-canary`,
    kind: 'canary',
    stable,
    canary,
    canaryWeight,
    pinned: [match({ headers: [{ name: 'x-canary', match: { kind: 'exact', value: 'always' } }] })],
    ...extra,
  };
  model.addRelease(service.host, release);
  return release;
}

/** The snapshot of the hand-built model. */
export function snapshot(model: MeshModel): MeshSnapshot {
  return snapshotOf(model);
}

/** A service as the snapshot resolved it. */
export function snap(model: MeshModel, service: Pick<ServiceModel, 'host'>): ServiceSnapshot {
  const s = snapshotOf(model).service(service.host);
  if (!s) throw new Error(`${service.host} is not in the snapshot`);
  return s;
}

/** The snapshot of an empty app with some fields replaced (for renderers that read only those). */
export function snapshotWith(overrides: Partial<MeshSnapshot>): MeshSnapshot {
  return { ...snapshotOf(new MeshModel()), ...overrides };
}

/** The snapshot of an empty app whose mesh has this trust domain. */
export function meshWithTrustDomain(trustDomain: string): MeshSnapshot {
  const empty = snapshotOf(new MeshModel());
  return { ...empty, mesh: { ...empty.mesh, trustDomain } };
}
