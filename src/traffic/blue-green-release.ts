import { Construct } from 'constructs';
import { HeaderMatch, HttpMatch } from './http-match';
import { IMeshService } from '../model/shared-interfaces';
import { propError } from '../private/errors';
import { checkArgs } from '../private/runtime-types';
import { addMeshValidation, meshOf } from '../synth/mesh';

/**
 * Properties of a `BlueGreenRelease`.
 */
export interface BlueGreenReleaseProps {
  /** The service being released. The release owns its default routing. */
  readonly service: IMeshService;

  /** The version that receives 100% of the service's traffic. */
  readonly active: string;

  /**
   * The other version: deployed side by side and receiving no live traffic.
   * Switching is swapping `active` and `preview`; rolling back is swapping
   * them again.
   */
  readonly preview: string;

  /**
   * Requests carrying this header reach the preview version (for smoke tests
   * before the switch).
   *
   * @default - the preview version receives no traffic
   */
  readonly previewHeader?: HeaderMatch;
}

/**
 * A blue-green release of a `MeshService`: all of the service's traffic goes
 * to the `active` version; the `preview` version runs beside it and is
 * reachable only through `previewHeader`. The switch is atomic: change
 * `active` (and `preview`) and re-synthesize.
 *
 * Use `CanaryRelease` for a gradual shift; use this when versions must not
 * serve live traffic at the same time (e.g. incompatible sessions).
 * Like `CanaryRelease`, it owns the service's routing.
 *
 * @see https://istio.io/latest/docs/concepts/traffic-management/#routing-versions
 *
 * @example
 * new BlueGreenRelease(chart, 'orders-switch', {
 *   service: orders,
 *   active: 'v2',
 *   preview: 'v1',
 *   previewHeader: HeaderMatch.exact('x-preview', 'true'),
 * });
 */
export class BlueGreenRelease extends Construct {
  /** The service being released. */
  public readonly service: IMeshService;
  /** The version receiving all traffic. */
  public readonly active: string;
  /** The idle version. */
  public readonly preview: string;

  constructor(scope: Construct, id: string, props: BlueGreenReleaseProps) {
    super(scope, id);
    checkArgs(this, 'BlueGreenRelease.new', arguments);
    this.service = props.service;
    this.active = props.active;
    this.preview = props.preview;
    if (props.active === props.preview) {
      throw propError(this, 'preview', 'must differ from \'active\'', props.preview, 'name the idle version as preview');
    }
    meshOf(this).addRelease(props.service.host, {
      path: this.node.path,
      kind: 'blue-green',
      stable: props.active,
      canary: props.preview,
      canaryWeight: 0,
      pinned: props.previewHeader ? [HttpMatch.header(props.previewHeader)._toModel(this, 'previewHeader')] : [],
    });
    addMeshValidation(this);
  }
}
