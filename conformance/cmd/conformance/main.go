// Command conformance runs Istio's own code on what cdk8s-mesh synthesized.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/report"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/xds"
)

func main() {
	verbose := flag.Bool("v", false, "print every assertion")
	flag.Parse()
	r := report.New()
	for _, arg := range flag.Args() { // name=dir
		name, dir := arg, arg
		for i := range arg {
			if arg[i] == '=' {
				name, dir = arg[:i], arg[i+1:]
				break
			}
		}
		ex, err := manifest.Load(name, dir)
		if err != nil {
			r.Fail(name, "load", dir, err.Error())
			continue
		}
		r.Count(name, "load", "objects", len(ex.Objects))
		_ = xds.Run(ex, r)
	}
	r.Print(os.Stdout, *verbose)
	if _, f := r.Totals(); f > 0 {
		os.Exit(1)
	}
	fmt.Fprint(os.Stderr, "")
}
