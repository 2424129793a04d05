package validation

import (
	"encoding/json"
	"fmt"

	"sigs.k8s.io/yaml"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
)

// GatewayAPIGroup is the Kubernetes Gateway API group.
const GatewayAPIGroup = "gateway.networking.k8s.io"

// ValidateGatewayAPI decodes a Gateway API object strictly (unknown or misspelt fields are
// errors) into the Go types of Gateway API v1.5.1, the release Istio 1.30.3 is built against
// and converts from. The CRDs' CEL rules are enforced by the API server, not here; the
// library's tests check every object against the standard-channel CRD schemas.
func ValidateGatewayAPI(o manifest.Object) error {
	gvk := o.GroupVersionKind()
	var target any
	switch gvk.Version + "/" + gvk.Kind {
	case "v1/Gateway":
		target = &gatewayv1.Gateway{}
	case "v1/HTTPRoute":
		target = &gatewayv1.HTTPRoute{}
	case "v1/GRPCRoute":
		target = &gatewayv1.GRPCRoute{}
	case "v1/GatewayClass":
		target = &gatewayv1.GatewayClass{}
	case "v1/ReferenceGrant":
		target = &gatewayv1.ReferenceGrant{}
	case "v1beta1/ReferenceGrant":
		target = &gatewayv1beta1.ReferenceGrant{}
	default:
		return fmt.Errorf("%s %s is not a Gateway API kind cdk8s-mesh emits (Gateway, HTTPRoute, GRPCRoute, GatewayClass, ReferenceGrant at v1)", gvk.GroupVersion(), gvk.Kind)
	}
	data, err := json.Marshal(o.Object)
	if err != nil {
		return err
	}
	if err := yaml.UnmarshalStrict(data, target); err != nil {
		return fmt.Errorf("does not decode strictly into Gateway API v1.5.1 %s: %v", gvk.Kind, err)
	}
	if o.GetNamespace() == "" && gvk.Kind != "GatewayClass" {
		return fmt.Errorf("namespaced kind %s has no metadata.namespace", gvk.Kind)
	}
	return nil
}
