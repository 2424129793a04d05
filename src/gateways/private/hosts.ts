const HOST_PATTERN = /^(\*|(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/;
const SECRET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** True for `*`, `*.example.com` or a lower-case DNS name. */
export function isHostPattern(host: string): boolean {
  return typeof host === 'string' && host.length <= 253 && HOST_PATTERN.test(host);
}

/** True for a lower-case DNS name without wildcard. */
export function isDnsName(host: string): boolean {
  return isHostPattern(host) && !host.includes('*');
}

/** True for a DNS-1123 subdomain (Secret and ConfigMap names). */
export function isDnsSubdomain(name: string): boolean {
  return typeof name === 'string' && name.length <= 253 && SECRET_NAME.test(name);
}

/** A best-effort host spelling of a user value, for fix hints. */
export function suggestHost(value: unknown): string {
  return String(value ?? '').trim().toLowerCase().replace(/^[a-z]+:\/\//, '').replace(/[/:].*$/, '') || 'shop.example.com';
}

