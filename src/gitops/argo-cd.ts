import { ApiObject, App, Chart, Names } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ArgoCdApplication, ArgoCdGroupKind, ArgoCdProject, IN_CLUSTER } from './argo-cd-application';
import { IstioControlPlane } from '../control-plane/istio-control-plane';
import { ISTIOD_MANAGED_WEBHOOK_FIELDS } from '../control-plane/private/webhooks';
import { MeshGateway } from '../gateways/mesh-gateway';
import { MeshModel } from '../model';
import { finalizeAmbient } from '../model/ambient';
import { GitOpsRule, managedFieldsOf } from '../model/gitops';
import { propError, propMessage } from '../private/errors';
import { checkArgs } from '../private/runtime-types';

/** Annotation that orders objects within one Argo CD sync. */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
/** Annotation with per-object Argo CD sync options. */
export const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';
/** Client-side apply stores the whole object in an annotation, limited to 256 KiB. */
export const CLIENT_SIDE_APPLY_LIMIT_BYTES = 256 * 1024;

/**
 * The phases of a mesh install, in the order Argo CD applies them.
 */
export enum SyncPhase {
  /** CustomResourceDefinitions and Namespaces: everything else refers to them. */
  CRDS = 'CRDS',
  /** istiod, its RBAC, config and webhooks. */
  CONTROL_PLANE = 'CONTROL_PLANE',
  /** Gateways (their pods are injected by istiod) and Istio config of the control plane (validated by istiod). */
  GATEWAYS = 'GATEWAYS',
  /** Mesh configuration and workloads. */
  MESH = 'MESH',
}

const WAVES: Record<SyncPhase, number> = {
  [SyncPhase.CRDS]: -3,
  [SyncPhase.CONTROL_PLANE]: -2,
  [SyncPhase.GATEWAYS]: -1,
  [SyncPhase.MESH]: 0,
};

/** The `argocd.argoproj.io/sync-wave` value of a phase. */
export function syncWaveOf(phase: SyncPhase): number {
  return WAVES[phase];
}

const CLUSTER_SCOPED = new Set([
  'CustomResourceDefinition', 'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration', 'PriorityClass', 'StorageClass', 'PersistentVolume', 'IngressClass', 'APIService',
]);
const ISTIO_GROUP = /\.istio\.io$/;

/**
 * Properties of `GitOps.argoCd()`.
 */
export interface ArgoCdGitOpsProps {
  /** Git repository the synthesized manifests are committed to. */
  readonly repoUrl: string;

  /**
   * Branch, tag or commit Argo CD syncs.
   *
   * @default 'HEAD'
   */
  readonly targetRevision?: string;

  /**
   * Directory of the synthesized manifests in the repository (the cdk8s
   * `outdir`, one `<chart>.k8s.yaml` per chart).
   *
   * @default 'dist'
   */
  readonly path?: string;

  /**
   * Namespace Argo CD runs in.
   *
   * @default 'argocd'
   */
  readonly namespace?: string;

  /**
   * Name of the AppProject of every Application (created with least
   * privilege: this repository, the namespaces and the cluster-scoped kinds
   * of the output only).
   *
   * @default 'mesh'
   */
  readonly projectName?: string;

  /**
   * Name of the root (app-of-apps) Application, which applies the
   * Applications of this chart (including itself).
   *
   * @default 'mesh'
   */
  readonly rootApplicationName?: string;

  /**
   * Cluster API server to deploy to.
   *
   * @default 'https://kubernetes.default.svc'
   */
  readonly destinationServer?: string;
}

/**
 * Argo CD's health assessment for `argoproj.io/Application`, in Lua: Healthy
 * once the child Application is Synced and Healthy, Degraded when it is
 * Degraded, Progressing otherwise. Argo CD does not assess Applications'
 * health by default (since 1.8), so an app-of-apps does not wait for one
 * child before the next sync wave; with this script in `argocd-cm` under
 * `resource.customizations.health.argoproj.io_Application` it does.
 *
 * @see https://argo-cd.readthedocs.io/en/stable/operator-manual/health/#argocd-app
 */
export const APPLICATION_HEALTH_LUA = [
  'local hs = {}',
  'hs.status = "Progressing"',
  'hs.message = "waiting for the Application to be synced and healthy"',
  'if obj.status == nil then',
  '  return hs',
  'end',
  'local health = "Unknown"',
  'local sync = "Unknown"',
  'if obj.status.health ~= nil and obj.status.health.status ~= nil then',
  '  health = obj.status.health.status',
  'end',
  'if obj.status.sync ~= nil and obj.status.sync.status ~= nil then',
  '  sync = obj.status.sync.status',
  'end',
  'if health == "Degraded" then',
  '  hs.status = "Degraded"',
  '  hs.message = "Application is Degraded"',
  '  if obj.status.health.message ~= nil then',
  '    hs.message = obj.status.health.message',
  '  end',
  'elseif health == "Healthy" and sync == "Synced" then',
  '  hs.status = "Healthy"',
  '  hs.message = "Application is Synced and Healthy"',
  'else',
  '  hs.message = "Application is " .. sync .. " and " .. health',
  'end',
  'return hs',
  '',
].join('\n');

/**
 * Argo CD for a mesh App: call `GitOps.argoCd(app, props)` after the whole
 * App is declared (just before `app.synth()`).
 *
 * It annotates every object of the App with its sync wave, derived from the
 * construct graph (CRDs and Namespaces -> control plane -> gateways -> mesh
 * config and workloads), server-side apply on CRDs too large for client-side
 * apply, and `SkipDryRunOnMissingResource=true` on every custom resource (its
 * CRD comes from this Application, another one, or a prerequisite such as
 * Argo Rollouts); and it adds a chart (`argocd`, written
 * to `<outdir>/argocd.k8s.yaml`) with an AppProject, one Application per
 * chart file (control plane, gateways, workloads, ...) and a root
 * Application over them (app-of-apps).
 *
 * Drift: istiod writes the webhooks' `caBundle` at run time, and switches
 * the validating webhooks' `failurePolicy` from `Ignore` (as installed, like
 * upstream, so Istio objects applied before istiod is ready are not lost) to
 * `Fail` once ready. Each Application that carries webhook configurations
 * ignores exactly those fields (`.webhooks[]?.clientConfig.caBundle`, and
 * `.webhooks[]?.failurePolicy` of validating webhooks), with
 * `RespectIgnoreDifferences=true`, so a sync does not revert them. Fields a
 * progressive-delivery controller owns (Argo Rollouts route weights, the
 * routes it inserts for header/mirror steps, subset labels, the replicas of
 * a `workloadRef` Deployment) are ignored in the diff only: their
 * Applications get `ApplyOutOfSyncOnly=true` and not
 * `RespectIgnoreDifferences`, whose merge patch would replace whole arrays
 * with the live ones and drop Git edits next to them. A Git change applied
 * mid-canary carries Git's weights (all traffic to stable) until Argo Rollouts
 * next reconciles the Rollout (its next step, a promotion, its resync, or the
 * VirtualService change itself when Istio's CRDs existed as it started).
 *
 * Ordering across Applications: the root Application applies the child
 * Applications in their sync waves (CRDs and control plane, gateways, the
 * rest); it waits for each to be healthy only when Argo CD assesses
 * Application health (`APPLICATION_HEALTH_LUA` in `argocd-cm`). Each child
 * retries failed syncs for about 17 minutes.
 *
 * Without this call the output carries no Argo CD annotations.
 */
export class GitOps {
  /**
   * Argo CD's health check of `argoproj.io/Application` (Lua), for
   * `argocd-cm` key `resource.customizations.health.argoproj.io_Application`,
   * so the root Application waits for each child Application's wave.
   */
  public static readonly ARGO_CD_APPLICATION_HEALTH_LUA: string = APPLICATION_HEALTH_LUA;

  /**
   * Makes the App's output Argo CD-friendly and adds the `argocd` chart.
   *
   * @returns the chart with the Argo CD objects
   */
  public static argoCd(app: App, props: ArgoCdGitOpsProps): ArgoCdGitOps {
    checkArgs('GitOps.argoCd', 'GitOps.argoCd', arguments);
    return new ArgoCdGitOps(app, 'argocd', props);
  }

  private constructor() {}
}

/**
 * The chart of Argo CD objects of a mesh App (see `GitOps.argoCd()`).
 */
export class ArgoCdGitOps extends Chart {
  /** The AppProject of every Application. */
  public readonly project: ArgoCdProject;
  /** The root Application (app-of-apps). */
  public readonly rootApplication: ArgoCdApplication;
  private readonly _applications = new Map<string, ArgoCdApplication>();
  private readonly annotated = new Set<ApiObject>();

  constructor(scope: App, id: string, props: ArgoCdGitOpsProps) {
    super(scope, id);
    checkArgs(this, 'ArgoCdGitOps.new', arguments);
    const namespace = props.namespace ?? 'argocd';
    const path = props.path ?? 'dist';
    const server = props.destinationServer ?? IN_CLUSTER;
    const model = MeshModel.of(this);
    const charts = scope.node.findAll().filter((c): c is Chart => c instanceof Chart && c !== this);
    if (charts.length === 0) throw propError(this, 'app', 'must contain the charts to deploy before GitOps.argoCd() is called', 0, 'call GitOps.argoCd(app, ...) last, after building the App');

    // ambient (issue 17): waypoints and their labels depend on the whole app's intent; add them before walking the objects
    finalizeAmbient(model);
    const managed = managedFieldsOf(model);
    const byPath = new Map<string, IConstruct>();
    for (const c of scope.node.findAll()) byPath.set(c.node.path, c);

    const namespaces = new Set<string>();
    const clusterKinds = new Map<string, ArgoCdGroupKind>();
    const perChart: { chart: Chart; fileName: string; wave: number; hasManaged: boolean; ignore: IgnoreEntry[] }[] = [];

    for (const chart of charts) {
      const objects = apiObjectsOf(chart);
      const crds = new Set<string>();
      for (const o of objects) {
        if (o.kind !== 'CustomResourceDefinition') continue;
        const spec = o.toJson().spec;
        crds.add(`${spec.group}/${spec.names.kind}`);
      }
      let minWave = Number.POSITIVE_INFINITY;
      const ignore: IgnoreEntry[] = [];
      for (const o of objects) {
        const json = o.toJson();
        const wave = WAVES[phaseOf(o)];
        minWave = Math.min(minWave, wave);
        o.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(wave));
        const options: string[] = [];
        if (o.kind === 'CustomResourceDefinition' && Buffer.byteLength(JSON.stringify(json)) > CLIENT_SIDE_APPLY_LIMIT_BYTES) options.push('ServerSideApply=true');
        // a custom resource's CRD may come from this Application, another one or a prerequisite (Argo Rollouts):
        // without the option Argo CD's dry run fails the whole sync while the CRD is not yet established
        if (crds.has(`${o.apiGroup}/${o.kind}`) || isCustomResource(o)) options.push('SkipDryRunOnMissingResource=true');
        if (options.length) o.metadata.addAnnotation(SYNC_OPTIONS_ANNOTATION, options.join(','));
        this.annotated.add(o);
        if (json.metadata?.namespace) namespaces.add(json.metadata.namespace);
        if (CLUSTER_SCOPED.has(o.kind)) {
          // Argo CD names the core API group '' (cdk8s calls it 'core')
          const group = o.apiGroup === 'core' ? '' : o.apiGroup;
          clusterKinds.set(`${group}/${o.kind}`, { group, kind: o.kind });
        }
        const istiodManaged = ISTIOD_MANAGED_WEBHOOK_FIELDS[o.kind as keyof typeof ISTIOD_MANAGED_WEBHOOK_FIELDS];
        if (o.apiGroup === 'admissionregistration.k8s.io' && istiodManaged) {
          ignore.push({ group: 'admissionregistration.k8s.io', kind: o.kind, name: json.metadata.name, jq: [...istiodManaged] });
        }
      }
      let hasManaged = false;
      for (const m of managed) {
        const owner = byPath.get(m.ownerPath);
        if (!owner || Chart.of(owner) !== chart) continue;
        hasManaged = true;
        ignore.push({ group: m.group, kind: m.kind, name: m.name, namespace: m.namespace, jq: [...m.jqPathExpressions] });
      }
      const fileName = Names.toDnsLabel(chart);
      perChart.push({ chart, fileName, wave: Number.isFinite(minWave) ? minWave : WAVES[SyncPhase.MESH], hasManaged, ignore });
    }

    // the root Application deploys the Applications into Argo CD's namespace
    namespaces.add(namespace);
    this.project = new ArgoCdProject(this, 'Project', {
      projectName: props.projectName ?? 'mesh',
      namespace,
      description: 'Mesh synthesized by cdk8s-mesh',
      sourceRepos: [props.repoUrl],
      destinations: [...[...namespaces].sort().map((ns) => ({ server, namespace: ns }))],
      clusterResourceWhitelist: [...clusterKinds.values()].sort((a, b) => `${a.group}/${a.kind}`.localeCompare(`${b.group}/${b.kind}`)),
    });
    const common = {
      repoUrl: props.repoUrl, targetRevision: props.targetRevision, path, namespace, project: this.project, destinationServer: server,
    };

    for (const entry of perChart) {
      const ignore = entry.ignore;
      const application = new ArgoCdApplication(this, `App-${entry.fileName}`, {
        ...common,
        applicationName: entry.fileName,
        include: `${entry.fileName}.k8s.yaml`,
        syncWave: entry.wave,
        destinationNamespace: entry.chart.namespace,
      });
      for (const d of ignore) {
        application.addIgnoreDifference({ group: d.group, kind: d.kind, name: d.name, namespace: d.namespace, jqPathExpressions: d.jq });
      }
      // RespectIgnoreDifferences makes Argo CD copy the ignored fields from the live object into what it
      // applies; for custom resources it does that with a merge patch that replaces whole arrays, so a
      // Git edit next to a Rollouts-managed weight (spec.http) or subset label (spec.subsets) would be
      // overwritten by the live array and never applied. Rollouts-managed objects are therefore applied
      // as Git has them (only when they are OutOfSync), and Argo Rollouts, which watches them,
      // writes its weights and labels back at once. See docs/gitops.md.
      if (ignore.length && !entry.hasManaged) application.addSyncOption('RespectIgnoreDifferences=true');
      if (entry.hasManaged) application.addSyncOption('ApplyOutOfSyncOnly=true');
      this._applications.set(entry.fileName, application);
    }

    this.rootApplication = new ArgoCdApplication(this, 'Root', {
      ...common,
      applicationName: props.rootApplicationName ?? 'mesh',
      include: `${Names.toDnsLabel(this)}.k8s.yaml`,
    });
    this.node.addValidation({ validate: () => this.validateLateObjects(charts) });
  }

  /** The Application of a chart (by its file name, e.g. `flask-shop`). */
  public applicationOf(chart: Chart): ArgoCdApplication {
    checkArgs(this, 'ArgoCdGitOps.applicationOf', arguments);
    const app = this._applications.get(Names.toDnsLabel(chart));
    if (!app) throw propError(this, 'chart', 'must be a chart of the App declared before GitOps.argoCd()', chart.node.path, 'call GitOps.argoCd() after every chart is declared');
    return app;
  }

  /** The Applications, one per chart, in chart order. */
  public get applications(): ArgoCdApplication[] {
    return [...this._applications.values()];
  }

  private validateLateObjects(charts: Chart[]): string[] {
    const late = charts.flatMap(apiObjectsOf).filter((o) => !this.annotated.has(o));
    if (late.length === 0) return [];
    return [`${GitOpsRule.LATE_OBJECT}: ${propMessage('app', 'must be complete when GitOps.argoCd() is called: these objects were added later and have no sync wave',
      late.map((o) => o.node.path), 'call GitOps.argoCd(app, ...) last, after every construct of the App')}`];
  }
}

interface IgnoreEntry {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly jq: string[];
}

/** API groups served by Kubernetes itself (no CRD needed). */
const BUILT_IN_GROUPS = new Set([
  '', 'core', 'apps', 'batch', 'policy', 'autoscaling', 'networking.k8s.io', 'rbac.authorization.k8s.io',
  'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'apiregistration.k8s.io', 'storage.k8s.io',
  'scheduling.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io', 'certificates.k8s.io', 'node.k8s.io',
  'events.k8s.io', 'flowcontrol.apiserver.k8s.io', 'resource.k8s.io',
]);

/** Whether the object's kind is defined by a CustomResourceDefinition (not served by Kubernetes itself). */
function isCustomResource(o: ApiObject): boolean {
  return !BUILT_IN_GROUPS.has(o.apiGroup);
}

/** API objects whose closest chart is `chart`, in tree order. */
function apiObjectsOf(chart: Chart): ApiObject[] {
  return chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject && Chart.of(c) === chart);
}

/** The install phase of an object: its kind and the construct that owns it. */
function phaseOf(o: ApiObject): SyncPhase {
  if (o.kind === 'CustomResourceDefinition' || o.kind === 'Namespace') return SyncPhase.CRDS;
  const scopes = o.node.scopes;
  if (scopes.some((s) => s instanceof IstioControlPlane)) {
    // Istio config is validated by istiod's webhook: apply it once istiod is up
    return ISTIO_GROUP.test(o.apiGroup) ? SyncPhase.GATEWAYS : SyncPhase.CONTROL_PLANE;
  }
  if (scopes.some((s) => s instanceof MeshGateway)) return SyncPhase.GATEWAYS;
  return SyncPhase.MESH;
}

