/**
 * The application's own Prometheus endpoint, as declared on a `MeshService`.
 */
export interface AppMetricsEndpointModel {
  readonly port: number;
  readonly path: string;
}

/**
 * Pod annotations for Istio's metrics merging.
 *
 * istiod's injector (with `enablePrometheusMerge`, on in the mesh config this
 * library renders) rewrites a pod's `prometheus.io/scrape|port|path` onto the
 * agent's merged endpoint (port 15020, `/stats/prometheus`) and passes the
 * original port and path to the agent, which then serves the application's
 * metrics beside Envoy's and its own in that one scrape. A pod that already
 * says port 15020 is left as it is, so the application's metrics would never
 * be merged. Hence: the application's own endpoint when it has one, and
 * nothing otherwise (the injector then adds the merged endpoint's annotations
 * by itself).
 *
 * @see https://istio.io/latest/docs/ops/integrations/prometheus/#option-1-metrics-merging
 */
export function meshScrapeAnnotations(app?: AppMetricsEndpointModel): Record<string, string> {
  if (!app) return {};
  return {
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': String(app.port),
    'prometheus.io/path': app.path,
  };
}
