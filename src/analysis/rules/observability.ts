import { Diagnostic } from '../../model/core';
import { BUILTIN_ENVOY_ACCESS_LOG, BUILTIN_PROVIDERS, TelemetryTargetModel, usesOf } from '../../model/observability';
import { MeshSnapshot } from '../../model/snapshot';
import { finding, RuleSet } from '../rule';

/** Rules over telemetry, extension providers and alerting (`OBSnnn`). */

function undeclaredProviders(s: MeshSnapshot): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const ref of s.observability.providerReferences) {
    const declared = s.extensionProviders.find((p) => p.name === ref.name);
    const builtin = BUILTIN_PROVIDERS[ref.name];
    if (!declared && !builtin) {
      const known = [...Object.keys(BUILTIN_PROVIDERS), ...s.extensionProviders.map((p) => p.name)].map((n) => JSON.stringify(n)).join(', ');
      out.push(finding(OBSERVABILITY_RULES.UNDECLARED_PROVIDER, ref.path,
        `'${ref.prop}' must reference an extension provider declared in this app's mesh config (declared: ${known}), got ${JSON.stringify(ref.name)}. `
        + 'Fix: declare the provider (e.g. new OpenTelemetryTracingProvider(...) or JaegerAddon.addTracingProvider()) in the same App, or pass the declared provider object'));
      continue;
    }
    const uses = declared ? usesOf(declared.entry) : [builtin];
    if (uses.includes(ref.use)) continue;
    out.push(finding(OBSERVABILITY_RULES.UNDECLARED_PROVIDER, ref.path,
      `'${ref.prop}' must reference a provider usable for ${ref.use}, got ${JSON.stringify(ref.name)} which serves ${uses.join(', ') || 'nothing this library knows'}. `
      + `Fix: pass a ${ref.use} provider`));
  }
  return out;
}

function targetKey(t: TelemetryTargetModel): string {
  const sel = t.selector ? Object.entries(t.selector).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(',') : '';
  return `${t.namespace}|${sel}`;
}

function conflictingTelemetry(s: MeshSnapshot): Diagnostic[] {
  const out: Diagnostic[] = [];
  const first = new Map<string, TelemetryTargetModel>();
  for (const t of s.observability.telemetries) {
    const key = targetKey(t);
    const prev = first.get(key);
    if (!prev) {
      first.set(key, t);
      continue;
    }
    const what = t.selector ? `workload ${JSON.stringify(t.selector)} in namespace ${t.namespace}` : `namespace ${t.namespace}`;
    out.push(finding(OBSERVABILITY_RULES.CONFLICTING_TELEMETRY, t.path,
      `'target' must be unique: ${prev.path} already configures telemetry for ${what} (Istio does not define which of two such Telemetry resources wins), got ${t.scope}. `
      + 'Fix: merge the settings into one Telemetry'));
  }
  return out;
}

function unloadedAlertGroups(s: MeshSnapshot): Diagnostic[] {
  if (s.observability.ruleLoaders.length > 0) return [];
  return s.observability.alertGroups.filter((g) => g.ruleFile).map((g) => finding(OBSERVABILITY_RULES.UNLOADED_ALERTS, g.path,
    '\'format\' RULE_FILE needs a PrometheusAddon in the same App to load the rule file, got none. '
    + 'Fix: add a PrometheusAddon (or ObservabilityStack), or use format: AlertRuleFormat.PROMETHEUS_RULE for a Prometheus-operator cluster'));
}

/**
 * A Telemetry that names the built-in `envoy` provider replaces the mesh's
 * default access-log providers for its workloads, so an access log the control
 * plane declares with another path or encoding never reaches those proxies.
 */
function builtinAccessLogOverridesDeclared(s: MeshSnapshot): Diagnostic[] {
  const declared = s.controlPlanes.find((cp) => cp.accessLog
    && (cp.accessLog.path !== BUILTIN_ENVOY_ACCESS_LOG.path || cp.accessLog.encoding !== BUILTIN_ENVOY_ACCESS_LOG.encoding));
  if (!declared?.accessLog) return [];
  const log = declared.accessLog;
  return s.observability.providerReferences
    .filter((ref) => ref.use === 'accessLogging' && ref.name === 'envoy' && !s.extensionProviders.some((p) => p.name === 'envoy'))
    .map((ref) => finding(OBSERVABILITY_RULES.BUILTIN_ACCESS_LOG, ref.path,
      `'${ref.prop}' must not be Istio's built-in "envoy" provider while ${declared.path} declares accessLogFile ${JSON.stringify(log.path)} (${log.encoding}): `
      + `the built-in provider writes text to ${BUILTIN_ENVOY_ACCESS_LOG.path} and this Telemetry overrides the mesh default, so the declared access log never reaches Envoy, got "envoy". `
      + `Fix: omit providers (the mesh default ${JSON.stringify(log.provider)} carries the declared path and encoding), or pass controlPlane.accessLogProvider`));
}

export const OBSERVABILITY_RULES: RuleSet<'UNDECLARED_PROVIDER' | 'CONFLICTING_TELEMETRY' | 'UNLOADED_ALERTS' | 'BUILTIN_ACCESS_LOG'> = {
  UNDECLARED_PROVIDER: {
    code: 'OBS001',
    severity: 'error',
    reportedOn: 'the `Telemetry` / provider reference',
    summary: 'A reference to an extension provider (tracing, access log) that the mesh config does not declare, or one that cannot serve that use.',
    fix: 'Declare the provider in this app, or use a matching one.',
    check: undeclaredProviders,
  },
  CONFLICTING_TELEMETRY: {
    code: 'OBS002',
    severity: 'error',
    reportedOn: 'the `Telemetry`',
    summary: 'Two Telemetry resources configure the same target (Istio does not define which wins).',
    fix: 'One Telemetry per target.',
    check: conflictingTelemetry,
  },
  UNLOADED_ALERTS: {
    code: 'OBS003',
    severity: 'error',
    reportedOn: 'the alert group',
    summary: 'Alert rules rendered as a Prometheus rule file with no `PrometheusAddon` in the app to load it.',
    fix: 'Add a `PrometheusAddon`, or use the PrometheusRule format.',
    check: unloadedAlertGroups,
  },
  BUILTIN_ACCESS_LOG: {
    code: 'OBS004',
    severity: 'error',
    reportedOn: 'the `Telemetry` / provider reference',
    summary: 'A Telemetry names Istio\'s built-in `envoy` access-log provider (text on `/dev/stdout`) while the control plane declares `accessLogFile`/`accessLogEncoding` with another path or encoding: the Telemetry replaces the mesh default, so the declared access log never reaches those proxies.',
    fix: 'Omit `providers` (the mesh default carries the declared access log), or pass `controlPlane.accessLogProvider`.',
    check: builtinAccessLogOverridesDeclared,
  },
};
