package live

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"
	corev1 "k8s.io/api/core/v1"
)

const (
	typeCluster  = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
	typeListener = "type.googleapis.com/envoy.config.listener.v3.Listener"
	typeRoute    = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
)

// XDSNode is the identity an xDS client presents, as the Istio agent of that pod would.
type XDSNode struct {
	Type           string // sidecar, router, waypoint
	IP             string
	PodName        string
	Namespace      string
	Labels         map[string]string
	ServiceAccount string
	WorkloadName   string
	// Meta is the node metadata the pod's Istio agent sends from its environment (ISTIO_META_*:
	// CLUSTER_ID, NETWORK, MESH_ID, ...); it overrides the defaults above.
	Meta map[string]string
}

// XDSConfig is what istiod sent one client: clusters, listeners and the routes they name.
type XDSConfig struct {
	Clusters  []*cluster.Cluster
	Listeners []*listener.Listener
	Routes    []*route.RouteConfiguration
}

// FetchXDS connects to istiod's plaintext xDS port as the node and reads CDS, LDS and the RDS
// of every route configuration the listeners name (state of the world, ADS, ACKing each).
// The stream stays open (istiod lists the client in /debug/syncz) until close is called.
func FetchXDS(ctx context.Context, addr string, n XDSNode, istioVersion string) (cfg *XDSConfig, closeFn func(), err error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20)))
	if err != nil {
		cancel()
		return nil, nil, err
	}
	closeFn = func() { conn.Close(); cancel() }
	cfg, err = fetch(ctx, conn, n, istioVersion)
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	return cfg, closeFn, nil
}

func fetch(ctx context.Context, conn *grpc.ClientConn, n XDSNode, istioVersion string) (*XDSConfig, error) {
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		return nil, err
	}
	labels := map[string]any{}
	for k, v := range n.Labels {
		labels[k] = v
	}
	fields := map[string]any{
		"NAMESPACE": n.Namespace, "LABELS": labels, "CLUSTER_ID": "Kubernetes", "ISTIO_VERSION": istioVersion,
		"SERVICE_ACCOUNT": n.ServiceAccount, "WORKLOAD_NAME": n.WorkloadName, "INSTANCE_IPS": n.IP,
		"INTERCEPTION_MODE": "REDIRECT", "NAME": n.PodName, "MESH_ID": "cluster.local",
	}
	for k, v := range n.Meta {
		fields[k] = v
	}
	meta, err := structpb.NewStruct(fields)
	if err != nil {
		return nil, err
	}
	node := &core.Node{Id: fmt.Sprintf("%s~%s~%s.%s~%s.svc.cluster.local", n.Type, n.IP, n.PodName, n.Namespace, n.Namespace), Metadata: meta}
	out := &XDSConfig{}
	recv := func(typeURL string, names []string) (*discovery.DiscoveryResponse, error) {
		if err := stream.Send(&discovery.DiscoveryRequest{Node: node, TypeUrl: typeURL, ResourceNames: names}); err != nil {
			return nil, err
		}
		for {
			resp, err := stream.Recv()
			if err != nil {
				return nil, err
			}
			// ACK
			if err := stream.Send(&discovery.DiscoveryRequest{Node: node, TypeUrl: resp.TypeUrl, ResourceNames: names,
				VersionInfo: resp.VersionInfo, ResponseNonce: resp.Nonce}); err != nil {
				return nil, err
			}
			if resp.TypeUrl == typeURL {
				return resp, nil
			}
		}
	}
	cds, err := recv(typeCluster, nil)
	if err != nil {
		return nil, fmt.Errorf("CDS: %w", err)
	}
	for _, r := range cds.Resources {
		c := &cluster.Cluster{}
		if err := r.UnmarshalTo(c); err != nil {
			return nil, err
		}
		out.Clusters = append(out.Clusters, c)
	}
	lds, err := recv(typeListener, nil)
	if err != nil {
		return nil, fmt.Errorf("LDS: %w", err)
	}
	routeNames := map[string]bool{}
	for _, r := range lds.Resources {
		l := &listener.Listener{}
		if err := r.UnmarshalTo(l); err != nil {
			return nil, err
		}
		out.Listeners = append(out.Listeners, l)
		for _, n := range rdsNames(l) {
			routeNames[n] = true
		}
	}
	var names []string
	for n := range routeNames {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > 0 {
		rds, err := recv(typeRoute, names)
		if err != nil {
			return nil, fmt.Errorf("RDS: %w", err)
		}
		for _, r := range rds.Resources {
			rc := &route.RouteConfiguration{}
			if err := r.UnmarshalTo(rc); err != nil {
				return nil, err
			}
			out.Routes = append(out.Routes, rc)
		}
	}
	return out, nil
}

// AgentMetadata is the node metadata the Istio agent of a pod sends, as pilot-agent builds it
// from its environment: every ISTIO_META_<KEY> variable of the istio-proxy container (a
// container or a native-sidecar init container) with a literal value becomes <KEY>.
func AgentMetadata(p *corev1.Pod) map[string]string {
	out := map[string]string{}
	for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
		if c.Name != "istio-proxy" {
			continue
		}
		for _, e := range c.Env {
			if k, ok := strings.CutPrefix(e.Name, "ISTIO_META_"); ok && e.ValueFrom == nil && k != "" {
				out[k] = e.Value
			}
		}
	}
	return out
}

// rdsNames lists the route configurations a listener's HTTP connection managers fetch by RDS.
func rdsNames(l *listener.Listener) []string {
	var out []string
	chains := append([]*listener.FilterChain{}, l.FilterChains...)
	if l.DefaultFilterChain != nil {
		chains = append(chains, l.DefaultFilterChain)
	}
	for _, fc := range chains {
		for _, f := range fc.Filters {
			tc := f.GetTypedConfig()
			if tc == nil || !strings.HasSuffix(tc.TypeUrl, "HttpConnectionManager") {
				continue
			}
			h := &hcm.HttpConnectionManager{}
			if err := tc.UnmarshalTo(h); err != nil {
				continue
			}
			if rds := h.GetRds(); rds != nil {
				out = append(out, rds.RouteConfigName)
			}
		}
	}
	return out
}
