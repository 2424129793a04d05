import { renderStringMatch } from './common';
import {
  RolloutSpec, RolloutSpecStrategyCanarySteps, RolloutSpecStrategyCanaryStepsPauseDuration,
  RolloutSpecStrategyCanaryStepsSetMirrorRouteMatch, RolloutSpecStrategyCanaryStepsSetMirrorRouteMatchHeaders,
} from '../imports/argoproj.io';
import { RolloutStepModel } from '../model/releases';
import { MeshSnapshot, RolloutSnapshot } from '../model/snapshot';
import { MatchModel } from '../model/traffic';

/** A pod template as the canary version's Deployment renders it (what the Rollout runs at `CANARY`). */
export type PodTemplate = RolloutSpec['template'];

/**
 * `spec` of the Argo Rollouts `Rollout` of a canary release: the versions it
 * runs (a `workloadRef` to the stable Deployment at the first revision, the
 * canary version's pod template afterwards), Istio subset-level traffic
 * routing over the service's VirtualService and every gateway route table to
 * the service, and the canary steps. `canaryTemplate` is the canary
 * version's pod template (undefined when the version does not exist, which
 * TRAFFIC001 reports before anything is written).
 */
export function renderRolloutSpec(snapshot: MeshSnapshot, rollout: RolloutSnapshot, canaryTemplate?: PodTemplate): RolloutSpec {
  const service = snapshot.service(rollout.serviceHost);
  if (!service || !service.release) throw new Error(`internal: the Rollout ${rollout.path} has no service or release in the snapshot`);
  let runs: Pick<RolloutSpec, 'workloadRef' | 'template'> = {};
  if (rollout.revision === 'STABLE' && rollout.stableWorkload) {
    runs = { workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: rollout.stableWorkload.deploymentName, scaleDown: 'progressively' } };
  } else if (rollout.revision === 'CANARY' && canaryTemplate) {
    runs = { template: withoutFalseHostFlags(canaryTemplate) };
  }
  return {
    replicas: rollout.resolvedReplicas,
    selector: { matchLabels: { ...service.selector } },
    ...runs,
    strategy: {
      canary: {
        trafficRouting: {
          ...(rollout.managedRoutes.length ? { managedRoutes: rollout.managedRoutes.map((name) => ({ name })) } : {}),
          istio: {
            virtualServices: rollout.virtualServices.map((v) => ({ name: v.ref, routes: [...v.routes] })),
            destinationRule: { name: service.name, canarySubsetName: rollout.subsets.canary, stableSubsetName: rollout.subsets.stable },
          },
        },
        steps: rollout.steps.map(renderRolloutStep),
      },
    },
  };
}

/**
 * The pod template without `hostNetwork`/`hostPID`/`hostIPC: false`. The Argo Rollouts
 * controller writes the Rollout back through its Go types, which omit a false plain bool, so
 * a template carrying one would stay OutOfSync in Argo CD forever.
 */
function withoutFalseHostFlags(template: PodTemplate): PodTemplate {
  const spec: Record<string, unknown> = { ...(template.spec as Record<string, unknown> | undefined) };
  for (const flag of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (spec[flag] === false) delete spec[flag];
  }
  return { ...template, spec: spec as PodTemplate['spec'] };
}

/** Argo Rollouts `RouteMatch` of a mirror step (the step validated that it only uses method, path and header values). */
function mirrorMatch(m: MatchModel): RolloutSpecStrategyCanaryStepsSetMirrorRouteMatch {
  const headers: { [name: string]: RolloutSpecStrategyCanaryStepsSetMirrorRouteMatchHeaders } = {};
  for (const h of m.headers) if (h.match) headers[h.name] = renderStringMatch(h.match);
  return {
    ...(m.method ? { method: { exact: m.method } } : {}),
    ...(m.path ? { path: renderStringMatch(m.path) } : {}),
    ...(m.headers.length ? { headers } : {}),
  };
}

/** One canary step in the Rollout's terms. */
export function renderRolloutStep(step: RolloutStepModel): RolloutSpecStrategyCanarySteps {
  switch (step.kind) {
    case 'setWeight': return { setWeight: step.weight };
    case 'pause': return { pause: step.seconds === undefined ? {} : { duration: RolloutSpecStrategyCanaryStepsPauseDuration.fromString(`${step.seconds}s`) } };
    case 'setHeaderRoute':
      const match = step.match.map((h) => ({ headerName: h.headerName, headerValue: renderStringMatch(h.value) }));
      return { setHeaderRoute: { name: step.name, match } };
    case 'setMirrorRoute': return { setMirrorRoute: { name: step.name, percentage: step.percentage, match: step.match.map(mirrorMatch) } };
    case 'analysis': return { analysis: { templates: [{ templateName: step.templateName }] } };
  }
}
