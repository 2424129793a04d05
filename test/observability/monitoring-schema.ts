import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { registerGroupValidator } from '../util';

/**
 * Validates monitoring.coreos.com/v1 objects (Prometheus operator) with the
 * ajv validators `@kubernetes-models/prometheus-operator` generates from the
 * operator's CRD schemas (types, enums, required fields, formats).
 */
const KINDS: Record<string, new (data: any) => { validate(): void }> = {
  PodMonitor: PodMonitor as any,
  ServiceMonitor: ServiceMonitor as any,
  PrometheusRule: PrometheusRule as any,
};

registerGroupValidator('monitoring.coreos.com', (obj: any) => {
  if (obj.apiVersion !== 'monitoring.coreos.com/v1') return [`unsupported apiVersion ${obj.apiVersion}`];
  const Kind = KINDS[obj.kind];
  if (!Kind) return [`unknown monitoring.coreos.com kind ${obj.kind}`];
  try {
    new Kind(obj).validate();
    return [];
  } catch (e: any) {
    return [String(e.message ?? e)];
  }
});
