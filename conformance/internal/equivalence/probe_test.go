package equivalence

import (
	"encoding/json"
	"strings"
	"testing"
)

func table(t *testing.T, js string) []any {
	t.Helper()
	var v []any
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

const pin = `{"name":"x-preview","string_match":{"exact":"green"}}`

// The Istio API evaluates the tester pin first; the Gateway API ranks /reports first, so the
// pin must be repeated with /reports to keep testers on green.
var istioTable = `[
 {"match":{"prefix":"/","headers":[` + pin + `]},"route":{"cluster":"green"}},
 {"match":{"prefix":"/reports"},"route":{"cluster":"blue","timeout":"30s"}},
 {"match":{"prefix":"/"},"route":{"cluster":"blue"}}]`

func TestSameBehaviourWithThePinRepeated(t *testing.T) {
	gw := `[
 {"match":{"path_separated_prefix":"/reports","headers":[` + pin + `]},"route":{"cluster":"green"}},
 {"match":{"path_separated_prefix":"/reports"},"route":{"cluster":"blue","timeout":"30s"}},
 {"match":{"prefix":"/","headers":[` + pin + `]},"route":{"cluster":"green"}},
 {"match":{"prefix":"/"},"route":{"cluster":"blue"}}]`
	n, diff := sameBehaviour(table(t, istioTable), table(t, gw))
	if diff != "" || n < 6 {
		t.Fatalf("expected the same behaviour on at least 6 probes, got %d probes: %s", n, diff)
	}
}

func TestDifferentBehaviourWithoutThePin(t *testing.T) {
	gw := `[
 {"match":{"path_separated_prefix":"/reports"},"route":{"cluster":"blue","timeout":"30s"}},
 {"match":{"prefix":"/","headers":[` + pin + `]},"route":{"cluster":"green"}},
 {"match":{"prefix":"/"},"route":{"cluster":"blue"}}]`
	_, diff := sameBehaviour(table(t, istioTable), table(t, gw))
	if !strings.Contains(diff, "/reports") || !strings.Contains(diff, "x-preview=green") {
		t.Fatalf("expected the tester request to /reports to differ, got %q", diff)
	}
}
