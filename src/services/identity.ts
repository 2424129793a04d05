import { IConstruct } from 'constructs';

/**
 * Anything that has a mesh identity: a Kubernetes ServiceAccount in a
 * namespace, which Istio turns into the SPIFFE principal
 * `<trust-domain>/ns/<namespace>/sa/<serviceAccount>`.
 *
 * Implemented by `MeshService` and by gateways, so authorization can take
 * objects instead of principal strings.
 */
export interface IMeshIdentity extends IConstruct {
  /** Namespace of the identity's ServiceAccount. */
  readonly identityNamespace: string;
  /** Name of the identity's ServiceAccount. */
  readonly identityServiceAccount: string;
}
