import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { SloAnalysis } from './slo-analysis';
import { RolloutStepModel } from '../model/releases';
import { MatchModel } from '../model/traffic';
import { propError } from '../private/errors';
import { validateDnsLabel } from '../private/names';
import { checkArgs } from '../private/runtime-types';
import { HeaderMatch, HttpMatch } from '../traffic/http-match';

/**
 * Options of `RolloutStep.headerRoute()`.
 */
export interface HeaderRouteOptions {
  /**
   * Name of the route Argo Rollouts adds to the VirtualService (a DNS-1123
   * label, unique among the managed routes).
   */
  readonly name: string;

  /** Requests carrying all of these headers are sent to the canary. */
  readonly headers: HeaderMatch[];
}

/**
 * Options of `RolloutStep.mirrorRoute()`.
 */
export interface MirrorRouteOptions {
  /**
   * Name of the route Argo Rollouts adds to the VirtualService (a DNS-1123
   * label, unique among the managed routes).
   */
  readonly name: string;

  /**
   * Percentage (0-100) of the matching requests copied to the canary (their
   * responses are discarded).
   *
   * @default 100
   */
  readonly percentage?: number;

  /**
   * Requests to mirror (any of the matches).
   *
   * @default - every request
   */
  readonly match?: HttpMatch[];
}

/** What a step contributes to validation (internal). */
export interface RolloutStepInfo {
  /** The canary weight the step sets. */
  readonly weight?: number;
  /** The managed route the step creates. */
  readonly managedRoute?: string;
  /** The analysis the step runs. */
  readonly analysis?: SloAnalysis;
}

/**
 * One step of an Argo Rollouts canary strategy.
 *
 * @see https://argoproj.github.io/argo-rollouts/features/canary/
 */
export abstract class RolloutStep {
  /**
   * Sends `weight` percent (whole number, 0-100) of the service's traffic to
   * the canary.
   */
  public static weight(weight: number): RolloutStep {
    checkArgs('RolloutStep.weight', 'RolloutStep.weight', arguments);
    return new StepImpl('setWeight', (scope, prop) => {
      if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
        throw propError(scope, `${prop}.setWeight`, 'must be a whole number between 0 and 100', weight, 'use a percentage such as 10');
      }
      return { step: { kind: 'setWeight', weight }, info: { weight } };
    });
  }

  /**
   * Pauses the rollout for `duration`, or until it is promoted
   * (`kubectl argo rollouts promote`) when no duration is given.
   */
  public static pause(duration?: Duration): RolloutStep {
    checkArgs('RolloutStep.pause', 'RolloutStep.pause', arguments);
    return new StepImpl('pause', (scope, prop) => {
      if (duration === undefined) return { step: { kind: 'pause' }, info: {} };
      const ms = duration.toMilliseconds();
      if (!Number.isInteger(ms / 1000) || ms < 1000) {
        throw propError(scope, `${prop}.pause`, 'must be a whole number of seconds, at least 1s', duration.toHumanString(), 'use e.g. Duration.minutes(5), or no duration to wait for promotion');
      }
      return { step: { kind: 'pause', seconds: ms / 1000 }, info: {} };
    });
  }

  /**
   * Adds a managed route that sends requests with the given headers to the
   * canary (e.g. testers), ahead of the weighted split.
   */
  public static headerRoute(options: HeaderRouteOptions): RolloutStep {
    checkArgs('RolloutStep.headerRoute', 'RolloutStep.headerRoute', arguments);
    return new StepImpl('setHeaderRoute', (scope, prop) => {
      validateDnsLabel(scope, `${prop}.setHeaderRoute.name`, options.name);
      if (!options.headers || options.headers.length === 0) {
        throw propError(scope, `${prop}.setHeaderRoute.headers`, 'must list at least one header', options.headers ?? [], 'add e.g. HeaderMatch.exact(\'x-canary\', \'always\')');
      }
      const match = options.headers.map((h, i) => {
        const m = h._toModel(scope, `${prop}.setHeaderRoute.headers[${i}]`);
        if (!m.match) {
          throw propError(scope, `${prop}.setHeaderRoute.headers[${i}]`, 'must match a value (Argo Rollouts header routes need exact, prefix or regex)', m.name,
            `use HeaderMatch.exact('${m.name}', '<value>')`);
        }
        return { headerName: m.name, value: m.match };
      });
      return { step: { kind: 'setHeaderRoute', name: options.name, match }, info: { managedRoute: options.name } };
    });
  }

  /**
   * Adds a managed route that copies matching requests to the canary.
   */
  public static mirrorRoute(options: MirrorRouteOptions): RolloutStep {
    checkArgs('RolloutStep.mirrorRoute', 'RolloutStep.mirrorRoute', arguments);
    return new StepImpl('setMirrorRoute', (scope, prop) => {
      validateDnsLabel(scope, `${prop}.setMirrorRoute.name`, options.name);
      const percentage = options.percentage ?? 100;
      if (!Number.isInteger(percentage) || percentage < 0 || percentage > 100) {
        throw propError(scope, `${prop}.setMirrorRoute.percentage`, 'must be a whole number between 0 and 100', percentage, 'use e.g. 50');
      }
      const matches = (options.match && options.match.length ? options.match : [HttpMatch.pathPrefix('/')])
        .map((m, i) => checkMirrorMatch(scope, `${prop}.setMirrorRoute.match[${i}]`, m._toModel(scope, `${prop}.setMirrorRoute.match[${i}]`)));
      return { step: { kind: 'setMirrorRoute', name: options.name, percentage, match: matches }, info: { managedRoute: options.name } };
    });
  }

  /**
   * Runs an analysis and waits for its result: the rollout aborts (all
   * traffic back to stable) when it fails.
   */
  public static analysis(analysis: SloAnalysis): RolloutStep {
    checkArgs('RolloutStep.analysis', 'RolloutStep.analysis', arguments);
    return new StepImpl('analysis', () => ({
      step: { kind: 'analysis', templateName: analysis.templateName },
      info: { analysis },
    }));
  }

  /** The step kind, e.g. `setWeight`. */
  public abstract readonly kind: string;

  /** @internal */
  public abstract _bind(scope: IConstruct, prop: string): { step: RolloutStepModel; info: RolloutStepInfo };
}

type StepRenderer = (scope: IConstruct, prop: string) => { step: RolloutStepModel; info: RolloutStepInfo };

class StepImpl extends RolloutStep {
  constructor(public readonly kind: string, private readonly render: StepRenderer) {
    super();
  }

  public _bind(scope: IConstruct, prop: string): { step: RolloutStepModel; info: RolloutStepInfo } {
    return this.render(scope, prop);
  }
}

/**
 * Checks that a mesh match fits an Argo Rollouts `RouteMatch` (method, path,
 * headers with a value). Conditions a RouteMatch cannot express are errors,
 * never dropped: a dropped condition would mirror more traffic than declared.
 */
function checkMirrorMatch(scope: IConstruct, prop: string, m: MatchModel): MatchModel {
  const unsupported = [
    ...(m.queryParams.length ? ['queryParams'] : []),
    ...(m.ignoreUriCase ? ['ignoreUriCase'] : []),
    ...(m.headers.some((h) => !h.match) ? ['HeaderMatch.present()'] : []),
  ];
  if (unsupported.length) {
    throw propError(scope, prop, 'must only use conditions an Argo Rollouts mirror route supports (method, path, header values)', unsupported.join(', '),
      'drop those conditions from the mirror match, or mirror with a static CanaryRelease (mirrorPercentage) instead');
  }
  return m;
}
