// Command conformance runs Istio's own code on what cdk8s-mesh synthesized.
//
//	conformance [-v] [-stages a,b] [-skip a,b] [-compare name] name=dir...
//
// Each name=dir is one example (every *.k8s.yaml of dir, as one cluster would see it); every
// stage of Stages runs on each. Prints per example and stage the counts, every failure and
// listed message, and a final "N passed, N failed"; exits 1 on any failure.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	istiolog "istio.io/istio/pkg/log"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/analysis"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/behaviour"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/enrolment"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/equivalence"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/inject"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/report"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/validation"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/xds"
)

// Stage is one oracle stage: a package under internal/ exposing Run.
type Stage struct {
	Name string
	Run  func(ex *manifest.Example, r *report.Report) error
}

// Stages run in this order on every example. Add a stage here (one line).
var Stages = []Stage{
	{validation.Stage, validation.Run},
	{analysis.Stage, analysis.Run},
	{"inject", inject.Run},
	{xds.Stage, xds.Run},
	{behaviour.Stage, behaviour.Run},
	{enrolment.Stage, enrolment.Run},
}

func main() {
	verbose := flag.Bool("v", false, "print every assertion")
	only := flag.String("stages", "", "comma-separated stage names to run (default: all)")
	skip := flag.String("skip", "", "comma-separated stage names not to run")
	compare := flag.String("compare", "", "comma-separated example names loaded only for the stages across examples (equivalence): their own stages are skipped")
	flag.Parse()
	quietIstioLogs()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: conformance [-v] [-stages a,b] [-skip a,b] [-compare name,...] name=dir...")
		os.Exit(2)
	}
	compareOnly := map[string]bool{}
	for _, s := range strings.Split(*compare, ",") {
		if s != "" {
			compareOnly[s] = true
		}
	}
	skipped := map[string]bool{}
	for _, s := range strings.Split(*skip, ",") {
		if s != "" {
			skipped[s] = true
		}
	}
	selected := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if s != "" {
			selected[s] = true
		}
	}
	r := report.New()
	var loaded []*manifest.Example
	for _, arg := range flag.Args() {
		name, dir, ok := strings.Cut(arg, "=")
		if !ok {
			name, dir = arg, arg
		}
		ex, err := manifest.Load(name, dir)
		if err != nil {
			r.Fail(name, "load", dir, err.Error())
			continue
		}
		loaded = append(loaded, ex)
		r.Count(name, "load", "objects", len(ex.Objects))
		r.Count(name, "load", "files", len(ex.Files))
		if compareOnly[name] {
			continue
		}
		for _, st := range Stages {
			if (len(selected) > 0 && !selected[st.Name]) || skipped[st.Name] {
				continue
			}
			t0 := time.Now()
			if err := runStage(st, ex, r); err != nil {
				r.Fail(name, st.Name, "stage", "could not run: "+err.Error())
			}
			r.Count(name, st.Name, "ms", int(time.Since(t0).Milliseconds()))
		}
	}
	// Gateway API: pairs <name>.istio-api / <name>.gateway-api of one program
	if (len(selected) == 0 || selected[equivalence.Stage]) && !skipped[equivalence.Stage] {
		equivalence.Run(loaded, r)
	}
	r.Print(os.Stdout, *verbose)
	if _, f := r.Totals(); f > 0 {
		os.Exit(1)
	}
}

// runStage turns a panic inside Istio's code into a stage failure rather than a crash.
func runStage(st Stage, ex *manifest.Example, r *report.Report) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return st.Run(ex, r)
}

// quietIstioLogs keeps Istio's own logging (informer syncs etc.) to errors.
func quietIstioLogs() {
	for _, s := range istiolog.Scopes() {
		s.SetOutputLevel(istiolog.ErrorLevel)
	}
}
