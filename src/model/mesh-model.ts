import { IConstruct } from 'constructs';

/**
 * The mesh model: plain data describing the whole mesh of one cdk8s App.
 *
 * Constructs register their intent here; renderers and whole-graph analysis
 * read it. Nothing in this folder knows about cdk8s objects or Istio kinds, so
 * other renderers (Gateway API, Linkerd, ...) can be added without touching
 * the constructs.
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
  /** False when the service opted out of Sidecar egress scoping. */
  readonly egressScoped?: boolean;
  /** The endpoint its pods serve their own Prometheus metrics on, if declared. */
  readonly metrics?: { readonly port: number; readonly path: string };
}

/** A directed dependency in the service graph: `from` calls `to`. */
export interface EdgeModel {
  readonly from: ServiceModel;
  readonly to: ServiceModel;
  /** Why the edge exists (e.g. `dependsOn`, `allowFrom`). */
  readonly reason: string;
}

/**
 * An entry of the mesh config's `extensionProviders` (tracing, access log,
 * ext-authz ...). Registered by the constructs that declare providers; the
 * control plane renders every registered entry into its mesh config.
 */
export interface ExtensionProviderModel {
  /** Provider name, unique in the mesh (referenced by Telemetry and CUSTOM authz). */
  readonly name: string;
  /** Construct path of the declaring construct. */
  readonly path: string;
  /** The complete `extensionProviders[]` entry, e.g. `{ name, opentelemetry: { service, port } }`. */
  readonly entry: Readonly<Record<string, unknown>>;
}

/** The control plane the mesh is installed with, when the app declares one. */
export interface ControlPlaneModel {
  readonly path: string;
  /** Namespace istiod runs in (e.g. `istio-system`). */
  readonly namespace: string;
  /** Mesh root namespace (mesh-wide policies live here). */
  readonly rootNamespace: string;
  /** Revision, or undefined for the default revision. */
  readonly revision?: string;
  /** The trust domain the control plane's props set, if they set one (see `ControlPlaneHandle.trustDomain`). */
  readonly trustDomain?: string;
  /** Registry of the `pilot` and `proxyv2` images. */
  readonly hub: string;
  /** Tag (Istio version) of the `pilot` and `proxyv2` images. */
  readonly tag: string;
  /** istiod's xDS and CA address every proxy connects to, `<istiod service>.<namespace>.svc:15012`. */
  readonly istiodAddress: string;
  /**
   * The access log the control plane declares for every proxy (`accessLogFile`,
   * `accessLogEncoding`), rendered as the mesh's default access-log provider.
   */
  readonly accessLog?: {
    /** Name of the `envoyFileAccessLog` extension provider carrying it. */
    readonly provider: string;
    readonly path: string;
    /** `TEXT` or `JSON`. */
    readonly encoding: string;
  };
  /** True when this control plane installs the ambient data plane (ztunnel, istio-cni). */
  readonly ambient?: boolean;
  /** What a proxy does with a host the mesh does not know (`ALLOW_ANY` or `REGISTRY_ONLY`). */
  readonly outboundTrafficPolicy?: string;
}

/**
 * The control-plane handle: the proxy inputs every proxy, gateway and
 * principal reads, resolved from the app's control planes (the first one
 * declared is the mesh's default; with none, Istio's defaults). Read it
 * where it is used (renderers, rules, lazily produced specs), never copy it
 * at construction, so declaration order does not matter.
 */
export interface ControlPlaneHandle {
  /** Construct path of the control plane, undefined when the app declares none. */
  readonly path?: string;
  /** Namespace istiod runs in. */
  readonly namespace: string;
  /** Mesh root namespace (mesh-wide policies live here). */
  readonly rootNamespace: string;
  /** Revision of the default control plane, undefined for the default revision. */
  readonly revision?: string;
  /**
   * SPIFFE trust domain of every workload identity of the mesh (principals
   * `<trust domain>/ns/<namespace>/sa/<service account>`): the one a control
   * plane of the app sets, else `cluster.local`.
   */
  readonly trustDomain: string;
  /** Kubernetes cluster DNS domain. */
  readonly clusterDomain: string;
  /** Image registry of the proxies; undefined without a control plane (istiod's own). */
  readonly hub?: string;
  /** Image tag of the proxies; undefined without a control plane (istiod's own). */
  readonly tag?: string;
  /** istiod's xDS and CA address; undefined without a control plane. */
  readonly istiodAddress?: string;
}

/** Istio's defaults when an app declares no control plane. */
const DEFAULT_CONTROL_PLANE_NAMESPACE = 'istio-system';
const DEFAULT_TRUST_DOMAIN = 'cluster.local';

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

/** A whole-graph rule: reads the model, returns findings. */
export type Rule = (model: MeshModel) => Diagnostic[];

const MODELS = new WeakMap<IConstruct, MeshModel>();
const INITIALIZERS: ((root: IConstruct, model: MeshModel) => void)[] = [];

export class MeshModel {
  /** The model of the App that `scope` belongs to (created on first use). */
  public static of(scope: IConstruct): MeshModel {
    const root = scope.node.root;
    let model = MODELS.get(root);
    if (!model) {
      model = new MeshModel();
      MODELS.set(root, model);
      for (const init of INITIALIZERS) init(root, model);
    }
    return model;
  }

  /**
   * Runs `init` for the model of every app, when the app's first mesh
   * construct creates it. The rule catalog (`analysis/rules/catalog.ts`, a
   * layer above this one) registers every rule this way, so all rules run
   * whatever constructs the app holds.
   */
  public static onCreate(init: (root: IConstruct, model: MeshModel) => void): void {
    INITIALIZERS.push(init);
  }

  /** Kubernetes cluster DNS domain used for FQDN hosts. */
  public readonly clusterDomain = 'cluster.local';

  private readonly _services: ServiceModel[] = [];
  private readonly _byHost = new Map<string, ServiceModel>();
  private readonly _edges: EdgeModel[] = [];
  private readonly _edgeKeys = new Set<string>();
  private readonly _edgesFrom = new Map<string, EdgeModel[]>();
  private readonly _serviceIndex = new Map<string, number>();
  /** Warning codes treated as errors (`'*'` promotes every warning). */
  public readonly promotedWarnings = new Set<string>();

  private readonly _rules = new Map<string, Rule>();
  private readonly _extraEgress = new Map<string, Set<string>>();
  private readonly _providers: ExtensionProviderModel[] = [];
  private readonly _controlPlanes: ControlPlaneModel[] = [];
  private readonly _namespaces: NamespaceModel[] = [];
  private _revision = 0;
  private _cache?: { revision: number; diagnostics: Diagnostic[] };

  private constructor() {}

  /** All services, in registration order. */
  public get services(): readonly ServiceModel[] {
    return this._services;
  }

  /** All dependency edges, in registration order. */
  public get edges(): readonly EdgeModel[] {
    return this._edges;
  }

  /** FQDN host of a service name in a namespace. */
  public hostOf(name: string, namespace: string): string {
    return `${name}.${namespace}.svc.${this.clusterDomain}`;
  }

  /** Registers a service; returns the existing registration with the same host, if any. */
  public addService(service: ServiceModel): ServiceModel | undefined {
    const existing = this._byHost.get(service.host);
    if (existing) return existing;
    this._serviceIndex.set(service.host, this._services.length);
    this._services.push(service);
    this._byHost.set(service.host, service);
    this.touch();
    return undefined;
  }

  /** Replaces a service registration (the same host) after its owner changed it. */
  public updateService(service: ServiceModel): void {
    const i = this._serviceIndex.get(service.host) ?? -1;
    if (i < 0) throw new Error(`internal: service ${service.host} is not registered`);
    this._services[i] = service;
    this._byHost.set(service.host, service);
    this.touch();
  }

  public findService(host: string): ServiceModel | undefined {
    return this._byHost.get(host);
  }

  public addEdge(edge: EdgeModel): void {
    const key = `${edge.from.host}|${edge.to.host}|${edge.reason}`;
    if (this._edgeKeys.has(key)) return;
    this._edgeKeys.add(key);
    this._edges.push(edge);
    const from = this._edgesFrom.get(edge.from.host);
    if (from) from.push(edge); else this._edgesFrom.set(edge.from.host, [edge]);
    this.touch();
  }

  /** Edges whose caller has host `fromHost`, in registration order. */
  public edgesFrom(fromHost: string): readonly EdgeModel[] {
    return this._edgesFrom.get(fromHost) ?? [];
  }

  /** Mesh config extension providers, in registration order. */
  public get extensionProviders(): readonly ExtensionProviderModel[] {
    return this._providers;
  }

  /** Registers an extension provider; returns the existing one with the same name, if any. */
  public addExtensionProvider(provider: ExtensionProviderModel): ExtensionProviderModel | undefined {
    const existing = this._providers.find((p) => p.name === provider.name);
    if (existing) return existing;
    this._providers.push(provider);
    this.touch();
    return undefined;
  }

  /** Control planes declared in this app (several when revisions run side by side). */
  public get controlPlanes(): readonly ControlPlaneModel[] {
    return this._controlPlanes;
  }

  public addControlPlane(cp: ControlPlaneModel): void {
    this._controlPlanes.push(cp);
    this.touch();
  }

  /** Namespaces declared with `MeshNamespace`, in registration order. */
  public get namespaces(): readonly NamespaceModel[] {
    return this._namespaces;
  }

  public addNamespace(ns: NamespaceModel): void {
    this._namespaces.push(ns);
    this.touch();
  }

  /** The control-plane handle of the app (see `ControlPlaneHandle`). */
  public get controlPlane(): ControlPlaneHandle {
    const cp = this._controlPlanes[0];
    const trustDomain = this.trustDomainSource?.trustDomain ?? DEFAULT_TRUST_DOMAIN;
    if (!cp) {
      const namespace = DEFAULT_CONTROL_PLANE_NAMESPACE;
      return { namespace, rootNamespace: namespace, trustDomain, clusterDomain: this.clusterDomain };
    }
    return {
      path: cp.path,
      namespace: cp.namespace,
      rootNamespace: cp.rootNamespace,
      revision: cp.revision,
      trustDomain,
      clusterDomain: this.clusterDomain,
      hub: cp.hub,
      tag: cp.tag,
      istiodAddress: cp.istiodAddress,
    };
  }

  /** The control plane whose props set the mesh's trust domain, if any (the first that does). */
  public get trustDomainSource(): ControlPlaneModel | undefined {
    return this._controlPlanes.find((cp) => cp.trustDomain !== undefined);
  }

  /** Root namespace for mesh-wide policy: the control plane's, else `istio-system`. */
  public get rootNamespace(): string {
    return this.controlPlane.rootNamespace;
  }

  /**
   * Adds a `<namespace>/<host>` entry to the egress scope of the service with
   * host `fromHost` (for destinations that are not mesh services, e.g.
   * external services reached through an egress gateway).
   */
  public addEgressHost(fromHost: string, entry: string): void {
    let set = this._extraEgress.get(fromHost);
    if (!set) this._extraEgress.set(fromHost, (set = new Set()));
    set.add(entry);
    this.touch();
  }

  /** Extra egress entries of a service (see `addEgressHost`). */
  public extraEgressHosts(fromHost: string): string[] {
    return [...(this._extraEgress.get(fromHost) ?? [])];
  }

  /** Codes of the registered rules, in registration order. */
  public get ruleCodes(): string[] {
    return [...this._rules.keys()];
  }

  /** Registers a whole-graph rule once under its code. */
  public addRule(code: string, rule: Rule): void {
    if (this._rules.has(code)) return;
    this._rules.set(code, rule);
    this.touch();
  }

  /** Marks the model as changed so analysis runs again. */
  public touch(): void {
    this._revision++;
  }

  /** Runs every rule (memoized until the model changes), sorted by path then code. */
  public diagnostics(): Diagnostic[] {
    if (this._cache && this._cache.revision === this._revision) return this._cache.diagnostics;
    const out: Diagnostic[] = [];
    for (const rule of this._rules.values()) out.push(...rule(this));
    out.sort((a, b) => (a.path === b.path ? a.code.localeCompare(b.code) : a.path.localeCompare(b.path)));
    this._cache = { revision: this._revision, diagnostics: out };
    return out;
  }

  /** True if this finding fails synthesis. */
  public isFatal(d: Diagnostic): boolean {
    return d.severity === 'error' || this.promotedWarnings.has('*') || this.promotedWarnings.has(d.code);
  }

  /** Error messages reported on one construct path (for `node.addValidation`). */
  public errorsFor(path: string): string[] {
    return this.diagnostics()
      .filter((d) => d.path === path && this.isFatal(d))
      .map((d) => `${d.code}: ${d.message}`);
  }

  /** Findings that do not fail synthesis. */
  public warnings(): Diagnostic[] {
    return this.diagnostics().filter((d) => !this.isFatal(d));
  }
}
