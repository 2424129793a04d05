import { Construct } from 'constructs';
import { AccessLogEncoding } from './mesh-config';
import { ExtensionProviderEntry } from '../model/control-plane';
import { propError } from '../private/errors';
import { validateDnsLabel } from '../private/names';
import { checkArgs } from '../private/runtime-types';
import { checkPort } from '../private/values';
import { meshOf } from '../synth/mesh';

/**
 * A provider Telemetry can send traces to (a mesh config extension provider).
 */
export interface ITracingProvider {
  /** Name of the provider in the mesh config's `extensionProviders`. */
  readonly tracingProviderName: string;
}

/**
 * A provider Telemetry can send access logs to.
 */
export interface IAccessLogProvider {
  /** Name of the provider in the mesh config's `extensionProviders`. */
  readonly accessLogProviderName: string;
}

/**
 * A provider Telemetry can report metrics to.
 */
export interface IMetricsProvider {
  /** Name of the provider in the mesh config's `extensionProviders`. */
  readonly metricsProviderName: string;
}

/**
 * Providers Istio declares in every mesh config by default, and references to
 * providers declared by another construct of the same App.
 *
 * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-ExtensionProvider
 */
export class MeshProviders {
  /** Istio's built-in `envoy` provider: text access log to the proxy's stdout. */
  public static envoyAccessLog(): IAccessLogProvider {
    return { accessLogProviderName: 'envoy' };
  }

  /** Istio's built-in `prometheus` provider: the standard metrics on the proxy's stats endpoint. */
  public static prometheus(): IMetricsProvider {
    return { metricsProviderName: 'prometheus' };
  }

  /**
   * A tracing provider declared by name elsewhere in this App (e.g. by the
   * control plane's mesh config). A name no construct declares fails synth.
   */
  public static tracingFromName(name: string): ITracingProvider {
    checkArgs('MeshProviders.tracingFromName', 'MeshProviders.tracingFromName', arguments);
    return { tracingProviderName: name };
  }

  /** An access log provider declared by name elsewhere in this App. A name no construct declares fails synth. */
  public static accessLogFromName(name: string): IAccessLogProvider {
    checkArgs('MeshProviders.accessLogFromName', 'MeshProviders.accessLogFromName', arguments);
    return { accessLogProviderName: name };
  }

  /** A metrics provider declared by name elsewhere in this App. A name no construct declares fails synth. */
  public static metricsFromName(name: string): IMetricsProvider {
    checkArgs('MeshProviders.metricsFromName', 'MeshProviders.metricsFromName', arguments);
    return { metricsProviderName: name };
  }

  private constructor() {}
}

/** Registers an extension provider entry in the model; fails on a duplicate name. */
function declare(scope: Construct, name: string, entry: ExtensionProviderEntry): void {
  validateDnsLabel(scope, 'name', name);
  const clash = meshOf(scope).addExtensionProvider({ name, path: scope.node.path, entry });
  if (clash) {
    throw propError(scope, 'name', `must be unique among the mesh's extension providers: ${clash.path} already declares it`, name,
      'give one of the providers another name');
  }
}

function validatePort(scope: Construct, prop: string, port: number): number {
  return checkPort(scope, prop, port, 'use the collector\'s port, e.g. 4317 for OTLP/gRPC');
}

const FQDN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function validateHost(scope: Construct, prop: string, host: string): string {
  if (!FQDN.test(host) || host.length > 253) {
    throw propError(scope, prop, 'must be a DNS host name without scheme or port', host,
      'use the collector Service\'s FQDN, e.g. \'jaeger-collector.istio-system.svc.cluster.local\'');
  }
  return host;
}

/**
 * Properties of an `OpenTelemetryTracingProvider`.
 */
export interface OpenTelemetryTracingProviderProps {
  /**
   * Provider name, unique in the mesh config (a DNS-1123 label).
   *
   * @default - the construct id
   */
  readonly name?: string;

  /**
   * FQDN of the OTLP collector Service, e.g.
   * `jaeger-collector.istio-system.svc.cluster.local`.
   */
  readonly service: string;

  /**
   * OTLP port of the collector.
   *
   * @default 4317
   */
  readonly port?: number;

  /**
   * Maximum length of a tag value; longer values are truncated.
   *
   * @default - Istio's default (256)
   */
  readonly maxTagLength?: number;
}

/**
 * An OpenTelemetry (OTLP/gRPC) tracing extension provider in the mesh config.
 *
 * The control plane renders it into `meshConfig.extensionProviders`;
 * `MeshTelemetry` tracing references the object.
 *
 * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-ExtensionProvider-OpenTelemetryTracingProvider
 */
export class OpenTelemetryTracingProvider extends Construct implements ITracingProvider {
  public readonly tracingProviderName: string;
  /** Collector host. */
  public readonly service: string;
  /** Collector port. */
  public readonly port: number;

  constructor(scope: Construct, id: string, props: OpenTelemetryTracingProviderProps) {
    super(scope, id);
    checkArgs(this, 'OpenTelemetryTracingProvider.new', arguments);
    this.tracingProviderName = props.name ?? id;
    this.service = validateHost(this, 'service', props.service);
    this.port = validatePort(this, 'port', props.port ?? 4317);
    if (props.maxTagLength !== undefined && (!Number.isInteger(props.maxTagLength) || props.maxTagLength < 1)) {
      throw propError(this, 'maxTagLength', 'must be a whole number >= 1', props.maxTagLength, 'omit it for Istio\'s default of 256');
    }
    declare(this, this.tracingProviderName, {
      name: this.tracingProviderName,
      opentelemetry: { service: this.service, port: this.port, ...(props.maxTagLength !== undefined ? { maxTagLength: props.maxTagLength } : {}) },
    });
  }
}


/**
 * Properties of an `EnvoyFileAccessLogProvider`.
 */
export interface EnvoyFileAccessLogProviderProps {
  /**
   * Provider name, unique in the mesh config (a DNS-1123 label).
   *
   * @default - the construct id
   */
  readonly name?: string;

  /**
   * File the proxy writes to.
   *
   * @default /dev/stdout
   */
  readonly path?: string;

  /**
   * Encoding of each line.
   *
   * @default AccessLogEncoding.TEXT
   */
  readonly encoding?: AccessLogEncoding;
}

/**
 * An Envoy file access log extension provider in the mesh config.
 *
 * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-ExtensionProvider-EnvoyFileAccessLogProvider
 */
export class EnvoyFileAccessLogProvider extends Construct implements IAccessLogProvider {
  public readonly accessLogProviderName: string;

  constructor(scope: Construct, id: string, props: EnvoyFileAccessLogProviderProps = {}) {
    super(scope, id);
    checkArgs(this, 'EnvoyFileAccessLogProvider.new', arguments);
    this.accessLogProviderName = props.name ?? id;
    const path = props.path ?? '/dev/stdout';
    if (!path.startsWith('/')) {
      throw propError(this, 'path', 'must be an absolute file path', path, 'use /dev/stdout or an absolute path on a mounted volume');
    }
    const encoding = props.encoding ?? AccessLogEncoding.TEXT;
    declare(this, this.accessLogProviderName, {
      name: this.accessLogProviderName,
      // an empty `labels` object selects Istio's default JSON fields
      envoyFileAccessLog: { path, ...(encoding === AccessLogEncoding.JSON ? { logFormat: { labels: {} } } : {}) },
    });
  }
}
