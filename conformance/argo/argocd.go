package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/itchyny/gojq"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ignoreEntry is one item of an Application's spec.ignoreDifferences.
type ignoreEntry struct {
	Group             string   `json:"group"`
	Kind              string   `json:"kind"`
	Name              string   `json:"name"`
	Namespace         string   `json:"namespace"`
	JQPathExpressions []string `json:"jqPathExpressions"`
}

type application struct {
	name        string
	syncOptions []string
	ignores     []ignoreEntry
}

func applications(m *manifests) ([]application, error) {
	var out []application
	for _, a := range m.all("Application") {
		app := application{name: a.GetName()}
		opts, _, _ := unstructured.NestedStringSlice(a.Object, "spec", "syncPolicy", "syncOptions")
		app.syncOptions = opts
		raw, _, _ := unstructured.NestedSlice(a.Object, "spec", "ignoreDifferences")
		data, _ := json.Marshal(raw)
		if err := json.Unmarshal(data, &app.ignores); err != nil {
			return nil, err
		}
		out = append(out, app)
	}
	return out, nil
}

// normalize deletes the ignored fields the way Argo CD's ignore normalizer
// does: each jq path expression runs as `del(<expr>)` with gojq, the jq
// engine Argo CD uses (util/argo/normalizers/diff_normalizer.go).
func normalize(obj map[string]any, exprs []string) (map[string]any, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var cur any
	if err := json.Unmarshal(data, &cur); err != nil {
		return nil, err
	}
	for _, e := range exprs {
		q, err := gojq.Parse(fmt.Sprintf("del(%s)", e))
		if err != nil {
			return nil, fmt.Errorf("jq %q: %w", e, err)
		}
		code, err := gojq.Compile(q)
		if err != nil {
			return nil, fmt.Errorf("jq %q: %w", e, err)
		}
		v, ok := code.Run(cur).Next()
		if !ok {
			return nil, fmt.Errorf("jq %q: no output", e)
		}
		if err, isErr := v.(error); isErr {
			return nil, fmt.Errorf("jq %q: %w", e, err)
		}
		cur = v
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, errors.New("normalized object is not an object")
	}
	return m, nil
}

// specsEqual compares the objects' spec after normalization. Argo CD diffs
// against the last applied Git object (three-way), so metadata that only a
// controller adds (Argo Rollouts' managed-by annotation) is not a difference;
// spec fields Git sets are.
func specsEqual(live, git map[string]any, exprs []string) (bool, error) {
	nl, err := normalize(live, exprs)
	if err != nil {
		return false, err
	}
	ng, err := normalize(git, exprs)
	if err != nil {
		return false, err
	}
	return reflect.DeepEqual(nl["spec"], ng["spec"]), nil
}

func ignoresFor(apps []application, obj *unstructured.Unstructured) (*application, []string) {
	for i := range apps {
		var exprs []string
		for _, ig := range apps[i].ignores {
			if ig.Kind == obj.GetKind() && ig.Name == obj.GetName() && (ig.Namespace == "" || ig.Namespace == obj.GetNamespace()) {
				exprs = append(exprs, ig.JQPathExpressions...)
			}
		}
		if len(exprs) > 0 {
			return &apps[i], exprs
		}
	}
	return nil, nil
}

// checkArgoCdDiff: for every object Argo Rollouts writes to, (1) the live
// object after the controller's writes is Synced with Git (no perpetual
// OutOfSync, no self-heal fight); (2) a Git edit next to the managed fields
// is OutOfSync and its Application applies Git as is (no
// RespectIgnoreDifferences, whose merge patch would copy the whole live
// array over the edit); (3) after that apply and the controller's next
// reconcile, the object is Synced again and carries both the edit and the
// controller's weights.
func checkArgoCdDiff(r *report, rev string, m *manifests) {
	apps, err := applications(m)
	r.check(rev, "argocd-applications", "decode", err)
	if err != nil {
		return
	}
	for _, obj := range m.all("Rollout") {
		ro, err := rolloutOf(m, obj)
		if err != nil {
			continue // reported by checkRollouts
		}
		live, err := rolloutsWrite(ro, m, 10, "canaryhash", "stablehash")
		if err != nil {
			continue // reported by checkRollouts
		}
		for k, l := range live {
			git := m.find(l.GetKind(), l.GetNamespace(), l.GetName())
			app, exprs := ignoresFor(apps, git)
			if app == nil {
				r.check(rev, "argocd-ignores", k, errors.New("no Application ignores the fields Argo Rollouts writes here: self-heal would revert them"))
				continue
			}
			synced, err := specsEqual(l.Object, git.Object, exprs)
			if err == nil && !synced {
				err = fmt.Errorf("the controller's writes make %s OutOfSync in Application %s (ignoreDifferences %v)", k, app.name, exprs)
			}
			r.check(rev, "argocd-synced-after-rollouts-writes", k, err)

			r.check(rev, "argocd-no-respect-ignore-differences", app.name, func() error {
				if slices.Contains(app.syncOptions, "RespectIgnoreDifferences=true") {
					return errors.New("RespectIgnoreDifferences=true: Argo CD merge-patches the live spec.http/spec.subsets (whole arrays) into what it applies, so Git edits to this object never reach the cluster")
				}
				if !slices.Contains(app.syncOptions, "ApplyOutOfSyncOnly=true") {
					return errors.New("ApplyOutOfSyncOnly=true missing: every sync would re-apply Git's weights")
				}
				return nil
			}())

			edited, what := gitEdit(git, ro)
			if edited == nil {
				continue
			}
			differs, err := specsEqual(l.Object, edited.Object, exprs)
			if err == nil && differs {
				err = fmt.Errorf("Git edit (%s) is not detected: it would never be applied", what)
			}
			r.check(rev, "argocd-git-edit-outofsync", k+" "+what, err)

			// Argo CD applies the edited Git object; Argo Rollouts reconciles again
			applied := &manifests{objects: replace(m.objects, edited)}
			live2, err := rolloutsWrite(ro, applied, 10, "canaryhash", "stablehash")
			if err == nil {
				var synced bool
				synced, err = specsEqual(live2[k].Object, edited.Object, exprs)
				if err == nil && !synced {
					err = errors.New("still OutOfSync after the apply and the controller's reconcile (perpetual OutOfSync)")
				}
				if err == nil {
					err = expectWeights(ro, live2, 90, 10)
				}
				if err == nil && !hasEdit(live2[k], what) {
					err = fmt.Errorf("the live object lost the Git edit (%s)", what)
				}
			}
			r.check(rev, "argocd-git-edit-reaches-cluster", k+" "+what, err)
		}
	}
	// Deployments whose replicas Argo Rollouts scales (workloadRef)
	for _, obj := range m.all("Rollout") {
		ref, found, _ := unstructured.NestedString(obj.Object, "spec", "workloadRef", "name")
		if !found {
			continue
		}
		dep := m.find("Deployment", obj.GetNamespace(), ref)
		if dep == nil {
			continue
		}
		live := dep.DeepCopy()
		_ = unstructured.SetNestedField(live.Object, int64(0), "spec", "replicas")
		app, exprs := ignoresFor(apps, dep)
		var err error
		if app == nil {
			err = errors.New("no Application ignores .spec.replicas: self-heal would scale the Deployment back up")
		} else if synced, e := specsEqual(live.Object, dep.Object, exprs); e != nil || !synced {
			err = fmt.Errorf("scaled to 0 by Argo Rollouts, the Deployment is OutOfSync (%v)", e)
		}
		r.check("stable", "argocd-workloadref-replicas-ignored", dep.GetNamespace()+"/"+ref, err)
	}
}

// gitEdit returns a copy of a Git object with an edit next to the fields
// Argo Rollouts manages: a timeout on the managed route of a VirtualService,
// a load balancer on the stable subset of a DestinationRule.
func gitEdit(git *unstructured.Unstructured, _ any) (*unstructured.Unstructured, string) {
	c := git.DeepCopy()
	switch c.GetKind() {
	case "VirtualService":
		http, _, _ := unstructured.NestedSlice(c.Object, "spec", "http")
		for i, h := range http {
			hm := h.(map[string]any)
			if _, weighted := hm["route"]; weighted && len(hm["route"].([]any)) == 2 {
				hm["timeout"] = "7s"
				http[i] = hm
				_ = unstructured.SetNestedSlice(c.Object, http, "spec", "http")
				return c, "timeout: 7s on route " + fmt.Sprint(hm["name"])
			}
		}
	case "DestinationRule":
		subsets, _, _ := unstructured.NestedSlice(c.Object, "spec", "subsets")
		for i, s := range subsets {
			sm := s.(map[string]any)
			if sm["name"] == "stable" {
				sm["trafficPolicy"] = map[string]any{"loadBalancer": map[string]any{"simple": "LEAST_REQUEST"}}
				subsets[i] = sm
				_ = unstructured.SetNestedSlice(c.Object, subsets, "spec", "subsets")
				return c, "loadBalancer LEAST_REQUEST on subset stable"
			}
		}
	}
	return nil, ""
}

func hasEdit(live *unstructured.Unstructured, _ string) bool {
	data, _ := json.Marshal(live.Object)
	switch live.GetKind() {
	case "VirtualService":
		return bytesContains(data, `"timeout":"7s"`)
	case "DestinationRule":
		return bytesContains(data, `"simple":"LEAST_REQUEST"`)
	}
	return false
}

func bytesContains(b []byte, s string) bool {
	return strings.Contains(string(b), s)
}

func replace(objs []*unstructured.Unstructured, with *unstructured.Unstructured) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, o := range objs {
		if o.GetKind() == with.GetKind() && o.GetNamespace() == with.GetNamespace() && o.GetName() == with.GetName() {
			out = append(out, with)
		} else {
			out = append(out, o)
		}
	}
	return out
}
