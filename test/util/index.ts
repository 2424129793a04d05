export * from './validate';
export { validateIstioObject, strictify, SHARED_DIR, ISTIO_RELEASE_DIR, ISTIO_CRD_FILE } from './istio-schema';
export { validateKubernetesObject } from './k8s-schema';
export { validateCrdModelObject } from './crd-model-schema';
export { ownObjects } from './upstream-templates';
export { err } from './errors';
export { validateGatewayApiObject, GATEWAY_API_CRD_DIR } from './gateway-api-schema';
