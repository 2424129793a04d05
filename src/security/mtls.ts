import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { registeredService } from './private/registered-service';
import { PeerAuthentication, PeerAuthenticationSpec } from '../imports/security.istio.io';
import { MeshModel } from '../model/mesh-model';
import { snapshotOf } from '../model/resolve';
import { PeerAuthenticationModel, PeerAuthenticationScope, policyNamespace } from '../model/security';
import { IMeshService } from '../model/shared-interfaces';
import { propError } from '../private/errors';
import { validateDnsLabel } from '../private/names';
import { checkArgs } from '../private/runtime-types';
import { renderPeerAuthenticationSpec } from '../render/peer-authentication';
import { addMeshValidation, meshOf } from '../synth/mesh';

/**
 * Which connections a workload's sidecar accepts.
 *
 * @see https://istio.io/latest/docs/reference/config/security/peer_authentication/#PeerAuthentication-MutualTLS-Mode
 */
export enum MtlsMode {
  /** Only mutual TLS from mesh workloads. */
  STRICT = 'STRICT',
  /** Mutual TLS and plaintext (migration only: plaintext callers are not authenticated). */
  PERMISSIVE = 'PERMISSIVE',
  /** Plaintext only (no peer identity; authorization on principals cannot match). */
  DISABLE = 'DISABLE',
}

/**
 * TLS a client sidecar originates toward a service (DestinationRule
 * `trafficPolicy.tls.mode`).
 *
 * @see https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings-TLSmode
 */
export enum ClientTlsMode {
  /** Istio mutual TLS with the workload certificates (the secure default). */
  ISTIO_MUTUAL = 'ISTIO_MUTUAL',
  /**
   * Plaintext. Only valid while the target accepts plaintext (PERMISSIVE
   * migration); a synth error under STRICT.
   */
  DISABLE = 'DISABLE',
}

/** An mTLS exception for one workload port. */
export interface PortMtls {
  /**
   * The workload (container) port, e.g. the `targetPort` of a MeshService
   * port — not the Service port.
   */
  readonly port: number;

  /** mTLS mode on this port; must differ from the policy's own mode. */
  readonly mode: MtlsMode;
}

/**
 * Properties of `StrictMtls`. Give at most one of `service` and `namespace`;
 * with neither the policy is mesh-wide.
 */
export interface StrictMtlsProps {
  /**
   * Apply to the workloads of one service only (a workload selector on its
   * `app` label, in its namespace).
   *
   * @default - not workload-scoped
   */
  readonly service?: IMeshService;

  /**
   * Apply to every workload of this namespace.
   *
   * @default - mesh-wide: the policy is placed in the mesh root namespace
   * (the control plane's `rootNamespace`, `istio-system` by default)
   */
  readonly namespace?: string;

  /**
   * Per-port exceptions, e.g. a metrics port scraped without mTLS left
   * PERMISSIVE. Only for a `service`-scoped policy (Istio requires a
   * workload selector for port-level settings).
   *
   * @default - every port follows the policy's mode
   * @see https://istio.io/latest/docs/reference/config/security/peer_authentication/
   */
  readonly portLevelMtls?: PortMtls[];

  /**
   * Accept plaintext as well as mTLS (PERMISSIVE) while clients are
   * migrated into the mesh. Visible in the output as `mode: PERMISSIVE`
   * and the annotation `security.cdk8s-mesh.dev/mtls-migration: permissive`.
   *
   * @default false - STRICT: only mutual TLS is accepted
   */
  readonly permissiveMigration?: boolean;
}

/** Annotation that marks a PeerAuthentication left PERMISSIVE for migration. */
export const MTLS_MIGRATION_ANNOTATION = 'security.cdk8s-mesh.dev/mtls-migration';

/**
 * Mutual TLS for the mesh, a namespace or one service: a `PeerAuthentication`
 * in STRICT mode.
 *
 * - mesh-wide (no `namespace`, no `service`): named `default` in the mesh
 *   root namespace;
 * - namespace-wide: named `default` in that namespace;
 * - one service: named after the service, selecting its `app` label.
 *
 * Two policies for the same scope are a synth error (SEC001), and so is a
 * DestinationRule that disables TLS toward a workload this makes STRICT
 * (SEC002).
 *
 * @see https://istio.io/latest/docs/reference/config/security/peer_authentication/
 *
 * @example
 * new StrictMtls(chart, 'shop-mtls', { namespace: 'shop' });
 */
export class StrictMtls extends Construct {
  /** The PeerAuthentication (escape hatch). */
  public readonly resource: ApiObject;
  /** The mode the policy sets (STRICT unless `permissiveMigration`). */
  public readonly mode: MtlsMode;

  private readonly model: MeshModel;
  private readonly _model: PeerAuthenticationModel;

  constructor(scope: Construct, id: string, props: StrictMtlsProps = {}) {
    super(scope, id);
    checkArgs(this, 'StrictMtls.new', arguments);
    this.model = meshOf(this);
    if (props.service && props.namespace !== undefined) {
      throw propError(this, 'namespace', 'must not be set together with \'service\' (a service-scoped policy lives in the service\'s namespace)', props.namespace,
        'drop namespace, or drop service for a namespace-wide policy');
    }
    this.mode = props.permissiveMigration ? MtlsMode.PERMISSIVE : MtlsMode.STRICT;

    let scopeKind: PeerAuthenticationScope;
    let namespace: string | undefined;
    let selector: Record<string, string> | undefined;
    if (props.service) {
      registeredService(this, 'service', props.service);
      scopeKind = 'workload';
      namespace = props.service.namespace;
      selector = { app: props.service.serviceName };
    } else if (props.namespace !== undefined) {
      scopeKind = 'namespace';
      namespace = validateDnsLabel(this, 'namespace', props.namespace);
    } else {
      scopeKind = 'mesh';
    }

    const portLevel = this.validatePortLevel(props, scopeKind);
    this._model = { path: this.node.path, scope: scopeKind, namespace, selector, mode: this.mode, portLevel };
    this.model.addPeerAuthentication(this._model);
    addMeshValidation(this);

    const annotations = props.permissiveMigration ? { [MTLS_MIGRATION_ANNOTATION]: 'permissive' } : undefined;
    this.resource = new PeerAuthentication(this, 'Resource', {
      metadata: {
        name: props.service ? props.service.serviceName : 'default',
        // mesh-wide: resolved at synth so a control plane declared later moves it
        namespace: Lazy.any({ produce: () => this.namespace }) as unknown as string,
        annotations,
      },
      spec: Lazy.any({ produce: () => this._toKube() }),
    });
  }

  /** Namespace the PeerAuthentication is placed in. */
  public get namespace(): string {
    return policyNamespace(snapshotOf(this.model).mesh.rootNamespace, this._model);
  }

  /** @internal */
  public _toKube(): PeerAuthenticationSpec {
    return renderPeerAuthenticationSpec(this._model);
  }

  private validatePortLevel(props: StrictMtlsProps, scopeKind: PeerAuthenticationScope): PeerAuthenticationModel['portLevel'] {
    const list = props.portLevelMtls ?? [];
    if (list.length === 0) return [];
    if (scopeKind !== 'workload' || !props.service) {
      throw propError(this, 'portLevelMtls', 'requires a service-scoped policy (Istio applies port-level mTLS only with a workload selector)', list.map((p) => p.port),
        'set \'service\' to the service whose port is the exception, and keep a separate namespace-wide StrictMtls');
    }
    const ports = registeredService(this, 'service', props.service).ports;
    const out: { port: number; mode: MtlsMode }[] = [];
    list.forEach((p, i) => {
      const prop = `portLevelMtls[${i}].port`;
      const targets = ports.map((sp) => sp.targetPort);
      if (!targets.includes(p.port)) {
        const viaService = ports.find((sp) => sp.port === p.port);
        if (viaService) {
          throw propError(this, prop, `must be a workload (container) port; Service port ${p.port} targets container port ${viaService.targetPort}`, p.port,
            `use port: ${viaService.targetPort}`);
        }
        throw propError(this, prop, `must be one of the container ports of ${props.service!.serviceName} (${targets.join(', ')})`, p.port,
          'declare the port on the MeshService, or fix the number');
      }
      if (out.some((o) => o.port === p.port)) {
        throw propError(this, prop, 'must be unique', p.port, 'list each port once');
      }
      if (p.mode === this.mode) {
        throw propError(this, `portLevelMtls[${i}].mode`, `must differ from the policy's mode (${this.mode}); an equal port-level mode changes nothing`, p.mode,
          'drop this entry, or choose another mode');
      }
      out.push({ port: p.port, mode: p.mode });
    });
    return out;
  }
}
