package analysis

import (
	"fmt"
	"strings"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/report"
)

// localTrustDomain in a principal stands for the mesh's own trust domain and its aliases
// (pilot/pkg/security/trustdomain: Bundle.ReplaceTrustDomainAliases).
const localTrustDomain = "cluster.local"

// CheckPrincipals is the suite's own check (Istio's analyzers do not look at principals):
// every exact principal `<trust domain>/ns/<ns>/sa/<sa>` of an AuthorizationPolicy names a
// ServiceAccount of the output, under the mesh's trust domain (or cluster.local, which pilot
// reads as the local trust domain). Returns the number checked.
func CheckPrincipals(ex *manifest.Example, r *report.Report, trustDomain string) int {
	n := 0
	for _, ap := range ex.ByKind("security.istio.io", "AuthorizationPolicy") {
		for _, p := range principalsOf(ap.Object) {
			if strings.Contains(p, "*") {
				continue // a pattern, not a reference
			}
			n++
			td, ns, sa, ok := parsePrincipal(p)
			switch {
			case !ok:
				r.Fail(ex.Name, Stage, ap.ID(), fmt.Sprintf("principal %q is not <trust domain>/ns/<namespace>/sa/<service account>", p))
			case td != trustDomain && td != localTrustDomain:
				r.Fail(ex.Name, Stage, ap.ID(), fmt.Sprintf("principal %q: trust domain %q is not the mesh's %q, so no workload carries it", p, td, trustDomain))
			default:
				if waypointServiceAccount(ex, ns, sa) {
					r.Pass(ex.Name, Stage, ap.ID(), fmt.Sprintf("principal %q names the ServiceAccount istiod creates for waypoint Gateway %s/%s", p, ns, sa))
				} else if _, found := ex.Find("", "ServiceAccount", ns, sa); !found {
					r.Fail(ex.Name, Stage, ap.ID(), fmt.Sprintf("principal %q: no ServiceAccount %s/%s in the output, so no workload carries it (suite's own check)", p, ns, sa))
				} else {
					r.Pass(ex.Name, Stage, ap.ID(), fmt.Sprintf("principal %q names ServiceAccount %s/%s", p, ns, sa))
				}
			}
		}
	}
	return n
}

func principalsOf(obj map[string]any) []string {
	var out []string
	spec, _ := obj["spec"].(map[string]any)
	rules, _ := spec["rules"].([]any)
	for _, rule := range rules {
		rm, _ := rule.(map[string]any)
		from, _ := rm["from"].([]any)
		for _, f := range from {
			fm, _ := f.(map[string]any)
			src, _ := fm["source"].(map[string]any)
			for _, key := range []string{"principals", "notPrincipals"} {
				list, _ := src[key].([]any)
				for _, p := range list {
					if s, ok := p.(string); ok {
						out = append(out, s)
					}
				}
			}
		}
	}
	return out
}

func parsePrincipal(p string) (td, ns, sa string, ok bool) {
	parts := strings.Split(p, "/")
	if len(parts) != 5 || parts[1] != "ns" || parts[3] != "sa" || parts[0] == "" || parts[2] == "" || parts[4] == "" {
		return "", "", "", false
	}
	return parts[0], parts[2], parts[4], true
}
