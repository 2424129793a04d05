import { ApiObject, Chart, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { EgressGateway } from './egress-gateway';
import { isDnsName, isHostPattern, suggestHost } from './private/hosts';
import { DestinationRule, ServiceEntry, VirtualService } from '../imports/networking.istio.io';
import {
  EXTERNAL_HTTP_PROTOCOLS, EXTERNAL_TLS_PROTOCOLS, ExternalPortModel, ExternalResolutionName, ExternalServiceModel,
  TlsOriginationModel,
} from '../model/gateways';
import { MeshModel } from '../model/mesh-model';
import { snapshotOf } from '../model/resolve';
import { IMeshDestination } from '../model/shared-interfaces';
import { propError } from '../private/errors';
import { validateDnsLabel } from '../private/names';
import { checkArgs } from '../private/runtime-types';
import { checkPort } from '../private/values';
import { renderTlsOriginationDestinationRuleSpec } from '../render/destination-rule';
import { renderServiceEntrySpec } from '../render/service-entry';
import { renderEgressVirtualServiceSpec } from '../render/virtual-service';
import { meshOf } from '../synth/mesh';

/** Protocol of an external service port, in Istio's terms. */
export enum ExternalProtocol {
  /** Plain HTTP/1.1. */
  HTTP = 'HTTP',
  /** HTTP/2 in clear text. */
  HTTP2 = 'HTTP2',
  /** gRPC in clear text. */
  GRPC = 'GRPC',
  /** TLS the application originates itself (e.g. `https://`); routed by SNI. */
  TLS = 'TLS',
  /** Same as TLS for external services (Istio does not look inside). */
  HTTPS = 'HTTPS',
  /** Opaque TCP. */
  TCP = 'TCP',
}

/**
 * How the sidecars find the addresses of an external service.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/service-entry/#ServiceEntry-Resolution
 */
export enum ExternalResolution {
  /** Resolve the host with DNS at connection time (the usual choice). */
  DNS = 'DNS',
  /** Resolve with DNS, but connect to the first address only (for large DNS answers). */
  DNS_ROUND_ROBIN = 'DNS_ROUND_ROBIN',
  /** Forward to the original destination IP (needed for wildcard hosts). */
  NONE = 'NONE',
}

/**
 * A port of an external service.
 */
export interface ExternalServicePort {
  /** Port number the application connects to. */
  readonly port: number;

  /**
   * Protocol on the port.
   *
   * @default ExternalProtocol.TLS
   */
  readonly protocol?: ExternalProtocol;

  /**
   * Port name.
   *
   * @default - `<protocol>-<port>` in lower case, e.g. `tls-443`
   */
  readonly name?: string;
}

/**
 * TLS origination: the application calls `http://<host>` in plain text and
 * the mesh (the sidecar, or the egress gateway when there is one) opens a
 * verified TLS connection to the external service.
 *
 * @see https://istio.io/latest/docs/tasks/traffic-management/egress/egress-tls-origination/
 */
export interface TlsOrigination {
  /**
   * The plain-HTTP port the application calls (must be an HTTP port of the service).
   *
   * @default 80
   */
  readonly port?: number;

  /**
   * The TLS port of the external service.
   *
   * @default 443
   */
  readonly targetPort?: number;

  /**
   * Server name sent in the TLS handshake (and checked against the certificate).
   *
   * @default - the first host
   */
  readonly sni?: string;
}

/**
 * Properties of an `ExternalService`.
 */
export interface ExternalServiceProps {
  /**
   * External hosts, e.g. `api.payments.example`. A wildcard (`*.example.com`)
   * requires `ExternalResolution.NONE`.
   */
  readonly hosts: string[];

  /**
   * Ports of the service.
   *
   * @default - one TLS port 443; with `tlsOrigination`, one HTTP port 80
   */
  readonly ports?: ExternalServicePort[];

  /**
   * Address resolution.
   *
   * @default ExternalResolution.DNS
   */
  readonly resolution?: ExternalResolution;

  /**
   * Originate TLS for plain-HTTP calls.
   *
   * @default - no origination; the application speaks TLS itself
   */
  readonly tlsOrigination?: TlsOrigination;

  /**
   * Send the traffic through this egress gateway instead of straight from
   * the sidecars. Needs exactly one host and no TCP port.
   *
   * @default - sidecars connect directly
   * @see https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway/
   */
  readonly egressGateway?: EgressGateway;

  /**
   * Name of the Istio objects.
   *
   * @default - the construct id (which must then be a DNS-1123 label)
   */
  readonly serviceName?: string;

  /**
   * Namespace of the Istio objects.
   *
   * @default - the chart's namespace, or `default`
   */
  readonly namespace?: string;
}

const RESOLUTION_NAMES: Readonly<Record<ExternalResolution, ExternalResolutionName>> = {
  [ExternalResolution.DNS]: 'DNS',
  [ExternalResolution.DNS_ROUND_ROBIN]: 'DNS_ROUND_ROBIN',
  [ExternalResolution.NONE]: 'NONE',
};

/**
 * A service outside the mesh that workloads may call: an Istio ServiceEntry
 * (`location: MESH_EXTERNAL`), optionally with TLS origination (a
 * DestinationRule with `tls.mode: SIMPLE`) and routing through an
 * `EgressGateway` (the VirtualService, Gateway servers and DestinationRule
 * subset Istio requires).
 *
 * With the mesh's outbound traffic policy set to `REGISTRY_ONLY`, only hosts
 * declared by an `ExternalService` are reachable from the mesh.
 *
 * @example
 * new ExternalService(chart, 'payments-api', {
 *   hosts: ['api.payments.example'],
 *   tlsOrigination: {},
 *   egressGateway: egress,
 * });
 *
 * @see https://istio.io/latest/docs/reference/config/networking/service-entry/
 */
export class ExternalService extends Construct implements IMeshDestination {
  /** Name of the Istio objects. */
  public readonly serviceName: string;
  /** Namespace of the Istio objects. */
  public readonly namespace: string;
  /** The ServiceEntry (escape hatch: `addJsonPatch`). */
  public readonly serviceEntry: ApiObject;
  /** The DestinationRule that originates TLS, if `tlsOrigination` is set. */
  public readonly destinationRule?: ApiObject;
  /** The VirtualService that steers traffic through the egress gateway, if `egressGateway` is set. */
  public readonly virtualService?: ApiObject;

  private readonly _hosts: string[];
  private readonly _ports: ExternalPortModel[];
  private readonly resolution: ExternalResolution;
  private readonly origination?: TlsOriginationModel;
  private readonly egressGateway?: EgressGateway;

  constructor(scope: Construct, id: string, props: ExternalServiceProps) {
    super(scope, id);
    checkArgs(this, 'ExternalService.new', arguments);
    const model = meshOf(this);
    this.serviceName = props.serviceName !== undefined
      ? validateDnsLabel(this, 'serviceName', props.serviceName)
      : validateDnsLabel(this, 'serviceName', id);
    this.namespace = validateDnsLabel(this, 'namespace', props.namespace ?? Chart.of(this).namespace ?? 'default');
    const resolution = props.resolution ?? ExternalResolution.DNS;
    this.resolution = resolution;

    this._hosts = this.validateHosts(props.hosts, resolution);

    const origination = props.tlsOrigination;
    const ports = props.ports ?? (origination
      ? [{ port: origination.port ?? 80, protocol: ExternalProtocol.HTTP }]
      : [{ port: 443, protocol: ExternalProtocol.TLS }]);
    this._ports = this.validatePorts(ports);

    if (origination) this.origination = this.validateOrigination(origination);

    const egress = props.egressGateway;
    if (egress) this.validateEgress(egress);
    this.egressGateway = egress;

    const clash = model.addExternalService(this._toModel());
    if (clash) {
      const host = this._hosts.find((h) => clash.hosts.includes(h));
      throw propError(this, 'hosts', `must not repeat a host another ExternalService declares (${clash.path})`, host,
        'declare each external host once and reuse that ExternalService');
    }

    this.serviceEntry = this.attachServiceEntry(model);
    this.destinationRule = this.attachOriginationRule();
    if (egress) this.virtualService = this.attachEgress(egress);
  }

  private attachServiceEntry(model: MeshModel): ServiceEntry {
    const serviceEntry = new ServiceEntry(this, 'ServiceEntry', {
      metadata: { name: this.serviceName, namespace: this.namespace },
      spec: renderServiceEntrySpec(this._toModel()),
    });
    // ambient callers reach the service through a waypoint when it is routed through an egress gateway or originates TLS
    serviceEntry.metadata.addLabel('istio.io/use-waypoint', Lazy.any({
      produce: () => snapshotOf(model).waypoints.find((w) => w.externalServicePaths.includes(this.node.path))?.name,
    }));
    return serviceEntry;
  }

  private attachOriginationRule(): DestinationRule | undefined {
    const spec = renderTlsOriginationDestinationRuleSpec(this._toModel());
    return spec ? new DestinationRule(this, 'DestinationRule', { metadata: { name: this.serviceName, namespace: this.namespace }, spec }) : undefined;
  }

  /** Routes the service through `egress`: its legs on the gateway, and the VirtualService steering callers to it. */
  private attachEgress(egress: EgressGateway): VirtualService {
    const host = this._hosts[0];
    if (this._ports.some((p) => EXTERNAL_HTTP_PROTOCOLS.includes(p.protocol))) {
      egress._addLeg(this, { path: this.node.path, subset: this.serviceName, host, kind: 'http' });
    }
    if (this._ports.some((p) => EXTERNAL_TLS_PROTOCOLS.includes(p.protocol))) {
      egress._addLeg(this, { path: this.node.path, subset: this.serviceName, host, kind: 'tls' });
    }
    return new VirtualService(this, 'VirtualService', {
      metadata: { name: this.serviceName, namespace: this.namespace },
      spec: Lazy.any({ produce: () => renderEgressVirtualServiceSpec(this._toModel(), egress._toModel()) }),
    });
  }

  private validateHosts(hosts: string[], resolution: ExternalResolution): string[] {
    if (!Array.isArray(hosts) || hosts.length === 0) {
      throw propError(this, 'hosts', 'must list at least one host', hosts, 'list the external host names, e.g. hosts: [\'api.payments.example\']');
    }
    hosts.forEach((h, i) => {
      if (!isHostPattern(h) || h === '*') {
        throw propError(this, `hosts[${i}]`, 'must be a lower-case DNS name or a wildcard subdomain (\'*.example.com\')', h, `use ${JSON.stringify(suggestHost(h))}`);
      }
      if (h.startsWith('*') && resolution !== ExternalResolution.NONE) {
        throw propError(this, `hosts[${i}]`, `must not be a wildcard with resolution ${resolution} (a wildcard cannot be resolved by DNS)`, h,
          'list the exact host names, or set resolution: ExternalResolution.NONE');
      }
    });
    return [...hosts];
  }

  private validateOrigination(origination: TlsOrigination): TlsOriginationModel {
    const originatePort = origination.port ?? 80;
    const targetPort = origination.targetPort ?? 443;
    const sni = origination.sni ?? this._hosts[0];
    const p = this._ports.find((x) => x.number === originatePort);
    if (!p || p.protocol !== 'HTTP') {
      throw propError(this, 'tlsOrigination.port', `must be an HTTP port of the service (ports: ${this._ports.map((x) => `${x.number}/${x.protocol}`).join(', ')})`,
        originatePort, 'add { port: 80, protocol: ExternalProtocol.HTTP } to ports, or point tlsOrigination.port at an HTTP port');
    }
    checkPort(this, 'tlsOrigination.targetPort', targetPort, 'use the TLS port of the external service, usually 443');
    if (!isDnsName(sni)) {
      throw propError(this, 'tlsOrigination.sni', 'must be a lower-case DNS name without wildcard', sni,
        'set sni to the name on the server certificate (with a wildcard host, sni is required)');
    }
    return { port: originatePort, targetPort, sni };
  }

  /** Namespace of the ServiceEntry. */
  public get destinationNamespace(): string {
    return this.namespace;
  }

  /** The external host names (as callers address them). */
  public get destinationHosts(): string[] {
    return this.hosts;
  }

  /** The external hosts (a copy). */
  public get hosts(): string[] {
    return [...this._hosts];
  }

  /** The ports (copies). */
  public get ports(): ExternalServicePort[] {
    return this._ports.map((p) => ({ port: p.number, protocol: p.protocol as ExternalProtocol, name: p.name }));
  }

  /** @internal */
  public _toModel(): ExternalServiceModel {
    return {
      path: this.node.path,
      name: this.serviceName,
      namespace: this.namespace,
      hosts: [...this._hosts],
      ports: [...this._ports],
      egressGatewayPath: this.egressGateway?.node.path,
      originatesTls: this.origination !== undefined,
      resolution: RESOLUTION_NAMES[this.resolution],
      tlsOrigination: this.origination,
    };
  }

  private validateEgress(egress: EgressGateway): void {
    if (!(egress instanceof EgressGateway)) {
      throw propError(this, 'egressGateway', 'must be an EgressGateway', egress, 'pass the EgressGateway construct');
    }
    if (this._hosts.length !== 1 || this._hosts[0].includes('*')) {
      throw propError(this, 'hosts', 'must be exactly one host without wildcard when routed through an egress gateway', this._hosts,
        'declare one ExternalService per host, or drop egressGateway');
    }
    const tcp = this._ports.find((p) => p.protocol === 'TCP');
    if (tcp) {
      throw propError(this, 'ports', 'must not contain TCP ports when routed through an egress gateway (opaque TCP carries no host to route by)', tcp.number,
        'use protocol TLS (routed by SNI) or HTTP, or drop egressGateway');
    }
    for (const [kind, group] of [['HTTP', EXTERNAL_HTTP_PROTOCOLS], ['TLS', EXTERNAL_TLS_PROTOCOLS]] as const) {
      const list = this._ports.filter((p) => group.includes(p.protocol));
      if (list.length > 1) {
        throw propError(this, 'ports', `must contain at most one ${kind} port when routed through an egress gateway (the gateway cannot tell them apart)`,
          list.map((p) => p.number), 'declare one port per kind, or another ExternalService');
      }
    }
  }

  private validatePorts(ports: ExternalServicePort[]): ExternalPortModel[] {
    if (ports.length === 0) {
      throw propError(this, 'ports', 'must list at least one port', ports, 'add a port, e.g. ports: [{ port: 443, protocol: ExternalProtocol.TLS }]');
    }
    const out: ExternalPortModel[] = [];
    ports.forEach((p, i) => {
      const prop = `ports[${i}]`;
      checkPort(this, `${prop}.port`, p.port, 'use the port the service listens on, e.g. 443');
      const protocol = p.protocol ?? ExternalProtocol.TLS;
      if (!Object.values(ExternalProtocol).includes(protocol)) {
        throw propError(this, `${prop}.protocol`, `must be one of ${Object.values(ExternalProtocol).join(', ')}`, protocol, 'use ExternalProtocol.TLS');
      }
      const name = p.name ?? `${protocol.toLowerCase()}-${p.port}`;
      if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
        throw propError(this, `${prop}.name`, 'must be a DNS-1123 label', name, 'use a name such as \'https\'');
      }
      if (out.some((o) => o.number === p.port)) {
        throw propError(this, `${prop}.port`, 'must be unique', p.port, 'give each port its own number');
      }
      if (out.some((o) => o.name === name)) {
        throw propError(this, `${prop}.name`, 'must be unique', name, 'give each port its own name');
      }
      out.push({ name, number: p.port, protocol });
    });
    return out;
  }
}
