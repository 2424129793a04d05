import { Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { addonNamespace, addonResources, addonService, addonWorkload, serviceUrl, sha256, validateImage } from './addon-base';
import { AddonCommonProps } from './addon-props';
import { OpenTelemetryTracingProvider } from '../control-plane/providers';
import { JaegerAddonModel } from '../model/observability';
import { propError } from '../private/errors';
import { checkArgs } from '../private/runtime-types';
import { JAEGER_PORTS, renderJaegerConfig } from '../render/jaeger';
import { meshOf } from '../synth/mesh';

/** Jaeger image tested with this library (istio-install.md §7). */
export const JAEGER_IMAGE = 'docker.io/jaegertracing/jaeger:2.17.0';

/**
 * A trace query endpoint that Grafana and Kiali read.
 */
export interface ITracingBackend {
  /** Base URL of the Jaeger query HTTP API/UI, e.g. `http://tracing.istio-system.svc.cluster.local:80/jaeger`. */
  readonly tracingQueryUrl: string;
}

/**
 * Properties of a `JaegerAddon`.
 */
export interface JaegerAddonProps extends AddonCommonProps {
  /**
   * Traces kept in memory (older ones are evicted; a restart loses all).
   *
   * @default 50000
   */
  readonly maxTraces?: number;
}

const DEFAULT_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(1000) },
  memory: { request: Size.mebibytes(256), limit: Size.mebibytes(1024) },
};

const QUERY_PORT = JAEGER_PORTS.query;
const OTLP_GRPC = JAEGER_PORTS.otlpGrpc;
const OTLP_HTTP = JAEGER_PORTS.otlpHttp;
const ZIPKIN = JAEGER_PORTS.zipkin;
const HEALTH = JAEGER_PORTS.health;

/**
 * Jaeger v2 (all-in-one, in-memory storage) for the mesh's traces.
 *
 * Services: `jaeger-collector` (OTLP gRPC 4317, OTLP HTTP 4318, Zipkin 9411)
 * receives spans; `tracing` (port 80 → 16686, base path `/jaeger`) serves the
 * UI and query API. `addTracingProvider()` declares the mesh config
 * extension provider that points at the collector.
 *
 * @see https://istio.io/latest/docs/ops/integrations/jaeger/
 */
export class JaegerAddon extends Construct implements ITracingBackend {
  /** Namespace of the addon. */
  public readonly namespace: string;
  /** FQDN of the collector Service. */
  public readonly collectorHost: string;
  /** OTLP/gRPC port of the collector Service. */
  public readonly otlpGrpcPort = OTLP_GRPC;
  /** OTLP/HTTP port of the collector Service. */
  public readonly otlpHttpPort = OTLP_HTTP;
  public readonly tracingQueryUrl: string;
  /** The collector Service. */
  public readonly collectorService: k8s.KubeService;
  /** The query/UI Service. */
  public readonly queryService: k8s.KubeService;
  /** The Deployment. */
  public readonly deployment: k8s.KubeDeployment;

  constructor(scope: Construct, id: string, props: JaegerAddonProps = {}) {
    super(scope, id);
    checkArgs(this, 'JaegerAddon.new', arguments);
    const model = meshOf(this);
    this.namespace = addonNamespace(this, props.namespace);
    this.collectorHost = model.hostOf('jaeger-collector', this.namespace);
    this.tracingQueryUrl = serviceUrl('tracing', this.namespace, model.clusterDomain, 80, '/jaeger');
    const addon = this.toModel(props);
    model.addAddon(addon);
    const config = Yaml.stringify(renderJaegerConfig(addon));
    new k8s.KubeConfigMap(this, 'ConfigMap', {
      metadata: { name: 'jaeger', namespace: this.namespace, labels: { app: 'jaeger' } },
      data: { 'config.yaml': config },
    });
    this.deployment = addonWorkload(this, addon.workload, () => sha256(config)).deployment;
    this.collectorService = addonService(this, 'CollectorService', 'jaeger', 'jaeger-collector', this.namespace, [
      { name: 'grpc-otel', port: OTLP_GRPC, targetPort: OTLP_GRPC, appProtocol: 'grpc' },
      { name: 'http-otel', port: OTLP_HTTP, targetPort: OTLP_HTTP, appProtocol: 'http' },
      { name: 'http-zipkin', port: ZIPKIN, targetPort: ZIPKIN, appProtocol: 'http' },
    ]);
    this.queryService = addonService(this, 'QueryService', 'jaeger', 'tracing', this.namespace, [
      { name: 'http-query', port: 80, targetPort: QUERY_PORT, appProtocol: 'http' },
    ]);
  }

  private toModel(props: JaegerAddonProps): JaegerAddonModel {
    const image = validateImage(this, props.image ?? JAEGER_IMAGE);
    const maxTraces = props.maxTraces ?? 50000;
    if (!Number.isInteger(maxTraces) || maxTraces < 1) {
      throw propError(this, 'maxTraces', 'must be a whole number >= 1', maxTraces, 'use e.g. 50000');
    }
    return {
      kind: 'jaeger',
      path: this.node.path,
      namespace: this.namespace,
      url: this.tracingQueryUrl,
      maxTraces,
      workload: {
        name: 'jaeger',
        namespace: this.namespace,
        image,
        args: ['--config=/etc/jaeger/config.yaml'],
        ports: [
          { name: 'http-query', containerPort: QUERY_PORT },
          { name: 'grpc-otel', containerPort: OTLP_GRPC },
          { name: 'http-otel', containerPort: OTLP_HTTP },
          { name: 'http-zipkin', containerPort: ZIPKIN },
          { name: 'http-health', containerPort: HEALTH },
        ],
        volumes: [
          { name: 'config', configMap: { name: 'jaeger' }, mountPath: '/etc/jaeger', readOnly: true },
          { name: 'tmp', emptyDir: {}, mountPath: '/tmp' },
        ],
        resources: addonResources(this, props.resources ?? DEFAULT_RESOURCES),
        uid: 10001,
        readinessPath: '/status',
        probePort: HEALTH,
        apiAccess: false,
      },
    };
  }

  /**
   * Declares an OpenTelemetry tracing provider in the mesh config that sends
   * spans to this Jaeger's collector (OTLP/gRPC).
   *
   * @param name provider name in the mesh config
   * @returns the provider, to pass to `MeshTelemetry` tracing
   */
  public addTracingProvider(name: string = 'jaeger'): OpenTelemetryTracingProvider {
    checkArgs(this, 'JaegerAddon.addTracingProvider', arguments);
    return new OpenTelemetryTracingProvider(this, `TracingProvider-${name}`, { name, service: this.collectorHost, port: this.otlpGrpcPort });
  }
}
