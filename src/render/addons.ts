import { k8s } from 'cdk8s-plus-28';
import { renderResourceRequirements } from './resources';
import { AddonEnvModel, AddonServicePortModel, AddonVolumeModel, AddonWorkloadModel } from '../model/observability';
import { MeshSnapshot } from '../model/snapshot';

/**
 * The objects every observability add-on deploys: a ServiceAccount, a
 * hardened single-container Deployment whose pods are excluded from sidecar
 * injection, named ClusterIP Services, and (for the add-ons that read the
 * Kubernetes API) a read-only ClusterRole.
 */

/** Labels of every object of an add-on. */
export function addonLabels(name: string): Record<string, string> {
  return { 'app': name, 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'cdk8s-mesh-observability' };
}

function renderEnv(e: AddonEnvModel): k8s.EnvVar {
  if (e.fieldPath !== undefined) return { name: e.name, valueFrom: { fieldRef: { fieldPath: e.fieldPath } } };
  if (e.secret !== undefined) return { name: e.name, valueFrom: { secretKeyRef: { name: e.secret.name, key: e.secret.key } } };
  return { name: e.name, value: e.value };
}

function renderVolume(v: AddonVolumeModel): k8s.Volume {
  if (v.configMap) {
    return { name: v.name, configMap: { name: v.configMap.name, ...(v.configMap.items ? { items: v.configMap.items.map((i) => ({ ...i })) } : {}) } };
  }
  const sizeLimit = v.emptyDir?.sizeLimit;
  return { name: v.name, emptyDir: sizeLimit ? { sizeLimit: k8s.Quantity.fromString(sizeLimit) } : {} };
}

function probe(path: string, port: number, initialDelaySeconds: number): k8s.Probe {
  return {
    httpGet: { path, port: k8s.IntOrString.fromNumber(port) },
    initialDelaySeconds,
    periodSeconds: 10,
    timeoutSeconds: 5,
    failureThreshold: 3,
  };
}

function renderContainer(w: AddonWorkloadModel): k8s.Container {
  return {
    name: w.name,
    image: w.image,
    imagePullPolicy: 'IfNotPresent',
    args: w.args ? [...w.args] : undefined,
    env: w.env?.map(renderEnv),
    ports: w.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: 'TCP' })),
    resources: renderResourceRequirements(w.resources),
    readinessProbe: probe(w.readinessPath, w.probePort, 5),
    livenessProbe: probe(w.livenessPath ?? w.readinessPath, w.probePort, 30),
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: w.volumes.map((v) => ({ name: v.name, mountPath: v.mountPath, readOnly: v.readOnly })),
  };
}

/**
 * The add-on Deployment's spec; `configChecksum` rolls the pods when the configuration changes.
 * An add-on that joins the ambient mesh does so when any service or namespace of the app is
 * ambient: its pods are captured by ztunnel for their outbound traffic only.
 */
export function renderAddonDeploymentSpec(snapshot: MeshSnapshot, w: AddonWorkloadModel, configChecksum: string): k8s.DeploymentSpec {
  const ambient = w.joinsAmbientMesh === true
    && (snapshot.services.some((s) => s.dataPlane === 'ambient') || snapshot.namespaces.some((n) => n.dataPlane === 'ambient'));
  return {
    replicas: 1,
    selector: { matchLabels: { app: w.name } },
    template: {
      metadata: {
        // never inject the Envoy sidecar into the addons
        labels: { ...addonLabels(w.name), 'sidecar.istio.io/inject': 'false', ...(ambient ? { 'istio.io/dataplane-mode': 'ambient' } : {}) },
        annotations: {
          'sidecar.istio.io/inject': 'false',
          'checksum/config': configChecksum,
          ...(ambient ? { 'ambient.istio.io/bypass-inbound-capture': 'true' } : {}),
        },
      },
      spec: {
        serviceAccountName: w.name,
        automountServiceAccountToken: w.apiAccess,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: w.uid,
          runAsGroup: w.uid,
          fsGroup: w.uid,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        containers: [renderContainer(w)],
        volumes: w.volumes.map(renderVolume),
      },
    },
  };
}

/** A ClusterIP Service selecting an add-on's pods. */
export function renderAddonServiceSpec(addon: string, ports: readonly AddonServicePortModel[]): k8s.ServiceSpec {
  return {
    type: 'ClusterIP',
    selector: { app: addon },
    ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: k8s.IntOrString.fromNumber(p.targetPort), protocol: 'TCP', appProtocol: p.appProtocol })),
  };
}
