package equivalence

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
)

// tlsSecrets returns a self-signed kubernetes.io/tls Secret for every certificate a gateway
// server of either rendering names (Istio Gateway credentialName, Gateway API
// certificateRefs of kind Secret), in the gateway's namespace, unless the example has it.
func tlsSecrets(examples ...*manifest.Example) ([]manifest.Object, error) {
	want := map[[2]string]bool{}
	for _, ex := range examples {
		for _, o := range ex.ByKind("networking.istio.io", "Gateway") {
			spec, _ := o.Object["spec"].(map[string]any)
			for _, srv := range manifest.Maps(spec["servers"]) {
				if tls, ok := srv["tls"].(map[string]any); ok {
					if name, _ := tls["credentialName"].(string); name != "" {
						want[[2]string{o.GetNamespace(), name}] = true
					}
				}
			}
		}
		for _, o := range ex.ByKind("gateway.networking.k8s.io", "Gateway") {
			spec, _ := o.Object["spec"].(map[string]any)
			for _, l := range manifest.Maps(spec["listeners"]) {
				tls, _ := l["tls"].(map[string]any)
				for _, ref := range manifest.Maps(tls["certificateRefs"]) {
					if kind, _ := ref["kind"].(string); kind != "" && kind != "Secret" {
						continue
					}
					ns, _ := ref["namespace"].(string)
					if ns == "" {
						ns = o.GetNamespace()
					}
					name, _ := ref["name"].(string)
					want[[2]string{ns, name}] = true
				}
			}
		}
		for _, o := range ex.ByKind("", "Secret") {
			delete(want, [2]string{o.GetNamespace(), o.GetName()})
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	certPEM, keyPEM, err := selfSigned()
	if err != nil {
		return nil, err
	}
	keys := make([][2]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+"/"+keys[i][1] < keys[j][0]+"/"+keys[j][1] })
	var out []manifest.Object
	for _, k := range keys {
		m := map[string]any{
			"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
			"metadata": map[string]any{"name": k[1], "namespace": k[0]},
			"data":     map[string]any{"tls.crt": base64.StdEncoding.EncodeToString(certPEM), "tls.key": base64.StdEncoding.EncodeToString(keyPEM)},
		}
		raw, err := yaml.Marshal(m)
		if err != nil {
			return nil, err
		}
		out = append(out, manifest.Object{Unstructured: &unstructured.Unstructured{Object: m}, File: "oracle-tls-secrets", Raw: raw})
	}
	return out, nil
}

// withObjects is a copy of ex with extra objects appended.
func withObjects(ex *manifest.Example, extra []manifest.Object) *manifest.Example {
	if len(extra) == 0 {
		return ex
	}
	cp := *ex
	cp.Objects = append(append([]manifest.Object(nil), ex.Objects...), extra...)
	return &cp
}

func selfSigned() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "conformance.example"},
		DNSNames:     []string{"*.example.com"},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("self-signed certificate: %w", err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}
