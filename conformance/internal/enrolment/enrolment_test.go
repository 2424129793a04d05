package enrolment

import (
	"strings"
	"testing"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/behaviour"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
)

// The injection webhooks of upstream's default revision (namespace label, then pod label)
// and istio-cni's default enablement selector, as the library emits them.
const controlPlane = `
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: istio-sidecar-injector
webhooks:
  - name: namespace.sidecar-injector.istio.io
    clientConfig:
      service: {name: istiod, namespace: istio-system, path: /inject}
    namespaceSelector:
      matchExpressions:
        - {key: istio-injection, operator: In, values: [enabled]}
    objectSelector:
      matchExpressions:
        - {key: sidecar.istio.io/inject, operator: NotIn, values: ["false"]}
  - name: object.sidecar-injector.istio.io
    clientConfig:
      service: {name: istiod, namespace: istio-system, path: /inject}
    namespaceSelector:
      matchExpressions:
        - {key: istio-injection, operator: DoesNotExist}
        - {key: istio.io/rev, operator: DoesNotExist}
    objectSelector:
      matchExpressions:
        - {key: sidecar.istio.io/inject, operator: In, values: ["true"]}
        - {key: istio.io/rev, operator: DoesNotExist}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: istio-cni-config
  namespace: istio-system
data:
  AMBIENT_ENABLEMENT_SELECTOR: |
    - podSelector:
        matchLabels: {istio.io/dataplane-mode: ambient}
    - podSelector:
        matchExpressions:
          - {key: istio.io/dataplane-mode, operator: NotIn, values: [none]}
      namespaceSelector:
        matchLabels: {istio.io/dataplane-mode: ambient}
`

// shop: a sidecar service (namespace injection) and an ambient one (pod label).
const shop = `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {istio-injection: enabled}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: orders, namespace: shop}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: users, namespace: shop}
---
apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec:
  selector: {app: orders}
  ports: [{name: http, port: 80, targetPort: 5000, appProtocol: http}]
---
apiVersion: v1
kind: Service
metadata: {name: users, namespace: shop}
spec:
  selector: {app: users}
  ports: [{name: http, port: 80, targetPort: web}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders-v1, namespace: shop}
spec:
  selector:
    matchLabels: {app: orders, version: v1}
  template:
    metadata:
      labels: {app: orders, version: v1, app.kubernetes.io/name: orders, app.kubernetes.io/version: v1}
    spec:
      serviceAccountName: orders
      containers: [{name: orders, image: orders:1}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: users-v1, namespace: shop}
spec:
  selector:
    matchLabels: {app: users, version: v1}
  template:
    metadata:
      labels: {app: users, version: v1, sidecar.istio.io/inject: "false", istio.io/dataplane-mode: ambient}
    spec:
      serviceAccountName: users
      containers: [{name: users, image: users:1, ports: [{name: web, containerPort: 8080}]}]
`

func intent() *behaviour.Intent {
	return &behaviour.Intent{Services: []*behaviour.ServiceIntent{
		{Name: "orders", Namespace: "shop", ServiceAccount: "orders", Selector: map[string]string{"app": "orders"}, DataPlane: "sidecar",
			Ports:    []behaviour.PortIntent{{Name: "http", Port: 80, TargetPort: 5000, Protocol: "http"}},
			Versions: []behaviour.VersionIntent{{Name: "v1", PodLabels: map[string]string{"app": "orders", "version": "v1", "app.kubernetes.io/name": "orders", "app.kubernetes.io/version": "v1"}}}},
		{Name: "users", Namespace: "shop", ServiceAccount: "users", Selector: map[string]string{"app": "users"}, DataPlane: "ambient",
			Ports:    []behaviour.PortIntent{{Name: "http", Port: 80, TargetPort: 8080, Protocol: "http"}},
			Versions: []behaviour.VersionIntent{{Name: "v1", PodLabels: map[string]string{"app": "users", "version": "v1"}}}},
	}}
}

// run checks the output after edit (old -> new in the shop manifests) and returns the failures.
func run(t *testing.T, old, new string) []string {
	t.Helper()
	text := shop
	if old != "" {
		if !strings.Contains(text, old) {
			t.Fatalf("the fixture has no %q", old)
		}
		text = strings.Replace(text, old, new, 1)
	}
	objs, err := manifest.Parse("shop.k8s.yaml", []byte(controlPlane+"\n---\n"+text))
	if err != nil {
		t.Fatal(err)
	}
	c, err := read(&manifest.Example{Name: "shop", Objects: objs})
	if err != nil {
		t.Fatal(err)
	}
	var fails []string
	for _, a := range c.check(intent()) {
		if !a.ok {
			fails = append(fails, a.subject+": "+a.message)
		}
	}
	return fails
}

func TestTheDeclaredEnrolmentPasses(t *testing.T) {
	if fails := run(t, "", ""); len(fails) > 0 {
		t.Fatalf("failures on the consistent fixture:\n%s", strings.Join(fails, "\n"))
	}
}

func TestFailures(t *testing.T) {
	cases := []struct {
		name, old, new, want string
	}{
		{"the namespace opts out of injection: no webhook selects the sidecar service's pod",
			"istio-injection: enabled", "istio-injection: disabled", "orders-v1 (orders v1): declared data plane sidecar; the emitted webhooks and istio-cni give it no data plane"},
		{"the pod opts out of injection",
			"app.kubernetes.io/version: v1}", "app.kubernetes.io/version: v1, sidecar.istio.io/inject: \"false\"}", "declared data plane sidecar"},
		{"the ambient pod opts out of capture",
			"istio.io/dataplane-mode: ambient}", "istio.io/dataplane-mode: none}", "users-v1 (users v1): declared data plane ambient; the emitted webhooks and istio-cni give it no data plane"},
		{"the ambient pod asks for a sidecar: istio-cni never captures a pod with one",
			`sidecar.istio.io/inject: "false", istio.io`, `sidecar.istio.io/inject: "true", istio.io`, "declared data plane ambient; the emitted webhooks and istio-cni give it a sidecar"},
		{"the pod runs as another identity",
			"serviceAccountName: orders", "serviceAccountName: users", "runs as ServiceAccount shop/users (emitted: true); declared shop/orders"},
		{"Istio reports the pod's metrics under another revision",
			"app.kubernetes.io/version: v1}", "app.kubernetes.io/version: v2}", `canonical service "orders" revision "v2"; declared "orders" version "v1"`},
		{"Istio reports the pod's metrics under another service",
			"app.kubernetes.io/name: orders", "app.kubernetes.io/name: users", `canonical service "users" revision "v1"`},
		{"the Service forwards to a port the app does not listen on",
			"targetPort: 5000", "targetPort: 5001", "Service shop/orders: port 80 forwards to pod port 5001 as HTTP; declared the app's port 5000 as HTTP"},
		{"the Service names a port no container declares",
			"targetPort: web", "targetPort: www", "Service shop/users: port 80 forwards to pod port 0 as HTTP"},
		{"the Service's port is TCP: none of the HTTP intent applies",
			"appProtocol: http", "appProtocol: tcp", "port 80 forwards to pod port 5000 as TCP; declared the app's port 5000 as HTTP"},
		{"the Service's port moved",
			"port: 80, targetPort: 5000", "port: 81, targetPort: 5000", "Service shop/orders: has no port 80, declared http"},
		{"the pods' labels differ from the declared ones",
			"labels: {app: orders, version: v1,", "labels: {app: orders, version: v2,", `orders-v1 (orders v1): carries the pod labels declared for version v1; the pods have version="v2" instead`},
		{"no workload runs the service",
			"labels: {app: orders, version: v1, app.kubernetes", "labels: {app: order, version: v1, app.kubernetes", "service shop/orders: no workload of the output has pods labelled map[app:orders]"},
	}
	for _, c := range cases {
		fails := run(t, c.old, c.new)
		found := false
		for _, f := range fails {
			found = found || strings.Contains(f, c.want)
		}
		if !found {
			t.Errorf("%s: want a failure containing %q, got:\n%s", c.name, c.want, strings.Join(fails, "\n"))
		}
	}
}

func TestAMissingServiceAccountFails(t *testing.T) {
	fails := run(t, "metadata: {name: orders, namespace: shop}", "metadata: {name: orders-old, namespace: shop}")
	if len(fails) != 1 || !strings.Contains(fails[0], "runs as ServiceAccount shop/orders (emitted: false)") {
		t.Errorf("failures %v", fails)
	}
}

func TestAVersionServiceTheIntentRoutesToMustExist(t *testing.T) {
	objs, err := manifest.Parse("shop.k8s.yaml", []byte(controlPlane+"\n---\n"+shop))
	if err != nil {
		t.Fatal(err)
	}
	c, err := read(&manifest.Example{Name: "shop", Objects: objs})
	if err != nil {
		t.Fatal(err)
	}
	in := intent()
	in.Services[0].VersionServices = append(in.Services[0].VersionServices, struct {
		Version string `json:"version"`
		Name    string `json:"name"`
	}{"v1", "orders-v1"})
	var fails []string
	for _, a := range c.check(in) {
		if !a.ok {
			fails = append(fails, a.subject+": "+a.message)
		}
	}
	if len(fails) != 1 || fails[0] != "Service shop/orders-v1: the output has no such Service, yet the intent routes to it" {
		t.Errorf("failures %v", fails)
	}
}

func TestTheWaypointListensWhereZtunnelSends(t *testing.T) {
	hbone := gatewayListener{Name: "mesh", Port: 15008, Protocol: "HBONE"}
	for _, c := range []struct {
		name string
		gw   *gatewayObject
		ok   bool
		want string
	}{
		{"HBONE on 15008", &gatewayObject{class: "istio-waypoint", listeners: []gatewayListener{hbone}}, true, "listening for HBONE on port 15008"},
		{"another port", &gatewayObject{class: "istio-waypoint", listeners: []gatewayListener{{Name: "mesh", Port: 15009, Protocol: "HBONE"}}}, false, `listener "mesh" is port 15009 protocol HBONE`},
		{"another protocol", &gatewayObject{class: "istio-waypoint", listeners: []gatewayListener{{Name: "mesh", Port: 15008, Protocol: "HTTP"}}}, false, "protocol HTTP"},
		{"another class", &gatewayObject{class: "istio", listeners: []gatewayListener{hbone}}, false, `Gateway class "istio"`},
		{"no Gateway", nil, false, "no Gateway of the output deploys the waypoint"},
	} {
		cl := &cluster{gateways: map[string]*gatewayObject{}}
		if c.gw != nil {
			cl.gateways["shop/waypoint"] = c.gw
		}
		a := cl.waypoint("shop", "waypoint")
		if a.ok != c.ok || !strings.Contains(a.message, c.want) {
			t.Errorf("%s: ok %t %q, want ok %t containing %q", c.name, a.ok, a.message, c.ok, c.want)
		}
	}
}
