package live

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// pushStatusProblems are push_status metrics that mean conflicting or invalid config
// (pilot_conflict_*, pilot_vservice_dup_domain, pilot_duplicate_envoy_clusters, ...).
var pushStatusProblems = []string{"conflict", "dup", "invalid", "reject"}

// debugProblems reads one debug endpoint's answer for rejected, conflicting or invalid config.
func debugProblems(path string, body []byte) []string {
	var out []string
	switch path {
	case "/debug/push_status":
		var ps map[string]any
		if err := json.Unmarshal(body, &ps); err != nil {
			return []string{"not JSON: " + err.Error()}
		}
		metrics, _ := ps["ProxyStatus"].(map[string]any)
		for k, v := range metrics {
			for _, p := range pushStatusProblems {
				if strings.Contains(k, p) {
					b, _ := json.Marshal(v)
					out = append(out, fmt.Sprintf("%s: %s", k, cut(string(b))))
					break
				}
			}
		}
	case "/debug/syncz":
		var list []map[string]any
		if err := json.Unmarshal(body, &list); err != nil {
			return []string{"not JSON: " + err.Error()}
		}
		for _, e := range list {
			for k, v := range e {
				s, _ := v.(string)
				if strings.Contains(strings.ToLower(k), "nack") || strings.Contains(s, "NACK") {
					out = append(out, fmt.Sprintf("proxy %v: %s=%v", e["proxy"], k, v))
				}
			}
		}
	case "/debug/configz":
		var list []any
		if err := json.Unmarshal(body, &list); err != nil {
			return []string{"not JSON: " + err.Error()}
		}
	}
	sort.Strings(out)
	return out
}

// logWords mark a log line about config istiod could not use.
var logWords = []string{"reject", "conflict", "invalid", "nack", "failed to convert", "validation failed"}

// ListedLog are istiod log lines (by substring) that are accepted, each with why.
var ListedLog = map[string]string{
	"ip-autoallocate":             ipAutoallocateReason,
	"controller=IP Autoallocator": ipAutoallocateReason,
}

const ipAutoallocateReason = "istiod's IP autoallocator patches a ServiceEntry's status with a JSON-patch precondition on /status; " +
	"the analysis status writer (PILOT_ENABLE_ANALYSIS, the stage's setting; off in the emitted istiod) fills that status first, so " +
	"both preconditions fail. Without analysis the same program shows no rejection (measured)"

// logProblems returns istiod's warn and error lines about rejected, conflicting or invalid
// config, and (listed) those ListedLog accepts, by their reason.
func logProblems(log string) (out []string, listed map[string]int) {
	listed = map[string]int{}
	seen := map[string]bool{}
	for _, line := range strings.Split(log, "\n") {
		f := strings.SplitN(line, "\t", 4)
		if len(f) < 4 || (f[1] != "error" && f[1] != "warn") {
			continue
		}
		lower := strings.ToLower(f[3])
		hit := false
		for _, w := range logWords {
			if strings.Contains(lower, w) {
				hit = true
			}
		}
		if !hit || seen[f[3]] {
			continue
		}
		reason := ""
		for k, r := range ListedLog {
			if strings.Contains(line, k) {
				reason = r
			}
		}
		if reason != "" {
			listed[reason]++
			continue
		}
		seen[f[3]] = true
		out = append(out, fmt.Sprintf("%s %s: %s", f[1], f[2], cut(f[3])))
	}
	return out, listed
}
