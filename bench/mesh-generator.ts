/**
 * Generates a synthetic mesh of N services for the synth benchmark, to the
 * spec of the scale issue: each service has two versions with a canary
 * (10% to v2), runs under STRICT mTLS (one mesh-wide policy), admits calls
 * from its callers with `allowFrom` (each service calls ~3 others, so
 * each has one allowFrom edge to ~3 dependencies), and every 10th service
 * is routed from an ingress gateway. Each service gets its derived Sidecar
 * unless `egressScoping: false` (the mesh-cost measurement compares both).
 * `controlPlane` adds the Istio control plane (without CRDs) and a MeshNamespace
 * per namespace, with sidecars or, for `DataPlaneMode.AMBIENT`, on ztunnel
 * (each namespace's waypoint then carries the canary routes).
 */
import { App, Chart } from 'cdk8s';
import { CanaryRelease, DataPlaneMode, GatewayServer, GatewayTls, IngressGateway, IstioControlPlane, MeshNamespace, MeshService, StrictMtls } from '../src';

export interface GeneratedMesh {
  readonly app: App;
  readonly services: MeshService[];
}

export interface GenerateMeshOptions {
  /** False generates every service without its derived Sidecar (`egressScoping: false`). Default true. */
  readonly egressScoping?: boolean;
  /** Adds the control plane and the namespaces on this data plane. Default: neither. */
  readonly controlPlane?: DataPlaneMode;
}

export function generateMesh(app: App, count: number, options: GenerateMeshOptions = {}): GeneratedMesh {
  const perNamespace = 100;
  const charts: Chart[] = [];
  const services: MeshService[] = [];
  const platform = new Chart(app, 'platform');
  const ambient = options.controlPlane === DataPlaneMode.AMBIENT;
  const controlPlane = options.controlPlane === undefined ? undefined
    : new IstioControlPlane(platform, 'istio', { crds: false, ...(ambient ? { dataPlane: DataPlaneMode.AMBIENT } : {}) });
  new StrictMtls(platform, 'mesh-mtls');
  const ingress = new IngressGateway(platform, 'ingress', {
    namespace: 'istio-ingress',
    servers: [GatewayServer.https({ hosts: ['*.apps.example.com'], tls: GatewayTls.simple('apps-wildcard-cert') })],
  });
  for (let i = 0; i < count; i++) {
    const nsIndex = Math.floor(i / perNamespace);
    if (!charts[nsIndex]) {
      const namespace = `team-${nsIndex}`;
      if (controlPlane) {
        new MeshNamespace(platform, namespace, ambient ? { dataPlaneMode: DataPlaneMode.AMBIENT } : { controlPlane });
      }
      charts[nsIndex] = new Chart(app, namespace, { namespace });
    }
    const svc = new MeshService(charts[nsIndex], `svc-${i}`, {
      versions: [
        { name: 'v1', image: `registry.example/svc-${i}:1.0.0`, replicas: 2 },
        { name: 'v2', image: `registry.example/svc-${i}:1.1.0`, replicas: 1 },
      ],
      ports: [{ port: 80, targetPort: 8080 }],
      egressScoping: options.egressScoping,
    });
    new CanaryRelease(charts[nsIndex], `svc-${i}-canary`, { service: svc, stable: 'v1', canary: 'v2', canaryPercentage: 10 });
    if (i % 10 === 0) {
      ingress.addRoute({ host: `svc-${i}.apps.example.com`, service: svc });
      // the service admits the gateway it is routed from (SEC008 otherwise: every request 403)
      svc.allowFrom(ingress);
    }
    services.push(svc);
  }
  // ~3 dependencies each, deterministic; the callee admits the caller (an allowFrom edge)
  services.forEach((svc, i) => {
    const deps = [...new Set([1, 7, 31].map((k) => services[(i + k) % services.length]))].filter((d) => d !== svc);
    for (const dep of deps) dep.allowFrom(svc);
  });
  return { app, services };
}
