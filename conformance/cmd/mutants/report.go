package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/mutate"
)

// tally counts the classes of a group of mutants.
type tally struct {
	Mutants          int `json:"mutants"`
	Killed           int `json:"killed"`
	KilledValidation int `json:"killedByValidation"`
	Survived         int `json:"survived"`
	Equivalent       int `json:"equivalent"`
	Errors           int `json:"errors"`
}

func (t *tally) add(class string) {
	t.Mutants++
	switch class {
	case Killed:
		t.Killed++
	case KilledValidation:
		t.KilledValidation++
	case Survived:
		t.Survived++
	case Equivalent:
		t.Equivalent++
	default:
		t.Errors++
	}
}

// Score is the share of non-equivalent mutants killed (by any stage, validation included);
// an error counts as not killed.
func (t tally) Score() float64 {
	den := t.Mutants - t.Equivalent
	if den == 0 {
		return 1
	}
	return float64(t.Killed+t.KilledValidation) / float64(den)
}

// SemanticScore leaves out the mutants validation rejects: the share of the schema-valid,
// non-equivalent mutants a later stage kills.
func (t tally) SemanticScore() float64 {
	den := t.Mutants - t.Equivalent - t.KilledValidation
	if den == 0 {
		return 1
	}
	return float64(t.Killed) / float64(den)
}

type report struct {
	Label       string            `json:"label,omitempty"`
	Seconds     float64           `json:"seconds"`
	Jobs        int               `json:"-"`
	Programs    []string          `json:"programs"`
	Total       tally             `json:"total"`
	Score       float64           `json:"score"`
	Semantic    float64           `json:"semanticScore"`
	ByOperator  map[string]*tally `json:"byOperator"`
	ByProgram   map[string]*tally `json:"byProgram"`
	FirstKiller map[string]int    `json:"firstKillingStage"` // stage -> mutants it is the first to fail
	AnyKiller   map[string]int    `json:"killingStage"`      // stage -> mutants it fails
	OnlyKiller  map[string]int    `json:"onlyKillingStage"`  // stage -> mutants no other stage fails
	Results     []*result         `json:"results"`
}

func newReport(label string, programs []*program, results []*result, took time.Duration) *report {
	r := &report{Label: label, Seconds: took.Seconds(), ByOperator: map[string]*tally{}, ByProgram: map[string]*tally{},
		FirstKiller: map[string]int{}, AnyKiller: map[string]int{}, OnlyKiller: map[string]int{}, Results: results}
	for _, p := range programs {
		r.Programs = append(r.Programs, p.Name)
	}
	for _, res := range results {
		r.Total.add(res.Class)
		if r.ByOperator[res.Operator] == nil {
			r.ByOperator[res.Operator] = &tally{}
		}
		r.ByOperator[res.Operator].add(res.Class)
		if r.ByProgram[res.Program] == nil {
			r.ByProgram[res.Program] = &tally{}
		}
		r.ByProgram[res.Program].add(res.Class)
		if res.Class == Killed || res.Class == KilledValidation {
			first := "schema"
			if len(res.Stages) > 0 {
				first = res.Stages[0]
			}
			if res.Schema != "" {
				first = "schema"
			}
			r.FirstKiller[first]++
			for _, s := range res.Stages {
				r.AnyKiller[s]++
			}
			if len(res.Stages) == 1 && res.Schema == "" {
				r.OnlyKiller[res.Stages[0]]++
			}
		}
	}
	r.Score, r.Semantic = r.Total.Score(), r.Total.SemanticScore()
	return r
}

func (r *report) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), js, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "report.md"), []byte(r.markdown()), 0o644)
}

func pct(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }

func (r *report) summaryText() string {
	t := r.Total
	return fmt.Sprintf("%d mutants: %d killed, %d killed by validation, %d survived, %d equivalent, %d errors; killed %s of the non-equivalent (%s of the schema-valid ones); %s\n",
		t.Mutants, t.Killed, t.KilledValidation, t.Survived, t.Equivalent, t.Errors, pct(r.Score), pct(r.Semantic), duration(r.Seconds))
}

func duration(s float64) string {
	return (time.Duration(s) * time.Second).Round(time.Second).String()
}

func tallyTable(b *strings.Builder, title string, m map[string]*tally, order []string) {
	fmt.Fprintf(b, "| %s | mutants | killed | killed by validation | survived | equivalent | errors | killed %% |\n", title)
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, k := range order {
		t := m[k]
		if t == nil {
			continue
		}
		fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %d | %d | %s |\n", k, t.Mutants, t.Killed, t.KilledValidation, t.Survived, t.Equivalent, t.Errors, pct(t.Score()))
	}
	b.WriteString("\n")
}

func (r *report) markdown() string {
	var b strings.Builder
	b.WriteString("# Mutation testing of the conformance oracle\n\n")
	if r.Label != "" {
		fmt.Fprintf(&b, "%s\n\n", r.Label)
	}
	b.WriteString(r.summaryText())
	fmt.Fprintf(&b, "\nPrograms: %s.\n\n", strings.Join(r.Programs, ", "))
	b.WriteString("## Stages that fail the killed mutants\n\n")
	b.WriteString("Without a stage, the mutants only it fails would survive: the last column is the killed share without it.\n\n")
	b.WriteString("| stage | first to fail | fails | only this stage fails | killed % without it |\n|---|---:|---:|---:|---:|\n")
	stages := sortedKeys(r.FirstKiller)
	for s := range r.AnyKiller {
		if r.FirstKiller[s] == 0 {
			stages = append(stages, s)
		}
	}
	sort.SliceStable(stages, func(i, j int) bool { return stageRank(stages[i]) < stageRank(stages[j]) })
	for _, s := range stages {
		without := r.Total
		if s == "validation" {
			without.KilledValidation -= r.OnlyKiller[s]
		} else {
			without.Killed -= r.OnlyKiller[s]
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s |\n", s, r.FirstKiller[s], r.AnyKiller[s], r.OnlyKiller[s], pct(without.Score()))
	}
	b.WriteString("\n(schema: rejected by the CRD's openAPIV3Schema or CEL rules, as the API server would.)\n\n## By operator\n\n")
	var ops []string
	for _, op := range mutate.Operators {
		ops = append(ops, op.Name)
	}
	tallyTable(&b, "operator", r.ByOperator, ops)
	b.WriteString("## By program\n\n")
	tallyTable(&b, "program", r.ByProgram, r.Programs)
	r.listing(&b, Survived, "Survivors", "Each survivor: the mutant, the proxies whose pilot-generated config it changes, and its diff.")
	r.listing(&b, Error, "Errors", "Runs that could not be classified.")
	r.listing(&b, Equivalent, "Equivalent mutants", "Each with the argument that no request can tell it from the original.")
	r.listing(&b, KilledValidation, "Killed by validation", "Rejected before any request: the CRD schema (API server) or Istio's validation.")
	return b.String()
}

func stageRank(s string) int {
	if s == "schema" {
		return -1
	}
	for i, x := range stageOrder {
		if x == s {
			return i
		}
	}
	return len(stageOrder)
}

func (r *report) listing(b *strings.Builder, class, title, intro string) {
	var rs []*result
	for _, x := range r.Results {
		if x.Class == class {
			rs = append(rs, x)
		}
	}
	if len(rs) == 0 {
		return
	}
	fmt.Fprintf(b, "## %s (%d)\n\n%s\n\n", title, len(rs), intro)
	for _, x := range rs {
		fmt.Fprintf(b, "### %s `%s` %s\n\n", x.ID, x.Operator, x.Program)
		fmt.Fprintf(b, "%s `%s`: `%v` → `%v` (%s)\n\n", x.Object, x.Path, x.Old, x.New, x.Note)
		if x.Reason != "" {
			fmt.Fprintf(b, "%s\n\n", x.Reason)
		}
		if x.Schema != "" {
			fmt.Fprintf(b, "Schema: %s\n\n", x.Schema)
		}
		for _, e := range x.Evidence {
			fmt.Fprintf(b, "- %s\n", e)
		}
		if len(x.Evidence) > 0 {
			b.WriteString("\n")
		}
		if x.Output != "" {
			fmt.Fprintf(b, "```\n%s\n```\n\n", x.Output)
		}
		if class != KilledValidation {
			fmt.Fprintf(b, "```diff\n%s```\n\n", x.Diff)
		}
	}
}

func readReport(path string) (*report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := &report{}
	if err := json.Unmarshal(data, r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// mergeResults replaces the previous results of the mutants judged again (by ID), keeps the
// others in their order, and appends mutants the previous report did not have.
func mergeResults(prev, now []*result) []*result {
	byID := map[string]*result{}
	for _, r := range now {
		byID[r.ID] = r
	}
	out := make([]*result, 0, len(prev))
	for _, r := range prev {
		if x, ok := byID[r.ID]; ok {
			out = append(out, x)
			delete(byID, r.ID)
			continue
		}
		out = append(out, r)
	}
	for _, r := range now {
		if _, ok := byID[r.ID]; ok {
			out = append(out, r)
		}
	}
	return out
}
