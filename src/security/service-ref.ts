import { IConstruct } from 'constructs';

/**
 * A mesh service as security policies see it: the workloads of one service
 * (selected by their `app` label) in a namespace, registered in the mesh
 * model under `host`. Implemented by `MeshService`; security takes this
 * interface so it does not depend on the services layer.
 */
export interface IMeshServiceRef extends IConstruct {
  /** Name of the Kubernetes Service, also the workloads' `app` label. */
  readonly serviceName: string;
  /** Namespace of the service and its workloads. */
  readonly namespace: string;
  /** Fully qualified in-mesh host, the service's key in the mesh model. */
  readonly host: string;
}
