package mutate

import (
	"strings"
	"testing"
)

func schemaChecker(t *testing.T) *SchemaChecker {
	t.Helper()
	c, err := NewSchemaChecker()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMeshTestdataIsSchemaValid(t *testing.T) {
	c := schemaChecker(t)
	for _, file := range readMesh(t).Files {
		for _, d := range file.Docs {
			if errs := c.Errors(d.Object); len(errs) > 0 {
				t.Errorf("%s %s: %v", file.Name, d.ID(), errs)
			}
		}
	}
}

func TestSchemaCheckRejectsWhatTheAPIServerRejects(t *testing.T) {
	c := schemaChecker(t)
	f := readMesh(t)
	cases := []struct {
		object, path string
		value        any
		want         string
	}{
		// an enum of the Istio CRD
		{"PeerAuthentication istio-system/default", "spec.mtls.mode", "SOMETIMES", "supported values"},
		// a CEL rule of the Gateway API CRD: a path prefix is absolute
		{"HTTPRoute store/catalog", "spec.rules[0].matches[0].path.value", "catalog", "must be an absolute path"},
	}
	for _, tc := range cases {
		var m *Mutant
		for _, x := range Generate("mesh", f) {
			if x.Object == tc.object && x.Path == tc.path {
				m = x
				break
			}
		}
		if m == nil {
			t.Fatalf("no mutant of %s %s", tc.object, tc.path)
		}
		bad := *m
		bad.New = tc.value
		if got := c.Check(f, &bad); !strings.Contains(got, tc.want) {
			t.Errorf("%s %s = %v: schema check %q, want it to contain %q", tc.object, tc.path, tc.value, got, tc.want)
		}
		if got := c.Check(f, m); got != "" {
			t.Errorf("%s: the operator's own value is rejected: %s", m.Key, got)
		}
	}
}

// Every field path an operator names exists in the CRD schema of each Istio and Gateway API
// kind it lists (a misspelt path would silently never match).
func TestOperatorPathsExistInTheCRDSchemas(t *testing.T) {
	c := schemaChecker(t)
	for _, op := range Operators {
		for _, r := range op.Rules {
			for _, kind := range r.Kinds {
				for _, p := range r.Paths {
					if strings.HasPrefix(p, "metadata.") {
						continue // ObjectMeta, not in the CRD schemas
					}
					found, known := c.HasField(kind, p)
					if known && !found {
						t.Errorf("operator %s: %s has no field %s", op.Name, kind, p)
					}
				}
			}
		}
	}
}
