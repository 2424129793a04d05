import { IConstruct } from 'constructs';
import { propError } from './errors';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** True if `value` is an RFC 1123 DNS label (what Kubernetes requires for Service and namespace names). */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

/** Throws a clear error unless `value` is a DNS-1123 label. */
export function validateDnsLabel(scope: IConstruct, prop: string, value: string, fix?: string): string {
  if (!isDnsLabel(value)) {
    throw propError(scope, prop, 'must be a DNS-1123 label (lower-case letters, digits and \'-\', starting and ending with a letter or digit, at most 63 characters)', value,
      fix ?? `use a name such as ${JSON.stringify(suggestDnsLabel(value))}`);
  }
  return value;
}

/** A best-effort DNS-1123 spelling of `value`, used in fix hints. */
export function suggestDnsLabel(value: string): string {
  const s = value
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '');
  return s || 'my-service';
}

/** Label values: at most 63 characters of [A-Za-z0-9_.-], starting and ending alphanumeric. */
export function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(value));
}

/** Environment variable names the API server accepts (`IsEnvVarName`). */
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Throws a clear error unless `name` is a valid container environment variable name. */
export function validateEnvName(scope: IConstruct, prop: string, name: string): string {
  if (!ENV_VAR_NAME.test(name)) {
    const suggestion = name.replace(/[^-._a-zA-Z0-9]+/g, '_').replace(/^([0-9])/, '_$1');
    throw propError(scope, prop, 'must be an environment variable name (letters, digits, \'_\', \'-\' and \'.\', not starting with a digit), or the API server rejects the Deployment',
      name, `rename it, e.g. ${JSON.stringify(suggestion)}`);
  }
  return name;
}

/**
 * Throws a clear error unless `value` (already a DNS-1123 label) is also a
 * DNS-1035 label, as Kubernetes requires for Service names: it must start
 * with a letter.
 */
export function validateServiceName(scope: IConstruct, prop: string, value: string): string {
  if (!/^[a-z]/.test(value)) {
    throw propError(scope, prop, 'must start with a letter: it names a Kubernetes Service, whose names are DNS-1035 labels (the API server rejects the Service)',
      value, `use a name that starts with a letter such as ${JSON.stringify(`svc-${value}`.slice(0, 63).replace(/-+$/, ''))} in ${prop} (the construct id can stay)`);
  }
  return value;
}
