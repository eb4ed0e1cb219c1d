package handler

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestOpenAPIMatchesRoutes checks every route the router serves is in
// openapi.json and every documented operation is served, with the scope's
// security (open routes have security: []).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(openAPIDoc), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			key := strings.ToUpper(method) + " " + path
			documented[key] = true
			var op struct {
				Security *[]any `json:"security"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			open := op.Security != nil && len(*op.Security) == 0
			for _, rt := range routes {
				if rt.method+" "+rt.pattern == key && open != (rt.scope == "") {
					t.Errorf("%s: documented open=%v, served with scope %q", key, open, rt.scope)
				}
			}
		}
	}
	served := map[string]bool{}
	for _, rt := range routes {
		key := rt.method + " " + rt.pattern
		served[key] = true
		if !documented[key] {
			t.Errorf("served but not documented: %s", key)
		}
	}
	var extra []string
	for k := range documented {
		if !served[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		t.Errorf("documented but not served: %s", k)
	}
}

// TestOpenAPIComponentSchemasCompile compiles every component schema,
// so broken $refs fail the build.
func TestOpenAPIComponentSchemasCompile(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(openAPIDoc), &doc); err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("openapi.json", doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for name := range schemas {
		if _, err := c.Compile("openapi.json#/components/schemas/" + name); err != nil {
			t.Errorf("schema %s: %v", name, err)
		}
	}
}
