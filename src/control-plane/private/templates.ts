import * as fs from 'fs';
import * as path from 'path';
import { InjectionTemplates } from '../../render/control-plane/injector';

/**
 * Istio's own injection templates (`injection-template.yaml` as `sidecar`,
 * `gateway-injection-template.yaml` as `gateway`, and for istiod's Gateway
 * API deployment controller `waypoint` and `kube-gateway`), copied unchanged
 * into `assets/istio/injection/` at build time by
 * `scripts/copy-istio-templates.js`. Same relative location from
 * `src/control-plane/private` (ts-jest) and `lib/control-plane/private`.
 */
export const TEMPLATE_DIR = path.join(__dirname, '..', '..', '..', 'assets', 'istio', 'injection');

/** Read-only cache of the template files (their content never changes while the process runs). */
const templateCache: Map<string, string> = new Map();

/** One upstream template, as shipped in the package. */
export function upstreamTemplate(name: keyof InjectionTemplates): string {
  const hit = templateCache.get(name);
  if (hit !== undefined) return hit;
  const file = path.join(TEMPLATE_DIR, `${name}.yaml`);
  if (!fs.existsSync(file)) {
    throw new Error(`cdk8s-mesh: the Istio injection template ${file} is missing from the package; ` +
      'build it with `npx projen copy:istio-templates` (or reinstall cdk8s-mesh)');
  }
  const text = fs.readFileSync(file, 'utf8');
  templateCache.set(name, text);
  return text;
}

/** The templates a control plane ships (the Gateway API ones only when istiod deploys gateways and waypoints). */
export function injectionTemplates(gatewayApiTemplates: boolean): InjectionTemplates {
  return {
    sidecar: upstreamTemplate('sidecar'),
    gateway: upstreamTemplate('gateway'),
    ...(gatewayApiTemplates ? { 'waypoint': upstreamTemplate('waypoint'), 'kube-gateway': upstreamTemplate('kube-gateway') } : {}),
  };
}
