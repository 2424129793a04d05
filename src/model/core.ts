import { ContainerSecurityModel } from './pod-security';

/**
 * The entities of the mesh model that every area refers to: services, their
 * ports and versions, call edges, namespaces, findings. Plain data; no cdk8s
 * objects, no Istio kinds.
 */

/** Application protocols the mesh understands, in Istio's port-naming terms. */
export type ProtocolName = 'http' | 'http2' | 'grpc' | 'tcp';

export interface PortModel {
  /** Service port name (also carries the protocol prefix, e.g. `http-web`). */
  readonly name: string;
  /** Port the Service exposes. */
  readonly port: number;
  /** Port the workload container listens on. */
  readonly targetPort: number;
  readonly protocol: ProtocolName;
}

export interface VersionModel {
  /** Version name, used as subset name and `version` pod label. */
  readonly name: string;
  /** Desired replicas of the version's Deployment. */
  readonly replicas: number;
  /** The complete set of labels on the version's pod template. */
  readonly podLabels: Readonly<Record<string, string>>;
}

export interface ServiceModel {
  /** Construct path of the owning construct (for diagnostics). */
  readonly path: string;
  readonly name: string;
  readonly namespace: string;
  /** Fully qualified in-mesh host, `<name>.<namespace>.svc.<clusterDomain>`. */
  readonly host: string;
  /** Name of the ServiceAccount every version runs as (the mesh identity). */
  readonly serviceAccount: string;
  /** Labels the Kubernetes Service selects on (`app` only). */
  readonly selector: Readonly<Record<string, string>>;
  readonly ports: readonly PortModel[];
  readonly versions: readonly VersionModel[];
  /** Version that receives traffic when nothing else says otherwise. */
  readonly stableVersion: string;
  /** False when the service's pods get no Istio `Sidecar` resource (egress scoping off, or ambient). */
  readonly egressScoped?: boolean;
  /** The endpoint its pods serve their own Prometheus metrics on, if declared. */
  readonly metrics?: { readonly port: number; readonly path: string };
  /** The security settings of its application container (the defaults when undeclared: non-root, no escalation, no capabilities). */
  readonly containerSecurity?: ContainerSecurityModel;
}

/** A directed dependency in the service graph: `from` calls `to`. */
export interface EdgeModel {
  readonly from: ServiceModel;
  readonly to: ServiceModel;
  /** Why the edge exists (e.g. `dependsOn`, `allowFrom`). */
  readonly reason: string;
}

/** A namespace declared with `MeshNamespace`. */
export interface NamespaceModel {
  readonly path: string;
  readonly name: string;
  /** False when sidecar injection is disabled for the namespace. */
  readonly injection: boolean;
  /** Control plane revision the namespace is bound to, if any. */
  readonly revision?: string;
}

export type Severity = 'error' | 'warning';

/** One finding of the whole-mesh analysis. */
export interface Diagnostic {
  /** Stable rule code, e.g. `MESH001`. */
  readonly code: string;
  readonly severity: Severity;
  /** Construct path the finding is reported on. */
  readonly path: string;
  /** Full message: prop, value, rule and fix. */
  readonly message: string;
}

/** Istio's defaults when an app declares no control plane. */
export const DEFAULT_CONTROL_PLANE_NAMESPACE = 'istio-system';
/** The SPIFFE trust domain of a mesh whose control plane sets none. */
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';
/** The Kubernetes cluster DNS domain the mesh's hosts are built from. */
export const CLUSTER_DOMAIN = 'cluster.local';

/** FQDN host of a service name in a namespace. */
export function hostOf(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.${CLUSTER_DOMAIN}`;
}

/** Labels of a selector all present with the same values in `labels`. */
export function selects(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
