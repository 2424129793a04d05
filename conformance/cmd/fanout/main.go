// Command fanout measures, with pilot's own xDS generation, the Envoy configuration
// each sidecar of a synthesized mesh receives: the serialized bytes of its complete
// LDS + CDS + RDS + EDS. Large meshes are sampled (evenly spaced sidecars).
//
// Usage: fanout [-sample N] <output dir>
// Prints one JSON line.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/xds"
)

type result struct {
	Dir            string  `json:"dir"`
	Services       int     `json:"services"`
	Sidecars       int     `json:"sidecars"`
	Sampled        int     `json:"sampled"`
	MedianBytes    int     `json:"medianBytes"`
	MaxBytes       int     `json:"maxBytes"`
	MeanBytes      int     `json:"meanBytes"`
	MedianLDS      int     `json:"medianLds"`
	MedianCDS      int     `json:"medianCds"`
	MedianRDS      int     `json:"medianRds"`
	MedianEDS      int     `json:"medianEds"`
	MedianClusters int     `json:"medianClusters"`
	LoadSeconds    float64 `json:"loadSeconds"`
	GenSeconds     float64 `json:"generateSecondsPerSidecar"`
	Scoped         int     `json:"sidecarsWithSidecarResource"`
}

func median(xs []int) int {
	if len(xs) == 0 {
		return 0
	}
	s := append([]int(nil), xs...)
	sort.Ints(s)
	return s[len(s)/2]
}

func main() {
	sample := flag.Int("sample", 20, "sidecars to measure (evenly spaced); 0 = all")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: fanout [-sample N] <output dir>")
		os.Exit(2)
	}
	dir := flag.Arg(0)
	t0 := time.Now()
	env, err := xds.LoadDir("fanout", dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer env.Close()
	load := time.Since(t0)

	var sidecars []*xds.Workload
	for _, w := range env.Workloads {
		if w.Injected && !w.Gateway && !w.Probe && len(w.Pods) > 0 {
			sidecars = append(sidecars, w)
		}
	}
	sort.Slice(sidecars, func(i, j int) bool { return sidecars[i].ID() < sidecars[j].ID() })
	picked := sidecars
	if *sample > 0 && len(sidecars) > *sample {
		picked = nil
		for i := 0; i < *sample; i++ {
			picked = append(picked, sidecars[i*len(sidecars) / *sample])
		}
	}
	res := result{Dir: dir, Services: len(env.Services), Sidecars: len(sidecars), Sampled: len(picked)}
	var total, lds, cds, rds, eds, clusters []int
	t1 := time.Now()
	for _, w := range picked {
		p := env.ProxyFor(w)
		c := env.Generate(p)
		if errs := c.Validate(); len(errs) > 0 {
			fmt.Fprintf(os.Stderr, "%s: %d resources fail proto validation, first: %v\n", p.Name, len(errs), errs[0])
			os.Exit(1)
		}
		l, cl, r, e := c.Bytes()
		total = append(total, l+cl+r+e)
		lds, cds, rds, eds = append(lds, l), append(cds, cl), append(rds, r), append(eds, e)
		clusters = append(clusters, len(c.Clusters))
		if p.Model.SidecarScope != nil && p.Model.SidecarScope.Sidecar != nil {
			res.Scoped++
		}
	}
	gen := time.Since(t1)
	res.MedianBytes, res.MedianLDS, res.MedianCDS, res.MedianRDS, res.MedianEDS = median(total), median(lds), median(cds), median(rds), median(eds)
	res.MedianClusters = median(clusters)
	for _, x := range total {
		res.MeanBytes += x
		if x > res.MaxBytes {
			res.MaxBytes = x
		}
	}
	if len(total) > 0 {
		res.MeanBytes /= len(total)
		res.GenSeconds = gen.Seconds() / float64(len(total))
	}
	res.LoadSeconds = load.Seconds()
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}
