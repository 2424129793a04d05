package live

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/itchyny/gojq"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
)

// FieldManager is the field manager Argo CD's server-side apply uses (ArgoCDSSAManager).
const FieldManager = "argocd-controller"

const (
	syncWaveAnnotation    = "argocd.argoproj.io/sync-wave"
	syncOptionsAnnotation = "argocd.argoproj.io/sync-options"
)

// kindOrder is the order in which Argo CD's sync engine (gitops-engine's sync tasks) applies
// kinds within one sync wave; kinds it does not list (custom resources, webhook
// configurations) come after these.
var kindOrder = map[string]int{
	"Namespace": -26, "ResourceQuota": -24, "LimitRange": -24, "PodSecurityPolicy": -23, "Secret": -22, "ConfigMap": -21,
	"StorageClass": -20, "PersistentVolume": -19, "PersistentVolumeClaim": -18, "ServiceAccount": -17,
	"CustomResourceDefinition": -16, "ClusterRole": -15, "ClusterRoleBinding": -14, "Role": -13, "RoleBinding": -12,
	"Service": -11, "DaemonSet": -10, "Pod": -9, "ReplicationController": -8, "ReplicaSet": -7, "Deployment": -6,
	"StatefulSet": -5, "Job": -4, "CronJob": -3, "Ingress": -2, "APIService": -1,
}

// Task is one object of the sync.
type Task struct {
	Obj         *unstructured.Unstructured
	ID          string
	Wave        int
	Options     map[string]bool // argocd.argoproj.io/sync-options
	GVR         schema.GroupVersionResource
	Namespaced  bool
	SkipDryRun  string // why the dry run was skipped ("" = it ran)
	Ignore      []string
	RespectDiff bool // RespectIgnoreDifferences of its Application
	OutOfSync   bool // ApplyOutOfSyncOnly of its Application
}

// Sync applies a program's output the way Argo CD's sync does.
type Sync struct {
	c      *Cluster
	mapper *restmapper.DeferredDiscoveryRESTMapper
	Tasks  []*Task
	// Derived: the output has no sync waves; they were derived from its files (derivedWave).
	Derived bool
	Rewrite func(*unstructured.Unstructured) // test-only changes before apply (webhook URLs)
	// BeforeHealth runs after each wave is applied, before its health is awaited.
	BeforeHealth func(wave int) error
}

// NewSync orders the objects into waves and reads the ignoreDifferences of every Argo CD
// Application in the output.
func NewSync(c *Cluster, objs []*unstructured.Unstructured) (*Sync, error) {
	s := &Sync{c: c}
	ignores := applicationIgnores(objs)
	derived := !anyWave(objs)
	s.Derived = derived
	for _, o := range objs {
		t := &Task{Obj: o, ID: objID(o), Wave: 0, Options: map[string]bool{}}
		if w, ok := o.GetAnnotations()[syncWaveAnnotation]; ok {
			n, err := strconv.Atoi(w)
			if err != nil {
				return nil, fmt.Errorf("%s: sync wave %q is not a number", t.ID, w)
			}
			t.Wave = n
		}
		if derived {
			t.Wave = derivedWave(o)
		}
		for _, opt := range strings.Split(o.GetAnnotations()[syncOptionsAnnotation], ",") {
			if opt = strings.TrimSpace(opt); opt != "" {
				t.Options[opt] = true
			}
		}
		for _, ig := range ignores {
			if ig.matches(o) {
				t.Ignore = append(t.Ignore, ig.jq...)
				t.RespectDiff = t.RespectDiff || ig.respect
				t.OutOfSync = t.OutOfSync || ig.outOfSyncOnly
			}
		}
		s.Tasks = append(s.Tasks, t)
	}
	sort.SliceStable(s.Tasks, func(i, j int) bool {
		a, b := s.Tasks[i], s.Tasks[j]
		if a.Wave != b.Wave {
			return a.Wave < b.Wave
		}
		if ka, kb := kindRank(a.Obj.GetKind()), kindRank(b.Obj.GetKind()); ka != kb {
			return ka < kb
		}
		return a.Obj.GetName() < b.Obj.GetName()
	})
	return s, nil
}

func anyWave(objs []*unstructured.Unstructured) bool {
	for _, o := range objs {
		if _, ok := o.GetAnnotations()[syncWaveAnnotation]; ok {
			return true
		}
	}
	return false
}

// derivedWave orders an output without Argo CD annotations the way the README's kubectl steps
// (and GitOps.argoCd()) do: CRDs and Namespaces, then the control plane's objects (istiod and
// its webhooks: the file that carries the istiod Deployment), then everything else.
func derivedWave(o *unstructured.Unstructured) int {
	switch o.GetKind() {
	case "CustomResourceDefinition", "Namespace":
		return -3
	}
	if cp := o.GetAnnotations()[controlPlaneFileAnnotation]; cp == "true" {
		return -2
	}
	return 0
}

// controlPlaneFileAnnotation marks (in the stage's copy only) objects of a file that holds an
// istiod Deployment; set by ObjectsOf.
const controlPlaneFileAnnotation = "live.cdk8s-mesh.io/control-plane-file"

func kindRank(kind string) int {
	return kindOrder[kind] // unknown kinds: 0, after every listed one
}

func objID(o *unstructured.Unstructured) string {
	if ns := o.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", o.GetKind(), ns, o.GetName())
	}
	return fmt.Sprintf("%s %s", o.GetKind(), o.GetName())
}

// Waves returns the distinct sync waves in order.
func (s *Sync) Waves() []int {
	var out []int
	for _, t := range s.Tasks {
		if len(out) == 0 || out[len(out)-1] != t.Wave {
			out = append(out, t.Wave)
		}
	}
	return out
}

func (s *Sync) resolve(t *Task) error {
	if s.mapper == nil {
		s.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(s.c.Kube.Discovery()))
	}
	gvk := t.Obj.GroupVersionKind()
	m, err := s.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return err
	}
	t.GVR, t.Namespaced = m.Resource, m.Scope.Name() == meta.RESTScopeNameNamespace
	return nil
}

func (s *Sync) client(t *Task) dynamic.ResourceInterface {
	if t.Namespaced {
		return s.c.Dynamic.Resource(t.GVR).Namespace(t.Obj.GetNamespace())
	}
	return s.c.Dynamic.Resource(t.GVR)
}

// crdInSync reports whether the output carries the CRD of a kind.
func (s *Sync) crdInSync(gk schema.GroupKind) bool {
	for _, t := range s.Tasks {
		if t.Obj.GetKind() != "CustomResourceDefinition" {
			continue
		}
		g, _, _ := unstructured.NestedString(t.Obj.Object, "spec", "group")
		k, _, _ := unstructured.NestedString(t.Obj.Object, "spec", "names", "kind")
		if g == gk.Group && k == gk.Kind {
			return true
		}
	}
	return false
}

func (s *Sync) namespaceInSync(ns string) bool {
	for _, t := range s.Tasks {
		if t.Obj.GetKind() == "Namespace" && t.Obj.GetName() == ns {
			return true
		}
	}
	return false
}

// DryRun runs the server-side dry run of every task, as Argo CD does before applying
// anything: a kind the API server does not know yet is skipped when its CRD is part of
// the sync or the object says SkipDryRunOnMissingResource=true; any other failure
// fails the sync.
func (s *Sync) DryRun(ctx context.Context) (ran int, errs []string) {
	out := make([]string, len(s.Tasks))
	ok := make([]bool, len(s.Tasks))
	byKindGroups(s.Tasks, func(i int, t *Task) bool {
		t.SkipDryRun = ""
		if err := s.resolve(t); err != nil {
			gk := t.Obj.GroupVersionKind().GroupKind()
			switch {
			case !meta.IsNoMatchError(err):
				out[i] = fmt.Sprintf("%s: %v", t.ID, err)
			case s.crdInSync(gk):
				t.SkipDryRun = "CRD in this sync"
			case t.Options["SkipDryRunOnMissingResource=true"]:
				t.SkipDryRun = "SkipDryRunOnMissingResource"
			default:
				out[i] = fmt.Sprintf("%s: the server does not know %s and the object does not set SkipDryRunOnMissingResource=true: %v", t.ID, gk, err)
			}
			return false
		}
		return true
	}, func(i int, t *Task) {
		_, err := s.client(t).Apply(ctx, t.Obj.GetName(), s.prepared(t, nil), metav1.ApplyOptions{FieldManager: FieldManager, Force: true, DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			if apierrors.IsNotFound(err) && t.Namespaced && s.namespaceInSync(t.Obj.GetNamespace()) {
				if _, nsErr := s.c.Kube.CoreV1().Namespaces().Get(ctx, t.Obj.GetNamespace(), getOpts); apierrors.IsNotFound(nsErr) {
					t.SkipDryRun = "namespace created by this sync"
					return
				}
			}
			out[i] = fmt.Sprintf("%s: dry run: %v", t.ID, err)
			return
		}
		ok[i] = true
	})
	for i := range s.Tasks {
		if ok[i] {
			ran++
		}
		if out[i] != "" {
			errs = append(errs, out[i])
		}
	}
	return ran, errs
}

// syncConcurrency bounds the requests one sync makes at once.
const syncConcurrency = 8

// byKindGroups runs the tasks in runs of consecutive tasks of one kind, in order, as Argo CD's
// sync engine does (gitops-engine applies the tasks of one kind in parallel, kind after kind):
// prepare runs on each task of a run one after the other (it may reset the shared REST mapper;
// false leaves the task out), then act on the prepared ones concurrently (at most
// syncConcurrency at once). i is the task's index in tasks.
func byKindGroups(tasks []*Task, prepare func(i int, t *Task) bool, act func(i int, t *Task)) {
	for start := 0; start < len(tasks); {
		end := start + 1
		for end < len(tasks) && tasks[end].Obj.GetKind() == tasks[start].Obj.GetKind() {
			end++
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, syncConcurrency)
		for i := start; i < end; i++ {
			if prepare != nil && !prepare(i, tasks[i]) {
				continue
			}
			wg.Add(1)
			sem <- struct{}{}
			go func(i int) {
				defer wg.Done()
				defer func() { <-sem }()
				act(i, tasks[i])
			}(i)
		}
		wg.Wait()
		start = end
	}
}

// prepared is the object as applied: the test-only rewrite, and with
// RespectIgnoreDifferences the live values of the ignored fields.
func (s *Sync) prepared(t *Task, live *unstructured.Unstructured) *unstructured.Unstructured {
	o := t.Obj.DeepCopy()
	if a := o.GetAnnotations(); a != nil {
		if _, ok := a[controlPlaneFileAnnotation]; ok {
			delete(a, controlPlaneFileAnnotation)
			if len(a) == 0 {
				a = nil
			}
			o.SetAnnotations(a)
		}
	}
	if s.Rewrite != nil {
		s.Rewrite(o)
	}
	if t.RespectDiff && live != nil {
		for _, expr := range t.Ignore {
			if err := copyPaths(expr, live.Object, o.Object); err != nil {
				// an expression that does not evaluate leaves the target as it is
				continue
			}
		}
	}
	return o
}

// Apply applies wave by wave (server-side apply, Argo CD's field manager, forced as Argo CD
// does), refreshes discovery after CRDs and waits for every object of a wave to be healthy
// before the next wave.
func (s *Sync) Apply(ctx context.Context, healthTimeout time.Duration) (applied int, errs []string) {
	for _, wave := range s.Waves() {
		var inWave []*Task
		for _, t := range s.Tasks {
			if t.Wave == wave {
				inWave = append(inWave, t)
			}
		}
		out := make([]string, len(inWave))
		ok := make([]bool, len(inWave))
		byKindGroups(inWave, func(i int, t *Task) bool {
			if err := s.resolve(t); err != nil {
				s.mapper.Reset()
				if err := s.resolve(t); err != nil {
					out[i] = fmt.Sprintf("%s: %v", t.ID, err)
					return false
				}
			}
			return true
		}, func(i int, t *Task) {
			if _, err := s.client(t).Apply(ctx, t.Obj.GetName(), s.prepared(t, nil), metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
				out[i] = fmt.Sprintf("%s (wave %d): %v", t.ID, wave, err)
				return
			}
			ok[i] = true
			if t.Obj.GetKind() == "CustomResourceDefinition" {
				if err := s.waitEstablished(ctx, t.Obj.GetName()); err != nil {
					out[i] = fmt.Sprintf("%s: %v", t.ID, err)
				}
			}
		})
		for i := range inWave {
			if ok[i] {
				applied++
			}
			if out[i] != "" {
				errs = append(errs, out[i])
			}
		}
		if s.mapper != nil {
			s.mapper.Reset()
		}
		if s.BeforeHealth != nil {
			if err := s.BeforeHealth(wave); err != nil {
				errs = append(errs, fmt.Sprintf("wave %d: %v", wave, err))
				return applied, errs
			}
		}
		// every object of the wave healthy: one poll at a time (polling every object of the
		// wave at once multiplies the API server's load while they become ready)
		for _, t := range inWave {
			if msg := s.waitHealthy(ctx, t, healthTimeout); msg != "" {
				errs = append(errs, fmt.Sprintf("%s (wave %d) not healthy: %s", t.ID, wave, msg))
			}
		}
	}
	return applied, errs
}

func (s *Sync) waitEstablished(ctx context.Context, name string) error {
	gvr := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	deadline := time.Now().Add(crdEstablishedTimeout)
	for time.Now().Before(deadline) {
		// a watch from the current state (its first event is the CRD as it is now), not a poll
		// of the whole (large) object; watched again if the server ends the watch early
		wctx, cancel := context.WithDeadline(ctx, deadline)
		w, err := s.c.Dynamic.Resource(gvr).Watch(wctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
		if err != nil {
			cancel()
			time.Sleep(200 * time.Millisecond)
			continue
		}
		established := false
		for ev := range w.ResultChan() {
			if crd, ok := ev.Object.(*unstructured.Unstructured); ok && condition(crd, "Established") == "True" {
				established = true
				break
			}
		}
		w.Stop()
		cancel()
		if established {
			return nil
		}
	}
	return fmt.Errorf("CRD not Established after %s", crdEstablishedTimeout)
}

// crdEstablishedTimeout is how long a CRD may take to be Established (seconds on an idle
// machine; the bound only matters on a loaded one).
const crdEstablishedTimeout = 2 * time.Minute

// condition returns the status of a status.conditions entry ("" when absent).
func condition(o *unstructured.Unstructured, typ string) string {
	c := conditionOf(o.Object, typ)
	if c == nil {
		return ""
	}
	st, _ := c["status"].(string)
	return st
}

func conditionOf(obj map[string]any, typ string, path ...string) map[string]any {
	if len(path) == 0 {
		path = []string{"status", "conditions"}
	}
	list, _, _ := unstructured.NestedSlice(obj, path...)
	for _, raw := range list {
		c, _ := raw.(map[string]any)
		if c["type"] == typ {
			return c
		}
	}
	return nil
}

// waitHealthy applies Argo CD's built-in health checks of the kinds that have one.
func (s *Sync) waitHealthy(ctx context.Context, t *Task, timeout time.Duration) string {
	check := healthCheck(t.Obj.GetKind())
	if check == nil || t.GVR.Resource == "" {
		return ""
	}
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		live, err := s.client(t).Get(ctx, t.Obj.GetName(), getOpts)
		if err != nil {
			last = err.Error()
		} else if last = check(live); last == "" {
			return ""
		}
		time.Sleep(100 * time.Millisecond)
	}
	return last
}

func healthCheck(kind string) func(*unstructured.Unstructured) string {
	switch kind {
	case "Deployment", "StatefulSet":
		return func(o *unstructured.Unstructured) string {
			gen, obs := o.GetGeneration(), nestedInt(o, "status", "observedGeneration")
			want := nestedIntOr(o, 1, "spec", "replicas")
			ready := nestedInt(o, "status", "readyReplicas")
			upd := nestedInt(o, "status", "updatedReplicas")
			if obs < gen || ready < want || upd < want {
				return fmt.Sprintf("observedGeneration %d/%d, ready %d/%d, updated %d/%d", obs, gen, ready, want, upd, want)
			}
			return ""
		}
	case "DaemonSet":
		return func(o *unstructured.Unstructured) string {
			want := nestedInt(o, "status", "desiredNumberScheduled")
			ready := nestedInt(o, "status", "numberReady")
			if o.GetGeneration() > nestedInt(o, "status", "observedGeneration") || want == 0 || ready < want {
				return fmt.Sprintf("ready %d/%d", ready, want)
			}
			return ""
		}
	}
	return nil
}

func nestedInt(o *unstructured.Unstructured, path ...string) int64 { return nestedIntOr(o, 0, path...) }

func nestedIntOr(o *unstructured.Unstructured, def int64, path ...string) int64 {
	v, ok, _ := unstructured.NestedFieldNoCopy(o.Object, path...)
	if !ok {
		return def
	}
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return def
}

// Resync is the second sync of the same output. Every object must be in sync: the server-side
// dry run of it without force reports no field-manager conflict and returns the live object
// (ignored fields aside), and the forced apply Argo CD makes leaves its resourceVersion alone.
func (s *Sync) Resync(ctx context.Context) (inSync, skipped int, drift, coOwned []string) {
	results := make([]resyncResult, len(s.Tasks))
	byKindGroups(s.Tasks, func(i int, t *Task) bool {
		if err := s.resolve(t); err != nil {
			results[i].drift = fmt.Sprintf("%s: %v", t.ID, err)
			return false
		}
		return true
	}, func(i int, t *Task) { results[i] = s.resyncOne(ctx, t) })
	for _, r := range results {
		if r.inSync {
			inSync++
		}
		if r.skipped {
			skipped++
		}
		if r.drift != "" {
			drift = append(drift, r.drift)
		}
		if r.coOwned != "" {
			coOwned = append(coOwned, r.coOwned)
		}
	}
	return inSync, skipped, drift, coOwned
}

// resyncResult is what the second sync found for one object.
type resyncResult struct {
	inSync, skipped bool
	drift, coOwned  string
}

// resyncOne is the second sync of one (resolved) object.
func (s *Sync) resyncOne(ctx context.Context, t *Task) (r resyncResult) {
	live, err := s.client(t).Get(ctx, t.Obj.GetName(), getOpts)
	if err != nil {
		r.drift = fmt.Sprintf("%s: %v", t.ID, err)
		return r
	}
	want := s.prepared(t, live)
	// sync status as Argo CD's server-side diff computes it: a forced dry-run apply, ignored fields removed
	dry, err := s.client(t).Apply(ctx, t.Obj.GetName(), want, metav1.ApplyOptions{FieldManager: FieldManager, Force: true, DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		r.drift = fmt.Sprintf("%s: second apply (dry run): %v", t.ID, err)
		return r
	}
	if d := firstDifference(normalized(live, t.Ignore), normalized(dry, t.Ignore), ""); d != "" {
		r.drift = fmt.Sprintf("%s: out of sync after the first sync: %s", t.ID, d)
		return r
	}
	r.inSync = true
	if t.OutOfSync {
		r.skipped = true // ApplyOutOfSyncOnly: Argo CD does not apply an object that is in sync
		return r
	}
	// Argo CD applies it again (forced): it must not take a field from another manager
	if _, err := s.client(t).Apply(ctx, t.Obj.GetName(), want, metav1.ApplyOptions{FieldManager: FieldManager, DryRun: []string{metav1.DryRunAll}}); err != nil {
		r.drift = fmt.Sprintf("%s: the second apply would take fields from another manager: %v", t.ID, err)
		return r
	}
	after, err := s.client(t).Apply(ctx, t.Obj.GetName(), want, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if err != nil {
		r.drift = fmt.Sprintf("%s: second apply: %v", t.ID, err)
		return r
	}
	if after.GetResourceVersion() == live.GetResourceVersion() {
		return r
	}
	if d := firstDifference(normalized(live, nil), normalized(after, nil), ""); d != "" {
		r.drift = fmt.Sprintf("%s: the second apply changed the object: %s", t.ID, d)
		return r
	}
	// only managedFields changed: Argo CD's manager took co-ownership of a field another
	// manager (istiod) set, with that manager's value (RespectIgnoreDifferences). Once only:
	// a third apply must not write again.
	third, err := s.client(t).Apply(ctx, t.Obj.GetName(), want, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if err != nil || third.GetResourceVersion() != after.GetResourceVersion() {
		r.drift = fmt.Sprintf("%s: every apply writes the object (%v)", t.ID, firstDifference(normalizedAll(after), normalizedAll(third), ""))
		return r
	}
	r.coOwned = fmt.Sprintf("%s: %s", t.ID, firstDifference(normalizedAll(live), normalizedAll(after), ""))
	return r
}

// normalizedAll keeps everything but identity and times (managedFields included).
func normalizedAll(o *unstructured.Unstructured) map[string]any {
	c := o.DeepCopy().Object
	md, _ := c["metadata"].(map[string]any)
	for _, k := range []string{"resourceVersion", "generation"} {
		delete(md, k)
	}
	if mf, ok := md["managedFields"].([]any); ok {
		for _, raw := range mf {
			if m, ok := raw.(map[string]any); ok {
				delete(m, "time")
			}
		}
	}
	return c
}

// normalized drops what the server owns and what the Application ignores.
func normalized(o *unstructured.Unstructured, ignore []string) map[string]any {
	c := o.DeepCopy().Object
	md, _ := c["metadata"].(map[string]any)
	for _, k := range []string{"managedFields", "resourceVersion", "generation", "creationTimestamp", "uid"} {
		delete(md, k)
	}
	delete(c, "status")
	for _, expr := range ignore {
		if out, err := deletePaths(expr, c); err == nil {
			c = out
		}
	}
	return c
}

func firstDifference(a, b any, path string) string {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: %s", orRoot(path), short(a, b))
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		var sorted []string
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			if d := firstDifference(av[k], bv[k], path+"."+k); d != "" {
				return d
			}
		}
		return ""
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return fmt.Sprintf("%s: %s", orRoot(path), short(a, b))
		}
		for i := range av {
			if d := firstDifference(av[i], bv[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Sprintf("%s: %s", orRoot(path), short(a, b))
	}
	return ""
}

func orRoot(p string) string {
	if p == "" {
		return "."
	}
	return p
}

func short(a, b any) string {
	sa, _ := json.Marshal(a)
	sb, _ := json.Marshal(b)
	cut := func(s []byte) string {
		if len(s) > 160 {
			return string(s[:160]) + "..."
		}
		return string(s)
	}
	return fmt.Sprintf("live %s, applied %s", cut(sa), cut(sb))
}

// --- Argo CD Applications: ignoreDifferences ------------------------------------------

type ignoreRule struct {
	group, kind, name, namespace string
	jq                           []string
	respect, outOfSyncOnly       bool
}

func (r ignoreRule) matches(o *unstructured.Unstructured) bool {
	return r.group == o.GroupVersionKind().Group && r.kind == o.GetKind() &&
		(r.name == "" || r.name == o.GetName()) && (r.namespace == "" || r.namespace == o.GetNamespace())
}

func applicationIgnores(objs []*unstructured.Unstructured) []ignoreRule {
	var out []ignoreRule
	for _, o := range objs {
		if o.GetKind() != "Application" || o.GroupVersionKind().Group != "argoproj.io" {
			continue
		}
		opts, _, _ := unstructured.NestedStringSlice(o.Object, "spec", "syncPolicy", "syncOptions")
		respect, outOfSync := false, false
		for _, opt := range opts {
			respect = respect || opt == "RespectIgnoreDifferences=true"
			outOfSync = outOfSync || opt == "ApplyOutOfSyncOnly=true"
		}
		list, _, _ := unstructured.NestedSlice(o.Object, "spec", "ignoreDifferences")
		for _, raw := range list {
			m, _ := raw.(map[string]any)
			r := ignoreRule{respect: respect, outOfSyncOnly: outOfSync}
			r.group, _ = m["group"].(string)
			r.kind, _ = m["kind"].(string)
			r.name, _ = m["name"].(string)
			r.namespace, _ = m["namespace"].(string)
			exprs, _ := m["jqPathExpressions"].([]any)
			for _, e := range exprs {
				if s, ok := e.(string); ok {
					r.jq = append(r.jq, s)
				}
			}
			out = append(out, r)
		}
	}
	return out
}

// ObjectsOf returns the objects of a loaded program. Without sync waves in the output, objects
// of a file that holds an istiod Deployment are marked for the control-plane wave (derivedWave).
func ObjectsOf(ex *manifest.Example) []*unstructured.Unstructured {
	cpFiles := map[string]bool{}
	for _, o := range ex.Objects {
		if o.GetKind() == "Deployment" && o.GetLabels()["app"] == "istiod" {
			cpFiles[o.File] = true
		}
	}
	var out []*unstructured.Unstructured
	for _, o := range ex.Objects {
		c := o.Unstructured.DeepCopy()
		if cpFiles[o.File] {
			a := c.GetAnnotations()
			if a == nil {
				a = map[string]string{}
			}
			a[controlPlaneFileAnnotation] = "true"
			c.SetAnnotations(a)
		}
		out = append(out, c)
	}
	return out
}

// --- jq path expressions (gojq, the engine Argo CD's normalizer uses) -----------------

func jqRun(query string, input any) ([]any, error) {
	q, err := gojq.Parse(query)
	if err != nil {
		return nil, err
	}
	iter := q.Run(jsonRoundTrip(input))
	var out []any
	for {
		v, ok := iter.Next()
		if !ok {
			return out, nil
		}
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		out = append(out, v)
	}
}

// jsonRoundTrip turns unstructured content (int64 etc.) into plain JSON values for gojq.
func jsonRoundTrip(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func deletePaths(expr string, obj map[string]any) (map[string]any, error) {
	res, err := jqRun("del("+expr+")", obj)
	if err != nil || len(res) != 1 {
		return nil, fmt.Errorf("del(%s): %v", expr, err)
	}
	m, ok := res[0].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("del(%s) is not an object", expr)
	}
	return m, nil
}

// copyPaths sets every path the expression selects in live to the live value in target.
func copyPaths(expr string, live, target map[string]any) error {
	paths, err := jqRun("[path("+expr+")]", live)
	if err != nil || len(paths) != 1 {
		return fmt.Errorf("path(%s): %v", expr, err)
	}
	list, _ := paths[0].([]any)
	cur := jsonRoundTrip(target)
	lv := jsonRoundTrip(live)
	for _, p := range list {
		q, err := gojq.Parse("setpath($p; ($l | getpath($p)))")
		if err != nil {
			return err
		}
		code, err := gojq.Compile(q, gojq.WithVariables([]string{"$p", "$l"}))
		if err != nil {
			return err
		}
		it := code.Run(cur, p, lv)
		v, ok := it.Next()
		if !ok {
			continue
		}
		if e, isErr := v.(error); isErr {
			return e
		}
		cur = v
	}
	m, _ := cur.(map[string]any)
	for k := range target {
		delete(target, k)
	}
	for k, v := range m {
		target[k] = v
	}
	return nil
}
