// Package analysis runs an example's complete output (every chart together, as one cluster
// would see it) through Istio's offline analyzers: the SourceAnalyzer that `istioctl analyze`
// builds for files, with analyzers.AllCombined() (every analyzer enabled), the mesh config
// taken from the emitted `istio` ConfigMap.
//
// Two differences from `istioctl analyze --use-kube=false`, both to see the output as a
// cluster would:
//   - Services, Namespaces and Pods in the files are analyzed (istioctl reads those kinds
//     from the live cluster and drops them from files). The output has no Pods, so one Pod
//     per Deployment and Argo Rollout is derived from its pod template, as the ReplicaSet
//     controller would create it before admission (the subset, selector and injection
//     analyzers need them).
//   - No built-in default ingress gateway is added (AddDefaultResources): the output
//     declares its own gateways, and a stand-in could hide a missing one.
//
// A `galley.istio.io/analyze-suppress` annotation in the output is removed before analysis
// (and reported), so the library cannot silence its own findings.
package analysis

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"istio.io/api/annotation"
	"istio.io/istio/pkg/config/analysis/analyzers"
	"istio.io/istio/pkg/config/analysis/diag"
	"istio.io/istio/pkg/config/analysis/local"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/config/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/report"
)

// Stage is the name printed in the report.
const Stage = "analysis"

// Accepted is a message that is not a defect, with the reason. Code and a substring of the
// message's origin ("Kind name.namespace") select it; Contains (optional) narrows it to a
// substring of the message text.
type Accepted struct {
	Code, Origin, Contains, Reason string
}

// AcceptedMessages lists the analyzer messages accepted with a reason.
var AcceptedMessages []Accepted

// Result is what one analysis produced.
type Result struct {
	Messages     diag.Messages
	MeshConfig   string // "ConfigMap ns/name" or "defaults"
	IstioNS      string
	DerivedPods  int
	Executed     int
	Skipped      []string
	Unsuppressed []string // objects whose analyze-suppress annotation was removed
	// injector ConfigMaps whose values lack sidecarInjectorWebhook.enableNamespacesByDefault:
	// Istio's injection analyzer (and so `istioctl analyze` on such a cluster) panics on
	// them; they are analyzed with the value istiod's injector assumes (false)
	InjectorValuesPatched []string
	TrustDomain           string
}

// InjectorValuesFinding is the reason a patched injector ConfigMap is listed, not failed.
var InjectorValuesFinding = ""

// Run analyzes ex and records each message.
func Run(ex *manifest.Example, r *report.Report) error {
	res, err := Analyze(ex)
	if err != nil {
		return err
	}
	r.Count(ex.Name, Stage, "objects", len(ex.Objects))
	r.Count(ex.Name, Stage, "derivedPods", res.DerivedPods)
	r.Count(ex.Name, Stage, "analyzers", res.Executed)
	r.Count(ex.Name, Stage, "messages", len(res.Messages))
	for _, s := range res.Unsuppressed {
		r.Fail(ex.Name, Stage, s, "carries "+annotation.GalleyAnalyzeSuppress.Name+", which would hide analyzer messages")
	}
	for _, s := range res.InjectorValuesPatched {
		msg := "values JSON has no sidecarInjectorWebhook.enableNamespacesByDefault: Istio's injection.Analyzer panics on it (interface conversion: nil, not bool); analyzed with false"
		if InjectorValuesFinding != "" {
			r.List(ex.Name, Stage, s, msg, InjectorValuesFinding)
		} else {
			r.Fail(ex.Name, Stage, s, msg)
		}
	}
	for i := range res.Messages {
		m := &res.Messages[i]
		subject := origin(m)
		text := m.String()
		if reason, ok := accepted(m); ok {
			r.List(ex.Name, Stage, subject, text, reason)
			continue
		}
		if reason, ok := controlPlaneNamespace(ex, m); ok {
			r.List(ex.Name, Stage, subject, text, reason)
			continue
		}
		r.Fail(ex.Name, Stage, subject, text)
	}
	r.Count(ex.Name, Stage, "principals", CheckPrincipals(ex, r, res.TrustDomain))
	if len(res.Messages) == 0 {
		r.Pass(ex.Name, Stage, "all", fmt.Sprintf("%d analyzers, mesh config from %s: no messages", res.Executed, res.MeshConfig))
	}
	return nil
}

// Analyze runs all of Istio's analyzers on ex.
func Analyze(ex *manifest.Example) (*Result, error) {
	res := &Result{IstioNS: istioNamespace(ex), MeshConfig: "defaults"}
	sa := local.NewSourceAnalyzer(analyzers.AllCombined(), "", resource.Namespace(res.IstioNS), nil)

	res.TrustDomain = mesh.DefaultMeshConfig().GetTrustDomain()
	if cm, meshYAML, ok := meshConfigMap(ex, res.IstioNS); ok {
		// validate it the way istiod reads it, then hand it to the analyzer (which reads a file)
		mc, err := mesh.ApplyMeshConfigDefaults(meshYAML)
		if err != nil {
			return nil, fmt.Errorf("mesh config of %s does not load: %v", cm, err)
		}
		res.TrustDomain = mc.GetTrustDomain()
		f, err := os.CreateTemp("", "conformance-mesh-*.yaml")
		if err != nil {
			return nil, err
		}
		defer os.Remove(f.Name())
		if _, err := f.WriteString(meshYAML); err != nil {
			return nil, err
		}
		f.Close()
		if err := sa.AddFileKubeMeshConfig(f.Name()); err != nil {
			return nil, fmt.Errorf("mesh config of %s: %v", cm, err)
		}
		res.MeshConfig = cm
	}

	var readers []local.ReaderSource
	for _, file := range ex.Files {
		var docs []string
		for _, o := range ex.Objects {
			if o.File != filepath.Base(file) {
				continue
			}
			doc, stripped, err := withoutSuppress(o)
			if err != nil {
				return nil, err
			}
			if patched, ok, err := injectorValuesFilled(o); err != nil {
				return nil, err
			} else if ok {
				res.InjectorValuesPatched = append(res.InjectorValuesPatched, o.ID())
				doc = patched
			}
			if stripped {
				res.Unsuppressed = append(res.Unsuppressed, o.ID())
			}
			docs = append(docs, doc)
		}
		readers = append(readers, local.ReaderSource{Name: filepath.Base(file), Reader: strings.NewReader(strings.Join(docs, "\n---\n"))})
	}
	pods, n, err := derivedPods(ex)
	if err != nil {
		return nil, err
	}
	res.DerivedPods = n
	if n > 0 {
		readers = append(readers, local.ReaderSource{Name: derivedPodsSource, Reader: strings.NewReader(pods)})
	}
	// the test variant reads Services, Namespaces and Pods from the files too
	if err := sa.AddTestReaderKubeSource(readers); err != nil {
		return nil, fmt.Errorf("Istio's file source rejected the output: %v", err)
	}
	cancel := make(chan struct{})
	defer close(cancel)
	out, err := sa.Analyze(cancel)
	if err != nil {
		return nil, err
	}
	res.Messages = out.Messages
	res.Executed = len(out.ExecutedAnalyzers)
	res.Skipped = out.SkippedAnalyzers
	return res, nil
}

// istioNamespace is the namespace of istiod's Deployment (istio-system if none).
func istioNamespace(ex *manifest.Example) string {
	for _, o := range ex.ByKind("apps", "Deployment") {
		if strings.HasPrefix(o.GetName(), "istiod") {
			return o.GetNamespace()
		}
	}
	return "istio-system"
}

// controlPlaneNamespace accepts IST0102 (NamespaceNotInjected, an Info) on the namespace that
// runs istiod: like upstream's istio-system it carries no injection label (istiod is never
// injected; a gateway placed there is injected by its pod label), and the analyzer exempts
// only the literal name istio-system, not a control plane installed elsewhere.
func controlPlaneNamespace(ex *manifest.Example, m *diag.Message) (string, bool) {
	if m.Type.Code() != "IST0102" || m.Resource == nil {
		return "", false
	}
	if m.Resource.Metadata.FullName.Name.String() != istioNamespace(ex) {
		return "", false
	}
	return "the control-plane namespace carries no injection label, as upstream's istio-system does; " +
		"the analyzer exempts only the name istio-system", true
}

// meshConfigMap returns the mesh config istiod reads: ConfigMap `istio` in the istio
// namespace, else (revisioned control planes only) the last `istio-<rev>` by name.
func meshConfigMap(ex *manifest.Example, ns string) (string, string, bool) {
	var name, data string
	for _, o := range ex.ByKind("", "ConfigMap") {
		if o.GetNamespace() != ns {
			continue
		}
		n := o.GetName()
		if n != "istio" && !(strings.HasPrefix(n, "istio-") && !strings.HasPrefix(n, "istio-sidecar-injector") && !strings.Contains(n, "ca-root")) {
			continue
		}
		m, ok, _ := unstructuredString(o.Object, "data", "mesh")
		if !ok {
			continue
		}
		if n == "istio" {
			return "ConfigMap " + ns + "/istio", m, true
		}
		if n > name {
			name, data = n, m
		}
	}
	if name == "" {
		return "", "", false
	}
	return "ConfigMap " + ns + "/" + name, data, true
}

func unstructuredString(obj map[string]any, path ...string) (string, bool, error) {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false, nil
		}
		cur, ok = m[p]
		if !ok {
			return "", false, nil
		}
	}
	s, ok := cur.(string)
	return s, ok, nil
}

func withoutSuppress(o manifest.Object) (string, bool, error) {
	ann := o.GetAnnotations()
	if _, ok := ann[annotation.GalleyAnalyzeSuppress.Name]; !ok {
		return string(o.Raw), false, nil
	}
	c := o.DeepCopy()
	delete(ann, annotation.GalleyAnalyzeSuppress.Name)
	c.SetAnnotations(ann)
	b, err := yaml.Marshal(c.Object)
	return string(b), true, err
}

// DerivedPodSuffix ends the name of a Pod derived from a workload's pod template.
const DerivedPodSuffix = "-derived"

const derivedPodsSource = "derived-pods"

// derivedPods builds one Pod per Deployment and Argo Rollout from its pod template. An
// injected gateway's `istio-proxy` carries `image: auto`, which the injection webhook replaces
// at admission with the proxy image of the injector's values; the derived Pod gets that image,
// as the running pod would (a Pod still carrying `auto` is IST0147, and its image is compared
// with the injector's by IST0158). Whether the webhooks select the pod at all is checked on
// the Deployment by the same analyzer and by the inject stage.
func derivedPods(ex *manifest.Example) (string, int, error) {
	var docs []string
	workloads := append(ex.ByKind("apps", "Deployment"), ex.ByKind("argoproj.io", "Rollout")...)
	for _, w := range workloads {
		tmpl, ok := w.Object["spec"].(map[string]any)["template"].(map[string]any)
		if !ok {
			continue // e.g. a Rollout with workloadRef: its Deployment is derived instead
		}
		meta, _ := tmpl["metadata"].(map[string]any)
		spec, err := resolveAutoImage(ex, w, meta, tmpl["spec"])
		if err != nil {
			return "", 0, err
		}
		annotations := meta["annotations"]
		if labels, _ := meta["labels"].(map[string]any); ambientCaptured(ex, w.GetNamespace(), labels) {
			annotations = withAmbientRedirection(annotations) // set by istio-cni at run time (ambient.go)
		}
		pod := map[string]any{
			"apiVersion": "v1",
			"kind":       "Pod",
			"metadata": map[string]any{
				"name":        w.GetName() + DerivedPodSuffix,
				"namespace":   w.GetNamespace(),
				"labels":      meta["labels"],
				"annotations": annotations,
			},
			"spec": spec,
		}
		b, err := yaml.Marshal(pod)
		if err != nil {
			return "", 0, err
		}
		docs = append(docs, string(b))
	}
	return strings.Join(docs, "\n---\n"), len(docs), nil
}

// resolveAutoImage returns spec with `image: auto` of istio-proxy replaced by the proxy image of
// the injector ConfigMap of the pod's revision (istio.io/rev label of pod or namespace).
func resolveAutoImage(ex *manifest.Example, w manifest.Object, meta map[string]any, specAny any) (any, error) {
	spec, ok := specAny.(map[string]any)
	if !ok {
		return specAny, nil
	}
	containers, _ := spec["containers"].([]any)
	auto := -1
	for i, c := range containers {
		cm, _ := c.(map[string]any)
		if cm["name"] == "istio-proxy" && cm["image"] == "auto" {
			auto = i
		}
	}
	if auto < 0 {
		return spec, nil
	}
	rev := ""
	if labels, ok := meta["labels"].(map[string]any); ok {
		rev, _ = labels["istio.io/rev"].(string)
	}
	if rev == "" {
		if ns, ok := ex.Find("", "Namespace", "", w.GetNamespace()); ok {
			rev = ns.GetLabels()["istio.io/rev"]
		}
	}
	name := "istio-sidecar-injector"
	if rev != "" && rev != "default" {
		name += "-" + rev
	}
	var image string
	for _, cm := range ex.ByKind("", "ConfigMap") {
		if cm.GetName() != name {
			continue
		}
		values, ok, _ := unstructuredString(cm.Object, "data", "values")
		if !ok {
			continue
		}
		v := struct {
			Global struct {
				Hub   string `json:"hub"`
				Tag   any    `json:"tag"`
				Proxy struct {
					Image string `json:"image"`
				} `json:"proxy"`
			} `json:"global"`
		}{}
		if err := json.Unmarshal([]byte(values), &v); err != nil {
			return nil, fmt.Errorf("%s: values is not JSON: %v", cm.ID(), err)
		}
		image = v.Global.Proxy.Image
		if !strings.Contains(image, "/") {
			image = fmt.Sprintf("%s/%s:%v", v.Global.Hub, image, v.Global.Tag)
		}
	}
	if image == "" {
		return spec, nil // no injector of that revision: left as `auto`, so IST0147 reports it
	}
	out := maps.Clone(spec)
	cs := append([]any(nil), containers...)
	c := maps.Clone(cs[auto].(map[string]any))
	c["image"] = image
	cs[auto] = c
	out["containers"] = cs
	return out, nil
}

func origin(m *diag.Message) string {
	if m.Resource == nil {
		return "(no resource)"
	}
	return m.Resource.Origin.FriendlyName()
}

func accepted(m *diag.Message) (string, bool) {
	if m.Type.Code() == "IST0103" && m.Resource != nil && m.Resource.Origin.Reference() != nil &&
		m.Resource.Origin.Reference().String() != "" && strings.HasSuffix(origin(m), DerivedPodSuffix) &&
		strings.Contains(m.Resource.Origin.Reference().String(), derivedPodsSource) {
		return derivedPodReason, true
	}
	for _, a := range AcceptedMessages {
		if a.Code == m.Type.Code() && strings.Contains(origin(m), a.Origin) && strings.Contains(m.String(), a.Contains) {
			return a.Reason, true
		}
	}
	return "", false
}

// injectorValuesFilled returns the injector ConfigMap o with
// sidecarInjectorWebhook.enableNamespacesByDefault set to false when its values lack it.
func injectorValuesFilled(o manifest.Object) (string, bool, error) {
	if o.GetKind() != "ConfigMap" || o.Group() != "" || !strings.HasPrefix(o.GetName(), "istio-sidecar-injector") {
		return "", false, nil
	}
	values, ok, _ := unstructuredString(o.Object, "data", "values")
	if !ok {
		return "", false, nil
	}
	v := map[string]any{}
	if err := json.Unmarshal([]byte(values), &v); err != nil {
		return "", false, fmt.Errorf("%s: values is not JSON: %v", o.ID(), err)
	}
	sw, _ := v["sidecarInjectorWebhook"].(map[string]any)
	if sw == nil {
		sw = map[string]any{}
	}
	if _, isBool := sw["enableNamespacesByDefault"].(bool); isBool {
		return "", false, nil
	}
	sw["enableNamespacesByDefault"] = false
	v["sidecarInjectorWebhook"] = sw
	js, err := json.Marshal(v)
	if err != nil {
		return "", false, err
	}
	c := o.DeepCopy()
	if err := unstructured.SetNestedField(c.Object, string(js), "data", "values"); err != nil {
		return "", false, err
	}
	b, err := yaml.Marshal(c.Object)
	return string(b), true, err
}
