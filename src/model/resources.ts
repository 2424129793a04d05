import * as kplus from 'cdk8s-plus-28';
import { ResourcesModel } from './control-plane';

/**
 * cdk8s-plus `ContainerResources` as model quantities (`'500m'`, `'256Mi'`),
 * for the objects rendered from the model (istiod, the ambient node agents,
 * the proxies' injector values). Empty request/limit maps are omitted.
 */
export function toResourcesModel(r: kplus.ContainerResources): ResourcesModel {
  const requests: { cpu?: string; memory?: string } = {};
  const limits: { cpu?: string; memory?: string } = {};
  if (r.cpu?.request) requests.cpu = r.cpu.request.amount;
  if (r.memory?.request) requests.memory = `${r.memory.request.toMebibytes()}Mi`;
  if (r.cpu?.limit) limits.cpu = r.cpu.limit.amount;
  if (r.memory?.limit) limits.memory = `${r.memory.limit.toMebibytes()}Mi`;
  return {
    ...(Object.keys(requests).length ? { requests } : {}),
    ...(Object.keys(limits).length ? { limits } : {}),
  };
}
