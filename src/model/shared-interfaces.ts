import { IConstruct } from 'constructs';
import { MeshServicePort } from './service-port';

/**
 * Interfaces shared between the construct areas. They live in the lowest
 * public layer so that a construct of a lower area (security, traffic, ...)
 * can take a construct of a higher one (a `MeshService`, a gateway) without
 * importing it: the dependency points down, to the interface.
 */

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

/**
 * A service of the mesh (implemented by `MeshService`): what routes,
 * releases, authentication and authorization need to know about the service
 * they apply to.
 */
export interface IMeshService extends IMeshIdentity, IMeshDestination {
  /** Service, ServiceAccount and Istio object name; the `app` label of its pods. */
  readonly serviceName: string;
  /** Namespace of every object of the service. */
  readonly namespace: string;
  /** Fully qualified in-mesh host, `<name>.<namespace>.svc.<cluster domain>`. */
  readonly host: string;
  /** The service's ports (copies, every field filled in). */
  readonly ports: MeshServicePort[];
  /** Names of the versions, in declaration order. */
  readonly versions: string[];
  /** The version that receives traffic by default. */
  readonly stableVersion: string;
}
