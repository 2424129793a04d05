// Package enrolment is the conformance stage that checks how the pods of every workload the
// intent declares (each version of each service, each gateway) join the mesh, with the code
// that decides it in a cluster rather than a model of it:
//
//   - data plane: the selectors of the emitted MutatingWebhookConfigurations, evaluated as the
//     API server evaluates them, select the pod of a sidecar service (and of a gateway) and no
//     pod of an ambient service; istio-cni's enablement selectors (the emitted
//     AMBIENT_ENABLEMENT_SELECTOR, matched with istio-cni's rule) capture the pod of an
//     ambient service and no other;
//   - identity: the pod runs as the ServiceAccount the intent declares, the SPIFFE identity
//     every authorization policy names;
//   - telemetry identity: Istio's canonical service and revision of the pod (the
//     destination_canonical_* labels of its metrics, Kiali's app and version) are the service's
//     and the version's names, and a gateway's canonical service is the gateway's name;
//   - wiring: the service's Service (and each version Service of the Gateway API flavour)
//     forwards every declared port to the port the app listens on, with the protocol Istio
//     derives from it (kube.ConvertProtocol, as pilot does) being the declared one: a TCP port
//     gets none of the service's HTTP routing or policy.
//
// The other stages load pods into pilot with the data plane their labels suggest; this stage
// is what fails when a namespace or pod label keeps a declared workload out of its data plane.
package enrolment

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pkg/config/kube"
	"istio.io/istio/pkg/config/protocol"
	kubelabels "istio.io/istio/pkg/kube/labels"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/behaviour"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/report"
)

// Stage is the report stage name.
const Stage = "enrolment"

// workload is one pod template of the output.
type workload struct {
	kind, namespace, name string
	labels, annotations   map[string]string
	serviceAccount        string
	hostNetwork           bool
	ports                 []corev1.ContainerPort
}

func (w *workload) subject() string { return fmt.Sprintf("%s %s/%s", w.kind, w.namespace, w.name) }

// webhook is one injection webhook of a MutatingWebhookConfiguration.
type webhook struct {
	name              string
	namespace, object labels.Selector
}

// cluster is what the checks read from the output.
type cluster struct {
	workloads []*workload
	nsLabels  map[string]map[string]string
	webhooks  []webhook
	cni       []enablement    // nil without istio-cni
	accounts  map[string]bool // <namespace>/<name> of the emitted ServiceAccounts
	services  map[string]*corev1.Service
	gateways  map[string]*gatewayObject // Gateway API Gateways by <namespace>/<name>
}

// gatewayObject is a Gateway API Gateway's class and listeners.
type gatewayObject struct {
	class     string
	listeners []gatewayListener
}

type gatewayListener struct {
	Name     string `json:"name"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
}

// Run checks the output of ex against its intent.
func Run(ex *manifest.Example, r *report.Report) error {
	in, err := behaviour.LoadIntent(ex.Dir)
	if err != nil {
		r.Fail(ex.Name, Stage, "intent", err.Error())
		return nil
	}
	c, err := read(ex)
	if err != nil {
		r.Fail(ex.Name, Stage, "output", err.Error())
		return nil
	}
	for _, a := range c.check(in) {
		r.Check(a.ok, ex.Name, Stage, a.subject, a.message)
	}
	return nil
}

type assertion struct {
	ok               bool
	subject, message string
}

// check asserts every declared workload.
func (c *cluster) check(in *behaviour.Intent) []assertion {
	var out []assertion
	waypoints := map[string]bool{}
	for _, s := range in.Services {
		out = append(out, c.service(s)...)
		if s.Waypoint != "" && !waypoints[s.Namespace+"/"+s.Waypoint] {
			waypoints[s.Namespace+"/"+s.Waypoint] = true
			out = append(out, c.waypoint(s.Namespace, s.Waypoint))
		}
	}
	for _, g := range in.Gateways {
		out = append(out, c.gateway(g, in.Identities)...)
	}
	return out
}

func (c *cluster) service(s *behaviour.ServiceIntent) []assertion {
	subject := fmt.Sprintf("service %s/%s", s.Namespace, s.Name)
	pods := c.selecting(s.Namespace, s.Selector)
	if len(pods) == 0 {
		return []assertion{{false, subject, fmt.Sprintf("no workload of the output has pods labelled %v", s.Selector)}}
	}
	var out []assertion
	out = append(out, c.wiring(s, s.Name, pods)...)
	for _, vs := range s.VersionServices {
		out = append(out, c.wiring(s, vs.Name, pods)...)
	}
	for _, w := range pods {
		v, diff := versionOf(s, w)
		sub := fmt.Sprintf("%s (%s %s)", w.subject(), s.Name, v)
		out = append(out, assertion{len(diff) == 0, sub, fmt.Sprintf("carries the pod labels declared for version %s%s", v, labelDiff(diff))})
		out = append(out, c.dataPlane(sub, w, s.DataPlane))
		out = append(out, c.identity(sub, w, s.Namespace, s.ServiceAccount))
		name, rev := kubelabels.CanonicalService(w.labels, w.name)
		out = append(out, assertion{name == s.Name && rev == v, sub,
			fmt.Sprintf("Istio reports its metrics as canonical service %q revision %q; declared %q version %q", name, rev, s.Name, v)})
	}
	return out
}

// waypoint checks the Gateway a service's waypoint is deployed from: class istio-waypoint and
// only the listener istiod accepts on a waypoint, HBONE on port 15008 (the port ztunnel sends
// the service's traffic to; istiod marks any other listener of a waypoint not Accepted, in
// pilot/pkg/config/kube/gateway/conversion.go).
func (c *cluster) waypoint(ns, name string) assertion {
	subject := fmt.Sprintf("waypoint %s/%s", ns, name)
	g := c.gateways[ns+"/"+name]
	if g == nil {
		return assertion{false, subject, "no Gateway of the output deploys the waypoint the intent sends the service's traffic through"}
	}
	if g.class != "istio-waypoint" {
		return assertion{false, subject, fmt.Sprintf("Gateway class %q; a waypoint is deployed by istiod for class istio-waypoint", g.class)}
	}
	for _, l := range g.listeners {
		if l.Port != int(model.HBoneInboundListenPort) || l.Protocol != "HBONE" {
			return assertion{false, subject, fmt.Sprintf("listener %q is port %d protocol %s; istiod accepts a waypoint listener only on port %d with protocol HBONE, where ztunnel sends the traffic", l.Name, l.Port, l.Protocol, model.HBoneInboundListenPort)}
		}
	}
	if len(g.listeners) == 0 {
		return assertion{false, subject, "the Gateway has no listener; a waypoint listens for HBONE on port 15008"}
	}
	return assertion{true, subject, fmt.Sprintf("Gateway of class istio-waypoint listening for HBONE on port %d", model.HBoneInboundListenPort)}
}

// versionOf is the declared version a workload runs: the version whose declared pod labels it
// carries, else the nearest one, with the labels that differ from it (declared key -> value
// the pod has).
func versionOf(s *behaviour.ServiceIntent, w *workload) (string, map[string]string) {
	var best string
	var bestDiff map[string]string
	for _, v := range s.Versions {
		diff := map[string]string{}
		for k, val := range v.PodLabels {
			if got, ok := w.labels[k]; !ok || got != val {
				diff[k] = got
			}
		}
		if bestDiff == nil || len(diff) < len(bestDiff) {
			best, bestDiff = v.Name, diff
		}
	}
	return best, bestDiff
}

func labelDiff(diff map[string]string) string {
	if len(diff) == 0 {
		return ""
	}
	keys := make([]string, 0, len(diff))
	for k := range diff {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%q", k, diff[k]))
	}
	return "; the pods have " + strings.Join(parts, ", ") + " instead"
}

func (c *cluster) gateway(g *behaviour.GatewayIntent, ids []behaviour.IdentityIntent) []assertion {
	subject := fmt.Sprintf("gateway %s/%s", g.Namespace, g.Name)
	if len(g.Selector) == 0 {
		return nil // a Gateway API gateway: istiod deploys it
	}
	pods := c.selecting(g.Namespace, g.Selector)
	if len(pods) == 0 {
		return []assertion{{false, subject, fmt.Sprintf("no workload of the output has pods labelled %v", g.Selector)}}
	}
	var out []assertion
	for _, w := range pods {
		sub := fmt.Sprintf("%s (gateway %s)", w.subject(), g.Name)
		out = append(out, c.dataPlane(sub, w, "gateway"))
		name, _ := kubelabels.CanonicalService(w.labels, w.name)
		out = append(out, assertion{name == g.Name, sub,
			fmt.Sprintf("Istio reports its metrics (source of every request it forwards) as canonical service %q; declared gateway %q", name, g.Name)})
		for _, id := range ids {
			if id.Path == g.Path {
				out = append(out, c.identity(sub, w, id.Namespace, id.ServiceAccount))
			}
		}
	}
	return out
}

// selecting returns the workloads of a namespace whose pods carry the selector's labels.
func (c *cluster) selecting(ns string, sel map[string]string) []*workload {
	var out []*workload
	for _, w := range c.workloads {
		if w.namespace == ns && len(sel) > 0 && labels.SelectorFromSet(sel).Matches(labels.Set(w.labels)) {
			out = append(out, w)
		}
	}
	return out
}

func (c *cluster) identity(subject string, w *workload, ns, sa string) assertion {
	ok := w.namespace == ns && w.serviceAccount == sa && c.accounts[ns+"/"+sa]
	return assertion{ok, subject, fmt.Sprintf("runs as ServiceAccount %s/%s (emitted: %t); declared %s/%s", w.namespace, w.serviceAccount, c.accounts[w.namespace+"/"+w.serviceAccount], ns, sa)}
}

// dataPlane asserts how the pod joins the mesh: "sidecar" and "gateway" injected, "ambient"
// captured by istio-cni, anything else neither.
func (c *cluster) dataPlane(subject string, w *workload, want string) assertion {
	hooks := c.injectionWebhooks(w)
	injected := len(hooks) > 0 && w.annotations["sidecar.istio.io/inject"] != "false"
	captured := c.captured(w, injected)
	got := "no data plane"
	switch {
	case injected && captured:
		got = "a sidecar and ztunnel"
	case injected:
		got = "a sidecar (webhook " + strings.Join(hooks, ", ") + ")"
	case captured:
		got = "ztunnel (istio-cni captures it)"
	}
	var ok bool
	switch want {
	case "sidecar", "gateway":
		ok = injected && !captured
		if want == "gateway" {
			ok = ok && w.annotations["inject.istio.io/templates"] == "gateway"
		}
	case "ambient":
		ok = captured && !injected
	default:
		ok = !injected && !captured
	}
	ns := c.nsLabels[w.namespace]
	return assertion{ok, subject, fmt.Sprintf("declared data plane %s; the emitted webhooks and istio-cni give it %s (namespace labels %v, pod labels %v)", want, got, ns, istioLabels(w.labels))}
}

// injectionWebhooks are the injection webhooks the API server calls for the pod.
func (c *cluster) injectionWebhooks(w *workload) []string {
	ns := map[string]string{}
	for k, v := range c.nsLabels[w.namespace] {
		ns[k] = v
	}
	ns["kubernetes.io/metadata.name"] = w.namespace // set by the API server on every namespace
	var out []string
	for _, h := range c.webhooks {
		if h.namespace.Matches(labels.Set(ns)) && h.object.Matches(labels.Set(w.labels)) {
			out = append(out, h.name)
		}
	}
	return out
}

// enablement is one entry of istio-cni's AMBIENT_ENABLEMENT_SELECTOR.
type enablement struct {
	pod, namespace labels.Selector
}

func compileEnablement(text string) ([]enablement, error) {
	var entries []struct {
		PodSelector       metav1.LabelSelector `json:"podSelector"`
		NamespaceSelector metav1.LabelSelector `json:"namespaceSelector"`
	}
	if err := yaml.Unmarshal([]byte(text), &entries); err != nil {
		return nil, err
	}
	out := []enablement{}
	for _, e := range entries {
		pod, err := metav1.LabelSelectorAsSelector(&e.PodSelector)
		if err != nil {
			return nil, err
		}
		ns, err := metav1.LabelSelectorAsSelector(&e.NamespaceSelector)
		if err != nil {
			return nil, err
		}
		out = append(out, enablement{pod, ns})
	}
	return out, nil
}

// captured is istio-cni's decision for the pod, by its rule (cni/pkg/util/enablement_selector.go,
// Matches): never a host-network pod, never a pod with a sidecar (injection has annotated it
// sidecar.istio.io/status), else any entry whose pod and namespace selectors both match.
func (c *cluster) captured(w *workload, injected bool) bool {
	if c.cni == nil || w.hostNetwork || injected {
		return false
	}
	if _, ok := w.annotations["sidecar.istio.io/status"]; ok {
		return false
	}
	for _, e := range c.cni {
		if e.pod.Matches(labels.Set(w.labels)) && e.namespace.Matches(labels.Set(c.nsLabels[w.namespace])) {
			return true
		}
	}
	return false
}

func istioLabels(l map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		if strings.Contains(k, "istio") {
			out[k] = v
		}
	}
	return out
}

// read collects the workloads, namespaces, injection webhooks and istio-cni's selectors.
func read(ex *manifest.Example) (*cluster, error) {
	c := &cluster{nsLabels: map[string]map[string]string{}, accounts: map[string]bool{}, services: map[string]*corev1.Service{},
		gateways: map[string]*gatewayObject{}}
	for _, o := range ex.Objects {
		switch {
		case o.GetKind() == "Namespace" && o.Group() == "":
			c.nsLabels[o.GetName()] = o.GetLabels()
		case o.GetKind() == "ServiceAccount" && o.Group() == "":
			c.accounts[o.GetNamespace()+"/"+o.GetName()] = true
		case o.GetKind() == "Service" && o.Group() == "":
			svc := &corev1.Service{}
			if err := yaml.Unmarshal(o.Raw, svc); err != nil {
				return nil, fmt.Errorf("%s: %w", o.ID(), err)
			}
			c.services[o.GetNamespace()+"/"+o.GetName()] = svc
		case o.GetKind() == "Gateway" && o.Group() == "gateway.networking.k8s.io":
			var spec struct {
				Spec struct {
					GatewayClassName string            `json:"gatewayClassName"`
					Listeners        []gatewayListener `json:"listeners"`
				} `json:"spec"`
			}
			if err := yaml.Unmarshal(o.Raw, &spec); err != nil {
				return nil, fmt.Errorf("%s: %w", o.ID(), err)
			}
			c.gateways[o.GetNamespace()+"/"+o.GetName()] = &gatewayObject{class: spec.Spec.GatewayClassName, listeners: spec.Spec.Listeners}
		case o.GetKind() == "MutatingWebhookConfiguration":
			hooks, err := injectionWebhooks(o)
			if err != nil {
				return nil, err
			}
			c.webhooks = append(c.webhooks, hooks...)
		case o.GetKind() == "ConfigMap":
			if sel, ok, _ := unstructuredString(o.Object, "data", "AMBIENT_ENABLEMENT_SELECTOR"); ok {
				compiled, err := compileEnablement(sel)
				if err != nil {
					return nil, fmt.Errorf("%s AMBIENT_ENABLEMENT_SELECTOR: %w", o.ID(), err)
				}
				c.cni = compiled
			}
		default:
			if w := podTemplate(o); w != nil {
				c.workloads = append(c.workloads, w)
			}
		}
	}
	sort.Slice(c.workloads, func(i, j int) bool { return c.workloads[i].subject() < c.workloads[j].subject() })
	return c, nil
}

func unstructuredString(o map[string]any, path ...string) (string, bool, error) {
	var v any = o
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return "", false, nil
		}
		v = m[p]
	}
	s, ok := v.(string)
	return s, ok, nil
}

var workloadKinds = map[string]bool{"apps/Deployment": true, "apps/StatefulSet": true, "apps/DaemonSet": true, "argoproj.io/Rollout": true}

func podTemplate(o manifest.Object) *workload {
	if !workloadKinds[o.Group()+"/"+o.GetKind()] {
		return nil
	}
	var spec struct {
		Spec struct {
			Template struct {
				Metadata metav1.ObjectMeta `json:"metadata"`
				Spec     corev1.PodSpec    `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(o.Raw, &spec); err != nil {
		return nil
	}
	t := spec.Spec.Template
	sa := t.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	var ports []corev1.ContainerPort
	for _, ct := range t.Spec.Containers {
		ports = append(ports, ct.Ports...)
	}
	return &workload{kind: o.GetKind(), namespace: o.GetNamespace(), name: o.GetName(), labels: t.Metadata.Labels,
		annotations: t.Metadata.Annotations, serviceAccount: sa, hostNetwork: t.Spec.HostNetwork, ports: ports}
}

// injectionWebhooks are the sidecar injection webhooks of a MutatingWebhookConfiguration
// (those calling istiod's /inject path), with their selectors.
func injectionWebhooks(o manifest.Object) ([]webhook, error) {
	var cfg struct {
		Webhooks []struct {
			Name         string `json:"name"`
			ClientConfig struct {
				Service *struct {
					Path string `json:"path"`
				} `json:"service"`
				URL string `json:"url"`
			} `json:"clientConfig"`
			NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector"`
			ObjectSelector    *metav1.LabelSelector `json:"objectSelector"`
		} `json:"webhooks"`
	}
	if err := yaml.Unmarshal(o.Raw, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", o.ID(), err)
	}
	var out []webhook
	for _, h := range cfg.Webhooks {
		path := h.ClientConfig.URL
		if h.ClientConfig.Service != nil {
			path = h.ClientConfig.Service.Path
		}
		if !strings.Contains(path, "/inject") {
			continue
		}
		ns, err := selector(h.NamespaceSelector)
		if err != nil {
			return nil, fmt.Errorf("%s webhook %s: %w", o.ID(), h.Name, err)
		}
		obj, err := selector(h.ObjectSelector)
		if err != nil {
			return nil, fmt.Errorf("%s webhook %s: %w", o.ID(), h.Name, err)
		}
		out = append(out, webhook{name: o.GetName() + "/" + h.Name, namespace: ns, object: obj})
	}
	return out, nil
}

// selector converts a webhook selector; an absent one matches everything, as in the API server.
func selector(s *metav1.LabelSelector) (labels.Selector, error) {
	if s == nil {
		return labels.Everything(), nil
	}
	return metav1.LabelSelectorAsSelector(s)
}

// wiring asserts that the Service name forwards every declared port of s to the port the app
// listens on, as the protocol declared.
func (c *cluster) wiring(s *behaviour.ServiceIntent, name string, pods []*workload) []assertion {
	subject := fmt.Sprintf("Service %s/%s", s.Namespace, name)
	svc := c.services[s.Namespace+"/"+name]
	if svc == nil {
		return []assertion{{false, subject, "the output has no such Service, yet the intent routes to it"}}
	}
	var out []assertion
	for _, p := range s.Ports {
		var sp *corev1.ServicePort
		for i := range svc.Spec.Ports {
			if int(svc.Spec.Ports[i].Port) == p.Port {
				sp = &svc.Spec.Ports[i]
			}
		}
		if sp == nil {
			out = append(out, assertion{false, subject, fmt.Sprintf("has no port %d, declared %s", p.Port, p.Name)})
			continue
		}
		target := resolveTarget(*sp, pods)
		proto := kube.ConvertProtocol(sp.Port, sp.Name, sp.Protocol, sp.AppProtocol)
		want := declaredProtocol(p.Protocol)
		out = append(out, assertion{target == p.TargetPort && proto == want, subject,
			fmt.Sprintf("port %d forwards to pod port %d as %s; declared the app's port %d as %s", p.Port, target, proto, p.TargetPort, want)})
	}
	return out
}

// resolveTarget is the pod port a Service port sends to: its number, or the container port of
// that name on the service's pods (0 when no pod declares it).
func resolveTarget(sp corev1.ServicePort, pods []*workload) int {
	if sp.TargetPort.Type == intstr.Int {
		if sp.TargetPort.IntVal == 0 {
			return int(sp.Port)
		}
		return int(sp.TargetPort.IntVal)
	}
	for _, w := range pods {
		for _, n := range w.ports {
			if n.Name == sp.TargetPort.StrVal {
				return int(n.ContainerPort)
			}
		}
	}
	return 0
}

// declaredProtocol is Istio's protocol for the intent's port protocol.
func declaredProtocol(p string) protocol.Instance {
	return protocol.Parse(p)
}
