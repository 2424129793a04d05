import { App, Chart, Names } from 'cdk8s';
import { ArgoCdApplication, ArgoCdProject, IN_CLUSTER } from './argo-cd-application';
import { MeshModel } from '../model/mesh-model';
import { snapshotOf } from '../model/resolve';
import { propError } from '../private/errors';
import { checkArgs } from '../private/runtime-types';
import {
  CLIENT_SIDE_APPLY_LIMIT_BYTES as CLIENT_SIDE_APPLY_LIMIT, SYNC_OPTIONS_ANNOTATION as SYNC_OPTIONS, SYNC_WAVE_ANNOTATION as SYNC_WAVE, SYNC_WAVES,
} from '../render/argo-cd';
import { ChartPlan, planChart, syncedScope } from '../synth/gitops';
import { meshOf } from '../synth/mesh';

/** Annotation that orders objects within one Argo CD sync. */
export const SYNC_WAVE_ANNOTATION = SYNC_WAVE;
/** Annotation with per-object Argo CD sync options. */
export const SYNC_OPTIONS_ANNOTATION = SYNC_OPTIONS;
/** Client-side apply stores the whole object in an annotation, limited to 256 KiB. */
export const CLIENT_SIDE_APPLY_LIMIT_BYTES = CLIENT_SIDE_APPLY_LIMIT;

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

/** The `argocd.argoproj.io/sync-wave` value of a phase. */
export function syncWaveOf(phase: SyncPhase): number {
  return SYNC_WAVES[phase];
}

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
  private readonly model: MeshModel;

  constructor(scope: App, id: string, props: ArgoCdGitOpsProps) {
    super(scope, id);
    checkArgs(this, 'ArgoCdGitOps.new', arguments);
    const namespace = props.namespace ?? 'argocd';
    const server = props.destinationServer ?? IN_CLUSTER;
    this.model = meshOf(this);
    const charts = scope.node.findAll().filter((c): c is Chart => c instanceof Chart && c !== this);
    if (charts.length === 0) throw propError(this, 'app', 'must contain the charts to deploy before GitOps.argoCd() is called', 0, 'call GitOps.argoCd(app, ...) last, after building the App');
    // every object is annotated with its sync wave when the app is synthesized (src/synth/gitops.ts)
    this.model.setArgoCd({ path: this.node.path, namespace, charts: charts.map((c) => c.node.path) });

    this.project = new ArgoCdProject(this, 'Project', {
      projectName: props.projectName ?? 'mesh',
      namespace,
      description: 'Mesh synthesized by cdk8s-mesh',
      sourceRepos: [props.repoUrl],
      destinations: [{ server, namespace }],
    });
    this.project._deriveScope(() => this.projectScope(namespace, server));
    const common = { repoUrl: props.repoUrl, targetRevision: props.targetRevision, path: props.path ?? 'dist', namespace, project: this.project, destinationServer: server };
    for (const chart of charts) {
      const fileName = Names.toDnsLabel(chart);
      const application = new ArgoCdApplication(this, `App-${fileName}`, {
        ...common, applicationName: fileName, include: `${fileName}.k8s.yaml`, destinationNamespace: chart.namespace,
      });
      application._derive(() => this.applicationPlan(chart));
      this._applications.set(fileName, application);
    }
    this.rootApplication = new ArgoCdApplication(this, 'Root', { ...common, applicationName: props.rootApplicationName ?? 'mesh', include: `${Names.toDnsLabel(this)}.k8s.yaml` });
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

  /**
   * What a chart's Application derives from the chart's objects: its sync wave,
   * the fields it ignores, and how it syncs them. RespectIgnoreDifferences makes
   * Argo CD copy the ignored fields from the live object into what it applies; for
   * custom resources it does that with a merge patch that replaces whole arrays, so
   * a Git edit next to a Rollouts-managed weight (spec.http) or subset label
   * (spec.subsets) would be overwritten by the live array and never applied.
   * Rollouts-managed objects are therefore applied as Git has them (only when they
   * are OutOfSync), and Argo Rollouts, which watches them, writes its weights and
   * labels back at once. See docs/gitops.md.
   */
  private applicationPlan(chart: Chart) {
    const plan: ChartPlan = planChart(chart, this.node.root, snapshotOf(this.model));
    const syncOptions = plan.hasManaged ? ['ApplyOutOfSyncOnly=true'] : plan.ignore.length ? ['RespectIgnoreDifferences=true'] : [];
    return {
      syncWave: plan.wave,
      syncOptions,
      ignoreDifferences: plan.ignore.map((d) => ({
        group: d.group, kind: d.kind, name: d.name, namespace: d.namespace, jqPathExpressions: [...d.jq],
      })),
    };
  }

  /** The AppProject's destinations (every namespace of the output, and Argo CD's own) and cluster-scoped kinds. */
  private projectScope(namespace: string, server: string) {
    const scope = syncedScope(this.node.root, snapshotOf(this.model));
    // the root Application deploys the Applications into Argo CD's namespace
    const namespaces = [...new Set([...scope.namespaces, namespace])].sort();
    return { destinations: namespaces.map((ns) => ({ server, namespace: ns })), clusterResourceWhitelist: scope.clusterKinds };
  }
}
