import { Testing } from 'cdk8s';
import * as YAML from 'yaml';
import {
  AccessLogEncoding, EnvoyFileAccessLogProvider, IstioControlPlane, IstioMetric, MeshProviders, MeshService, MeshTelemetry, MetricTag,
  OpenTelemetryTracingProvider, TelemetryTarget, TracingCustomTag, TrafficMode,
} from '../../src';
import { findObject, synthAndValidate } from '../util';

function setup() {
  const chart = Testing.chart();
  const otel = new OpenTelemetryTracingProvider(chart, 'otel', { service: 'otel-collector.observability.svc.cluster.local' });
  return { chart, otel };
}

describe('MeshTelemetry', () => {
  describe('mesh scope', () => {
    test('tracing with provider, sampling and custom tags; access logs with a filter', () => {
      // GIVEN
      const { chart, otel } = setup();
      // WHEN
      new MeshTelemetry(chart, 'mesh', {
        tracing: [{
          provider: otel,
          randomSamplingPercentage: 10,
          customTags: [
            TracingCustomTag.literal('cluster', 'prod-eu'),
            TracingCustomTag.header('user', 'x-user-id', 'anonymous'),
            TracingCustomTag.environment('node', 'NODE_NAME'),
          ],
        }],
        accessLogging: [{ providers: [MeshProviders.envoyAccessLog()], filter: 'response.code >= 400' }],
      });
      const out = synthAndValidate(chart);
      // THEN
      const t = findObject(out, 'Telemetry', 'mesh-default');
      expect(t.apiVersion).toBe('telemetry.istio.io/v1');
      expect(t.metadata.namespace).toBe('istio-system');
      expect(t.spec.selector).toBeUndefined();
      expect(t.spec.tracing).toEqual([{
        providers: [{ name: 'otel' }],
        randomSamplingPercentage: 10,
        customTags: {
          cluster: { literal: { value: 'prod-eu' } },
          user: { header: { name: 'x-user-id', defaultValue: 'anonymous' } },
          node: { environment: { name: 'NODE_NAME' } },
        },
      }]);
      expect(t.spec.accessLogging).toEqual([{ providers: [{ name: 'envoy' }], filter: { expression: 'response.code >= 400' } }]);
      expect(out).toMatchSnapshot();
    });

    test('the mesh root namespace follows the control plane', () => {
      const chart = Testing.chart();
      new IstioControlPlane(chart, 'cp', { rootNamespace: 'istio-config', crds: false });
      const t = new MeshTelemetry(chart, 'mesh', { accessLogging: [{ providers: [MeshProviders.envoyAccessLog()] }] });
      expect(t.namespace).toBe('istio-config');
      expect(findObject(synthAndValidate(chart), 'Telemetry', 'mesh-default').metadata.namespace).toBe('istio-config');
    });
  });

  describe('namespace and workload scope', () => {
    test('namespace scope has no selector; workload scope selects the service\'s app label', () => {
      // GIVEN
      const { chart } = setup();
      const svc = new MeshService(chart, 'reviews', { namespace: 'shop', versions: [{ name: 'v1', image: 'ghcr.io/acme/reviews:1' }] });
      // WHEN
      new MeshTelemetry(chart, 'ns', { target: TelemetryTarget.namespace('shop'), accessLogging: [{ disabled: true }] });
      new MeshTelemetry(chart, 'wl', {
        target: TelemetryTarget.workload(svc),
        accessLogging: [{ providers: [MeshProviders.envoyAccessLog()], mode: TrafficMode.SERVER }],
        tracing: [{ disableSpanReporting: true, mode: TrafficMode.CLIENT }],
      });
      const out = synthAndValidate(chart);
      // THEN
      const ns = findObject(out, 'Telemetry', 'namespace-default');
      expect(ns.metadata.namespace).toBe('shop');
      expect(ns.spec).toEqual({ accessLogging: [{ disabled: true }] });
      const wl = findObject(out, 'Telemetry', 'reviews');
      expect(wl.metadata.namespace).toBe('shop');
      expect(wl.spec.selector).toEqual({ matchLabels: { app: 'reviews' } });
      expect(wl.spec.accessLogging).toEqual([{ match: { mode: 'SERVER' }, providers: [{ name: 'envoy' }] }]);
      expect(wl.spec.tracing).toEqual([{ match: { mode: 'CLIENT' }, disableSpanReporting: true }]);
      // the selector matches the pods of every version
      expect(findObject(out, 'Deployment', 'reviews-v1').spec.template.metadata.labels).toMatchObject(wl.spec.selector.matchLabels);
      expect(out).toMatchSnapshot();
    });
  });

  describe('metrics overrides', () => {
    test('disable a metric, remove and upsert tags', () => {
      const { chart } = setup();
      new MeshTelemetry(chart, 'mesh', {
        metrics: [{
          providers: [MeshProviders.prometheus()],
          overrides: [
            { metric: IstioMetric.REQUEST_SIZE, disabled: true },
            { metric: IstioMetric.REQUEST_COUNT, mode: TrafficMode.CLIENT, tagOverrides: { request_protocol: MetricTag.remove(), host: MetricTag.upsert('request.host') } },
          ],
        }],
      });
      const t = findObject(synthAndValidate(chart), 'Telemetry', 'mesh-default');
      expect(t.spec.metrics).toEqual([{
        providers: [{ name: 'prometheus' }],
        overrides: [
          { match: { metric: 'REQUEST_SIZE' }, disabled: true },
          { match: { metric: 'REQUEST_COUNT', mode: 'CLIENT' }, tagOverrides: { host: { operation: 'UPSERT', value: 'request.host' }, request_protocol: { operation: 'REMOVE' } } },
        ],
      }]);
    });

    test('addMetrics after construction reaches the output', () => {
      const { chart } = setup();
      const t = new MeshTelemetry(chart, 'mesh');
      t.addMetrics({ overrides: [{ disabled: true }] });
      expect(findObject(synthAndValidate(chart), 'Telemetry', 'mesh-default').spec.metrics).toEqual([{ overrides: [{ match: { metric: 'ALL_METRICS' }, disabled: true }] }]);
    });
  });

  describe('access logs declared on the control plane reach Envoy one way', () => {
    function withControlPlane() {
      const chart = Testing.chart();
      const cp = new IstioControlPlane(chart, 'istio', { crds: false, accessLogFile: '/dev/stdout', accessLogEncoding: AccessLogEncoding.JSON });
      return { chart, cp };
    }

    test('a mesh Telemetry with a filter and no providers logs through the declared JSON provider (the mesh default), named explicitly', () => {
      const { chart } = withControlPlane();
      new MeshTelemetry(chart, 'mesh', { accessLogging: [{ filter: 'response.code >= 400' }] });
      const out = synthAndValidate(chart);
      const t = findObject(out, 'Telemetry', 'mesh-default');
      // istiod applies an entry's filter only to the providers it names (the conformance xDS stage
      // showed the filter dropped without them), so the mesh default is named
      expect(t.spec.accessLogging).toEqual([{ providers: [{ name: 'mesh-access-log' }], filter: { expression: 'response.code >= 400' } }]);
      const mesh = YAML.parse(findObject(out, 'ConfigMap', 'istio').data.mesh);
      const provider = mesh.extensionProviders.find((p: any) => p.name === mesh.defaultProviders.accessLogging[0]);
      expect(provider).toEqual({ name: 'mesh-access-log', envoyFileAccessLog: { path: '/dev/stdout', logFormat: { labels: {} } } });
    });

    test('the control plane\'s provider object can be passed explicitly', () => {
      const { chart, cp } = withControlPlane();
      new MeshTelemetry(chart, 'mesh', { accessLogging: [{ providers: [cp.accessLogProvider!], filter: 'response.code >= 400' }] });
      const t = findObject(synthAndValidate(chart), 'Telemetry', 'mesh-default');
      expect(t.spec.accessLogging).toEqual([{ providers: [{ name: 'mesh-access-log' }], filter: { expression: 'response.code >= 400' } }]);
    });

    test('OBS004: Istio\'s built-in envoy provider (text) beside a declared accessLogFile fails synth', () => {
      const { chart } = withControlPlane();
      new MeshTelemetry(chart, 'mesh', { accessLogging: [{ providers: [MeshProviders.envoyAccessLog()], filter: 'response.code >= 400' }] });
      expect(() => synthAndValidate(chart)).toThrow(
        "[test/mesh] OBS004: 'accessLogging[0].providers[0]' must not be Istio's built-in \"envoy\" provider while test/istio declares accessLogFile \"/dev/stdout\" (JSON): "
        + 'the built-in provider writes text to /dev/stdout and this Telemetry overrides the mesh default, so the declared access log never reaches Envoy, got "envoy". '
        + 'Fix: omit providers (the mesh default "mesh-access-log" carries the declared path and encoding), or pass controlPlane.accessLogProvider');
    });
  });

  describe('provider references', () => {
    test('a provider declared by another construct of the app is accepted by name', () => {
      const { chart } = setup();
      new EnvoyFileAccessLogProvider(chart, 'json-log', { encoding: AccessLogEncoding.JSON });
      new MeshTelemetry(chart, 'mesh', {
        tracing: [{ provider: MeshProviders.tracingFromName('otel') }],
        accessLogging: [{ providers: [MeshProviders.accessLogFromName('json-log')] }],
      });
      expect(() => synthAndValidate(chart)).not.toThrow();
    });

    test('OBS001: a provider no construct declares fails synth', () => {
      const { chart } = setup();
      new MeshTelemetry(chart, 'mesh', { tracing: [{ provider: MeshProviders.tracingFromName('zipkin') }] });
      expect(() => synthAndValidate(chart)).toThrow(
        "[test/mesh] OBS001: 'tracing[0].provider' must reference an extension provider declared in this app's mesh config (declared: \"envoy\", \"prometheus\", \"otel\"), got \"zipkin\". "
        + 'Fix: declare the provider (e.g. new OpenTelemetryTracingProvider(...) or JaegerAddon.addTracingProvider()) in the same App, or pass the declared provider object');
    });

    test('OBS001: a provider of the wrong kind fails synth', () => {
      const { chart } = setup();
      new MeshTelemetry(chart, 'mesh', { accessLogging: [{ providers: [MeshProviders.accessLogFromName('otel')] }] });
      expect(() => synthAndValidate(chart)).toThrow(
        "[test/mesh] OBS001: 'accessLogging[0].providers[0]' must reference a provider usable for accessLogging, got \"otel\" which serves tracing. Fix: pass a accessLogging provider");
    });

    test('OBS002: two Telemetry resources for the same target fail synth', () => {
      const { chart } = setup();
      new MeshTelemetry(chart, 'a', { name: 'a' });
      new MeshTelemetry(chart, 'b', { name: 'b' });
      expect(() => synthAndValidate(chart)).toThrow(
        "[test/b] OBS002: 'target' must be unique: test/a already configures telemetry for namespace istio-system (Istio does not define which of two such Telemetry resources wins), got mesh. Fix: merge the settings into one Telemetry");
    });
  });

  describe('input errors', () => {
    test('sampling percentage out of range', () => {
      const { chart, otel } = setup();
      expect(() => new MeshTelemetry(chart, 'mesh', { tracing: [{ provider: otel, randomSamplingPercentage: 150 }] })).toThrow(
        "[test/mesh] 'tracing[0].randomSamplingPercentage' must be between 0 and 100, got 150. Fix: use a percentage such as 10 (10% of requests)");
    });

    test('duplicate or malformed custom tag', () => {
      const { chart } = setup();
      expect(() => new MeshTelemetry(chart, 'a', { tracing: [{ customTags: [TracingCustomTag.literal('x', '1'), TracingCustomTag.literal('x', '2')] }] })).toThrow(
        "[test/a] 'tracing[0].customTags[1]' must have a unique tag name, got \"x\". Fix: give each custom tag its own name");
      expect(() => new MeshTelemetry(chart, 'b', { tracing: [{ customTags: [TracingCustomTag.literal('a b', '1')] }] })).toThrow(
        /'tracing\[0\]\.customTags\[0\]' must have a tag name of letters, digits/);
    });

    test('empty access log filter', () => {
      const { chart } = setup();
      expect(() => new MeshTelemetry(chart, 'mesh', { accessLogging: [{ filter: ' ' }] })).toThrow(
        "[test/mesh] 'accessLogging[0].filter' must be a non-empty CEL expression, got \" \". Fix: omit filter to log every request, or use e.g. 'response.code >= 400'");
    });

    test('disabling a metric while overriding its tags', () => {
      const { chart } = setup();
      expect(() => new MeshTelemetry(chart, 'mesh', { metrics: [{ overrides: [{ disabled: true, tagOverrides: { a: MetricTag.remove() } }] }] })).toThrow(
        "[test/mesh] 'metrics[0].overrides[0]' must not both disable a metric and override its tags, got [\"a\"]. Fix: drop tagOverrides or disabled");
      expect(() => new MeshTelemetry(chart, 'm2', { metrics: [{ overrides: [{ tagOverrides: { 'a b': MetricTag.remove() } }] }] })).toThrow(
        /'metrics\[0\]\.overrides\[0\]\.tagOverrides' must use tag names/);
    });

    test('invalid name or namespace', () => {
      const { chart } = setup();
      expect(() => new MeshTelemetry(chart, 'mesh', { name: 'Mesh' })).toThrow(/\[test\/mesh\] 'name' must be a DNS-1123 label .*got "Mesh"/);
      expect(() => new MeshTelemetry(chart, 'ns', { target: TelemetryTarget.namespace('Shop') })).toThrow(/\[test\/ns\] 'target' must be a DNS-1123 label .*got "Shop"/);
    });
  });
});
