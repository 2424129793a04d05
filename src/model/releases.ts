import { MatchModel, StringMatchModel } from './traffic';

/**
 * Releases run by a progressive-delivery controller (Argo Rollouts): which
 * versions a Rollout runs and how it moves them. Plain data; the snapshot
 * resolves which Deployments a service still emits (`WorkloadSnapshot`),
 * the Rollout renderer reads `RolloutSnapshot`, and the GitOps renderer
 * reads the fields the controller owns.
 */

/** Which version the Rollout runs at this Git revision (see `RolloutRevision`). */
export type RolloutRevisionName = 'STABLE' | 'CANARY';

/** One step of the Rollout's canary strategy. */
export type RolloutStepModel =
  | { readonly kind: 'setWeight'; readonly weight: number }
  | { readonly kind: 'pause'; readonly seconds?: number }
  | { readonly kind: 'setHeaderRoute'; readonly name: string; readonly match: readonly { readonly headerName: string; readonly value: StringMatchModel }[] }
  | { readonly kind: 'setMirrorRoute'; readonly name: string; readonly percentage: number; readonly match: readonly MatchModel[] }
  | { readonly kind: 'analysis'; readonly templateName: string };

/** The route of the service's VirtualService that carries the default split. */
export const DEFAULT_ROUTE = 'default';
/** The label Argo Rollouts adds to pods and to the managed subsets. */
export const POD_TEMPLATE_HASH = 'rollouts-pod-template-hash';

/** An Argo Rollouts `Rollout` that runs the two versions of a canary release. */
export interface RolloutModel {
  /** Construct path of the Rollout (diagnostics are reported there). */
  readonly path: string;
  /** Construct path of the release it drives. */
  readonly releasePath: string;
  readonly serviceHost: string;
  readonly revision: RolloutRevisionName;
  /** Pods at full rollout; undefined: the stable version's replicas. */
  readonly replicas?: number;
  readonly steps: readonly RolloutStepModel[];
  /** Subsets whose pod-template-hash label the controller maintains. */
  readonly subsets: { readonly stable: string; readonly canary: string };
}

/** Names of the routes Argo Rollouts inserts for header and mirror steps, in step order. */
export function rolloutManagedRoutes(rollout: Pick<RolloutModel, 'steps'>): string[] {
  const names: string[] = [];
  for (const s of rollout.steps) {
    if ((s.kind === 'setHeaderRoute' || s.kind === 'setMirrorRoute') && !names.includes(s.name)) names.push(s.name);
  }
  return names;
}

/** The objectives of an `SloAnalysis` (an Argo Rollouts AnalysisTemplate over Istio's request metrics). */
export interface SloAnalysisModel {
  /** Host of the measured service. */
  readonly serviceHost: string;
  /** The version whose requests are measured. */
  readonly canary: string;
  readonly intervalSeconds: number;
  readonly count: number;
  readonly failureLimit: number;
  readonly successRatePercent?: number;
  readonly p99LatencyMs?: number;
  /** The Prometheus queried (undefined: the app's Prometheus add-on). */
  readonly prometheusUrl?: string;
}
