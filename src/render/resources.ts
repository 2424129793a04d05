import { k8s } from 'cdk8s-plus-28';
import { ResourcesModel } from '../model/control-plane';

/**
 * Model quantities as typed Kubernetes L1 `ResourceRequirements` (for the
 * objects built from k8s L1 classes: gateways, addons). Empty request/limit
 * maps are omitted.
 */
export function renderResourceRequirements(model: ResourcesModel): k8s.ResourceRequirements {
  const quantities = (q: ResourcesModel['requests']) => (q
    ? Object.fromEntries(Object.entries(q).map(([k, v]) => [k, k8s.Quantity.fromString(v!)]))
    : undefined);
  return { requests: quantities(model.requests), limits: quantities(model.limits) };
}
