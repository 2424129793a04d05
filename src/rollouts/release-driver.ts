import { ArgoRollout } from './argo-rollout';
import { RolloutStep } from './rollout-step';
import { checkArgs } from '../private/runtime-types';
import type { CanaryRelease } from '../traffic/canary-release';

/**
 * Options of `ReleaseDriver.argoRollouts()`.
 */
export interface ArgoRolloutsOptions {
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
export abstract class ReleaseDriver {
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
   * canary version's) instead of one Deployment per version, the
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

  /** @internal */
  public abstract _managedSubsets(): { stable: string; canary: string } | undefined;

  /** @internal */
  public abstract _bind(release: CanaryRelease): ArgoRollout | undefined;
}

class StaticDriver extends ReleaseDriver {
  public _managedSubsets(): undefined {
    return undefined;
  }

  public _bind(): undefined {
    return undefined;
  }
}

class ArgoRolloutsDriver extends ReleaseDriver {
  constructor(private readonly options: ArgoRolloutsOptions) {
    super();
  }

  public _managedSubsets(): { stable: string; canary: string } {
    return { stable: 'stable', canary: 'canary' };
  }

  public _bind(release: CanaryRelease): ArgoRollout {
    return new ArgoRollout(release, 'Rollout', { release, steps: this.options.steps, replicas: this.options.replicas, subsets: this._managedSubsets() });
  }
}
