import * as fs from 'fs';
import * as path from 'path';
import { loadCrds } from './crds';
import { GATEWAY_API_CHANNEL } from '../gateway-api-release';

/**
 * The standard-channel Gateway API CRD files, copied into the package at build
 * time (`assets/gateway-api/standard/`, see the `copy:gateway-api-crds` task).
 * Same relative location from `src/control-plane/private` (ts-jest) and
 * `lib/control-plane/private` (compiled).
 */
export const GATEWAY_API_CRD_DIR = path.join(__dirname, '..', '..', '..', 'assets', 'gateway-api', GATEWAY_API_CHANNEL);

/**
 * The Gateway API CustomResourceDefinitions, in file-name order, without the empty
 * `status` stub the upstream files carry (status belongs to the API server, and
 * Kubernetes' schema of a CRD manifest has no place for it).
 */
export function loadGatewayApiCrds(dir: string = GATEWAY_API_CRD_DIR): Record<string, unknown>[] {
  if (!fs.existsSync(dir)) {
    throw new Error(`internal: the Gateway API CRDs are missing from the package (${dir}); run \`npx projen copy:gateway-api-crds\` before synthesizing from a source checkout`);
  }
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
  const docs: Record<string, unknown>[] = files.flatMap((f) => loadCrds(path.join(dir, f)) as Record<string, unknown>[]);
  return docs.filter((d) => d.kind === 'CustomResourceDefinition').map(({ status: _status, ...crd }) => crd);
}
