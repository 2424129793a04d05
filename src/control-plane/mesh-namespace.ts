import { ApiObject, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DataPlaneMode } from './ambient';
import { IMeshControlPlane } from './istio-control-plane';
import { PodSecurityLevelInfo } from './pod-security';
import { namespacePodSecurity, PodSecurityVerdict } from '../model/pod-security';
import { snapshotOf } from '../model/resolve';
import { clusterScoped } from '../private/cluster-scoped';
import { propError } from '../private/errors';
import { isLabelValue, validateDnsLabel } from '../private/names';
import { checkArgs } from '../private/runtime-types';
import { meshOf } from '../synth/mesh';

/**
 * Properties of a `MeshNamespace`.
 */
export interface MeshNamespaceProps {
  /**
   * Namespace name (a DNS-1123 label).
   *
   * @default - the construct id
   */
  readonly name?: string;

  /**
   * The control plane whose sidecars pods of this namespace get. A revisioned
   * control plane labels the namespace `istio.io/rev: <revision>`; the default
   * revision labels it `istio-injection: enabled`.
   *
   * @default - the default revision
   * @see https://istio.io/latest/docs/setup/additional-setup/sidecar-injection/
   */
  readonly controlPlane?: IMeshControlPlane;

  /**
   * Inject sidecars into pods of this namespace. `false` labels the namespace
   * `istio-injection: disabled`, which no injection webhook selects.
   *
   * @default true
   */
  readonly injection?: boolean;

  /**
   * Extra labels of the Namespace.
   *
   * @default - none
   */
  readonly labels?: { [key: string]: string };

  /**
   * Label the namespace with the strictest Pod Security Standard the pods
   * cdk8s-mesh puts in it pass (`pod-security.kubernetes.io/enforce`, `audit`
   * and `warn`), so the API server's PodSecurity admission rejects any pod
   * that is less secure. The level follows from the data plane and the
   * services' `security`: `restricted` in an ambient namespace (no init
   * container; waypoints run unprivileged with the RuntimeDefault seccomp
   * profile) and where injection is off, `baseline` when a service relaxes its
   * `security` within baseline, and `privileged` where sidecars are injected
   * (their `istio-init` container adds NET_ADMIN and NET_RAW and runs as
   * root). Pods the app does not declare are held to the same level.
   *
   * @default false - no Pod Security labels (the cluster's default level applies)
   * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
   */
  readonly podSecurityLabels?: boolean;

  /**
   * How the pods of this namespace join the mesh. `AMBIENT` labels the
   * namespace `istio.io/dataplane-mode: ambient` (the node's ztunnel carries
   * its pods' traffic) and not for sidecar injection; services in it run
   * without sidecars unless they choose `SIDECAR` themselves. Needs an
   * `IstioControlPlane` with `dataPlane: DataPlaneMode.AMBIENT` in the app
   * (or installed elsewhere, when the app declares no control plane).
   *
   * @default DataPlaneMode.SIDECAR
   * @see https://istio.io/latest/docs/ambient/usage/add-workloads/
   */
  readonly dataPlaneMode?: DataPlaneMode;

  /**
   * Ambient only: let cdk8s-mesh declare a waypoint (a Gateway of class
   * `istio-waypoint` named `waypoint`) in this namespace and attach the
   * services whose declared intent needs L7 (routes, retries, timeouts,
   * version subsets, traffic policies, L7 authorization) to it. With `false`,
   * such intent on an ambient service fails synth (AMB001).
   *
   * @default true
   * @see https://istio.io/latest/docs/ambient/usage/waypoint/
   */
  readonly waypoints?: boolean;
}

const INJECTION_LABELS: readonly string[] = ['istio-injection', 'istio.io/rev', 'istio.io/dataplane-mode', 'istio.io/use-waypoint'];
const POD_SECURITY_MODES: readonly string[] = ['enforce', 'audit', 'warn'];

/**
 * A Kubernetes Namespace that belongs to the mesh: labelled so the chosen
 * control plane's webhook injects the Envoy sidecar into its pods.
 *
 * Move a namespace to a new revision (canary upgrade) by changing
 * `controlPlane`, then restart its workloads.
 *
 * @example
 * new MeshNamespace(chart, 'shop', { controlPlane: istio });
 */
export class MeshNamespace extends Construct {
  /** Namespace name. */
  public readonly name: string;
  /** The revision the namespace is bound to; undefined for the default revision. */
  public readonly revision?: string;
  /** The Namespace object (escape hatch). */
  public readonly resource: ApiObject;
  /** How the pods of this namespace join the mesh. */
  public readonly dataPlaneMode: DataPlaneMode;

  private readonly _labels: Record<string, string>;
  private readonly injection: boolean;

  constructor(scope: Construct, id: string, props: MeshNamespaceProps = {}) {
    super(scope, id);
    checkArgs(this, 'MeshNamespace.new', arguments);
    this.name = validateDnsLabel(this, 'name', props.name ?? id);
    const injection = props.injection ?? true;
    this.revision = props.controlPlane?.revision;
    if (!injection && props.controlPlane) {
      throw propError(this, 'controlPlane', 'has no effect when injection is false', this.revision ?? 'default',
        'remove controlPlane, or set injection: true');
    }
    this.dataPlaneMode = props.dataPlaneMode ?? DataPlaneMode.SIDECAR;
    const ambient = this.dataPlaneMode === DataPlaneMode.AMBIENT;
    if (ambient && props.injection !== undefined) {
      throw propError(this, 'injection', 'has no effect in an ambient namespace (its pods get no sidecar; a service opts back in with dataPlaneMode: SIDECAR)', props.injection,
        'remove injection');
    }
    if (!ambient && props.waypoints !== undefined) {
      throw propError(this, 'waypoints', 'only applies to ambient namespaces', props.waypoints, 'set dataPlaneMode: DataPlaneMode.AMBIENT or remove waypoints');
    }
    if (ambient && props.controlPlane?.revision) {
      throw propError(this, 'controlPlane', 'must be the default revision in an ambient namespace: its pods are captured by the node\'s ztunnel, not injected by a revision '
        + '(and a namespace istio.io/rev label would make that revision inject sidecars)', props.controlPlane.revision, 'remove controlPlane');
    }
    const labels = this.namespaceLabels(props, injection, ambient);
    this._labels = labels;
    this.injection = injection;
    meshOf(this).addNamespace({ path: this.node.path, name: this.name, injection, revision: this.revision },
      { path: this.node.path, namespace: this.name, mode: ambient ? 'ambient' : 'sidecar', waypoints: props.waypoints ?? true });

    this.resource = clusterScoped(new k8s.KubeNamespace(this, 'Resource', {
      metadata: { name: this.name, labels: { ...labels } },
    }));
  }

  /**
   * The strictest Pod Security Standard the pods cdk8s-mesh puts in this
   * namespace pass (`privileged`, `baseline` or `restricted`) and why not
   * stricter; read at synth time, once every service is declared.
   */
  public podSecurityLevel(): PodSecurityLevelInfo {
    const base: PodSecurityVerdict = this.dataPlaneMode === DataPlaneMode.SIDECAR && this.injection
      ? { level: 'privileged', reason: 'sidecar injection is on: every pod gets the istio-init container, which adds NET_ADMIN and NET_RAW and runs as root (baseline forbids those capabilities)' }
      : { level: 'restricted', reason: '' };
    return namespacePodSecurity(snapshotOf(meshOf(this)).services, this.name, base);
  }

  /** The Namespace's labels (a copy). */
  public get labels(): Record<string, string> {
    return { ...this._labels };
  }

  /** The Namespace's labels: the user's (checked), then the data plane's and the Pod Security ones. */
  private namespaceLabels(props: MeshNamespaceProps, injection: boolean, ambient: boolean): Record<string, string> {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(props.labels ?? {})) {
      if (props.podSecurityLabels && k.startsWith('pod-security.kubernetes.io/')) {
        throw propError(this, `labels.${k}`, 'is managed by podSecurityLabels', v,
          'remove the label (podSecurityLabels sets the strictest level the pods pass), or set podSecurityLabels: false to set Pod Security labels yourself');
      }
      if (INJECTION_LABELS.includes(k)) {
        throw propError(this, `labels.${k}`, 'is managed by MeshNamespace', v,
          k.startsWith('istio.io/dataplane') || k === 'istio.io/use-waypoint' ? 'use the dataPlaneMode and waypoints props instead' : 'use the controlPlane and injection props instead');
      }
      if (!isLabelValue(v)) {
        throw propError(this, `labels.${k}`, 'must be a label value (at most 63 characters of letters, digits, \'-\', \'_\' and \'.\')', v, 'shorten or simplify the value');
      }
      labels[k] = v;
    }
    if (ambient) labels['istio.io/dataplane-mode'] = 'ambient';
    else if (!injection) labels['istio-injection'] = 'disabled';
    else if (this.revision) labels['istio.io/rev'] = this.revision;
    else labels['istio-injection'] = 'enabled';
    if (props.podSecurityLabels) {
      const level = Lazy.any({ produce: () => this.podSecurityLevel().level });
      for (const mode of POD_SECURITY_MODES) labels[`pod-security.kubernetes.io/${mode}`] = level;
    }
    return labels;
  }
}
