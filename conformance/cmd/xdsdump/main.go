// Command xdsdump prints the xDS pilot generates for each proxy of an output folder,
// as JSON (for reading what the xds stage asserts on).
package main

import (
	"fmt"
	"os"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/xds"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: xdsdump <output dir> <out dir> [proxy name substring]")
		os.Exit(2)
	}
	env, err := xds.LoadDir("dump", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer env.Close()
	_ = os.MkdirAll(os.Args[2], 0o755)
	for _, p := range env.Proxies() {
		if len(os.Args) > 3 && !strings.Contains(p.Name, os.Args[3]) {
			continue
		}
		c := env.Generate(p)
		var b strings.Builder
		m := protojson.MarshalOptions{Multiline: true, Indent: " "}
		put := func(kind string, x proto.Message) { b.WriteString("### " + kind + "\n" + m.Format(x) + "\n") }
		for _, x := range c.Listeners {
			put("listener", x)
		}
		for _, x := range c.Clusters {
			put("cluster", x)
		}
		for _, x := range c.Routes {
			put("route", x)
		}
		for _, x := range c.Endpoints {
			put("endpoints", x)
		}
		name := strings.NewReplacer(" ", "_", "/", "_").Replace(p.Name)
		_ = os.WriteFile(os.Args[2]+"/"+name+".txt", []byte(b.String()), 0o644)
		fmt.Printf("%s: %d listeners %d clusters %d routes %d cla; validation errors %d\n", p.Name, len(c.Listeners), len(c.Clusters), len(c.Routes), len(c.Endpoints), len(c.Validate()))
		for _, e := range c.Validate() {
			fmt.Println("  ", e)
		}
	}
}
