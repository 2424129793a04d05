// Package xds loads one synthesized example into pilot's own xDS generation (the
// in-memory discovery server Istio's tests use), generates the Envoy listeners,
// routes, clusters and endpoints for a sidecar of every workload and for every
// gateway, and asserts that what the emitted Istio objects declare reaches Envoy.
package xds

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	meshconfig "istio.io/api/mesh/v1alpha1"
	"istio.io/istio/pilot/pkg/config/kube/crd"
	"istio.io/istio/pilot/pkg/features"
	"istio.io/istio/pilot/pkg/model"
	fakexds "istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/constants"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/jwt"
	kubelib "istio.io/istio/pkg/kube"
	istiolog "istio.io/istio/pkg/log"
	"istio.io/istio/pkg/test"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
)

// ProbeApp names the synthetic client pod of each namespace with a VirtualService.
const ProbeApp = "xds-probe"

// IstioVersion is the proxy version the generated config is for (the release we install).
const IstioVersion = "1.30.3"

// DomainSuffix is the cluster domain the fake registry uses (and the library emits).
const DomainSuffix = "cluster.local"

// Workload is one pod template of the example (Deployment, Argo Rollout, StatefulSet,
// DaemonSet) with the pods synthesized for it.
type Workload struct {
	Kind, Namespace, Name string
	Labels                map[string]string // pod labels as the proxy sees them (after injection)
	ServiceAccount        string
	Injected              bool // a sidecar would be injected
	Gateway               bool // selected by an Istio Gateway (a router proxy)
	Probe                 bool // a synthetic client added by the oracle (not emitted)
	Ambient               bool // captured by istio-cni for ztunnel (ambient.go)
	Waypoint              bool // a waypoint istiod deploys for a Gateway of class istio-waypoint (ambient.go)
	Pods                  []*corev1.Pod
}

// ID is "Kind namespace/name".
func (w *Workload) ID() string { return fmt.Sprintf("%s %s/%s", w.Kind, w.Namespace, w.Name) }

// Env is an example loaded into pilot.
type Env struct {
	Example   *manifest.Example
	Mesh      *meshconfig.MeshConfig
	Configs   []config.Config
	Services  []*corev1.Service
	Workloads []*Workload
	Server    *fakexds.FakeDiscoveryServer
	failer    *failer
	ambient   bool   // istiod serves ambient (ambient.go)
	restore   func() // restores the pilot features set for ambient
}

// Close stops the discovery server.
func (e *Env) Close() {
	if e.failer != nil {
		e.failer.cleanup()
	}
	if e.restore != nil {
		e.restore()
		e.restore = nil
	}
}

var quietOnce sync.Once

// Quiet lowers Istio's log output to errors (pilot logs every push otherwise).
func Quiet() {
	quietOnce.Do(func() {
		level := istiolog.NoneLevel // findings surface as assertions; XDS_LOG=1 shows pilot's errors
		if os.Getenv("XDS_LOG") != "" {
			level = istiolog.ErrorLevel
		}
		for _, s := range istiolog.Scopes() {
			s.SetOutputLevel(level)
		}
	})
}

// istioGroups are the API groups whose objects are Istio configuration.
var istioGroups = map[string]bool{
	"networking.istio.io": true, "security.istio.io": true, "telemetry.istio.io": true, "extensions.istio.io": true,
}

// LoadDir loads the output folder dir (every *.k8s.yaml) into pilot, as Load does.
func LoadDir(name, dir string) (*Env, error) {
	ex, err := manifest.Load(name, dir)
	if err != nil {
		return nil, err
	}
	return Load(ex)
}

// Load builds the Env: Istio configs, Kubernetes Services/Namespaces/ServiceAccounts,
// pods derived from every workload's pod template, EndpointSlices, mesh config.
func Load(ex *manifest.Example) (*Env, error) {
	Quiet()
	// A RequestAuthentication's jwksUri is fetched by Envoy, not by pilot: the oracle
	// never reaches the network (istiod's default fetches it itself; the generated
	// jwt_authn provider then carries a remote JWKS instead of an inline one).
	features.JwksFetchMode = jwt.Envoy
	e := &Env{Example: ex}
	if ambientEnabled(ex) {
		e.ambient = true
		e.restore = enableAmbientFeatures()
	}
	ok := false
	defer func() {
		if !ok && e.restore != nil {
			e.restore()
		}
	}()
	m, err := meshConfigOf(ex)
	if err != nil {
		return nil, err
	}
	e.Mesh = m

	var docs []string
	for _, o := range ex.Objects {
		if istioGroups[o.Group()] {
			docs = append(docs, string(o.Raw))
		}
	}
	if len(docs) > 0 {
		cfgs, _, err := crd.ParseInputs(strings.Join(docs, "\n---\n"))
		if err != nil {
			return nil, fmt.Errorf("parsing Istio config: %w", err)
		}
		e.Configs = cfgs
	}

	objs, err := e.kubeObjects()
	if err != nil {
		return nil, err
	}

	f := &failer{}
	var srv *fakexds.FakeDiscoveryServer
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv = fakexds.NewFakeDiscoveryServer(f, fakexds.FakeOptions{
			Configs:           e.Configs,
			KubernetesObjects: objs,
			MeshConfig:        m,
		})
	}()
	<-done
	e.failer = f
	if f.err != nil {
		f.cleanup()
		return nil, fmt.Errorf("starting pilot's discovery server: %w", f.err)
	}
	e.Server = srv
	ok = true
	return e, nil
}

// meshConfigOf reads the mesh config the library emitted (ConfigMap `istio` or
// `istio-<rev>` in the control-plane namespace, key `mesh`), else Istio's default.
func meshConfigOf(ex *manifest.Example) (*meshconfig.MeshConfig, error) {
	var cms []manifest.Object
	for _, o := range ex.ByKind("", "ConfigMap") {
		if o.GetName() == "istio" || strings.HasPrefix(o.GetName(), "istio-") && !strings.Contains(o.GetName(), "sidecar-injector") && !strings.Contains(o.GetName(), "ca-root") {
			if data, ok := o.Object["data"].(map[string]any); ok {
				if _, ok := data["mesh"]; ok {
					cms = append(cms, o)
				}
			}
		}
	}
	if len(cms) == 0 {
		return mesh.DefaultMeshConfig(), nil
	}
	sort.SliceStable(cms, func(i, j int) bool { return cms[i].GetName() == "istio" && cms[j].GetName() != "istio" })
	data := cms[0].Object["data"].(map[string]any)
	text, _ := data["mesh"].(string)
	m, err := mesh.ApplyMeshConfigDefaults(text)
	if err != nil {
		return nil, fmt.Errorf("ConfigMap %s/%s key mesh: %w", cms[0].GetNamespace(), cms[0].GetName(), err)
	}
	return m, nil
}

var workloadKinds = map[string]string{"Deployment": "apps", "StatefulSet": "apps", "DaemonSet": "apps", "Rollout": "argoproj.io"}

// kubeObjects converts the example's Kubernetes objects for the fake cluster and
// synthesizes what controllers would create: ClusterIPs, pods, EndpointSlices.
func (e *Env) kubeObjects() ([]k8sruntime.Object, error) {
	decode := kubelib.IstioCodec.UniversalDeserializer().Decode
	var out []k8sruntime.Object
	namespaces := map[string]bool{}
	needNS := map[string]bool{}
	svcIndex := 0
	for _, o := range e.Example.Objects {
		if ns := o.GetNamespace(); ns != "" {
			needNS[ns] = true
		}
		g, k := o.Group(), o.GetKind()
		keep := (g == "" && (k == "Service" || k == "ServiceAccount" || k == "Namespace" || k == "Secret")) ||
			g == "gateway.networking.k8s.io" ||
			// ambient: the ambient index reads these from the cluster, not from pilot's config store
			(e.ambient && ambientIndexKinds[g+"/"+k])
		if !keep {
			continue
		}
		src := o.Object
		if e.ambient && isWaypoint(o) {
			src = waypointWithStatus(o)
		}
		if g == "gateway.networking.k8s.io" && k == "ReferenceGrant" && o.GroupVersionKind().Version == "v1" {
			// the API server serves v1 and stores v1beta1 (same schema); pilot watches v1beta1
			src = map[string]any{}
			for key, v := range o.Object {
				src[key] = v
			}
			src["apiVersion"] = "gateway.networking.k8s.io/v1beta1"
		}
		data, err := json.Marshal(src)
		if err != nil {
			return nil, err
		}
		obj, _, err := decode(data, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.ID(), err)
		}
		switch t := obj.(type) {
		case *corev1.Namespace:
			namespaces[t.Name] = true
		case *corev1.Service:
			svcIndex++
			if t.Spec.ClusterIP == "" && t.Spec.Type != corev1.ServiceTypeExternalName {
				t.Spec.ClusterIP = fmt.Sprintf("10.96.%d.%d", svcIndex/250, svcIndex%250+1)
			}
			e.Services = append(e.Services, t)
		}
		out = append(out, obj)
	}
	for ns := range needNS {
		if !namespaces[ns] {
			out = append(out, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		}
	}

	gatewaySelectors := e.gatewaySelectors()
	nsLabels := map[string]map[string]string{}
	for _, o := range e.Example.ByKind("", "Namespace") {
		nsLabels[o.GetName()] = o.GetLabels()
	}
	podIndex := 0
	for _, o := range e.Example.Objects {
		if grp, ok := workloadKinds[o.GetKind()]; !ok || grp != o.Group() {
			continue
		}
		tmpl, ok, _ := unstructuredMap(o.Object, "spec", "template")
		if !ok {
			continue
		}
		meta, _ := tmpl["metadata"].(map[string]any)
		spec, _ := tmpl["spec"].(map[string]any)
		labels := stringMap(meta["labels"])
		annotations := stringMap(meta["annotations"])
		w := &Workload{Kind: o.GetKind(), Namespace: o.GetNamespace(), Name: o.GetName(), Labels: labels}
		if sa, ok := spec["serviceAccountName"].(string); ok {
			w.ServiceAccount = sa
		} else {
			w.ServiceAccount = "default"
		}
		for _, sel := range gatewaySelectors {
			if sel.ns != "" && sel.ns != w.Namespace {
				continue
			}
			if subset(sel.labels, labels) {
				w.Gateway = true
			}
		}
		w.Injected = !w.Gateway && injected(labels, annotations, nsLabels[w.Namespace])
		if e.ambient && !w.Gateway && ambientCaptured(w.Injected, labels, nsLabels[w.Namespace]) {
			w.Ambient = true
			annotations = withRedirection(annotations)
		}
		// labels the injector adds (what the endpoint metadata and proxy labels carry)
		if w.Injected || w.Gateway {
			w.Labels = copyMap(labels)
			w.Labels["security.istio.io/tlsMode"] = "istio"
			if _, ok := w.Labels["service.istio.io/canonical-name"]; !ok {
				w.Labels["service.istio.io/canonical-name"] = firstNonEmpty(labels["app.kubernetes.io/name"], labels["app"], w.Name)
			}
			if _, ok := w.Labels["service.istio.io/canonical-revision"]; !ok {
				w.Labels["service.istio.io/canonical-revision"] = firstNonEmpty(labels["app.kubernetes.io/version"], labels["version"], "latest")
			}
		}
		replicas := 1
		if r, ok, _ := unstructuredInt(o.Object, "spec", "replicas"); ok {
			replicas = int(r)
		}
		if replicas > 3 {
			replicas = 3 // enough endpoints to see EDS; keeps large meshes light
		}
		for i := 0; i < replicas; i++ {
			podIndex++
			ip := fmt.Sprintf("10.%d.%d.%d", 1+podIndex/62500, (podIndex/250)%250, podIndex%250+1)
			podObj := map[string]any{
				"apiVersion": "v1", "kind": "Pod",
				"metadata": map[string]any{
					"name": fmt.Sprintf("%s-%d", w.Name, i), "namespace": w.Namespace,
					"labels": toAny(w.Labels), "annotations": toAny(annotations),
				},
				"spec": spec,
				"status": map[string]any{
					"phase": "Running", "podIP": ip, "podIPs": []any{map[string]any{"ip": ip}},
					"conditions": []any{map[string]any{"type": "Ready", "status": "True"}},
				},
			}
			data, err := json.Marshal(podObj)
			if err != nil {
				return nil, err
			}
			obj, _, err := decode(data, nil, nil)
			if err != nil {
				return nil, fmt.Errorf("pod of %s: %w", w.ID(), err)
			}
			pod := obj.(*corev1.Pod)
			w.Pods = append(w.Pods, pod)
			out = append(out, pod)
		}
		e.Workloads = append(e.Workloads, w)
	}
	if e.ambient {
		for _, o := range e.Example.Objects {
			if !isWaypoint(o) {
				continue
			}
			objs, err := e.waypointDeployment(o, &podIndex, &svcIndex)
			if err != nil {
				return nil, err
			}
			out = append(out, objs...)
		}
	}

	// A probe client in every namespace with a mesh-bound VirtualService: the view of
	// any new caller there, so routes reach a proxy even when no emitted workload
	// calls the service.
	probeNS := map[string]bool{}
	for _, c := range e.Configs {
		if c.GroupVersionKind.Kind == "VirtualService" {
			probeNS[c.Namespace] = true
		}
	}
	var probeList []string
	for ns := range probeNS {
		probeList = append(probeList, ns)
	}
	sort.Strings(probeList)
	for _, ns := range probeList {
		podIndex++
		ip := fmt.Sprintf("10.%d.%d.%d", 1+podIndex/62500, (podIndex/250)%250, podIndex%250+1)
		labels := map[string]string{"app": ProbeApp, "security.istio.io/tlsMode": "istio",
			"service.istio.io/canonical-name": ProbeApp, "service.istio.io/canonical-revision": "latest"}
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: ProbeApp, Namespace: ns, Labels: labels},
			Spec:       corev1.PodSpec{ServiceAccountName: ProbeApp, Containers: []corev1.Container{{Name: "probe", Image: "probe"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
				Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
		}
		out = append(out, pod)
		e.Workloads = append(e.Workloads, &Workload{Kind: "Probe", Namespace: ns, Name: ProbeApp, Labels: labels,
			ServiceAccount: ProbeApp, Injected: true, Probe: true, Pods: []*corev1.Pod{pod}})
	}

	// EndpointSlices (what the endpointslice controller would write)
	for _, svc := range e.Services {
		if len(svc.Spec.Selector) == 0 {
			continue
		}
		slice := &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{
				Name: svc.Name + "-synth", Namespace: svc.Namespace,
				Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name},
			},
			AddressType: discoveryv1.AddressTypeIPv4,
		}
		var pods []*corev1.Pod
		for _, w := range e.Workloads {
			if w.Namespace != svc.Namespace || w.Probe || !subset(svc.Spec.Selector, w.Labels) {
				continue
			}
			pods = append(pods, w.Pods...)
		}
		ready := true
		for _, p := range pods {
			slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
				Addresses:  []string{p.Status.PodIP},
				Conditions: discoveryv1.EndpointConditions{Ready: &ready},
				TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name},
			})
		}
		for _, sp := range svc.Spec.Ports {
			name, proto := sp.Name, sp.Protocol
			port := targetPort(sp, pods)
			slice.Ports = append(slice.Ports, discoveryv1.EndpointPort{Name: &name, Port: &port, Protocol: &proto, AppProtocol: sp.AppProtocol})
		}
		out = append(out, slice)
	}
	return out, nil
}

// targetPort resolves a Service port's targetPort (numbers, or a container port name).
func targetPort(sp corev1.ServicePort, pods []*corev1.Pod) int32 {
	switch {
	case sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal != 0:
		return sp.TargetPort.IntVal
	case sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal != "":
		for _, p := range pods {
			for _, c := range p.Spec.Containers {
				for _, cp := range c.Ports {
					if cp.Name == sp.TargetPort.StrVal {
						return cp.ContainerPort
					}
				}
			}
		}
	}
	return sp.Port
}

type selector struct {
	ns     string // "" when the Gateway selects pods in every namespace (istiod default)
	labels map[string]string
}

// gatewaySelectors are the workload selectors of the emitted Istio Gateways.
func (e *Env) gatewaySelectors() []selector {
	var out []selector
	for _, o := range e.Example.ByKind("networking.istio.io", "Gateway") {
		sel, _, _ := unstructuredMap(o.Object, "spec", "selector")
		if len(sel) == 0 {
			continue
		}
		out = append(out, selector{labels: stringMap(sel)})
	}
	// Gateway API: a Gateway addressing a Service by hostname (Istio's manual
	// deployment) runs on the pods that Service selects.
	for _, o := range e.Example.ByKind("gateway.networking.k8s.io", "Gateway") {
		spec, _, _ := unstructuredMap(o.Object, "spec")
		for _, a := range manifest.Maps(spec["addresses"]) {
			if t, _ := a["type"].(string); t != "Hostname" {
				continue
			}
			v, _ := a["value"].(string)
			name, rest, _ := strings.Cut(v, ".")
			ns, _, _ := strings.Cut(rest, ".")
			if svc, ok := e.Example.Find("", "Service", ns, name); ok {
				sel, _, _ := unstructuredMap(svc.Object, "spec", "selector")
				if len(sel) > 0 {
					out = append(out, selector{ns: ns, labels: stringMap(sel)})
				}
			}
		}
	}
	return out
}

// injected is whether istiod's webhook would give the pod a sidecar (pod label or
// annotation first, then the namespace's istio-injection / istio.io/rev label).
func injected(labels, annotations, nsLabels map[string]string) bool {
	for _, m := range []map[string]string{labels, annotations} {
		switch m["sidecar.istio.io/inject"] {
		case "false":
			return false
		case "true":
			return true
		}
	}
	if nsLabels["istio-injection"] == "enabled" {
		return true
	}
	_, rev := nsLabels["istio.io/rev"]
	return rev
}

// ---- a test.Failer for running Istio's test harness outside `go test` ----

type failer struct {
	mu       sync.Mutex
	err      error
	cleanups []func()
}

var _ test.Failer = &failer{}

func (f *failer) Fail()         { f.Fatal("fail called") }
func (f *failer) FailNow()      { f.Fatal("fail now called") }
func (f *failer) Helper()       {}
func (f *failer) Skip(a ...any) { f.Fatal(a...) }
func (f *failer) Fatal(args ...any) {
	f.mu.Lock()
	if f.err == nil {
		f.err = errors.New(fmt.Sprint(args...))
	}
	f.mu.Unlock()
	runtime.Goexit()
}
func (f *failer) Fatalf(format string, args ...any) { f.Fatal(fmt.Sprintf(format, args...)) }
func (f *failer) Log(args ...any)                   {}
func (f *failer) Logf(string, ...any)               {}
func (f *failer) TempDir() string {
	d, _ := os.MkdirTemp("", "xds")
	f.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}
func (f *failer) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}
func (f *failer) cleanup() {
	f.mu.Lock()
	fns := f.cleanups
	f.cleanups = nil
	f.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}

// ---- small helpers over unstructured data ----

func unstructuredMap(o map[string]any, path ...string) (map[string]any, bool, error) {
	cur := any(o)
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false, nil
		}
		cur = m[p]
	}
	m, ok := cur.(map[string]any)
	return m, ok, nil
}

func unstructuredInt(o map[string]any, path ...string) (int64, bool, error) {
	m, ok, _ := unstructuredMap(o, path[:len(path)-1]...)
	if !ok {
		return 0, false, nil
	}
	switch v := m[path[len(path)-1]].(type) {
	case int64:
		return v, true, nil
	case float64:
		return int64(v), true, nil
	case int:
		return int64(v), true, nil
	}
	return 0, false, nil
}

func stringMap(v any) map[string]string {
	out := map[string]string{}
	if m, ok := v.(map[string]any); ok {
		for k, x := range m {
			if s, ok := x.(string); ok {
				out[k] = s
			}
		}
	}
	return out
}

func toAny(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// Proxy is a named proxy set up in pilot.
type Proxy struct {
	Name     string // e.g. "sidecar shop/user-service-v1"
	Workload *Workload
	Model    *model.Proxy
}

// Proxies sets up one proxy per workload: a sidecar of each injected workload and a
// router of each gateway workload (the first pod of each).
func (e *Env) Proxies() []*Proxy {
	var out []*Proxy
	for _, w := range e.Workloads {
		if (!w.Injected && !w.Gateway && !w.Waypoint) || len(w.Pods) == 0 {
			continue
		}
		out = append(out, e.ProxyFor(w))
	}
	return out
}

// ProxyFor sets up the proxy of a workload's first pod.
func (e *Env) ProxyFor(w *Workload) *Proxy {
	pod := w.Pods[0]
	typ, kind := model.SidecarProxy, "sidecar"
	if w.Probe {
		kind = "probe"
	}
	if w.Gateway {
		typ, kind = model.Router, "gateway"
	}
	if w.Waypoint {
		typ, kind = model.Waypoint, "waypoint"
	}
	p := &model.Proxy{
		Type:            typ,
		ID:              pod.Name + "." + pod.Namespace,
		IPAddresses:     []string{pod.Status.PodIP},
		ConfigNamespace: pod.Namespace,
		Labels:          copyMap(w.Labels),
		Metadata: &model.NodeMetadata{
			Namespace:      pod.Namespace,
			Labels:         copyMap(w.Labels),
			ClusterID:      constants.DefaultClusterName,
			IstioVersion:   IstioVersion,
			ServiceAccount: w.ServiceAccount,
			WorkloadName:   w.Name,
		},
		DNSDomain: pod.Namespace + ".svc." + DomainSuffix,
	}
	p = e.Server.SetupProxy(p)
	return &Proxy{Name: fmt.Sprintf("%s %s/%s", kind, w.Namespace, w.Name), Workload: w, Model: p}
}
