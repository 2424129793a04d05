export * from './validate';
export { validateIstioObject, strictify, SHARED_DIR } from './istio-schema';
export { validateKubernetesObject } from './k8s-schema';
export { validateCrdModelObject } from './crd-model-schema';
export { ownObjects } from './upstream-templates';
