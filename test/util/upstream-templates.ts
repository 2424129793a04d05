import { createHash } from 'crypto';
import * as YAML from 'yaml';
import { upstreamTemplate } from '../../src/control-plane/private/templates';

const NAMES = ['sidecar', 'gateway', 'waypoint', 'kube-gateway'] as const;

/**
 * Synthesized objects as snapshots should hold them: without the CRDs and
 * without the text of Istio's own injection templates (both are upstream
 * files copied into the package at build time, never committed). Each
 * template the injector ConfigMap carries unchanged becomes a marker naming it
 * and its digest; a template that differs from the shipped file stays in full,
 * so the snapshot shows the change.
 */
export function ownObjects(objects: any[]): any[] {
  return objects.filter((o) => o.kind !== 'CustomResourceDefinition').map((o) => {
    if (o.kind !== 'ConfigMap' || typeof o.data?.config !== 'string' || !o.metadata?.name?.startsWith('istio-sidecar-injector')) return o;
    const config = YAML.parse(o.data.config);
    for (const name of NAMES) {
      const text = config.templates?.[name];
      if (text !== undefined && text === upstreamTemplate(name)) {
        const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
        config.templates[name] = `<Istio 1.30.3 ${name} injection template, unchanged: ${text.length} bytes, sha256 ${digest}>`;
      }
    }
    return { ...o, data: { ...o.data, config: YAML.stringify(config, { lineWidth: 0 }) } };
  });
}
