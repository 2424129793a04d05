package live

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

var (
	rolloutsGVR        = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "rollouts"}
	analysisRunsGVR    = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "analysisruns"}
	virtualServicesGVR = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}
)

// RolloutsOptions configures the Argo Rollouts part of a live run.
type RolloutsOptions struct {
	// AnalysisInterval replaces the AnalysisTemplates' measurement interval (a test-only
	// change of time scale: the templates measure every 60 s).
	AnalysisInterval string
}

// Prometheus stands in for Prometheus on 127.0.0.1: it answers the instant queries of the
// AnalysisTemplates with an SLO-passing or an SLO-failing value (ratio queries 1.0 or 0.5;
// histogram_quantile latency queries 120 or 4000 ms) and counts the queries it answered.
type Prometheus struct {
	Addr    string
	failing atomic.Bool
	Queries atomic.Int64
	srv     *http.Server
}

// StartPrometheus listens on a free loopback port.
func StartPrometheus() (*Prometheus, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Prometheus{Addr: "http://" + l.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/query", p.query)
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.srv.Serve(l) }()
	return p, nil
}

// SetFailing switches the answers between SLO-passing and SLO-failing values.
func (p *Prometheus) SetFailing(f bool) { p.failing.Store(f) }

// Stop closes the listener.
func (p *Prometheus) Stop() { _ = p.srv.Close() }

func (p *Prometheus) query(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	q := r.Form.Get("query")
	p.Queries.Add(1)
	v := 1.0
	switch {
	case strings.Contains(q, "histogram_quantile") && p.failing.Load():
		v = 4000
	case strings.Contains(q, "histogram_quantile"):
		v = 120
	case p.failing.Load():
		v = 0.5
	}
	now := float64(time.Now().Unix())
	body := map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": []any{
		map[string]any{"metric": map[string]any{}, "value": []any{now, strconv.FormatFloat(v, 'f', -1, 64)}},
	}}}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// RewriteAnalysis points a Prometheus AnalysisTemplate at the stand-in and shortens its
// interval (test-only; returns whether it changed the object).
func RewriteAnalysis(o *unstructured.Unstructured, addr, interval string) bool {
	if o.GetKind() != "AnalysisTemplate" && o.GetKind() != "ClusterAnalysisTemplate" {
		return false
	}
	metrics, _, _ := unstructured.NestedSlice(o.Object, "spec", "metrics")
	changed := false
	for i, raw := range metrics {
		m, _ := raw.(map[string]any)
		if _, ok, _ := unstructured.NestedMap(m, "provider", "prometheus"); !ok {
			continue
		}
		_ = unstructured.SetNestedField(m, addr, "provider", "prometheus", "address")
		if interval != "" {
			m["interval"] = interval
		}
		metrics[i] = m
		changed = true
	}
	_ = unstructured.SetNestedSlice(o.Object, metrics, "spec", "metrics")
	return changed
}

// startRollouts starts the Argo Rollouts controller (cluster-wide, no leader election).
func (x *run) startRollouts() error {
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	p, err := start(x.dir, "rollouts-controller", x.opts.Bin.path("rollouts-controller"), nil,
		"--kubeconfig="+x.c.Kubeconfig, "--leader-elect=false",
		"--metricsPort="+strconv.Itoa(ports[0]), "--healthzPort="+strconv.Itoa(ports[1]), "--loglevel=info")
	if err != nil {
		return err
	}
	x.c.Adopt(p)
	return waitHTTP(p, fmt.Sprintf("http://127.0.0.1:%d/healthz", ports[1]), http.DefaultClient, 60*time.Second)
}

// managedRoute is one VirtualService route a Rollout sets weights on.
type managedRoute struct{ ns, vs, route string }

func rolloutRoutes(ro *unstructured.Unstructured) (routes []managedRoute, canarySubset string) {
	canarySubset, _, _ = unstructured.NestedString(ro.Object, "spec", "strategy", "canary", "trafficRouting", "istio", "destinationRule", "canarySubsetName")
	vss, _, _ := unstructured.NestedSlice(ro.Object, "spec", "strategy", "canary", "trafficRouting", "istio", "virtualServices")
	for _, raw := range vss {
		m, _ := raw.(map[string]any)
		name, _ := m["name"].(string)
		ns := ro.GetNamespace()
		if n, s, ok := strings.Cut(name, "."); ok {
			name, ns = n, s
		}
		rs, _ := m["routes"].([]any)
		for _, r := range rs {
			s, _ := r.(string)
			routes = append(routes, managedRoute{ns, name, s})
		}
	}
	return routes, canarySubset
}

// canaryWeights reads the canary subset's weight of every managed route ("vs/route=w").
func (x *run) canaryWeights(ctx context.Context, ro *unstructured.Unstructured) (map[string]int64, error) {
	routes, subset := rolloutRoutes(ro)
	out := map[string]int64{}
	for _, mr := range routes {
		vs, err := x.c.Dynamic.Resource(virtualServicesGVR).Namespace(mr.ns).Get(ctx, mr.vs, getOpts)
		if err != nil {
			return nil, err
		}
		http, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
		for _, raw := range http {
			h, _ := raw.(map[string]any)
			if h["name"] != mr.route {
				continue
			}
			dests, _ := h["route"].([]any)
			w := int64(0)
			for _, d := range dests {
				dm, _ := d.(map[string]any)
				sub, _, _ := unstructured.NestedString(dm, "destination", "subset")
				if sub == subset {
					w = toInt(dm["weight"])
				}
			}
			out[mr.ns+"/"+mr.vs+"/"+mr.route] = w
		}
	}
	return out, nil
}

func toInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return 0
}

func uniform(ws map[string]int64) (int64, bool) {
	first, set := int64(-1), false
	for _, w := range ws {
		if !set {
			first, set = w, true
		} else if w != first {
			return 0, false
		}
	}
	return first, set
}

func (x *run) rolloutsOf() []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range x.ex.ByKind("argoproj.io", "Rollout") {
		out = append(out, o.Unstructured)
	}
	return out
}

// rollouts: the first revision runs no steps; a new revision walks the declared steps with a
// passing analysis (with a Git change to a managed VirtualService at the pause); another aborts
// on a failing analysis.
func (x *run) rollouts(ctx context.Context) {
	for _, spec := range x.rolloutsOf() {
		subject := "Rollout " + spec.GetNamespace() + "/" + spec.GetName()
		ro, ok := x.waitRollout(ctx, spec, func(ro *unstructured.Unstructured) bool { return phase(ro) == "Healthy" }, 90*time.Second)
		if !ok {
			x.failf(subject, "first revision not Healthy: phase %q %s", phase(ro), message(ro))
			continue
		}
		steps, _, _ := unstructured.NestedSlice(spec.Object, "spec", "strategy", "canary", "steps")
		idx := nestedInt(ro, "status", "currentStepIndex")
		ws, err := x.canaryWeights(ctx, ro)
		w, _ := uniform(ws)
		x.r.Check(err == nil && idx == int64(len(steps)) && w == 0 && runsOf(ctx, x, spec) == 0, x.ex.Name, Stage, subject,
			fmt.Sprintf("first revision: Healthy at once, step index %d of %d, canary weights %v, %d AnalysisRuns (no steps run)", idx, len(steps), ws, runsOf(ctx, x, spec)))
		x.walk(ctx, spec, 2, false)
		x.walk(ctx, spec, 3, true)
	}
}

// rolloutObserved: the controller has seen the Rollout's generation (Argo Rollouts writes
// status.observedGeneration as a string).
func rolloutObserved(ro *unstructured.Unstructured) bool {
	s, _, _ := unstructured.NestedString(ro.Object, "status", "observedGeneration")
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n >= ro.GetGeneration()
}

func phase(ro *unstructured.Unstructured) string {
	if ro == nil {
		return ""
	}
	p, _, _ := unstructured.NestedString(ro.Object, "status", "phase")
	return p
}

func message(ro *unstructured.Unstructured) string {
	if ro == nil {
		return ""
	}
	m, _, _ := unstructured.NestedString(ro.Object, "status", "message")
	return m
}

func runsOf(ctx context.Context, x *run, ro *unstructured.Unstructured) int {
	list, err := x.c.Dynamic.Resource(analysisRunsGVR).Namespace(ro.GetNamespace()).List(ctx, metav1.ListOptions{})
	if err != nil {
		return -1
	}
	return len(list.Items)
}

func (x *run) waitRollout(ctx context.Context, spec *unstructured.Unstructured, done func(*unstructured.Unstructured) bool, timeout time.Duration) (*unstructured.Unstructured, bool) {
	var ro *unstructured.Unstructured
	ok := waitFor(timeout, func() bool {
		var err error
		ro, err = x.c.Dynamic.Resource(rolloutsGVR).Namespace(spec.GetNamespace()).Get(ctx, spec.GetName(), getOpts)
		return err == nil && rolloutObserved(ro) && done(ro)
	})
	return ro, ok
}

// applyRevision commits a new revision of the Rollout, as Argo CD applies the next Git commit:
// the pod template changes (a new release of the canary version).
func (x *run) applyRevision(ctx context.Context, spec *unstructured.Unstructured, rev int) error {
	o := spec.DeepCopy()
	_ = unstructured.SetNestedField(o.Object, strconv.Itoa(rev), "spec", "template", "metadata", "annotations", "live.cdk8s-mesh.io/revision")
	_, err := x.c.Dynamic.Resource(rolloutsGVR).Namespace(o.GetNamespace()).Apply(ctx, o.GetName(), o, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	return err
}

// walk applies revision rev and follows the controller through the steps, reading the
// VirtualService weights every 50 ms; failing: the stand-in answers SLO-failing values.
func (x *run) walk(ctx context.Context, spec *unstructured.Unstructured, rev int, failing bool) {
	subject := fmt.Sprintf("Rollout %s/%s revision %d", spec.GetNamespace(), spec.GetName(), rev)
	x.prom.SetFailing(failing)
	steps, _, _ := unstructured.NestedSlice(spec.Object, "spec", "strategy", "canary", "steps")
	var declared []int64
	for _, raw := range steps {
		if w, ok := raw.(map[string]any)["setWeight"]; ok {
			declared = append(declared, toInt(w))
		}
	}
	if err := x.applyRevision(ctx, spec, rev); err != nil {
		x.fail(subject, err.Error())
		return
	}
	var seq []int64 // distinct successive canary weights read from the VirtualServices
	gitChanged := false
	deadline := time.Now().Add(150 * time.Second)
	var ro *unstructured.Unstructured
	for time.Now().Before(deadline) {
		var err error
		cur, err := x.c.Dynamic.Resource(rolloutsGVR).Namespace(spec.GetNamespace()).Get(ctx, spec.GetName(), getOpts)
		if err != nil || !rolloutObserved(cur) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		ro = cur
		if ws, err := x.canaryWeights(ctx, ro); err == nil {
			if w, ok := uniform(ws); ok && (len(seq) == 0 || seq[len(seq)-1] != w) {
				seq = append(seq, w)
			}
		}
		aborted, _, _ := unstructured.NestedBool(ro.Object, "status", "abort")
		if failing && aborted {
			break
		}
		if !failing && phase(ro) == "Healthy" && nestedInt(ro, "status", "currentStepIndex") == int64(len(steps)) &&
			ro.GetAnnotations()["rollout.argoproj.io/revision"] != "" && len(seq) > 1 {
			break
		}
		if pcs, _, _ := unstructured.NestedSlice(ro.Object, "status", "pauseConditions"); len(pcs) > 0 {
			if !failing && !gitChanged {
				gitChanged = true
				x.gitChangeMidCanary(ctx, ro)
				if ws, err := x.canaryWeights(ctx, ro); err == nil {
					if w, ok := uniform(ws); ok && seq[len(seq)-1] != w {
						seq = append(seq, w)
					}
				}
			}
			x.promote(ctx, ro)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if ro == nil {
		x.fail(subject, "the controller never observed the revision")
		return
	}
	// after a promotion or an abort the controller sends all traffic to the (new) stable subset
	var ws map[string]int64
	waitFor(15*time.Second, func() bool {
		ws, _ = x.canaryWeights(ctx, ro)
		w, ok := uniform(ws)
		return ok && w == 0
	})
	if w, ok := uniform(ws); ok && (len(seq) == 0 || seq[len(seq)-1] != w) {
		seq = append(seq, w)
	}
	aborted, _, _ := unstructured.NestedBool(ro.Object, "status", "abort")
	x.count("Rollout steps observed", int(nestedInt(ro, "status", "currentStepIndex")))
	if failing {
		// the canary reaches the analysis step, fails it and returns all traffic to stable
		reached := prefixOf(declared, seq)
		x.r.Check(aborted && len(seq) > 0 && seq[len(seq)-1] == 0 && reached > 0, x.ex.Name, Stage, subject,
			fmt.Sprintf("failing analysis (stand-in answers 0.5 / 4000 ms): aborted %t, phase %s, canary weights read %v (declared %v), now %v; %s",
				aborted, phase(ro), seq, declared, ws, message(ro)))
		x.prom.SetFailing(false)
		return
	}
	x.r.Check(phase(ro) == "Healthy" && !aborted && subsequence(declared, seq) && seq[len(seq)-1] == 0, x.ex.Name, Stage, subject,
		fmt.Sprintf("passing analysis: promoted, phase %s, %d/%d steps, canary weights read in order %v (declared setWeight %v, then 0 on the new stable), %d queries answered",
			phase(ro), nestedInt(ro, "status", "currentStepIndex"), len(steps), seq, declared, x.prom.Queries.Load()))
}

// subsequence: want appears in got in order (other values may come between).
func subsequence(want, got []int64) bool {
	return prefixOf(want, got) == len(want)
}

// prefixOf: how many of want appear in got in order.
func prefixOf(want, got []int64) int {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i
}

func (x *run) promote(ctx context.Context, ro *unstructured.Unstructured) {
	_, err := x.c.Dynamic.Resource(rolloutsGVR).Namespace(ro.GetNamespace()).Patch(ctx, ro.GetName(), types.MergePatchType,
		[]byte(`{"status":{"pauseConditions":null}}`), metav1.PatchOptions{}, "status")
	if err != nil {
		x.fail("promote "+ro.GetName(), err.Error())
	}
	if paused, _, _ := unstructured.NestedBool(ro.Object, "spec", "paused"); paused {
		_, _ = x.c.Dynamic.Resource(rolloutsGVR).Namespace(ro.GetNamespace()).Patch(ctx, ro.GetName(), types.MergePatchType,
			[]byte(`{"spec":{"paused":false}}`), metav1.PatchOptions{})
	}
}

// gitChangeMidCanary applies, as Argo CD does, a Git edit of the first managed VirtualService
// (a timeout on each managed route) while the controller holds the canary weights, and reads
// the weights right after the apply and after the controller's next reconcile.
func (x *run) gitChangeMidCanary(ctx context.Context, ro *unstructured.Unstructured) {
	routes, _ := rolloutRoutes(ro)
	if len(routes) == 0 {
		return
	}
	mr := routes[0]
	subject := fmt.Sprintf("Git change to VirtualService %s/%s mid-canary", mr.ns, mr.vs)
	obj, ok := x.ex.Find("networking.istio.io", "VirtualService", mr.ns, mr.vs)
	if !ok {
		x.fail(subject, "the managed VirtualService is not in the output")
		return
	}
	before, _ := x.canaryWeights(ctx, ro)
	o := obj.Unstructured.DeepCopy()
	http, _, _ := unstructured.NestedSlice(o.Object, "spec", "http")
	for i, raw := range http {
		h, _ := raw.(map[string]any)
		if h["name"] == mr.route {
			h["timeout"] = "7s"
			http[i] = h
		}
	}
	_ = unstructured.SetNestedSlice(o.Object, http, "spec", "http")
	t0 := time.Now()
	if _, err := x.c.Dynamic.Resource(virtualServicesGVR).Namespace(mr.ns).Apply(ctx, mr.vs, o, metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
		x.fail(subject, err.Error())
		return
	}
	right, _ := x.canaryWeights(ctx, ro)
	var after map[string]int64
	restored := waitFor(10*time.Second, func() bool {
		after, _ = x.canaryWeights(ctx, ro)
		return fmt.Sprint(after) == fmt.Sprint(before)
	})
	vs, _ := x.c.Dynamic.Resource(virtualServicesGVR).Namespace(mr.ns).Get(ctx, mr.vs, getOpts)
	timeoutKept := false
	if vs != nil {
		hs, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
		for _, raw := range hs {
			if h, _ := raw.(map[string]any); h["name"] == mr.route && h["timeout"] == "7s" {
				timeoutKept = true
			}
		}
	}
	rw := right[mr.ns+"/"+mr.vs+"/"+mr.route]
	msg := fmt.Sprintf("canary weights before %v; right after Argo CD applies the edit %v; %s later %v (restored by the controller: %t); the edit (timeout 7s) kept: %t",
		before, right, time.Since(t0).Round(100*time.Millisecond), after, restored, timeoutKept)
	// what the README states: the edit reaches the cluster, and the applied object carries Git's
	// weights until Argo Rollouts writes its own again
	x.r.Check(timeoutKept && rw == 0, x.ex.Name, Stage, subject, msg)
}
