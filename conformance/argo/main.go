// Command argo runs Argo Rollouts' own code (and the jq engine Argo CD
// normalizes diffs with) on what cdk8s-mesh synthesized for the flask-shop
// example, at both Git revisions of its release: STABLE (first revision on a
// fresh cluster) and CANARY (the canary of v2).
//
// Usage: argo [-v] stable=<dir> canary=<dir>
// Prints one line per failed check (all with -v) and `N passed, N failed`.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	log "github.com/sirupsen/logrus"
)

func main() {
	verbose := flag.Bool("v", false, "print every check")
	flag.Parse()
	// Argo Rollouts' reconciler logs every write at info level
	log.SetLevel(log.WarnLevel)
	r := &report{verbose: *verbose}
	revisions := map[string]*manifests{}
	for _, arg := range flag.Args() {
		name, dir, ok := strings.Cut(arg, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "argument %q: want revision=dir\n", arg)
			os.Exit(2)
		}
		m, err := load(dir)
		r.check(name, "load", dir, err)
		if err == nil {
			revisions[name] = m
		}
	}
	names := make([]string, 0, len(revisions))
	for n := range revisions {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		checkRollouts(r, n, revisions[n])
		checkArgoCdDiff(r, n, revisions[n])
	}
	if s, c := revisions["stable"], revisions["canary"]; s != nil && c != nil {
		checkRevisions(r, s, c)
	}
	checkAnalysisConditions(r, revisions)
	checkApplicationHealthLua(r, revisions)
	fmt.Printf("%d passed, %d failed\n", r.passed, r.failed)
	if r.failed > 0 || r.passed == 0 {
		os.Exit(1)
	}
}

type report struct {
	verbose        bool
	passed, failed int
}

// check records one assertion: err == nil passes.
func (r *report) check(revision, check, subject string, err error) {
	if err == nil {
		r.passed++
		if r.verbose {
			fmt.Printf("PASS %s %s %s\n", revision, check, subject)
		}
		return
	}
	r.failed++
	fmt.Printf("FAIL %s %s %s: %v\n", revision, check, subject, err)
}
