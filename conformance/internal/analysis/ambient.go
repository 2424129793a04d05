package analysis

import (
	"istio.io/api/annotation"
	"istio.io/istio/pkg/config/constants"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
)

// Ambient mode, as the cluster would show it at run time.
//
// istio-cni captures a pod for ztunnel when the pod is labelled
// `istio.io/dataplane-mode: ambient`, or its namespace is and the pod does not opt out with
// `none` (the agent's default enablement selectors), unless the pod gets a sidecar; it then
// annotates the pod `ambient.istio.io/redirection: enabled`, which is how Istio's analyzers
// recognize ambient pods (util.PodInAmbientMode). A derived Pod carries that annotation when
// istio-cni would set it.
//
// istiod's deployment controller runs a waypoint (a Gateway of class istio-waypoint) as a
// Deployment with a ServiceAccount named after the Gateway (gatewaycommon.GetDefaultName with
// DisableNameSuffix for the mesh controller), so a principal naming it refers to a workload
// that exists once the output is applied.

const (
	dataplaneModeLabel = "istio.io/dataplane-mode"
	waypointClass      = "istio-waypoint"
	gatewayAPIGroup    = "gateway.networking.k8s.io"
)

// ambientCaptured reports whether istio-cni would redirect the pod's traffic to ztunnel.
func ambientCaptured(ex *manifest.Example, namespace string, labels map[string]any) bool {
	if labels["sidecar.istio.io/inject"] == "true" {
		return false // injected: the sidecar carries the traffic
	}
	mode, _ := labels[dataplaneModeLabel].(string)
	if mode == constants.DataplaneModeAmbient {
		return true
	}
	if mode == constants.DataplaneModeNone {
		return false
	}
	ns, ok := ex.Find("", "Namespace", "", namespace)
	return ok && ns.GetLabels()[dataplaneModeLabel] == constants.DataplaneModeAmbient
}

// withAmbientRedirection returns the pod annotations with istio-cni's redirection annotation added.
func withAmbientRedirection(annotations any) map[string]any {
	out := map[string]any{}
	if a, ok := annotations.(map[string]any); ok {
		for k, v := range a {
			out[k] = v
		}
	}
	out[annotation.AmbientRedirection.Name] = constants.AmbientRedirectionEnabled
	return out
}

// waypointServiceAccount reports whether a waypoint Gateway of the output runs as namespace/sa.
func waypointServiceAccount(ex *manifest.Example, namespace, sa string) bool {
	gw, ok := ex.Find(gatewayAPIGroup, "Gateway", namespace, sa)
	if !ok {
		return false
	}
	spec, _ := gw.Object["spec"].(map[string]any)
	return spec["gatewayClassName"] == waypointClass
}
