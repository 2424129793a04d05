#!/usr/bin/env python3
"""The flask shop, in Python: the equivalent of examples/flask-shop/main.ts.

Two Flask microservices in namespace ``shop``: ``order-service`` (v1, plus a
v2 canary that Argo Rollouts moves 10% -> 50% -> 100% behind an SLO analysis)
calls ``user-service``. STRICT mTLS, user-service admits only
order-service and the ingress gateway, the public API requires an end-user
JWT, HTTPS ingress on shop.example.com, egress to the payment provider through
an egress gateway, the Istio control plane, the observability stack and the
Argo CD Applications. It declares the same shop as the TypeScript example, in
the same order, and CI checks that both write byte-identical YAML
(scripts/test-python-shop.sh).

Install (Python 3.9+, Node.js 20+ for the jsii runtime): cdk8s-mesh is not on
PyPI yet; build the wheel from a clone (see the README's Install section)::

    npx projen compile && npx projen package:python
    pip install dist/python/cdk8s_mesh-0.0.0-py3-none-any.whl cdk8s==2.70.0 cdk8s-plus-28==2.5.6 constructs==10.4.2

Synthesize with ``npx cdk8s synth --no-check-upgrade`` in this folder (see
cdk8s.yaml) or ``python3 main.py``.
"""
from cdk8s import App, Chart, Duration
import cdk8s_plus_28 as kplus

from cdk8s_mesh import (
    AccessLogEncoding,
    CanaryRelease,
    ConnectionPool,
    EgressGateway,
    ExternalService,
    GatewayServer,
    GatewayTls,
    GitOps,
    GoldenSignalAlerts,
    HeaderMatch,
    HttpMatch,
    HttpMethod,
    IngressGateway,
    IstioControlPlane,
    JwtAuthentication,
    LoadBalancer,
    MeshApp,
    MeshNamespace,
    MeshService,
    MeshServiceMetrics,
    MeshServicePort,
    MeshServiceVersion,
    MeshTelemetry,
    ObservabilityStack,
    OutboundTrafficPolicyMode,
    OutlierDetection,
    Protocol,
    ReleaseDriver,
    RetryOn,
    RetryPolicy,
    RolloutRevision,
    RolloutStep,
    SloAnalysis,
    StrictMtls,
    TelemetryAccessLogging,
    TelemetryTracing,
    TlsOrigination,
)

SHOP_NAMESPACE = "shop"
REGISTRY = "ghcr.io/acme-shop"
SHOP_HOST = "shop.example.com"
PAYMENTS_HOST = "api.payments.example"
ISSUER = "https://auth.acme-shop.example"
DEPLOY_REPO = "https://github.com/acme-shop/shop-deploy.git"


def build_shop(app: App) -> None:
    # Control plane: CRDs, istiod, webhooks, and the injected shop namespace (control-plane.ts)
    control_plane_chart = Chart(app, "istio-control-plane")
    control_plane = IstioControlPlane(
        control_plane_chart, "istio",
        replicas=2,
        access_log_file="/dev/stdout",
        access_log_encoding=AccessLogEncoding.JSON,
        outbound_traffic_policy=OutboundTrafficPolicyMode.REGISTRY_ONLY,
        termination_drain_duration=Duration.seconds(10),
        pod_security_labels=True,
    )
    MeshNamespace(control_plane_chart, "shop-namespace", name=SHOP_NAMESPACE, control_plane=control_plane, pod_security_labels=True)

    # Services: Flask apps on port 5000 behind port 80 (main.ts)
    shop = Chart(app, "flask-shop", namespace=SHOP_NAMESPACE)
    flask_port = [MeshServicePort(port=80, target_port=5000, protocol=Protocol.HTTP)]
    health = kplus.Probe.from_http_get("/healthz", port=5000, period_seconds=Duration.seconds(10))
    # the Flask apps' own metrics, merged by Istio into the sidecar's 15020 scrape
    metrics = MeshServiceMetrics(port=5000, path="/metrics")

    users = MeshService(
        shop, "user-service",
        ports=flask_port,
        versions=[MeshServiceVersion(name="v1", image=f"{REGISTRY}/user-service:1.4.2", replicas=2)],
        env={"FLASK_RUN_PORT": "5000", "GUNICORN_WORKERS": "2"},
        readiness=health,
        liveness=health,
        metrics=metrics,
    )
    orders = MeshService(
        shop, "order-service",
        ports=flask_port,
        versions=[MeshServiceVersion(name="v1", image=f"{REGISTRY}/order-service:2.0.0", replicas=2)],
        env={
            "FLASK_RUN_PORT": "5000",
            "GUNICORN_WORKERS": "2",
            # in-mesh call: plain HTTP to the Service; the sidecar upgrades it to mTLS
            "USER_SERVICE_URL": f"http://user-service.{SHOP_NAMESPACE}.svc.cluster.local",
        },
        readiness=health,
        liveness=health,
        metrics=metrics,
    )
    orders.depends_on(users)

    # Traffic (traffic.ts): Argo Rollouts moves order-service to v2:
    # 10% -> pause -> 50% -> SLO analysis -> 100%; testers reach v2 with `x-canary: always`
    orders.add_version(name="v2", image=f"{REGISTRY}/order-service:2.1.0", replicas=1)
    analysis = SloAnalysis(
        shop, "order-service-v2-slo",
        service=orders,
        canary="v2",
        success_rate_percent=99,
        p99_latency_ms=500,
    )
    CanaryRelease(
        shop, "order-service-canary",
        service=orders,
        stable="v1",
        canary="v2",
        canary_percentage=0,  # Git keeps 100% on stable; the Rollout's steps move the weights
        pin_header=HeaderMatch.exact("x-canary", "always"),
        # CANARY: the Rollout's template is v2 and its steps run (RolloutRevision.STABLE deploys v1 first)
        driver=ReleaseDriver.argo_rollouts(revision=RolloutRevision.CANARY, steps=[
            RolloutStep.weight(10),
            RolloutStep.pause(),
            RolloutStep.weight(50),
            RolloutStep.analysis(analysis),
            RolloutStep.weight(100),
        ]),
    )
    # reads are idempotent: retry them on gateway errors and connection failures
    users.add_route(
        name="reads",
        match=[HttpMatch.path_prefix("/users")],
        timeout=Duration.seconds(3),
        retries=RetryPolicy(
            attempts=2,
            per_try_timeout=Duration.seconds(1),
            retry_on=[RetryOn.GATEWAY_ERROR, RetryOn.CONNECT_FAILURE, RetryOn.REFUSED_STREAM],
        ),
    )
    # everything else: a timeout, and retries only when the request never reached the app
    users.add_route(
        name="default-timeout",
        timeout=Duration.seconds(5),
        retries=RetryPolicy(
            attempts=1,
            per_try_timeout=Duration.millis(2500),
            retry_on=[RetryOn.CONNECT_FAILURE, RetryOn.REFUSED_STREAM],
        ),
    )
    users.configure_traffic_policy(
        load_balancer=LoadBalancer.least_request(),
        connection_pool=ConnectionPool(
            max_connections=100,
            connect_timeout=Duration.seconds(1),
            http1_max_pending_requests=50,
            http2_max_requests=200,
            max_requests_per_connection=100,
        ),
        outlier_detection=OutlierDetection(
            consecutive5xx_errors=5,
            interval=Duration.seconds(10),
            base_ejection_time=Duration.seconds(30),
            max_ejection_percent=50,
        ),
    )

    # Security (security.ts): STRICT mTLS, who may call whom, end-user JWT on the public API
    StrictMtls(shop, "shop-mtls", namespace=SHOP_NAMESPACE)
    users.allow_from(orders, methods=[HttpMethod.GET], paths=["/users", "/users/*"])
    jwt = JwtAuthentication(
        shop, "shop-jwt",
        service=orders,
        issuer=ISSUER,
        jwks_uri=f"{ISSUER}/.well-known/jwks.json",
        audiences=["shop-api"],
    )
    orders.require_jwt(jwt, paths=["/api/*"])

    # Gateways (gateways.ts): HTTPS ingress, egress to the payment provider
    gateways = Chart(app, "gateways", namespace="istio-system")
    ingress = IngressGateway(
        gateways, "istio-ingressgateway",
        replicas=2,
        servers=[
            GatewayServer.http(hosts=[SHOP_HOST], https_redirect=True),
            GatewayServer.https(hosts=[SHOP_HOST], tls=GatewayTls.simple("shop-example-com-tls")),
        ],
    )
    ingress.add_route(host=SHOP_HOST, match=[HttpMatch.path_prefix("/api/orders")], service=orders)
    ingress.add_route(host=SHOP_HOST, service=users)
    users.allow_from(ingress, methods=[HttpMethod.GET])

    egress = EgressGateway(gateways, "istio-egressgateway")
    payments = ExternalService(
        shop, "payments-api",
        hosts=[PAYMENTS_HOST],
        tls_origination=TlsOrigination(),
        egress_gateway=egress,
    )
    orders.depends_on(payments)  # in order-service's Sidecar egress scope
    for version in orders.versions:
        orders.deployment_of(version).containers[0].env.add_variable(
            "PAYMENTS_API_URL", kplus.EnvValue.from_value(f"http://{PAYMENTS_HOST}"))

    # Observability (observability.ts): Prometheus, Grafana, Jaeger, Kiali; 10% tracing; alerts
    observability = Chart(app, "observability", namespace="istio-system")
    stack = ObservabilityStack(observability, "stack")
    MeshTelemetry(
        observability, "mesh-telemetry",
        tracing=[TelemetryTracing(provider=stack.tracing_provider, random_sampling_percentage=10)],
        # no providers: the mesh default, the control plane's JSON access log
        access_logging=[TelemetryAccessLogging(filter="response.code >= 400")],
    )
    for service in (users, orders):
        GoldenSignalAlerts(observability, f"{service.service_name}-alerts", service=service, error_rate_percent=5)

    # GitOps (gitops.ts), last: derives sync waves from everything declared above
    GitOps.argo_cd(app, repo_url=DEPLOY_REPO, target_revision="main", path="dist")


if __name__ == "__main__":
    # MeshApp: all-or-nothing synthesis, analysis warnings, and dist/mesh.md
    mesh_app = MeshApp()
    build_shop(mesh_app)
    mesh_app.synth()
