import { Diagnostic, MeshModel } from '../../model';
import { GitOpsRule, managedRolloutsOf } from '../../model/gitops';
import { propMessage } from '../../private/errors';
import { renderVirtualServiceSpec } from '../../render/virtual-service';

/** Registers the progressive-delivery rules (ROLLOUT001, ROLLOUT002); called once per model by the rule catalog. */
export function registerRolloutRules(model: MeshModel): void {
  model.addRule(GitOpsRule.EXTRA_VERSIONS, extraVersions);
  model.addRule(GitOpsRule.MANAGED_ROUTE, managedRoutes);
}

/** ROLLOUT002: the Rollout selects every pod of the service, so only the two released versions may exist. */
function extraVersions(model: MeshModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const r of managedRolloutsOf(model)) {
    const service = model.findService(r.serviceHost);
    if (!service) continue;
    const others = service.versions.map((v) => v.name).filter((v) => v !== r.stable && v !== r.canary);
    if (others.length === 0) continue;
    out.push({
      code: GitOpsRule.EXTRA_VERSIONS,
      severity: 'error',
      path: r.path,
      message: propMessage('service', `must have only the released versions ${JSON.stringify(r.stable)} and ${JSON.stringify(r.canary)} while Argo Rollouts runs it (the Rollout selects every pod of app=${service.name})`,
        others, 'remove the other versions from the MeshService, or use the static driver'),
    });
  }
  return out;
}

/** ROLLOUT001: Argo Rollouts moves the weights of the service's HTTP route named `defaultRoute`; it must exist. */
function managedRoutes(model: MeshModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const r of managedRolloutsOf(model)) {
    const service = model.findService(r.serviceHost);
    if (!service) continue;
    const error = (message: string): Diagnostic => ({ code: GitOpsRule.MANAGED_ROUTE, severity: 'error', path: r.path, message });
    if (service.ports.every((p) => p.protocol === 'tcp')) {
      out.push(error(propMessage('service', 'must have an HTTP port: Argo Rollouts moves the weights of HTTP routes', service.name, 'add an HTTP port, or use the static driver')));
      continue;
    }
    const http: { readonly name?: string }[] = renderVirtualServiceSpec(model, service).http ?? [];
    if (!http.some((route) => route.name === r.defaultRoute)) {
      out.push(error(propMessage('service', `must keep the '${r.defaultRoute}' route Argo Rollouts manages in its VirtualService, but a catch-all route replaces it`,
        http.map((route) => route.name), 'give the last route added with addRoute() a match so the default route stays last')));
    }
  }
  return out;
}
