import { ControlPlaneModel, MeshSnapshot } from '../../src/model';
import { TelemetryModel } from '../../src/model/observability';
import { renderTelemetrySpec } from '../../src/render/telemetry';
import { validateIstioObject } from '../util';
import { snapshotWith } from './fixtures';

/** Only the control planes' access-log providers are read by the Telemetry renderer. */
const withControlPlanes = (controlPlanes: ControlPlaneModel[]): MeshSnapshot => snapshotWith({ controlPlanes });
const noControlPlane = withControlPlanes([]);
const cp = (path: string, provider?: string) => ({
  path,
  accessLog: provider ? { provider, path: '/dev/stdout', encoding: 'JSON' as const } : undefined,
} as ControlPlaneModel);

function telemetry(entries: Partial<TelemetryModel>): TelemetryModel {
  return { path: 'app/obs/t', name: 'mesh-default', namespace: 'istio-system', scope: 'mesh', tracing: [], accessLogging: [], metrics: [], ...entries };
}

function valid(t: TelemetryModel, mesh = noControlPlane) {
  const spec = renderTelemetrySpec(mesh, t);
  expect(validateIstioObject({ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: t.name, namespace: t.namespace }, spec })).toEqual([]);
  return spec;
}

describe('renderTelemetrySpec', () => {
  test('nothing configured: an empty spec (everything inherited)', () => {
    expect(valid(telemetry({}))).toEqual({});
  });

  test('tracing: provider, sampling percentage, custom tags, span reporting; match only for one side', () => {
    const spec = valid(telemetry({
      selector: { app: 'orders' },
      scope: 'workload',
      namespace: 'shop',
      tracing: [
        {
          provider: 'otel',
          randomSamplingPercentage: 12.5,
          customTags: [
            { tag: 'team', kind: 'literal', value: 'payments' },
            { tag: 'user', kind: 'header', name: 'x-user', defaultValue: 'anonymous' },
            { tag: 'node', kind: 'environment', name: 'NODE_NAME' },
          ],
          disableSpanReporting: false,
        },
        { mode: 'SERVER', customTags: [], randomSamplingPercentage: 0 },
        { mode: 'CLIENT_AND_SERVER', customTags: [], disableSpanReporting: true },
      ],
    }));
    expect(spec.selector).toEqual({ matchLabels: { app: 'orders' } });
    expect(spec.tracing).toEqual([
      {
        providers: [{ name: 'otel' }],
        randomSamplingPercentage: 12.5,
        customTags: {
          team: { literal: { value: 'payments' } },
          user: { header: { name: 'x-user', defaultValue: 'anonymous' } },
          node: { environment: { name: 'NODE_NAME' } },
        },
        disableSpanReporting: false,
      },
      { match: { mode: 'SERVER' }, randomSamplingPercentage: 0 },
      { disableSpanReporting: true },
    ]);
  });

  test('access log with a filter and no providers names the control planes\' default providers (sorted, once each)', () => {
    const t = telemetry({ accessLogging: [{ providers: [], filter: 'response.code >= 400' }, { providers: [], mode: 'CLIENT' }] });
    const mesh = withControlPlanes([cp('cp-b', 'mesh-log'), cp('cp-a', 'canary-log'), cp('cp-c', 'mesh-log'), cp('cp-d')]);
    expect(valid(t, mesh).accessLogging).toEqual([
      { providers: [{ name: 'canary-log' }, { name: 'mesh-log' }], filter: { expression: 'response.code >= 400' } },
      // no filter: the mesh default applies as it is
      { match: { mode: 'CLIENT' } },
    ]);
  });

  test('access log with a filter: explicit providers are kept; without declared defaults nothing is added', () => {
    const t = telemetry({ accessLogging: [{ providers: ['envoy'], filter: 'response.code >= 500', disabled: false }, { providers: [], filter: 'true' }] });
    expect(valid(t, withControlPlanes([cp('cp', 'mesh-log')])).accessLogging?.[0]).toEqual({
      providers: [{ name: 'envoy' }], disabled: false, filter: { expression: 'response.code >= 500' },
    });
    expect(valid(t).accessLogging?.[1]).toEqual({ filter: { expression: 'true' } });
  });

  test('metrics overrides: disable one metric, remove and upsert tags, modes rendered as given', () => {
    const spec = valid(telemetry({
      metrics: [{
        providers: ['prometheus'],
        overrides: [
          { metric: 'REQUEST_COUNT', mode: 'CLIENT', disabled: true, tagOverrides: [] },
          {
            metric: 'ALL_METRICS',
            mode: 'CLIENT_AND_SERVER',
            tagOverrides: [{ tag: 'request_host', operation: 'UPSERT', value: 'request.host' }, { tag: 'source_principal', operation: 'REMOVE' }],
          },
        ],
      }, { providers: [], overrides: [{ metric: 'TCP_SENT_BYTES', disabled: false, tagOverrides: [] }] }],
    }));
    expect(spec.metrics).toEqual([
      {
        providers: [{ name: 'prometheus' }],
        overrides: [
          { match: { metric: 'REQUEST_COUNT', mode: 'CLIENT' }, disabled: true },
          {
            match: { metric: 'ALL_METRICS', mode: 'CLIENT_AND_SERVER' },
            tagOverrides: { request_host: { operation: 'UPSERT', value: 'request.host' }, source_principal: { operation: 'REMOVE' } },
          },
        ],
      },
      { overrides: [{ match: { metric: 'TCP_SENT_BYTES' }, disabled: false }] },
    ]);
  });

  test('an unknown metric is an internal error naming the telemetry', () => {
    expect(() => renderTelemetrySpec(noControlPlane, telemetry({ metrics: [{ providers: [], overrides: [{ metric: 'REQUEST_CUONT', tagOverrides: [] }] }] })))
      .toThrow('internal: telemetry app/obs/t overrides unknown metric REQUEST_CUONT');
  });
});
