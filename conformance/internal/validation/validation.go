// Package validation runs every Istio object of an example through Istio's own config
// validation: the code path of istiod's validating admission webhook
// (pkg/webhooks/validation/server): decode to crd.IstioKind, crd.ConvertObject with the
// collection schema, schema.ValidateConfig, top-level field check. The spec is also decoded
// strictly into its proto (config.ApplyJSONStrict, as `istioctl validate` does), so an
// unknown or misspelt field is an error rather than silently dropped.
package validation

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	multierror "github.com/hashicorp/go-multierror"

	"istio.io/istio/pilot/pkg/config/kube/crd"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/schema/collections"
	"istio.io/istio/pkg/config/schema/resource"
	istiovalidation "istio.io/istio/pkg/config/validation"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/manifest"
	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/report"
)

// Stage is the name printed in the report.
const Stage = "validation"

// DomainSuffix is the cluster domain istiod is run with (the library's default trust domain
// and cluster domain).
const DomainSuffix = "cluster.local"

// IstioGroups are the API groups whose objects istiod's validating webhook admits.
var IstioGroups = map[string]bool{
	"networking.istio.io": true,
	"security.istio.io":   true,
	"telemetry.istio.io":  true,
	"extensions.istio.io": true,
}

// the top-level fields the webhook accepts (pkg/webhooks/validation/server: validFields)
var validFields = map[string]bool{"apiVersion": true, "kind": true, "metadata": true, "spec": true, "status": true}

// AcceptedWarning is a validation warning accepted with a reason: the object's ID and a
// substring of the warning.
type AcceptedWarning struct {
	Subject, Contains, Reason string
}

// Accepted lists validation warnings that are not defects. Empty: every warning fails.
var Accepted []AcceptedWarning

// Run validates every Istio object of ex.
func Run(ex *manifest.Example, r *report.Report) error {
	n := 0
	for _, o := range ex.Objects {
		if o.Group() == GatewayAPIGroup {
			n++
			if err := ValidateGatewayAPI(o); err != nil {
				r.Fail(ex.Name, Stage, o.ID(), err.Error())
			} else {
				r.Pass(ex.Name, Stage, o.ID(), "decodes strictly into Gateway API v1.5.1's Go types")
			}
			continue
		}
		if !IstioGroups[o.Group()] {
			continue
		}
		n++
		warn, err := Validate(o)
		subject := o.ID()
		if err != nil {
			r.Fail(ex.Name, Stage, subject, err.Error())
			continue
		}
		if warn != nil {
			for _, w := range warnings(warn) {
				if reason, ok := accepted(subject, w); ok {
					r.List(ex.Name, Stage, subject, "warning: "+w, reason)
				} else {
					r.Fail(ex.Name, Stage, subject, "warning: "+w)
				}
			}
			continue
		}
		r.Pass(ex.Name, Stage, subject, "accepted by Istio's validating webhook code")
	}
	r.Count(ex.Name, Stage, "objects", n)
	return nil
}

// Validate runs one object through Istio's validation; a warning is returned separately.
func Validate(o manifest.Object) (istiovalidation.Warning, error) {
	js, err := json.Marshal(o.Object)
	if err != nil {
		return nil, err
	}
	var obj crd.IstioKind
	if err := json.Unmarshal(js, &obj); err != nil {
		return nil, fmt.Errorf("cannot decode configuration: %v", err)
	}
	gvk := obj.GroupVersionKind()
	s, ok := collections.Pilot.FindByGroupKind(resource.FromKubernetesGVK(&gvk))
	if !ok {
		return nil, fmt.Errorf("unrecognized type %v (istiod's webhook rejects it)", gvk)
	}
	if !versionServed(s, gvk.Version) {
		return nil, fmt.Errorf("%s: version %q is not served by Istio's schema (serves %s)", gvk.Kind, gvk.Version, strings.Join(versions(s), ", "))
	}
	if obj.Namespace == "" && !s.IsClusterScoped() {
		return nil, fmt.Errorf("namespaced kind %s has no metadata.namespace (validity depends on it, e.g. exportTo)", gvk.Kind)
	}
	for key := range o.Object {
		if !validFields[key] {
			return nil, fmt.Errorf("unknown top-level field %q", key)
		}
	}
	// strict decode of the spec into its proto: unknown fields are errors
	spec, err := json.Marshal(o.Object["spec"])
	if err != nil {
		return nil, err
	}
	strict, err := s.NewInstance()
	if err != nil {
		return nil, err
	}
	if err := config.ApplyJSONStrict(strict, string(spec)); err != nil {
		return nil, fmt.Errorf("spec does not decode strictly into %s: %v", s.Kind(), err)
	}
	cfg, err := crd.ConvertObject(s, &obj, DomainSuffix)
	if err != nil {
		return nil, fmt.Errorf("error decoding configuration: %v", err)
	}
	warn, err := s.ValidateConfig(*cfg)
	if err != nil {
		return warn, fmt.Errorf("configuration is invalid: %v", err)
	}
	return warn, nil
}

func versions(s resource.Schema) []string {
	seen := map[string]bool{}
	for _, g := range s.GroupVersionAliasKinds() {
		seen[g.Version] = true
	}
	seen[s.Version()] = true
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func versionServed(s resource.Schema, v string) bool {
	for _, x := range versions(s) {
		if x == v {
			return true
		}
	}
	return false
}

func warnings(w istiovalidation.Warning) []string {
	if me, ok := w.(*multierror.Error); ok {
		out := make([]string, 0, len(me.Errors))
		for _, e := range me.Errors {
			out = append(out, e.Error())
		}
		return out
	}
	return []string{w.Error()}
}

func accepted(subject, w string) (string, bool) {
	for _, a := range Accepted {
		if a.Subject == subject && strings.Contains(w, a.Contains) {
			return a.Reason, true
		}
	}
	return "", false
}
