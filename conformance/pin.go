// Package conformance pins, in go.mod, the Istio code that the oracle's stages run.
package conformance

import (
	// config validation (the validating webhook, istioctl validate)
	_ "istio.io/istio/pkg/config/validation"
	// offline analysis (istioctl analyze on files)
	_ "istio.io/istio/pkg/config/analysis/analyzers"
	_ "istio.io/istio/pkg/config/analysis/local"
	// the sidecar injection webhook
	_ "istio.io/istio/pkg/kube/inject"
	// pilot's xDS generation with an in-memory discovery server
	_ "istio.io/istio/pilot/test/xds"
)
