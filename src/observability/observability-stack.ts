import { Construct } from 'constructs';
import { GrafanaAddon } from './grafana';
import { JaegerAddon } from './jaeger';
import { KialiAddon } from './kiali';
import { IAlertmanagerEndpoint, PrometheusAddon } from './prometheus';
import { OpenTelemetryTracingProvider } from '../control-plane/providers';
import { propError } from '../private/errors';
import { checkArgs } from '../private/runtime-types';

/**
 * Properties of an `ObservabilityStack`.
 */
export interface ObservabilityStackProps {
  /**
   * Namespace of every addon.
   *
   * @default istio-system
   */
  readonly namespace?: string;

  /**
   * Deploy Prometheus (Grafana and Kiali need it).
   *
   * @default true
   */
  readonly prometheus?: boolean;

  /**
   * Deploy Grafana.
   *
   * @default true
   */
  readonly grafana?: boolean;

  /**
   * Deploy Jaeger and declare the `jaeger` tracing provider pointing at it.
   *
   * @default true
   */
  readonly jaeger?: boolean;

  /**
   * Deploy Kiali.
   *
   * @default true
   */
  readonly kiali?: boolean;

  /**
   * Name of the tracing extension provider declared for Jaeger.
   *
   * @default jaeger
   */
  readonly tracingProviderName?: string;

  /**
   * The Alertmanager Prometheus sends firing alerts to (see
   * `PrometheusAddonProps.alertmanager`).
   *
   * @default - no Alertmanager: alerts are visible in Prometheus only
   */
  readonly alertmanager?: IAlertmanagerEndpoint;

  /**
   * Grafana's address in the browser, for Kiali's links (see `KialiAddonProps.grafanaExternalUrl`).
   *
   * @default - `http://localhost:3000` (kubectl port-forward)
   */
  readonly grafanaExternalUrl?: string;

  /**
   * The Jaeger UI's address in the browser, for Kiali's links (see `KialiAddonProps.tracingExternalUrl`).
   *
   * @default - `http://localhost:16686/jaeger` (kubectl port-forward)
   */
  readonly tracingExternalUrl?: string;
}

/**
 * Prometheus, Grafana, Jaeger and Kiali wired to each other: Grafana's
 * datasource and Kiali's metrics point at the Prometheus Service, Kiali links
 * to Grafana and reads Jaeger, and the `jaeger` tracing provider points at
 * the Jaeger collector. Each addon can be switched off; the addon constructs
 * can also be used alone.
 */
export class ObservabilityStack extends Construct {
  /** Prometheus, when enabled. */
  public readonly prometheus?: PrometheusAddon;
  /** Grafana, when enabled. */
  public readonly grafana?: GrafanaAddon;
  /** Jaeger, when enabled. */
  public readonly jaeger?: JaegerAddon;
  /** Kiali, when enabled. */
  public readonly kiali?: KialiAddon;
  /** The tracing provider pointing at Jaeger, when Jaeger is enabled. */
  public readonly tracingProvider?: OpenTelemetryTracingProvider;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps = {}) {
    super(scope, id);
    checkArgs(this, 'ObservabilityStack.new', arguments);
    const namespace = props.namespace;
    const on = (v?: boolean) => v ?? true;
    if (!on(props.prometheus) && (on(props.grafana) || on(props.kiali))) {
      throw propError(this, 'prometheus', 'must be true while Grafana or Kiali is enabled (they query it)', props.prometheus,
        'set grafana: false and kiali: false too, or use GrafanaAddon/KialiAddon directly with another Prometheus');
    }
    if (on(props.prometheus)) this.prometheus = new PrometheusAddon(this, 'Prometheus', { namespace, alertmanager: props.alertmanager });
    if (on(props.jaeger)) {
      this.jaeger = new JaegerAddon(this, 'Jaeger', { namespace });
      this.tracingProvider = this.jaeger.addTracingProvider(props.tracingProviderName ?? 'jaeger');
    }
    if (on(props.grafana)) this.grafana = new GrafanaAddon(this, 'Grafana', { namespace, prometheus: this.prometheus!, tracing: this.jaeger });
    if (on(props.kiali)) {
      this.kiali = new KialiAddon(this, 'Kiali', {
        namespace,
        prometheus: this.prometheus!,
        grafana: this.grafana,
        tracing: this.jaeger,
        grafanaExternalUrl: props.grafanaExternalUrl,
        tracingExternalUrl: props.tracingExternalUrl,
      });
    }
  }
}
