import { k8s } from 'cdk8s-plus-28';
import { ResourcesModel } from '../model/control-plane';

/** Kubernetes `ResourceRequirements` of model quantities (empty request/limit maps omitted). */
export function renderResourceRequirements(r: ResourcesModel): k8s.ResourceRequirements {
  const quantities = (q: ResourcesModel['requests']) => {
    const entries = Object.entries(q ?? {}).filter(([, v]) => v !== undefined).map(([k, v]) => [k, k8s.Quantity.fromString(v!)] as const);
    return entries.length ? Object.fromEntries(entries) : undefined;
  };
  return { requests: quantities(r.requests), limits: quantities(r.limits) };
}
