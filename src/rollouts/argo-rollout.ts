import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import type { RolloutRevision } from './release-driver';
import { RolloutStep, RolloutStepInfo } from './rollout-step';
import { hostToLabel } from '../gateways/private/hosts';
import { MeshModel } from '../model';
import { gatewayRouteTables, gatewaysOf } from '../model/gateways';
import { addManagedFields, GitOpsRule, managedGatewayRouteName, ManagedFieldsModel } from '../model/gitops';
import { propError, propMessage } from '../private/errors';
import { checkInt } from '../private/values';
import { renderVirtualServiceSpec } from '../render/virtual-service';
import type { CanaryRelease } from '../traffic/canary-release';

/** The route of the service's VirtualService that carries the default split. */
export const DEFAULT_ROUTE = 'default';
/** The label Argo Rollouts adds to pods and to the managed subsets. */
export const POD_TEMPLATE_HASH = 'rollouts-pod-template-hash';

export interface ArgoRolloutProps {
  readonly release: CanaryRelease;
  readonly steps: RolloutStep[];
  readonly replicas?: number;
  readonly subsets: { readonly stable: string; readonly canary: string };
  readonly revision: RolloutRevision;
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
 */
export class ArgoRollout extends Construct {
  /** The Rollout object. */
  public readonly resource: ApiObject;
  private readonly steps: { json: any; info: RolloutStepInfo }[];
  /** The stable version's Deployment the Rollout references at its first revision. */
  private readonly stableDeployment?: ApiObject;
  /** Names of the routes Argo Rollouts inserts for header and mirror steps. */
  private readonly managedRoutes: string[];

  constructor(scope: Construct, id: string, private readonly props: ArgoRolloutProps) {
    super(scope, id);
    const release = props.release;
    const service = release.service;
    const model = MeshModel.of(this);
    if (release.canaryPercentage !== 0) {
      throw propError(release, 'canaryPercentage', 'must be 0 with the Argo Rollouts driver (the Rollout steps own the weights; Git keeps 100% on stable)',
        release.canaryPercentage, 'set canaryPercentage: 0 and express the weights as RolloutStep.weight() steps');
    }
    if (!props.steps || props.steps.length === 0) {
      throw propError(release, 'driver.steps', 'must list at least one step', props.steps ?? [], 'add e.g. RolloutStep.weight(10), RolloutStep.pause()');
    }
    const replicas = props.replicas === undefined ? undefined : checkInt(release, 'driver.replicas', props.replicas, 1);
    this.steps = props.steps.map((s, i) => s._bind(release, `driver.steps[${i}]`));
    let last = 0;
    let lastIndex = -1;
    const routes = new Set<string>();
    this.steps.forEach(({ info }, i) => {
      if (info.weight !== undefined) {
        if (info.weight < last) {
          throw propError(release, `driver.steps[${i}].setWeight`, `must not be lower than the weight of steps[${lastIndex}] (${last}): canary weights only grow (abort the rollout to go back)`,
            info.weight, `use a weight of at least ${last}, or remove steps[${lastIndex}]`);
        }
        last = info.weight;
        lastIndex = i;
      }
      if (info.managedRoute) {
        if (info.managedRoute === DEFAULT_ROUTE) {
          throw propError(release, `driver.steps[${i}]`, `must not name its route '${DEFAULT_ROUTE}' (the weighted route of the VirtualService)`, info.managedRoute, 'choose another name, e.g. \'testers\'');
        }
        routes.add(info.managedRoute);
      }
      if (info.analysis && info.analysis.namespace !== service.namespace) {
        throw propError(release, `driver.steps[${i}].analysis`, `must be in the Rollout's namespace ${JSON.stringify(service.namespace)}`, info.analysis.namespace,
          'create the SloAnalysis for this service');
      }
    });

    const stableDeployment = service.deploymentOf(release.stable);
    const canaryDeployment = service.deploymentOf(release.canary);
    const firstRevision = props.revision === 'STABLE';
    // The Rollout runs these versions' pods: their Deployments are not emitted, except the stable
    // one at the first revision: the Rollout takes its template by workloadRef, and keeping it in Git
    // stops Argo CD from pruning the running stable pods when moving from the static driver
    // (Argo Rollouts scales it down as the Rollout's pods become ready).
    if (!firstRevision) service.node.tryRemoveChild(stableDeployment.node.id);
    service.node.tryRemoveChild(canaryDeployment.node.id);
    this.stableDeployment = firstRevision ? ApiObject.of(stableDeployment) : undefined;

    const managedRoutes = [...routes];
    this.managedRoutes = managedRoutes;
    this.resource = new ApiObject(this, 'Resource', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: service.serviceName, namespace: service.namespace, labels: { 'app': service.serviceName, 'app.kubernetes.io/name': service.serviceName } },
      spec: Lazy.any({
        produce: () => {
          const svc = model.findService(service.host);
          const stableReplicas = svc?.versions.find((v) => v.name === release.stable)?.replicas ?? 1;
          const workload = this.stableDeployment
            ? { workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.stableDeployment.name, scaleDown: 'progressively' } }
            : { template: ApiObject.of(canaryDeployment).toJson().spec.template };
          return {
            replicas: replicas ?? stableReplicas,
            selector: { matchLabels: { app: service.serviceName } },
            ...workload,
            strategy: {
              canary: {
                trafficRouting: {
                  ...(managedRoutes.length ? { managedRoutes: managedRoutes.map((name) => ({ name })) } : {}),
                  istio: {
                    virtualServices: this.virtualServices(model).map((v) => ({ name: v.ref, routes: v.routes })),
                    destinationRule: { name: service.serviceName, canarySubsetName: props.subsets.canary, stableSubsetName: props.subsets.stable },
                  },
                },
                steps: this.steps.map((s) => s.json),
              },
            },
          };
        },
      }),
    });

    addManagedFields(model, () => this.managedFields(model));
    this.node.addValidation({ validate: () => this.validateGraph(model) });
  }

  /** VirtualServices (and their managed route) whose weights the Rollout moves. */
  private virtualServices(model: MeshModel): { ref: string; name: string; namespace: string; routes: string[]; objectPath: string }[] {
    const service = this.props.release.service;
    const out = [{
      ref: service.serviceName,
      name: service.serviceName,
      namespace: service.namespace,
      routes: [DEFAULT_ROUTE],
      objectPath: service.virtualService.node.path,
    }];
    // one entry per gateway VirtualService carrying routes to the service
    // (any-host routes are also the fallback of the gateway's concrete hosts)
    for (const gw of gatewaysOf(model)) {
      for (const table of gatewayRouteTables(gw)) {
        const routes = table.routes.filter((r) => r.serviceHost === service.host);
        if (routes.length === 0) continue;
        const name = `${gw.name}-${hostToLabel(table.host)}`;
        out.push({
          ref: gw.namespace === service.namespace ? name : `${name}.${gw.namespace}`,
          name,
          namespace: gw.namespace,
          routes: routes.map((r) => managedGatewayRouteName(model, service.host, service.serviceName, r.index)!),
          objectPath: `${gw.path}/Route-${table.host}`,
        });
      }
    }
    return out;
  }

  private managedFields(model: MeshModel): ManagedFieldsModel[] {
    const service = this.props.release.service;
    const manager = `Argo Rollouts (${this.node.path})`;
    const out: ManagedFieldsModel[] = this.virtualServices(model).map((v) => ({
      objectPath: v.objectPath,
      group: 'networking.istio.io',
      kind: 'VirtualService',
      name: v.name,
      namespace: v.namespace,
      jqPathExpressions: [
        ...v.routes.map((route) => `.spec.http[] | select(.name == "${route}") | .route[].weight`),
        // routes Argo Rollouts inserts for header/mirror steps while a step is active
        ...this.managedRoutes.map((name) => `.spec.http[] | select(.name == "${name}")`),
      ],
      manager,
    }));
    if (this.stableDeployment) {
      // workloadRef with scaleDown: progressively: Argo Rollouts scales the stable Deployment down
      out.push({
        objectPath: this.stableDeployment.node.path,
        group: 'apps',
        kind: 'Deployment',
        name: this.stableDeployment.name,
        namespace: service.namespace,
        jqPathExpressions: ['.spec.replicas'],
        manager,
      });
    }
    const { stable, canary } = this.props.subsets;
    out.push({
      objectPath: service.destinationRule.node.path,
      group: 'networking.istio.io',
      kind: 'DestinationRule',
      name: service.serviceName,
      namespace: service.namespace,
      jqPathExpressions: [`.spec.subsets[] | select(.name == "${stable}" or .name == "${canary}") | .labels["${POD_TEMPLATE_HASH}"]`],
      manager,
    });
    return out;
  }

  private validateGraph(model: MeshModel): string[] {
    const release = this.props.release;
    const service = model.findService(release.service.host);
    if (!service) return [];
    const errors: string[] = [];
    const others = service.versions.map((v) => v.name).filter((v) => v !== release.stable && v !== release.canary);
    if (others.length > 0) {
      errors.push(`${GitOpsRule.EXTRA_VERSIONS}: ${propMessage('service', `must have only the released versions ${JSON.stringify(release.stable)} and ${JSON.stringify(release.canary)} while Argo Rollouts runs it (the Rollout selects every pod of app=${service.name})`,
        others, 'remove the other versions from the MeshService, or use the static driver')}`);
    }
    if (service.ports.every((p) => p.protocol === 'tcp')) {
      errors.push(`${GitOpsRule.MANAGED_ROUTE}: ${propMessage('service', 'must have an HTTP port: Argo Rollouts moves the weights of HTTP routes', service.name, 'add an HTTP port, or use the static driver')}`);
      return errors;
    }
    const http: any[] = renderVirtualServiceSpec(model, service).http ?? [];
    if (!http.some((r) => r.name === DEFAULT_ROUTE)) {
      errors.push(`${GitOpsRule.MANAGED_ROUTE}: ${propMessage('service', `must keep the '${DEFAULT_ROUTE}' route Argo Rollouts manages in its VirtualService, but a catch-all route replaces it`,
        http.map((r) => r.name), 'give the last route added with addRoute() a match so the default route stays last')}`);
    }
    return errors;
  }
}
