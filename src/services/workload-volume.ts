import { Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { propError } from '../private/errors';
import { isDnsLabel, suggestDnsLabel } from '../private/names';
import { checkArgs } from '../private/runtime-types';

/** Volume names the Istio sidecar injector adds to every injected pod. */
const ISTIO_VOLUMES: readonly string[] = ['credential-socket', 'workload-socket', 'workload-certs', 'gke-workload-certificate', 'custom-bootstrap-volume', 'lightstep-certs'];
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * Name and mount point of a workload volume.
 */
export interface WorkloadVolumeOptions {
  /**
   * Volume name: a DNS-1123 label, unique within the version, not one the
   * Istio sidecar injector uses (`istio-*`, `istiod-*`, `workload-socket`, ...)
   * nor `tmp` while the root filesystem is read-only.
   */
  readonly name: string;

  /**
   * Absolute path in the application container where the volume is mounted
   * (e.g. `/var/cache/app`). Unique within the version.
   */
  readonly path: string;
}

/**
 * Options of `WorkloadVolume.emptyDir()`.
 */
export interface EmptyDirWorkloadVolumeOptions extends WorkloadVolumeOptions {
  /**
   * Where the directory lives: the node's disk, or memory (tmpfs; its size
   * counts against the container's memory limit).
   *
   * @default kplus.EmptyDirMedium.DEFAULT (the node's disk)
   * @see https://kubernetes.io/docs/concepts/storage/volumes/#emptydir
   */
  readonly medium?: kplus.EmptyDirMedium;

  /**
   * Largest size of the directory (whole mebibytes); the kubelet evicts the
   * pod when it grows beyond.
   *
   * @default - no limit of its own (memory-backed: the pod's memory limit)
   */
  readonly sizeLimit?: Size;

  /**
   * Mount the directory read-only.
   *
   * @default false
   */
  readonly readOnly?: boolean;
}

/**
 * Options shared by volumes populated from a ConfigMap or a Secret. Such
 * volumes are always mounted read-only.
 */
export interface KeyedWorkloadVolumeOptions extends WorkloadVolumeOptions {
  /**
   * Project only these keys, each to a relative file path under the mount
   * path (`{ 'app.yaml': 'config/app.yaml' }`).
   *
   * @default - every key, each as a file named after it
   */
  readonly items?: { [key: string]: string };

  /**
   * Permission bits of the files (e.g. `0o440`), 0 to 0o777.
   *
   * @default - 0o444 for a ConfigMap, 0o440 for a Secret (readable by the
   * pod's group, the workload's `security.group`, not by others)
   */
  readonly defaultMode?: number;

  /**
   * Start the pod even if the ConfigMap/Secret (or a listed key) is missing.
   *
   * @default false (the pod waits until it exists)
   */
  readonly optional?: boolean;
}

/**
 * Options of `WorkloadVolume.configMap()`.
 */
export interface ConfigMapWorkloadVolumeOptions extends KeyedWorkloadVolumeOptions {
  /** Name of the ConfigMap (in the service's namespace). */
  readonly configMapName: string;
}

/**
 * Options of `WorkloadVolume.secret()`.
 */
export interface SecretWorkloadVolumeOptions extends KeyedWorkloadVolumeOptions {
  /** Name of the Secret (in the service's namespace). */
  readonly secretName: string;
}

/**
 * A volume mounted into the application container of a `MeshService`
 * version. The root filesystem is read-only by default, so a path the app
 * writes to needs an `emptyDir`; configuration and credentials come from a
 * ConfigMap or Secret.
 *
 * @example
 * WorkloadVolume.emptyDir({ name: 'cache', path: '/var/cache/app', sizeLimit: Size.mebibytes(256) });
 * WorkloadVolume.configMap({ name: 'config', path: '/etc/app', configMapName: 'orders-config' });
 * WorkloadVolume.secret({ name: 'db', path: '/var/run/secrets/db', secretName: 'orders-db' });
 *
 * @see https://kubernetes.io/docs/concepts/storage/volumes/
 */
export abstract class WorkloadVolume {
  /** A scratch directory that lives as long as the pod. */
  public static emptyDir(options: EmptyDirWorkloadVolumeOptions): WorkloadVolume {
    checkArgs('WorkloadVolume.emptyDir', 'WorkloadVolume.emptyDir', arguments);
    return new EmptyDirVolume(options);
  }

  /** The keys of a ConfigMap as files (read-only). */
  public static configMap(options: ConfigMapWorkloadVolumeOptions): WorkloadVolume {
    checkArgs('WorkloadVolume.configMap', 'WorkloadVolume.configMap', arguments);
    return new KeyedVolume('configMap', options, options.configMapName, 0o444);
  }

  /** The keys of a Secret as files (read-only). */
  public static secret(options: SecretWorkloadVolumeOptions): WorkloadVolume {
    checkArgs('WorkloadVolume.secret', 'WorkloadVolume.secret', arguments);
    return new KeyedVolume('secret', options, options.secretName, 0o440);
  }

  /** Volume name. */
  public abstract readonly name: string;
  /** Mount path in the application container. */
  public abstract readonly path: string;

  /** @internal validates the volume's own fields. */
  public abstract _validate(scope: IConstruct, prop: string): void;

  /** @internal adds the volume to the pod and mounts it into the container. */
  public abstract _mount(deployment: kplus.Deployment, container: kplus.Container, id: string): void;
}

function checkPath(scope: IConstruct, prop: string, path: string): void {
  if (typeof path !== 'string' || !path.startsWith('/') || path === '/') {
    throw propError(scope, prop, 'must be an absolute path below \'/\' (the container\'s root is the image)', path, `use ${JSON.stringify(`/${String(path ?? 'data').replace(/^\/+/, '') || 'data'}`)}`);
  }
  if (path.split('/').some((s) => s === '..' || s === '.') || /\/\/|\/$/.test(path) || path.includes(':') || /\s/.test(path)) {
    throw propError(scope, prop, 'must be a normalized absolute path (no \'.\' or \'..\' segments, no \'//\', no trailing \'/\', no \':\' or whitespace)', path,
      `use ${JSON.stringify(`/${path.split('/').filter((s) => s && s !== '.' && s !== '..').join('/').replace(/[:\s]/g, '') || 'data'}`)}`);
  }
}

abstract class BaseVolume extends WorkloadVolume {
  public readonly name: string;
  public readonly path: string;

  constructor(options: WorkloadVolumeOptions) {
    super();
    this.name = options?.name;
    this.path = options?.path;
  }

  public _validate(scope: IConstruct, prop: string): void {
    if (typeof this.name !== 'string' || !isDnsLabel(this.name)) {
      throw propError(scope, `${prop}.name`, 'must be a DNS-1123 label (lower-case letters, digits and \'-\', at most 63 characters)', this.name,
        `use ${JSON.stringify(suggestDnsLabel(String(this.name ?? '')) || 'data')}`);
    }
    if (this.name.startsWith('istio') || ISTIO_VOLUMES.includes(this.name)) {
      throw propError(scope, `${prop}.name`, `must not be a volume name the Istio sidecar injector adds to the pod (istio-*, istiod-*, ${ISTIO_VOLUMES.join(', ')})`,
        this.name, 'choose a name after what the volume holds, e.g. \'cache\' or \'config\'');
    }
    checkPath(scope, `${prop}.path`, this.path);
  }
}

class EmptyDirVolume extends BaseVolume {
  constructor(private readonly options: EmptyDirWorkloadVolumeOptions) {
    super(options);
  }

  public _validate(scope: IConstruct, prop: string): void {
    super._validate(scope, prop);
    const { medium, sizeLimit } = this.options;
    if (medium !== undefined && !Object.values(kplus.EmptyDirMedium).includes(medium)) {
      throw propError(scope, `${prop}.medium`, `must be one of ${Object.values(kplus.EmptyDirMedium).map((m) => JSON.stringify(m)).join(', ')}`, medium,
        'use EmptyDirMedium.DEFAULT (disk) or EmptyDirMedium.MEMORY (tmpfs)');
    }
    if (sizeLimit !== undefined) {
      const mib = sizeLimit instanceof Size ? sizeLimit.toMebibytes({ rounding: SizeRoundingBehavior.NONE }) : NaN;
      if (!Number.isInteger(mib) || mib < 1) {
        throw propError(scope, `${prop}.sizeLimit`, 'must be a whole number of mebibytes, at least 1', Number.isNaN(mib) ? sizeLimit : `${mib}Mi`,
          'use e.g. Size.mebibytes(256) or Size.gibibytes(1)');
      }
    }
  }

  public _mount(deployment: kplus.Deployment, container: kplus.Container, id: string): void {
    const volume = kplus.Volume.fromEmptyDir(deployment, id, this.name, { medium: this.options.medium, sizeLimit: this.options.sizeLimit });
    container.mount(this.path, volume, { readOnly: this.options.readOnly ?? false });
  }
}

class KeyedVolume extends BaseVolume {
  constructor(
    private readonly kind: 'configMap' | 'secret',
    private readonly options: KeyedWorkloadVolumeOptions,
    private readonly sourceName: string,
    private readonly defaultMode: number,
  ) {
    super(options);
  }

  public _validate(scope: IConstruct, prop: string): void {
    super._validate(scope, prop);
    const nameProp = this.kind === 'configMap' ? 'configMapName' : 'secretName';
    const what = this.kind === 'configMap' ? 'ConfigMap' : 'Secret';
    if (typeof this.sourceName !== 'string' || this.sourceName.length > 253 || !DNS_SUBDOMAIN.test(this.sourceName)) {
      throw propError(scope, `${prop}.${nameProp}`, `must name a ${what} (a DNS-1123 subdomain) in the service's namespace`, this.sourceName,
        `pass the ${what}'s metadata.name, e.g. ${JSON.stringify(suggestDnsLabel(String(this.sourceName ?? '')) || 'app-config')}`);
    }
    const mode = this.options.defaultMode;
    if (mode !== undefined && (!Number.isInteger(mode) || mode < 0 || mode > 0o777)) {
      throw propError(scope, `${prop}.defaultMode`, 'must be permission bits between 0 and 0o777 (511)', mode, 'use e.g. 0o440 (owner and group read)');
    }
    const paths = new Map<string, string>();
    for (const [key, path] of Object.entries(this.options.items ?? {})) {
      const itemProp = `${prop}.items[${JSON.stringify(key)}]`;
      if (!DATA_KEY.test(key) || key.length > 253) {
        throw propError(scope, `${prop}.items`, `must use ${what} keys (letters, digits, '-', '_' and '.')`, key, `use the key as it appears in the ${what}'s data`);
      }
      if (typeof path !== 'string' || path === '' || path.startsWith('/') || path.split('/').some((s) => s === '..' || s === '' || s === '.')) {
        throw propError(scope, itemProp, 'must be a relative file path below the mount path (no leading \'/\', no \'.\', \'..\' or empty segments)', path,
          `use e.g. ${JSON.stringify(key)}`);
      }
      const other = paths.get(path);
      if (other !== undefined) {
        throw propError(scope, itemProp, `must not repeat the file path of key ${JSON.stringify(other)}`, path, 'give each key its own file path');
      }
      paths.set(path, key);
    }
  }

  public _mount(deployment: kplus.Deployment, container: kplus.Container, id: string): void {
    const items: { [key: string]: kplus.PathMapping } | undefined = this.options.items
      ? Object.fromEntries(Object.entries(this.options.items).map(([k, p]) => [k, { path: p }]))
      : undefined;
    const common = { name: this.name, items, defaultMode: this.options.defaultMode ?? this.defaultMode, optional: this.options.optional };
    const volume = this.kind === 'configMap'
      ? kplus.Volume.fromConfigMap(deployment, id, kplus.ConfigMap.fromConfigMapName(deployment, `${id}-source`, this.sourceName), common)
      : kplus.Volume.fromSecret(deployment, id, kplus.Secret.fromSecretName(deployment, `${id}-source`, this.sourceName), common);
    container.mount(this.path, volume, { readOnly: true });
  }
}
