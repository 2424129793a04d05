package xds

import (
	"fmt"
	"strings"

	filev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	celv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/filters/cel/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	meshconfig "istio.io/api/mesh/v1alpha1"
	telemetry "istio.io/api/telemetry/v1alpha1"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/schema/gvk"
)

// telemetryFor returns the most specific Telemetry (workload selector in the
// workload's namespace, else the namespace's, else the root namespace's) for which
// has(spec) holds.
func (c *checker) telemetryFor(w *Workload, has func(*telemetry.Telemetry) bool) *config.Config {
	var ns, root *config.Config
	for _, tc := range c.env.configs(gvk.Telemetry) {
		tc := tc
		t := tc.Spec.(*telemetry.Telemetry)
		if !has(t) || len(t.TargetRefs) > 0 || t.TargetRef != nil {
			continue
		}
		sel := t.GetSelector().GetMatchLabels()
		switch {
		case tc.Namespace == w.Namespace && len(sel) > 0 && subset(sel, w.Labels):
			return &tc
		case tc.Namespace == w.Namespace && len(sel) == 0 && ns == nil:
			ns = &tc
		case tc.Namespace == c.env.rootNamespace() && len(sel) == 0 && root == nil:
			root = &tc
		}
	}
	if ns != nil {
		return ns
	}
	return root
}

func (c *checker) provider(name string) *meshconfig.MeshConfig_ExtensionProvider {
	for _, p := range c.env.Mesh.GetExtensionProviders() {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// hcms returns the HTTP connection managers of every listener of a proxy.
func hcms(cfg *Config) []*hcm.HttpConnectionManager {
	var out []*hcm.HttpConnectionManager
	for _, l := range cfg.Listeners {
		for _, fc := range l.FilterChains {
			if h := httpChain(fc); h != nil {
				out = append(out, h)
			}
		}
	}
	return out
}

type fileLog struct {
	path, format, filter string
}

func fileLogs(h *hcm.HttpConnectionManager) []fileLog {
	var out []fileLog
	for _, al := range h.AccessLog {
		if al.Name != "envoy.access_loggers.file" {
			continue
		}
		f := &filev3.FileAccessLog{}
		if al.GetTypedConfig().UnmarshalTo(f) != nil {
			continue
		}
		fl := fileLog{path: f.Path, format: "TEXT"}
		if f.GetLogFormat().GetJsonFormat() != nil {
			fl.format = "JSON"
		}
		if ef := al.GetFilter().GetExtensionFilter(); ef != nil {
			cel := &celv3.ExpressionFilter{}
			if ef.GetTypedConfig().UnmarshalTo(cel) == nil {
				fl.filter = cel.Expression
			}
		}
		out = append(out, fl)
	}
	return out
}

// telemetryChecks: the declared access logging (Telemetry providers, or the mesh
// config's accessLogFile/accessLogEncoding) and tracing reach every HTTP connection
// manager of the proxy.
func (c *checker) telemetryChecks(p *Proxy, cfg *Config) {
	managers := hcms(cfg)
	if len(managers) == 0 {
		return
	}
	m := c.env.Mesh
	meshPath := m.GetAccessLogFile()
	meshFormat := "TEXT"
	if m.GetAccessLogEncoding() == meshconfig.MeshConfig_JSON {
		meshFormat = "JSON"
	}
	// access logging
	var want []fileLog
	source := ""
	if tc := c.telemetryFor(p.Workload, func(t *telemetry.Telemetry) bool { return len(t.AccessLogging) > 0 }); tc != nil {
		source = fmt.Sprintf("Telemetry %s/%s accessLogging", tc.Namespace, tc.Name)
		for _, al := range tc.Spec.(*telemetry.Telemetry).AccessLogging {
			if al.GetDisabled().GetValue() || al.Match != nil {
				continue
			}
			names := []string{}
			for _, pr := range al.Providers {
				names = append(names, pr.Name)
			}
			if len(names) == 0 {
				names = m.GetDefaultProviders().GetAccessLogging()
			}
			for _, n := range names {
				fl := fileLog{filter: al.GetFilter().GetExpression()}
				if ep := c.provider(n); ep != nil {
					f := ep.GetEnvoyFileAccessLog()
					if f == nil {
						continue // not a file logger; not asserted here
					}
					// no log format: the mesh config's accessLogEncoding applies
					if meshPath != "" && meshPath != f.Path {
						c.fail(fmt.Sprintf("%s Telemetry %s/%s accessLogging", p.Name, tc.Namespace, tc.Name),
							fmt.Sprintf("mesh config accessLogFile %q has no effect: provider %q writes to %q", meshPath, n, f.Path))
					}
					fl.path, fl.format = f.Path, meshFormat
					switch {
					case f.GetLogFormat().GetLabels() != nil:
						fl.format = "JSON"
					case f.GetLogFormat() != nil:
						fl.format = "TEXT"
					}
				} else if n == "envoy" {
					// the built-in provider: the mesh config's file and encoding
					fl.path, fl.format = firstNonEmpty(meshPath, "/dev/stdout"), meshFormat
				} else {
					continue
				}
				want = append(want, fl)
			}
		}
	} else if meshPath != "" {
		source = "mesh config accessLogFile"
		want = append(want, fileLog{path: meshPath, format: meshFormat})
	}
	if len(want) > 0 {
		var problems []string
		for _, h := range managers {
			got := fileLogs(h)
			for _, wl := range want {
				found := false
				for _, g := range got {
					found = found || g == wl
				}
				if !found {
					problems = append(problems, fmt.Sprintf("%s: no file access log %+v (Envoy has %+v)", h.StatPrefix, wl, got))
				}
			}
		}
		subject := fmt.Sprintf("%s %s", p.Name, source)
		if len(problems) == 0 {
			c.pass(subject, fmt.Sprintf("access log %+v on all %d HTTP connection managers", want, len(managers)))
		} else {
			c.fail(subject, fmt.Sprintf("%d of %d HTTP connection managers lack the declared access log; first: %s", len(problems), len(managers), problems[0]))
		}
	}
	// tracing
	if tc := c.telemetryFor(p.Workload, func(t *telemetry.Telemetry) bool { return len(t.Tracing) > 0 }); tc != nil {
		tr := tc.Spec.(*telemetry.Telemetry).Tracing[0]
		if tr.Match != nil || len(tr.Providers) == 0 {
			return
		}
		ep := c.provider(tr.Providers[0].Name)
		tracer := ""
		switch {
		case ep.GetOpentelemetry() != nil:
			tracer = "envoy.tracers.opentelemetry"
		case ep.GetZipkin() != nil:
			tracer = "envoy.tracers.zipkin"
		case ep.GetDatadog() != nil:
			tracer = "envoy.tracers.datadog"
		case ep.GetSkywalking() != nil:
			tracer = "envoy.tracers.skywalking"
		default:
			return
		}
		subject := fmt.Sprintf("%s Telemetry %s/%s tracing", p.Name, tc.Namespace, tc.Name)
		var problems []string
		for _, h := range managers {
			t := h.GetTracing()
			if t.GetProvider().GetName() != tracer {
				problems = append(problems, fmt.Sprintf("%s: tracer %q, declared %q (%s)", h.StatPrefix, t.GetProvider().GetName(), tracer, tr.Providers[0].Name))
				continue
			}
			if pct := tr.GetRandomSamplingPercentage(); pct != nil && t.GetRandomSampling().GetValue() != pct.Value {
				problems = append(problems, fmt.Sprintf("%s: sampling %v%%, declared %v%%", h.StatPrefix, t.GetRandomSampling().GetValue(), pct.Value))
			}
		}
		if len(problems) == 0 {
			c.pass(subject, fmt.Sprintf("%s tracer with the declared sampling on all %d HTTP connection managers", tracer, len(managers)))
		} else {
			c.fail(subject, fmt.Sprintf("%d of %d HTTP connection managers: %s", len(problems), len(managers), strings.Join(problems[:1], "")))
		}
	}
}
