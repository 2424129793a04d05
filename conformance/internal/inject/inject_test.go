package inject

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/report"
)

// The fixture: a default-revision control plane in istio-system (mesh config,
// injection webhooks), an injected namespace with one Deployment, and an
// injected gateway. Its istio-sidecar-injector ConfigMap is built by each test
// from upstream's templates and values, then broken on purpose.
const fixture = `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    istio-injection: enabled
---
apiVersion: v1
kind: Namespace
metadata:
  name: edge
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: istio
  namespace: istio-system
data:
  mesh: |
    defaultConfig:
      discoveryAddress: istiod.istio-system.svc:15012
    rootNamespace: istio-system
    trustDomain: cluster.local
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: istio-sidecar-injector
webhooks:
  - name: namespace.sidecar-injector.istio.io
    admissionReviewVersions: [v1]
    clientConfig:
      service: {name: istiod, namespace: istio-system, path: /inject, port: 443}
    namespaceSelector:
      matchExpressions:
        - {key: istio-injection, operator: In, values: [enabled]}
    objectSelector:
      matchExpressions:
        - {key: sidecar.istio.io/inject, operator: NotIn, values: ["false"]}
    sideEffects: None
  - name: object.sidecar-injector.istio.io
    admissionReviewVersions: [v1]
    clientConfig:
      service: {name: istiod, namespace: istio-system, path: /inject, port: 443}
    namespaceSelector:
      matchExpressions:
        - {key: istio-injection, operator: DoesNotExist}
        - {key: istio.io/rev, operator: DoesNotExist}
    objectSelector:
      matchExpressions:
        - {key: sidecar.istio.io/inject, operator: In, values: ["true"]}
        - {key: istio.io/rev, operator: DoesNotExist}
    sideEffects: None
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: reviews-v1
  namespace: shop
spec:
  selector:
    matchLabels: {app: reviews, version: v1}
  template:
    metadata:
      labels: {app: reviews, version: v1}
    spec:
      containers:
        - name: reviews
          image: docker.io/istio/examples-bookinfo-reviews-v1:1.20.2
          ports:
            - {name: http, containerPort: 9080}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ingress
  namespace: edge
spec:
  selector:
    matchLabels: {app: ingress}
  template:
    metadata:
      labels: {app: ingress, istio: ingress, sidecar.istio.io/inject: "true"}
      annotations: {inject.istio.io/templates: gateway}
    spec:
      containers:
        - name: istio-proxy
          image: auto
`

// injectorConfigMap renders the istio-sidecar-injector ConfigMap as the library should:
// upstream's templates and values with the library's hub/tag, after edit.
func injectorConfigMap(t *testing.T, editConfig func(map[string]any), editValues func(map[string]any)) string {
	t.Helper()
	up, err := loadUpstream(filepath.Join(SharedDir(), "istio", Release))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(up.config), &cfg); err != nil {
		t.Fatal(err)
	}
	if editConfig != nil {
		editConfig(cfg)
	}
	valuesJSON, err := up.values("", "istio-system", "{}")
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	_ = json.Unmarshal([]byte(valuesJSON), &values)
	global := values["global"].(map[string]any)
	global["hub"], global["tag"] = "docker.io/istio", Release
	if editValues != nil {
		editValues(values)
	}
	cfgYAML, _ := yaml.Marshal(cfg)
	valuesOut, _ := json.Marshal(values)
	cm, _ := yaml.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "istio-sidecar-injector", "namespace": "istio-system"},
		"data":     map[string]any{"config": string(cfgYAML), "values": string(valuesOut)},
	})
	return string(cm)
}

func runFixture(t *testing.T, docs ...string) *report.Report {
	t.Helper()
	objs, err := manifest.Parse("fixture.k8s.yaml", []byte(strings.Join(append([]string{fixture}, docs...), "\n---\n")))
	if err != nil {
		t.Fatal(err)
	}
	r := report.New()
	if err := Run(&manifest.Example{Name: "fixture", Objects: objs}, r); err != nil {
		t.Fatal(err)
	}
	return r
}

func failures(r *report.Report) []string {
	var out []string
	for _, e := range r.Entries() {
		if e.Verdict == report.Fail {
			out = append(out, e.Subject+": "+e.Message)
		}
	}
	return out
}

func requireShared(t *testing.T) {
	if _, err := os.Stat(filepath.Join(SharedDir(), "istio", Release, "injection-template.yaml")); err != nil {
		t.Fatalf("upstream Istio %s data not found (set CDK8S_MESH_SHARED): %v", Release, err)
	}
}

func TestUpstreamConfigPassesAndCountsPods(t *testing.T) {
	requireShared(t)
	r := runFixture(t, injectorConfigMap(t, nil, nil))
	if f := failures(r); len(f) > 0 {
		t.Fatalf("want no failures, got:\n%s", strings.Join(f, "\n"))
	}
	passed, _ := r.Totals()
	// 2 workloads: the sidecar gets every case of the matrix, the gateway the cases meant for gateways
	sidecarCases, gatewayCases := 0, 0
	for _, c := range Matrix {
		if c.Sidecar {
			sidecarCases++
		}
		if c.Gateway {
			gatewayCases++
		}
	}
	if passed < sidecarCases+gatewayCases {
		t.Fatalf("want at least %d passed assertions, got %d", sidecarCases+gatewayCases, passed)
	}
}

// The old finding: a sidecar template that does not copy proxyMetadata into the proxy's env.
func TestTemplateDroppingProxyMetadataFails(t *testing.T) {
	requireShared(t)
	cm := injectorConfigMap(t, func(cfg map[string]any) {
		tmpls := cfg["templates"].(map[string]any)
		sidecar := tmpls["sidecar"].(string)
		// drop both `range .ProxyConfig.ProxyMetadata` loops (init and proxy env)
		const loop = "{{- range $key, $value := .ProxyConfig.ProxyMetadata }}"
		if !strings.Contains(sidecar, loop) {
			t.Fatalf("upstream sidecar template changed: no %q", loop)
		}
		tmpls["sidecar"] = strings.ReplaceAll(sidecar, loop, "{{- range $key, $value := dict }}")
	}, nil)
	f := strings.Join(failures(runFixture(t, cm)), "\n")
	for _, want := range []string{
		"Deployment shop/reviews-v1 [proxy.istio.io/config proxyMetadata+holdApplicationUntilProxyStarts]: differs from upstream injection: spec.containers[istio-proxy].env[" + metadataKey + "]",
		"annotation without its effect: istio-proxy env lacks " + metadataKey,
	} {
		if !strings.Contains(f, want) {
			t.Errorf("want a failure containing %q, got:\n%s", want, f)
		}
	}
}

// A value that is neither one of the InstallChoices (which the upstream side takes over) nor in
// the Deliberate table fails.
func TestUnlistedValueDifferenceFails(t *testing.T) {
	requireShared(t)
	cm := injectorConfigMap(t, nil, func(v map[string]any) {
		v["global"].(map[string]any)["proxy"].(map[string]any)["includeIPRanges"] = "10.0.0.0/8"
	})
	f := strings.Join(failures(runFixture(t, cm)), "\n")
	want := `Deployment shop/reviews-v1: differs from upstream injection: spec.initContainers[istio-init].args`
	if !strings.Contains(f, want) || !strings.Contains(f, "10.0.0.0/8") {
		t.Fatalf("want a failure containing %q with 10.0.0.0/8, got:\n%s", want, f)
	}
}

// An install choice (proxy log level) is taken over by the upstream side: no difference.
func TestInstallChoiceIsComparedLikeForLike(t *testing.T) {
	requireShared(t)
	cm := injectorConfigMap(t, nil, func(v map[string]any) {
		v["global"].(map[string]any)["proxy"].(map[string]any)["logLevel"] = "debug"
	})
	if f := failures(runFixture(t, cm)); len(f) > 0 {
		t.Fatalf("want no failure, got:\n%s", strings.Join(f, "\n"))
	}
}

// The old gateway finding: a proxy mounting another revision's mesh config fails the invariants.
func TestWrongMeshConfigMountFails(t *testing.T) {
	requireShared(t)
	cm := injectorConfigMap(t, func(cfg map[string]any) {
		tmpls := cfg["templates"].(map[string]any)
		gw := tmpls["gateway"].(string)
		const volumes = "  volumes:\n"
		if !strings.Contains(gw, volumes) {
			t.Fatal("upstream gateway template changed: no volumes")
		}
		tmpls["gateway"] = strings.Replace(gw, volumes, volumes+"  - name: config-volume\n    configMap:\n      name: istio-1-29\n", 1)
	}, nil)
	f := strings.Join(failures(runFixture(t, cm)), "\n")
	if !strings.Contains(f, `Gateway Deployment edge/ingress: volume config-volume mounts ConfigMap "istio-1-29", not the mesh config of revision default ("istio")`) {
		t.Fatalf("want the mesh config mount failure, got:\n%s", f)
	}
}

// A gateway whose namespace disables injection is never filled in.
func TestGatewayInInjectionDisabledNamespaceFails(t *testing.T) {
	requireShared(t)
	disabled := "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: edge\n  labels:\n    istio-injection: disabled\n"
	objs, err := manifest.Parse("f", []byte(strings.Replace(fixture, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: edge\n", disabled, 1)+"\n---\n"+injectorConfigMap(t, nil, nil)))
	if err != nil {
		t.Fatal(err)
	}
	r := report.New()
	if err := Run(&manifest.Example{Name: "fixture", Objects: objs}, r); err != nil {
		t.Fatal(err)
	}
	f := strings.Join(failures(r), "\n")
	if !strings.Contains(f, "Gateway Deployment edge/ingress: no injection webhook selects the gateway pod") {
		t.Fatalf("want the unselected gateway failure, got:\n%s", f)
	}
}

func TestComparePodsKeysListsByName(t *testing.T) {
	a := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "istio-proxy", Env: []corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}}}}}}
	b := a.DeepCopy()
	b.Spec.Containers[0].Env[1].Value = "3"
	b.Spec.Containers[0].Env = append(b.Spec.Containers[0].Env, corev1.EnvVar{Name: "C", Value: "4"})
	d, err := ComparePods(a, b)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range d {
		got = append(got, x.String())
	}
	want := []string{
		`spec.containers[istio-proxy].env[B].value: ours "2", upstream "3"`,
		`spec.containers[istio-proxy].env[C]: ours (absent), upstream {"name":"C","value":"4"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, ok := Accepted(Deliberate, d[0]); ok {
		t.Fatal("an env value difference must not be accepted")
	}
}
