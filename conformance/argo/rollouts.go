package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/validation"
	"github.com/argoproj/argo-rollouts/rollout/trafficrouting/istio"
	"github.com/argoproj/argo-rollouts/utils/record"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

var (
	vsGVR = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1alpha3", Resource: "virtualservices"}
	drGVR = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1alpha3", Resource: "destinationrules"}
)

// strict decodes an object into a typed struct, rejecting fields the type does not have.
func strict(obj *unstructured.Unstructured, into any) error {
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

// rolloutOf decodes a Rollout strictly and, for a workloadRef, takes the
// referenced Deployment's pod template the way Argo Rollouts' workload
// resolver does (RolloutSpec.SetResolvedTemplate).
func rolloutOf(m *manifests, obj *unstructured.Unstructured) (*v1alpha1.Rollout, error) {
	ro := &v1alpha1.Rollout{}
	if err := strict(obj, ro); err != nil {
		return nil, fmt.Errorf("argo-rollouts v1.10.2 types reject the Rollout: %w", err)
	}
	if ref := ro.Spec.WorkloadRef; ref != nil {
		if ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" {
			return nil, fmt.Errorf("workloadRef %s/%s is not a Deployment", ref.APIVersion, ref.Kind)
		}
		d := m.find("Deployment", ro.Namespace, ref.Name)
		if d == nil {
			return nil, fmt.Errorf("workloadRef names Deployment %s/%s, which is not in the output", ro.Namespace, ref.Name)
		}
		dep := &appsv1.Deployment{}
		if err := strict(d, dep); err != nil {
			return nil, err
		}
		ro.Spec.SetResolvedTemplate(dep.Spec.Template)
	}
	return ro, nil
}

func joinErrs(list []error) error {
	if len(list) == 0 {
		return nil
	}
	return errors.Join(list...)
}

// checkRollouts: Argo Rollouts' validation of each Rollout, and of the
// VirtualServices and DestinationRule it references.
func checkRollouts(r *report, rev string, m *manifests) {
	rollouts := m.all("Rollout")
	r.check(rev, "rollouts", "the output has a Rollout", map[bool]error{true: nil, false: errors.New("none")}[len(rollouts) > 0])
	for _, obj := range rollouts {
		subject := obj.GetNamespace() + "/" + obj.GetName()
		ro, err := rolloutOf(m, obj)
		r.check(rev, "rollout-decode", subject, err)
		if err != nil {
			continue
		}
		var errs []error
		for _, e := range validation.ValidateRollout(ro) {
			errs = append(errs, e)
		}
		r.check(rev, "rollout-validate", subject, joinErrs(errs))

		istioRouting := ro.Spec.Strategy.Canary.TrafficRouting.Istio
		for _, vs := range istioRouting.VirtualServices {
			ns, name := vsNamespaceName(vs.Name, ro.Namespace)
			obj := m.find("VirtualService", ns, name)
			if obj == nil {
				r.check(rev, "virtualservice-exists", ns+"/"+name, errors.New("referenced by the Rollout, not in the output"))
				continue
			}
			var vErrs []error
			for _, e := range validation.ValidateVirtualService(ro, *obj) {
				vErrs = append(vErrs, e)
			}
			r.check(rev, "virtualservice-validate", ns+"/"+name, joinErrs(vErrs))
		}
		dr := m.find("DestinationRule", ro.Namespace, istioRouting.DestinationRule.Name)
		if dr == nil {
			r.check(rev, "destinationrule-exists", istioRouting.DestinationRule.Name, errors.New("referenced by the Rollout, not in the output"))
			continue
		}
		// the controller's own writes on our objects: weights and subset hashes
		live, err := rolloutsWrite(ro, m, 10, "canaryhash", "stablehash")
		r.check(rev, "rollouts-reconcile", subject, err)
		if err == nil {
			r.check(rev, "rollouts-reconcile-weights", subject, expectWeights(ro, live, 90, 10))
		}
	}
}

func vsNamespaceName(ref, defaultNamespace string) (string, string) {
	if name, ns, ok := strings.Cut(ref, "."); ok {
		return ns, name
	}
	return defaultNamespace, ref
}

// rolloutsWrite runs Argo Rollouts' Istio reconciler (SetWeight, UpdateHash)
// on the Rollout's VirtualServices and DestinationRule, starting from the
// objects in m, and returns them as the controller left them (the live state).
func rolloutsWrite(ro *v1alpha1.Rollout, m *manifests, weight int32, canaryHash, stableHash string) (map[string]*unstructured.Unstructured, error) {
	var seed []runtime.Object
	istioRouting := ro.Spec.Strategy.Canary.TrafficRouting.Istio
	keys := []string{}
	for _, vs := range istioRouting.VirtualServices {
		ns, name := vsNamespaceName(vs.Name, ro.Namespace)
		obj := m.find("VirtualService", ns, name)
		if obj == nil {
			return nil, fmt.Errorf("VirtualService %s/%s not in the output", ns, name)
		}
		c := asV1alpha3(obj)
		seed = append(seed, c)
		keys = append(keys, key(c))
	}
	dr := m.find("DestinationRule", ro.Namespace, istioRouting.DestinationRule.Name)
	if dr == nil {
		return nil, fmt.Errorf("DestinationRule %s not in the output", istioRouting.DestinationRule.Name)
	}
	drc := asV1alpha3(dr)
	seed = append(seed, drc)
	keys = append(keys, key(drc))
	client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		vsGVR: "VirtualServiceList", drGVR: "DestinationRuleList",
	}, seed...)
	rec := istio.NewReconciler(ro, client, record.NewFakeEventRecorder(), nil, nil, nil)
	if err := rec.SetWeight(weight); err != nil {
		return nil, fmt.Errorf("SetWeight(%d): %w", weight, err)
	}
	if err := rec.UpdateHash(canaryHash, stableHash); err != nil {
		return nil, fmt.Errorf("UpdateHash: %w", err)
	}
	out := map[string]*unstructured.Unstructured{}
	for _, o := range seed {
		u := o.(*unstructured.Unstructured)
		gvr := vsGVR
		if u.GetKind() == "DestinationRule" {
			gvr = drGVR
		}
		live, err := client.Resource(gvr).Namespace(u.GetNamespace()).Get(context.TODO(), u.GetName(), metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		out[key(live)] = live
	}
	_ = keys
	return out, nil
}

// asV1alpha3 copies an Istio object under the API version Argo Rollouts reads and writes.
func asV1alpha3(obj *unstructured.Unstructured) *unstructured.Unstructured {
	c := obj.DeepCopy()
	c.SetAPIVersion("networking.istio.io/v1alpha3")
	return c
}

func key(o *unstructured.Unstructured) string {
	return o.GetKind() + "/" + o.GetNamespace() + "/" + o.GetName()
}

// expectWeights: every managed route now sends stable/canary the given weights.
func expectWeights(ro *v1alpha1.Rollout, live map[string]*unstructured.Unstructured, stable, canary int64) error {
	dr := ro.Spec.Strategy.Canary.TrafficRouting.Istio.DestinationRule
	for _, vs := range ro.Spec.Strategy.Canary.TrafficRouting.Istio.VirtualServices {
		ns, name := vsNamespaceName(vs.Name, ro.Namespace)
		obj := live["VirtualService/"+ns+"/"+name]
		http, _, _ := unstructured.NestedSlice(obj.Object, "spec", "http")
		for _, routeName := range vs.Routes {
			found := false
			for _, h := range http {
				hm := h.(map[string]any)
				if hm["name"] != routeName {
					continue
				}
				found = true
				for _, d := range hm["route"].([]any) {
					dm := d.(map[string]any)
					subset, _, _ := unstructured.NestedString(dm, "destination", "subset")
					w, _, _ := unstructured.NestedFieldNoCopy(dm, "weight")
					want := map[string]int64{dr.StableSubsetName: stable, dr.CanarySubsetName: canary}[subset]
					if fmt.Sprint(w) != fmt.Sprint(want) {
						return fmt.Errorf("%s route %s subset %s: weight %v, want %d", name, routeName, subset, w, want)
					}
				}
			}
			if !found {
				return fmt.Errorf("%s: route %s not found after SetWeight", name, routeName)
			}
		}
	}
	return nil
}
