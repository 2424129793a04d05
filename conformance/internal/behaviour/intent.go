package behaviour

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// The mesh intent MeshApp writes beside the manifests (mesh-intent.jsonc, kind MeshIntent,
// version 1): what the program declared, read from cdk8s-mesh's model. The behaviour stage
// derives every request and its expected outcome from it, never from the manifests.

// IntentFile is the file name MeshApp writes by default.
const IntentFile = "mesh-intent.jsonc"

// IntentVersion is the document version this stage reads.
const IntentVersion = 1

type Intent struct {
	Kind                  string              `json:"kind"`
	Version               int                 `json:"version"`
	Mesh                  MeshIntent          `json:"mesh"`
	Namespaces            []NamespaceIntent   `json:"namespaces"`
	Services              []*ServiceIntent    `json:"services"`
	Identities            []IdentityIntent    `json:"identities"`
	PeerAuthentications   []PeerAuthIntent    `json:"peerAuthentications"`
	AuthorizationPolicies []AuthzPolicyIntent `json:"authorizationPolicies"`
	JwtProviders          []JwtProviderIntent `json:"jwtProviders"`
	JwtRequirements       []struct {
		Path         string `json:"path"`
		ProviderPath string `json:"providerPath"`
		ServiceHost  string `json:"serviceHost"`
	} `json:"jwtRequirements"`
	Gateways         []*GatewayIntent  `json:"gateways"`
	ExternalServices []*ExternalIntent `json:"externalServices"`
	Prometheus       []struct {
		Path string `json:"path"`
		URL  string `json:"url"`
	} `json:"prometheus"`
}

type MeshIntent struct {
	TrustDomain           string `json:"trustDomain"`
	ClusterDomain         string `json:"clusterDomain"`
	RootNamespace         string `json:"rootNamespace"`
	ControlPlaneNamespace string `json:"controlPlaneNamespace"`
	OutboundTrafficPolicy string `json:"outboundTrafficPolicy"`
	Ambient               bool   `json:"ambient"`
}

type NamespaceIntent struct {
	Name      string `json:"name"`
	Declared  bool   `json:"declared"`
	DataPlane string `json:"dataPlane"`
	Waypoints *bool  `json:"waypoints"`
}

type PortIntent struct {
	Name       string `json:"name"`
	Port       int    `json:"port"`
	TargetPort int    `json:"targetPort"`
	Protocol   string `json:"protocol"`
}

// HTTP is whether the port carries HTTP (http, http2, grpc).
func (p PortIntent) HTTP() bool { return p.Protocol != "tcp" }

type VersionIntent struct {
	Name      string            `json:"name"`
	Replicas  int               `json:"replicas"`
	PodLabels map[string]string `json:"podLabels"`
}

type ServiceIntent struct {
	Path           string            `json:"path"`
	Name           string            `json:"name"`
	Namespace      string            `json:"namespace"`
	Host           string            `json:"host"`
	ServiceAccount string            `json:"serviceAccount"`
	Selector       map[string]string `json:"selector"`
	Ports          []PortIntent      `json:"ports"`
	Versions       []VersionIntent   `json:"versions"`
	StableVersion  string            `json:"stableVersion"`
	EgressScoped   bool              `json:"egressScoped"`
	Metrics        *struct {
		Port int    `json:"port"`
		Path string `json:"path"`
	} `json:"metrics"`
	DataPlane       string `json:"dataPlane"`
	RoutingAPI      string `json:"routingApi"`
	VersionServices []struct {
		Version string `json:"version"`
		Name    string `json:"name"`
	} `json:"versionServices"`
	Waypoint         string   `json:"waypoint"`
	WaypointServices []string `json:"waypointServices"`
	WaypointOnly     bool     `json:"waypointOnly"`
	Calls            []struct {
		Host   string `json:"host"`
		Reason string `json:"reason"`
	} `json:"calls"`
	ExternalHosts   []string                       `json:"externalHosts"`
	ClientTLS       string                         `json:"clientTls"`
	Routes          []RouteIntent                  `json:"routes"`
	Releases        []ReleaseIntent                `json:"releases"`
	TrafficPolicy   *TrafficPolicyIntent           `json:"trafficPolicy"`
	VersionPolicies map[string]TrafficPolicyIntent `json:"versionPolicies"`

	// parent: for a per-version Service (Gateway API), the service it belongs to.
	parent *ServiceIntent
}

// declaredHost is the host a caller declares a call to: the service's own, or its parent's.
func (s *ServiceIntent) declaredHost() string {
	if s.parent != nil {
		return s.parent.Host
	}
	return s.Host
}

// Ambient reports whether the service runs on the ambient data plane.
func (s *ServiceIntent) Ambient() bool { return s.DataPlane == "ambient" }

// Version returns the named version.
func (s *ServiceIntent) Version(name string) *VersionIntent {
	for i := range s.Versions {
		if s.Versions[i].Name == name {
			return &s.Versions[i]
		}
	}
	return nil
}

// Port returns the service port with the given number.
func (s *ServiceIntent) Port(n int) *PortIntent {
	for i := range s.Ports {
		if s.Ports[i].Port == n {
			return &s.Ports[i]
		}
	}
	return nil
}

type StringMatchIntent struct {
	Kind  string `json:"kind"` // exact, prefix, regex
	Value string `json:"value"`
}

type NamedMatchIntent struct {
	Name  string             `json:"name"`
	Match *StringMatchIntent `json:"match"`
}

type MatchIntent struct {
	Path          *StringMatchIntent `json:"path"`
	Headers       []NamedMatchIntent `json:"headers"`
	QueryParams   []NamedMatchIntent `json:"queryParams"`
	Method        string             `json:"method"`
	IgnoreURICase bool               `json:"ignoreUriCase"`
}

type DestinationIntent struct {
	Version string   `json:"version"`
	Weight  *float64 `json:"weight"`
}

type RouteIntent struct {
	Path         string              `json:"path"`
	Name         string              `json:"name"`
	Matches      []MatchIntent       `json:"matches"`
	Destinations []DestinationIntent `json:"destinations"`
	TimeoutMs    *int                `json:"timeoutMs"`
	Retries      *struct {
		Attempts        int      `json:"attempts"`
		PerTryTimeoutMs *int     `json:"perTryTimeoutMs"`
		RetryOn         []string `json:"retryOn"`
	} `json:"retries"`
	Fault *struct {
		Delay *struct {
			FixedDelayMs int     `json:"fixedDelayMs"`
			Percentage   float64 `json:"percentage"`
		} `json:"delay"`
		Abort *struct {
			HTTPStatus int     `json:"httpStatus"`
			Percentage float64 `json:"percentage"`
		} `json:"abort"`
	} `json:"fault"`
	Mirror *struct {
		Version    string  `json:"version"`
		Percentage float64 `json:"percentage"`
	} `json:"mirror"`
	RequestHeaders *struct {
		Set    map[string]string `json:"set"`
		Add    map[string]string `json:"add"`
		Remove []string          `json:"remove"`
	} `json:"requestHeaders"`
	Rewrite *struct {
		URI       *string `json:"uri"`
		Authority *string `json:"authority"`
		URIRegex  *struct {
			Match   string `json:"match"`
			Rewrite string `json:"rewrite"`
		} `json:"uriRegex"`
	} `json:"rewrite"`
	Redirect *struct {
		URI          *string `json:"uri"`
		Authority    *string `json:"authority"`
		Port         *int    `json:"port"`
		Scheme       *string `json:"scheme"`
		RedirectCode *int    `json:"redirectCode"`
	} `json:"redirect"`
}

type ReleaseIntent struct {
	Path             string        `json:"path"`
	Kind             string        `json:"kind"` // canary, blue-green
	Stable           string        `json:"stable"`
	Canary           string        `json:"canary"`
	CanaryWeight     float64       `json:"canaryWeight"`
	Pinned           []MatchIntent `json:"pinned"`
	MirrorPercentage *float64      `json:"mirrorPercentage"`
	ManagedSubsets   *struct {
		Stable string `json:"stable"`
		Canary string `json:"canary"`
	} `json:"managedSubsets"`
}

type TrafficPolicyIntent struct {
	LoadBalancer *struct {
		Simple     string `json:"simple"`
		HashHeader string `json:"hashHeader"`
		HashCookie *struct {
			Name string `json:"name"`
		} `json:"hashCookie"`
		HashSourceIP   bool   `json:"hashSourceIp"`
		HashQueryParam string `json:"hashQueryParam"`
	} `json:"loadBalancer"`
	ConnectionPool *struct {
		MaxConnections           *int `json:"maxConnections"`
		ConnectTimeoutMs         *int `json:"connectTimeoutMs"`
		HTTP1MaxPendingRequests  *int `json:"http1MaxPendingRequests"`
		HTTP2MaxRequests         *int `json:"http2MaxRequests"`
		MaxRequestsPerConnection *int `json:"maxRequestsPerConnection"`
		MaxRetries               *int `json:"maxRetries"`
	} `json:"connectionPool"`
	OutlierDetection *struct {
		Consecutive5xxErrors *int `json:"consecutive5xxErrors"`
		IntervalMs           *int `json:"intervalMs"`
		BaseEjectionTimeMs   *int `json:"baseEjectionTimeMs"`
		MaxEjectionPercent   *int `json:"maxEjectionPercent"`
	} `json:"outlierDetection"`
}

type IdentityIntent struct {
	Path           string `json:"path"`
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
}

type PeerAuthIntent struct {
	Path      string            `json:"path"`
	Scope     string            `json:"scope"` // mesh, namespace, workload
	Namespace string            `json:"namespace"`
	Selector  map[string]string `json:"selector"`
	Mode      string            `json:"mode"`
	PortLevel []struct {
		Port int    `json:"port"`
		Mode string `json:"mode"`
	} `json:"portLevel"`
}

type AuthzSourceIntent struct {
	Identities []struct {
		Namespace      string `json:"namespace"`
		ServiceAccount string `json:"serviceAccount"`
	} `json:"identities"`
	Principals           []string `json:"principals"`
	Namespaces           []string `json:"namespaces"`
	NotRequestPrincipals []string `json:"notRequestPrincipals"`
}

type AuthzRuleIntent struct {
	From      []AuthzSourceIntent `json:"from"`
	Operation *struct {
		Methods []string `json:"methods"`
		Paths   []string `json:"paths"`
		Ports   []string `json:"ports"`
	} `json:"operation"`
	When []struct {
		Key       string   `json:"key"`
		Values    []string `json:"values"`
		NotValues []string `json:"notValues"`
	} `json:"when"`
}

type AuthzPolicyIntent struct {
	Path      string            `json:"path"`
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	Selector  map[string]string `json:"selector"`
	Action    string            `json:"action"`
	Provider  string            `json:"provider"`
	Rules     []AuthzRuleIntent `json:"rules"`
}

type JwtProviderIntent struct {
	Path        string            `json:"path"`
	Issuer      string            `json:"issuer"`
	Scope       string            `json:"scope"`
	Namespace   string            `json:"namespace"`
	Selector    map[string]string `json:"selector"`
	Audiences   []string          `json:"audiences"`
	JwksURI     string            `json:"jwksUri"` // where the issuer publishes its signing keys ("" for an inline key set)
	FromHeaders []struct {
		Name   string `json:"name"`
		Prefix string `json:"prefix"`
	} `json:"fromHeaders"`
	FromParams []string `json:"fromParams"`
}

type GatewayServerIntent struct {
	Port          int      `json:"port"`
	Protocol      string   `json:"protocol"`
	Hosts         []string `json:"hosts"`
	TLSMode       string   `json:"tlsMode"`
	HTTPSRedirect bool     `json:"httpsRedirect"`
	Path          string   `json:"path"`
}

type GatewayRouteIntent struct {
	Index         int           `json:"index"`
	Host          string        `json:"host"`
	ServiceHost   string        `json:"serviceHost"`
	CatchAll      bool          `json:"catchAll"`
	Matches       []MatchIntent `json:"matches"`
	Port          *int          `json:"port"`
	RewritePrefix *string       `json:"rewritePrefix"`
	TimeoutMs     *int          `json:"timeoutMs"`
}

type GatewayIntent struct {
	Path        string                `json:"path"`
	Direction   string                `json:"direction"`
	Name        string                `json:"name"`
	Namespace   string                `json:"namespace"`
	Selector    map[string]string     `json:"selector"`
	ServiceHost string                `json:"serviceHost"`
	Servers     []GatewayServerIntent `json:"servers"`
	Routes      []GatewayRouteIntent  `json:"routes"`
	Attached    bool                  `json:"attached"`
	EgressLegs  []struct {
		Path   string `json:"path"`
		Subset string `json:"subset"`
		Host   string `json:"host"`
		Kind   string `json:"kind"`
	} `json:"egressLegs"`
}

type ExternalIntent struct {
	Path      string   `json:"path"`
	Name      string   `json:"name"`
	Namespace string   `json:"namespace"`
	Hosts     []string `json:"hosts"`
	Ports     []struct {
		Name     string `json:"name"`
		Number   int    `json:"number"`
		Protocol string `json:"protocol"`
	} `json:"ports"`
	EgressGatewayPath string `json:"egressGatewayPath"`
	OriginatesTLS     bool   `json:"originatesTls"`
	TLSOrigination    *struct {
		Port       int    `json:"port"`
		TargetPort int    `json:"targetPort"`
		SNI        string `json:"sni"`
	} `json:"tlsOrigination"`
}

// LoadIntent reads dir/mesh-intent.jsonc.
func LoadIntent(dir string) (*Intent, error) {
	file := filepath.Join(dir, IntentFile)
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("no mesh intent beside the manifests (%s): the behaviour stage judges an output against what its program declared, which MeshApp writes there: %w", IntentFile, err)
	}
	return ParseIntent(data)
}

// ParseIntent decodes an intent document and checks its kind and version.
func ParseIntent(data []byte) (*Intent, error) {
	in := &Intent{}
	if err := json.Unmarshal(data, in); err != nil {
		return nil, fmt.Errorf("%s: %w", IntentFile, err)
	}
	if in.Kind != "MeshIntent" || in.Version != IntentVersion {
		return nil, fmt.Errorf("%s: kind %q version %d, this stage reads MeshIntent version %d", IntentFile, in.Kind, in.Version, IntentVersion)
	}
	return in, nil
}

// Service returns the service of a host, if declared.
func (in *Intent) Service(host string) *ServiceIntent {
	for _, s := range in.Services {
		if s.Host == host {
			return s
		}
	}
	return nil
}

// Gateway returns the gateway declared at a construct path.
func (in *Intent) Gateway(path string) *GatewayIntent {
	for _, g := range in.Gateways {
		if g.Path == path {
			return g
		}
	}
	return nil
}

// Identity returns the service account of a gateway (by construct path).
func (in *Intent) Identity(path string) *IdentityIntent {
	for i := range in.Identities {
		if in.Identities[i].Path == path {
			return &in.Identities[i]
		}
	}
	return nil
}
