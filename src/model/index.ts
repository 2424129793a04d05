export * from './core';
export * from './control-plane';
export * from './mesh-model';
export * from './snapshot';
