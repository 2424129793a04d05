// The flask shop, in Go: the equivalent of examples/flask-shop (TypeScript) and
// examples/python-shop, declared in the same order, so that all three write
// byte-identical YAML (CI: scripts/test-go-shop.sh).
//
// Two Flask microservices in namespace "shop": order-service (v1, plus a v2
// canary that Argo Rollouts moves 10% -> 50% -> 100% behind an SLO analysis)
// calls user-service. STRICT mTLS, user-service admits only order-service and
// the ingress gateway, the public API requires an end-user JWT, HTTPS ingress
// on shop.example.com, egress to the payment provider through an egress
// gateway, the Istio control plane, the observability stack and the Argo CD
// Applications.
//
// Build the Go bindings first (from the repository root: `npx projen compile &&
// npx projen package:go`), then `cdk8s synth` here (cdk8s.yaml runs `go run .`).
package main

import (
	"fmt"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-mesh/cdk8s-mesh-go/cdk8smesh"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	"github.com/cdk8s-team/cdk8s-plus-go/cdk8splus28/v2"
)

const (
	shopNamespace = "shop"
	registry      = "ghcr.io/acme-shop"
	shopHost      = "shop.example.com"
	paymentsHost  = "api.payments.example"
	issuer        = "https://auth.acme-shop.example"
	deployRepo    = "https://github.com/acme-shop/shop-deploy.git"
)

func buildShop(app cdk8s.App) {
	// Control plane: CRDs, istiod, webhooks, and the injected shop namespace (control-plane.ts)
	controlPlaneChart := cdk8s.NewChart(app, jsii.String("istio-control-plane"), nil)
	controlPlane := cdk8smesh.NewIstioControlPlane(controlPlaneChart, jsii.String("istio"), &cdk8smesh.IstioControlPlaneProps{
		Replicas:                 jsii.Number(2),
		AccessLogFile:            jsii.String("/dev/stdout"),
		AccessLogEncoding:        cdk8smesh.AccessLogEncoding_JSON,
		OutboundTrafficPolicy:    cdk8smesh.OutboundTrafficPolicyMode_REGISTRY_ONLY,
		TerminationDrainDuration: cdk8s.Duration_Seconds(jsii.Number(10)),
		PodSecurityLabels:        jsii.Bool(true),
	})
	cdk8smesh.NewMeshNamespace(controlPlaneChart, jsii.String("shop-namespace"), &cdk8smesh.MeshNamespaceProps{
		Name:              jsii.String(shopNamespace),
		ControlPlane:      controlPlane,
		PodSecurityLabels: jsii.Bool(true),
	})

	// Services: Flask apps on port 5000 behind port 80 (main.ts)
	shop := cdk8s.NewChart(app, jsii.String("flask-shop"), &cdk8s.ChartProps{Namespace: jsii.String(shopNamespace)})
	flaskPort := &[]*cdk8smesh.MeshServicePort{{Port: jsii.Number(80), TargetPort: jsii.Number(5000), Protocol: cdk8smesh.Protocol_HTTP}}
	health := cdk8splus28.Probe_FromHttpGet(jsii.String("/healthz"), &cdk8splus28.HttpGetProbeOptions{
		Port:          jsii.Number(5000),
		PeriodSeconds: cdk8s.Duration_Seconds(jsii.Number(10)),
	})

	// the Flask apps' own metrics, merged by Istio into the sidecar's 15020 scrape
	metrics := &cdk8smesh.MeshServiceMetrics{Port: jsii.Number(5000), Path: jsii.String("/metrics")}

	users := cdk8smesh.NewMeshService(shop, jsii.String("user-service"), &cdk8smesh.MeshServiceProps{
		Ports:     flaskPort,
		Versions:  &[]*cdk8smesh.MeshServiceVersion{{Name: jsii.String("v1"), Image: jsii.String(registry + "/user-service:1.4.2"), Replicas: jsii.Number(2)}},
		Env:       &map[string]*string{"FLASK_RUN_PORT": jsii.String("5000"), "GUNICORN_WORKERS": jsii.String("2")},
		Readiness: health,
		Liveness:  health,
		Metrics:   metrics,
	})
	// Go maps have no order: the jsii runtime sends them with sorted keys, so the
	// container's env lists these variables alphabetically (as the other examples do).
	orders := cdk8smesh.NewMeshService(shop, jsii.String("order-service"), &cdk8smesh.MeshServiceProps{
		Ports:    flaskPort,
		Versions: &[]*cdk8smesh.MeshServiceVersion{{Name: jsii.String("v1"), Image: jsii.String(registry + "/order-service:2.0.0"), Replicas: jsii.Number(2)}},
		Env: &map[string]*string{
			"FLASK_RUN_PORT":   jsii.String("5000"),
			"GUNICORN_WORKERS": jsii.String("2"),
			// in-mesh call: plain HTTP to the Service; the sidecar upgrades it to mTLS
			"USER_SERVICE_URL": jsii.String(fmt.Sprintf("http://user-service.%s.svc.cluster.local", shopNamespace)),
		},
		Readiness: health,
		Liveness:  health,
		Metrics:   metrics,
	})
	orders.DependsOn(users)

	// Traffic (traffic.ts): Argo Rollouts moves order-service to v2:
	// 10% -> pause -> 50% -> SLO analysis -> 100%; testers reach v2 with `x-canary: always`
	orders.AddVersion(&cdk8smesh.MeshServiceVersion{Name: jsii.String("v2"), Image: jsii.String(registry + "/order-service:2.1.0"), Replicas: jsii.Number(1)})
	analysis := cdk8smesh.NewSloAnalysis(shop, jsii.String("order-service-v2-slo"), &cdk8smesh.SloAnalysisProps{
		Service:            orders,
		Canary:             jsii.String("v2"),
		SuccessRatePercent: jsii.Number(99),
		P99LatencyMs:       jsii.Number(500),
	})
	cdk8smesh.NewCanaryRelease(shop, jsii.String("order-service-canary"), &cdk8smesh.CanaryReleaseProps{
		Service:          orders,
		Stable:           jsii.String("v1"),
		Canary:           jsii.String("v2"),
		CanaryPercentage: jsii.Number(0), // Git keeps 100% on stable; the Rollout's steps move the weights
		PinHeader:        cdk8smesh.HeaderMatch_Exact(jsii.String("x-canary"), jsii.String("always")),
		// CANARY: the Rollout's template is v2 and its steps run (RolloutRevision_STABLE deploys v1 first)
		Driver: cdk8smesh.ReleaseDriver_ArgoRollouts(&cdk8smesh.ArgoRolloutsOptions{
			Revision: cdk8smesh.RolloutRevision_CANARY,
			Steps: &[]cdk8smesh.RolloutStep{
				cdk8smesh.RolloutStep_Weight(jsii.Number(10)),
				cdk8smesh.RolloutStep_Pause(nil),
				cdk8smesh.RolloutStep_Weight(jsii.Number(50)),
				cdk8smesh.RolloutStep_Analysis(analysis),
				cdk8smesh.RolloutStep_Weight(jsii.Number(100)),
			},
		}),
	})
	// reads are idempotent: retry them on gateway errors and connection failures
	users.AddRoute(&cdk8smesh.MeshRouteOptions{
		Name:    jsii.String("reads"),
		Match:   &[]cdk8smesh.HttpMatch{cdk8smesh.HttpMatch_PathPrefix(jsii.String("/users"))},
		Timeout: cdk8s.Duration_Seconds(jsii.Number(3)),
		Retries: &cdk8smesh.RetryPolicy{
			Attempts:      jsii.Number(2),
			PerTryTimeout: cdk8s.Duration_Seconds(jsii.Number(1)),
			RetryOn:       &[]cdk8smesh.RetryOn{cdk8smesh.RetryOn_GATEWAY_ERROR, cdk8smesh.RetryOn_CONNECT_FAILURE, cdk8smesh.RetryOn_REFUSED_STREAM},
		},
	})
	// everything else: a timeout, and retries only when the request never reached the app
	users.AddRoute(&cdk8smesh.MeshRouteOptions{
		Name:    jsii.String("default-timeout"),
		Timeout: cdk8s.Duration_Seconds(jsii.Number(5)),
		Retries: &cdk8smesh.RetryPolicy{
			Attempts:      jsii.Number(1),
			PerTryTimeout: cdk8s.Duration_Millis(jsii.Number(2500)),
			RetryOn:       &[]cdk8smesh.RetryOn{cdk8smesh.RetryOn_CONNECT_FAILURE, cdk8smesh.RetryOn_REFUSED_STREAM},
		},
	})
	users.ConfigureTrafficPolicy(&cdk8smesh.TrafficPolicy{
		LoadBalancer: cdk8smesh.LoadBalancer_LeastRequest(),
		ConnectionPool: &cdk8smesh.ConnectionPool{
			MaxConnections:           jsii.Number(100),
			ConnectTimeout:           cdk8s.Duration_Seconds(jsii.Number(1)),
			Http1MaxPendingRequests:  jsii.Number(50),
			Http2MaxRequests:         jsii.Number(200),
			MaxRequestsPerConnection: jsii.Number(100),
		},
		OutlierDetection: &cdk8smesh.OutlierDetection{
			Consecutive5xxErrors: jsii.Number(5),
			Interval:             cdk8s.Duration_Seconds(jsii.Number(10)),
			BaseEjectionTime:     cdk8s.Duration_Seconds(jsii.Number(30)),
			MaxEjectionPercent:   jsii.Number(50),
		},
	})

	// Security (security.ts): STRICT mTLS, who may call whom, end-user JWT on the public API
	cdk8smesh.NewStrictMtls(shop, jsii.String("shop-mtls"), &cdk8smesh.StrictMtlsProps{Namespace: jsii.String(shopNamespace)})
	users.AllowFrom(orders, &cdk8smesh.AllowFromOptions{
		Methods: &[]cdk8smesh.HttpMethod{cdk8smesh.HttpMethod_GET},
		Paths:   jsii.Strings("/users", "/users/*"),
	})
	jwt := cdk8smesh.NewJwtAuthentication(shop, jsii.String("shop-jwt"), &cdk8smesh.JwtAuthenticationProps{
		Service:   orders,
		Issuer:    jsii.String(issuer),
		JwksUri:   jsii.String(issuer + "/.well-known/jwks.json"),
		Audiences: jsii.Strings("shop-api"),
	})
	orders.RequireJwt(jwt, &cdk8smesh.RequireJwtOptions{Paths: jsii.Strings("/api/*")})

	// Gateways (gateways.ts): HTTPS ingress, egress to the payment provider
	gateways := cdk8s.NewChart(app, jsii.String("gateways"), &cdk8s.ChartProps{Namespace: jsii.String("istio-system")})
	ingress := cdk8smesh.NewIngressGateway(gateways, jsii.String("istio-ingressgateway"), &cdk8smesh.IngressGatewayProps{
		Replicas: jsii.Number(2),
		Servers: &[]cdk8smesh.GatewayServer{
			cdk8smesh.GatewayServer_Http(&cdk8smesh.HttpServerOptions{Hosts: jsii.Strings(shopHost), HttpsRedirect: jsii.Bool(true)}),
			cdk8smesh.GatewayServer_Https(&cdk8smesh.HttpsServerOptions{Hosts: jsii.Strings(shopHost), Tls: cdk8smesh.GatewayTls_Simple(jsii.String("shop-example-com-tls"), nil)}),
		},
	})
	ingress.AddRoute(&cdk8smesh.GatewayRouteOptions{
		Host:    jsii.String(shopHost),
		Match:   &[]cdk8smesh.HttpMatch{cdk8smesh.HttpMatch_PathPrefix(jsii.String("/api/orders"))},
		Service: orders,
	})
	ingress.AddRoute(&cdk8smesh.GatewayRouteOptions{Host: jsii.String(shopHost), Service: users})
	users.AllowFrom(ingress, &cdk8smesh.AllowFromOptions{Methods: &[]cdk8smesh.HttpMethod{cdk8smesh.HttpMethod_GET}})

	egress := cdk8smesh.NewEgressGateway(gateways, jsii.String("istio-egressgateway"), nil)
	payments := cdk8smesh.NewExternalService(shop, jsii.String("payments-api"), &cdk8smesh.ExternalServiceProps{
		Hosts:          jsii.Strings(paymentsHost),
		TlsOrigination: &cdk8smesh.TlsOrigination{},
		EgressGateway:  egress,
	})
	orders.DependsOn(payments) // in order-service's Sidecar egress scope
	for _, version := range *orders.Versions() {
		(*orders.DeploymentOf(version).Containers())[0].Env().AddVariable(
			jsii.String("PAYMENTS_API_URL"), cdk8splus28.EnvValue_FromValue(jsii.String("http://"+paymentsHost)))
	}

	// Observability (observability.ts): Prometheus, Grafana, Jaeger, Kiali; 10% tracing; alerts
	observability := cdk8s.NewChart(app, jsii.String("observability"), &cdk8s.ChartProps{Namespace: jsii.String("istio-system")})
	stack := cdk8smesh.NewObservabilityStack(observability, jsii.String("stack"), nil)
	cdk8smesh.NewMeshTelemetry(observability, jsii.String("mesh-telemetry"), &cdk8smesh.MeshTelemetryProps{
		Tracing: &[]*cdk8smesh.TelemetryTracing{{Provider: stack.TracingProvider(), RandomSamplingPercentage: jsii.Number(10)}},
		// no providers: the mesh default, the control plane's JSON access log
		AccessLogging: &[]*cdk8smesh.TelemetryAccessLogging{{
			Filter: jsii.String("response.code >= 400"),
		}},
	})
	for _, service := range []cdk8smesh.MeshService{users, orders} {
		cdk8smesh.NewGoldenSignalAlerts(observability, jsii.String(*service.ServiceName()+"-alerts"), &cdk8smesh.GoldenSignalAlertsProps{
			Service:          service,
			ErrorRatePercent: jsii.Number(5),
		})
	}

	// GitOps (gitops.ts), last: derives sync waves from everything declared above
	cdk8smesh.GitOps_ArgoCd(app, &cdk8smesh.ArgoCdGitOpsProps{
		RepoUrl:        jsii.String(deployRepo),
		TargetRevision: jsii.String("main"),
		Path:           jsii.String("dist"),
	})
}

func main() {
	// MeshApp: all-or-nothing synthesis, analysis warnings, and dist/mesh.md
	app := cdk8smesh.NewMeshApp(nil)
	buildShop(app)
	app.Synth()
}
