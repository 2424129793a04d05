// Command mutants measures the conformance oracle with mutants: it derives single-field
// mutants from synthesized output folders (internal/mutate), runs the conformance binary on
// each mutated folder (every stage), and classifies each mutant as killed (by which stage),
// killed by validation (a schema or Istio's validation rejects it), survived, or equivalent
// (pilot generates byte-identical Envoy and ztunnel config from it, so no request can tell it
// from the original).
//
//	mutants [-bin conformance/bin/conformance] [-out cdk.out/mutants] [-j 2] [-per-operator 2] name=dir...
//
// Writes <out>/report.json and <out>/report.md; prints one line per mutant and the totals.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/mutate"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/xds"
)

// Classes of a mutant.
const (
	Killed           = "killed"
	KilledValidation = "killed-validation"
	Survived         = "survived"
	Equivalent       = "equivalent"
	Error            = "error"
)

// result is one mutant's verdict.
type result struct {
	*mutate.Mutant
	Class    string   `json:"class"`
	Stages   []string `json:"stages,omitempty"`   // stages with new failures, in run order
	Evidence []string `json:"evidence,omitempty"` // the first new failures
	Schema   string   `json:"schema,omitempty"`   // the CRD schema's rejection
	Reason   string   `json:"reason,omitempty"`   // equivalence argument, or what a survivor changes
	Differs  []string `json:"xdsDiffers,omitempty"`
	Diff     string   `json:"diff"`
	Seconds  float64  `json:"seconds"`
	Output   string   `json:"output,omitempty"` // the binary's output when it could not be classified
}

type options struct {
	bin, out, work, self string
	jobs, perOperator    int
	timeout              time.Duration
	only, label, merge   string
	keep, list           bool
	checkpoint, first    int
	minScore             float64
}

func main() {
	var o options
	fp := flag.String("fingerprint", "", "print the xDS fingerprint of name=dir and exit (used by the runner)")
	flag.StringVar(&o.bin, "bin", "conformance/bin/conformance", "the conformance binary")
	flag.StringVar(&o.out, "out", "cdk.out/mutants", "report folder")
	flag.StringVar(&o.work, "work", "", "folder for the mutated outputs (default <out>/work)")
	flag.IntVar(&o.jobs, "j", 2, "mutants run in parallel")
	flag.IntVar(&o.perOperator, "per-operator", 2, "mutants kept per operator and program (0: all)")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "time limit of one conformance run")
	flag.StringVar(&o.only, "only", "", "comma-separated mutant IDs to run (default: all selected)")
	flag.StringVar(&o.label, "label", "", "title of the report (e.g. the commit)")
	flag.BoolVar(&o.keep, "keep", false, "keep the mutated folders")
	flag.BoolVar(&o.list, "list", false, "list the selected mutants and exit")
	flag.IntVar(&o.checkpoint, "checkpoint", 10, "write the report of the mutants judged so far after every this many (0: only at the end; never with -merge)")
	flag.IntVar(&o.first, "first", 0, "judge only the first this many selected mutants in ID order (a fixed sample of the output; 0: all)")
	flag.Float64Var(&o.minScore, "min-score", 0, "exit 1 when the share of non-equivalent mutants killed is below this (0..1)")
	flag.StringVar(&o.merge, "merge", "", "previous report.json files, comma-separated: merged in order, the mutants run now replace theirs, the others are kept")
	flag.Parse()
	if *fp != "" {
		os.Exit(fingerprintMain(*fp))
	}
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: mutants [flags] name=dir...")
		os.Exit(2)
	}
	if o.work == "" {
		o.work = filepath.Join(o.out, "work")
	}
	self, err := os.Executable()
	if err != nil {
		fatal(err)
	}
	o.self = self
	xds.Quiet()
	if err := run(o, flag.Args()); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "mutants:", err)
	os.Exit(1)
}

func run(o options, args []string) error {
	t0 := time.Now()
	programs, err := loadPrograms(args)
	if err != nil {
		return err
	}
	checker, err := mutate.NewSchemaChecker()
	if err != nil {
		return err
	}
	var mutants []*mutate.Mutant
	byName := map[string]*program{}
	for _, p := range programs {
		byName[p.Name] = p
		all := mutate.Generate(p.Name, p.Folder)
		sel := mutate.Select(all, o.perOperator)
		fmt.Printf("%s: %d mutants proposed, %d selected\n", p.Name, len(all), len(sel))
		mutants = append(mutants, sel...)
	}
	if o.only != "" {
		want := map[string]bool{}
		for _, id := range strings.Split(o.only, ",") {
			want[id] = true
		}
		var kept []*mutate.Mutant
		for _, m := range mutants {
			if want[m.ID] {
				kept = append(kept, m)
			}
		}
		mutants = kept
	}
	if o.first > 0 && o.first < len(mutants) {
		order := idOrder(mutants)[:o.first]
		sort.Ints(order)
		kept := make([]*mutate.Mutant, 0, len(order))
		for _, i := range order {
			kept = append(kept, mutants[i])
		}
		mutants = kept
	}
	if o.list {
		for _, m := range mutants {
			fmt.Printf("%s %-30s %-16s %s %s: %v -> %v\n", m.ID, m.Program, m.Operator, m.Object, m.Path, m.Old, m.New)
		}
		return nil
	}
	ctx := context.Background()
	var needed []*program
	for _, p := range programs {
		for _, m := range mutants {
			if m.Program == p.Name {
				needed = append(needed, p)
				break
			}
		}
	}
	if err := baselines(ctx, o, needed); err != nil {
		return err
	}
	results := make([]*result, len(mutants))
	var mu sync.Mutex
	done := 0
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < o.jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				r := judge(ctx, o, byName[mutants[i].Program], mutants[i], checker)
				mu.Lock()
				results[i] = r
				done++
				fmt.Printf("[%d/%d] %s %-30s %-16s %s: %s %s (%.1fs)\n", done, len(mutants), r.ID, r.Program, r.Operator,
					r.Path, r.Class, strings.Join(r.Stages, ","), r.Seconds)
				if o.checkpoint > 0 && o.merge == "" && done%o.checkpoint == 0 && done < len(mutants) {
					checkpoint(o, programs, results, done, len(mutants), time.Since(t0))
				}
				mu.Unlock()
			}
		}()
	}
	// in the order of their IDs (a hash): the mutants judged so far are a sample spread over
	// programs and operators, so a checkpoint report of an interrupted run still means something
	for _, i := range idOrder(mutants) {
		work <- i
	}
	close(work)
	wg.Wait()
	if !o.keep {
		_ = os.RemoveAll(o.work)
	}
	took := time.Since(t0)
	label := o.label
	if o.merge != "" {
		// one or more earlier reports, comma-separated: later ones and this run replace the
		// verdicts of the same mutants in earlier ones
		var merged []*result
		var labels []string
		var secs float64
		for _, file := range strings.Split(o.merge, ",") {
			prev, err := readReport(file)
			if err != nil {
				return err
			}
			merged = mergeResults(merged, prev.Results)
			secs += prev.Seconds
			labels = append(labels, prev.Label)
		}
		results = mergeResults(merged, results)
		took += time.Duration(secs * float64(time.Second))
		label = strings.Join(labels, "\n\n")
		if len(mutants) > 0 || o.label != "" {
			label = fmt.Sprintf("%s\n\n%d mutants judged again: %s", label, len(mutants), o.label)
		}
	}
	rep := newReport(label, programs, results, took)
	if err := rep.write(o.out); err != nil {
		return err
	}
	fmt.Print(rep.summaryText())
	fmt.Printf("report: %s, %s\n", filepath.Join(o.out, "report.md"), filepath.Join(o.out, "report.json"))
	if o.minScore > 0 && rep.Score < o.minScore {
		return fmt.Errorf("killed %s of the non-equivalent mutants, below the required %s (survivors in %s)", pct(rep.Score), pct(o.minScore), filepath.Join(o.out, "report.md"))
	}
	return nil
}

// idOrder returns the indices of the mutants sorted by ID.
func idOrder(ms []*mutate.Mutant) []int {
	idx := make([]int, len(ms))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ms[idx[a]].ID < ms[idx[b]].ID })
	return idx
}

// checkpoint writes the report of the mutants judged so far, labelled as partial.
func checkpoint(o options, programs []*program, results []*result, done, total int, took time.Duration) {
	var sofar []*result
	for _, r := range results {
		if r != nil {
			sofar = append(sofar, r)
		}
	}
	label := fmt.Sprintf("%s\n\nPartial: %d of %d mutants judged so far (in ID order), the run goes on.", o.label, done, total)
	if err := newReport(label, programs, sofar, took).write(o.out); err != nil {
		fmt.Fprintln(os.Stderr, "mutants: checkpoint:", err)
	}
}

func loadPrograms(args []string) ([]*program, error) {
	dirs := map[string]string{}
	var names []string
	for _, a := range args {
		name, dir, ok := strings.Cut(a, "=")
		if !ok {
			name, dir = filepath.Base(a), a
		}
		dirs[name] = dir
		names = append(names, name)
	}
	var out []*program
	for _, name := range names {
		f, err := mutate.ReadFolder(dirs[name])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		p := &program{Name: name, Dir: dirs[name], Folder: f}
		if pn := partnerName(name); pn != "" && dirs[pn] != "" {
			p.Partner, p.PartnerAt = pn, dirs[pn]
		}
		out = append(out, p)
	}
	return out, nil
}

// baselines runs the binary and the fingerprint on every unmutated program (two at a time).
func baselines(ctx context.Context, o options, programs []*program) error {
	errs := make([]error, len(programs))
	sem := make(chan struct{}, o.jobs)
	var wg sync.WaitGroup
	for i, p := range programs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			p.Baseline = runConformance(ctx, o.bin, p, p.Dir, o.timeout)
			if p.Baseline.Exit != 0 && p.Baseline.Exit != 1 {
				errs[i] = fmt.Errorf("%s: the conformance binary did not run on the unmutated output (exit %d):\n%s", p.Name, p.Baseline.Exit, p.Baseline.Output)
				return
			}
			fp, err := runFingerprint(ctx, o.self, p.Name, p.Dir, o.timeout)
			if err != nil {
				errs[i] = err
				return
			}
			p.Fingerprint = fp
			fmt.Printf("baseline %s: %d failures, %d proxies (%.1fs)\n", p.Name, len(p.Baseline.Failures), len(fp.Proxies), p.Baseline.Seconds)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// judge builds, runs and classifies one mutant.
func judge(ctx context.Context, o options, p *program, m *mutate.Mutant, checker *mutate.SchemaChecker) *result {
	r := &result{Mutant: m}
	r.Diff = mutate.Diff(p.Folder, m)
	r.Schema = checker.Check(p.Folder, m)
	dir, err := mutantDir(o.work, p, m)
	if err != nil {
		r.Class, r.Output = Error, err.Error()
		return r
	}
	if !o.keep {
		defer os.RemoveAll(filepath.Dir(dir))
	}
	got := runConformance(ctx, o.bin, p, dir, o.timeout, skippedStages(m)...)
	r.Seconds = got.Seconds
	fresh := newFailures(p.Baseline, got)
	r.Stages = killingStages(fresh)
	for i, f := range fresh {
		if i == 5 {
			r.Evidence = append(r.Evidence, fmt.Sprintf("... %d more", len(fresh)-5))
			break
		}
		r.Evidence = append(r.Evidence, f)
	}
	switch {
	case got.Exit != 0 && got.Exit != 1, got.Exit == 1 && len(got.Failures) == 0:
		r.Class, r.Output = Error, got.Output
	case r.Schema != "" || contains(r.Stages, "validation"):
		r.Class = KilledValidation
	case len(fresh) > 0:
		r.Class = Killed
	default:
		classifySurvivor(ctx, o, p, dir, r)
	}
	return r
}

// classifySurvivor: a survivor whose pilot config is identical to the original's is
// equivalent; otherwise it names the proxies whose config changed.
func classifySurvivor(ctx context.Context, o options, p *program, dir string, r *result) {
	fp, err := runFingerprint(ctx, o.self, p.Name, dir, o.timeout)
	if err != nil {
		r.Class, r.Reason = Survived, "the fingerprint could not be computed: "+err.Error()
		return
	}
	r.Differs = p.Fingerprint.differences(fp)
	if len(r.Differs) > 0 {
		r.Class = Survived
		r.Reason = "no stage fails, yet pilot's config changes at: " + strings.Join(r.Differs, "; ")
		if arg := argued(p.Folder, r.Mutant, false); arg != "" {
			r.Class, r.Reason = Equivalent, "pilot's config changes at "+strings.Join(r.Differs, "; ")+", consistently: "+arg
		}
		return
	}
	identical := fmt.Sprintf("pilot generates byte-identical LDS/CDS/RDS/EDS for all %d proxies%s", len(fp.Proxies), ztunnelNote(fp))
	if why := readOnlyByPilot(p.Folder, r.Mutant); why != "" {
		r.Class = Survived
		r.Reason = identical + ", but that is no proof: " + why
		if arg := argued(p.Folder, r.Mutant, true); arg != "" {
			r.Class, r.Reason = Equivalent, identical+"; "+arg
		}
		return
	}
	r.Class = Equivalent
	r.Reason = identical + ": the object is read by istiod alone, so no request through the mesh can tell this mutant from the original"
}

func ztunnelNote(fp *fingerprint) string {
	if fp.Ztunnel == "" {
		return ""
	}
	return " and the same workloads, services and policies for ztunnel"
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
