package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/equivalence"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/xds"
)

// fingerprint is what pilot generates for an output folder: a hash per proxy of its
// complete LDS, CDS, RDS and EDS, and for an ambient mesh a hash of what ztunnel receives
// (every workload and service address, every authorization policy).
type fingerprint struct {
	Proxies map[string]string `json:"proxies"`
	Ztunnel string            `json:"ztunnel,omitempty"`
}

// differences names what differs between two fingerprints.
func (f *fingerprint) differences(g *fingerprint) []string {
	var out []string
	for name, h := range f.Proxies {
		switch gh, ok := g.Proxies[name]; {
		case !ok:
			out = append(out, name+" (gone)")
		case gh != h:
			out = append(out, name)
		}
	}
	for name := range g.Proxies {
		if _, ok := f.Proxies[name]; !ok {
			out = append(out, name+" (new)")
		}
	}
	if f.Ztunnel != g.Ztunnel {
		out = append(out, "ztunnel (workloads, services, policies)")
	}
	sort.Strings(out)
	return out
}

var deterministic = proto.MarshalOptions{Deterministic: true}

func msgs[T proto.Message](l []T) []proto.Message {
	out := make([]proto.Message, len(l))
	for i, x := range l {
		out[i] = x
	}
	return out
}

func hashAll(h interface{ Write([]byte) (int, error) }, kind string, items []proto.Message, name func(proto.Message) string) {
	sort.SliceStable(items, func(i, j int) bool { return name(items[i]) < name(items[j]) })
	for _, x := range items {
		b, err := deterministic.Marshal(x)
		if err != nil {
			b = []byte(err.Error())
		}
		fmt.Fprintf(h, "%s %s %d\n", kind, name(x), len(b))
		_, _ = h.Write(b)
	}
}

// computeFingerprint loads a folder into pilot (in this process: pilot's ambient feature
// flags are process-wide, so one folder per process), with the TLS Secrets its gateways name
// (which the cluster's certificate issuer creates): without them pilot drops the TLS
// listeners, and whatever is routed through them would look unchanged.
func computeFingerprint(name, dir string) (*fingerprint, error) {
	ex, err := manifest.Load(name, dir)
	if err != nil {
		return nil, err
	}
	secrets, err := equivalence.TLSSecrets(ex)
	if err != nil {
		return nil, err
	}
	env, err := xds.Load(equivalence.WithObjects(ex, secrets))
	if err != nil {
		return nil, err
	}
	defer env.Close()
	fp := &fingerprint{Proxies: map[string]string{}}
	for _, p := range env.Proxies() {
		c := env.Generate(p)
		h := sha256.New()
		hashAll(h, "lds", msgs(c.Listeners), nameOf)
		hashAll(h, "cds", msgs(c.Clusters), nameOf)
		hashAll(h, "rds", msgs(c.Routes), nameOf)
		hashAll(h, "eds", msgs(c.Endpoints), nameOf)
		fp.Proxies[p.Name] = hex.EncodeToString(h.Sum(nil))
	}
	if idx := env.Server.Env().AmbientIndexes; idx != nil {
		h := sha256.New()
		var addrs, pols []proto.Message
		infos, _ := idx.AddressInformation(nil)
		for _, a := range infos {
			if a.Address != nil {
				addrs = append(addrs, a.Address)
			}
		}
		for _, p := range idx.Policies(nil) {
			if p.Authorization != nil {
				pols = append(pols, p.Authorization)
			}
		}
		hashAll(h, "address", addrs, hashName)
		hashAll(h, "policy", pols, hashName)
		if len(addrs)+len(pols) > 0 {
			fp.Ztunnel = hex.EncodeToString(h.Sum(nil))
		}
	}
	return fp, nil
}

// nameOf is the resource name of an xDS resource (listener, cluster, route configuration,
// cluster load assignment).
func nameOf(m proto.Message) string {
	type named interface{ GetName() string }
	type clustered interface{ GetClusterName() string }
	switch x := m.(type) {
	case named:
		return x.GetName()
	case clustered:
		return x.GetClusterName()
	}
	return hashName(m)
}

// hashName orders messages without a name by their content.
func hashName(m proto.Message) string {
	b, _ := deterministic.Marshal(m)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// fingerprintMain is the -fingerprint mode: prints the fingerprint of name=dir as JSON.
func fingerprintMain(arg string) int {
	name, dir, ok := strings.Cut(arg, "=")
	if !ok {
		name, dir = arg, arg
	}
	fp, err := computeFingerprint(name, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	out, _ := json.Marshal(fp)
	fmt.Println(string(out))
	return 0
}

// runFingerprint runs the -fingerprint mode of this binary in a child process.
func runFingerprint(ctx context.Context, self, name, dir string, timeout time.Duration) (*fingerprint, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, "-fingerprint", name+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("fingerprint of %s: %w", dir, err)
	}
	fp := &fingerprint{}
	if err := json.Unmarshal(out, fp); err != nil {
		return nil, err
	}
	return fp, nil
}
