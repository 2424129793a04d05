package mutate

import (
	"fmt"
	"strings"
)

// Diff renders the mutant as a unified diff of its document (both sides written the same
// way, so only the mutated field differs), with three lines of context.
func Diff(f *Folder, m *Mutant) string {
	var before map[string]any
	for _, file := range f.Files {
		if file.Name == m.File && m.Doc < len(file.Docs) {
			before = file.Docs[m.Doc].Object
		}
	}
	if before == nil {
		return ""
	}
	after, err := m.Mutated(before)
	if err != nil {
		return err.Error()
	}
	a, err1 := Encode(before)
	b, err2 := Encode(after)
	if err1 != nil || err2 != nil {
		return fmt.Sprint(err1, err2)
	}
	header := fmt.Sprintf("--- %s (%s)\n+++ %s (%s: %s)\n", m.File, m.Object, m.File, m.Operator, m.Path)
	return header + unified(strings.Split(strings.TrimSuffix(string(a), "\n"), "\n"), strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"), 3)
}

type edit struct {
	op   byte // ' ', '-', '+'
	line string
}

// lineEdits is the shortest edit script from a to b (longest common subsequence).
func lineEdits(a, b []string) []edit {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []edit
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out = append(out, edit{' ', a[i]})
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			out = append(out, edit{'+', b[j]})
			j++
		default:
			out = append(out, edit{'-', a[i]})
			i++
		}
	}
	return out
}

// unified prints the changed lines with ctx lines of context around each change.
func unified(a, b []string, ctx int) string {
	edits := lineEdits(a, b)
	show := make([]bool, len(edits))
	for i, e := range edits {
		if e.op == ' ' {
			continue
		}
		for k := max(0, i-ctx); k <= min(len(edits)-1, i+ctx); k++ {
			show[k] = true
		}
	}
	var sb strings.Builder
	gap := false
	for i, e := range edits {
		if !show[i] {
			gap = true
			continue
		}
		if gap || sb.Len() == 0 {
			sb.WriteString("@@\n")
			gap = false
		}
		sb.WriteByte(e.op)
		sb.WriteString(e.line)
		sb.WriteByte('\n')
	}
	return sb.String()
}
