// Command meshcost measures, with pilot's own code, what a synthesized mesh costs to run:
// the Envoy configuration each proxy receives (the serialized bytes of its complete
// LDS + CDS + RDS + EDS, clusters, listeners) and the time pilot takes to generate it (a
// full push for that proxy), for a sample of sidecars, every gateway and every waypoint;
// and for ambient meshes what istiod hands ztunnel (its workloads, services and
// authorization policies, their serialized bytes, and the time to produce them).
//
// Usage: meshcost [-sample N] <output dir>
// Prints one JSON line.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"syscall"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/xds"
)

// Proxies is the cost of one kind of proxy: medians and maxima over the measured ones.
type Proxies struct {
	Count          int     `json:"count"`
	Measured       int     `json:"measured"`
	MedianBytes    int     `json:"medianBytes"`
	MaxBytes       int     `json:"maxBytes"`
	MedianLDS      int     `json:"medianLds"`
	MedianCDS      int     `json:"medianCds"`
	MedianRDS      int     `json:"medianRds"`
	MedianEDS      int     `json:"medianEds"`
	MedianClusters int     `json:"medianClusters"`
	MaxClusters    int     `json:"maxClusters"`
	MedianListener int     `json:"medianListeners"`
	MedianPushMs   float64 `json:"medianPushMs"`
	MaxPushMs      float64 `json:"maxPushMs"`
	// MedianPushCPUMs is the process CPU time (user + system, every thread, GC included) of a push:
	// on a shared machine it varies far less than the wall time.
	MedianPushCPUMs float64 `json:"medianPushCpuMs"`
	// Scoped counts the measured sidecars whose scope comes from a Sidecar resource.
	Scoped int `json:"scopedBySidecarResource,omitempty"`
}

// Ztunnel is what istiod sends every ztunnel (the full WDS state): addresses and policies.
type Ztunnel struct {
	Workloads    int     `json:"workloads"`
	Services     int     `json:"services"`
	AddressBytes int     `json:"addressBytes"`
	Policies     int     `json:"policies"`
	PolicyBytes  int     `json:"policyBytes"`
	PushMs       float64 `json:"pushMs"`
	PushCPUMs    float64 `json:"pushCpuMs"`
}

type result struct {
	Dir         string   `json:"dir"`
	Services    int      `json:"services"`
	LoadSeconds float64  `json:"loadSeconds"`
	Sidecars    Proxies  `json:"sidecars"`
	Gateways    Proxies  `json:"gateways"`
	Waypoints   Proxies  `json:"waypoints"`
	Ztunnel     *Ztunnel `json:"ztunnel,omitempty"`
}

// cpuMs is the CPU time the process has used so far (user + system, every thread), in ms.
func cpuMs() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

func median(xs []int) int {
	if len(xs) == 0 {
		return 0
	}
	s := append([]int(nil), xs...)
	sort.Ints(s)
	return s[len(s)/2]
}

func medianF(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// sample picks n evenly spaced workloads (all if n <= 0).
func sample(ws []*xds.Workload, n int) []*xds.Workload {
	if n <= 0 || len(ws) <= n {
		return ws
	}
	out := make([]*xds.Workload, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, ws[i*len(ws)/n])
	}
	return out
}

// measure generates the full xDS of each workload's proxy, validates it and records its cost.
func measure(env *xds.Env, all []*xds.Workload, n int) Proxies {
	picked := sample(all, n)
	res := Proxies{Count: len(all), Measured: len(picked)}
	var total, lds, cds, rds, eds, clusters, listeners []int
	var push, pushCPU []float64
	for _, w := range picked {
		p := env.ProxyFor(w)
		t0, c0 := time.Now(), cpuMs()
		c := env.Generate(p)
		push = append(push, float64(time.Since(t0).Microseconds())/1000)
		pushCPU = append(pushCPU, cpuMs()-c0)
		if errs := c.Validate(); len(errs) > 0 {
			fmt.Fprintf(os.Stderr, "%s: %d resources fail proto validation, first: %v\n", p.Name, len(errs), errs[0])
			os.Exit(1)
		}
		l, cl, r, e := c.Bytes()
		total = append(total, l+cl+r+e)
		lds, cds, rds, eds = append(lds, l), append(cds, cl), append(rds, r), append(eds, e)
		clusters = append(clusters, len(c.Clusters))
		listeners = append(listeners, len(c.Listeners))
		if p.Model.SidecarScope != nil && p.Model.SidecarScope.Sidecar != nil {
			res.Scoped++
		}
	}
	res.MedianBytes, res.MedianLDS, res.MedianCDS, res.MedianRDS, res.MedianEDS = median(total), median(lds), median(cds), median(rds), median(eds)
	res.MedianClusters, res.MedianListener = median(clusters), median(listeners)
	for i := range total {
		res.MaxBytes = max(res.MaxBytes, total[i])
		res.MaxClusters = max(res.MaxClusters, clusters[i])
		res.MaxPushMs = max(res.MaxPushMs, push[i])
	}
	res.MedianPushMs, res.MedianPushCPUMs = medianF(push), medianF(pushCPU)
	return res
}

// ztunnel is what a ztunnel subscribing to everything receives: every address (workloads
// and services) and every authorization policy, as the ambient index produces them.
func ztunnel(env *xds.Env) *Ztunnel {
	idx := env.Server.Env().AmbientIndexes
	z := &Ztunnel{}
	t0, c0 := time.Now(), cpuMs()
	addrs, _ := idx.AddressInformation(nil)
	policies := idx.Policies(nil)
	for _, a := range addrs {
		if a.GetWorkload() != nil {
			z.Workloads++
		} else if a.GetService() != nil {
			z.Services++
		}
		b, err := proto.Marshal(a.Address)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		z.AddressBytes += len(b)
	}
	for _, p := range policies {
		if p.Authorization == nil {
			continue
		}
		b, err := proto.Marshal(p.Authorization)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		z.Policies++
		z.PolicyBytes += len(b)
	}
	z.PushMs = float64(time.Since(t0).Microseconds()) / 1000
	z.PushCPUMs = cpuMs() - c0
	return z
}

func main() {
	n := flag.Int("sample", 20, "sidecars to measure (evenly spaced); 0 = all")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: meshcost [-sample N] <output dir>")
		os.Exit(2)
	}
	dir := flag.Arg(0)
	t0 := time.Now()
	env, err := xds.LoadDir("meshcost", dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer env.Close()
	res := result{Dir: dir, Services: len(env.Services), LoadSeconds: time.Since(t0).Seconds()}

	var sidecars, gateways, waypoints []*xds.Workload
	ambient := false
	for _, w := range env.Workloads {
		ambient = ambient || w.Ambient
		switch {
		case len(w.Pods) == 0 || w.Probe:
		case w.Waypoint:
			waypoints = append(waypoints, w)
		case w.Gateway:
			gateways = append(gateways, w)
		case w.Injected:
			sidecars = append(sidecars, w)
		}
	}
	for _, ws := range [][]*xds.Workload{sidecars, gateways, waypoints} {
		sort.Slice(ws, func(i, j int) bool { return ws[i].ID() < ws[j].ID() })
	}
	res.Sidecars = measure(env, sidecars, *n)
	res.Gateways = measure(env, gateways, 0)
	res.Waypoints = measure(env, waypoints, *n)
	if ambient {
		res.Ztunnel = ztunnel(env)
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}
