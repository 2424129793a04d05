package mutate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// testdata/mesh is a small output folder with every kind and field the operators mutate:
// a sidecar namespace (shop), an ambient namespace with a waypoint and Gateway API routes
// (store), and the control plane namespace with an ingress gateway.
const meshDir = "testdata/mesh"

func readMesh(t *testing.T) *Folder {
	t.Helper()
	f, err := ReadFolder(meshDir)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestEveryOperatorHasMutants(t *testing.T) {
	ms := Generate("mesh", readMesh(t))
	per := map[string]int{}
	for _, m := range ms {
		per[m.Operator]++
	}
	for _, op := range Operators {
		if per[op.Name] == 0 {
			t.Errorf("operator %s proposes no mutant on %s", op.Name, meshDir)
		}
	}
	if len(ms) < 150 {
		t.Errorf("%d mutants of %s, expected at least 150", len(ms), meshDir)
	}
}

// leafMap flattens a decoded object to path -> JSON value.
func leafMap(obj map[string]any) map[string]string {
	out := map[string]string{}
	for _, l := range Leaves(obj) {
		js, _ := json.Marshal(l.Value)
		out[l.Path.String()] = string(js)
	}
	return out
}

func TestEachMutantChangesExactlyOneField(t *testing.T) {
	f := readMesh(t)
	for _, m := range Generate("mesh", f) {
		name, data, err := m.Apply(f)
		if err != nil {
			t.Fatalf("%s: %v", m.Key, err)
		}
		mutated, err := ParseFile(name, data)
		if err != nil {
			t.Fatalf("%s: the mutated file does not parse: %v", m.Key, err)
		}
		var orig *File
		for _, file := range f.Files {
			if file.Name == name {
				orig = file
			}
		}
		if len(mutated.Docs) != len(orig.Docs) {
			t.Fatalf("%s: %d documents, the original has %d", m.Key, len(mutated.Docs), len(orig.Docs))
		}
		for i, d := range mutated.Docs {
			if i != m.Doc {
				if !bytes.Equal(bytes.TrimSpace(d.Raw), bytes.TrimSpace(orig.Docs[i].Raw)) {
					t.Errorf("%s: document %d changed although the mutant is in document %d", m.Key, i, m.Doc)
				}
				continue
			}
			before, after := leafMap(orig.Docs[i].Object), leafMap(d.Object)
			if len(before) != len(after) {
				t.Errorf("%s: %d fields before, %d after", m.Key, len(before), len(after))
			}
			var changed []string
			for p, v := range before {
				if after[p] != v {
					changed = append(changed, p)
				}
			}
			if len(changed) != 1 || changed[0] != m.Path {
				t.Errorf("%s: changed fields %v, want exactly [%s]", m.Key, changed, m.Path)
				continue
			}
			want, _ := json.Marshal(m.New)
			if after[m.Path] != string(want) {
				t.Errorf("%s: %s is %s after the mutation, want %s", m.Key, m.Path, after[m.Path], want)
			}
		}
	}
}

func TestGenerationAndApplicationAreDeterministic(t *testing.T) {
	a := Generate("mesh", readMesh(t))
	b := Generate("mesh", readMesh(t))
	if len(a) != len(b) {
		t.Fatalf("%d mutants, then %d", len(a), len(b))
	}
	seen := map[string]bool{}
	fa, fb := readMesh(t), readMesh(t)
	for i := range a {
		if a[i].Key != b[i].Key || a[i].ID != b[i].ID {
			t.Fatalf("mutant %d: %s (%s), then %s (%s)", i, a[i].Key, a[i].ID, b[i].Key, b[i].ID)
		}
		if seen[a[i].ID] {
			t.Errorf("ID %s is not unique (%s)", a[i].ID, a[i].Key)
		}
		seen[a[i].ID] = true
		_, da, err1 := a[i].Apply(fa)
		_, db, err2 := b[i].Apply(fb)
		if err1 != nil || err2 != nil || !bytes.Equal(da, db) {
			t.Errorf("%s: two applications differ (%v, %v)", a[i].Key, err1, err2)
		}
	}
}

func TestMutantsDifferFromTheOriginal(t *testing.T) {
	f := readMesh(t)
	for _, m := range Generate("mesh", f) {
		name, data, err := m.Apply(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range f.Files {
			if file.Name == name && bytes.Equal(file.Bytes(-1, nil), data) {
				t.Errorf("%s: the mutated file equals the original", m.Key)
			}
		}
		d := Diff(f, m)
		if !strings.Contains(d, "\n+") || !strings.Contains(d, "\n-") {
			t.Errorf("%s: the diff shows no change:\n%s", m.Key, d)
		}
	}
}

func TestUnmutatedFileIsReassembledAsRead(t *testing.T) {
	for _, file := range readMesh(t).Files {
		again, err := ParseFile(file.Name, file.Bytes(-1, nil))
		if err != nil {
			t.Fatal(err)
		}
		for i := range file.Docs {
			if fmt.Sprint(leafMap(file.Docs[i].Object)) != fmt.Sprint(leafMap(again.Docs[i].Object)) {
				t.Errorf("%s document %d changed by reassembly", file.Name, i)
			}
		}
	}
}

// find returns the mutants of an operator on an object's field.
func find(ms []*Mutant, op, object, path string) []*Mutant {
	var out []*Mutant
	for _, m := range ms {
		if m.Operator == op && m.Object == object && m.Path == path {
			out = append(out, m)
		}
	}
	return out
}

func one(t *testing.T, ms []*Mutant, op, object, path string) *Mutant {
	t.Helper()
	got := find(ms, op, object, path)
	if len(got) != 1 {
		t.Fatalf("%s %s %s: %d mutants, want 1", op, object, path, len(got))
	}
	return got[0]
}

func TestOperatorsChooseReplacementsFromTheOutput(t *testing.T) {
	ms := Generate("mesh", readMesh(t))
	cases := []struct {
		op, object, path string
		want             any
	}{
		// another service account of the namespace: a real other identity
		{"principal", "AuthorizationPolicy shop/user-service-allow", "spec.rules[0].from[0].source.principals[0]", "cluster.local/ns/shop/sa/user-service"},
		{"principal", "Deployment shop/order-service-v1", "spec.template.spec.serviceAccountName", "user-service"},
		// another subset of the destination's DestinationRule
		{"subset", "VirtualService shop/order-service", "spec.http[0].route[0].destination.subset", "v1"},
		// another service of the same namespace
		{"host", "VirtualService shop/order-service", "spec.http[0].route[0].destination.host", "user-service.shop.svc.cluster.local"},
		// another value of the label in the namespace
		{"selector", "DestinationRule shop/order-service", "spec.subsets[0].labels.version", "v2"},
		{"selector", "Service shop/order-service", "spec.selector.app", "user-service"},
		// weights are relative: 10 points move the split
		{"weight", "VirtualService shop/order-service", "spec.http[3].route[0].weight", json.Number("100")},
		{"weight", "VirtualService shop/order-service", "spec.http[3].route[1].weight", json.Number("20")},
		// Istio durations are protobuf seconds, Gateway API durations whole units
		{"timeout", "VirtualService shop/order-service", "spec.http[3].retries.perTryTimeout", "5s"},
		{"fault", "VirtualService shop/order-service", "spec.http[1].fault.delay.fixedDelay", "1s"},
		{"timeout", "HTTPRoute store/catalog", "spec.rules[0].timeouts.backendRequest", "4s"},
		{"path", "AuthorizationPolicy shop/user-service-allow", "spec.rules[0].to[0].operation.paths[0]", "/usersx/*"},
		{"path", "HTTPRoute store/catalog", "spec.rules[0].matches[0].path.value", "/catalogx"},
		{"method", "AuthorizationPolicy shop/user-service-allow", "spec.rules[0].to[0].operation.methods[0]", "POST"},
		{"issuer", "RequestAuthentication shop/user-service-jwt", "spec.jwtRules[0].issuer", "https://xauth.example.com"},
		{"port", "AuthorizationPolicy shop/user-service-allow", "spec.rules[0].to[0].operation.ports[0]", "5001"},
		{"target-port", "Service shop/order-service", "spec.ports[0].targetPort", "http-alt"},
		{"target-ref", "AuthorizationPolicy store/catalog-waypoint", "spec.targetRefs[0].name", "catalog-x"},
		{"namespace", "Sidecar shop/order-service", "spec.egress[0].hosts[1]", "shop/*"},
		{"host", "Sidecar shop/order-service", "spec.egress[0].hosts[0]", "shop/order-service.shop.svc.cluster.local"},
		{"namespace", "DestinationRule shop/order-service", "spec.exportTo[0]", "*"},
		{"waypoint", "Service store/catalog", "metadata.labels[\"istio.io/use-waypoint\"]", "none"},
		{"reference-grant", "ReferenceGrant store/from-istio-system", "spec.from[0].namespace", "shop"},
		{"gateway-binding", "HTTPRoute store/edge-redirect", "spec.parentRefs[0].sectionName", "https"},
		{"gateway-binding", "VirtualService istio-system/shop-example-com", "spec.gateways[0]", "mesh"},
		{"server-tls", "Gateway istio-system/ingress", "spec.servers[1].tls.mode", "PASSTHROUGH"},
		{"host", "Gateway istio-system/ingress", "spec.servers[1].hosts[0]", "shop/xshop.example.com"},
		{"retry", "VirtualService shop/order-service", "spec.http[3].retries.retryOn", "connect-failure"},
		{"header", "VirtualService shop/order-service", "spec.http[0].match[0].headers.x-canary.exact", "alwaysx"},
	}
	for _, c := range cases {
		got := find(ms, c.op, c.object, c.path)
		var values []any
		ok := false
		for _, m := range got {
			values = append(values, m.New)
			ok = ok || same(m.New, c.want)
		}
		if !ok {
			t.Errorf("%s %s %s: replacements %v, want one to be %v", c.op, c.object, c.path, values, c.want)
		}
	}
}

func TestEnumOperatorsProposeEveryOtherValue(t *testing.T) {
	ms := Generate("mesh", readMesh(t))
	got := map[string]bool{}
	for _, m := range find(ms, "mtls-mode", "PeerAuthentication istio-system/default", "spec.mtls.mode") {
		got[m.New.(string)] = true
	}
	if len(got) != 2 || !got["PERMISSIVE"] || !got["DISABLE"] {
		t.Errorf("STRICT mutated to %v, want PERMISSIVE and DISABLE", got)
	}
	if n := len(find(ms, "mtls-mode", "PeerAuthentication istio-system/default", `spec.portLevelMtls["9000"].mode`)); n != 2 {
		t.Errorf("port-level PERMISSIVE: %d mutants, want STRICT and DISABLE", n)
	}
	if n := len(find(ms, "client-tls", "DestinationRule shop/order-service", "spec.trafficPolicy.tls.mode")); n != 2 {
		t.Errorf("ISTIO_MUTUAL: %d mutants, want DISABLE and SIMPLE", n)
	}
}

func TestScopeLeavesTheControlPlaneAndSelectorKeysAlone(t *testing.T) {
	ms := Generate("mesh", readMesh(t))
	for _, m := range ms {
		if strings.Contains(m.Object, "istiod") {
			t.Errorf("%s: istiod (no proxy, not captured) is outside the mesh's intent", m.Key)
		}
		// a template label the workload's own selector uses cannot change alone
		if m.Object == "Deployment shop/user-service-v1" && (m.Path == "spec.template.metadata.labels.app" || m.Path == "spec.template.metadata.labels.version") {
			t.Errorf("%s: mutates a label the Deployment's selector uses", m.Key)
		}
		if m.Object == "Service istio-system/ingress" && strings.HasPrefix(m.Path, "spec.ports[0]") {
			t.Errorf("%s: mutates the gateway's status port", m.Key)
		}
	}
	// order-service-v2's selector leaves out version: its version label may change
	one(t, ms, "workload-label", "Deployment shop/order-service-v2", "spec.template.metadata.labels.version")
	one(t, ms, "port", "Service istio-system/ingress", "spec.ports[1].port")
}

func TestSelectKeepsAFewPerOperatorDeterministically(t *testing.T) {
	ms := Generate("mesh", readMesh(t))
	a, b := Select(ms, 2), Select(Generate("mesh", readMesh(t)), 2)
	per := map[string]int{}
	for i, m := range a {
		per[m.Operator]++
		if m.Key != b[i].Key {
			t.Fatalf("selection differs at %d: %s, %s", i, m.Key, b[i].Key)
		}
	}
	for _, op := range Operators {
		if per[op.Name] == 0 || per[op.Name] > 2 {
			t.Errorf("%s: %d selected, want 1 or 2", op.Name, per[op.Name])
		}
	}
	if len(Select(ms, 0)) != len(ms) {
		t.Error("per-operator 0 must keep every mutant")
	}
}

func TestTweaks(t *testing.T) {
	for in, want := range map[string]string{"/users/*": "/usersx/*", "/": "/x", "always": "alwaysx", "^(.*?;)?(canary=yes)(;.*)?$": "^(.*?;)?(canary=yesx)(;.*)?$"} {
		if got := tweak(in); got != want {
			t.Errorf("tweak(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"shop.example.com": "xshop.example.com", "*.example.com": "*.xexample.com", "*": ""} {
		if got := hostTweak(in); got != want {
			t.Errorf("hostTweak(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"user-service": "user-service.shop.svc.cluster.local", "user-service.shop": "user-service.shop.svc.cluster.local",
		"user-service.shop.svc": "user-service.shop.svc.cluster.local", "api.payments.example": "api.payments.example", "*.example.com": "*.example.com"} {
		if got := FQDN(in, "shop"); got != want {
			t.Errorf("FQDN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPaths(t *testing.T) {
	p := Path{"metadata", "labels", "istio.io/use-waypoint"}
	if got := p.String(); got != `metadata.labels["istio.io/use-waypoint"]` {
		t.Errorf("String() = %s", got)
	}
	if got := (Path{"spec", "http", 1, "route", 0, "weight"}).String(); got != "spec.http[1].route[0].weight" {
		t.Errorf("String() = %s", got)
	}
	if !compile("metadata.labels.{istio.io/use-waypoint}").match(p) {
		t.Error("a braced key must match a key holding dots")
	}
	if !compile("spec.http[].route[].weight").match(Path{"spec", "http", 3, "route", 1, "weight"}) {
		t.Error("[] must match any index")
	}
	if compile("spec.http[].route[].weight").match(Path{"spec", "tcp", 3, "route", 1, "weight"}) {
		t.Error("a literal key must match only itself")
	}
	if !compile("spec.selector.*").match(Path{"spec", "selector", "app"}) || compile("spec.selector.*").match(Path{"spec", "selector", 0}) {
		t.Error("* must match any key and no index")
	}
}
