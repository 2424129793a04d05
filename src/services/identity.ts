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

/**
 * Something a mesh service can call: another `MeshService`, or an
 * `ExternalService`. `dependsOn()` takes these, so the Sidecar egress scope
 * and the topology know every destination.
 */
export interface IMeshDestination extends IConstruct {
  /** Namespace the destination is declared in (its Service or ServiceEntry). */
  readonly destinationNamespace: string;
  /** Host names callers address the destination by. */
  readonly destinationHosts: string[];
}
