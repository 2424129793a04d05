/**
 * GitOps intent of the mesh: fields of emitted objects that a controller
 * other than the GitOps tool owns at run time (so the GitOps tool must not
 * diff or revert them). The Argo CD renderer turns each entry into an
 * `ignoreDifferences` item of the Application that carries the object.
 */

/** One object field set owned by a run-time controller. */
export interface ManagedFieldsModel {
  /** Construct path of the construct that emits the object (maps the entry to its chart). */
  readonly ownerPath: string;
  /** API group of the object (`''` for the core group). */
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  /** jq path expressions of the managed fields (deleted before diffing). */
  readonly jqPathExpressions: readonly string[];
  /** Who manages them (for documentation and messages), e.g. `Argo Rollouts (test/orders-canary)`. */
  readonly manager: string;
}

/** Argo CD settings of an app (`GitOps.argoCd()`), read when the output is annotated. */
export interface ArgoCdModel {
  /** Construct path of the `ArgoCdGitOps` chart. */
  readonly path: string;
  /** Namespace Argo CD runs in. */
  readonly namespace: string;
  /** Construct paths of the charts that have an Application (the charts of the app when `GitOps.argoCd()` ran). */
  readonly charts: readonly string[];
}

/** Fields of one kind of object Argo CD does not diff. */
export interface IgnoreDifferenceModel {
  readonly group: string;
  readonly kind: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly jqPathExpressions?: readonly string[];
  readonly jsonPointers?: readonly string[];
}

/** An Argo CD Application: where its manifests come from, where they go, how it syncs. */
export interface ArgoCdApplicationModel {
  readonly project: string;
  readonly repoUrl: string;
  readonly targetRevision: string;
  readonly path: string;
  /** Glob of the files of `path` it applies. */
  readonly include?: string;
  readonly destinationServer: string;
  readonly destinationNamespace?: string;
  /** Automated sync with prune and self-heal. */
  readonly automated: boolean;
  readonly syncOptions: readonly string[];
  readonly retryLimit: number;
  readonly ignoreDifferences: readonly IgnoreDifferenceModel[];
}

/** An Argo CD AppProject: the repositories, destinations and cluster-scoped kinds its Applications may use. */
export interface ArgoCdProjectModel {
  readonly description?: string;
  readonly sourceRepos: readonly string[];
  readonly destinations: readonly { readonly server: string; readonly namespace: string }[];
  readonly clusterResourceWhitelist: readonly { readonly group: string; readonly kind: string }[];
}
