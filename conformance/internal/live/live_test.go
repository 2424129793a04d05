package live

import (
	"testing"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/inject"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/xds"
)

func obj(kind, name string, wave string) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": kind, "metadata": map[string]any{"name": name}}}
	if wave != "" {
		o.SetAnnotations(map[string]string{syncWaveAnnotation: wave})
	}
	return o
}

func TestSyncOrdersByWaveThenKindThenName(t *testing.T) {
	s, err := NewSync(&Cluster{Kube: nil}, []*unstructured.Unstructured{
		obj("Deployment", "b", "0"), obj("Service", "z", "0"), obj("ConfigMap", "a", "-1"),
		obj("CustomResourceDefinition", "c", "-3"), obj("Namespace", "n", "-3"), obj("Gateway", "g", "0"),
	})
	if err != nil {
		t.Fatal(err)
	}
	{
		var got []string
		for _, task := range s.Tasks {
			got = append(got, task.ID)
		}
		want := []string{"Namespace n", "CustomResourceDefinition c", "ConfigMap a", "Service z", "Deployment b", "Gateway g"}
		if len(got) != len(want) {
			t.Fatalf("got %v", got)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("order %v, want %v", got, want)
			}
		}
	}
}

func TestSyncRejectsANonNumericWave(t *testing.T) {
	if _, err := NewSync(&Cluster{}, []*unstructured.Unstructured{obj("ConfigMap", "a", "first")}); err == nil {
		t.Fatal("a sync wave that is not a number must be an error")
	}
}

func TestIgnoredFieldsAreCopiedFromLiveAndDropped(t *testing.T) {
	live := map[string]any{"webhooks": []any{map[string]any{"name": "a", "failurePolicy": "Fail", "sideEffects": "None"}}}
	target := map[string]any{"webhooks": []any{map[string]any{"name": "a", "failurePolicy": "Ignore", "sideEffects": "None"}}}
	if err := copyPaths(".webhooks[]?.failurePolicy", live, target); err != nil {
		t.Fatal(err)
	}
	if got := target["webhooks"].([]any)[0].(map[string]any)["failurePolicy"]; got != "Fail" {
		t.Fatalf("RespectIgnoreDifferences must apply the live value, got %v", got)
	}
	out, err := deletePaths(`.webhooks[] | select(.name == "a") | .failurePolicy`, target)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out["webhooks"].([]any)[0].(map[string]any)["failurePolicy"]; ok {
		t.Fatal("the ignored field must be removed from the diff")
	}
}

func TestFirstDifferenceFindsNestedChanges(t *testing.T) {
	a := map[string]any{"spec": map[string]any{"http": []any{map[string]any{"timeout": "1s"}}}}
	b := map[string]any{"spec": map[string]any{"http": []any{map[string]any{"timeout": "2s"}}}}
	if d := firstDifference(a, b, ""); d == "" {
		t.Fatal("a changed timeout must be a difference")
	}
	if d := firstDifference(a, a, ""); d != "" {
		t.Fatalf("no difference expected, got %s", d)
	}
}

func TestCompareXDSReportsMissingClustersAndRoutes(t *testing.T) {
	live := &XDSConfig{
		Clusters: []*cluster.Cluster{{Name: "outbound|80||a.ns.svc.cluster.local"}, {Name: "outbound|443||kubernetes.default.svc.cluster.local"}},
		Routes: []*route.RouteConfiguration{{Name: "80", VirtualHosts: []*route.VirtualHost{
			{Name: "a.ns.svc.cluster.local:80", Domains: []string{"a.ns.svc.cluster.local", "10.96.0.9"}, Routes: []*route.Route{{Name: "default"}}},
		}}},
	}
	gen := &xds.Config{
		Clusters: []*cluster.Cluster{{Name: "outbound|80||a.ns.svc.cluster.local"}, {Name: "outbound|80|v2|a.ns.svc.cluster.local"}},
		Routes: []*route.RouteConfiguration{{Name: "80", VirtualHosts: []*route.VirtualHost{
			{Name: "a.ns.svc.cluster.local:80", Domains: []string{"a.ns.svc.cluster.local", "10.1.0.3"}, Routes: []*route.Route{{Name: "canary"}}},
		}}},
	}
	_, _, diffs := CompareXDS(live, gen)
	if len(diffs) != 2 {
		t.Fatalf("want the missing v2 cluster and the differing route, got %v", diffs)
	}
	gen.Clusters = gen.Clusters[:1]
	gen.Routes[0].VirtualHosts[0].Routes[0].Name = "default"
	if _, _, diffs := CompareXDS(live, gen); len(diffs) != 0 {
		t.Fatalf("same config (IP domains and the kubernetes Service aside) must compare equal, got %v", diffs)
	}
}

func TestWeightSequences(t *testing.T) {
	if !subsequence([]int64{10, 50, 100}, []int64{0, 10, 0, 50, 100, 0}) {
		t.Fatal("declared weights in order with others between must match")
	}
	if subsequence([]int64{10, 50, 100}, []int64{10, 100, 50}) {
		t.Fatal("weights out of order must not match")
	}
}

func TestPodDeviationsAcceptOnlyWhatTheyName(t *testing.T) {
	moved := inject.Difference{Path: "spec.initContainers[istio-proxy].env(order)", Ours: []string{"A", "B"}, Theirs: []string{"B", "A"}}
	if _, ok := inject.Accepted(PodDeviations, moved); !ok {
		t.Fatal("an env order change with the same entries is listed")
	}
	changed := inject.Difference{Path: "spec.initContainers[istio-proxy].env(order)", Ours: []string{"A", "B"}, Theirs: []string{"A", "C"}}
	if _, ok := inject.Accepted(PodDeviations, changed); ok {
		t.Fatal("different env entries must not be listed")
	}
	hook := inject.Difference{Path: "spec.initContainers[istio-proxy].lifecycle.postStart", Ours: map[string]any{"exec": 1}, Theirs: nil}
	if _, ok := inject.Accepted(PodDeviations, hook); ok {
		t.Fatal("a postStart hook the live istiod added and the prediction lacks must fail")
	}
}

func TestSumMetric(t *testing.T) {
	text := "# TYPE x counter\nx{type=\"admit\",name=\"a\"} 3\nx{type=\"validating\",name=\"b\"} 2\nx{type=\"admit\",name=\"c\"} 4\n"
	if got := sumMetric(text, "x", `type="admit"`); got != 7 {
		t.Fatalf("got %v", got)
	}
}

func TestAgentMetadataComesFromTheProxyEnvironment(t *testing.T) {
	p := &corev1.Pod{Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "istio-init"}},
		Containers: []corev1.Container{
			{Name: "app", Env: []corev1.EnvVar{{Name: "ISTIO_META_CLUSTER_ID", Value: "not-the-proxy"}}},
			{Name: "istio-proxy", Env: []corev1.EnvVar{
				{Name: "ISTIO_META_CLUSTER_ID", Value: "eu-west-1"},
				{Name: "ISTIO_META_NODE_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
				{Name: "PILOT_CERT_PROVIDER", Value: "istiod"},
			}},
		},
	}}
	got := AgentMetadata(p)
	if len(got) != 1 || got["CLUSTER_ID"] != "eu-west-1" {
		t.Fatalf("metadata %v: want the istio-proxy container's literal ISTIO_META_* values only", got)
	}
}
