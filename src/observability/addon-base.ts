import { createHash } from 'crypto';
import { Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { clusterScoped } from '../private/cluster-scoped';
import { propError } from '../private/errors';
import { validateDnsLabel } from '../private/names';
import { toResourceRequirements } from '../private/resources';

/**
 * Shared rendering of the observability addons (not exported from the
 * package): a ServiceAccount, a hardened single-container Deployment whose pods
 * are excluded from sidecar injection, and named ClusterIP Services.
 */

export interface AddonPort {
  readonly name: string;
  readonly containerPort: number;
}

export interface AddonServicePort {
  readonly name: string;
  readonly port: number;
  readonly targetPort: number;
  readonly appProtocol: string;
}

export interface AddonWorkloadOptions {
  readonly name: string;
  readonly namespace: string;
  readonly image: string;
  readonly args?: string[];
  readonly env?: k8s.EnvVar[];
  readonly ports: AddonPort[];
  /** Volumes (ConfigMaps or emptyDirs) and where they mount. */
  readonly volumes: { volume: k8s.Volume; mountPath: string; readOnly?: boolean }[];
  readonly resources: kplus.ContainerResources;
  readonly uid: number;
  readonly readinessPath: string;
  readonly livenessPath?: string;
  readonly probePort: number;
  /** Needs to talk to the Kubernetes API (Prometheus discovery, Kiali). */
  readonly apiAccess: boolean;
  /** Checksum of the configuration, so a config change rolls the pods (resolved lazily). */
  readonly configChecksum: () => string;
  /** Labels added to the pod template at synth (resolved lazily); none by default. */
  readonly podLabels?: () => Record<string, string>;
  /** Annotations added to the pod template at synth (resolved lazily); none by default. */
  readonly podAnnotations?: () => Record<string, string>;
}

export const ADDON_LABEL = 'app';

export function addonLabels(name: string): Record<string, string> {
  return { 'app': name, 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'cdk8s-mesh-observability' };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function quantities(scope: Construct, resources: kplus.ContainerResources): k8s.ResourceRequirements {
  const cpu = resources.cpu;
  const mem = resources.memory;
  if (!cpu?.limit || !mem?.limit) {
    throw propError(scope, 'resources', 'must set both a CPU and a memory limit', resources,
      'pass e.g. { cpu: { request: Cpu.millis(100), limit: Cpu.millis(500) }, memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) } }');
  }
  return toResourceRequirements(resources);
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

/** ServiceAccount + Deployment of one addon. */
export function addonWorkload(scope: Construct, o: AddonWorkloadOptions): { serviceAccount: k8s.KubeServiceAccount; deployment: k8s.KubeDeployment } {
  const labels = addonLabels(o.name);
  const serviceAccount = new k8s.KubeServiceAccount(scope, 'ServiceAccount', {
    metadata: { name: o.name, namespace: o.namespace, labels },
    automountServiceAccountToken: o.apiAccess,
  });
  const probe = (path: string, initialDelaySeconds: number): k8s.Probe => ({
    httpGet: { path, port: k8s.IntOrString.fromNumber(o.probePort) },
    initialDelaySeconds,
    periodSeconds: 10,
    timeoutSeconds: 5,
    failureThreshold: 3,
  });
  const deployment = new k8s.KubeDeployment(scope, 'Deployment', {
    metadata: { name: o.name, namespace: o.namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: o.name } },
      template: {
        metadata: {
          // never inject the Envoy sidecar into the addons (istio-install.md §7)
          labels: o.podLabels
            ? Lazy.any({ produce: () => ({ ...labels, 'sidecar.istio.io/inject': 'false', ...o.podLabels!() }) })
            : { ...labels, 'sidecar.istio.io/inject': 'false' },
          annotations: o.podAnnotations
            ? Lazy.any({ produce: () => ({ 'sidecar.istio.io/inject': 'false', 'checksum/config': o.configChecksum(), ...o.podAnnotations!() }) })
            : { 'sidecar.istio.io/inject': 'false', 'checksum/config': Lazy.any({ produce: () => o.configChecksum() }) },
        },
        spec: {
          serviceAccountName: o.name,
          automountServiceAccountToken: o.apiAccess,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: o.uid,
            runAsGroup: o.uid,
            fsGroup: o.uid,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [{
            name: o.name,
            image: o.image,
            imagePullPolicy: 'IfNotPresent',
            args: o.args,
            env: o.env,
            ports: o.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: 'TCP' })),
            resources: quantities(scope, o.resources),
            readinessProbe: probe(o.readinessPath, 5),
            livenessProbe: probe(o.livenessPath ?? o.readinessPath, 30),
            securityContext: {
              allowPrivilegeEscalation: false,
              privileged: false,
              readOnlyRootFilesystem: true,
              runAsNonRoot: true,
              capabilities: { drop: ['ALL'] },
            },
            volumeMounts: o.volumes.map((v) => ({ name: v.volume.name, mountPath: v.mountPath, readOnly: v.readOnly })),
          }],
          volumes: o.volumes.map((v) => v.volume),
        },
      },
    },
  });
  return { serviceAccount, deployment };
}

/** A ClusterIP Service selecting an addon's pods. */
export function addonService(
  scope: Construct, id: string, addon: string, name: string, namespace: string, ports: AddonServicePort[],
): k8s.KubeService {
  return new k8s.KubeService(scope, id, {
    metadata: { name, namespace, labels: addonLabels(addon) },
    spec: {
      type: 'ClusterIP',
      selector: { app: addon },
      ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: k8s.IntOrString.fromNumber(p.targetPort), protocol: 'TCP', appProtocol: p.appProtocol })),
    },
  });
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

export function configMapVolume(name: string, configMap: string, items?: { key: string; path: string }[]): k8s.Volume {
  return { name, configMap: { name: configMap, ...(items ? { items } : {}) } };
}

export function emptyDirVolume(name: string, sizeLimit?: string): k8s.Volume {
  return { name, emptyDir: sizeLimit ? { sizeLimit: k8s.Quantity.fromString(sizeLimit) } : {} };
}

/** A Prometheus duration string (`30s`, `1500ms`) that never throws on fractional seconds. */
export function promDuration(d: { toMilliseconds(): number }): string {
  const ms = Math.round(d.toMilliseconds());
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
