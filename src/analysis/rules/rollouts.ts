import { Diagnostic } from '../../model/core';
import { DEFAULT_ROUTE } from '../../model/releases';
import { MeshSnapshot } from '../../model/snapshot';
import { isCatchAllRoute } from '../../model/traffic';
import { propMessage } from '../../private/errors';
import { finding, RuleSet } from '../rule';

/** Rules over releases run by Argo Rollouts (`ROLLOUTnnn`). */

/** The Rollouts that drive the release owning their service's routing, with that service. */
function activeRollouts(s: MeshSnapshot) {
  return s.rollouts.flatMap((rollout) => {
    const service = s.service(rollout.serviceHost);
    const release = service?.release;
    return service && release && release.path === rollout.releasePath ? [{ rollout, service, release }] : [];
  });
}

function managedRouteMissing(s: MeshSnapshot): Diagnostic[] {
  return activeRollouts(s).flatMap(({ rollout, service, release }) => {
    if (service.ports.every((p) => p.protocol === 'tcp')) {
      return [finding(ROLLOUT_RULES.MANAGED_ROUTE, rollout.path,
        propMessage('service', 'must have an HTTP port: Argo Rollouts moves the weights of HTTP routes', service.name, 'add an HTTP port, or use the static driver'))];
    }
    // the VirtualService ends with the default route unless the last route added matches every request
    const routes = service.traffic.routes;
    if (routes.length === 0 || !isCatchAllRoute(routes[routes.length - 1])) return [];
    const names = [...(release.pinned.length ? ['canary-pinned'] : []), ...routes.map((r) => r.name)];
    return [finding(ROLLOUT_RULES.MANAGED_ROUTE, rollout.path,
      propMessage('service', `must keep the '${DEFAULT_ROUTE}' route Argo Rollouts manages in its VirtualService, but a catch-all route replaces it`,
        names, 'give the last route added with addRoute() a match so the default route stays last'))];
  });
}

function extraVersions(s: MeshSnapshot): Diagnostic[] {
  return activeRollouts(s).flatMap(({ rollout, service, release }) => {
    const others = service.versions.map((v) => v.name).filter((v) => v !== release.stable && v !== release.canary);
    if (others.length === 0) return [];
    return [finding(ROLLOUT_RULES.EXTRA_VERSIONS, rollout.path,
      propMessage('service', `must have only the released versions ${JSON.stringify(release.stable)} and ${JSON.stringify(release.canary)} while Argo Rollouts runs it (the Rollout selects every pod of app=${service.name})`,
        others, 'remove the other versions from the MeshService, or use the static driver'))];
  });
}

/** An analysis given no Prometheus URL queries the app's Prometheus, so there must be exactly one. */
function prometheusToQuery(s: MeshSnapshot): Diagnostic[] {
  const found = s.addons.filter((a) => a.kind === 'prometheus');
  if (found.length === 1) return [];
  const got = found.length === 0 ? 'none' : found.map((p) => p.path).join(', ');
  return s.observability.prometheusQueries.filter((q) => q.url === undefined).map((q) => finding(ROLLOUT_RULES.PROMETHEUS, q.path,
    propMessage('prometheus',
      'must name the Prometheus that collects Istio\'s metrics: without the prop, the App must contain exactly one PrometheusAddon', got,
      'add a PrometheusAddon (or ObservabilityStack) to the App, or pass prometheus: { prometheusUrl: \'http://prometheus.monitoring:9090\' }')));
}

export const ROLLOUT_RULES: RuleSet<'MANAGED_ROUTE' | 'EXTRA_VERSIONS' | 'PROMETHEUS'> = {
  MANAGED_ROUTE: {
    code: 'ROLLOUT001',
    severity: 'error',
    reportedOn: 'the `ArgoRollout` of a release',
    summary: 'The service\'s VirtualService lacks the `default` route whose weights Argo Rollouts moves (a catch-all route added with `addRoute()` replaces it), or the service has no HTTP port.',
    fix: 'Give the last route a match so the default route stays last; Rollouts needs an HTTP port.',
    check: managedRouteMissing,
  },
  EXTRA_VERSIONS: {
    code: 'ROLLOUT002',
    severity: 'error',
    reportedOn: 'the `ArgoRollout` of a release',
    summary: 'The service has versions other than the release\'s stable and canary: the Rollout selects every pod of the service.',
    fix: 'Remove the other versions, or use the static driver.',
    check: extraVersions,
  },
  PROMETHEUS: {
    code: 'ROLLOUT003',
    severity: 'error',
    reportedOn: 'the `SloAnalysis`',
    summary: 'An analysis without `prometheus` queries the app\'s Prometheus, but the app has none or several `PrometheusAddon`s.',
    fix: 'Add one `PrometheusAddon` (or `ObservabilityStack`), or pass `prometheus: { prometheusUrl }`.',
    check: prometheusToQuery,
  },
};
