package xds

import (
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"

	"istio.io/api/annotation"
	"istio.io/api/label"
	networking "istio.io/api/networking/v1alpha3"
	"istio.io/istio/pilot/pkg/features"
	"istio.io/istio/pkg/config/constants"
	"istio.io/istio/pkg/config/schema/gvk"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
)

// Ambient mode in the xDS stage.
//
// An output whose istiod runs with PILOT_ENABLE_AMBIENT=true is loaded into pilot with the
// ambient features that flag turns on in istiod (they are read once at start-up from the
// environment, so the stage sets them for the example and restores them after), and with what
// exists at run time but is not in the output, derived the way the cluster derives it:
//   - istio-cni's `ambient.istio.io/redirection: enabled` on every pod it captures
//     (labelled ambient, or in an ambient namespace and not opted out, and not injected);
//   - for every Gateway of class istio-waypoint, what istiod's deployment controller creates
//     from the `waypoint` template: a Service `<name>` (HBONE 15008, selecting
//     gateway.networking.k8s.io/gateway-name=<name>), a pod running as ServiceAccount <name>,
//     and the Gateway's status address (the Service's hostname), through which the ambient
//     index binds the services labelled istio.io/use-waypoint to it.
// Each waypoint pod becomes a Waypoint proxy whose generated config waypoint.go checks against
// the routes and authorization of the services attached to it.

const (
	dataplaneModeLabel = "istio.io/dataplane-mode"
	useWaypointLabel   = "istio.io/use-waypoint"
	waypointClass      = "istio-waypoint"
	gatewayAPIGroup    = "gateway.networking.k8s.io"
)

// ambientIndexKinds are the Istio kinds the ambient index watches through the Kubernetes
// client (as istiod does): they are loaded as cluster objects as well as pilot config.
var ambientIndexKinds = map[string]bool{
	"networking.istio.io/ServiceEntry": true, "networking.istio.io/WorkloadEntry": true,
	"security.istio.io/AuthorizationPolicy": true, "security.istio.io/PeerAuthentication": true,
}

// ambientEnabled reports whether the example's istiod serves ambient.
func ambientEnabled(ex *manifest.Example) bool {
	for _, d := range ex.ByKind("apps", "Deployment") {
		cs, ok, _ := unstructuredSlice(d.Object, "spec", "template", "spec", "containers")
		if !ok {
			continue
		}
		for _, c := range cs {
			cm, _ := c.(map[string]any)
			env, _ := cm["env"].([]any)
			for _, e := range env {
				em, _ := e.(map[string]any)
				if em["name"] == "PILOT_ENABLE_AMBIENT" && em["value"] == "true" {
					return true
				}
			}
		}
	}
	return false
}

func unstructuredSlice(o map[string]any, path ...string) ([]any, bool, error) {
	m := o
	for i, p := range path {
		if i == len(path)-1 {
			s, ok := m[p].([]any)
			return s, ok, nil
		}
		next, ok := m[p].(map[string]any)
		if !ok {
			return nil, false, nil
		}
		m = next
	}
	return nil, false, nil
}

// enableAmbientFeatures sets the features PILOT_ENABLE_AMBIENT=true turns on in istiod
// (pilot/pkg/features/ambient.go: registerAmbient defaults with ambient) and returns a
// function that restores the previous values.
func enableAmbientFeatures() func() {
	saved := []bool{features.EnableAmbient, features.EnableAmbientWaypoints, features.EnableHBONESend,
		features.EnableSidecarHBONEListening, features.EnableIngressWaypointRouting, features.EnableAmbientStatus}
	features.EnableAmbient = true
	features.EnableAmbientWaypoints = true
	features.EnableHBONESend = true
	features.EnableSidecarHBONEListening = true
	features.EnableIngressWaypointRouting = true
	features.EnableAmbientStatus = false // no status writes: the fake client has no controller to read them
	return func() {
		features.EnableAmbient, features.EnableAmbientWaypoints, features.EnableHBONESend = saved[0], saved[1], saved[2]
		features.EnableSidecarHBONEListening, features.EnableIngressWaypointRouting, features.EnableAmbientStatus = saved[3], saved[4], saved[5]
	}
}

// ambientCaptured reports whether istio-cni redirects the pod to ztunnel.
func ambientCaptured(injected bool, labels, nsLabels map[string]string) bool {
	if injected {
		return false
	}
	switch labels[dataplaneModeLabel] {
	case constants.DataplaneModeAmbient:
		return true
	case constants.DataplaneModeNone:
		return false
	}
	return nsLabels[dataplaneModeLabel] == constants.DataplaneModeAmbient
}

// withRedirection adds istio-cni's annotation to a pod's annotations.
func withRedirection(annotations map[string]string) map[string]string {
	out := copyMap(annotations)
	if out == nil {
		out = map[string]string{}
	}
	out[annotation.AmbientRedirection.Name] = constants.AmbientRedirectionEnabled
	return out
}

// isWaypoint reports whether an object is a Gateway of class istio-waypoint.
func isWaypoint(o manifest.Object) bool {
	if o.Group() != gatewayAPIGroup || o.GetKind() != "Gateway" {
		return false
	}
	spec, _ := o.Object["spec"].(map[string]any)
	return spec["gatewayClassName"] == waypointClass
}

// waypointWithStatus is the waypoint Gateway as istiod's gateway controller leaves it: its
// status address is its Service's hostname.
func waypointWithStatus(o manifest.Object) map[string]any {
	out := map[string]any{}
	for k, v := range o.Object {
		out[k] = v
	}
	out["status"] = map[string]any{"addresses": []any{map[string]any{
		"type": "Hostname", "value": fmt.Sprintf("%s.%s.svc.%s", o.GetName(), o.GetNamespace(), DomainSuffix),
	}}}
	return out
}

// waypointDeployment returns what istiod deploys for a waypoint Gateway: its Service and its
// pod (one replica), and registers the pod as a waypoint workload.
func (e *Env) waypointDeployment(gw manifest.Object, podIndex *int, svcIndex *int) ([]k8sruntime.Object, error) {
	name, ns := gw.GetName(), gw.GetNamespace()
	labels := map[string]string{
		label.IoK8sNetworkingGatewayGatewayName.Name: name,
		label.GatewayManaged.Name:                    constants.ManagedGatewayMeshControllerLabel,
		"istio.io/gateway-name":                      name,
	}
	*svcIndex++
	hbone := "hbone"
	svc := &corev1.Service{}
	svc.Name, svc.Namespace = name, ns
	svc.Labels = copyMap(labels)
	svc.Spec = corev1.ServiceSpec{
		ClusterIP: fmt.Sprintf("10.96.%d.%d", *svcIndex/250, *svcIndex%250+1),
		Selector:  map[string]string{label.IoK8sNetworkingGatewayGatewayName.Name: name},
		Ports:     []corev1.ServicePort{{Name: "mesh", Port: 15008, AppProtocol: &hbone, Protocol: corev1.ProtocolTCP}},
	}
	e.Services = append(e.Services, svc)
	*podIndex++
	ip := fmt.Sprintf("10.%d.%d.%d", 1+*podIndex/62500, (*podIndex/250)%250, *podIndex%250+1)
	podObj := map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": name + "-0", "namespace": ns, "labels": toAny(labels)},
		"spec":     map[string]any{"serviceAccountName": name, "containers": []any{map[string]any{"name": "istio-proxy", "image": "auto"}}},
		"status": map[string]any{
			"phase": "Running", "podIP": ip, "podIPs": []any{map[string]any{"ip": ip}},
			"conditions": []any{map[string]any{"type": "Ready", "status": "True"}},
		},
	}
	data, err := json.Marshal(podObj)
	if err != nil {
		return nil, err
	}
	pod := &corev1.Pod{}
	if err := json.Unmarshal(data, pod); err != nil {
		return nil, err
	}
	e.Workloads = append(e.Workloads, &Workload{Kind: "Waypoint", Namespace: ns, Name: name, Labels: labels,
		ServiceAccount: name, Waypoint: true, Pods: []*corev1.Pod{pod}})
	return []k8sruntime.Object{svc, pod}, nil
}

// serviceOf returns the Service of an in-cluster host, if the output has it.
func (e *Env) serviceOf(host string) *corev1.Service {
	for _, s := range e.Services {
		if fmt.Sprintf("%s.%s.svc.%s", s.Name, s.Namespace, DomainSuffix) == host {
			return s
		}
	}
	return nil
}

// waypointOf returns the waypoint workload a host's Service is attached to (istio.io/use-waypoint).
func (e *Env) waypointOf(host string) *Workload {
	if !e.ambient {
		return nil
	}
	ns, name := "", ""
	if s := e.serviceOf(host); s != nil {
		ns, name = s.Namespace, s.Labels[useWaypointLabel]
	} else {
		// a ServiceEntry attached to a waypoint (e.g. egress routing for ambient callers)
		for _, c := range e.configs(gvk.ServiceEntry) {
			se := c.Spec.(*networking.ServiceEntry)
			for _, h := range se.Hosts {
				if h == host && c.Labels[useWaypointLabel] != "" {
					ns, name = c.Namespace, c.Labels[useWaypointLabel]
				}
			}
		}
	}
	if name == "" {
		return nil
	}
	for _, w := range e.Workloads {
		if w.Waypoint && w.Namespace == ns && w.Name == name {
			return w
		}
	}
	return nil
}

// ingressWaypointOf returns the waypoint that gateways send a host's traffic to
// (istio.io/ingress-use-waypoint: "true" on the Service, ENABLE_INGRESS_WAYPOINT_ROUTING).
func (e *Env) ingressWaypointOf(host string) *Workload {
	w := e.waypointOf(host)
	if w == nil || e.serviceOf(host) == nil || e.serviceOf(host).Labels["istio.io/ingress-use-waypoint"] != "true" {
		return nil
	}
	return w
}

func edsView(router bool) string {
	if router {
		return " (from gateways)"
	}
	return ""
}

// sameEndpoints reports whether a cluster's EDS addresses are exactly the pod IPs of the
// workloads in namespace ns matching sel (HBONE endpoints carry the pod address in their
// internal-address endpoint id).
func sameEndpoints(cfg *Config, name string, e *Env, sel map[string]string, ns string) bool {
	want := map[string]bool{}
	for _, w := range e.Workloads {
		if w.Namespace == ns && subset(sel, w.Labels) {
			for _, p := range w.Pods {
				want[p.Status.PodIP] = true
			}
		}
	}
	got := map[string]bool{}
	for _, le := range cfg.Endpoint(name).GetEndpoints() {
		for _, lb := range le.LbEndpoints {
			a := lb.GetEndpoint().GetAddress()
			ip := a.GetSocketAddress().GetAddress()
			if ip == "" {
				id := a.GetEnvoyInternalAddress().GetEndpointId()
				ip, _, _ = strings.Cut(id, ":")
			}
			got[ip] = true
		}
	}
	if len(got) != len(want) {
		return false
	}
	for ip := range got {
		if !want[ip] {
			return false
		}
	}
	return true
}
