import { Diagnostic, MeshModel } from '../../model';
import { GitOpsRule } from '../../model/gitops';
import { prometheusesOf, prometheusQueriesOf } from '../../model/observability';
import { rolloutFindings } from '../../model/releases';
import { propMessage } from '../../private/errors';

/**
 * Registers the progressive-delivery rules (ROLLOUT001: the route Argo
 * Rollouts manages must stay in the VirtualService; ROLLOUT002: only the two
 * released versions may exist; ROLLOUT003: an analysis without a Prometheus
 * URL needs exactly one Prometheus in the app); called once per model by the
 * rule catalog.
 */
export function registerRolloutRules(model: MeshModel): void {
  model.addRule(GitOpsRule.MANAGED_ROUTE, (m) => rolloutFindings(m).filter((d) => d.code === GitOpsRule.MANAGED_ROUTE));
  model.addRule(GitOpsRule.EXTRA_VERSIONS, (m) => rolloutFindings(m).filter((d) => d.code === GitOpsRule.EXTRA_VERSIONS));
  model.addRule(GitOpsRule.PROMETHEUS, prometheusToQuery);
}

/** ROLLOUT003: an analysis given no Prometheus URL queries the app's Prometheus, so there must be exactly one. */
function prometheusToQuery(model: MeshModel): Diagnostic[] {
  const found = prometheusesOf(model);
  if (found.length === 1) return [];
  const got = found.length === 0 ? 'none' : found.map((p) => p.path).join(', ');
  return prometheusQueriesOf(model).filter((q) => q.url === undefined).map((q) => ({
    code: GitOpsRule.PROMETHEUS,
    severity: 'error' as const,
    path: q.path,
    message: propMessage('prometheus',
      'must name the Prometheus that collects Istio\'s metrics: without the prop, the App must contain exactly one PrometheusAddon', got,
      'add a PrometheusAddon (or ObservabilityStack) to the App, or pass prometheus: { prometheusUrl: \'http://prometheus.monitoring:9090\' }'),
  }));
}
