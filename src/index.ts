export * from './services/service-port';
export * from './services/workload-security';
export * from './services/mesh-service';
