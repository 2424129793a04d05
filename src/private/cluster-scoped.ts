import { ApiObject, Chart, JsonPatch } from 'cdk8s';

/**
 * Marks a cluster-scoped object (Namespace, ClusterRole, webhook
 * configurations, CRDs ...): cdk8s stamps the chart's namespace on every
 * object, which the API server rejects or ignores for cluster-scoped kinds
 * and which confuses GitOps diffing, so it is removed again.
 */
export function clusterScoped<T extends ApiObject>(obj: T): T {
  if (Chart.of(obj).namespace !== undefined) obj.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  return obj;
}
