package live

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
)

var (
	gatewaysGVR   = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}
	httpRoutesGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
)

// TestCertificates creates, as the user would before syncing, every TLS Secret the output's
// gateways refer to and does not carry: Gateway API certificateRefs and Istio Gateway
// credentialNames, signed by the run's CA for the listener's hostnames.
func TestCertificates(ctx context.Context, c *Cluster, ex *manifest.Example) ([]string, error) {
	type ref struct{ ns, name string }
	want := map[ref][]string{}
	for _, gw := range ex.ByKind("gateway.networking.k8s.io", "Gateway") {
		listeners, _, _ := unstructured.NestedSlice(gw.Object, "spec", "listeners")
		for _, raw := range listeners {
			l, _ := raw.(map[string]any)
			host, _ := l["hostname"].(string)
			refs, _, _ := unstructured.NestedSlice(l, "tls", "certificateRefs")
			for _, rr := range refs {
				m, _ := rr.(map[string]any)
				name, _ := m["name"].(string)
				ns, _ := m["namespace"].(string)
				if ns == "" {
					ns = gw.GetNamespace()
				}
				want[ref{ns, name}] = append(want[ref{ns, name}], host)
			}
		}
	}
	for _, gw := range ex.ByKind("networking.istio.io", "Gateway") {
		servers, _, _ := unstructured.NestedSlice(gw.Object, "spec", "servers")
		for _, raw := range servers {
			s, _ := raw.(map[string]any)
			cred, _, _ := unstructured.NestedString(s, "tls", "credentialName")
			if cred == "" {
				continue
			}
			hosts, _, _ := unstructured.NestedStringSlice(s, "hosts")
			// the credential lives in the namespace of the gateway's pods; the output's gateway namespace
			for _, ns := range gatewayNamespaces(ex, gw) {
				want[ref{ns, cred}] = append(want[ref{ns, cred}], hosts...)
			}
		}
	}
	var made []string
	for r, hosts := range want {
		if _, ok := ex.Find("", "Secret", r.ns, r.name); ok {
			continue
		}
		var sans []string
		for _, h := range hosts {
			if i := strings.Index(h, "/"); i >= 0 {
				h = h[i+1:]
			}
			if h != "" && h != "*" {
				sans = append(sans, h)
			}
		}
		if len(sans) == 0 {
			sans = []string{"*.example.com"}
		}
		crt, key, err := c.CA.Issue(sans[0], sans...)
		if err != nil {
			return nil, err
		}
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: r.name, Namespace: r.ns}, Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{"tls.crt": crt, "tls.key": key, "ca.crt": c.CA.PEM}}
		if _, err := c.Kube.CoreV1().Namespaces().Get(ctx, r.ns, getOpts); apierrors.IsNotFound(err) {
			if _, err := c.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: r.ns}}, metav1.CreateOptions{}); err != nil {
				return nil, err
			}
		}
		if _, err := c.Kube.CoreV1().Secrets(r.ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, err
		}
		made = append(made, fmt.Sprintf("Secret %s/%s (%s)", r.ns, r.name, strings.Join(sans, ",")))
	}
	sort.Strings(made)
	return made, nil
}

// gatewayNamespaces: namespaces of the Deployments an Istio Gateway's selector picks.
func gatewayNamespaces(ex *manifest.Example, gw manifest.Object) []string {
	sel, _, _ := unstructured.NestedStringMap(gw.Object, "spec", "selector")
	seen := map[string]bool{}
	var out []string
	for _, d := range ex.ByKind("apps", "Deployment") {
		labels, _, _ := unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "labels")
		match := len(sel) > 0
		for k, v := range sel {
			if labels[k] != v {
				match = false
			}
		}
		if match && !seen[d.GetNamespace()] {
			seen[d.GetNamespace()] = true
			out = append(out, d.GetNamespace())
		}
	}
	if len(out) == 0 {
		out = []string{gw.GetNamespace()}
	}
	return out
}

// LoadBalancers stands in for the cloud's load-balancer controller: every Service of type
// LoadBalancer gets an ingress address in its status (198.18.255.x, data only).
func LoadBalancers(ctx context.Context, c *Cluster) (int, error) {
	svcs, err := c.Kube.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range svcs.Items {
		s := &svcs.Items[i]
		if s.Spec.Type != corev1.ServiceTypeLoadBalancer || len(s.Status.LoadBalancer.Ingress) > 0 {
			continue
		}
		s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: fmt.Sprintf("198.18.255.%d", 1+i%250)}}
		if _, err := c.Kube.CoreV1().Services(s.Namespace).UpdateStatus(ctx, s, metav1.UpdateOptions{}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Condition is one status condition read back from the API server.
type Condition struct {
	Subject, Type, Status, Reason, Message string
}

func (c Condition) String() string {
	return fmt.Sprintf("%s %s=%s %s: %s", c.Subject, c.Type, c.Status, c.Reason, c.Message)
}

// GatewayConditions reads the conditions users read of every Gateway API Gateway (Accepted,
// Programmed; each listener's Accepted, ResolvedRefs, Programmed) and HTTPRoute (per parent:
// Accepted, ResolvedRefs) of the output.
func GatewayConditions(ctx context.Context, c *Cluster, ex *manifest.Example) ([]Condition, error) {
	var out []Condition
	for _, o := range ex.ByKind("gateway.networking.k8s.io", "Gateway") {
		gw, err := c.Dynamic.Resource(gatewaysGVR).Namespace(o.GetNamespace()).Get(ctx, o.GetName(), getOpts)
		if err != nil {
			return nil, err
		}
		subject := "Gateway " + o.GetNamespace() + "/" + o.GetName()
		out = append(out, conditions(gw.Object, subject, []string{"status", "conditions"}, "Accepted", "Programmed")...)
		ls, _, _ := unstructured.NestedSlice(gw.Object, "status", "listeners")
		specLs, _, _ := unstructured.NestedSlice(o.Object, "spec", "listeners")
		for _, sl := range specLs {
			name, _ := sl.(map[string]any)["name"].(string)
			var st map[string]any
			for _, raw := range ls {
				if m, _ := raw.(map[string]any); m["name"] == name {
					st = m
				}
			}
			out = append(out, conditions(st, subject+" listener "+name, []string{"conditions"}, "Accepted", "ResolvedRefs", "Programmed")...)
		}
	}
	for _, o := range ex.ByKind("gateway.networking.k8s.io", "HTTPRoute") {
		rt, err := c.Dynamic.Resource(httpRoutesGVR).Namespace(o.GetNamespace()).Get(ctx, o.GetName(), getOpts)
		if err != nil {
			return nil, err
		}
		subject := "HTTPRoute " + o.GetNamespace() + "/" + o.GetName()
		parents, _, _ := unstructured.NestedSlice(o.Object, "spec", "parentRefs")
		stParents, _, _ := unstructured.NestedSlice(rt.Object, "status", "parents")
		for _, pr := range parents {
			p, _ := pr.(map[string]any)
			kind, _ := p["kind"].(string)
			name, _ := p["name"].(string)
			if kind == "" {
				kind = "Gateway"
			}
			var st map[string]any
			for _, raw := range stParents {
				m, _ := raw.(map[string]any)
				ref, _ := m["parentRef"].(map[string]any)
				rk, _ := ref["kind"].(string)
				if rk == "" {
					rk = "Gateway"
				}
				if ref["name"] == name && rk == kind {
					st = m
				}
			}
			out = append(out, conditions(st, fmt.Sprintf("%s parent %s %s", subject, kind, name), []string{"conditions"}, "Accepted", "ResolvedRefs")...)
		}
	}
	return out, nil
}

func conditions(obj map[string]any, subject string, path []string, types ...string) []Condition {
	var out []Condition
	for _, t := range types {
		c := Condition{Subject: subject, Type: t, Status: "(absent)"}
		if obj != nil {
			if m := conditionOf(obj, t, path...); m != nil {
				c.Status, _ = m["status"].(string)
				c.Reason, _ = m["reason"].(string)
				c.Message, _ = m["message"].(string)
			}
		}
		out = append(out, c)
	}
	return out
}

// PolicyConditions reads the WaypointAccepted condition of every AuthorizationPolicy of the
// output that targets a waypoint-attached Service or Gateway (targetRefs); istiod writes that
// condition on AuthorizationPolicies only.
func PolicyConditions(ctx context.Context, c *Cluster, ex *manifest.Example) ([]Condition, error) {
	var out []Condition
	kinds := []struct{ group, kind, resource string }{
		{"security.istio.io", "AuthorizationPolicy", "authorizationpolicies"},
	}
	for _, k := range kinds {
		for _, o := range ex.ByKind(k.group, k.kind) {
			refs, _, _ := unstructured.NestedSlice(o.Object, "spec", "targetRefs")
			if len(refs) == 0 {
				continue
			}
			live, err := c.Dynamic.Resource(schema.GroupVersionResource{Group: k.group, Version: o.GroupVersionKind().Version, Resource: k.resource}).
				Namespace(o.GetNamespace()).Get(ctx, o.GetName(), getOpts)
			if err != nil {
				return nil, err
			}
			out = append(out, conditions(live.Object, fmt.Sprintf("%s %s/%s", k.kind, o.GetNamespace(), o.GetName()), nil, "WaypointAccepted")...)
		}
	}
	return out, nil
}

// AnalysisMessage is one message istiod's analyzers wrote to an object's status.
type AnalysisMessage struct {
	Subject, Code, Level, Text string
}

// AnalysisMessages reads status.validationMessages of every Istio object of the output.
func AnalysisMessages(ctx context.Context, c *Cluster, ex *manifest.Example, resources map[string]schema.GroupVersionResource) ([]AnalysisMessage, error) {
	var out []AnalysisMessage
	for _, o := range ex.Objects {
		if !strings.HasSuffix(o.Group(), "istio.io") {
			continue
		}
		gvr, ok := resources[o.GetKind()+"."+o.Group()]
		if !ok {
			continue
		}
		live, err := c.Dynamic.Resource(gvr).Namespace(o.GetNamespace()).Get(ctx, o.GetName(), getOpts)
		if err != nil {
			return nil, err
		}
		msgs, _, _ := unstructured.NestedSlice(live.Object, "status", "validationMessages")
		for _, raw := range msgs {
			m, _ := raw.(map[string]any)
			typ, _ := m["type"].(map[string]any)
			code, _ := typ["code"].(string)
			level, _ := m["level"].(string)
			text, _ := typ["name"].(string)
			out = append(out, AnalysisMessage{Subject: o.ID(), Code: code, Level: level, Text: text})
		}
	}
	return out, nil
}

// waitFor polls until f reports done or the timeout passes.
func waitFor(timeout time.Duration, f func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if f() {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return f()
}
