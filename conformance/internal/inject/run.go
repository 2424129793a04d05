// Package inject is the oracle's injection stage: every workload cdk8s-mesh
// emitted (Deployments, Argo Rollouts, gateways) is injected by istiod's own
// webhook code, fed with the istio-sidecar-injector ConfigMap and mesh config
// the library emitted for the pod's revision; the same pod is injected with
// Istio 1.30.3's upstream templates and default chart values, and the two pods
// are compared field by field. Every difference fails unless the Deliberate
// table lists it with its reason. A matrix of pod annotations users set is
// applied to every pod, compared again, and its effect asserted.
package inject

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	istiolog "istio.io/istio/pkg/log"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/report"
)

const stage = "inject"

// defaultDiscoveryAddress is Istio's built-in discovery address (mesh.DefaultProxyConfig).
const defaultDiscoveryAddress = "istiod.istio-system.svc:15012"

// Release is the Istio release whose templates and values are the reference.
const Release = "1.30.3"

// Deliberate lists every accepted difference between a pod injected with
// cdk8s-mesh's ConfigMap and the same pod injected with upstream's templates
// and default values, with the reason. Anything else fails.
var Deliberate = []Deviation{
	{
		Path:    "spec.*ontainers[istio-proxy].env(order)",
		Applies: onlyMoved("ISTIO_META_CLUSTER_ID"),
		Reason: "env order only: the library sets global.multiCluster.clusterName (IstioControlPlane clusterId, default Kubernetes), and " +
			"istiod then rewrites ISTIO_META_CLUSTER_ID at the end of the proxy's env; the chart default leaves it empty and the template " +
			"writes the same value (Kubernetes) in place. Same entries, same values",
	},
	{
		Path:    "spec.*ontainers[istio-*].image",
		Applies: func(d Difference) bool { return isProxyImage(d.Ours) && isProxyImage(d.Theirs) },
		Reason: "hub/tag: the library installs docker.io/istio/proxyv2:" + Release + " (IstioControlPlane hub/tag); the chart's " +
			"default values carry placeholders (registry.istio.io/testing, latest) that every real install overrides",
	},
}

// isProxyImage: a proxyv2 image of some hub and tag (only hub/tag may differ).
func isProxyImage(v any) bool {
	s, _ := v.(string)
	i := strings.LastIndex(s, "/")
	return i > 0 && strings.HasPrefix(s[i+1:], "proxyv2:")
}

// SharedDir is where the pinned release data lives: $CDK8S_MESH_SHARED or <repo>/../shared.
func SharedDir() string {
	if d := os.Getenv("CDK8S_MESH_SHARED"); d != "" {
		return d
	}
	wd, _ := os.Getwd()
	// conformance/ or the repository root
	for dir := wd; dir != "/" && dir != "."; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "conformance", "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared")
		}
	}
	return filepath.Join(wd, "..", "shared")
}

// controlPlane is one revision's pair of injectors.
type controlPlane struct {
	revision  string // "" for the default revision
	namespace string
	meshName  string // the mesh ConfigMap of the revision
	ours      *Injector
	upstream  *Injector
}

func (c *controlPlane) label() string {
	if c.revision == "" {
		return "default"
	}
	return c.revision
}

// webhook is one entry of a MutatingWebhookConfiguration, as the apiserver evaluates it.
type webhook struct {
	config, name string
	service      string
	namespaceSel labels.Selector
	objectSel    labels.Selector
	controlPlane *controlPlane
}

// workload is one pod template to inject.
type workload struct {
	kind, namespace, name string
	gateway               bool
	pod                   *corev1.Pod
}

func (w workload) subject() string { return fmt.Sprintf("%s %s/%s", w.kind, w.namespace, w.name) }

// Run injects every workload of the example with the library's and upstream's
// injection config and compares the pods.
func Run(ex *manifest.Example, r *report.Report) error {
	quietIstioLogs()
	up, err := loadUpstream(filepath.Join(SharedDir(), "istio", Release))
	if err != nil {
		return err
	}
	cps, err := controlPlanes(ex, up)
	if err != nil {
		r.Fail(ex.Name, stage, "istio-sidecar-injector", err.Error())
		return nil
	}
	if len(cps) == 0 {
		return nil // no control plane in this output: nothing injects its pods
	}
	hooks, err := webhooks(ex, cps)
	if err != nil {
		r.Fail(ex.Name, stage, "MutatingWebhookConfiguration", err.Error())
		return nil
	}
	nsLabels := namespaceLabels(ex)
	listed := map[string]int{}
	for _, w := range workloads(ex, r) {
		for _, c := range Matrix {
			runCase(ex.Name, r, w, c, hooks, nsLabels, listed)
		}
	}
	// each accepted deviation once per example, with its reason and how often it occurred
	for _, dev := range Deliberate {
		if n := listed[dev.Path]; n > 0 {
			r.List(ex.Name, stage, dev.Path, fmt.Sprintf("differs in %d injected pod(s)", n), dev.Reason)
		}
	}
	return nil
}

// selected returns the control planes whose webhooks the apiserver would call for the pod.
func selected(hooks []webhook, ns map[string]string, pod *corev1.Pod) []*webhook {
	var out []*webhook
	for i := range hooks {
		h := &hooks[i]
		if h.namespaceSel.Matches(labels.Set(ns)) && h.objectSel.Matches(labels.Set(pod.Labels)) {
			out = append(out, h)
		}
	}
	return out
}

func runCase(ex string, r *report.Report, w workload, c Case, hooks []webhook, nsLabels map[string]map[string]string, listed map[string]int) {
	if !c.appliesTo(w) {
		return
	}
	subject := w.subject()
	if c.Name != "" {
		subject += " [" + c.Name + "]"
	}
	pod := w.pod.DeepCopy()
	if c.Mutate != nil {
		c.Mutate(pod)
	}
	ns := nsLabels[w.namespace]
	if ns == nil {
		ns = map[string]string{}
	}
	ns = withName(ns, w.namespace)
	chosen := selected(hooks, ns, pod)
	cps := map[*controlPlane]bool{}
	for _, h := range chosen {
		cps[h.controlPlane] = true
	}
	if len(cps) > 1 {
		var names []string
		for _, h := range chosen {
			names = append(names, h.config+"/"+h.name)
		}
		r.Failf(ex, stage, subject, "selected by the webhooks of %d control planes (%s): the pod would be injected twice", len(cps), strings.Join(names, ", "))
		return
	}
	if len(chosen) == 0 {
		switch {
		case c.ExpectNotInjected:
			r.Pass(ex, stage, subject, "no injection webhook selects the pod, as the annotation asks")
			r.Count(ex, stage, "pods not injected (as asked)", 1)
		case w.gateway:
			r.Failf(ex, stage, subject, "no injection webhook selects the gateway pod (namespace labels %v, pod labels %v): its `image: auto` proxy would never be filled in", ns, pod.Labels)
		case c.Name == "":
			r.Pass(ex, stage, subject, fmt.Sprintf("not selected by any injection webhook (namespace %s labels %v): runs without a sidecar", w.namespace, nsLabels[w.namespace]))
			r.Count(ex, stage, "pods outside the mesh", 1)
		}
		return
	}
	cp := chosen[0].controlPlane
	ours, injectedOurs, err := cp.ours.Inject(pod, w.namespace)
	if err != nil {
		r.Failf(ex, stage, subject, "istiod-%s's webhook with the emitted ConfigMap: %v", cp.label(), err)
		return
	}
	theirs, injectedTheirs, err := cp.upstream.Inject(pod, w.namespace)
	if err != nil {
		r.Failf(ex, stage, subject, "upstream templates and values: %v", err)
		return
	}
	if c.ExpectNotInjected {
		r.Check(!injectedOurs && !injectedTheirs, ex, stage, subject, fmt.Sprintf("webhook of revision %s declines the pod (ours injected=%t, upstream injected=%t)", cp.label(), injectedOurs, injectedTheirs))
		r.Count(ex, stage, "pods not injected (as asked)", 1)
		return
	}
	if !injectedOurs {
		r.Failf(ex, stage, subject, "selected by the webhook of revision %s, which declined to inject it", cp.label())
		return
	}
	r.Count(ex, stage, "pods injected", 1)
	r.Count(ex, stage, "pods injected, revision "+cp.label(), 1)
	diffs, err := ComparePods(ours, theirs)
	if err != nil {
		r.Fail(ex, stage, subject, err.Error())
		return
	}
	r.Count(ex, stage, "pods compared", 1)
	unexplained := 0
	for _, d := range diffs {
		if dev, ok := Accepted(Deliberate, d); ok {
			r.Count(ex, stage, "listed differences", 1)
			listed[dev.Path]++
			continue
		}
		unexplained++
		r.Fail(ex, stage, subject, "differs from upstream injection: "+d.String())
	}
	if unexplained == 0 {
		r.Pass(ex, stage, subject, fmt.Sprintf("identical to upstream injection except %d listed field(s)", len(diffs)))
	}
	for _, msg := range invariants(ours, cp, w) {
		r.Fail(ex, stage, subject, msg)
	}
	if c.Expect != nil {
		if err := c.Expect(ours, w); err != nil {
			r.Failf(ex, stage, subject, "annotation without its effect: %v", err)
		} else {
			r.Pass(ex, stage, subject, "annotation took effect")
			r.Count(ex, stage, "annotation effects asserted", 1)
		}
	}
}

func withName(ns map[string]string, name string) map[string]string {
	out := map[string]string{"kubernetes.io/metadata.name": name}
	for k, v := range ns {
		out[k] = v
	}
	return out
}

// invariants every injected pod must satisfy: its proxy talks to its own revision's istiod
// and reads its own revision's mesh config.
func invariants(pod *corev1.Pod, cp *controlPlane, w workload) []string {
	var out []string
	proxy := findContainer(pod, "istio-proxy")
	if proxy == nil {
		return []string{"no istio-proxy container after injection"}
	}
	if proxy.Image == "" || proxy.Image == "auto" {
		out = append(out, fmt.Sprintf("istio-proxy image %q was not resolved", proxy.Image))
	}
	istiod := "istiod"
	if cp.revision != "" {
		istiod += "-" + cp.revision
	}
	want := fmt.Sprintf("%s.%s.svc:15012", istiod, cp.namespace)
	if got := envValue(proxy, "CA_ADDR"); got != want {
		out = append(out, fmt.Sprintf("CA_ADDR is %q, want %q (istiod of revision %s)", got, want, cp.label()))
	}
	// PROXY_CONFIG holds only what differs from Istio's defaults (the template prunes the rest)
	var pc struct {
		DiscoveryAddress string `json:"discoveryAddress"`
	}
	if err := json.Unmarshal([]byte(envValue(proxy, "PROXY_CONFIG")), &pc); err != nil {
		out = append(out, fmt.Sprintf("PROXY_CONFIG is not JSON: %v", err))
	}
	if pc.DiscoveryAddress == "" {
		pc.DiscoveryAddress = defaultDiscoveryAddress
	}
	if pc.DiscoveryAddress != want {
		out = append(out, fmt.Sprintf("PROXY_CONFIG discoveryAddress is %q, want %q (istiod of revision %s)", pc.DiscoveryAddress, want, cp.label()))
	}
	// a mounted mesh config ConfigMap must be the revision's own
	for _, v := range pod.Spec.Volumes {
		if v.ConfigMap == nil {
			continue
		}
		name := v.ConfigMap.Name
		if (name == "istio" || strings.HasPrefix(name, "istio-")) && !strings.HasPrefix(name, "istio-ca-") && name != cp.meshName {
			out = append(out, fmt.Sprintf("volume %s mounts ConfigMap %q, not the mesh config of revision %s (%q)", v.Name, name, cp.label(), cp.meshName))
		}
	}
	if got := pod.Annotations["istio.io/rev"]; got != cp.label() {
		out = append(out, fmt.Sprintf("istio.io/rev annotation is %q, want %q", got, cp.label()))
	}
	return out
}

func findContainer(pod *corev1.Pod, name string) *corev1.Container {
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			return &pod.Spec.InitContainers[i]
		}
	}
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i]
		}
	}
	return nil
}

func envValue(c *corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// --- reading the example --------------------------------------------------

func str(m map[string]any, path ...string) string {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[p]
	}
	s, _ := cur.(string)
	return s
}

func controlPlanes(ex *manifest.Example, up upstream) (map[string]*controlPlane, error) {
	out := map[string]*controlPlane{} // by "namespace/istiod service name"
	for _, o := range ex.ByKind("", "ConfigMap") {
		name := o.GetName()
		if name != "istio-sidecar-injector" && !strings.HasPrefix(name, "istio-sidecar-injector-") {
			continue
		}
		data := o.Object["data"].(map[string]any)
		config, _ := data["config"].(string)
		values, _ := data["values"].(string)
		var v struct {
			Revision string `json:"revision"`
		}
		if err := json.Unmarshal([]byte(values), &v); err != nil {
			return nil, fmt.Errorf("ConfigMap %s/%s values: %w", o.GetNamespace(), name, err)
		}
		meshName := "istio"
		if v.Revision != "" {
			meshName += "-" + v.Revision
		}
		meshObj, ok := ex.Find("", "ConfigMap", o.GetNamespace(), meshName)
		if !ok {
			return nil, fmt.Errorf("ConfigMap %s/%s: no mesh config ConfigMap %s in %s", o.GetNamespace(), name, meshName, o.GetNamespace())
		}
		m, err := ParseMesh(str(meshObj.Object, "data", "mesh"))
		if err != nil {
			return nil, fmt.Errorf("ConfigMap %s/%s mesh: %w", o.GetNamespace(), meshName, err)
		}
		ours, err := NewInjector(config, values, m, v.Revision)
		if err != nil {
			return nil, fmt.Errorf("ConfigMap %s/%s: %w", o.GetNamespace(), name, err)
		}
		upValues, err := up.values(v.Revision, o.GetNamespace(), values)
		if err != nil {
			return nil, err
		}
		theirs, err := NewInjector(up.config, upValues, m, v.Revision)
		if err != nil {
			return nil, fmt.Errorf("upstream injector: %w", err)
		}
		service := "istiod"
		if v.Revision != "" {
			service += "-" + v.Revision
		}
		out[o.GetNamespace()+"/"+service] = &controlPlane{revision: v.Revision, namespace: o.GetNamespace(), meshName: meshName, ours: ours, upstream: theirs}
	}
	return out, nil
}

func webhooks(ex *manifest.Example, cps map[string]*controlPlane) ([]webhook, error) {
	var out []webhook
	for _, o := range ex.ByKind("admissionregistration.k8s.io", "MutatingWebhookConfiguration") {
		list, _ := o.Object["webhooks"].([]any)
		for _, raw := range list {
			b, _ := json.Marshal(raw)
			var h struct {
				Name         string `json:"name"`
				ClientConfig struct {
					Service *struct{ Name, Namespace, Path string } `json:"service"`
				} `json:"clientConfig"`
				NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector"`
				ObjectSelector    *metav1.LabelSelector `json:"objectSelector"`
			}
			if err := json.Unmarshal(b, &h); err != nil {
				return nil, fmt.Errorf("%s: %w", o.ID(), err)
			}
			if h.ClientConfig.Service == nil {
				continue
			}
			cp := cps[h.ClientConfig.Service.Namespace+"/"+h.ClientConfig.Service.Name]
			if cp == nil {
				return nil, fmt.Errorf("%s webhook %s calls service %s/%s, which has no istio-sidecar-injector ConfigMap", o.ID(), h.Name,
					h.ClientConfig.Service.Namespace, h.ClientConfig.Service.Name)
			}
			sel := func(s *metav1.LabelSelector) (labels.Selector, error) {
				if s == nil {
					return labels.Everything(), nil
				}
				return metav1.LabelSelectorAsSelector(s)
			}
			ns, err := sel(h.NamespaceSelector)
			if err != nil {
				return nil, err
			}
			obj, err := sel(h.ObjectSelector)
			if err != nil {
				return nil, err
			}
			out = append(out, webhook{config: o.GetName(), name: h.Name, service: h.ClientConfig.Service.Name, namespaceSel: ns, objectSel: obj, controlPlane: cp})
		}
	}
	return out, nil
}

func namespaceLabels(ex *manifest.Example) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, o := range ex.ByKind("", "Namespace") {
		out[o.GetName()] = o.GetLabels()
		if out[o.GetName()] == nil {
			out[o.GetName()] = map[string]string{}
		}
	}
	return out
}

// workloads returns the pods the example's Deployments and Rollouts would create.
func workloads(ex *manifest.Example, r *report.Report) []workload {
	var out []workload
	add := func(kind string, o manifest.Object, hashLabel string) {
		tmpl, ok := o.Object["spec"].(map[string]any)["template"].(map[string]any)
		if !ok {
			r.Count(ex.Name, stage, "workloads without a pod template (workloadRef)", 1)
			return
		}
		b, _ := json.Marshal(tmpl)
		var t corev1.PodTemplateSpec
		if err := json.Unmarshal(b, &t); err != nil {
			r.Failf(ex.Name, stage, o.ID(), "pod template: %v", err)
			return
		}
		pod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: t.ObjectMeta, Spec: t.Spec}
		// what the ReplicaSet controller sets on the pods it creates (istiod derives the workload name from it)
		const hash = "5d8f7c9b64"
		rs := o.GetName() + "-" + hash
		pod.Namespace = o.GetNamespace()
		pod.GenerateName = rs + "-"
		if pod.Labels == nil {
			pod.Labels = map[string]string{}
		}
		pod.Labels[hashLabel] = hash
		yes := true
		pod.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs, UID: "conformance", Controller: &yes}}
		w := workload{kind: kind, namespace: o.GetNamespace(), name: o.GetName(), pod: pod}
		if pod.Annotations["inject.istio.io/templates"] == "gateway" {
			w.kind, w.gateway = "Gateway Deployment", true
		}
		out = append(out, w)
	}
	for _, o := range ex.ByKind("apps", "Deployment") {
		add("Deployment", o, "pod-template-hash")
	}
	for _, o := range ex.ByKind("argoproj.io", "Rollout") {
		add("Rollout", o, "rollouts-pod-template-hash")
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].subject() < out[j].subject() })
	return out
}

// --- upstream ---------------------------------------------------------------

type upstream struct {
	config   string
	defaults map[string]any // the istiod chart's default values
}

func loadUpstream(dir string) (upstream, error) {
	read := func(f string) (string, error) {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return "", fmt.Errorf("upstream Istio %s data: %w (set CDK8S_MESH_SHARED)", Release, err)
		}
		return string(b), nil
	}
	sidecar, err := read("injection-template.yaml")
	if err != nil {
		return upstream{}, err
	}
	gateway, err := read("gateway-injection-template.yaml")
	if err != nil {
		return upstream{}, err
	}
	valuesFile, err := read("istio-discovery-values.yaml")
	if err != nil {
		return upstream{}, err
	}
	// the chart's `config` key with its default settings
	cfg, err := yaml.Marshal(map[string]any{
		"defaultTemplates":     []string{"sidecar"},
		"policy":               "enabled",
		"alwaysInjectSelector": []any{},
		"neverInjectSelector":  []any{},
		"injectedAnnotations":  map[string]any{},
		"template":             "{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}",
		"templates":            map[string]string{"sidecar": sidecar, "gateway": gateway},
	})
	if err != nil {
		return upstream{}, err
	}
	var all map[string]any
	if err := yaml.Unmarshal([]byte(valuesFile), &all); err != nil {
		return upstream{}, err
	}
	defaults, ok := all["_internal_defaults_do_not_set"].(map[string]any)
	if !ok {
		return upstream{}, fmt.Errorf("istio-discovery-values.yaml: no _internal_defaults_do_not_set")
	}
	return upstream{config: string(cfg), defaults: defaults}, nil
}

// InstallChoices are the chart values that express an install's own choices (what a Helm
// user sets with --set for the same IstioControlPlane props): image hub and tag, cluster id,
// trust domain, proxy resources and log levels, holdApplicationUntilProxyStarts. The upstream
// side takes exactly these from the library's values, so a difference that remains is one
// the same choices made through Helm would not give.
var InstallChoices = [][]string{
	{"global", "hub"},
	{"global", "tag"},
	{"global", "multiCluster", "clusterName"},
	{"global", "trustDomain"},
	{"global", "logging", "level"},
	{"global", "proxy", "resources"},
	{"global", "proxy", "logLevel"},
	{"global", "proxy", "componentLogLevel"},
	{"global", "proxy", "holdApplicationUntilProxyStarts"},
}

// values renders the `values` key as the istiod chart does for an install of
// `revision` into `namespace` with default values except the InstallChoices of ours.
func (u upstream) values(revision, namespace, ours string) (string, error) {
	b, _ := json.Marshal(u.defaults)
	var d map[string]any
	_ = json.Unmarshal(b, &d)
	var o map[string]any
	if err := json.Unmarshal([]byte(ours), &o); err != nil {
		return "", fmt.Errorf("values: %w", err)
	}
	for _, path := range InstallChoices {
		v, ok := lookup(o, path...)
		if !ok {
			continue
		}
		parent := d
		for _, k := range path[:len(path)-1] {
			next, ok := parent[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				parent[k] = next
			}
			parent = next
		}
		parent[path[len(path)-1]] = v
	}
	global, _ := d["global"].(map[string]any)
	global["istioNamespace"] = namespace
	pick := func(m map[string]any, keys ...string) map[string]any {
		out := map[string]any{}
		for _, k := range keys {
			if v, ok := m[k]; ok {
				out[k] = v
			}
		}
		return out
	}
	gateways, _ := d["gateways"].(map[string]any)
	v := map[string]any{
		"global":                 global,
		"sidecarInjectorWebhook": d["sidecarInjectorWebhook"],
		"revision":               revision,
		"pilot":                  pick(d, "cni", "env"),
		"gateways":               pick(gateways, "securityContext", "seccompProfile"),
	}
	out, err := json.Marshal(v)
	return string(out), err
}

func lookup(m map[string]any, path ...string) (any, bool) {
	var cur any = m
	for _, k := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// quietIstioLogs keeps the webhook's per-request logging out of the report.
func quietIstioLogs() {
	for _, s := range istiolog.Scopes() {
		s.SetOutputLevel(istiolog.NoneLevel)
	}
}

// onlyMoved accepts an order difference where the lists are equal once the named entries are removed.
func onlyMoved(names ...string) func(Difference) bool {
	strip := func(v any) []string {
		var out []string
		list, _ := v.([]string)
		for _, x := range list {
			if !slicesContains(names, x) {
				out = append(out, x)
			}
		}
		return out
	}
	return func(d Difference) bool {
		return strings.Join(strip(d.Ours), ",") == strings.Join(strip(d.Theirs), ",")
	}
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
