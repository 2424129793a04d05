package live

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/inject"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/report"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/xds"
)

// Stage is the report's name of this stage.
const Stage = "live"

// Options of one live run.
type Options struct {
	Bin     Binaries
	Work    string   // scratch directory (one subdirectory per program)
	Prereqs []string // YAML files of CRDs the output relies on and does not carry (Argo Rollouts, Argo CD, ...)
	// Changed is the same program synthesized with one intent changed (optional).
	Changed *manifest.Example
	// Rollouts runs the Argo Rollouts controller on the program's Rollouts (rollouts.go).
	Rollouts *RolloutsOptions
	Keep     bool // keep the scratch directory (logs) after the run
}

// run is the state of one program's live run.
type run struct {
	ex           *manifest.Example
	opts         Options
	r            *report.Report
	c            *Cluster
	kubelet      *Kubelet
	istiods      []*Istiod
	dir          string
	prom         *Prometheus
	listed       map[string]int // listed pod differences ("path: reason") -> pods
	webhookCalls int            // injection webhook calls the API server made during the sync
	synced       time.Time      // end of the first sync (every object applied, every Deployment ready)
}

func (x *run) pass(subject, msg string) { x.r.Pass(x.ex.Name, Stage, subject, msg) }
func (x *run) fail(subject, msg string) { x.r.Fail(x.ex.Name, Stage, subject, msg) }
func (x *run) failf(subject, format string, a ...any) {
	x.r.Fail(x.ex.Name, Stage, subject, fmt.Sprintf(format, a...))
}
func (x *run) count(key string, n int) { x.r.Count(x.ex.Name, Stage, key, n) }

// Run starts a control plane, syncs the program's output into it as Argo CD would and checks
// what the API server, kube-controller-manager, istiod and (with Rollouts) the Argo Rollouts
// controller make of it.
func Run(ex *manifest.Example, opts Options, r *report.Report) error {
	dir := filepath.Join(opts.Work, ex.Name)
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	x := &run{ex: ex, opts: opts, r: r, dir: dir, listed: map[string]int{}}
	t0 := time.Now()
	c, err := StartCluster(opts.Bin, dir)
	if err != nil {
		return fmt.Errorf("control plane: %w", err)
	}
	x.c = c
	defer func() {
		t := time.Now()
		if x.kubelet != nil {
			for _, e := range x.kubelet.Stop() {
				x.fail("stand-in kubelet", e)
			}
		}
		for name, cpu := range c.Stop(opts.Keep) {
			x.count("cpu ms: "+name, int(cpu.Milliseconds()))
		}
		x.phase("stop", t)
		if !opts.Keep {
			_ = os.RemoveAll(dir)
		}
	}()
	x.phase("etcd and kube-apiserver", t0)
	t := time.Now()
	if err := c.StartControllerManager(opts.Bin); err != nil {
		return err
	}
	if x.istiods, err = Istiods(ex, dir); err != nil {
		return err
	}
	if x.kubelet, err = StartKubelet(c, x.podReady); err != nil {
		return err
	}
	x.phase("kube-controller-manager", t)
	x.count("control plane ready ms", int(time.Since(t0).Milliseconds()))
	ctx := context.Background()
	t = time.Now()
	if err := x.prerequisites(ctx); err != nil {
		return err
	}
	x.phase("prerequisites", t)
	if opts.Rollouts != nil && len(x.rolloutsOf()) > 0 {
		t = time.Now()
		if x.prom, err = StartPrometheus(); err != nil {
			return err
		}
		defer x.prom.Stop()
		if err := x.startRollouts(); err != nil {
			return fmt.Errorf("argo rollouts controller: %w", err)
		}
		x.phase("rollouts-controller", t)
	}
	sync, ok := x.firstSync(ctx)
	if !ok {
		return nil
	}
	x.step("webhook calls and pods", func() {
		x.checkWebhookCalls() // before checkPods, whose dry-run creates reach the webhook too
		x.checkPods(ctx)
		x.reportListedPodDifferences()
	})
	x.step("gateway and policy status", func() { x.checkGateways(ctx) })
	x.step("xDS", func() { x.checkXDS(ctx) }) // reads the debug endpoints while its xDS clients are connected
	x.step("second sync", func() { x.secondSync(ctx, sync) })
	// after the checks above (which change nothing istiod analyses): no wait left, usually
	x.step("istiod analysis", func() { x.checkAnalysis(ctx) })
	if x.prom != nil {
		x.step("Argo Rollouts", func() { x.rollouts(ctx) })
	}
	x.step("re-synth", func() { x.changedSync(ctx) })
	x.step("Pod Security", func() { x.checkPodSecurity(ctx) })
	x.checkLog()
	x.count("ms", int(time.Since(t0).Milliseconds()))
	return nil
}

// phase records the wall time of one phase of the run since t0.
func (x *run) phase(name string, t0 time.Time) {
	x.count("phase ms: "+name, int(time.Since(t0).Milliseconds()))
}

func (x *run) step(name string, fn func()) {
	t0 := time.Now()
	fn()
	x.phase(name, t0)
}

// podReady holds istiod's pods back from Ready until the local istiod process of their
// revision is ready (their readiness probe would).
func (x *run) podReady(p *corev1.Pod) bool {
	for _, i := range x.istiods {
		if i.IsPod(p) {
			return i.Ready()
		}
	}
	return true
}

func (x *run) prerequisites(ctx context.Context) error {
	var objs []*unstructured.Unstructured
	for _, f := range x.opts.Prereqs {
		list, err := manifest.LoadFile(f)
		if err != nil {
			return err
		}
		for _, o := range list {
			// installed as their projects' installs would, for the kinds the output uses
			g, _, _ := unstructured.NestedString(o.Object, "spec", "group")
			k, _, _ := unstructured.NestedString(o.Object, "spec", "names", "kind")
			if o.GetKind() == "CustomResourceDefinition" && len(x.ex.ByKind(g, k)) == 0 &&
				!(g == "argoproj.io" && rolloutsControllerKinds[k] && len(x.rolloutsOf()) > 0) {
				continue
			}
			objs = append(objs, o.Unstructured)
		}
	}
	// Argo CD's own namespace comes with its install, not with the output
	for _, kind := range []string{"Application", "AppProject"} {
		for _, o := range x.ex.ByKind("argoproj.io", kind) {
			ns := o.GetNamespace()
			if _, inOutput := x.ex.Find("", "Namespace", "", ns); inOutput {
				continue
			}
			if _, err := x.c.Kube.CoreV1().Namespaces().Get(ctx, ns, getOpts); err == nil {
				continue
			}
			if _, err := x.c.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
				return err
			}
			x.count("prerequisite namespaces (Argo CD's install)", 1)
		}
	}
	// a control plane installed without its CRDs (crds: false) relies on Istio's and the
	// Gateway API's CRDs installed beforehand: the pinned releases' (../shared)
	if len(x.ex.ByKind("apiextensions.k8s.io", "CustomResourceDefinition")) == 0 {
		files := []string{filepath.Join(inject.SharedDir(), "istio", inject.Release, "crd-all.gen.yaml")}
		gw, _ := filepath.Glob(filepath.Join(inject.SharedDir(), "gateway-api", "v1.5.1", "standard", "*.yaml"))
		files = append(files, gw...)
		for _, f := range files {
			list, err := manifest.LoadFile(f)
			if err != nil {
				return err
			}
			for _, o := range list {
				if o.GetKind() == "CustomResourceDefinition" {
					objs = append(objs, o.Unstructured)
				}
			}
		}
		x.r.List(x.ex.Name, Stage, "Istio and Gateway API CRDs", "applied before the sync from the pinned releases",
			"the output carries no CRDs (IstioControlPlane crds: false): they are installed separately")
	}
	// namespaces the output uses and does not create exist beforehand (the user's)
	for _, ns := range x.foreignNamespaces() {
		if _, err := x.c.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			return err
		}
		if x.isRootNamespace(ns) {
			x.fail("Namespace "+ns, "the mesh config's rootNamespace, where the output puts mesh-wide config, is not created by the output: on a fresh cluster that config fails to apply")
			continue
		}
		x.r.List(x.ex.Name, Stage, "Namespace "+ns, "created before the sync", "the output puts objects in it and does not create it: it must exist in the cluster")
	}
	if len(objs) == 0 {
		return nil
	}
	s, err := NewSync(x.c, objs)
	if err != nil {
		return err
	}
	n, errs := s.Apply(ctx, 30*time.Second)
	for _, e := range errs {
		x.fail("prerequisites", e)
	}
	x.count("prerequisite CRDs applied", n)
	return nil
}

// rolloutsControllerKinds are the kinds the Argo Rollouts controller watches (it needs their
// CRDs installed wherever it runs).
var rolloutsControllerKinds = map[string]bool{"Rollout": true, "AnalysisTemplate": true, "ClusterAnalysisTemplate": true, "AnalysisRun": true, "Experiment": true}

// foreignNamespaces: namespaces of the output's objects that it does not create (Argo CD's own
// is created with the prerequisites).
func (x *run) foreignNamespaces() []string {
	seen := map[string]bool{}
	var out []string
	for _, o := range x.ex.Objects {
		ns := o.GetNamespace()
		if ns == "" || seen[ns] || ns == "default" {
			continue
		}
		seen[ns] = true
		if _, ok := x.ex.Find("", "Namespace", "", ns); ok {
			continue
		}
		if o.Group() == "argoproj.io" && (o.GetKind() == "Application" || o.GetKind() == "AppProject") {
			continue
		}
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// isRootNamespace: ns is the rootNamespace of an emitted mesh config.
func (x *run) isRootNamespace(ns string) bool {
	for _, o := range x.ex.ByKind("", "ConfigMap") {
		mesh, _, _ := unstructured.NestedString(o.Object, "data", "mesh")
		for _, line := range strings.Split(mesh, "\n") {
			if strings.TrimSpace(line) == "rootNamespace: "+ns {
				return true
			}
		}
	}
	return false
}

func (x *run) rewrite(o *unstructured.Unstructured) {
	RewriteWebhooks(o, x.istiods, x.c.CA.PEM)
	if x.prom != nil {
		RewriteAnalysis(o, x.prom.Addr, x.opts.Rollouts.AnalysisInterval)
	}
}

func (x *run) firstSync(ctx context.Context) (*Sync, bool) {
	made, err := TestCertificates(ctx, x.c, x.ex)
	if err != nil {
		x.fail("test certificates", err.Error())
	}
	for _, m := range made {
		x.r.List(x.ex.Name, Stage, m, "created before the sync", "a TLS certificate the user supplies (the output names it, never carries a private key)")
	}
	s, err := NewSync(x.c, ObjectsOf(x.ex))
	if err != nil {
		x.fail("sync", err.Error())
		return nil, false
	}
	s.Rewrite = x.rewrite
	if s.Derived {
		x.r.List(x.ex.Name, Stage, "sync waves", "the output carries no Argo CD sync waves; derived: CRDs and Namespaces, then the istiod chart's file, then the rest",
			"the program does not call GitOps.argoCd(); the order is the README's kubectl steps (control plane, then workloads), without which Argo CD applies webhook configurations after the Deployments and their first pods are not injected")
	}
	rewritten := 0
	for _, t := range s.Tasks {
		o := t.Obj.DeepCopy()
		rewritten += RewriteWebhooks(o, x.istiods, x.c.CA.PEM)
	}
	x.count("webhook clientConfigs pointed at the local istiod (test-only)", rewritten)
	s.BeforeHealth = func(wave int) error {
		if _, err := LoadBalancers(ctx, x.c); err != nil {
			return err
		}
		return x.startIstiods(ctx)
	}
	t0 := time.Now()
	ran, errs := s.DryRun(ctx)
	x.phase("first sync: dry run", t0)
	x.count("dry runs", ran)
	skipped := map[string]int{}
	for _, t := range s.Tasks {
		if t.SkipDryRun != "" {
			skipped[t.SkipDryRun]++
		}
	}
	for why, n := range skipped {
		x.count("dry runs skipped: "+why, n)
	}
	for _, e := range errs {
		x.fail("dry run", e)
	}
	if len(errs) == 0 {
		x.pass("dry run", fmt.Sprintf("server-side dry run of %d objects passed (%d skipped as Argo CD skips them)", ran, len(s.Tasks)-ran))
	}
	t1 := time.Now()
	applied, errs := s.Apply(ctx, 90*time.Second)
	x.phase("first sync: apply and health", t1)
	x.count("objects applied", applied)
	x.count("sync waves", len(s.Waves()))
	for _, e := range errs {
		x.fail("sync", e)
	}
	if len(errs) == 0 {
		x.pass("sync", fmt.Sprintf("%d objects applied in %d waves (server-side apply, field manager %s), every wave healthy before the next", applied, len(s.Waves()), FieldManager))
	}
	x.count("sync ms", int(time.Since(t0).Milliseconds()))
	for _, i := range x.istiods {
		if !i.Ready() {
			x.failf("istiod "+orDefault(i.Revision), "never started: its ConfigMaps were not applied")
		}
	}
	// workloads istiod deploys (Gateway API gateways, waypoints) become ready after the sync
	t2 := time.Now()
	if !waitFor(60*time.Second, func() bool { return x.allDeploymentsReady(ctx) == "" }) {
		x.fail("Deployments", x.allDeploymentsReady(ctx))
	}
	x.phase("first sync: istiod's Deployments ready", t2)
	x.synced = time.Now()
	_, _ = LoadBalancers(ctx, x.c)
	return s, true
}

func (x *run) startIstiods(ctx context.Context) error {
	for _, i := range x.istiods {
		if i.Ready() {
			continue
		}
		inj := "istio-sidecar-injector"
		mesh := "istio"
		if i.Revision != "" {
			inj += "-" + i.Revision
			mesh += "-" + i.Revision
		}
		if _, err := x.c.Kube.CoreV1().ConfigMaps(i.Namespace).Get(ctx, inj, getOpts); err != nil {
			continue
		}
		if _, err := x.c.Kube.CoreV1().ConfigMaps(i.Namespace).Get(ctx, mesh, getOpts); err != nil {
			continue
		}
		t0 := time.Now()
		if err := i.Start(x.opts.Bin, x.c); err != nil {
			return fmt.Errorf("istiod %s: %w", orDefault(i.Revision), err)
		}
		x.kubelet.Recheck() // istiod's own pods become Ready now
		x.count("istiod ready ms", int(time.Since(t0).Milliseconds()))
		x.phase("istiod start (within the apply)", t0)
	}
	return nil
}

func (x *run) allDeploymentsReady(ctx context.Context) string {
	ds, err := x.c.Kube.AppsV1().Deployments("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, d := range ds.Items {
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		if d.Status.ReadyReplicas < want {
			out = append(out, fmt.Sprintf("%s/%s ready %d/%d", d.Namespace, d.Name, d.Status.ReadyReplicas, want))
		}
	}
	return strings.Join(out, "; ")
}

func (x *run) checkPods(ctx context.Context) {
	checks, err := CheckPods(ctx, x.c, x.ex)
	if err != nil {
		x.fail("pods", err.Error())
		return
	}
	injected := 0
	for _, pc := range checks {
		if pc.Injected {
			injected++
		}
	}
	if len(x.istiods) > 0 {
		x.r.Check(injected == 0 || x.webhookCalls > 0, x.ex.Name, Stage, "injection webhook",
			fmt.Sprintf("the API server called istiod's injection webhook %d times for %d injected pods", x.webhookCalls, injected))
	}
	for _, pc := range checks {
		x.count("pods", 1)
		if !pc.Injected {
			continue
		}
		x.count("pods injected by istiod", 1)
		subject := "Pod " + pc.Pod + " of " + pc.Owner
		unexplained := 0
		for _, p := range pc.Problems {
			if reason, ok := strings.CutPrefix(p, listedPrefix); ok {
				x.listed[reason]++
				continue
			}
			unexplained++
			x.fail(subject, "differs from the inject stage's prediction: "+p)
		}
		if unexplained == 0 {
			x.count("pods injected and equal to the inject stage", 1)
			x.pass(subject, fmt.Sprintf("stored pod equals the inject stage's prediction (defaulted by the same API server) but for %d listed difference(s)", len(pc.Problems)))
		}
	}
}

func (x *run) reportListedPodDifferences() {
	var keys []string
	for k := range x.listed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		path, reason, _ := strings.Cut(k, ": ")
		x.r.List(x.ex.Name, Stage, path, fmt.Sprintf("differs in %d stored pod(s)", x.listed[k]), reason)
	}
}

func (x *run) checkWebhookCalls() {
	mut, err1 := x.c.Metric("apiserver_admission_webhook_request_total", `type="admit"`)
	val, err2 := x.c.Metric("apiserver_admission_webhook_request_total", `type="validating"`)
	rej, err3 := x.c.Metric("apiserver_admission_webhook_rejection_count")
	if err1 != nil || err2 != nil || err3 != nil {
		x.fail("webhook calls", fmt.Sprintf("API server metrics: %v %v %v", err1, err2, err3))
		return
	}
	x.count("webhook calls: mutating (injection)", int(mut))
	x.count("webhook calls: validating", int(val))
	x.webhookCalls = int(mut)
	if len(x.istiods) > 0 {
		x.r.Check(val > 0, x.ex.Name, Stage, "validation webhook", fmt.Sprintf("the API server called istiod's validation webhook %d times", int(val)))
	}
	// istiod's validation controller sends an invalid object through the API server to see its
	// webhook answer before it switches failurePolicy to Fail: rejections are counted, not judged
	// (a rejected object of the output fails the sync above)
	x.count("webhook rejections (istiod's own readiness checks)", int(rej))
}

func (x *run) checkGateways(ctx context.Context) {
	var conds []Condition
	waitFor(60*time.Second, func() bool {
		var err error
		conds, err = GatewayConditions(ctx, x.c, x.ex)
		if err != nil {
			return false
		}
		pc, err := PolicyConditions(ctx, x.c, x.ex)
		if err != nil {
			return false
		}
		conds = append(conds, pc...)
		for _, c := range conds {
			if c.Status != "True" {
				return false
			}
		}
		return true
	})
	for _, c := range conds {
		x.count("Gateway API and policy conditions read", 1)
		x.r.Check(c.Status == "True", x.ex.Name, Stage, c.Subject, fmt.Sprintf("%s=%s %s %s", c.Type, c.Status, c.Reason, c.Message))
	}
}

// ListedAnalysis are the messages istiod's own analyzers may report on the output, each with why.
var ListedAnalysis = map[string]string{}

func (x *run) checkAnalysis(ctx context.Context) {
	if len(x.istiods) == 0 {
		return
	}
	resources := map[string]schema.GroupVersionResource{}
	lists, err := x.c.Kube.Discovery().ServerPreferredResources()
	if err != nil && lists == nil {
		x.fail("analysis", err.Error())
		return
	}
	for _, l := range lists {
		gv, _ := schema.ParseGroupVersion(l.GroupVersion)
		for _, res := range l.APIResources {
			if !strings.Contains(res.Name, "/") {
				resources[res.Kind+"."+gv.Group] = gv.WithResource(res.Name)
			}
		}
	}
	// istiod analyses every PILOT_ANALYSIS_INTERVAL (2 s here): read once rounds have run on the
	// synced state (the checks between the sync and this one take part of that time)
	if d := analysisWait - time.Since(x.synced); d > 0 {
		time.Sleep(d)
	}
	msgs, err := AnalysisMessages(ctx, x.c, x.ex, resources)
	if err != nil {
		x.fail("analysis", err.Error())
		return
	}
	current, transient := x.logAnalysis()
	fromLog := map[string]bool{}
	for _, m := range append(append([]AnalysisMessage{}, current...), transient...) {
		fromLog[m.Code+" "+m.Subject] = true
	}
	var fromStatus []AnalysisMessage
	for _, m := range msgs {
		if !fromLog[m.Code+" "+m.Subject] { // the log carries the same message with its text
			fromStatus = append(fromStatus, m)
		}
	}
	msgs = append(fromStatus, current...)
	x.count("analysis messages", len(msgs))
	for _, m := range transient {
		x.count("analysis messages resolved by a later round", 1)
		x.r.List(x.ex.Name, Stage, m.Subject, fmt.Sprintf("%s %s %s", m.Level, m.Code, cut(m.Text)),
			"reported by one analysis round and resolved by istiod itself in a later one (objects still settling after the sync)")
	}
	for _, m := range msgs {
		if m.Code == "IST0103" && x.hasProxy(ctx, m.Subject) {
			x.r.List(x.ex.Name, Stage, m.Subject, fmt.Sprintf("%s %s %s", m.Level, m.Code, cut(m.Text)), ist0103Reason)
			continue
		}
		if m.Code == "IST0101" && strings.Contains(m.Text, "credentialName") && x.secretExists(ctx, m.Text) {
			x.r.List(x.ex.Name, Stage, m.Subject, fmt.Sprintf("%s %s %s", m.Level, m.Code, cut(m.Text)), ist0101Reason)
			continue
		}
		if m.Code == "IST0127" && x.ambientPolicy(m.Subject) {
			x.r.List(x.ex.Name, Stage, m.Subject, fmt.Sprintf("%s %s %s", m.Level, m.Code, cut(m.Text)), ist0127Reason)
			continue
		}
		if reason, ok := ListedAnalysis[m.Code]; ok {
			x.r.List(x.ex.Name, Stage, m.Subject, fmt.Sprintf("%s %s %s", m.Level, m.Code, m.Text), reason)
			continue
		}
		x.failf(m.Subject, "istiod's analyzers: %s %s %s", m.Level, m.Code, m.Text)
	}
	if len(msgs) == 0 {
		x.pass("analysis", "istiod's analyzers report nothing on the output")
	}
}

const ist0103Reason = "false positive of istiod's in-cluster analysis: its Pod informer strips container names and images " +
	"(kube.StripPodUnusedFields) and keeps native-sidecar init containers only with ports, so the analyzer misses the istio-proxy " +
	"the stored pod carries (checked); the message comes and goes between rounds"

// hasProxy: the stored pod ("Pod ns/name") has an istio-proxy container or native sidecar.
func (x *run) hasProxy(ctx context.Context, subject string) bool {
	ns, name, ok := strings.Cut(strings.TrimPrefix(subject, "Pod "), "/")
	if !ok {
		return false
	}
	p, err := x.c.Kube.CoreV1().Pods(ns).Get(ctx, name, getOpts)
	if err != nil {
		return false
	}
	for _, c := range append(append([]corev1.Container{}, p.Spec.Containers...), p.Spec.InitContainers...) {
		if c.Name == "istio-proxy" && c.Image != "" {
			return true
		}
	}
	return false
}

const ist0101Reason = "the Secret exists in the API server (created by the stage as the user would) and the Gateway's listener " +
	"reads ResolvedRefs=True above; istiod's in-cluster analyzer does not resolve the kubernetes-gateway:// credential form"

var credentialRef = regexp.MustCompile(`"(?:kubernetes-gateway://)?([a-z0-9-]+)/([a-z0-9.-]+)"`)

// secretExists: the Secret a credentialName message names ("kubernetes-gateway://ns/name") exists.
func (x *run) secretExists(ctx context.Context, text string) bool {
	m := credentialRef.FindStringSubmatch(text)
	if m == nil {
		return false
	}
	_, err := x.c.Kube.CoreV1().Secrets(m[1]).Get(ctx, m[2], getOpts)
	return err == nil
}

const ist0127Reason = "false positive of istiod's in-cluster analysis on an ambient namespace: the policy's pods run without " +
	"a sidecar (ztunnel and the waypoint enforce it) and its Pod informer strips container names, so it finds no workload; the " +
	"analysis stage runs the same analyzers on the same objects with whole Pods and reports nothing, and WaypointAccepted is read above"

// ambientPolicy: an AuthorizationPolicy ("AuthorizationPolicy ns/name") in an ambient namespace of the output.
func (x *run) ambientPolicy(subject string) bool {
	ns, _, ok := strings.Cut(strings.TrimPrefix(subject, "AuthorizationPolicy "), "/")
	if !ok || !strings.HasPrefix(subject, "AuthorizationPolicy ") {
		return false
	}
	o, found := x.ex.Find("", "Namespace", "", ns)
	return found && o.GetLabels()["istio.io/dataplane-mode"] == "ambient"
}

var analysisLine = regexp.MustCompile(`Configuration analysis( resolved)?: (\w+) \[(IST\d{4})\] \(([^)]*)\) (.*)`)

// logAnalysis: istiod logs each message its analyzers report ("Configuration analysis:") and
// each one a later round no longer reports ("Configuration analysis resolved:"), on every kind
// of object (Deployments, Pods, webhooks), not only those with an Istio status.
func (x *run) logAnalysis() (current, transient []AnalysisMessage) {
	for _, i := range x.istiods {
		open := map[string]AnalysisMessage{}
		var order []string
		for _, line := range strings.Split(i.Log(), "\n") {
			m := analysisLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			key := m[3] + " " + m[4]
			msg := AnalysisMessage{Subject: m[4], Code: m[3], Level: m[2], Text: m[5]}
			if m[1] == "" {
				if _, ok := open[key]; !ok {
					order = append(order, key)
				}
				open[key] = msg
			} else if _, ok := open[key]; ok {
				delete(open, key)
				transient = append(transient, msg)
			}
		}
		for _, k := range order {
			if m, ok := open[k]; ok {
				current = append(current, m)
			}
		}
	}
	return current, transient
}

// analysisWait is how long after the sync istiod's analysis is read: its analysis debounces
// changes for 1 s and runs at most every PILOT_ANALYSIS_INTERVAL (2 s here), so this holds at
// least two rounds on the synced state.
var analysisWait = 6 * time.Second

// inProcessPilot serializes the in-process pilot of the xDS stage: it sets process-wide
// features (ambient) while an Env is loaded, and programs run in parallel.
var inProcessPilot sync.Mutex

func (x *run) checkXDS(ctx context.Context) {
	if len(x.istiods) == 0 {
		return
	}
	inProcessPilot.Lock()
	defer inProcessPilot.Unlock()
	env, err := xds.Load(x.ex)
	if err != nil {
		x.fail("xDS", "in-process pilot: "+err.Error())
		return
	}
	defer env.Close()
	for _, p := range env.Proxies() {
		w := p.Workload
		if w.Probe {
			continue
		}
		pod, err := x.livePod(ctx, w)
		if err != nil {
			x.fail(p.Name, err.Error())
			continue
		}
		i := x.istiodFor(pod)
		if i == nil {
			x.fail(p.Name, "no istiod serves the pod's revision")
			continue
		}
		typ := "sidecar"
		if w.Gateway {
			typ = "router"
		}
		if w.Waypoint {
			typ = "waypoint"
		}
		meta := AgentMetadata(pod)
		node := XDSNode{Type: typ, IP: pod.Status.PodIP, PodName: pod.Name, Namespace: pod.Namespace, Labels: pod.Labels,
			ServiceAccount: pod.Spec.ServiceAccountName, WorkloadName: w.Name, Meta: meta}
		if meta["ENABLE_HBONE"] == "true" && p.Model.Metadata != nil {
			// the mesh config's proxyMetadata (ambient: ISTIO_META_ENABLE_HBONE) reaches the proxy
			// as its agent's metadata: the in-process proxy gets it too (a sidecar then listens for
			// HBONE, with the main_internal cluster)
			p.Model.Metadata.EnableHBONE = true
		}
		live, closeFn, err := FetchXDS(ctx, fmt.Sprintf("127.0.0.1:%d", i.GRPC), node, xds.IstioVersion)
		if err != nil {
			x.fail(p.Name, "xDS client: "+err.Error())
			continue
		}
		defer closeFn()
		clusters, routes, diffs := CompareXDS(live, env.Generate(p))
		x.count("xDS clients", 1)
		x.count("xDS clusters compared", clusters)
		x.count("xDS route configurations compared", routes)
		if len(diffs) == 0 {
			x.pass(p.Name, fmt.Sprintf("the live istiod sends the %d clusters and %d route configurations pilot generates in-process", clusters, routes))
		}
		for _, d := range diffs {
			if reason, ok := listedXDS(d); ok {
				x.r.List(x.ex.Name, Stage, p.Name, "live xDS vs in-process: "+d, reason)
				continue
			}
			x.fail(p.Name, "live xDS vs in-process: "+d)
		}
	}
	x.checkDebug()
}

func listedXDS(d string) (string, bool) {
	for k, reason := range ListedXDS {
		if strings.Contains(d, k) && (strings.Contains(d, "sent by the live istiod") || strings.Contains(d, "sent live")) {
			return reason, true
		}
	}
	return "", false
}

// livePod finds a Running pod of the workload in the live cluster.
func (x *run) livePod(ctx context.Context, w *xds.Workload) (*corev1.Pod, error) {
	pods, err := x.c.Kube.CoreV1().Pods(w.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	sel := map[string]string{}
	if w.Waypoint {
		sel["gateway.networking.k8s.io/gateway-name"] = w.Name
	} else if len(w.Pods) > 0 {
		for k, v := range w.Pods[0].Labels {
			if k != "pod-template-hash" && k != "rollouts-pod-template-hash" && !strings.HasPrefix(k, "service.istio.io/") &&
				!strings.HasPrefix(k, "security.istio.io/") && k != "topology.istio.io/network" {
				sel[k] = v
			}
		}
	}
	var names []string
	for i := range pods.Items {
		p := &pods.Items[i]
		match := len(sel) > 0
		for k, v := range sel {
			if p.Labels[k] != v {
				match = false
			}
		}
		if match && p.Status.PodIP != "" {
			return p, nil
		}
		names = append(names, p.Name)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("no running pod with labels %v in %s (pods: %s)", sel, w.Namespace, strings.Join(names, ", "))
}

func (x *run) istiodFor(p *corev1.Pod) *Istiod {
	rev := p.Annotations["istio.io/rev"]
	if rev == "" {
		rev = p.Labels["istio.io/rev"]
	}
	if rev == "default" {
		rev = ""
	}
	for _, i := range x.istiods {
		if i.Revision == rev {
			return i
		}
	}
	if len(x.istiods) == 1 {
		return x.istiods[0]
	}
	return nil
}

func (x *run) checkDebug() {
	for _, i := range x.istiods {
		subject := "istiod " + orDefault(i.Revision)
		for _, path := range []string{"/debug/configz", "/debug/syncz", "/debug/push_status"} {
			b, err := i.Debug(path)
			if err != nil {
				x.failf(subject, "%s: %v", path, err)
				continue
			}
			x.count("debug endpoints read", 1)
			if problems := debugProblems(path, b); len(problems) > 0 {
				for _, p := range problems {
					x.failf(subject, "%s: %s", path, p)
				}
			} else {
				x.pass(subject, path+": no rejected, conflicting or invalid config")
			}
		}
	}
}

// checkPodSecurity reports the strictest Pod Security Standard each namespace's pods pass and,
// where the output labels a namespace for enforcement, that the label is exactly that level.
func (x *run) checkPodSecurity(ctx context.Context) {
	var nss []*corev1.Namespace
	for _, o := range x.ex.ByKind("", "Namespace") {
		nss = append(nss, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: o.GetName(), Labels: o.GetLabels()}})
	}
	level, why, err := PodSecurity(ctx, x.c, nss)
	if err != nil {
		x.fail("Pod Security", err.Error())
		return
	}
	for _, ns := range nss {
		l := level[ns.Name]
		x.count("namespaces whose pods pass Pod Security "+l, 1)
		detail := ""
		if len(why[ns.Name]) > 0 {
			detail = " (stricter: " + strings.Join(why[ns.Name], " | ") + ")"
		}
		subject := "Namespace " + ns.Name
		if want, ok := ns.Labels["pod-security.kubernetes.io/enforce"]; ok {
			x.r.Check(want == l, x.ex.Name, Stage, subject, fmt.Sprintf("enforce label %q; the strictest standard its pods pass is %q%s", want, l, detail))
			continue
		}
		x.pass(subject, fmt.Sprintf("its pods pass Pod Security %q at most (no enforce label emitted)%s", l, detail))
	}
}

func (x *run) checkLog() {
	for _, i := range x.istiods {
		subject := "istiod " + orDefault(i.Revision) + " log"
		bad, listed := logProblems(i.Log())
		for reason, n := range listed {
			x.r.List(x.ex.Name, Stage, subject, fmt.Sprintf("%d warn/error line(s)", n), reason)
		}
		for _, b := range bad {
			x.fail(subject, b)
		}
		if len(bad) == 0 {
			x.pass(subject, "no rejected, conflicting or invalid config in istiod's log")
		}
	}
}

func (x *run) secondSync(ctx context.Context, s *Sync) {
	inSync, skipped, drift, coOwned := s.Resync(ctx)
	for _, c := range coOwned {
		subject, what, _ := strings.Cut(c, ": ")
		x.r.List(x.ex.Name, Stage, subject, "the second apply wrote managedFields only ("+cut(what)+"); a third apply writes nothing",
			"RespectIgnoreDifferences applies istiod's live value of an ignored field (failurePolicy: Fail), so argocd-controller becomes its co-owner once; the object is unchanged")
	}
	x.count("second sync: objects in sync", inSync)
	x.count("second sync: not applied (ApplyOutOfSyncOnly)", skipped)
	noApps := len(x.ex.ByKind("argoproj.io", "Application")) == 0
	for _, d := range drift {
		if noApps && strings.HasPrefix(d, "ValidatingWebhookConfiguration ") && strings.Contains(d, `failurePolicy: live "Fail", applied "Ignore"`) {
			x.r.List(x.ex.Name, Stage, "second sync", d, "istiod switches its validating webhooks to failurePolicy Fail once ready; without "+
				"GitOps.argoCd() the output carries no Application ignoring that field, so a re-apply sets Ignore until istiod switches it back")
			continue
		}
		x.fail("second sync", d)
	}
	if len(drift) == 0 || noApps {
		x.pass("second sync", fmt.Sprintf("all %d objects in sync: no field-manager conflict, no change written", inSync))
	}
}

func (x *run) changedSync(ctx context.Context) {
	if x.opts.Changed == nil {
		return
	}
	before := map[string]string{}
	for _, t := range x.mustTasks(ctx, x.opts.Changed) {
		if live, err := x.liveOf(ctx, t); err == nil {
			before[t.ID] = live.GetResourceVersion()
		}
	}
	s, err := NewSync(x.c, ObjectsOf(x.opts.Changed))
	if err != nil {
		x.fail("re-synth", err.Error())
		return
	}
	s.Rewrite = x.rewrite
	_, errs := s.DryRun(ctx)
	applied, applyErrs := s.Apply(ctx, 90*time.Second)
	errs = append(errs, applyErrs...)
	for _, e := range errs {
		x.fail("re-synth with one intent changed", e)
	}
	changed := 0
	for _, t := range s.Tasks {
		live, err := x.liveOf(ctx, t)
		if err == nil && before[t.ID] != live.GetResourceVersion() {
			changed++
		}
	}
	x.count("re-synth: objects applied", applied)
	x.count("re-synth: objects changed", changed)
	if len(errs) == 0 {
		x.r.Check(changed > 0, x.ex.Name, Stage, "re-synth with one intent changed",
			fmt.Sprintf("applied cleanly: %d objects, %d changed", applied, changed))
	}
}

func (x *run) mustTasks(ctx context.Context, ex *manifest.Example) []*Task {
	s, err := NewSync(x.c, ObjectsOf(ex))
	if err != nil {
		return nil
	}
	for _, t := range s.Tasks {
		_ = s.resolve(t)
	}
	return s.Tasks
}

func (x *run) liveOf(ctx context.Context, t *Task) (*unstructured.Unstructured, error) {
	if t.GVR.Resource == "" {
		return nil, fmt.Errorf("unresolved")
	}
	if t.Namespaced {
		return x.c.Dynamic.Resource(t.GVR).Namespace(t.Obj.GetNamespace()).Get(ctx, t.Obj.GetName(), getOpts)
	}
	return x.c.Dynamic.Resource(t.GVR).Get(ctx, t.Obj.GetName(), getOpts)
}
