import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { MeshSnapshot } from '../model/snapshot';
import {
  CLUSTER_SCOPED_KINDS, SYNC_OPTIONS_ANNOTATION, SYNC_WAVE_ANNOTATION, SYNC_WAVES, SyncedObject, SyncPhaseName, syncOptionsOf, syncPhaseOf,
} from '../render/argo-cd';
import { ISTIOD_MANAGED_WEBHOOK_FIELDS } from '../render/control-plane/webhooks';

/**
 * The GitOps step of the synthesis pipeline: with `GitOps.argoCd()` in the
 * app, every object of every chart (the Argo CD chart's own excepted) gets
 * its sync wave and sync options, derived from its kind and the construct
 * that owns it; and the plan of each chart's Argo CD Application (its wave,
 * the fields it ignores, its namespaces and cluster-scoped kinds).
 */

/** An object of a chart, with what the GitOps rendering reads of it. */
interface ChartObject {
  readonly object: ApiObject;
  readonly synced: SyncedObject;
  readonly phase: SyncPhaseName;
}

/** One `ignoreDifferences` entry of an Application. */
export interface IgnoreEntry {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly jq: readonly string[];
}

/** What a chart's Application carries. */
export interface ChartPlan {
  /** The earliest wave of the chart's objects. */
  readonly wave: number;
  readonly ignore: readonly IgnoreEntry[];
  /** True when a run-time controller (Argo Rollouts) owns fields of the chart's objects. */
  readonly hasManaged: boolean;
}

/** The charts whose objects Argo CD syncs: every chart but the Argo CD chart itself. */
export function syncedCharts(root: IConstruct, snapshot: MeshSnapshot): Chart[] {
  return root.node.findAll().filter((c): c is Chart => c instanceof Chart && c.node.path !== snapshot.gitops.argoCd?.path);
}

function ownerOf(o: ApiObject, snapshot: MeshSnapshot): SyncedObject['owner'] {
  const under = (path: string) => o.node.path.startsWith(`${path}/`);
  if (snapshot.controlPlanes.some((cp) => under(cp.path))) return 'control-plane';
  return snapshot.gateways.some((g) => !g.attached && under(g.path)) ? 'gateway' : 'other';
}

/** The API objects whose closest chart is `chart`, in tree order. */
function chartObjects(chart: Chart, snapshot: MeshSnapshot): ChartObject[] {
  return chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject && Chart.of(c) === chart).map((object) => {
    const synced: SyncedObject = { kind: object.kind, apiGroup: object.apiGroup, owner: ownerOf(object, snapshot) };
    return { object, synced, phase: syncPhaseOf(synced) };
  });
}

/** `<group>/<kind>` of every CRD of the chart. */
function crdsOf(objects: readonly ChartObject[]): Set<string> {
  return new Set(objects.filter((o) => o.object.kind === 'CustomResourceDefinition').map((o) => {
    const spec = o.object.toJson().spec;
    return `${spec.group}/${spec.names.kind}`;
  }));
}

/** Annotates every synced object with its sync wave and sync options (idempotent). */
export function annotateForArgoCd(root: IConstruct, snapshot: MeshSnapshot): void {
  if (!snapshot.gitops.argoCd) return;
  for (const chart of syncedCharts(root, snapshot)) {
    const objects = chartObjects(chart, snapshot);
    const crds = crdsOf(objects);
    for (const o of objects) {
      o.object.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(SYNC_WAVES[o.phase]));
      const bytes = o.object.kind === 'CustomResourceDefinition' ? Buffer.byteLength(JSON.stringify(o.object.toJson())) : undefined;
      const options = syncOptionsOf(o.synced, crds, bytes);
      if (options.length) o.object.metadata.addAnnotation(SYNC_OPTIONS_ANNOTATION, options.join(','));
    }
  }
}

/** The plan of a chart's Application. */
export function planChart(chart: Chart, root: IConstruct, snapshot: MeshSnapshot): ChartPlan {
  const objects = chartObjects(chart, snapshot);
  const ignore: IgnoreEntry[] = [];
  for (const o of objects) {
    const managed = ISTIOD_MANAGED_WEBHOOK_FIELDS[o.object.kind as keyof typeof ISTIOD_MANAGED_WEBHOOK_FIELDS];
    if (o.object.apiGroup === 'admissionregistration.k8s.io' && managed) {
      ignore.push({ group: 'admissionregistration.k8s.io', kind: o.object.kind, name: o.object.name, jq: [...managed] });
    }
  }
  const byPath = new Map(root.node.findAll().map((c) => [c.node.path, c]));
  const managed = snapshot.gitops.managedFields.filter((m) => {
    const owner = byPath.get(m.ownerPath);
    return owner !== undefined && Chart.of(owner) === chart;
  });
  for (const m of managed) ignore.push({ group: m.group, kind: m.kind, name: m.name, namespace: m.namespace, jq: [...m.jqPathExpressions] });
  const wave = Math.min(...objects.map((o) => SYNC_WAVES[o.phase]));
  return { wave: Number.isFinite(wave) ? wave : SYNC_WAVES.MESH, ignore, hasManaged: managed.length > 0 };
}

/** The namespaces and cluster-scoped kinds of the synced objects (what the AppProject must allow). */
export function syncedScope(root: IConstruct, snapshot: MeshSnapshot): { namespaces: string[]; clusterKinds: { group: string; kind: string }[] } {
  const namespaces = new Set<string>();
  const clusterKinds = new Map<string, { group: string; kind: string }>();
  for (const chart of syncedCharts(root, snapshot)) {
    for (const { object } of chartObjects(chart, snapshot)) {
      const ns = object.toJson().metadata?.namespace;
      if (ns) namespaces.add(ns);
      if (!CLUSTER_SCOPED_KINDS.has(object.kind)) continue;
      // Argo CD names the core API group '' (cdk8s calls it 'core')
      const group = object.apiGroup === 'core' ? '' : object.apiGroup;
      clusterKinds.set(`${group}/${object.kind}`, { group, kind: object.kind });
    }
  }
  return {
    namespaces: [...namespaces],
    clusterKinds: [...clusterKinds.values()].sort((a, b) => `${a.group}/${a.kind}`.localeCompare(`${b.group}/${b.kind}`)),
  };
}
