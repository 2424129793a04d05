import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';

/**
 * cdk8s-plus `ContainerResources` as typed Kubernetes L1 `ResourceRequirements`
 * (for objects built from k8s L1 classes: gateways, istiod, addons).
 * Empty request/limit maps are omitted.
 */
export function toResourceRequirements(r: kplus.ContainerResources): k8s.ResourceRequirements {
  const requests: Record<string, k8s.Quantity> = {};
  const limits: Record<string, k8s.Quantity> = {};
  if (r.cpu?.request) requests.cpu = k8s.Quantity.fromString(r.cpu.request.amount);
  if (r.cpu?.limit) limits.cpu = k8s.Quantity.fromString(r.cpu.limit.amount);
  if (r.memory?.request) requests.memory = k8s.Quantity.fromString(`${r.memory.request.toMebibytes()}Mi`);
  if (r.memory?.limit) limits.memory = k8s.Quantity.fromString(`${r.memory.limit.toMebibytes()}Mi`);
  return {
    requests: Object.keys(requests).length ? requests : undefined,
    limits: Object.keys(limits).length ? limits : undefined,
  };
}
