import { createHash } from 'crypto';
import { Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ResourcesModel } from '../model/control-plane';
import { AddonServicePortModel, AddonWorkloadModel } from '../model/observability';
import { snapshotOf } from '../model/resolve';
import { toResourcesModel } from '../model/resources';
import { clusterScoped } from '../private/cluster-scoped';
import { propError } from '../private/errors';
import { validateDnsLabel } from '../private/names';
import { addonLabels, renderAddonDeploymentSpec, renderAddonServiceSpec } from '../render/addons';
import { meshOf } from '../synth/mesh';

/**
 * What the observability add-on constructs share (not exported from the
 * package): prop validation, and attaching the objects `render/addons.ts`
 * renders.
 */

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The add-on's resources as model quantities; both limits are required. */
export function addonResources(scope: Construct, resources: kplus.ContainerResources): ResourcesModel {
  if (!resources.cpu?.limit || !resources.memory?.limit) {
    throw propError(scope, 'resources', 'must set both a CPU and a memory limit', resources,
      'pass e.g. { cpu: { request: Cpu.millis(100), limit: Cpu.millis(500) }, memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) } }');
  }
  return toResourcesModel(resources);
}

export function addonNamespace(scope: Construct, namespace: string | undefined): string {
  return validateDnsLabel(scope, 'namespace', namespace ?? 'istio-system');
}

export function validateImage(scope: Construct, image: string): string {
  if (!image || /\s/.test(image) || !/[:@]/.test(image.split('/').pop()!)) {
    throw propError(scope, 'image', 'must be a pinned image reference (with a tag or digest, no whitespace)', image,
      'use e.g. \'docker.io/prom/prometheus:v3.10.0\'');
  }
  return image;
}

/** Attaches the ServiceAccount and Deployment of an add-on's workload. */
export function addonWorkload(
  scope: Construct, w: AddonWorkloadModel, configChecksum: () => string,
): { serviceAccount: k8s.KubeServiceAccount; deployment: k8s.KubeDeployment } {
  const metadata = { name: w.name, namespace: w.namespace, labels: addonLabels(w.name) };
  const serviceAccount = new k8s.KubeServiceAccount(scope, 'ServiceAccount', { metadata, automountServiceAccountToken: w.apiAccess });
  const deployment = new k8s.KubeDeployment(scope, 'Deployment', {
    metadata,
    spec: Lazy.any({ produce: () => renderAddonDeploymentSpec(snapshotOf(meshOf(scope)), w, configChecksum()) }),
  });
  return { serviceAccount, deployment };
}

/** Attaches a ClusterIP Service selecting an add-on's pods. */
export function addonService(
  scope: Construct, id: string, addon: string, name: string, namespace: string, ports: AddonServicePortModel[],
): k8s.KubeService {
  return new k8s.KubeService(scope, id, { metadata: { name, namespace, labels: addonLabels(addon) }, spec: renderAddonServiceSpec(addon, ports) });
}

/** A read-only ClusterRole and its binding to the addon's ServiceAccount. */
export function addonClusterRole(
  scope: Construct, name: string, namespace: string, rules: k8s.PolicyRule[],
): { role: k8s.KubeClusterRole; binding: k8s.KubeClusterRoleBinding } {
  const labels = addonLabels(name);
  const roleName = `${name}-${namespace}`;
  const role = clusterScoped(new k8s.KubeClusterRole(scope, 'ClusterRole', { metadata: { name: roleName, labels }, rules }));
  const binding = clusterScoped(new k8s.KubeClusterRoleBinding(scope, 'ClusterRoleBinding', {
    metadata: { name: roleName, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects: [{ kind: 'ServiceAccount', name, namespace }],
  }));
  return { role, binding };
}

/** `http://<service>.<namespace>.svc.<domain>:<port><path>` */
export function serviceUrl(service: string, namespace: string, clusterDomain: string, port: number, path = ''): string {
  return `http://${service}.${namespace}.svc.${clusterDomain}:${port}${path}`;
}

/** A Prometheus duration string (`30s`, `1500ms`) that never throws on fractional seconds. */
export function promDuration(d: { toMilliseconds(): number }): string {
  const ms = Math.round(d.toMilliseconds());
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
