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
