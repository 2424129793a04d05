package main

import (
	"errors"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/utils/hash"
	replicasetutil "github.com/argoproj/argo-rollouts/utils/replicaset"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// replicaSetOf is the ReplicaSet Argo Rollouts creates for a Rollout's
// current pod template: named and labelled by ComputePodTemplateHash.
func replicaSetOf(ro *v1alpha1.Rollout) *appsv1.ReplicaSet {
	h := hash.ComputePodTemplateHash(&ro.Spec.Template, ro.Status.CollisionCount)
	tmpl := ro.Spec.Template.DeepCopy()
	if tmpl.Labels == nil {
		tmpl.Labels = map[string]string{}
	}
	tmpl.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] = h
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: ro.Name + "-" + h, Namespace: ro.Namespace, Labels: map[string]string{v1alpha1.DefaultRolloutUniqueLabelKey: h}},
		Spec:       appsv1.ReplicaSetSpec{Replicas: ro.Spec.Replicas, Template: *tmpl},
	}
}

// checkRevisions: Argo Rollouts' view of the two Git revisions of the
// release. Its controller promotes a revision at once ("Initial deploy")
// exactly when it finds no stable ReplicaSet (rollout/sync.go
// shouldFullPromote: stableRS == nil); the stable ReplicaSet is looked up
// with replicaset.GetStableRS, the Rollout's own ReplicaSet with
// replicaset.FindNewReplicaSet.
func checkRevisions(r *report, stable, canary *manifests) {
	for _, obj := range canary.all("Rollout") {
		subject := obj.GetNamespace() + "/" + obj.GetName()
		first := stable.find("Rollout", obj.GetNamespace(), obj.GetName())
		if first == nil {
			r.check("stable->canary", "revision-1-exists", subject, errors.New("no Rollout in the STABLE revision"))
			continue
		}
		ro1, err1 := rolloutOf(stable, first)
		ro2, err2 := rolloutOf(canary, obj)
		if err := errors.Join(err1, err2); err != nil {
			r.check("stable->canary", "revision-decode", subject, err)
			continue
		}
		// revision 1 on a fresh cluster: no ReplicaSet, no stable: promoted at once, and what is promoted is v1
		var err error
		if replicasetutil.GetStableRS(ro1, nil, nil) != nil {
			err = errors.New("expected no stable ReplicaSet on a fresh cluster")
		} else if v := ro1.Spec.Template.Labels["version"]; v != "v1" {
			err = fmt.Errorf("the first revision, promoted without steps, runs version %q: it must be the stable version v1", v)
		}
		r.check("stable", "fresh-cluster-initial-deploy-is-stable", subject, err)

		// after revision 1: Argo Rollouts records its ReplicaSet as stable
		rs1 := replicaSetOf(ro1)
		ro2.Status.StableRS = rs1.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
		newRS := replicasetutil.FindNewReplicaSet(ro2, []*appsv1.ReplicaSet{rs1})
		stableRS := replicasetutil.GetStableRS(ro2, newRS, []*appsv1.ReplicaSet{rs1})
		err = nil
		switch {
		case newRS != nil:
			err = errors.New("revision 2 has the same pod template as revision 1: no canary would run")
		case stableRS == nil:
			err = errors.New("revision 2 finds no stable ReplicaSet: Argo Rollouts would promote it at once (Initial deploy)")
		case len(ro2.Spec.Strategy.Canary.Steps) == 0:
			err = errors.New("revision 2 has no steps")
		case ro2.Spec.Template.Labels["version"] != "v2":
			err = fmt.Errorf("revision 2 runs version %q, want the canary v2", ro2.Spec.Template.Labels["version"])
		}
		r.check("stable->canary", "second-revision-runs-canary-steps", subject, err)

		// the bug this two-revision path avoids: the CANARY revision alone on a fresh cluster
		fresh := ro2.DeepCopy()
		fresh.Status = v1alpha1.RolloutStatus{}
		err = nil
		if replicasetutil.GetStableRS(fresh, nil, nil) != nil {
			err = errors.New("unexpected stable ReplicaSet")
		}
		r.check("canary", "canary-revision-alone-would-be-initial-deploy (why revision 1 is STABLE)", subject, err)
	}
}
