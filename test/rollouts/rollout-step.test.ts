import { Duration, Testing } from 'cdk8s';
import { HeaderMatch, HttpMatch, HttpMethod, PathMatch, QueryParamMatch, RolloutStep } from '../../src';
import { toJson_RolloutSpecStrategyCanarySteps } from '../../src/imports/argoproj.io';
import { renderRolloutStep } from '../../src/render/rollout';

/** The step as the Rollout's L1 serializes it, and what the Rollout checks across steps. */
const bind = (step: RolloutStep) => {
  const { step: model, info } = step._bind(Testing.chart(), 'steps[0]');
  return { json: toJson_RolloutSpecStrategyCanarySteps(renderRolloutStep(model)), info };
};

describe('RolloutStep', () => {
  describe('rendering (Argo Rollouts canary steps)', () => {
    test('weight and pauses', () => {
      expect(bind(RolloutStep.weight(25))).toEqual({ json: { setWeight: 25 }, info: { weight: 25 } });
      expect(bind(RolloutStep.pause()).json).toEqual({ pause: {} });
      expect(bind(RolloutStep.pause(Duration.minutes(10))).json).toEqual({ pause: { duration: '600s' } });
    });

    test('header route with prefix and regex matches', () => {
      const step = RolloutStep.headerRoute({ name: 'beta', headers: [HeaderMatch.prefix('user-agent', 'Mozilla'), HeaderMatch.regex('x-team', '^qa-.*')] });
      expect(bind(step)).toEqual({
        json: { setHeaderRoute: { name: 'beta', match: [{ headerName: 'user-agent', headerValue: { prefix: 'Mozilla' } }, { headerName: 'x-team', headerValue: { regex: '^qa-.*' } }] } },
        info: { managedRoute: 'beta' },
      });
    });

    test('mirror route: every request by default, or method/path/header matches', () => {
      expect(bind(RolloutStep.mirrorRoute({ name: 'shadow' })).json).toEqual({ setMirrorRoute: { name: 'shadow', percentage: 100, match: [{ path: { prefix: '/' } }] } });
      const step = RolloutStep.mirrorRoute({ name: 'reads', percentage: 20, match: [HttpMatch.of({ method: HttpMethod.GET, path: PathMatch.prefix('/api'), headers: [HeaderMatch.exact('x-env', 'prod')] })] });
      expect(bind(step).json).toEqual({ setMirrorRoute: { name: 'reads', percentage: 20, match: [{ method: { exact: 'GET' }, path: { prefix: '/api' }, headers: { 'x-env': { exact: 'prod' } } }] } });
    });
  });

  describe('errors', () => {
    test('pause shorter than a second', () => {
      expect(() => bind(RolloutStep.pause(Duration.millis(500)))).toThrow(
        "[test] 'steps[0].pause' must be a whole number of seconds, at least 1s, got \"500 millis\". Fix: use e.g. Duration.minutes(5), or no duration to wait for promotion");
    });
    test('header route on header presence only', () => {
      expect(() => bind(RolloutStep.headerRoute({ name: 'x', headers: [HeaderMatch.present('x-canary')] }))).toThrow(
        "[test] 'steps[0].setHeaderRoute.headers[0]' must match a value (Argo Rollouts header routes need exact, prefix or regex), got \"x-canary\". Fix: use HeaderMatch.exact('x-canary', '<value>')");
    });
    test('header route without headers', () => {
      expect(() => bind(RolloutStep.headerRoute({ name: 'x', headers: [] }))).toThrow(/'steps\[0\].setHeaderRoute.headers' must list at least one header/);
    });
    test('mirror percentage', () => {
      expect(() => bind(RolloutStep.mirrorRoute({ name: 'm', percentage: 101 }))).toThrow(
        "[test] 'steps[0].setMirrorRoute.percentage' must be a whole number between 0 and 100, got 101. Fix: use e.g. 50");
    });
    test('mirror match conditions a Rollouts RouteMatch cannot express are errors, not dropped', () => {
      const match = HttpMatch.of({ path: PathMatch.prefix('/api'), ignoreUriCase: true, queryParams: [QueryParamMatch.exact('debug', '1')], headers: [HeaderMatch.present('x-trace')] });
      expect(() => bind(RolloutStep.mirrorRoute({ name: 'm', match: [match] }))).toThrow(
        "[test] 'steps[0].setMirrorRoute.match[0]' must only use conditions an Argo Rollouts mirror route supports (method, path, header values), "
        + 'got "queryParams, ignoreUriCase, HeaderMatch.present()". Fix: drop those conditions from the mirror match, '
        + 'or mirror with a static CanaryRelease (mirrorPercentage) instead');
    });
    test('route name', () => {
      expect(() => bind(RolloutStep.mirrorRoute({ name: 'Shadow Route' }))).toThrow(/'steps\[0\].setMirrorRoute.name' must be a DNS-1123 label/);
    });
  });
});
