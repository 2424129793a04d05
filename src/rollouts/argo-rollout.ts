import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { RolloutStep } from './rollout-step';
import { Rollout, RolloutSpec } from '../imports/argoproj.io';
import { MeshModel } from '../model/mesh-model';
import { DEFAULT_ROUTE, RolloutModel, RolloutRevisionName, RolloutStepModel } from '../model/releases';
import { snapshotOf } from '../model/resolve';
import { propError } from '../private/errors';
import { checkInt } from '../private/values';
import { PodTemplate, renderRolloutSpec } from '../render/rollout';
import { MeshService } from '../services/mesh-service';
import { addMeshValidation, meshOf } from '../synth/mesh';
import type { CanaryRelease } from '../traffic/canary-release';

export interface ArgoRolloutProps {
  readonly release: CanaryRelease;
  readonly steps: RolloutStep[];
  readonly replicas?: number;
  readonly subsets: { readonly stable: string; readonly canary: string };
  readonly revision: RolloutRevisionName;
}

/**
 * The Argo Rollouts `Rollout` of a `CanaryRelease` with the Argo Rollouts
 * driver (internal: created by `ReleaseDriver.argoRollouts()`).
 *
 * Design: the Rollout replaces the stable and canary version Deployments of
 * the service. Argo Rollouts promotes a Rollout's first revision at once
 * ("Initial deploy"), so the first revision is the stable version
 * (`RolloutRevision.STABLE`): the stable Deployment stays in Git and the
 * Rollout references it with `workloadRef` (`scaleDown: progressively`);
 * then `RolloutRevision.CANARY` makes the canary version's pod template the
 * Rollout's, and Argo Rollouts walks the steps from the stable ReplicaSet.
 * Subset-level traffic splitting: the controller writes the
 * `rollouts-pod-template-hash` of each ReplicaSet into the `stable`/`canary`
 * subsets and the weights into the named routes.
 *
 * The construct validates the steps and records the Rollout in the mesh
 * model; the snapshot decides which of the service's Deployments the
 * Rollout runs instead (the service then emits none for them), and
 * `renderRolloutSpec()` renders the spec from the snapshot at synth, so
 * versions, routes and gateways may be declared in any order.
 */
export class ArgoRollout extends Construct {
  /** The Rollout object. */
  public readonly resource: Rollout;

  constructor(scope: Construct, id: string, props: ArgoRolloutProps) {
    super(scope, id);
    const release = props.release;
    const service = release.service;
    const model = meshOf(this);
    if (release.canaryPercentage !== 0) {
      throw propError(release, 'canaryPercentage', 'must be 0 with the Argo Rollouts driver (the Rollout steps own the weights; Git keeps 100% on stable)',
        release.canaryPercentage, 'set canaryPercentage: 0 and express the weights as RolloutStep.weight() steps');
    }
    if (!props.steps || props.steps.length === 0) {
      throw propError(release, 'driver.steps', 'must list at least one step', props.steps ?? [], 'add e.g. RolloutStep.weight(10), RolloutStep.pause()');
    }
    const replicas = props.replicas === undefined ? undefined : checkInt(release, 'driver.replicas', props.replicas, 1);
    const bound = props.steps.map((s, i) => s._bind(release, `driver.steps[${i}]`));
    let last = 0;
    let lastIndex = -1;
    bound.forEach(({ info }, i) => {
      if (info.weight !== undefined) {
        if (info.weight < last) {
          throw propError(release, `driver.steps[${i}].setWeight`, `must not be lower than the weight of steps[${lastIndex}] (${last}): canary weights only grow (abort the rollout to go back)`,
            info.weight, `use a weight of at least ${last}, or remove steps[${lastIndex}]`);
        }
        last = info.weight;
        lastIndex = i;
      }
      if (info.managedRoute === DEFAULT_ROUTE) {
        throw propError(release, `driver.steps[${i}]`, `must not name its route '${DEFAULT_ROUTE}' (the weighted route of the VirtualService)`, info.managedRoute, 'choose another name, e.g. \'testers\'');
      }
      if (info.analysis && info.analysis.namespace !== service.namespace) {
        throw propError(release, `driver.steps[${i}].analysis`, `must be in the Rollout's namespace ${JSON.stringify(service.namespace)}`, info.analysis.namespace,
          'create the SloAnalysis for this service');
      }
    });
    const steps: RolloutStepModel[] = bound.map((b) => b.step);
    const rollout: RolloutModel = {
      path: this.node.path,
      releasePath: release.node.path,
      serviceHost: service.host,
      revision: props.revision,
      replicas,
      steps,
      subsets: { stable: props.subsets.stable, canary: props.subsets.canary },
    };
    this.resource = new Rollout(this, 'Resource', {
      metadata: { name: service.serviceName, namespace: service.namespace, labels: { 'app': service.serviceName, 'app.kubernetes.io/name': service.serviceName } },
      spec: Lazy.any({ produce: () => renderSpec(model, rollout, release) }),
    });
    model.addRollout(rollout);
    addMeshValidation(this);
  }
}

/**
 * The Rollout's spec from the snapshot; at `CANARY` it runs the canary
 * version's pod template, as the service's Deployment of that version renders it.
 */
function renderSpec(model: MeshModel, rollout: RolloutModel, release: CanaryRelease): RolloutSpec {
  const snapshot = snapshotOf(model);
  const resolved = snapshot.rollouts.find((r) => r.path === rollout.path);
  if (!resolved) throw new Error(`internal: the Rollout ${rollout.path} has no service in the snapshot`);
  const service = release.service;
  const canary: PodTemplate | undefined = service instanceof MeshService && service.versions.includes(release.canary)
    ? ApiObject.of(service.deploymentOf(release.canary)).toJson().spec.template
    : undefined;
  return renderRolloutSpec(snapshot, resolved, canary);
}
