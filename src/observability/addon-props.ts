import * as kplus from 'cdk8s-plus-28';

/** Properties every addon accepts. */
export interface AddonCommonProps {
  /**
   * Namespace of every object of the addon.
   *
   * @default istio-system
   */
  readonly namespace?: string;

  /**
   * Container image (pin a tag or digest).
   *
   * @default - the version this library is tested with
   */
  readonly image?: string;

  /**
   * Compute resources of the addon container.
   *
   * @default - a per-addon request/limit sized for a small mesh
   */
  readonly resources?: kplus.ContainerResources;
}
