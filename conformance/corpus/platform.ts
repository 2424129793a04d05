/**
 * Conformance corpus: security (mTLS modes, authorization incl. allowFrom, namespaces,
 * service accounts, DENY rules, DefaultDeny, JWT with claims), edge (ingress gateway with
 * HTTP, SIMPLE, MUTUAL and PASSTHROUGH servers; egress gateway; external services with and
 * without TLS origination), telemetry (tracing, access logs, metrics overrides, workload
 * and namespace targets), the observability stack and alerts, an Argo Rollouts canary with
 * header and mirror routes and SLO analysis, and Argo CD GitOps.
 */
import { App, Chart, Duration } from 'cdk8s';
import {
  RolloutRevision,
  AuthzSource, CanaryRelease, DefaultDeny, EgressGateway, ExternalProtocol, ExternalResolution, ExternalService, GatewayServer, GatewayTls,
  GitOps, GoldenSignalAlerts, HeaderMatch, HttpMatch, HttpMethod, IngressGateway, IstioControlPlane, IstioMetric, JwtAuthentication,
  MeshNamespace, MeshProviders, MeshService, MeshTelemetry, MetricTag, MtlsMode, ObservabilityStack, PathMatch, Protocol,
  ReleaseDriver, RolloutStep, SloAnalysis, StrictMtls, TelemetryTarget, TracingCustomTag, TrafficMode,
} from '../../src';

const ISSUER = 'https://auth.bank.example';

export function build(app: App): void {
  const platform = new Chart(app, 'platform');
  const istio = new IstioControlPlane(platform, 'istio', { trustDomain: 'bank.example' });
  new MeshNamespace(platform, 'bank', { controlPlane: istio });
  new MeshNamespace(platform, 'partners', { controlPlane: istio });

  const bank = new Chart(app, 'bank', { namespace: 'bank' });
  const accounts = new MeshService(bank, 'accounts', {
    serviceAccountName: 'accounts-sa',
    ports: [{ port: 80, targetPort: 8080 }, { port: 5432, protocol: Protocol.TCP }],
    versions: [{ name: 'v1', image: 'ghcr.io/acme/accounts:3.0.0', replicas: 2 }, { name: 'v2', image: 'ghcr.io/acme/accounts:3.1.0' }],
  });
  const ledger = new MeshService(bank, 'ledger', { versions: [{ name: 'v1', image: 'ghcr.io/acme/ledger:1.0.0' }] });
  const frontend = new MeshService(bank, 'frontend', { versions: [{ name: 'v1', image: 'ghcr.io/acme/frontend:2.0.0' }] });
  const partners = new Chart(app, 'partners', { namespace: 'partners' });
  const partnerApi = new MeshService(partners, 'partner-api', { versions: [{ name: 'v1', image: 'ghcr.io/acme/partner-api:1.0.0' }] });
  frontend.dependsOn(accounts);
  accounts.dependsOn(ledger);
  partnerApi.dependsOn(accounts);

  // mTLS: STRICT in bank with a PERMISSIVE port and a migration; STRICT per service in partners
  new StrictMtls(bank, 'mtls', { namespace: 'bank' });
  new StrictMtls(bank, 'accounts-mtls', { service: accounts, portLevelMtls: [{ port: 5432, mode: MtlsMode.PERMISSIVE }] });
  new StrictMtls(partners, 'mtls', { service: partnerApi, permissiveMigration: true });
  // authorization: every source kind, operations, DENY rules, default deny, JWT with claims
  accounts.allowFrom(frontend, { methods: [HttpMethod.GET, HttpMethod.POST], paths: ['/accounts', '/accounts/*'] });
  accounts.allowFrom(partnerApi, { methods: [HttpMethod.GET], ports: [80] });
  // a service-account source (frontend's identity, which calls accounts) on the TCP port
  accounts.allowFromSource(AuthzSource.serviceAccount('bank', 'frontend'), { ports: [5432] });
  ledger.allowFrom(accounts);
  ledger.allowFromNamespace('bank', { methods: [HttpMethod.GET] });
  accounts.denyFrom(AuthzSource.namespace('partners'), { paths: ['/admin/*'] });
  new DefaultDeny(bank, 'deny-all');
  const jwt = new JwtAuthentication(bank, 'bank-jwt', {
    service: accounts, issuer: ISSUER, jwksUri: `${ISSUER}/.well-known/jwks.json`, audiences: ['bank-api'],
    forwardOriginalToken: true, outputPayloadToHeader: 'x-jwt-payload',
  });
  accounts.requireJwt(jwt, { paths: ['/accounts/*'], claims: [{ claim: 'scope', values: ['accounts:read'] }] });

  // edge: ingress with every server kind, egress gateway, external services
  const edge = new Chart(app, 'edge', { namespace: 'istio-system' });
  const ingress = new IngressGateway(edge, 'ingress', {
    replicas: 2,
    servers: [
      GatewayServer.http({ hosts: ['bank.example.com'], httpsRedirect: true }),
      GatewayServer.https({ hosts: ['bank.example.com'], tls: GatewayTls.simple('bank-example-com-tls', { minProtocolVersion: 'TLSV1_2' as any }) }),
      GatewayServer.https({ hosts: ['partners.bank.example.com'], port: 9443, tls: GatewayTls.mutual('partners-tls', { caCertCredentialName: 'partners-ca', subjectAltNames: ['spiffe://partners.example/ns/p/sa/client'] }) }),
    ],
  });
  ingress.addRoute({ host: 'bank.example.com', match: [HttpMatch.pathPrefix('/api/')], service: accounts, rewritePrefix: '/', timeout: Duration.seconds(10) });
  ingress.addRoute({ host: 'bank.example.com', service: frontend });
  frontend.allowFrom(ingress);
  accounts.allowFrom(ingress, { methods: [HttpMethod.GET, HttpMethod.POST] });
  const egress = new EgressGateway(edge, 'egress');
  const rates = new ExternalService(bank, 'rates-api', { hosts: ['api.rates.example'], tlsOrigination: {}, egressGateway: egress });
  const audit = new ExternalService(bank, 'audit-log', {
    hosts: ['audit.example.net'],
    ports: [{ port: 443, protocol: ExternalProtocol.TLS }],
    resolution: ExternalResolution.DNS,
  });
  accounts.dependsOn(rates, audit);

  // Argo Rollouts canary of accounts with header and mirror routes and SLO analysis
  const slo = new SloAnalysis(bank, 'accounts-v2-slo', { service: accounts, canary: 'v2', successRatePercent: 99.5, p99LatencyMs: 300 });
  new CanaryRelease(bank, 'accounts-canary', {
    service: accounts, stable: 'v1', canary: 'v2', canaryPercentage: 0,
    pinHeader: HeaderMatch.exact('x-canary', 'always'),
    driver: ReleaseDriver.argoRollouts({
      revision: RolloutRevision.CANARY,
      steps: [
        RolloutStep.headerRoute({ name: 'beta', headers: [HeaderMatch.prefix('user-agent', 'BankApp/')] }),
        RolloutStep.mirrorRoute({ name: 'reads', percentage: 20, match: [HttpMatch.of({ method: HttpMethod.GET, path: PathMatch.prefix('/accounts') })] }),
        RolloutStep.weight(10),
        RolloutStep.pause(Duration.minutes(5)),
        RolloutStep.analysis(slo),
        RolloutStep.weight(50),
        RolloutStep.pause(),
        RolloutStep.weight(100),
      ],
    }),
  });

  // observability: the stack, mesh-wide and targeted telemetry, alerts
  const obs = new Chart(app, 'observability', { namespace: 'istio-system' });
  const stack = new ObservabilityStack(obs, 'stack');
  new MeshTelemetry(obs, 'mesh-telemetry', {
    tracing: [{ provider: stack.tracingProvider, randomSamplingPercentage: 5, customTags: [TracingCustomTag.literal('env', 'prod'), TracingCustomTag.header('user', 'x-user-id', 'anonymous'), TracingCustomTag.environment('node', 'NODE_NAME')] }],
    accessLogging: [{ providers: [MeshProviders.envoyAccessLog()], filter: 'response.code >= 400' }],
    metrics: [{
      providers: [MeshProviders.prometheus()],
      overrides: [
        { metric: IstioMetric.REQUEST_SIZE, disabled: true },
        { metric: IstioMetric.REQUEST_COUNT, mode: TrafficMode.CLIENT, tagOverrides: { request_protocol: MetricTag.remove(), host: MetricTag.upsert('request.host') } },
      ],
    }],
  });
  new MeshTelemetry(bank, 'ledger-telemetry', {
    target: TelemetryTarget.workload(ledger),
    accessLogging: [{ providers: [MeshProviders.envoyAccessLog()], mode: TrafficMode.SERVER }],
    tracing: [{ disableSpanReporting: true, mode: TrafficMode.CLIENT }],
  });
  new MeshTelemetry(partners, 'partners-telemetry', { target: TelemetryTarget.namespace('partners'), accessLogging: [{ disabled: true }] });
  for (const svc of [accounts, ledger, frontend]) {
    new GoldenSignalAlerts(obs, `${svc.serviceName}-alerts`, { service: svc, errorRatePercent: 2 });
  }

  GitOps.argoCd(app, { repoUrl: 'https://git.example.com/bank/deploy.git', targetRevision: 'main', path: 'dist' });
}
