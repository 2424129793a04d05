import { k8s } from 'cdk8s-plus-28';
import { ControlPlaneModel } from '../../model/control-plane';

/**
 * Names and labels of one control plane's objects: `istiod` or
 * `istiod-<revision>`, the `istio.io/rev` value (`default` for the default
 * revision), and the metadata every object of the control plane carries.
 */
export interface ControlPlaneNames {
  /** `-<revision>`, or '' for the default revision. */
  readonly suffix: string;
  /** `istio.io/rev` value. */
  readonly revLabel: string;
  /** istiod Deployment, ServiceAccount and Service name. */
  readonly istiod: string;
  /** Labels of every istiod object. */
  readonly labels: Readonly<Record<string, string>>;
}

export function controlPlaneNames(cp: Pick<ControlPlaneModel, 'revision'>): ControlPlaneNames {
  const suffix = cp.revision ? `-${cp.revision}` : '';
  const revLabel = cp.revision ?? 'default';
  return {
    suffix,
    revLabel,
    istiod: `istiod${suffix}`,
    labels: { 'app': 'istiod', 'app.kubernetes.io/name': 'istiod', 'app.kubernetes.io/part-of': 'istio', 'istio.io/rev': revLabel },
  };
}

/** Metadata of a namespaced istiod object. */
export function istiodMeta(cp: ControlPlaneModel, name: string, extra: Record<string, string> = {}): k8s.ObjectMeta {
  return { name, namespace: cp.namespace, labels: { ...controlPlaneNames(cp).labels, ...extra } };
}

/** Metadata of a cluster-scoped istiod object. */
export function istiodClusterMeta(cp: ControlPlaneModel, name: string, extra: Record<string, string> = {}): k8s.ObjectMeta {
  return { name, labels: { ...controlPlaneNames(cp).labels, ...extra } };
}
