import { IConstruct } from 'constructs';

/**
 * A service of the mesh (implemented by `MeshService`): what authentication
 * and authorization need to know about the service they apply to. It lives
 * in the lowest public layer so that security can take a `MeshService`
 * without importing it; the rest (ports, versions, identity) is read from the
 * mesh model, where the service registered it under `host`.
 */
export interface IMeshService extends IConstruct {
  /** Service, ServiceAccount and Istio object name; the `app` label of its pods. */
  readonly serviceName: string;
  /** Namespace of every object of the service. */
  readonly namespace: string;
  /** Fully qualified in-mesh host, `<name>.<namespace>.svc.<cluster domain>`. */
  readonly host: string;
}
