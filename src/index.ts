export * from './services/identity';
export * from './services/service-port';
export * from './services/workload-security';
export * from './services/mesh-service';
export * from './traffic/http-match';
export * from './observability/providers';
export * from './observability/telemetry';
