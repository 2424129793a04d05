// Package live is the oracle's live stage: a real control plane on 127.0.0.1 (etcd,
// kube-apiserver and kube-controller-manager built from their Go modules, istiod's
// pilot-discovery and the Argo Rollouts controller) acts on one synthesized program.
// Nodes do not exist: a stand-in kubelet (kubelet.go) binds pods to a Node object and
// marks them Running with an address by a status update; no container runs and no
// Envoy receives config (an xDS client stands in for each proxy).
package live

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Binaries are the built programs of the live stage (see cmd/live -bin).
type Binaries struct {
	Dir string // etcd, kube-apiserver, kube-controller-manager, pilot-discovery, rollouts-controller
}

func (b Binaries) path(name string) string { return filepath.Join(b.Dir, name) }

// ServiceCIDR is the Service ClusterIP range of the live API server. Addresses are data only:
// no kube-proxy runs and nothing connects to a ClusterIP.
const ServiceCIDR = "10.96.0.0/16"

// Process is one child process of the run, its output in a log file.
type Process struct {
	Name string
	Log  string
	cmd  *exec.Cmd
	done chan error
}

func start(dir, name, bin string, env []string, args ...string) (*Process, error) {
	logFile := filepath.Join(dir, name+".log")
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Dir = dir
	// the Go programs of a run are short-lived: collecting garbage less often trades memory for CPU
	cmd.Env = append(append(os.Environ(), "GOGC="+childGOGC), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, Log: logFile, cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); f.Close() }()
	return p, nil
}

// Exited reports whether the process has ended (and why).
func (p *Process) Exited() (bool, error) {
	select {
	case err := <-p.done:
		p.done <- err
		return true, err
	default:
		return false, nil
	}
}

// CPU is the process's user and system CPU time once it has ended (0 before).
func (p *Process) CPU() time.Duration {
	if p == nil || p.cmd.ProcessState == nil {
		return 0
	}
	return p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
}

// Stop ends the process and its process group: gracefully (SIGTERM, then SIGKILL after 5 s)
// when its log is kept, else at once (its state is thrown away).
func (p *Process) Stop(graceful bool) {
	if p == nil || p.cmd.Process == nil {
		return
	}
	if ok, _ := p.Exited(); ok {
		return
	}
	if !graceful {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// Tail returns the last n bytes of the process log.
func (p *Process) Tail(n int) string {
	b, _ := os.ReadFile(p.Log)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// childGOGC is the GOGC of every process the stage starts (Go's default is 100).
var childGOGC = "400"

var (
	portsMu sync.Mutex
	given   = map[int]bool{} // ports handed out in this process (programs run in parallel)
)

// freePorts asks the kernel for n unused ports on 127.0.0.1, never one handed out before.
func freePorts(n int) ([]int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for len(out) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		p := l.Addr().(*net.TCPAddr).Port
		if given[p] {
			continue
		}
		given[p] = true
		out = append(out, p)
	}
	return out, nil
}

// Cluster is etcd + kube-apiserver + kube-controller-manager on 127.0.0.1.
type Cluster struct {
	Dir        string
	CA         *CA
	Token      string
	Server     string // https://127.0.0.1:<port>
	Kubeconfig string
	Config     *rest.Config
	Kube       kubernetes.Interface
	Dynamic    dynamic.Interface
	procs      []*Process
	saKey      string
}

// StartCluster starts etcd and the API server and waits until the API server is ready.
func StartCluster(bin Binaries, dir string) (*Cluster, error) {
	c := &Cluster{Dir: dir, Token: "live-admin-token"}
	ca, err := NewCA()
	if err != nil {
		return nil, err
	}
	c.CA = ca
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdClient, etcdPeer, apiPort := ports[0], ports[1], ports[2]
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdClient)
	etcd, err := start(dir, "etcd", bin.path("etcd"), nil, "--data-dir", filepath.Join(dir, "etcd-data"),
		"--listen-client-url", etcdURL, "--listen-peer-url", fmt.Sprintf("http://127.0.0.1:%d", etcdPeer))
	if err != nil {
		return nil, err
	}
	c.procs = append(c.procs, etcd)

	crt, key, err := ca.Issue("kube-apiserver", "127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
		"kubernetes.default.svc.cluster.local", "10.96.0.1")
	if err != nil {
		return nil, c.fail(err)
	}
	saKey, saPub, err := writeServiceAccountKey(dir)
	if err != nil {
		return nil, c.fail(err)
	}
	c.saKey = saKey
	if err := writeFiles(dir, map[string][]byte{
		"ca.crt": ca.PEM, "apiserver.crt": crt, "apiserver.key": key,
		"tokens.csv": []byte(c.Token + ",live-admin,live-admin-uid,system:masters\n"),
	}); err != nil {
		return nil, c.fail(err)
	}
	c.Server = fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	if err := c.writeKubeconfig(); err != nil {
		return nil, c.fail(err)
	}
	if err := waitEtcd(etcd, etcdURL); err != nil {
		return nil, c.fail(err)
	}
	api, err := start(dir, "kube-apiserver", bin.path("kube-apiserver"), nil,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port="+strconv.Itoa(apiPort),
		"--tls-cert-file="+filepath.Join(dir, "apiserver.crt"), "--tls-private-key-file="+filepath.Join(dir, "apiserver.key"),
		"--token-auth-file="+filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+saPub, "--service-account-signing-key-file="+saKey,
		"--service-cluster-ip-range="+ServiceCIDR,
		// the API server's own Endpoints would carry 127.0.0.1, which Endpoints validation rejects
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		"--v=1",
	)
	if err != nil {
		return nil, c.fail(err)
	}
	c.procs = append(c.procs, api)
	if err := c.clients(); err != nil {
		return nil, c.fail(err)
	}
	if err := waitHTTP(api, c.Server+"/readyz", c.httpClient(), 90*time.Second); err != nil {
		return nil, c.fail(err)
	}
	return c, nil
}

// StartControllerManager starts kube-controller-manager (Deployments -> ReplicaSets -> Pods,
// EndpointSlices, ServiceAccount tokens and root CA ConfigMaps, namespace deletion, ...).
func (c *Cluster) StartControllerManager(bin Binaries) error {
	kcm, err := start(c.Dir, "kube-controller-manager", bin.path("kube-controller-manager"), nil,
		"--kubeconfig="+c.Kubeconfig,
		"--authentication-kubeconfig="+c.Kubeconfig, "--authorization-kubeconfig="+c.Kubeconfig,
		"--bind-address=127.0.0.1", "--secure-port=0",
		"--service-account-private-key-file="+c.saKey,
		"--root-ca-file="+filepath.Join(c.Dir, "ca.crt"),
		"--use-service-account-credentials=false",
		"--leader-elect=false",
		// no kubelets heartbeat the stand-in Node: node lifecycle would taint it and evict its pods
		"--controllers=*,-node-lifecycle-controller",
		"--concurrent-deployment-syncs=10", "--concurrent-replicaset-syncs=10",
		"--v=1",
	)
	if err != nil {
		return err
	}
	c.procs = append(c.procs, kcm)
	// ready once the token controller has given the default namespace's ServiceAccount a root CA ConfigMap
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if ok, err := kcm.Exited(); ok {
			return fmt.Errorf("kube-controller-manager exited: %v\n%s", err, kcm.Tail(3000))
		}
		if _, err := c.Kube.CoreV1().ConfigMaps("default").Get(context.Background(), "kube-root-ca.crt", getOpts); err == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("kube-controller-manager did not publish kube-root-ca.crt in 60s\n%s", kcm.Tail(3000))
}

// Adopt adds a process to the cluster's lifetime (stopped by Stop, in reverse order).
func (c *Cluster) Adopt(p *Process) { c.procs = append(c.procs, p) }

// Stop ends every process in reverse start order (gracefully: see Process.Stop) and returns
// each one's CPU time by name.
func (c *Cluster) Stop(graceful bool) map[string]time.Duration {
	cpu := map[string]time.Duration{}
	for i := len(c.procs) - 1; i >= 0; i-- {
		c.procs[i].Stop(graceful)
		cpu[c.procs[i].Name] += c.procs[i].CPU()
	}
	c.procs = nil
	return cpu
}

func (c *Cluster) fail(err error) error {
	var tails []string
	for _, p := range c.procs {
		if ok, _ := p.Exited(); ok {
			tails = append(tails, fmt.Sprintf("--- %s (exited):\n%s", p.Name, p.Tail(2000)))
		}
	}
	c.Stop(true)
	if len(tails) > 0 {
		return fmt.Errorf("%w\n%s", err, strings.Join(tails, "\n"))
	}
	return err
}

func (c *Cluster) writeKubeconfig() error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["live"] = &clientcmdapi.Cluster{Server: c.Server, CertificateAuthorityData: c.CA.PEM}
	cfg.AuthInfos["live-admin"] = &clientcmdapi.AuthInfo{Token: c.Token}
	cfg.Contexts["live"] = &clientcmdapi.Context{Cluster: "live", AuthInfo: "live-admin"}
	cfg.CurrentContext = "live"
	c.Kubeconfig = filepath.Join(c.Dir, "kubeconfig")
	return clientcmd.WriteToFile(*cfg, c.Kubeconfig)
}

func (c *Cluster) clients() error {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 200, 400
	c.Config = cfg
	if c.Kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return err
	}
	c.Dynamic, err = dynamic.NewForConfig(cfg)
	return err
}

func (c *Cluster) httpClient() *http.Client {
	tr, err := rest.TransportFor(c.Config)
	if err != nil {
		return http.DefaultClient
	}
	// the API server's /metrics is large, and slow to serve on a loaded machine
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func waitEtcd(p *Process, url string) error {
	return waitHTTP(p, url+"/health", http.DefaultClient, 30*time.Second)
}

// waitHTTP polls url until it answers 200, the process exits or the timeout passes.
func waitHTTP(p *Process, url string, client *http.Client, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		if p != nil {
			if ok, err := p.Exited(); ok {
				return fmt.Errorf("%s exited: %v\n%s", p.Name, err, p.Tail(3000))
			}
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	name := url
	if p != nil {
		name = p.Name
	}
	return fmt.Errorf("%s not ready after %s (%s)", name, timeout, last)
}

// Metric sums the samples of one metric of the API server's /metrics whose labels contain
// every given label="value" pair.
func (c *Cluster) Metric(name string, labels ...string) (float64, error) {
	resp, err := c.httpClient().Get(c.Server + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	return sumMetric(string(b), name, labels...), nil
}

// sumMetric adds up the samples of a metric in Prometheus text format.
func sumMetric(text, name string, labels ...string) float64 {
	total := 0.0
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			if !strings.Contains(line, l) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			total += v
		}
	}
	return total
}
