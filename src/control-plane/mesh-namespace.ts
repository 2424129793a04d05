import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IMeshControlPlane } from './istio-control-plane';
import { MeshModel } from '../model';
import { clusterScoped } from '../private/cluster-scoped';
import { propError } from '../private/errors';
import { isLabelValue, validateDnsLabel } from '../private/names';
import { checkArgs } from '../private/runtime-types';

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
}

const INJECTION_LABELS = ['istio-injection', 'istio.io/rev'];

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

  private readonly _labels: Record<string, string>;

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
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(props.labels ?? {})) {
      if (INJECTION_LABELS.includes(k)) {
        throw propError(this, `labels.${k}`, 'is managed by MeshNamespace', v, 'use the controlPlane and injection props instead');
      }
      if (!isLabelValue(v)) {
        throw propError(this, `labels.${k}`, 'must be a label value (at most 63 characters of letters, digits, \'-\', \'_\' and \'.\')', v, 'shorten or simplify the value');
      }
      labels[k] = v;
    }
    if (!injection) labels['istio-injection'] = 'disabled';
    else if (this.revision) labels['istio.io/rev'] = this.revision;
    else labels['istio-injection'] = 'enabled';
    this._labels = labels;
    MeshModel.of(this).addNamespace({ path: this.node.path, name: this.name, injection, revision: this.revision });

    this.resource = clusterScoped(new k8s.KubeNamespace(this, 'Resource', {
      metadata: { name: this.name, labels: { ...labels } },
    }));
  }

  /** The Namespace's labels (a copy). */
  public get labels(): Record<string, string> {
    return { ...this._labels };
  }
}
