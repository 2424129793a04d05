package xds

import (
	"fmt"
	"sort"
	"strings"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// Config is the complete xDS of one proxy: LDS, CDS, RDS, EDS.
type Config struct {
	Listeners []*listener.Listener
	Clusters  []*cluster.Cluster
	Routes    []*route.RouteConfiguration
	Endpoints []*endpoint.ClusterLoadAssignment
}

// Generate runs pilot's generators for the proxy.
func (e *Env) Generate(p *Proxy) *Config {
	s := e.Server
	c := &Config{}
	c.Listeners = s.Listeners(p.Model)
	c.Clusters = s.Clusters(p.Model)
	c.Routes = s.RoutesFromListeners(p.Model, c.Listeners)
	c.Endpoints = s.Endpoints(p.Model)
	return c
}

// Bytes is the serialized size of every resource (what the proxy receives, without
// the discovery envelope).
func (c *Config) Bytes() (lds, cds, rds, eds int) {
	for _, x := range c.Listeners {
		lds += proto.Size(x)
	}
	for _, x := range c.Clusters {
		cds += proto.Size(x)
	}
	for _, x := range c.Routes {
		rds += proto.Size(x)
	}
	for _, x := range c.Endpoints {
		eds += proto.Size(x)
	}
	return
}

// Cluster returns the named cluster, if generated.
func (c *Config) Cluster(name string) *cluster.Cluster {
	for _, x := range c.Clusters {
		if x.Name == name {
			return x
		}
	}
	return nil
}

// Listener returns the named listener, if generated.
func (c *Config) Listener(name string) *listener.Listener {
	for _, x := range c.Listeners {
		if x.Name == name {
			return x
		}
	}
	return nil
}

// Route returns the named route configuration, if generated.
func (c *Config) Route(name string) *route.RouteConfiguration {
	for _, x := range c.Routes {
		if x.Name == name {
			return x
		}
	}
	return nil
}

// Endpoint returns the load assignment of a cluster, if generated.
func (c *Config) Endpoint(name string) *endpoint.ClusterLoadAssignment {
	for _, x := range c.Endpoints {
		if x.ClusterName == name {
			return x
		}
	}
	return nil
}

// validator is what protoc-gen-validate generates on every Envoy message.
type validator interface{ ValidateAll() error }

// Validate runs each resource's proto validation, and that of every message packed
// in an Any inside it (typed filter configs, transport sockets, per-route configs),
// which ValidateAll does not descend into. It returns one error per failing message.
func (c *Config) Validate() []error {
	var errs []error
	check := func(kind, name string, m proto.Message) {
		for _, err := range validateDeep(m, kind+" "+name) {
			errs = append(errs, err)
		}
	}
	for _, x := range c.Listeners {
		check("listener", x.Name, x)
	}
	for _, x := range c.Clusters {
		check("cluster", x.Name, x)
	}
	for _, x := range c.Routes {
		check("route", x.Name, x)
	}
	for _, x := range c.Endpoints {
		check("endpoints", x.ClusterName, x)
	}
	return errs
}

// Count is the number of resources.
func (c *Config) Count() int {
	return len(c.Listeners) + len(c.Clusters) + len(c.Routes) + len(c.Endpoints)
}

func validateDeep(m proto.Message, where string) []error {
	var errs []error
	if v, ok := m.(validator); ok {
		if err := v.ValidateAll(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", where, m.ProtoReflect().Descriptor().FullName(), err))
		}
	}
	walkAnys(m.ProtoReflect(), func(a *anypb.Any) {
		inner, err := a.UnmarshalNew()
		if err != nil {
			// a type Envoy knows but the Go registry does not is not ours to judge
			return
		}
		errs = append(errs, validateDeep(inner, where+" > "+shortType(a.TypeUrl))...)
	})
	return errs
}

func shortType(url string) string {
	if i := strings.LastIndex(url, "."); i >= 0 {
		return url[i+1:]
	}
	return url
}

// walkAnys calls fn for every google.protobuf.Any directly reachable in m (not inside
// another Any; validateDeep recurses into those).
func walkAnys(m protoreflect.Message, fn func(*anypb.Any)) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		visit := func(x protoreflect.Message) {
			if a, ok := x.Interface().(*anypb.Any); ok {
				fn(a)
				return
			}
			walkAnys(x, fn)
		}
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				visit(l.Get(i).Message())
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				visit(mv.Message())
				return true
			})
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			visit(v.Message())
		}
		return true
	})
}

// clusterNames lists the outbound cluster names of a config, sorted.
func (c *Config) clusterNames() []string {
	var out []string
	for _, x := range c.Clusters {
		out = append(out, x.Name)
	}
	sort.Strings(out)
	return out
}
