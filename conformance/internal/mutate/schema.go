package mutate

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	celconfig "k8s.io/apiserver/pkg/apis/cel"

	"github.com/cdk8s-mesh/cdk8s-mesh/conformance/internal/shared"
)

// Pinned releases whose CRDs the schema check reads from the shared folder.
const (
	IstioRelease      = "1.30.3"
	GatewayAPIRelease = "v1.5.1"
)

// SchemaChecker validates Istio and Gateway API objects as the API server does on create:
// the CRD's openAPIV3Schema (types, enums, patterns, bounds) and its CEL rules
// (x-kubernetes-validations).
type SchemaChecker struct {
	versions map[string]*crdVersion // group/version/Kind
}

type crdVersion struct {
	props  *apiextensionsv1.JSONSchemaProps
	schema validation.SchemaValidator
	cel    *cel.Validator
	st     *structuralschema.Structural
}

// NewSchemaChecker loads the pinned Istio CRDs and the Gateway API standard-channel CRDs.
func NewSchemaChecker() (*SchemaChecker, error) {
	dir, err := shared.Dir()
	if err != nil {
		return nil, err
	}
	files := []string{filepath.Join(dir, "istio", IstioRelease, "crd-all.gen.yaml")}
	gw, err := filepath.Glob(filepath.Join(dir, "gateway-api", GatewayAPIRelease, "standard", "gateway.networking.k8s.io_*.yaml"))
	if err != nil {
		return nil, err
	}
	files = append(files, gw...)
	c := &SchemaChecker{versions: map[string]*crdVersion{}}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if err := c.add(filepath.Base(f), data); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *SchemaChecker) add(name string, data []byte) error {
	file, err := ParseFile(name, data)
	if err != nil {
		return err
	}
	for _, d := range file.Docs {
		if d.Object == nil || d.GroupKind() != "apiextensions.k8s.io/CustomResourceDefinition" {
			continue
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		js, err := json.Marshal(d.Object)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(js, crd); err != nil {
			return fmt.Errorf("%s: %s: %w", name, d.Name(), err)
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			internal := &apiextensions.JSONSchemaProps{}
			if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, internal, nil); err != nil {
				return err
			}
			sv, _, err := validation.NewSchemaValidator(internal)
			if err != nil {
				return fmt.Errorf("%s %s: %w", crd.Name, v.Name, err)
			}
			cv := &crdVersion{props: v.Schema.OpenAPIV3Schema, schema: sv}
			if st, err := structuralschema.NewStructural(internal); err == nil {
				cv.st = st
				cv.cel = cel.NewValidator(st, true, celconfig.PerCallLimit)
			}
			c.versions[crd.Spec.Group+"/"+v.Name+"/"+crd.Spec.Names.Kind] = cv
		}
	}
	return nil
}

// Errors validates an object; nil when valid or when no CRD of the pinned releases serves its
// kind (Kubernetes kinds are checked by the library's own tests).
func (c *SchemaChecker) Errors(obj map[string]any) []string {
	api, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	cv := c.versions[api+"/"+kind]
	if cv == nil {
		return nil
	}
	// as the API server decodes a request body: integers as int64, other numbers float64
	js, err := json.Marshal(obj)
	if err != nil {
		return []string{err.Error()}
	}
	var v map[string]any
	if err := utiljson.Unmarshal(js, &v); err != nil {
		return []string{err.Error()}
	}
	if cv.st != nil {
		structuraldefaulting.Default(v, cv.st) // the API server defaults before it validates
	}
	var out []string
	for _, e := range validation.ValidateCustomResource(nil, v, cv.schema) {
		out = append(out, e.Error())
	}
	if cv.cel != nil {
		errs, _ := cv.cel.Validate(context.Background(), nil, cv.st, v, nil, celconfig.RuntimeCELCostBudget)
		for _, e := range errs {
			out = append(out, e.Error())
		}
	}
	sort.Strings(out)
	return out
}

// Check returns the schema errors the mutant introduces ("" when the mutated object is as
// valid as the original).
func (c *SchemaChecker) Check(f *Folder, m *Mutant) string {
	for _, file := range f.Files {
		if file.Name != m.File || m.Doc >= len(file.Docs) {
			continue
		}
		orig := file.Docs[m.Doc].Object
		mut, err := m.Mutated(orig)
		if err != nil {
			return err.Error()
		}
		had := map[string]bool{}
		for _, e := range c.Errors(orig) {
			had[e] = true
		}
		var fresh []string
		for _, e := range c.Errors(mut) {
			if !had[e] {
				fresh = append(fresh, e)
			}
		}
		return strings.Join(fresh, "; ")
	}
	return ""
}

// HasField reports whether a field path pattern (as operators write them) exists in the
// schema of a kind at any served version: group/Kind as Doc.GroupKind writes it. The second
// result is false when no CRD serves the kind.
func (c *SchemaChecker) HasField(groupKind, path string) (found, known bool) {
	group, kind, _ := strings.Cut(groupKind, "/")
	for key, cv := range c.versions {
		parts := strings.Split(key, "/")
		if parts[0] != group || parts[2] != kind {
			continue
		}
		known = true
		if schemaHas(cv.props, compile(path)) {
			return true, true
		}
	}
	return false, known
}

func schemaHas(s *apiextensionsv1.JSONSchemaProps, pt pattern) bool {
	for _, e := range pt {
		if s == nil {
			return false
		}
		switch {
		case e.anyIndex:
			if s.Items == nil || s.Items.Schema == nil {
				return false
			}
			s = s.Items.Schema
		case e.anyKey:
			if s.AdditionalProperties == nil || s.AdditionalProperties.Schema == nil {
				return false
			}
			s = s.AdditionalProperties.Schema
		default:
			p, ok := s.Properties[e.key]
			if !ok {
				return false
			}
			s = &p
		}
	}
	return s != nil
}
