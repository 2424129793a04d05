package inject

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// Case is one set of pod annotations/labels users set, applied to every
// workload's pod; Expect asserts its effect on the pod injected with the
// library's ConfigMap (the comparison with upstream runs for every case).
type Case struct {
	Name string
	// Sidecar / Gateway: which pods the options mean something for.
	Sidecar, Gateway  bool
	Mutate            func(*corev1.Pod)
	Expect            func(*corev1.Pod, workload) error
	ExpectNotInjected bool
}

func (c Case) appliesTo(w workload) bool {
	if w.gateway {
		return c.Gateway
	}
	return c.Sidecar
}

func annotate(kv ...string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Annotations[kv[i]] = kv[i+1]
		}
	}
}

func proxyOf(p *corev1.Pod) (*corev1.Container, error) {
	c := findContainer(p, "istio-proxy")
	if c == nil {
		return nil, fmt.Errorf("no istio-proxy container")
	}
	return c, nil
}

func initOf(p *corev1.Pod) (*corev1.Container, error) {
	for i := range p.Spec.InitContainers {
		if p.Spec.InitContainers[i].Name == "istio-init" {
			return &p.Spec.InitContainers[i], nil
		}
	}
	return nil, fmt.Errorf("no istio-init container")
}

// argPair asserts flag is followed by value in args.
func argPair(args []string, flag, value string) error {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag && args[i+1] == value {
			return nil
		}
	}
	return fmt.Errorf("istio-init args %v lack %s %s", args, flag, value)
}

func hasEnv(c *corev1.Container, name, value string) error {
	for _, e := range c.Env {
		if e.Name == name && e.Value == value {
			return nil
		}
	}
	return fmt.Errorf("%s env lacks %s=%s", c.Name, name, value)
}

const (
	metadataKey   = "CONFORMANCE_PROXY_METADATA"
	metadataValue = "from-annotation"
)

// Matrix is the matrix of injection annotations and labels the inject stage tries (the unnamed case is the pod as emitted).
var Matrix = []Case{
	{Name: "", Sidecar: true, Gateway: true},
	{
		Name: "sidecar.istio.io/proxyCPU=250m", Sidecar: true, Gateway: true,
		Mutate: annotate("sidecar.istio.io/proxyCPU", "250m"),
		Expect: func(p *corev1.Pod, w workload) error {
			if w.gateway {
				return nil // the gateway template takes resources from the Deployment's container (MeshGateway resources)
			}
			c, err := proxyOf(p)
			if err != nil {
				return err
			}
			if q := c.Resources.Requests.Cpu(); q.String() != "250m" {
				return fmt.Errorf("istio-proxy cpu request is %s", q.String())
			}
			return nil
		},
	},
	{
		Name: "sidecar.istio.io/proxyMemory=256Mi", Sidecar: true, Gateway: true,
		Mutate: annotate("sidecar.istio.io/proxyMemory", "256Mi"),
		Expect: func(p *corev1.Pod, w workload) error {
			if w.gateway {
				return nil
			}
			c, err := proxyOf(p)
			if err != nil {
				return err
			}
			if q := c.Resources.Requests.Memory(); q.String() != "256Mi" {
				return fmt.Errorf("istio-proxy memory request is %s", q.String())
			}
			return nil
		},
	},
	{
		Name: "sidecar.istio.io/logLevel=debug", Sidecar: true, Gateway: true,
		Mutate: annotate("sidecar.istio.io/logLevel", "debug"),
		Expect: func(p *corev1.Pod, _ workload) error {
			c, err := proxyOf(p)
			if err != nil {
				return err
			}
			if !slices.Contains(c.Args, "--proxyLogLevel=debug") {
				return fmt.Errorf("istio-proxy args %v lack --proxyLogLevel=debug", c.Args)
			}
			return nil
		},
	},
	{
		Name: "traffic.sidecar.istio.io/excludeOutboundPorts=5432,6379", Sidecar: true,
		Mutate: annotate("traffic.sidecar.istio.io/excludeOutboundPorts", "5432,6379"),
		Expect: func(p *corev1.Pod, _ workload) error {
			c, err := initOf(p)
			if err != nil {
				return err
			}
			return argPair(c.Args, "-o", "5432,6379")
		},
	},
	{
		Name: "traffic.sidecar.istio.io/includeOutboundIPRanges=10.0.0.0/8", Sidecar: true,
		Mutate: annotate("traffic.sidecar.istio.io/includeOutboundIPRanges", "10.0.0.0/8"),
		Expect: func(p *corev1.Pod, _ workload) error {
			c, err := initOf(p)
			if err != nil {
				return err
			}
			return argPair(c.Args, "-i", "10.0.0.0/8")
		},
	},
	{
		Name: "sidecar.istio.io/interceptionMode=TPROXY", Sidecar: true,
		Mutate: annotate("sidecar.istio.io/interceptionMode", "TPROXY"),
		Expect: func(p *corev1.Pod, _ workload) error {
			c, err := initOf(p)
			if err != nil {
				return err
			}
			if err := argPair(c.Args, "-m", "TPROXY"); err != nil {
				return err
			}
			proxy, err := proxyOf(p)
			if err != nil {
				return err
			}
			return hasEnv(proxy, "ISTIO_META_INTERCEPTION_MODE", "TPROXY")
		},
	},
	{
		Name: "proxy.istio.io/config proxyMetadata+holdApplicationUntilProxyStarts", Sidecar: true, Gateway: true,
		Mutate: annotate("proxy.istio.io/config", `{"proxyMetadata":{"`+metadataKey+`":"`+metadataValue+`"},"holdApplicationUntilProxyStarts":true}`,
			"sidecar.istio.io/nativeSidecar", "false"),
		Expect: func(p *corev1.Pod, w workload) error {
			proxy, err := proxyOf(p)
			if err != nil {
				return err
			}
			if err := hasEnv(proxy, metadataKey, metadataValue); err != nil {
				return err
			}
			if w.gateway {
				return nil
			}
			init, err := initOf(p)
			if err != nil {
				return err
			}
			if err := hasEnv(init, metadataKey, metadataValue); err != nil {
				return err
			}
			if p.Spec.Containers[0].Name != "istio-proxy" || proxy.Lifecycle == nil || proxy.Lifecycle.PostStart == nil {
				return fmt.Errorf("holdApplicationUntilProxyStarts: istio-proxy is not the first container with a postStart hook")
			}
			return nil
		},
	},
	{
		Name: "sidecar.istio.io/nativeSidecar=true", Sidecar: true,
		Mutate: annotate("sidecar.istio.io/nativeSidecar", "true"),
		Expect: func(p *corev1.Pod, _ workload) error {
			var proxy *corev1.Container
			for i := range p.Spec.InitContainers {
				if p.Spec.InitContainers[i].Name == "istio-proxy" {
					proxy = &p.Spec.InitContainers[i]
				}
			}
			if proxy == nil {
				return fmt.Errorf("istio-proxy is not an init container")
			}
			if proxy.RestartPolicy == nil || *proxy.RestartPolicy != corev1.ContainerRestartPolicyAlways {
				return fmt.Errorf("native istio-proxy lacks restartPolicy: Always")
			}
			if proxy.Lifecycle == nil || proxy.Lifecycle.PreStop == nil || proxy.Lifecycle.PreStop.Exec == nil ||
				!slices.Contains(proxy.Lifecycle.PreStop.Exec.Command, "drain") {
				return fmt.Errorf("native istio-proxy lacks the drain preStop hook")
			}
			return nil
		},
	},
	{
		Name: "sidecar.istio.io/nativeSidecar=false", Sidecar: true,
		Mutate: annotate("sidecar.istio.io/nativeSidecar", "false"),
		Expect: func(p *corev1.Pod, _ workload) error {
			for _, c := range p.Spec.Containers {
				if c.Name == "istio-proxy" {
					return nil
				}
			}
			return fmt.Errorf("istio-proxy is not a regular container")
		},
	},
	{
		Name: "status.sidecar.istio.io/port=15030", Sidecar: true,
		Mutate: annotate("status.sidecar.istio.io/port", "15030"),
		Expect: func(p *corev1.Pod, _ workload) error {
			// the agent's status port is kept out of inbound capture
			c, err := initOf(p)
			if err != nil {
				return err
			}
			return argPair(c.Args, "-d", "15090,15021,15030")
		},
	},
	{
		Name: "sidecar.istio.io/userVolume+userVolumeMount", Sidecar: true,
		Mutate: annotate("sidecar.istio.io/userVolume", `{"conformance-extra":{"emptyDir":{}}}`,
			"sidecar.istio.io/userVolumeMount", `{"conformance-extra":{"mountPath":"/etc/conformance"}}`),
		Expect: func(p *corev1.Pod, _ workload) error {
			proxy, err := proxyOf(p)
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(proxy.VolumeMounts, func(m corev1.VolumeMount) bool {
				return m.Name == "conformance-extra" && m.MountPath == "/etc/conformance"
			}) {
				return fmt.Errorf("istio-proxy lacks the user volume mount")
			}
			if !slices.ContainsFunc(p.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == "conformance-extra" }) {
				return fmt.Errorf("pod lacks the user volume")
			}
			return nil
		},
	},
	{
		Name: "sidecar.istio.io/bootstrapOverride", Sidecar: true, Gateway: true,
		Mutate: annotate("sidecar.istio.io/bootstrapOverride", "conformance-bootstrap"),
		Expect: func(p *corev1.Pod, _ workload) error {
			if !slices.ContainsFunc(p.Spec.Volumes, func(v corev1.Volume) bool {
				return v.ConfigMap != nil && v.ConfigMap.Name == "conformance-bootstrap"
			}) {
				return fmt.Errorf("pod does not mount ConfigMap conformance-bootstrap")
			}
			return nil
		},
	},
	{
		Name: "label sidecar.istio.io/inject=false", Sidecar: true, Gateway: true, ExpectNotInjected: true,
		Mutate: func(p *corev1.Pod) {
			if p.Labels == nil {
				p.Labels = map[string]string{}
			}
			p.Labels["sidecar.istio.io/inject"] = "false"
		},
	},
	{
		// the label wins over the annotation when both are set, so this case drops the label
		Name: "annotation sidecar.istio.io/inject=false (no inject label)", Sidecar: true, ExpectNotInjected: true,
		Mutate: func(p *corev1.Pod) {
			delete(p.Labels, "sidecar.istio.io/inject")
			annotate("sidecar.istio.io/inject", "false")(p)
		},
	},
}
