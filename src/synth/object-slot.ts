import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { MeshSnapshot } from '../model/snapshot';

/**
 * What an `ObjectSlot` emits for a snapshot: the object built under the
 * slot, or undefined when the snapshot says the owner emits nothing there.
 */
export type SlotContent = (slot: Construct, snapshot: MeshSnapshot) => ApiObject | undefined;

/**
 * The place of an object whose presence only the whole app decides (a
 * service's `Sidecar` when its namespace may make it ambient, a version's
 * Deployment a Rollout may take over, an egress gateway's Gateway once an
 * external service leaves through it). The owner creates the slot where the
 * object belongs in its subtree (which fixes its place in the output); the
 * synthesis pipeline (`attachRendered`) fills it once from the snapshot,
 * before anything is rendered. A slot never removes anything.
 */
export class ObjectSlot extends Construct {
  private _object?: ApiObject;
  private filled = false;

  constructor(scope: Construct, id: string, private readonly content: SlotContent) {
    super(scope, id);
  }

  /** The object the slot holds, once filled (undefined before synth or when the owner emits nothing). */
  public get object(): ApiObject | undefined {
    return this._object;
  }

  /** @internal Fills the slot from the snapshot (once). */
  public _fill(snapshot: MeshSnapshot): void {
    if (this.filled) return;
    this.filled = true;
    this._object = this.content(this, snapshot);
  }
}
