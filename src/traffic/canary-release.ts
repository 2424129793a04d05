import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { HeaderMatch, HttpMatch } from './http-match';
import { IMeshService } from '../model/shared-interfaces';
import { MatchModel } from '../model/traffic';
import { propError } from '../private/errors';
import { checkArgs } from '../private/runtime-types';
import { checkInt, checkPercentage, escapeRegex } from '../private/values';
import { addMeshValidation, meshOf } from '../synth/mesh';

/**
 * The stable and canary subsets of a service's DestinationRule whose pods a
 * progressive-delivery controller selects at run time.
 */
export interface ReleaseDriverSubsets {
  /** Subset that receives the stable share. */
  readonly stable: string;
  /** Subset that receives the canary share. */
  readonly canary: string;
}

/**
 * What a release driver contributes to the `CanaryRelease` it is bound to.
 */
export interface ReleaseDriverBinding {
  /**
   * Set when a controller owns the split: the DestinationRule gets these two
   * subsets (selecting the service's pods by the Service selector; the
   * controller adds its pod-template-hash label at run time) instead of the
   * version subsets, and Git keeps 100% on `stable`.
   *
   * @default - Git owns the weights: the version subsets carry `canaryPercentage`
   */
  readonly managedSubsets?: ReleaseDriverSubsets;

  /**
   * The object through which the controller runs the release (e.g. an Argo
   * Rollouts `Rollout`), exposed as `CanaryRelease.rollout`.
   *
   * @default - none
   */
  readonly resource?: ApiObject;
}

/**
 * Who moves a `CanaryRelease`'s traffic: Git (static weights) or a
 * progressive-delivery controller. Implemented by `ReleaseDriver`
 * (`ReleaseDriver.staticWeights()`, `ReleaseDriver.argoRollouts({...})`).
 */
export interface IReleaseDriver {
  /**
   * Binds the driver to a release: checks the release's props against the
   * driver and creates what the driver emits, under the release. Called once,
   * by the `CanaryRelease` constructor.
   */
  bindRelease(release: CanaryRelease): ReleaseDriverBinding;
}

/**
 * A cookie that pins a tester to the canary: requests whose `Cookie` header
 * carries `name=value` always reach the canary.
 */
export interface CanaryCookie {
  /** Cookie name (an HTTP token, e.g. `canary`). */
  readonly name: string;
  /** Cookie value (an HTTP token, e.g. `always`). */
  readonly value: string;
}

/**
 * Properties of a `CanaryRelease`.
 */
export interface CanaryReleaseProps {
  /** The service being released. The release owns its default routing. */
  readonly service: IMeshService;

  /** The version that serves most traffic (a version of `service`). */
  readonly stable: string;

  /** The version being released (a version of `service`, not `stable`). */
  readonly canary: string;

  /**
   * Percentage (whole number, 0-100) of the service's default traffic sent to
   * the canary; the stable version gets the rest. 0 keeps the canary dark
   * (reachable only by pinned testers or mirroring), 100 completes the release.
   */
  readonly canaryPercentage: number;

  /**
   * Requests carrying this header always reach the canary (e.g.
   * `HeaderMatch.exact('x-canary', 'always')`).
   *
   * @default - no header pinning
   */
  readonly pinHeader?: HeaderMatch;

  /**
   * Requests carrying this cookie always reach the canary.
   *
   * @default - no cookie pinning
   */
  readonly pinCookie?: CanaryCookie;

  /**
   * Shadow phase: this percentage (0-100) of the service's default traffic is
   * copied to the canary and its responses are discarded. Only valid with
   * `canaryPercentage: 0` (a canary already serving live traffic would get
   * duplicates).
   *
   * @default - no mirroring
   * @see https://istio.io/latest/docs/tasks/traffic-management/mirroring/
   */
  readonly mirrorPercentage?: number;

  /**
   * Who moves the weights: Git (`ReleaseDriver.staticWeights()`) or Argo
   * Rollouts (`ReleaseDriver.argoRollouts({ steps })`, which requires
   * `canaryPercentage: 0` and no `mirrorPercentage`).
   *
   * @default ReleaseDriver.staticWeights()
   * @see https://argoproj.github.io/argo-rollouts/features/traffic-management/istio/
   */
  readonly driver?: IReleaseDriver;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * A canary release of a `MeshService`: a weighted split of the service's
 * default traffic between a stable and a canary version, with optional
 * tester pinning (header or cookie) and an optional mirroring (shadow) phase.
 *
 * The release owns the service's routing: its split is the default route of
 * the service's VirtualService and of every gateway route to the service.
 * Routes added with `service.addRoute()` may add matches, retries, timeouts
 * and so on, but must not pin a version (`to`/`destinations`): that would
 * bypass the split and is reported as an error at synth time.
 *
 * Rendered into the service's VirtualService as: a `canary-pinned` rule
 * (tester matches -> canary) first, then the service's own routes, then the
 * default rule with weights `stable = 100 - canaryPercentage`,
 * `canary = canaryPercentage`.
 *
 * @see https://istio.io/latest/docs/concepts/traffic-management/#routing-versions
 *
 * @example
 * new CanaryRelease(chart, 'orders-v2', {
 *   service: orders,
 *   stable: 'v1',
 *   canary: 'v2',
 *   canaryPercentage: 10,
 *   pinHeader: HeaderMatch.exact('x-canary', 'always'),
 * });
 */
export class CanaryRelease extends Construct {
  /** The service being released. */
  public readonly service: IMeshService;
  /** The stable version. */
  public readonly stable: string;
  /** The canary version. */
  public readonly canary: string;
  /** Percentage of default traffic sent to the canary. */
  public readonly canaryPercentage: number;
  /**
   * Percentage of default traffic mirrored to the canary.
   *
   * @default - no mirroring
   */
  public readonly mirrorPercentage?: number;
  /** The Argo Rollouts `Rollout`, with the Argo Rollouts driver. */
  public readonly rollout?: ApiObject;

  constructor(scope: Construct, id: string, props: CanaryReleaseProps) {
    super(scope, id);
    checkArgs(this, 'CanaryRelease.new', arguments);
    this.service = props.service;
    this.stable = props.stable;
    this.canary = props.canary;
    if (props.canary === props.stable) {
      throw propError(this, 'canary', 'must differ from \'stable\'', props.canary, 'name the new version as canary and the current one as stable');
    }
    this.canaryPercentage = checkInt(this, 'canaryPercentage', props.canaryPercentage, 0, 100);
    const mirrorPercentage = props.mirrorPercentage === undefined ? undefined : checkPercentage(this, 'mirrorPercentage', props.mirrorPercentage);
    this.mirrorPercentage = mirrorPercentage;
    const pinned: MatchModel[] = [];
    if (props.pinHeader) pinned.push(HttpMatch.header(props.pinHeader)._toModel(this, 'pinHeader'));
    if (props.pinCookie) {
      const { name, value } = props.pinCookie;
      for (const [prop, v] of [['pinCookie.name', name], ['pinCookie.value', value]] as const) {
        if (!TOKEN.test(v ?? '')) throw propError(this, prop, 'must be an HTTP token (letters, digits and !#$%&\'*+-.^_`|~)', v, 'use e.g. { name: \'canary\', value: \'always\' }');
      }
      const cookie = HeaderMatch.regex('cookie', `^(.*?;\\s*)?(${escapeRegex(name)}=${escapeRegex(value)})(;.*)?$`);
      pinned.push(HttpMatch.header(cookie)._toModel(this, 'pinCookie'));
    }
    // the driver checks the release against itself and creates what it emits (an Argo Rollouts Rollout)
    const binding: ReleaseDriverBinding = props.driver?.bindRelease(this) ?? {};
    const managedSubsets = binding.managedSubsets ? { stable: binding.managedSubsets.stable, canary: binding.managedSubsets.canary } : undefined;
    meshOf(this).addRelease(props.service.host, {
      path: this.node.path,
      kind: 'canary',
      stable: props.stable,
      canary: props.canary,
      canaryWeight: this.canaryPercentage,
      pinned,
      mirrorPercentage,
      ...(managedSubsets ? { managedSubsets } : {}),
    });
    addMeshValidation(this);
    this.rollout = binding.resource;
  }
}
