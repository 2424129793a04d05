package equivalence

import "github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"

// What other stages (behaviour) use of this package.

// TLSSecrets returns a self-signed kubernetes.io/tls Secret for every certificate a gateway
// server names that the outputs do not contain (the cluster's certificate issuer creates them).
func TLSSecrets(examples ...*manifest.Example) ([]manifest.Object, error) {
	return tlsSecrets(examples...)
}

// WithObjects is a copy of ex with extra objects appended.
func WithObjects(ex *manifest.Example, extra []manifest.Object) *manifest.Example {
	return withObjects(ex, extra)
}
