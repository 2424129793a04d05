import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { VirtualService, VirtualServiceSpec } from '../../imports/networking.istio.io';
import { ANY_HOST, gatewayRouteTableName, GatewayRouteModel } from '../../model/gateways';
import { MeshModel } from '../../model/mesh-model';
import { snapshotOf } from '../../model/resolve';
import { describeMatch } from '../../model/traffic';
import { propError } from '../../private/errors';
import { pinConflict, renderGatewayRouteSpec } from '../../render/virtual-service';
import { MeshService } from '../../services/mesh-service';
import type { GatewayRouteOptions } from '../gateway-route';
import { isDnsName, suggestHost } from './hosts';

/** What a route table needs from the gateway that owns it. */
export interface GatewayRouteOwner {
  readonly gatewayName: string;
  readonly namespace: string;
  /** Records a new route in the mesh model. */
  onRoute(route: GatewayRouteModel): void;
  /** With the Gateway API: creates the object carrying a host's routes instead of the VirtualService. */
  createRouteObject?(host: string): ApiObject;
}

interface RouteEntry {
  readonly model: GatewayRouteModel;
  readonly options: GatewayRouteOptions;
}

/**
 * The routes of one Istio Gateway: one VirtualService per route host
 * (`<gateway>-<host>`, `<gateway>-any` for `*`) bound to the gateway, in the
 * order of `gatewayRouteTables()`. Shared by `IngressGateway` and
 * `ExistingIngressGateway` so both have the same route API and analysis.
 */
export class GatewayRoutes {
  private readonly entries: RouteEntry[] = [];
  private readonly virtualServices = new Map<string, ApiObject>();

  constructor(private readonly scope: Construct, private readonly model: MeshModel, private readonly owner: GatewayRouteOwner) {}

  /** Validates and adds a route; returns the VirtualService of its host. */
  public add(options: GatewayRouteOptions): ApiObject {
    const scope = this.scope;
    const index = this.entries.length;
    const prop = `routes[${index}]`;
    const host = options.host;
    if (host !== ANY_HOST && !isDnsName(host)) {
      throw propError(scope, `${prop}.host`, 'must be a lower-case DNS name (the host clients request) or \'*\' (every host the gateway\'s servers accept)', host,
        String(host).includes('*') ? 'route each concrete host, or use \'*\' for every host the servers accept' : `use ${JSON.stringify(suggestHost(host))}`);
    }
    if (!(options.service instanceof MeshService)) {
      throw propError(scope, `${prop}.service`, 'must be a MeshService', options.service, 'pass the MeshService object that should receive the traffic');
    }
    const port = this.resolvePort(prop, options);
    const resolvedPort = options.port ?? options.service.ports.filter((p) => p.protocol !== 'tcp')[0].port;
    const matches = (options.match ?? []).map((m, i) => m._toModel(scope, `${prop}.match[${i}]`));
    const catchAll = !options.match || options.match.length === 0 || options.match.some((m) => m.isCatchAll);
    if (options.rewritePrefix !== undefined && !options.rewritePrefix.startsWith('/')) {
      throw propError(scope, `${prop}.rewritePrefix`, 'must be an absolute path starting with \'/\'', options.rewritePrefix, `use "/${options.rewritePrefix}"`);
    }
    if (options.timeout !== undefined && options.timeout.toMilliseconds() < 1) {
      throw propError(scope, `${prop}.timeout`, 'must be at least 1 ms', `${options.timeout.toMilliseconds()}ms`, 'use e.g. Duration.seconds(15), or omit it');
    }
    if (catchAll) {
      const other = this.entries.find((r) => r.model.host === host && r.model.catchAll);
      if (other) {
        const what = host === ANY_HOST ? 'every request for any host' : `every request for ${host}`;
        throw propError(scope, `${prop}.match`, `must narrow the route: routes[${other.model.index}] already takes ${what}, so this route would never match`,
          options.match ?? [], 'give the route a match (e.g. match: [HttpMatch.pathPrefix(\'/api\')]) or remove one of the routes');
      }
    }

    let vs = this.virtualServices.get(host);
    if (!vs && this.owner.createRouteObject) {
      vs = this.owner.createRouteObject(host);
      this.virtualServices.set(host, vs);
    }
    if (!vs) {
      vs = new VirtualService(scope, `Route-${host}`, {
        metadata: {
          name: gatewayRouteTableName(this.owner.gatewayName, host),
          namespace: this.owner.namespace,
          labels: { 'app.kubernetes.io/name': this.owner.gatewayName },
        },
        spec: Lazy.any({ produce: () => this.render(host) }),
      });
      this.virtualServices.set(host, vs);
    }
    const model: GatewayRouteModel = {
      path: scope.node.path,
      index,
      host,
      serviceHost: options.service.host,
      serviceName: options.service.serviceName,
      catchAll,
      matches,
      port,
      resolvedPort,
      rewritePrefix: options.rewritePrefix,
      timeoutMs: options.timeout?.toMilliseconds(),
    };
    this.entries.push({ model, options });
    this.owner.onRoute(model);
    return vs;
  }

  /** The route models, in the order added (copies). */
  public get models(): GatewayRouteModel[] {
    return this.entries.map((e) => e.model);
  }

  private resolvePort(prop: string, options: GatewayRouteOptions): number | undefined {
    const ports = options.service.ports;
    const httpPorts = ports.filter((p) => p.protocol !== 'tcp');
    if (options.port !== undefined) {
      if (!httpPorts.some((p) => p.port === options.port)) {
        throw propError(this.scope, `${prop}.port`, `must be one of the HTTP ports of ${options.service.serviceName} (${httpPorts.map((p) => p.port).join(', ') || 'none'})`,
          options.port, 'pass one of those ports or omit port');
      }
      return ports.length > 1 ? options.port : undefined;
    }
    if (httpPorts.length !== 1) {
      throw propError(this.scope, `${prop}.port`, `is required because ${options.service.serviceName} has ${httpPorts.length} HTTP ports ` +
        `(${httpPorts.map((p) => p.port).join(', ') || 'none'})`, options.port, 'pass port: <service port> (a gateway route carries HTTP only)');
    }
    return ports.length > 1 ? httpPorts[0].port : undefined;
  }

  /** The VirtualService spec of one routed host, from the snapshot. */
  private render(host: string): VirtualServiceSpec {
    const snapshot = snapshotOf(this.model);
    for (const e of this.entries) this.checkPinnable(e);
    const gateway = snapshot.gateway(this.scope.node.path);
    if (!gateway) throw new Error(`internal: ${this.scope.node.path} is not in the snapshot`);
    return renderGatewayRouteSpec(snapshot, gateway, host);
  }

  /**
   * A route's own matches must combine with the tester match of its
   * service's release (header, cookie or blue-green preview header): one
   * Istio match holds one condition per header.
   */
  private checkPinnable(r: RouteEntry): void {
    const release = snapshotOf(this.model).service(r.model.serviceHost)?.release;
    if (!release || r.model.catchAll) return;
    for (const own of r.model.matches) {
      for (const pinned of release.pinned) {
        const h = pinConflict(own, pinned);
        if (!h) continue;
        const rule = `must not test header ${JSON.stringify(h.name)}, which the release of ${r.options.service.serviceName} ` +
          'uses to pin testers to its canary/preview version (one Istio match holds one condition per header)';
        const fix = `match on another header, or let the release's pin header select the version (${describeMatch(pinned)})`;
        throw propError(this.scope, `routes[${r.model.index}].match`, rule, describeMatch(own), fix);
      }
    }
  }
}
