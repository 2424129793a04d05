import { ArgoRollout } from './argo-rollout';
import { RolloutStep } from './rollout-step';
import { propError } from '../private/errors';
import { checkArgs } from '../private/runtime-types';
import { CanaryRelease, IReleaseDriver, ReleaseDriverBinding } from '../traffic/canary-release';

/**
 * Which version the Argo Rollouts `Rollout` runs at this Git revision.
 *
 * Argo Rollouts canaries a change of the Rollout's pod template against the
 * revision it already runs; a Rollout's first revision has nothing to compare
 * against, so Argo Rollouts promotes it at once ("Initial deploy": no steps,
 * no analysis). A release therefore takes two Git revisions: first the
 * stable version, then the canary version.
 *
 * @see https://argoproj.github.io/argo-rollouts/features/canary/
 */
export enum RolloutRevision {
  /**
   * The Rollout runs the stable version: the first revision on a fresh
   * cluster, and the migration from the static driver. The stable version's
   * Deployment stays in Git (Argo CD does not prune it) and the Rollout
   * takes its pod template by `workloadRef`; Argo Rollouts scales that
   * Deployment down progressively as the Rollout's own pods become ready.
   * Argo Rollouts deploys this revision at once (nothing to canary against).
   */
  STABLE = 'STABLE',
  /**
   * The Rollout's pod template is the canary version's: Argo Rollouts walks
   * the steps and analyses from the stable revision the cluster runs. Use it
   * once the Rollout runs the stable version (after a `STABLE` revision was
   * synced and is healthy), and for every later release.
   */
  CANARY = 'CANARY',
}

/**
 * Options of `ReleaseDriver.argoRollouts()`.
 */
export interface ArgoRolloutsOptions {
  /**
   * Which version the Rollout runs at this Git revision: `STABLE` for the
   * first revision on a fresh cluster (or when moving from the static
   * driver), `CANARY` once that revision is live. Required: no default is
   * safe (a canary as first revision is promoted with no steps; a stable
   * revision never runs the declared canary).
   */
  readonly revision: RolloutRevision;

  /**
   * The canary steps, in order (e.g. set weight 10, pause, set weight 50,
   * analysis, set weight 100). Weights must not decrease.
   */
  readonly steps: RolloutStep[];

  /**
   * Pods of the Rollout at full rollout.
   *
   * @default - the stable version's replicas
   */
  readonly replicas?: number;
}

/**
 * Who moves a `CanaryRelease`'s traffic: Git (static weights) or a
 * progressive-delivery controller.
 */
export abstract class ReleaseDriver implements IReleaseDriver {
  /**
   * The weights live in Git: `canaryPercentage` is rendered into the
   * VirtualService and changed by commits. The default.
   */
  public static staticWeights(): ReleaseDriver {
    return new StaticDriver();
  }

  /**
   * Argo Rollouts moves the weights: the service's stable and canary
   * versions are run by one Argo Rollouts `Rollout` (its pod template is the
   * stable version's at `RolloutRevision.STABLE`, the canary version's at
   * `RolloutRevision.CANARY`) instead of one Deployment per version, the
   * DestinationRule gets `stable` and `canary` subsets whose
   * `rollouts-pod-template-hash` label the controller maintains, and the
   * VirtualService default route (and gateway routes to the service) start
   * at 100% stable / 0% canary in Git; the controller walks `steps`.
   *
   * @see https://argoproj.github.io/argo-rollouts/features/traffic-management/istio/
   */
  public static argoRollouts(options: ArgoRolloutsOptions): ReleaseDriver {
    checkArgs('ReleaseDriver.argoRollouts', 'ReleaseDriver.argoRollouts', arguments);
    return new ArgoRolloutsDriver(options);
  }

  /**
   * Binds the driver to a release (called by the `CanaryRelease` constructor).
   */
  public bindRelease(release: CanaryRelease): ReleaseDriverBinding {
    checkArgs('ReleaseDriver.bindRelease', 'ReleaseDriver.bindRelease', arguments);
    return this._bind(release);
  }

  /** @internal */
  public abstract _bind(release: CanaryRelease): ReleaseDriverBinding;
}

class StaticDriver extends ReleaseDriver {
  public _bind(): ReleaseDriverBinding {
    return {};
  }
}

class ArgoRolloutsDriver extends ReleaseDriver {
  constructor(private readonly options: ArgoRolloutsOptions) {
    super();
  }

  public _bind(release: CanaryRelease): ReleaseDriverBinding {
    const managedSubsets = { stable: 'stable', canary: 'canary' };
    if (release.mirrorPercentage !== undefined) {
      throw propError(release, 'mirrorPercentage', 'must not be set with the Argo Rollouts driver', release.mirrorPercentage, 'use a RolloutStep.mirrorRoute() step instead');
    }
    const rollout = new ArgoRollout(release, 'Rollout', {
      release,
      steps: this.options.steps,
      replicas: this.options.replicas,
      subsets: managedSubsets,
      revision: this.options.revision === RolloutRevision.STABLE ? 'STABLE' : 'CANARY',
    });
    return { managedSubsets, resource: rollout.resource };
  }
}
