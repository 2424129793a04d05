package analysis

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
)

// testdata/ambient: the ambient program of ../xds/ambient_test.go (an ambient namespace, a
// callee with L7 intent attached to the namespace waypoint, a waypoint-only guard policy).
func ambientExample(t *testing.T, edits ...[2]string) *manifest.Example {
	t.Helper()
	ex := &manifest.Example{Name: "ambient"}
	files, _ := filepath.Glob(filepath.Join("testdata", "ambient", "*.k8s.yaml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for _, e := range edits {
			s = strings.ReplaceAll(s, e[0], e[1])
		}
		tmp := filepath.Join(t.TempDir(), filepath.Base(f))
		if err := os.WriteFile(tmp, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		objs, err := manifest.LoadFile(tmp)
		if err != nil {
			t.Fatal(err)
		}
		ex.Files = append(ex.Files, tmp)
		ex.Objects = append(ex.Objects, objs...)
	}
	return ex
}

func TestAmbientOutputIsClean(t *testing.T) {
	r := run(t, ambientExample(t))
	if f := failures(r); len(f) > 0 {
		t.Fatalf("want no failures, got %+v", f)
	}
}

func TestAmbientPodsAreOnlyInTheMeshWhenIstioCniCapturesThem(t *testing.T) {
	// a namespace that is not ambient: istio-cni captures nothing, so the pods are in no mesh and
	// the guard policy selects no workload (IST0127)
	r := run(t, ambientExample(t, [2]string{"istio.io/dataplane-mode: ambient", "team: shop"}))
	if !hasFailure(r, "AuthorizationPolicy shop/cart-waypoint-only", "IST0127") {
		t.Fatalf("want IST0127 on the guard policy, got %+v", failures(r))
	}
}

func TestWaypointPrincipalNeedsAWaypointGateway(t *testing.T) {
	// not a waypoint: istiod deploys no ServiceAccount shop/waypoint
	r := run(t, ambientExample(t, [2]string{"gatewayClassName: istio-waypoint", "gatewayClassName: istio"}))
	if !hasFailure(r, "AuthorizationPolicy shop/cart-waypoint-only", "no ServiceAccount shop/waypoint") {
		t.Fatalf("want the principal check to report sa/waypoint, got %+v", failures(r))
	}
}
