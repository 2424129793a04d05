import { ApplicationSpec, ApplicationSpecIgnoreDifferences, AppProjectSpec } from '../imports/argoproj.io';
import { ArgoCdApplicationModel, ArgoCdProjectModel, IgnoreDifferenceModel } from '../model/gitops';

/**
 * How Argo CD applies the output of a mesh app: the sync wave of each object
 * (CRDs and Namespaces, then the control plane, then gateways and Istio
 * config of the control plane, then the mesh), and the per-object sync
 * options (pure functions of an object's kind, API group and owner); the
 * specs of the Applications and the AppProject.
 */

/** Annotation that orders objects within one Argo CD sync. */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
/** Annotation with per-object Argo CD sync options. */
export const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';
/** Client-side apply stores the whole object in an annotation, limited to 256 KiB. */
export const CLIENT_SIDE_APPLY_LIMIT_BYTES = 256 * 1024;

/** The phases of a mesh install, in the order Argo CD applies them. */
export type SyncPhaseName = 'CRDS' | 'CONTROL_PLANE' | 'GATEWAYS' | 'MESH';

/** The sync wave of each phase. */
export const SYNC_WAVES: Readonly<Record<SyncPhaseName, number>> = { CRDS: -3, CONTROL_PLANE: -2, GATEWAYS: -1, MESH: 0 };

/** Kinds without a namespace (the AppProject lists them in its cluster-resource allow list). */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'CustomResourceDefinition', 'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration', 'PriorityClass', 'StorageClass', 'PersistentVolume', 'IngressClass', 'APIService',
]);

/** API groups served by Kubernetes itself (no CRD needed). */
const BUILT_IN_GROUPS: ReadonlySet<string> = new Set([
  '', 'core', 'apps', 'batch', 'policy', 'autoscaling', 'networking.k8s.io', 'rbac.authorization.k8s.io',
  'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'apiregistration.k8s.io', 'storage.k8s.io',
  'scheduling.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io', 'certificates.k8s.io', 'node.k8s.io',
  'events.k8s.io', 'flowcontrol.apiserver.k8s.io', 'resource.k8s.io',
]);

const ISTIO_GROUP = /\.istio\.io$/;

/** An emitted object as the GitOps rendering sees it. */
export interface SyncedObject {
  readonly kind: string;
  /** API group as cdk8s names it (`core` for the core group). */
  readonly apiGroup: string;
  /** The construct that emits it: a control plane, a deployed gateway (`IngressGateway`, `EgressGateway`), or something else. */
  readonly owner: 'control-plane' | 'gateway' | 'other';
}

/** The install phase of an object: its kind and the construct that owns it. */
export function syncPhaseOf(o: SyncedObject): SyncPhaseName {
  if (o.kind === 'CustomResourceDefinition' || o.kind === 'Namespace') return 'CRDS';
  // Istio config of a control plane is validated by istiod's webhook: apply it once istiod is up
  if (o.owner === 'control-plane') return ISTIO_GROUP.test(o.apiGroup) ? 'GATEWAYS' : 'CONTROL_PLANE';
  return o.owner === 'gateway' ? 'GATEWAYS' : 'MESH';
}

/** Whether the object's kind is defined by a CustomResourceDefinition (not served by Kubernetes itself). */
export function isCustomResource(o: Pick<SyncedObject, 'apiGroup'>): boolean {
  return !BUILT_IN_GROUPS.has(o.apiGroup);
}

/**
 * The per-object sync options: server-side apply for a CRD too large for
 * client-side apply; `SkipDryRunOnMissingResource` for every custom resource
 * (its CRD may come from this Application, another one or a prerequisite such
 * as Argo Rollouts: without the option Argo CD's dry run fails the whole sync
 * while the CRD is not yet established).
 */
export function syncOptionsOf(o: SyncedObject, crdsOfChart: ReadonlySet<string>, crdBytes: number | undefined): string[] {
  const options: string[] = [];
  if (o.kind === 'CustomResourceDefinition' && crdBytes !== undefined && crdBytes > CLIENT_SIDE_APPLY_LIMIT_BYTES) options.push('ServerSideApply=true');
  if (crdsOfChart.has(`${o.apiGroup}/${o.kind}`) || isCustomResource(o)) options.push('SkipDryRunOnMissingResource=true');
  return options;
}

/** Back-off of sync retries (Argo CD's `syncPolicy.retry.backoff`). */
export const SYNC_RETRY_BACKOFF = { duration: '5s', factor: 2, maxDuration: '3m' } as const;

function renderIgnoreDifference(d: IgnoreDifferenceModel): ApplicationSpecIgnoreDifferences {
  return {
    group: d.group,
    kind: d.kind,
    ...(d.name !== undefined ? { name: d.name } : {}),
    ...(d.namespace !== undefined ? { namespace: d.namespace } : {}),
    ...(d.jqPathExpressions?.length ? { jqPathExpressions: [...d.jqPathExpressions] } : {}),
    ...(d.jsonPointers?.length ? { jsonPointers: [...d.jsonPointers] } : {}),
  };
}

/** An Application's spec. */
export function renderArgoCdApplicationSpec(app: ArgoCdApplicationModel): ApplicationSpec {
  return {
    project: app.project,
    source: {
      repoUrl: app.repoUrl,
      targetRevision: app.targetRevision,
      path: app.path,
      ...(app.include ? { directory: { include: app.include } } : {}),
    },
    destination: {
      server: app.destinationServer,
      ...(app.destinationNamespace ? { namespace: app.destinationNamespace } : {}),
    },
    syncPolicy: {
      ...(app.automated ? { automated: { prune: true, selfHeal: true } } : {}),
      ...(app.syncOptions.length ? { syncOptions: [...app.syncOptions] } : {}),
      retry: { limit: app.retryLimit, backoff: { ...SYNC_RETRY_BACKOFF } },
    },
    ...(app.ignoreDifferences.length ? { ignoreDifferences: app.ignoreDifferences.map(renderIgnoreDifference) } : {}),
  };
}

/** An AppProject's spec. */
export function renderArgoCdProjectSpec(project: ArgoCdProjectModel): AppProjectSpec {
  return {
    ...(project.description ? { description: project.description } : {}),
    sourceRepos: [...project.sourceRepos],
    destinations: project.destinations.map((d) => ({ server: d.server, namespace: d.namespace })),
    clusterResourceWhitelist: project.clusterResourceWhitelist.map((g) => ({ group: g.group, kind: g.kind })),
  };
}
