#!/usr/bin/env python3
"""The flask shop, in Python: the equivalent of examples/flask-shop/main.ts.

Two Flask microservices in namespace ``shop``: ``order-service`` (v1, plus a
10% canary v2) calls ``user-service``. STRICT mTLS, user-service admits only
order-service and the ingress gateway, the public API requires an end-user
JWT, HTTPS ingress on shop.example.com, egress to the payment provider through
an egress gateway, the Istio control plane, and the observability stack.

Install (Python 3.9+, Node.js 20+ for the jsii runtime)::

    pip install cdk8s-mesh cdk8s cdk8s-plus-28 constructs
    npm install -g cdk8s-cli

Synthesize with ``cdk8s synth`` in this folder (see cdk8s.yaml) or
``python3 main.py``.
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
    RetryOn,
    RetryPolicy,
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


def build_shop(app: App) -> None:
    # --- control plane: CRDs, istiod, webhooks, and the injected shop namespace
    control_plane_chart = Chart(app, "istio-control-plane")
    control_plane = IstioControlPlane(
        control_plane_chart, "istio",
        replicas=2,
        access_log_file="/dev/stdout",
        access_log_encoding=AccessLogEncoding.JSON,
        outbound_traffic_policy=OutboundTrafficPolicyMode.REGISTRY_ONLY,
        termination_drain_duration=Duration.seconds(10),
    )
    MeshNamespace(control_plane_chart, "shop-namespace", name=SHOP_NAMESPACE, control_plane=control_plane)

    # --- services: Flask apps on port 5000 behind port 80
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
            "USER_SERVICE_URL": f"http://user-service.{SHOP_NAMESPACE}.svc.cluster.local",
            "PAYMENTS_API_URL": f"http://{PAYMENTS_HOST}",
        },
        readiness=health,
        liveness=health,
        metrics=metrics,
    )
    orders.depends_on(users)

    # --- traffic: a 10% canary of order-service v2, pinned by a header for testers
    orders.add_version(name="v2", image=f"{REGISTRY}/order-service:2.1.0", replicas=1)
    CanaryRelease(
        shop, "order-service-canary",
        service=orders,
        stable="v1",
        canary="v2",
        canary_percentage=10,
        pin_header=HeaderMatch.exact("x-canary", "always"),
    )
    # reads of user-service: a timeout and retries; a circuit breaker on its DestinationRule
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
    users.configure_traffic_policy(
        load_balancer=LoadBalancer.least_request(),
        connection_pool=ConnectionPool(max_connections=100, http1_max_pending_requests=50),
        outlier_detection=OutlierDetection(
            consecutive5xx_errors=5,
            interval=Duration.seconds(10),
            base_ejection_time=Duration.seconds(30),
        ),
    )

    # --- security: STRICT mTLS, who may call whom, end-user JWT on the public API
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

    # --- gateways: HTTPS ingress, egress to the payment provider
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
    orders.depends_on(payments)

    # --- observability: Prometheus, Grafana, Jaeger, Kiali; 10% tracing; alerts
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


if __name__ == "__main__":
    # MeshApp: all-or-nothing synthesis, analysis warnings, and dist/mesh.md
    mesh_app = MeshApp()
    build_shop(mesh_app)
    mesh_app.synth()
