import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { Application, AppProject } from '../imports/argoproj.io';
import { ArgoCdApplicationModel } from '../model/gitops';
import { propError } from '../private/errors';
import { validateDnsLabel } from '../private/names';
import { checkArgs } from '../private/runtime-types';
import { renderArgoCdApplicationSpec, renderArgoCdProjectSpec } from '../render/argo-cd';

/** The in-cluster Kubernetes API, as Argo CD names it. */
export const IN_CLUSTER = 'https://kubernetes.default.svc';

/**
 * Fields of live objects Argo CD must not diff (and, with
 * `RespectIgnoreDifferences=true`, must not overwrite when it syncs).
 *
 * @see https://argo-cd.readthedocs.io/en/stable/user-guide/diffing/
 */
export interface ArgoCdIgnoreDifference {
  /** API group of the objects (`''` for the core group). */
  readonly group: string;
  /** Kind of the objects. */
  readonly kind: string;
  /**
   * Name of the object.
   *
   * @default - every object of the kind
   */
  readonly name?: string;
  /**
   * Namespace of the object.
   *
   * @default - any namespace
   */
  readonly namespace?: string;
  /**
   * jq path expressions of the ignored fields.
   *
   * @default - none
   */
  readonly jqPathExpressions?: string[];
  /**
   * JSON pointers (RFC 6901) of the ignored fields.
   *
   * @default - none
   */
  readonly jsonPointers?: string[];
}

/**
 * Properties of an `ArgoCdApplication`.
 */
export interface ArgoCdApplicationProps {
  /**
   * Name of the Application (a DNS-1123 label).
   *
   * @default - the construct id
   */
  readonly applicationName?: string;

  /**
   * Namespace Argo CD runs in (Applications live there).
   *
   * @default 'argocd'
   */
  readonly namespace?: string;

  /**
   * The Argo CD project of the Application.
   *
   * @default - the `default` project
   */
  readonly project?: ArgoCdProject;

  /** Git repository that holds the synthesized manifests. */
  readonly repoUrl: string;

  /**
   * Branch, tag or commit to sync.
   *
   * @default 'HEAD'
   */
  readonly targetRevision?: string;

  /** Directory of the synthesized manifests in the repository (e.g. `dist`). */
  readonly path: string;

  /**
   * Glob of the files of `path` this Application applies (e.g.
   * `flask-shop.k8s.yaml`, one file per cdk8s chart).
   *
   * @default - every manifest in `path`
   */
  readonly include?: string;

  /**
   * Cluster API server to deploy to.
   *
   * @default 'https://kubernetes.default.svc' (the cluster Argo CD runs in)
   */
  readonly destinationServer?: string;

  /**
   * Namespace for namespaced objects that do not name one.
   *
   * @default - objects must name their namespace
   */
  readonly destinationNamespace?: string;

  /**
   * Sync automatically when Git changes, delete objects removed from Git
   * (prune) and revert changes made in the cluster (self-heal).
   *
   * @default true
   */
  readonly automated?: boolean;

  /**
   * Argo CD sync options (e.g. `RespectIgnoreDifferences=true`).
   *
   * @default - none
   * @see https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/
   */
  readonly syncOptions?: string[];

  /**
   * Fields Argo CD does not diff. More can be added with `addIgnoreDifference()`.
   *
   * @default - none
   */
  readonly ignoreDifferences?: ArgoCdIgnoreDifference[];

  /**
   * Sync wave of the Application itself (orders it in an app-of-apps).
   *
   * @default - no wave (0)
   */
  readonly syncWave?: number;

  /**
   * Attempts of a failed sync, with back-off from 5 s doubling up to 3
   * minutes. The default waits about 17 minutes in all (5+10+20+40+80+160 s,
   * then 3 minutes each), long enough for a fresh cluster to pull istiod's
   * image, start it, and have its webhook admit the Istio objects, and for
   * CRDs from another Application to become established.
   *
   * @default 10
   */
  readonly syncRetryLimit?: number;
}

export { SYNC_RETRY_BACKOFF } from '../render/argo-cd';

/**
 * An Argo CD `Application` that applies synthesized manifests from a Git
 * repository, with automated sync, prune and self-heal by default, and
 * retries with back-off (a first sync may race CRD establishment).
 *
 * @see https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/#applications
 */
export class ArgoCdApplication extends Construct {
  /** Name of the Application. */
  public readonly applicationName: string;
  /** Namespace of the Application (Argo CD's). */
  public readonly namespace: string;
  /** The Application object (escape hatch). */
  public readonly resource: ApiObject;

  private readonly syncOptions: string[];
  private readonly ignoreDifferences: ArgoCdIgnoreDifference[] = [];
  private derived?: () => DerivedApplication;

  constructor(scope: Construct, id: string, props: ArgoCdApplicationProps) {
    super(scope, id);
    checkArgs(this, 'ArgoCdApplication.new', arguments);
    this.applicationName = validateDnsLabel(this, 'applicationName', props.applicationName ?? id);
    this.namespace = validateDnsLabel(this, 'namespace', props.namespace ?? 'argocd');
    if (!/^(https?:\/\/|ssh:\/\/|git@)\S+$/.test(props.repoUrl ?? '')) {
      throw propError(this, 'repoUrl', 'must be a Git URL (https://, ssh:// or git@)', props.repoUrl, 'use e.g. \'https://github.com/acme/shop-deploy.git\'');
    }
    if (!props.path || props.path.startsWith('/') || props.path.split('/').includes('..')) {
      throw propError(this, 'path', 'must be a relative directory inside the repository', props.path, 'use e.g. \'dist\'');
    }
    const retryLimit = props.syncRetryLimit ?? 10;
    if (!Number.isInteger(retryLimit) || retryLimit < 1) {
      throw propError(this, 'syncRetryLimit', 'must be a whole number of at least 1', props.syncRetryLimit, 'use e.g. 10 (about 17 minutes of retries)');
    }
    if (props.syncWave !== undefined && !Number.isInteger(props.syncWave)) {
      throw propError(this, 'syncWave', 'must be a whole number', props.syncWave, 'use e.g. -1');
    }
    this.syncOptions = [];
    for (const o of props.syncOptions ?? []) this.addSyncOption(o);
    for (const d of props.ignoreDifferences ?? []) this.addIgnoreDifference(d);

    this.resource = new Application(this, 'Resource', {
      metadata: {
        name: this.applicationName,
        namespace: this.namespace,
        // delete the app's resources when the Application is deleted
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
      },
      spec: Lazy.any({ produce: () => renderArgoCdApplicationSpec(this.toModel(props, retryLimit)) }),
    });
    this.resource.metadata.addAnnotation('argocd.argoproj.io/sync-wave', Lazy.any({
      produce: () => {
        const wave = this.derived?.().syncWave ?? props.syncWave;
        return wave === undefined ? undefined : String(wave);
      },
    }));
  }

  /**
   * @internal Derives the sync wave, sync options and ignored differences of
   * the Application from what it deploys, when the output is rendered (after
   * the ones given explicitly).
   */
  public _derive(derive: () => DerivedApplication): void {
    this.derived = derive;
  }

  /**
   * Adds fields Argo CD does not diff.
   *
   * @returns the entry
   */
  public addIgnoreDifference(difference: ArgoCdIgnoreDifference): ArgoCdIgnoreDifference {
    checkArgs(this, 'ArgoCdApplication.addIgnoreDifference', arguments);
    if (!difference.kind) throw propError(this, 'ignoreDifferences.kind', 'must name a kind', difference.kind, 'set e.g. kind: \'VirtualService\'');
    if (!difference.jqPathExpressions?.length && !difference.jsonPointers?.length) {
      throw propError(this, 'ignoreDifferences', 'must list jqPathExpressions or jsonPointers (ignoring a whole object hides real drift)', difference,
        'name the fields, e.g. jqPathExpressions: [\'.spec.replicas\']');
    }
    const copy = {
      ...difference,
      jqPathExpressions: difference.jqPathExpressions ? [...difference.jqPathExpressions] : undefined,
      jsonPointers: difference.jsonPointers ? [...difference.jsonPointers] : undefined,
    };
    this.ignoreDifferences.push(copy);
    return copy;
  }

  private toModel(props: ArgoCdApplicationProps, retryLimit: number): ArgoCdApplicationModel {
    return {
      project: props.project?.projectName ?? 'default',
      repoUrl: props.repoUrl,
      targetRevision: props.targetRevision ?? 'HEAD',
      path: props.path,
      include: props.include,
      destinationServer: props.destinationServer ?? IN_CLUSTER,
      destinationNamespace: props.destinationNamespace,
      automated: props.automated ?? true,
      syncOptions: this.allSyncOptions(),
      retryLimit,
      ignoreDifferences: this.allIgnoreDifferences(),
    };
  }

  /** The explicit sync options, then the derived ones, each once. */
  private allSyncOptions(): string[] {
    return [...new Set([...this.syncOptions, ...(this.derived?.().syncOptions ?? [])])];
  }

  private allIgnoreDifferences(): ArgoCdIgnoreDifference[] {
    return [...this.ignoreDifferences, ...(this.derived?.().ignoreDifferences ?? [])];
  }

  /** Adds a sync option (e.g. `RespectIgnoreDifferences=true`) unless present. */
  public addSyncOption(option: string): void {
    checkArgs(this, 'ArgoCdApplication.addSyncOption', arguments);
    if (!/^[A-Za-z]+=\S+$/.test(option)) {
      throw propError(this, 'syncOptions', 'must be an Argo CD sync option of the form Name=value', option, 'use e.g. \'RespectIgnoreDifferences=true\'');
    }
    if (!this.syncOptions.includes(option)) this.syncOptions.push(option);
  }
}

/** What an Application derives from the objects it deploys (see `ArgoCdApplication._derive`). */
interface DerivedApplication {
  readonly syncWave: number;
  readonly syncOptions: readonly string[];
  readonly ignoreDifferences: readonly ArgoCdIgnoreDifference[];
}

/** A cluster-scoped kind an Argo CD project may manage. */
export interface ArgoCdGroupKind {
  /** API group (`''` for the core group). */
  readonly group: string;
  readonly kind: string;
}

/** A cluster and namespace an Argo CD project may deploy to. */
export interface ArgoCdDestination {
  /**
   * Cluster API server.
   *
   * @default 'https://kubernetes.default.svc'
   */
  readonly server?: string;
  /** Namespace (or glob). */
  readonly namespace: string;
}

/**
 * Properties of an `ArgoCdProject`.
 */
export interface ArgoCdProjectProps {
  /**
   * Name of the project.
   *
   * @default - the construct id
   */
  readonly projectName?: string;

  /**
   * Namespace Argo CD runs in.
   *
   * @default 'argocd'
   */
  readonly namespace?: string;

  /**
   * Description shown in the Argo CD UI.
   *
   * @default - none
   */
  readonly description?: string;

  /** Git repositories the project's Applications may sync from. */
  readonly sourceRepos: string[];

  /** Clusters and namespaces the project's Applications may deploy to. */
  readonly destinations: ArgoCdDestination[];

  /**
   * Cluster-scoped kinds the project may manage (least privilege: nothing
   * cluster-scoped unless listed).
   *
   * @default - none
   */
  readonly clusterResourceWhitelist?: ArgoCdGroupKind[];
}

/**
 * An Argo CD `AppProject`: which repositories, destinations and
 * cluster-scoped kinds its Applications may use.
 *
 * @see https://argo-cd.readthedocs.io/en/stable/user-guide/projects/
 */
export class ArgoCdProject extends Construct {
  /** Name of the project. */
  public readonly projectName: string;
  /** The AppProject object (escape hatch). */
  public readonly resource: ApiObject;
  private derivedScope?: () => { destinations: ArgoCdDestination[]; clusterResourceWhitelist: ArgoCdGroupKind[] };

  constructor(scope: Construct, id: string, props: ArgoCdProjectProps) {
    super(scope, id);
    checkArgs(this, 'ArgoCdProject.new', arguments);
    this.projectName = validateDnsLabel(this, 'projectName', props.projectName ?? id);
    if (!props.sourceRepos?.length) throw propError(this, 'sourceRepos', 'must list at least one repository', props.sourceRepos ?? [], 'list the Git URL of the manifests');
    if (!props.destinations?.length) throw propError(this, 'destinations', 'must list at least one destination', props.destinations ?? [], 'add e.g. { namespace: \'shop\' }');
    this.resource = new AppProject(this, 'Resource', {
      metadata: { name: this.projectName, namespace: validateDnsLabel(this, 'namespace', props.namespace ?? 'argocd') },
      spec: Lazy.any({
        produce: () => {
          const derived = this.derivedScope?.();
          return renderArgoCdProjectSpec({
            description: props.description,
            sourceRepos: props.sourceRepos,
            destinations: (derived?.destinations ?? props.destinations).map((d) => ({ server: d.server ?? IN_CLUSTER, namespace: d.namespace })),
            clusterResourceWhitelist: derived?.clusterResourceWhitelist ?? props.clusterResourceWhitelist ?? [],
          });
        },
      }),
    });
  }

  /**
   * @internal Derives the destinations and cluster-scoped kinds from what the
   * project's Applications deploy, when the output is rendered.
   */
  public _deriveScope(derive: () => { destinations: ArgoCdDestination[]; clusterResourceWhitelist: ArgoCdGroupKind[] }): void {
    this.derivedScope = derive;
  }
}
