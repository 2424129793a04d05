import {
  RolloutSpec, RolloutSpecStrategyCanarySteps, RolloutSpecStrategyCanaryStepsPauseDuration,
  RolloutSpecStrategyCanaryStepsSetMirrorRouteMatch, RolloutSpecStrategyCanaryStepsSetMirrorRouteMatchHeaders,
} from '../imports/argoproj.io';
import { MeshModel } from '../model';
import { RolloutModel, RolloutStepModel, rolloutManagedRoutes, rolloutVirtualServices, workloadOf } from '../model/releases';
import { MatchModel, releaseOf, StringMatchModel } from '../model/traffic';

/**
 * `spec` of the Argo Rollouts `Rollout` of a canary release, from the model:
 * the versions it runs (a `workloadRef` to the stable Deployment at the
 * first revision, the canary version's pod template afterwards), Istio
 * subset-level traffic routing over the service's VirtualService and every
 * gateway route table to the service, and the canary steps.
 */
export function renderRolloutSpec(model: MeshModel, rollout: RolloutModel): RolloutSpec {
  const service = model.findService(rollout.serviceHost);
  const release = releaseOf(model, rollout.serviceHost);
  if (!service || !release) throw new Error(`internal: the Rollout ${rollout.path} has no service or release in the model`);
  const stableReplicas = service.versions.find((v) => v.name === release.stable)?.replicas ?? 1;
  const managedRoutes = rolloutManagedRoutes(rollout);
  // an unknown version has no workload: TRAFFIC001 reports it on the release before anything is written
  const stable = workloadOf(model, service.host, release.stable);
  const canary = workloadOf(model, service.host, release.canary);
  let runs: Pick<RolloutSpec, 'workloadRef' | 'template'> = {};
  if (rollout.revision === 'STABLE' && stable) {
    runs = { workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: stable.deploymentName, scaleDown: 'progressively' } };
  } else if (rollout.revision === 'CANARY' && canary) {
    runs = { template: withoutFalseHostFlags(canary.podTemplate()) };
  }
  return {
    replicas: rollout.replicas ?? stableReplicas,
    selector: { matchLabels: { ...service.selector } },
    ...runs,
    strategy: {
      canary: {
        trafficRouting: {
          ...(managedRoutes.length ? { managedRoutes: managedRoutes.map((name) => ({ name })) } : {}),
          istio: {
            virtualServices: rolloutVirtualServices(model, service).map((v) => ({ name: v.ref, routes: [...v.routes] })),
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
function withoutFalseHostFlags(template: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const spec = { ...(template.spec as Record<string, unknown> | undefined) };
  for (const flag of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (spec[flag] === false) delete spec[flag];
  }
  return { ...template, spec };
}

function stringMatch(m: StringMatchModel): RolloutSpecStrategyCanaryStepsSetMirrorRouteMatchHeaders {
  switch (m.kind) {
    case 'exact': return { exact: m.value };
    case 'prefix': return { prefix: m.value };
    case 'regex': return { regex: m.value };
  }
}

/** Argo Rollouts `RouteMatch` of a mirror step (the step validated that it only uses method, path and header values). */
function mirrorMatch(m: MatchModel): RolloutSpecStrategyCanaryStepsSetMirrorRouteMatch {
  const headers: { [name: string]: RolloutSpecStrategyCanaryStepsSetMirrorRouteMatchHeaders } = {};
  for (const h of m.headers) if (h.match) headers[h.name] = stringMatch(h.match);
  return {
    ...(m.method ? { method: { exact: m.method } } : {}),
    ...(m.path ? { path: stringMatch(m.path) } : {}),
    ...(m.headers.length ? { headers } : {}),
  };
}

/** One canary step in the Rollout's terms. */
export function renderRolloutStep(step: RolloutStepModel): RolloutSpecStrategyCanarySteps {
  switch (step.kind) {
    case 'setWeight': return { setWeight: step.weight };
    case 'pause': return { pause: step.seconds === undefined ? {} : { duration: RolloutSpecStrategyCanaryStepsPauseDuration.fromString(`${step.seconds}s`) } };
    case 'setHeaderRoute':
      return { setHeaderRoute: { name: step.name, match: step.match.map((h) => ({ headerName: h.headerName, headerValue: stringMatch(h.value) })) } };
    case 'setMirrorRoute': return { setMirrorRoute: { name: step.name, percentage: step.percentage, match: step.match.map(mirrorMatch) } };
    case 'analysis': return { analysis: { templates: [{ templateName: step.templateName }] } };
  }
}
