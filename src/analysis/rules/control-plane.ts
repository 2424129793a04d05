import { Diagnostic } from '../../model/core';
import { MeshSnapshot } from '../../model/snapshot';
import { propMessage } from '../../private/errors';
import { finding, RuleSet } from '../rule';

/** Rules over the app's control planes (`CPnnn`). */

function duplicateRevisions(s: MeshSnapshot): Diagnostic[] {
  const seen = new Map<string, string>();
  const out: Diagnostic[] = [];
  for (const cp of s.controlPlanes) {
    const key = cp.revision ?? 'default';
    const first = seen.get(key);
    if (!first) {
      seen.set(key, cp.path);
      continue;
    }
    out.push(finding(CONTROL_PLANE_RULES.DUPLICATE_REVISION, cp.path,
      propMessage('revision', `must be unique in the app: ${first} already installs that revision`, cp.revision ?? 'default',
        'give the second control plane another revision (canary upgrade) or remove it')));
  }
  return out;
}

function undeclaredTracingProviders(s: MeshSnapshot): Diagnostic[] {
  const declared = (name: string) => s.extensionProviders.some((e) => e.name === name);
  return s.controlPlanes.filter((cp) => cp.defaultTracingProvider !== undefined && !declared(cp.defaultTracingProvider))
    .map((cp) => finding(CONTROL_PLANE_RULES.UNDECLARED_TRACING_PROVIDER, cp.path, propMessage('defaultTracingProvider',
      'must name an extension provider declared in the app', cp.defaultTracingProvider, 'declare it, e.g. new OpenTelemetryTracingProvider(...) or jaeger.addTracingProvider()')));
}

export const CONTROL_PLANE_RULES: RuleSet<'DUPLICATE_REVISION' | 'UNDECLARED_TRACING_PROVIDER'> = {
  DUPLICATE_REVISION: {
    code: 'CP001',
    severity: 'error',
    reportedOn: 'the `IstioControlPlane`',
    summary: 'Two control planes of the app install the same revision.',
    fix: 'Give the second one another revision, or remove it.',
    check: duplicateRevisions,
  },
  UNDECLARED_TRACING_PROVIDER: {
    code: 'CP002',
    severity: 'error',
    reportedOn: 'the `IstioControlPlane`',
    summary: '`defaultTracingProvider` names a provider no construct of the app declares, so the mesh config would point every proxy at a tracer that does not exist.',
    fix: 'Declare the provider in this app (e.g. `OpenTelemetryTracingProvider`, `JaegerAddon.addTracingProvider()`).',
    check: undeclaredTracingProviders,
  },
};
