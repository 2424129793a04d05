import Ajv from 'ajv';
import addFormats from 'ajv-formats';

/** Registers the OpenAPI/Kubernetes formats used by Kubernetes and Istio schemas. */
export function addKubernetesFormats(ajv: Ajv): void {
  addFormats(ajv, ['date-time', 'byte']);
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 });
  ajv.addFormat('uint32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 && n <= 4294967295 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('double', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  ajv.addFormat('float', { type: 'number', validate: (n: number) => Number.isFinite(n) });
}
