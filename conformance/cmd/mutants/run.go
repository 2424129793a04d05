package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/mutate"
)

// program is one output folder given on the command line, and the folder of the same intent
// rendered with the other routing API (the equivalence stage compares the two), if given.
type program struct {
	Name, Dir          string
	Partner, PartnerAt string
	Folder             *mutate.Folder
	Baseline           *outcome
	Fingerprint        *fingerprint
}

// partnerName pairs "<x>.istio-api" with "<x>.gateway-api".
func partnerName(name string) string {
	switch {
	case strings.HasSuffix(name, ".istio-api"):
		return strings.TrimSuffix(name, ".istio-api") + ".gateway-api"
	case strings.HasSuffix(name, ".gateway-api"):
		return strings.TrimSuffix(name, ".gateway-api") + ".istio-api"
	}
	return ""
}

// outcome is one run of the conformance binary.
type outcome struct {
	Exit     int
	Failures []string // "[stage] subject: message" of every FAIL line, with its example
	Seconds  float64
	Output   string // kept only when the run could not be classified
}

// stageOf returns the stage of a failure line.
func stageOf(f string) string {
	_, rest, _ := strings.Cut(f, "[")
	st, _, _ := strings.Cut(rest, "]")
	return st
}

// runConformance runs the binary on the program (the given dir in place of its own) and its
// partner. The partner is never mutated, so its own stages would repeat the baseline's: it is
// loaded only for the equivalence stage (-compare), in the baseline run as in every mutant's.
func runConformance(ctx context.Context, bin string, p *program, dir string, timeout time.Duration, skip ...string) *outcome {
	args := []string{p.Name + "=" + dir}
	if p.Partner != "" {
		args = []string{"-compare", p.Partner, p.Name + "=" + dir, p.Partner + "=" + p.PartnerAt}
	}
	if len(skip) > 0 {
		args = append([]string{"-skip", strings.Join(skip, ",")}, args...)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	err := cmd.Run()
	o := &outcome{Seconds: time.Since(t0).Seconds()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		o.Exit = ee.ExitCode()
	default:
		o.Exit = -1
	}
	if ctx.Err() != nil {
		o.Exit = -2
	}
	example := ""
	sc := bufio.NewScanner(bytes.NewReader(out.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if ex, ok := strings.CutPrefix(line, "== "); ok {
			example = ex
			continue
		}
		if f, ok := strings.CutPrefix(strings.TrimSpace(line), "FAIL  "); ok {
			o.Failures = append(o.Failures, example+" "+f)
		}
	}
	if o.Exit != 0 && (o.Exit != 1 || len(o.Failures) == 0) {
		o.Output = tail(out.String(), 4000)
	}
	return o
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// injectReads are the kinds the inject stage reads (the injector's ConfigMaps, the webhooks,
// the namespaces' labels, the workloads' pod templates): a mutant of any other object leaves
// its verdicts as they were on the original, so it is not run again for that mutant.
var injectReads = map[string]bool{"ConfigMap": true, "MutatingWebhookConfiguration": true, "Namespace": true,
	"Deployment": true, "Rollout": true, "StatefulSet": true, "DaemonSet": true, "Pod": true, "Job": true}

// skippedStages are the stages whose inputs the mutant does not change.
func skippedStages(m *mutate.Mutant) []string {
	kind, _, _ := strings.Cut(m.Object, " ")
	if injectReads[kind] {
		return nil
	}
	return []string{"inject"}
}

// newFailures are the mutant run's failures the baseline does not have.
func newFailures(base, got *outcome) []string {
	have := map[string]bool{}
	for _, f := range base.Failures {
		have[f] = true
	}
	var out []string
	for _, f := range got.Failures {
		if !have[f] {
			out = append(out, f)
		}
	}
	return out
}

// stageOrder is the order the binary runs its stages in; a stage it adds later sorts after
// these, by name.
var stageOrder = []string{"load", "validation", "analysis", "inject", "xds", "equivalence", "behaviour"}

func killingStages(fails []string) []string {
	set := map[string]bool{}
	for _, f := range fails {
		set[stageOf(f)] = true
	}
	var out []string
	for _, s := range stageOrder {
		if set[s] {
			out = append(out, s)
			delete(set, s)
		}
	}
	var rest []string
	for s := range set {
		rest = append(rest, s)
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// mutantDir writes the mutated folder: every entry of the program's folder linked, the
// mutated file written.
func mutantDir(work string, p *program, m *mutate.Mutant) (string, error) {
	dir := filepath.Join(work, m.ID, p.Name)
	if err := os.RemoveAll(filepath.Dir(dir)); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	name, data, err := m.Apply(p.Folder)
	if err != nil {
		return "", err
	}
	entries, err := os.ReadDir(p.Dir)
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(p.Dir)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if e.Name() == name {
			continue
		}
		if err := os.Symlink(filepath.Join(abs, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		return "", fmt.Errorf("writing %s: %w", name, err)
	}
	return dir, nil
}
