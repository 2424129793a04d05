/**
 * Conformance corpus: control-plane options (own namespace, root namespace, hub, autoscaling,
 * resources, cluster id, default tracing provider), a namespace without injection, an
 * OpenTelemetry tracing provider and a file access-log provider, a TLS passthrough gateway
 * server, and Prometheus-operator monitors.
 */
import { App, Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  AccessLogEncoding, EnvoyFileAccessLogProvider, GatewayServer, GatewayTls, IngressGateway, IstioControlPlane, IstioMetricsMonitors,
  MeshNamespace, MeshService, MeshTelemetry, OpenTelemetryTracingProvider,
} from '../../src';

export function build(app: App): void {
  const platform = new Chart(app, 'platform');
  const otel = new OpenTelemetryTracingProvider(platform, 'otel', { service: 'otel-collector.observability.svc.cluster.local', port: 4317, maxTagLength: 256 });
  const istio = new IstioControlPlane(platform, 'istio', {
    namespace: 'mesh-system',
    rootNamespace: 'mesh-config',
    hub: 'registry.example.com/istio',
    autoscaleMaxReplicas: 4,
    autoscaleTargetCpuUtilization: 70,
    resources: { cpu: { request: kplus.Cpu.millis(500) }, memory: { request: Size.gibibytes(2) } },
    proxyResources: { cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(1000) }, memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) } },
    clusterId: 'eu-west-1',
    defaultTracingProvider: otel,
  });
  new MeshNamespace(platform, 'apps', { controlPlane: istio, labels: { team: 'apps' } });
  new MeshNamespace(platform, 'legacy', { injection: false });

  const apps = new Chart(app, 'apps', { namespace: 'apps' });
  const api = new MeshService(apps, 'api', { controlPlane: istio, versions: [{ name: 'v1', image: 'ghcr.io/acme/api:1.0.0' }] });

  const edge = new Chart(app, 'edge', { namespace: 'mesh-system' });
  const ingress = new IngressGateway(edge, 'ingress', {
    controlPlane: istio,
    servers: [
      GatewayServer.http({ hosts: ['api.example.com'] }),
      GatewayServer.https({ hosts: ['tls.example.com'], tls: GatewayTls.passthrough() }),
    ],
  });
  ingress.addRoute({ host: 'api.example.com', service: api });
  api.allowFrom(ingress);

  const files = new EnvoyFileAccessLogProvider(platform, 'json-log', { path: '/dev/stdout', encoding: AccessLogEncoding.JSON });
  new MeshTelemetry(platform, 'mesh-telemetry', { accessLogging: [{ providers: [files] }] });
  new IstioMetricsMonitors(platform, 'monitors', { namespace: 'monitoring', labels: { release: 'kube-prometheus' }, interval: Duration.seconds(30), controlPlaneNamespace: 'mesh-system' });
}
