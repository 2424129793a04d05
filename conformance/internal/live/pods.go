package live

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/inject"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
)

// PodCheck is the outcome for one stored pod.
type PodCheck struct {
	Pod      string // namespace/name
	Owner    string // the workload of the output that made it ("Deployment shop/web-v1")
	Injected bool
	Problems []string // differences from the inject stage's prediction
}

var tokenVolume = regexp.MustCompile(`kube-api-access-[a-z0-9]{5}`)

// injectors builds the inject stage's webhook for each revision from the emitted ConfigMaps.
func injectors(ex *manifest.Example) (map[string]*inject.Injector, error) {
	out := map[string]*inject.Injector{}
	for _, o := range ex.ByKind("", "ConfigMap") {
		name := o.GetName()
		if name != "istio-sidecar-injector" && !strings.HasPrefix(name, "istio-sidecar-injector-") {
			continue
		}
		data, _, _ := unstructured.NestedStringMap(o.Object, "data")
		var v struct {
			Revision string `json:"revision"`
		}
		if err := json.Unmarshal([]byte(data["values"]), &v); err != nil {
			return nil, fmt.Errorf("%s values: %w", o.ID(), err)
		}
		meshName := "istio"
		if v.Revision != "" {
			meshName += "-" + v.Revision
		}
		meshObj, ok := ex.Find("", "ConfigMap", o.GetNamespace(), meshName)
		if !ok {
			return nil, fmt.Errorf("%s: no mesh ConfigMap %s", o.ID(), meshName)
		}
		meshData, _, _ := unstructured.NestedString(meshObj.Object, "data", "mesh")
		m, err := inject.ParseMesh(meshData)
		if err != nil {
			return nil, err
		}
		inj, err := inject.NewInjector(data["config"], data["values"], m, v.Revision)
		if err != nil {
			return nil, err
		}
		out[orDefault(v.Revision)] = inj
	}
	return out, nil
}

// CheckPods compares every injected pod stored in the API server with the inject stage's
// prediction: the workload's pod template as its controller creates it, injected by istiod's
// webhook code with the emitted ConfigMap, then defaulted and admitted by the same API server
// (a server-side dry-run create; the webhook leaves an already injected pod alone).
func CheckPods(ctx context.Context, c *Cluster, ex *manifest.Example) ([]PodCheck, error) {
	injs, err := injectors(ex)
	if err != nil {
		return nil, err
	}
	pods, err := c.Kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []PodCheck
	for i := range pods.Items {
		p := &pods.Items[i]
		status := p.Annotations["sidecar.istio.io/status"]
		owner, tmpl := templateOf(ctx, c, ex, p)
		pc := PodCheck{Pod: p.Namespace + "/" + p.Name, Owner: owner, Injected: status != ""}
		if !pc.Injected || tmpl == nil {
			if pc.Injected {
				pc.Problems = append(pc.Problems, "injected, but no workload of the output owns it")
			}
			out = append(out, pc)
			continue
		}
		rev := p.Annotations["istio.io/rev"]
		if rev == "" {
			rev = "default"
		}
		inj := injs[rev]
		if inj == nil {
			pc.Problems = append(pc.Problems, fmt.Sprintf("injected by revision %q, which has no istio-sidecar-injector ConfigMap in the output", rev))
			out = append(out, pc)
			continue
		}
		pc.Problems = comparePod(ctx, c, inj, tmpl, p)
		out = append(out, pc)
	}
	return out, nil
}

// templateOf finds the output's workload that owns the pod (ReplicaSet -> Deployment or Rollout)
// and returns the pod as that controller creates it, before admission.
func templateOf(ctx context.Context, c *Cluster, ex *manifest.Example, p *corev1.Pod) (string, *corev1.Pod) {
	ref := metav1.GetControllerOf(p)
	if ref == nil || ref.Kind != "ReplicaSet" {
		return "", nil
	}
	rs, err := c.Kube.AppsV1().ReplicaSets(p.Namespace).Get(ctx, ref.Name, getOpts)
	if err != nil {
		return "", nil
	}
	rsOwner := metav1.GetControllerOf(rs)
	if rsOwner == nil {
		return "", nil
	}
	group := "apps"
	if rsOwner.Kind == "Rollout" {
		group = "argoproj.io"
	}
	o, ok := ex.Find(group, rsOwner.Kind, p.Namespace, rsOwner.Name)
	var tmplObj map[string]any
	if ok {
		tmplObj, _, _ = unstructured.NestedMap(o.Object, "spec", "template")
	}
	owner := fmt.Sprintf("%s %s/%s", rsOwner.Kind, p.Namespace, rsOwner.Name)
	if tmplObj == nil {
		// a Rollout with workloadRef, or a workload istiod deployed (gateway/waypoint): the
		// ReplicaSet's template is what its controller copies into the pod
		b, _ := json.Marshal(rs.Spec.Template)
		_ = json.Unmarshal(b, &tmplObj)
		if !ok {
			owner += " (not in the output)"
		}
	}
	b, _ := json.Marshal(tmplObj)
	var t corev1.PodTemplateSpec
	if err := json.Unmarshal(b, &t); err != nil {
		return owner, nil
	}
	pod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: t.ObjectMeta, Spec: t.Spec}
	pod.Namespace, pod.GenerateName = p.Namespace, p.GenerateName
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	for _, k := range []string{"pod-template-hash", "rollouts-pod-template-hash"} {
		if v, ok := p.Labels[k]; ok {
			pod.Labels[k] = v
		}
	}
	pod.OwnerReferences = p.OwnerReferences
	if !ok {
		// not ours to predict: the controller that made it is istiod's
		return owner, nil
	}
	return owner, pod
}

func comparePod(ctx context.Context, c *Cluster, inj *inject.Injector, tmpl, stored *corev1.Pod) []string {
	// the webhook receives the pod after the API server defaulted it: default the template the
	// same way first (a dry-run create no injection webhook selects), then inject it
	probe := tmpl.DeepCopy()
	if probe.Labels == nil {
		probe.Labels = map[string]string{}
	}
	probe.Labels["sidecar.istio.io/inject"] = "false"
	defaultedTmpl, err := c.Kube.CoreV1().Pods(tmpl.Namespace).Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		return []string{"the pod template does not pass the API server's admission: " + err.Error()}
	}
	defaultedTmpl.Labels = tmpl.Labels
	defaultedTmpl.Name, defaultedTmpl.UID, defaultedTmpl.ResourceVersion = "", "", ""
	defaultedTmpl.CreationTimestamp = metav1.Time{}
	defaultedTmpl.ManagedFields = nil
	// the ServiceAccount token volume is added by admission after the webhooks: drop it so the
	// second admission adds it as it did for the stored pod
	defaultedTmpl.Spec.Volumes = withoutTokenVolume(defaultedTmpl.Spec.Volumes)
	for i := range defaultedTmpl.Spec.Containers {
		defaultedTmpl.Spec.Containers[i].VolumeMounts = withoutTokenMount(defaultedTmpl.Spec.Containers[i].VolumeMounts)
	}
	for i := range defaultedTmpl.Spec.InitContainers {
		defaultedTmpl.Spec.InitContainers[i].VolumeMounts = withoutTokenMount(defaultedTmpl.Spec.InitContainers[i].VolumeMounts)
	}
	predicted, injected, err := inj.Inject(defaultedTmpl, tmpl.Namespace)
	if err != nil {
		return []string{"inject stage's webhook: " + err.Error()}
	}
	if !injected {
		return []string{"istiod injected the pod, the inject stage predicts no injection"}
	}
	predicted.Name = ""
	predicted.ResourceVersion = ""
	defaulted, err := c.Kube.CoreV1().Pods(tmpl.Namespace).Create(ctx, predicted, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		return []string{"the prediction does not pass the API server's admission: " + err.Error()}
	}
	a, b := podForCompare(stored), podForCompare(defaulted)
	if dir := os.Getenv("LIVE_DUMP_PODS"); dir != "" {
		sa, _ := json.MarshalIndent(a, "", "  ")
		sb, _ := json.MarshalIndent(b, "", "  ")
		_ = os.WriteFile(filepath.Join(dir, stored.Name+".stored.json"), sa, 0o644)
		_ = os.WriteFile(filepath.Join(dir, stored.Name+".predicted.json"), sb, 0o644)
	}
	diffs, err := inject.ComparePods(a, b)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, d := range diffs {
		if dev, ok := inject.Accepted(PodDeviations, d); ok {
			out = append(out, listedPrefix+dev.Path+": "+dev.Reason)
			continue
		}
		out = append(out, fmt.Sprintf("%s: stored %s, predicted %s", d.Path, show(d.Ours), show(d.Theirs)))
	}
	return out
}

// listedPrefix marks a difference PodDeviations accepts.
const listedPrefix = "listed: "

// PodDeviations are the differences between the pod istiod injected in the live cluster and
// the inject stage's prediction that are accepted, each with why. Difference.Ours is the
// stored pod, Theirs the prediction.
var PodDeviations = []inject.Deviation{
	{
		Path:    "spec.*ontainers[istio-proxy].env(order)",
		Applies: func(d inject.Difference) bool { return sameEntries(d.Ours, d.Theirs) },
		Reason: "env order only (same entries): the inject stage's webhook runs with a fake multicluster controller that appends " +
			"ISTIO_META_CLUSTER_ID at the end; the live istiod (CLUSTER_ID=Kubernetes) leaves the template's entry in place",
	},
	{
		Path:    "spec.initContainers[istio-proxy].lifecycle.postStart",
		Applies: func(d inject.Difference) bool { return d.Ours == nil },
		Reason: "the live istiod reads the Nodes (kubelet v1.35.4 >= 1.33) and renders the template as a native sidecar, whose " +
			"start order already holds the application until the proxy is ready, so `pilot-agent wait` is not added; the inject " +
			"stage's webhook has no Node lister and adds the hook for holdApplicationUntilProxyStarts",
	},
}

func sameEntries(a, b any) bool {
	la, _ := a.([]string)
	lb, _ := b.([]string)
	if len(la) != len(lb) {
		return false
	}
	seen := map[string]int{}
	for _, x := range la {
		seen[x]++
	}
	for _, x := range lb {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

// podForCompare drops what the API server and the stand-in kubelet own (identity, times,
// binding, status) and the random suffix of the ServiceAccount token volume.
func podForCompare(p *corev1.Pod) *corev1.Pod {
	q := p.DeepCopy()
	q.Name, q.UID, q.ResourceVersion, q.Generation = "", "", "", 0
	q.CreationTimestamp = metav1.Time{}
	q.ManagedFields = nil
	q.Spec.NodeName = ""
	q.Status = corev1.PodStatus{}
	b, _ := json.Marshal(q)
	b = tokenVolume.ReplaceAll(b, []byte("kube-api-access-xxxxx"))
	var out corev1.Pod
	_ = json.Unmarshal(b, &out)
	return &out
}

func withoutTokenVolume(vs []corev1.Volume) []corev1.Volume {
	var out []corev1.Volume
	for _, v := range vs {
		if !tokenVolume.MatchString(v.Name) {
			out = append(out, v)
		}
	}
	return out
}

func withoutTokenMount(ms []corev1.VolumeMount) []corev1.VolumeMount {
	var out []corev1.VolumeMount
	for _, m := range ms {
		if !tokenVolume.MatchString(m.Name) {
			out = append(out, m)
		}
	}
	return out
}

func show(v any) string {
	if v == nil {
		return "(absent)"
	}
	b, _ := json.Marshal(v)
	if len(b) > 200 {
		return string(b[:197]) + "..."
	}
	return string(b)
}
