package inject

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	meshconfig "istio.io/api/mesh/v1alpha1"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/config/mesh/meshwatcher"
	"istio.io/istio/pkg/kube/inject"
	"istio.io/istio/pkg/kube/multicluster"
)

// Injector is istiod's sidecar injection webhook, built from one
// istio-sidecar-injector ConfigMap (`config`, `values`) and one mesh config,
// and called through its HTTP handler with an AdmissionReview, as the
// kube-apiserver calls istiod.
type Injector struct {
	mux  *http.ServeMux
	Mesh *meshconfig.MeshConfig
}

// staticWatcher hands the webhook a fixed injection config (istiod watches the ConfigMap).
type staticWatcher struct {
	config *inject.Config
	values string
}

func (w staticWatcher) Run(<-chan struct{})                           {}
func (w staticWatcher) Get() (*inject.Config, string, error)          { return w.config, w.values, nil }
func (w staticWatcher) SetHandler(func(*inject.Config, string) error) {}

// ParseMesh applies a `mesh` ConfigMap value on Istio's defaults, as istiod does.
func ParseMesh(meshYAML string) (*meshconfig.MeshConfig, error) {
	return mesh.ApplyMeshConfigDefaults(meshYAML)
}

// NewInjector builds the webhook for one revision from the ConfigMap's `config` and `values`.
func NewInjector(configYAML, valuesJSON string, m *meshconfig.MeshConfig, revision string) (*Injector, error) {
	cfg, err := inject.UnmarshalConfig([]byte(configYAML))
	if err != nil {
		return nil, fmt.Errorf("injector config: %w", err)
	}
	if _, err := inject.NewValuesConfig(valuesJSON); err != nil {
		return nil, fmt.Errorf("injector values: %w", err)
	}
	store := model.NewFakeStore()
	env := &model.Environment{Watcher: meshwatcher.NewTestWatcher(m), ConfigStore: store}
	env.SetPushContext(&model.PushContext{ProxyConfigs: model.GetProxyConfigs(store, m)})
	mux := http.NewServeMux()
	if _, err := inject.NewWebhook(inject.WebhookParameters{
		Watcher:      staticWatcher{config: &cfg, values: valuesJSON},
		Env:          env,
		Mux:          mux,
		Revision:     revision,
		MultiCluster: multicluster.NewFakeController(),
	}); err != nil {
		return nil, err
	}
	return &Injector{mux: mux, Mesh: m}, nil
}

// Inject sends the pod (as created in namespace ns) to the webhook and applies
// the returned JSON patch. injected is false when the webhook declined (policy,
// `sidecar.istio.io/inject: "false"`).
func (i *Injector) Inject(pod *corev1.Pod, ns string) (out *corev1.Pod, injected bool, err error) {
	raw, err := json.Marshal(pod)
	if err != nil {
		return nil, false, err
	}
	review := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       types.UID("conformance"),
			Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			Namespace: ns,
			Operation: admissionv1.Create,
			Object:    runtime.RawExtension{Raw: raw},
		},
	}
	body, err := json.Marshal(review)
	if err != nil {
		return nil, false, err
	}
	req := httptest.NewRequest(http.MethodPost, "/inject", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	i.mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return nil, false, fmt.Errorf("webhook answered HTTP %d: %s", rec.Code, rec.Body.String())
	}
	var resp admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		return nil, false, fmt.Errorf("webhook response: %w", err)
	}
	if resp.Response == nil {
		return nil, false, fmt.Errorf("webhook response without response")
	}
	if !resp.Response.Allowed {
		msg := ""
		if resp.Response.Result != nil {
			msg = resp.Response.Result.Message
		}
		return nil, false, fmt.Errorf("webhook refused the pod: %s", msg)
	}
	if len(resp.Response.Patch) == 0 {
		return pod.DeepCopy(), false, nil
	}
	patch, err := jsonpatch.DecodePatch(resp.Response.Patch)
	if err != nil {
		return nil, false, fmt.Errorf("webhook patch: %w", err)
	}
	patched, err := patch.Apply(raw)
	if err != nil {
		return nil, false, fmt.Errorf("applying webhook patch: %w", err)
	}
	out = &corev1.Pod{}
	if err := json.Unmarshal(patched, out); err != nil {
		return nil, false, err
	}
	return out, true, nil
}
