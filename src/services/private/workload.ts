import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { PortModel } from '../../model';
import { MeshServicePort, Protocol } from '../../model/service-port';
import { propError } from '../../private/errors';
import { checkPort } from '../../private/values';
import { ENVOY_RESERVED_PORTS, PROXY_UID } from '../../render/proxy';
import { WorkloadSecurityOptions } from '../workload-security';
import { WorkloadVolume } from '../workload-volume';

/**
 * Validation of a mesh workload's inputs (ports, container security, volumes)
 * against what the injected Envoy proxy occupies in the pod. Errors name the
 * workload construct, the prop, the value and the fix.
 */

const IANA_SVC_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Container and pod security of a workload, every default filled in. */
export interface WorkloadSecurity {
  readonly user: number;
  readonly group: number;
  readonly ensureNonRoot: boolean;
  readonly readOnlyRootFilesystem: boolean;
  readonly allowPrivilegeEscalation: boolean;
  readonly addCapabilities: kplus.Capability[];
}

export function validatePorts(scope: IConstruct, ports: MeshServicePort[]): PortModel[] {
  if (ports.length === 0) {
    throw propError(scope, 'ports', 'must list at least one port', ports, 'add a port, e.g. ports: [{ port: 80, targetPort: 8080 }]');
  }
  const countByProtocol = new Map<string, number>();
  for (const p of ports) countByProtocol.set(p.protocol ?? Protocol.HTTP, (countByProtocol.get(p.protocol ?? Protocol.HTTP) ?? 0) + 1);
  const out: PortModel[] = [];
  ports.forEach((p, i) => {
    const prop = `ports[${i}]`;
    const protocol = p.protocol ?? Protocol.HTTP;
    const targetPort = p.targetPort ?? p.port;
    checkPort(scope, `${prop}.port`, p.port, 'use a valid TCP port number');
    checkPort(scope, `${prop}.targetPort`, targetPort, 'use a valid TCP port number');
    if (ENVOY_RESERVED_PORTS.includes(targetPort)) {
      throw propError(scope, `${prop}.targetPort`, `must not be a port the Envoy sidecar reserves (${ENVOY_RESERVED_PORTS.join(', ')})`, targetPort,
        'let the application listen on another port');
    }
    const name = p.name ?? ((countByProtocol.get(protocol) ?? 0) > 1 ? `${protocol}-${p.port}` : protocol);
    if (!IANA_SVC_NAME.test(name) || name.length > 15 || name.includes('--')) {
      throw propError(scope, `${prop}.name`, 'must be an IANA service name (at most 15 lower-case letters, digits and single \'-\', with at least one letter)', name,
        'use a short name such as \'http\' or \'grpc-api\'');
    }
    const dupPort = out.find((o) => o.port === p.port);
    if (dupPort) {
      throw propError(scope, `${prop}.port`, `must be unique, but ports[${out.indexOf(dupPort)}] also uses it`, p.port, 'give each port its own number');
    }
    const dupName = out.find((o) => o.name === name);
    if (dupName) {
      throw propError(scope, `${prop}.name`, `must be unique, but ports[${out.indexOf(dupName)}] is also named so`, name, 'give each port its own name');
    }
    const dupTarget = out.find((o) => o.targetPort === targetPort);
    if (dupTarget) {
      throw propError(scope, `${prop}.targetPort`, `must be unique, but ports[${out.indexOf(dupTarget)}] also targets it`, targetPort,
        'give each port its own container port');
    }
    out.push({ name, port: p.port, targetPort, protocol });
  });
  return out;
}

export function resolveWorkloadSecurity(scope: IConstruct, s: WorkloadSecurityOptions): WorkloadSecurity {
  const user = s.user ?? 1000;
  const group = s.group ?? 1000;
  for (const [prop, value] of [['security.user', user], ['security.group', group]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 2147483647) {
      throw propError(scope, prop, 'must be a whole number between 0 and 2147483647', value, 'use an unprivileged id such as 1000');
    }
  }
  const ensureNonRoot = s.ensureNonRoot ?? true;
  if (user === PROXY_UID) {
    throw propError(scope, 'security.user', `must not be ${PROXY_UID}, the UID of the Envoy sidecar (its traffic bypasses the mesh)`, user,
      'choose another UID, e.g. 1000');
  }
  if (user === 0 && ensureNonRoot) {
    throw propError(scope, 'security.user', 'must not be 0 (root) while ensureNonRoot is true', user,
      'use a non-root UID, or set security.ensureNonRoot: false to run as root explicitly');
  }
  return {
    user,
    group,
    ensureNonRoot,
    readOnlyRootFilesystem: s.readOnlyRootFilesystem ?? true,
    allowPrivilegeEscalation: s.allowPrivilegeEscalation ?? false,
    addCapabilities: s.addCapabilities ?? [],
  };
}

export function validateVolumes(
  scope: IConstruct, prop: string, volumes: WorkloadVolume[] | undefined, readOnlyRootFilesystem: boolean,
): WorkloadVolume[] {
  if (volumes === undefined) return [];
  if (!Array.isArray(volumes)) {
    throw propError(scope, `${prop}.volumes`, 'must be a list of WorkloadVolume', volumes, 'pass e.g. volumes: [WorkloadVolume.emptyDir({ name: \'cache\', path: \'/var/cache/app\' })]');
  }
  volumes.forEach((v, i) => {
    const vprop = `${prop}.volumes[${i}]`;
    if (!(v instanceof WorkloadVolume)) {
      throw propError(scope, vprop, 'must be a WorkloadVolume', v, 'use WorkloadVolume.emptyDir(...), WorkloadVolume.configMap(...) or WorkloadVolume.secret(...)');
    }
    v._validate(scope, vprop);
    const sameName = volumes.findIndex((o) => o.name === v.name);
    if (sameName < i) {
      throw propError(scope, `${vprop}.name`, `must be unique within the version, but volumes[${sameName}] is also named so`, v.name, 'give each volume its own name');
    }
    const samePath = volumes.findIndex((o) => o.path === v.path);
    if (samePath < i) {
      throw propError(scope, `${vprop}.path`, `must be unique within the version, but volumes[${samePath}] is also mounted there`, v.path,
        'mount each volume at its own path (one volume can hold several files)');
    }
  });
  const tmpReplaced = volumes.some((v) => v.path === '/tmp');
  const tmpName = volumes.findIndex((v) => v.name === 'tmp');
  if (readOnlyRootFilesystem && !tmpReplaced && tmpName >= 0) {
    throw propError(scope, `${prop}.volumes[${tmpName}].name`, 'must not be \'tmp\', the default /tmp emptyDir of a read-only root filesystem', 'tmp',
      'choose another name, or mount this volume at \'/tmp\' to replace the default one');
  }
  return volumes;
}
