/**
 * Typed pieces of Istio's mesh config (the `istio` ConfigMap istiod reads).
 *
 * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/
 */

/**
 * Format of Envoy access logs written to `accessLogFile`.
 *
 * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-AccessLogEncoding
 */
export enum AccessLogEncoding {
  /** Plain text, one line per request. */
  TEXT = 'TEXT',
  /** One JSON object per request. */
  JSON = 'JSON',
}

/**
 * What sidecars do with traffic to hosts the mesh does not know.
 *
 * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-OutboundTrafficPolicy-Mode
 */
export enum OutboundTrafficPolicyMode {
  /** Only hosts in the service registry (Kubernetes Services, ServiceEntries) are reachable. */
  REGISTRY_ONLY = 'REGISTRY_ONLY',
  /** Unknown hosts are passed through without mesh features. */
  ALLOW_ANY = 'ALLOW_ANY',
}

/**
 * An entry of the mesh config's `extensionProviders`: a tracing backend, an
 * access-log sink, ... that Telemetry resources (and the mesh defaults) refer
 * to by name.
 *
 * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-ExtensionProvider
 */
export abstract class MeshExtensionProvider {
  /**
   * Traces exported with OpenTelemetry (OTLP/gRPC) to a collector.
   *
   * @param name provider name, unique in the mesh
   * @param service the collector's host, e.g. `otel-collector.observability.svc.cluster.local`
   * @param port the collector's OTLP/gRPC port, e.g. 4317
   */
  public static openTelemetryTracing(name: string, service: string, port: number): MeshExtensionProvider {
    return new ServiceProvider(name, 'opentelemetry', service, port);
  }

  /**
   * Traces sent to a Zipkin-compatible collector.
   *
   * @param name provider name, unique in the mesh
   * @param service the collector's host, e.g. `zipkin.istio-system.svc.cluster.local`
   * @param port the collector's port, e.g. 9411
   */
  public static zipkin(name: string, service: string, port: number): MeshExtensionProvider {
    return new ServiceProvider(name, 'zipkin', service, port);
  }

  /**
   * Envoy access logs exported with OpenTelemetry (OTLP/gRPC).
   *
   * @param name provider name, unique in the mesh
   * @param service the collector's host
   * @param port the collector's OTLP/gRPC port
   */
  public static openTelemetryAccessLog(name: string, service: string, port: number): MeshExtensionProvider {
    return new ServiceProvider(name, 'envoyOtelAls', service, port);
  }

  /**
   * Envoy access logs written to a file of the proxy container (e.g. `/dev/stdout`).
   *
   * @param name provider name, unique in the mesh
   * @param path file path, e.g. `/dev/stdout`
   */
  public static envoyFileAccessLog(name: string, path: string): MeshExtensionProvider {
    return new FileAccessLogProvider(name, path);
  }

  /** Provider name, referenced by Telemetry resources. */
  public abstract readonly name: string;

  /** @internal */
  public abstract _toMeshConfig(): Record<string, unknown>;

  /** Problems with this provider's values (rule, value, fix), empty when valid. @internal */
  public abstract _problems(): Array<[string, string, unknown, string]>;
}

const PROVIDER_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function nameProblems(name: string): Array<[string, string, unknown, string]> {
  return PROVIDER_NAME.test(name) ? [] : [['name', 'must be lower-case letters, digits, \'-\' and \'.\'', name, 'use a name such as \'otel-tracing\'']];
}

class ServiceProvider extends MeshExtensionProvider {
  constructor(public readonly name: string, private readonly field: string, private readonly service: string, private readonly port: number) {
    super();
  }

  public _toMeshConfig(): Record<string, unknown> {
    return { name: this.name, [this.field]: { service: this.service, port: this.port } };
  }

  public _problems(): Array<[string, string, unknown, string]> {
    const out = nameProblems(this.name);
    if (!this.service || /[\s/:]/.test(this.service)) {
      out.push(['service', 'must be a host name without scheme, path or port', this.service, 'pass a host such as \'otel-collector.observability.svc.cluster.local\'']);
    }
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535) {
      out.push(['port', 'must be a whole number between 1 and 65535', this.port, 'pass the collector\'s port, e.g. 4317']);
    }
    return out;
  }
}

class FileAccessLogProvider extends MeshExtensionProvider {
  constructor(public readonly name: string, private readonly path: string) {
    super();
  }

  public _toMeshConfig(): Record<string, unknown> {
    return { name: this.name, envoyFileAccessLog: { path: this.path } };
  }

  public _problems(): Array<[string, string, unknown, string]> {
    const out = nameProblems(this.name);
    if (!this.path.startsWith('/')) out.push(['path', 'must be an absolute file path', this.path, 'use \'/dev/stdout\'']);
    return out;
  }
}
