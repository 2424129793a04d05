// Command live runs the live stage on synthesized programs: for each, a control plane on
// 127.0.0.1 (etcd, kube-apiserver, kube-controller-manager, istiod, the Argo Rollouts
// controller) built from their Go modules acts on the output (internal/live).
//
//	live -bin DIR [-work DIR] [-prereq FILE]... [-keep] name=dir[,changed=dir2]...
//
// Prints per program the counts, every failure and listed message, and a final
// "N passed, N failed"; exits 1 on any failure.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	istiolog "istio.io/istio/pkg/log"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/live"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/report"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	bin := flag.String("bin", "", "directory of the built binaries (etcd, kube-apiserver, kube-controller-manager, pilot-discovery, rollouts-controller)")
	work := flag.String("work", os.TempDir(), "scratch directory")
	keep := flag.Bool("keep", false, "keep each program's scratch directory (logs, kubeconfig)")
	verbose := flag.Bool("v", false, "print every assertion")
	parallel := flag.Int("parallel", 3, "programs run at once (each its own control plane)")
	var prereqs list
	flag.Var(&prereqs, "prereq", "YAML file of CRDs applied before each sync (repeatable)")
	flag.Parse()
	if *bin == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: live -bin DIR [-work DIR] [-prereq FILE]... name=dir[,changed=dir2]...")
		os.Exit(2)
	}
	if abs, err := filepath.Abs(*bin); err == nil {
		*bin = abs
	}
	for _, s := range istiolog.Scopes() {
		s.SetOutputLevel(istiolog.ErrorLevel)
	}
	start := time.Now()
	r := report.New()
	sem := make(chan struct{}, *parallel)
	var wg sync.WaitGroup
	for _, arg := range flag.Args() {
		spec, changedDir, _ := strings.Cut(arg, ",changed=")
		name, dir, ok := strings.Cut(spec, "=")
		if !ok {
			name, dir = spec, spec
		}
		ex, err := manifest.Load(name, dir)
		if err != nil {
			r.Fail(name, live.Stage, dir, err.Error())
			continue
		}
		opts := live.Options{Bin: live.Binaries{Dir: *bin}, Work: *work, Prereqs: prereqs, Keep: *keep,
			Rollouts: &live.RolloutsOptions{AnalysisInterval: "1s"}}
		if changedDir != "" {
			if opts.Changed, err = manifest.Load(name+" (changed)", changedDir); err != nil {
				r.Fail(name, live.Stage, changedDir, err.Error())
			}
		}
		r.Count(name, live.Stage, "objects in the output", len(ex.Objects))
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			t0 := time.Now()
			if err := live.Run(ex, opts, r); err != nil {
				r.Fail(name, live.Stage, "run", err.Error())
			}
			fmt.Fprintf(os.Stderr, "live %s: %s\n", name, time.Since(t0).Round(time.Second))
		}()
	}
	wg.Wait()
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	cpu := func(u syscall.Rusage) time.Duration {
		return time.Duration(u.Utime.Nano() + u.Stime.Nano())
	}
	fmt.Fprintf(os.Stderr, "live: %d programs in %s; CPU (user+sys): this process %s, the control planes it ran %s\n",
		flag.NArg(), time.Since(start).Round(time.Second), cpu(self).Round(time.Second), cpu(children).Round(time.Second))
	r.Print(os.Stdout, *verbose)
	if _, f := r.Totals(); f > 0 {
		os.Exit(1)
	}
}
