package main

import (
	"errors"
	"fmt"
	"math"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/utils/evaluate"
	log "github.com/sirupsen/logrus"
)

// checkAnalysisConditions evaluates the AnalysisTemplates' conditions with
// Argo Rollouts' own evaluator, on what its Prometheus provider passes for a
// vector result: no traffic gives an empty vector (or NaN for 0/0), which
// must be Inconclusive (the rollout pauses), never Failed (the rollout aborts).
func checkAnalysisConditions(r *report, revisions map[string]*manifests) {
	m := revisions["canary"]
	if m == nil {
		return
	}
	entry := *log.NewEntry(log.New())
	for _, t := range m.all("AnalysisTemplate") {
		at := &v1alpha1.AnalysisTemplate{}
		if err := strict(t, at); err != nil {
			r.check("canary", "analysis-decode", t.GetName(), err)
			continue
		}
		for _, metric := range at.Spec.Metrics {
			subject := t.GetName() + "/" + metric.Name
			good, bad := 0.999, 0.5
			if metric.Name == "p99-latency" {
				good, bad = 100, 5000
			}
			cases := []struct {
				name   string
				result []float64
				want   v1alpha1.AnalysisPhase
			}{
				{"no traffic (empty vector)", []float64{}, v1alpha1.AnalysisPhaseInconclusive},
				{"no traffic (NaN)", []float64{math.NaN()}, v1alpha1.AnalysisPhaseInconclusive},
				{"meets the objective", []float64{good}, v1alpha1.AnalysisPhaseSuccessful},
				{"misses the objective", []float64{bad}, v1alpha1.AnalysisPhaseFailed},
			}
			for _, c := range cases {
				got, err := evaluate.EvaluateResult(c.result, metric, entry)
				if err == nil && got != c.want {
					err = fmt.Errorf("%s: %s, want %s (successCondition %q, failureCondition %q)", c.name, got, c.want, metric.SuccessCondition, metric.FailureCondition)
				}
				r.check("canary", "analysis-"+c.name, subject, err)
			}
		}
	}
	// the conditions before the fix, on the same evaluator: no traffic failed the canary
	old := v1alpha1.Metric{Name: "success-rate", SuccessCondition: "len(result) > 0 && result[0] >= 0.99"}
	got, err := evaluate.EvaluateResult([]float64{}, old, entry)
	if err == nil && got != v1alpha1.AnalysisPhaseFailed {
		err = errors.New("expected the old condition to fail on no traffic")
	}
	r.check("canary", "analysis-old-condition-failed-on-no-traffic (the bug)", old.SuccessCondition, err)
}
