// Package report collects the oracle's verdicts: per example and per stage, counts
// and assertions, printed as a table and a final "N passed, N failed" line.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// Verdict of one assertion.
type Verdict int

const (
	Pass Verdict = iota
	Fail
	// Listed: a message Istio's code produced that is accepted with a written reason.
	Listed
)

// Entry is one assertion or one listed message.
type Entry struct {
	Example string
	Stage   string
	Subject string // e.g. "VirtualService shop/order-service"
	Verdict Verdict
	Message string
}

// Report is safe for concurrent use.
type Report struct {
	mu      sync.Mutex
	entries []Entry
	counts  map[string]map[string]map[string]int // example -> stage -> key -> n
}

func New() *Report { return &Report{counts: map[string]map[string]map[string]int{}} }

func (r *Report) add(e Entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
}

// Pass records a passed assertion.
func (r *Report) Pass(example, stage, subject, msg string) {
	r.add(Entry{example, stage, subject, Pass, msg})
}

// Fail records a failed assertion.
func (r *Report) Fail(example, stage, subject, msg string) {
	r.add(Entry{example, stage, subject, Fail, msg})
}

// Failf records a failed assertion with a formatted message.
func (r *Report) Failf(example, stage, subject, format string, args ...any) {
	r.Fail(example, stage, subject, fmt.Sprintf(format, args...))
}

// Check records a pass when ok, else a failure with msg.
func (r *Report) Check(ok bool, example, stage, subject, msg string) bool {
	if ok {
		r.Pass(example, stage, subject, msg)
	} else {
		r.Fail(example, stage, subject, msg)
	}
	return ok
}

// List records a message accepted with a reason (counted, printed, not a failure).
func (r *Report) List(example, stage, subject, msg, reason string) {
	r.add(Entry{example, stage, subject, Listed, msg + " — listed: " + reason})
}

// Count adds n to a named counter (objects validated, pods injected, ...).
func (r *Report) Count(example, stage, key string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts[example] == nil {
		r.counts[example] = map[string]map[string]int{}
	}
	if r.counts[example][stage] == nil {
		r.counts[example][stage] = map[string]int{}
	}
	r.counts[example][stage][key] += n
}

// Entries returns a copy of all entries.
func (r *Report) Entries() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Entry(nil), r.entries...)
}

// Totals returns the number of passed and failed assertions.
func (r *Report) Totals() (passed, failed int) {
	for _, e := range r.Entries() {
		switch e.Verdict {
		case Pass:
			passed++
		case Fail:
			failed++
		}
	}
	return
}

// Print writes the per-example, per-stage table, every failure and listed message,
// and the final "N passed, N failed" line.
func (r *Report) Print(w io.Writer, verbose bool) {
	r.mu.Lock()
	examples := make([]string, 0, len(r.counts))
	seen := map[string]bool{}
	for ex := range r.counts {
		examples = append(examples, ex)
		seen[ex] = true
	}
	for _, e := range r.entries {
		if !seen[e.Example] {
			seen[e.Example] = true
			examples = append(examples, e.Example)
		}
	}
	r.mu.Unlock()
	sort.Strings(examples)
	entries := r.Entries()
	for _, ex := range examples {
		fmt.Fprintf(w, "== %s\n", ex)
		stages := map[string]bool{}
		for st := range r.counts[ex] {
			stages[st] = true
		}
		for _, e := range entries {
			if e.Example == ex {
				stages[e.Stage] = true
			}
		}
		names := make([]string, 0, len(stages))
		for st := range stages {
			names = append(names, st)
		}
		sort.Strings(names)
		for _, st := range names {
			var p, f, l int
			for _, e := range entries {
				if e.Example != ex || e.Stage != st {
					continue
				}
				switch e.Verdict {
				case Pass:
					p++
				case Fail:
					f++
				case Listed:
					l++
				}
			}
			keys := make([]string, 0)
			for k := range r.counts[ex][st] {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			parts := make([]string, 0, len(keys))
			for _, k := range keys {
				parts = append(parts, fmt.Sprintf("%s=%d", k, r.counts[ex][st][k]))
			}
			fmt.Fprintf(w, "   %-11s %s; assertions %d passed, %d failed, %d listed\n", st, strings.Join(parts, " "), p, f, l)
		}
		for _, e := range entries {
			if e.Example != ex {
				continue
			}
			switch {
			case e.Verdict == Fail:
				fmt.Fprintf(w, "   FAIL  [%s] %s: %s\n", e.Stage, e.Subject, e.Message)
			case e.Verdict == Listed:
				fmt.Fprintf(w, "   LIST  [%s] %s: %s\n", e.Stage, e.Subject, e.Message)
			case verbose:
				fmt.Fprintf(w, "   ok    [%s] %s: %s\n", e.Stage, e.Subject, e.Message)
			}
		}
	}
	p, f := r.Totals()
	fmt.Fprintf(w, "%d passed, %d failed\n", p, f)
}
