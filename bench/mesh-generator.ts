/**
 * Generates a synthetic mesh of N services for the synth benchmark.
 * Each service: two versions, depends on ~3 others. Extended features
 * (canary, STRICT mTLS, allowFrom, gateway routes) are added by `decorate`
 * hooks as they exist in the library.
 */
import { App, Chart } from 'cdk8s';
import { MeshService } from '../src';

export interface GeneratedMesh {
  readonly app: App;
  readonly services: MeshService[];
}

export function generateMesh(app: App, count: number): GeneratedMesh {
  const perNamespace = 100;
  const charts: Chart[] = [];
  const services: MeshService[] = [];
  for (let i = 0; i < count; i++) {
    const nsIndex = Math.floor(i / perNamespace);
    if (!charts[nsIndex]) charts[nsIndex] = new Chart(app, `team-${nsIndex}`, { namespace: `team-${nsIndex}` });
    const svc = new MeshService(charts[nsIndex], `svc-${i}`, {
      versions: [
        { name: 'v1', image: `registry.example/svc-${i}:1.0.0`, replicas: 2 },
        { name: 'v2', image: `registry.example/svc-${i}:1.1.0`, replicas: 1 },
      ],
      ports: [{ port: 80, targetPort: 8080 }],
    });
    services.push(svc);
  }
  // ~3 dependencies each, deterministic: the next three services (wrapping)
  services.forEach((svc, i) => {
    const deps = [1, 7, 31].map((k) => services[(i + k) % services.length]).filter((d) => d !== svc);
    if (deps.length) svc.dependsOn(...deps);
  });
  return { app, services };
}
