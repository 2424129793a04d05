package live

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
)

// Istiod is one pilot-discovery process, run out of cluster against the live API server with
// the arguments and environment of the istiod Deployment the program emits.
type Istiod struct {
	Revision   string // "" for the default revision
	Namespace  string
	Service    string // istiod Service name (istiod or istiod-<rev>)
	Dir        string
	HTTP       int // debug and readiness (--httpAddr)
	Webhook    int // injection and validation webhooks (--httpsAddr)
	GRPC       int // plaintext xDS (--grpcAddr)
	Metrics    int // --monitoringAddr
	secureGRPC int
	proc       *Process
	deploy     *unstructured.Unstructured
	ready      bool
}

// Istiods finds the istiod Deployments of the output (one per revision).
func Istiods(ex *manifest.Example, dir string) ([]*Istiod, error) {
	var out []*Istiod
	for _, o := range ex.ByKind("apps", "Deployment") {
		if o.GetLabels()["app"] != "istiod" {
			continue
		}
		rev := o.GetLabels()["istio.io/rev"]
		if rev == "default" {
			rev = ""
		}
		svc := "istiod"
		if rev != "" {
			svc += "-" + rev
		}
		ports, err := freePorts(5)
		if err != nil {
			return nil, err
		}
		d := filepath.Join(dir, "istiod-"+orDefault(rev))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		out = append(out, &Istiod{Revision: rev, Namespace: o.GetNamespace(), Service: svc, Dir: d,
			HTTP: ports[0], Webhook: ports[1], GRPC: ports[2], Metrics: ports[3], secureGRPC: ports[4], deploy: o.Unstructured.DeepCopy()})
	}
	return out, nil
}

func orDefault(rev string) string {
	if rev == "" {
		return "default"
	}
	return rev
}

// Start runs pilot-discovery with the emitted container's arguments and environment; only
// the listen addresses (loopback ports), the kubeconfig, the serving certificate (signed by the
// run's CA, for 127.0.0.1), PILOT_ENABLE_ANALYSIS=true with a 2 s interval (istiod runs its
// analyzers and reports their messages) and PILOT_JWT_ENABLE_REMOTE_JWKS=envoy (no JWKS fetch
// from the network) are the stage's own.
func (i *Istiod) Start(bin Binaries, c *Cluster) error {
	var dep struct {
		Spec struct {
			Template corev1.PodTemplateSpec `json:"template"`
		} `json:"spec"`
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(i.deploy.Object, &dep); err != nil {
		return err
	}
	var ctr *corev1.Container
	for k := range dep.Spec.Template.Spec.Containers {
		if dep.Spec.Template.Spec.Containers[k].Name == "discovery" {
			ctr = &dep.Spec.Template.Spec.Containers[k]
		}
	}
	if ctr == nil {
		return fmt.Errorf("Deployment %s/%s has no container 'discovery'", i.deploy.GetNamespace(), i.deploy.GetName())
	}
	crt, key, err := c.CA.Issue("istiod", "127.0.0.1", "localhost", i.Service+"."+i.Namespace+".svc", i.Service+"."+i.Namespace+".svc.cluster.local")
	if err != nil {
		return err
	}
	if err := writeFiles(i.Dir, map[string][]byte{"tls/tls.crt": crt, "tls/tls.key": key, "tls/ca.crt": c.CA.PEM}); err != nil {
		return err
	}
	pod := "istiod-live-" + orDefault(i.Revision)
	env := []string{"POD_NAME=" + pod, "POD_NAMESPACE=" + i.Namespace, "KUBECONFIG=" + c.Kubeconfig}
	for _, e := range ctr.Env {
		switch {
		case e.Name == "KUBECONFIG" || e.Name == "PILOT_ENABLE_ANALYSIS":
			// the stage's own (below)
		case e.ValueFrom == nil:
			env = append(env, e.Name+"="+e.Value)
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "spec.serviceAccountName":
			env = append(env, e.Name+"="+dep.Spec.Template.Spec.ServiceAccountName)
		case e.ValueFrom.ResourceFieldRef != nil:
			// GOMAXPROCS / GOMEMLIMIT from the container's resources: left to the Go runtime
		}
	}
	// istiod runs its analyzers and reports their messages; JWKS are left to Envoy (as in the
	// in-process xDS stage) so istiod never fetches an issuer's jwksUri from the network
	env = append(env, "PILOT_ENABLE_ANALYSIS=true", "PILOT_ANALYSIS_INTERVAL=2s", "PILOT_JWT_ENABLE_REMOTE_JWKS=envoy")
	args := []string{}
	for _, a := range ctr.Args {
		if strings.HasPrefix(a, "--monitoringAddr") || strings.HasPrefix(a, "--httpAddr") || strings.HasPrefix(a, "--grpcAddr") ||
			strings.HasPrefix(a, "--httpsAddr") || strings.HasPrefix(a, "--secureGRPCAddr") {
			continue
		}
		args = append(args, a)
	}
	if len(args) == 0 || args[0] != "discovery" {
		args = append([]string{"discovery"}, args...)
	}
	args = append(args,
		"--kubeconfig="+c.Kubeconfig,
		// no mesh config file: istiod reads the emitted mesh ConfigMap from the API server
		"--meshConfig="+filepath.Join(i.Dir, "no-mesh-file"),
		"--httpAddr="+fmt.Sprintf("127.0.0.1:%d", i.HTTP), "--httpsAddr="+fmt.Sprintf("127.0.0.1:%d", i.Webhook),
		"--grpcAddr="+fmt.Sprintf("127.0.0.1:%d", i.GRPC), "--secureGRPCAddr="+fmt.Sprintf("127.0.0.1:%d", i.secureGRPC),
		"--monitoringAddr="+fmt.Sprintf("127.0.0.1:%d", i.Metrics),
		"--tlsCertFile="+filepath.Join(i.Dir, "tls/tls.crt"), "--tlsKeyFile="+filepath.Join(i.Dir, "tls/tls.key"),
		"--caCertFile="+filepath.Join(i.Dir, "tls/ca.crt"),
	)
	p, err := start(i.Dir, "istiod", bin.path("pilot-discovery"), env, args...)
	if err != nil {
		return err
	}
	i.proc = p
	c.Adopt(p)
	if err := waitHTTP(p, fmt.Sprintf("http://127.0.0.1:%d/ready", i.HTTP), http.DefaultClient, 120*time.Second); err != nil {
		return err
	}
	i.ready = true
	return nil
}

// Ready reports whether the process answered /ready.
func (i *Istiod) Ready() bool { return i != nil && i.ready }

// Log returns istiod's log.
func (i *Istiod) Log() string {
	b, _ := os.ReadFile(i.proc.Log)
	return string(b)
}

// Debug fetches one of istiod's debug endpoints.
func (i *Istiod) Debug(path string) ([]byte, error) {
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Get(fmt.Sprintf("http://127.0.0.1:%d%s", i.HTTP, path))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("%s: %s", path, resp.Status)
	}
	return b, err
}

// IsPod tells whether a pod is one of this istiod's (its Deployment's selector).
func (i *Istiod) IsPod(p *corev1.Pod) bool {
	sel, _, _ := unstructured.NestedStringMap(i.deploy.Object, "spec", "selector", "matchLabels")
	if p.Namespace != i.Namespace || len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if p.Labels[k] != v {
			return false
		}
	}
	return true
}

// RewriteWebhooks is the one test-only change to the output: webhook clientConfigs that name
// an istiod Service are pointed at that istiod's local address by URL (with the run's CA),
// since no Service routes to a process on 127.0.0.1. Returns how many were rewritten.
func RewriteWebhooks(o *unstructured.Unstructured, istiods []*Istiod, ca []byte) int {
	if o.GroupVersionKind().Group != "admissionregistration.k8s.io" ||
		(o.GetKind() != "MutatingWebhookConfiguration" && o.GetKind() != "ValidatingWebhookConfiguration") {
		return 0
	}
	hooks, _, _ := unstructured.NestedSlice(o.Object, "webhooks")
	n := 0
	for k, raw := range hooks {
		h, _ := raw.(map[string]any)
		svc, ok, _ := unstructured.NestedMap(h, "clientConfig", "service")
		if !ok {
			continue
		}
		for _, i := range istiods {
			if svc["name"] != i.Service || svc["namespace"] != i.Namespace {
				continue
			}
			path, _ := svc["path"].(string)
			cc := map[string]any{"url": fmt.Sprintf("https://127.0.0.1:%d%s", i.Webhook, path), "caBundle": base64.StdEncoding.EncodeToString(ca)}
			h["clientConfig"] = cc
			hooks[k] = h
			n++
		}
	}
	_ = unstructured.SetNestedSlice(o.Object, hooks, "webhooks")
	return n
}
