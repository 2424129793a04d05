export * from './mesh-model';
