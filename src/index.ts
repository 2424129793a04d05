export * from './services/identity';
export * from './services/service-port';
export * from './services/workload-security';
export * from './services/mesh-service';
export * from './traffic/http-match';
export * from './control-plane/mesh-config';
export * from './control-plane/istio-control-plane';
export * from './control-plane/mesh-namespace';
