import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { IConstruct } from 'constructs';
import { annotateForArgoCd } from './gitops';
import { ObjectSlot } from './object-slot';
import { errorsFor, findingsOf, isFatal } from '../analysis/analyze';
import { TREE_RULE_CATALOG } from '../analysis/catalog';
import { Gateway } from '../imports/gateway.networking.k8s.io';
import { AuthorizationPolicy } from '../imports/security.istio.io';
import { Diagnostic } from '../model/core';
import { MeshModel } from '../model/mesh-model';
import { snapshotOf } from '../model/resolve';
import { MeshSnapshot } from '../model/snapshot';
import { propMessage } from '../private/errors';
import { isMeshApp } from '../private/mesh-app-marker';
import { renderMetricsScrapeSpec, renderWaypointGuardSpec } from '../render/authorization-policy';
import { renderWaypointSpec, waypointLabels } from '../render/waypoint';

/**
 * The synthesis pipeline of a mesh app: constructs record intent in the
 * app's `MeshModel`; at synth, `resolve()` builds the snapshot once, the
 * analysis reads it, and the objects whose presence only the whole app
 * decides are attached from it (`ObjectSlot`s, namespace waypoints, the
 * waypoint-only guards), before cdk8s renders anything. Every other object
 * was attached by its construct, with a spec rendered from the snapshot.
 *
 * cdk8s renders an app after validating it, so the pipeline runs as the
 * validation of the app root, which cdk8s validates first; it is installed
 * once per app, when the first mesh construct asks for the model.
 */

/** The model of the app `scope` belongs to; installs the synthesis pipeline on the app root the first time. */
export function meshOf(scope: IConstruct): MeshModel {
  const model = MeshModel.of(scope);
  if (model.claimPipeline()) {
    const root = scope.node.root;
    root.node.addValidation({ validate: () => synthesize(root, model) });
  }
  return model;
}

/** Reports the fatal findings of the mesh analysis on `construct` (the ones whose path is its own). */
export function addMeshValidation(construct: IConstruct): void {
  const model = meshOf(construct);
  construct.node.addValidation({ validate: () => errorsFor(model, construct.node.path) });
}

/** Runs the pipeline; returns the app root's own findings (see `unsurfacedFindings`) and those of the tree rules. */
function synthesize(root: IConstruct, model: MeshModel): string[] {
  const snapshot = snapshotOf(model);
  attachRendered(root, snapshot);
  annotateForArgoCd(root, snapshot);
  return [
    ...plainApp(root),
    ...unsurfacedFindings(root, model).map((d) => `[${d.path}] ${d.code}: ${d.message}`),
    ...TREE_RULE_CATALOG.flatMap((rule) => rule.check(root, snapshot)).map((d) => `[${d.path}] ${d.code}: ${d.message}`),
  ];
}

/**
 * A plain cdk8s `App` would write the manifests without `mesh.md`, without
 * printing the analysis warnings and without keeping the last good output:
 * mesh programs use `MeshApp`. `Testing.app()` (its output folder is a
 * `cdk8s.outdir.*` temporary folder) renders charts for tests and is accepted.
 */
function plainApp(root: IConstruct): string[] {
  if (!(root instanceof App) || isMeshApp(root)) return [];
  const outdir = path.resolve(root.outdir);
  if (path.dirname(outdir) === path.resolve(os.tmpdir()) && path.basename(outdir).startsWith('cdk8s.outdir.')) return [];
  return [propMessage('app', 'must be a MeshApp for mesh constructs (a plain cdk8s App writes no mesh.md, prints no analysis warnings and does not keep the last good output)',
    'App', "create the app with `new MeshApp()` (import { MeshApp } from 'cdk8s-mesh') instead of `new App()`; in tests, `Testing.app()` is accepted")];
}

/**
 * Attaches what the snapshot decides: the content of every `ObjectSlot`, the
 * policy that admits the app's Prometheus on an ambient service's metrics
 * port, the waypoint of each ambient namespace that needs one (under the
 * first construct that needs it) and the guard that lets an ambient
 * service's pods accept its waypoint only. Idempotent.
 */
export function attachRendered(root: IConstruct, snapshot: MeshSnapshot): void {
  const byPath = new Map(root.node.findAll().map((c) => [c.node.path, c]));
  for (const c of byPath.values()) if (c instanceof ObjectSlot) c._fill(snapshot);
  for (const s of snapshot.services) {
    const owner = byPath.get(s.path);
    if (s.scrapePrincipals.length === 0 || !owner || owner.node.tryFindChild('MetricsScrape')) continue;
    new AuthorizationPolicy(owner, 'MetricsScrape', {
      metadata: { name: `${s.name}-metrics-scrape`, namespace: s.namespace, labels: { 'app': s.name, 'app.kubernetes.io/name': s.name } },
      spec: renderMetricsScrapeSpec(s),
    });
  }
  for (const w of snapshot.waypoints) {
    const owner = byPath.get(w.ownerPath);
    if (!owner || owner.node.tryFindChild('Waypoint')) continue;
    new Gateway(owner, 'Waypoint', {
      metadata: { name: w.name, namespace: w.namespace, labels: waypointLabels(w.revision) },
      spec: renderWaypointSpec(w.revision),
    });
  }
  for (const s of snapshot.services) {
    const owner = byPath.get(s.path);
    if (!s.waypointOnly || !owner || owner.node.tryFindChild('WaypointGuard')) continue;
    new AuthorizationPolicy(owner, 'WaypointGuard', {
      metadata: { name: `${s.name}-waypoint-only`, namespace: s.namespace, labels: { 'app': s.name, 'app.kubernetes.io/name': s.name } },
      spec: renderWaypointGuardSpec(snapshot, s),
    });
  }
}

/**
 * Fatal findings that no construct reports: their path names no construct,
 * or that construct's validations do not include them. The app root reports
 * them rather than losing them.
 */
export function unsurfacedFindings(root: IConstruct, model: MeshModel): Diagnostic[] {
  const snapshot = snapshotOf(model);
  const fatal = findingsOf(model).filter((d) => isFatal(snapshot, d));
  if (fatal.length === 0) return [];
  const byPath = new Map<string, IConstruct>();
  for (const c of root.node.findAll()) byPath.set(c.node.path, c);
  const reported = new Map<string, Set<string>>();
  return fatal.filter((d) => {
    const c = byPath.get(d.path);
    if (!c || c === root) return true;
    let messages = reported.get(d.path);
    if (!messages) reported.set(d.path, (messages = new Set(c.node.validate())));
    return !messages.has(`${d.code}: ${d.message}`);
  });
}
