package openapi_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/muster-sec/muster/functions/query/openapi"
)

// TestOperationsOfTheDocument checks what Operations reads from the
// embedded document: every operation has an id, a known scope, and query
// parameters only where the document declares them.
func TestOperationsOfTheDocument(t *testing.T) {
	ops := openapi.Operations()
	if len(ops) < 10 {
		t.Fatalf("only %d operations", len(ops))
	}
	byPattern := map[string]openapi.Operation{}
	for _, op := range ops {
		if op.ID == "" {
			t.Errorf("%s has no operationId", op.Pattern())
		}
		if !slices.Contains([]string{"", "read", "write", "respond"}, op.Scope) {
			t.Errorf("%s: scope %q", op.Pattern(), op.Scope)
		}
		wantScheme := map[bool]string{true: openapi.SchemeBearer, false: ""}[op.Scope != ""]
		if strings.HasPrefix(op.Path, "/chatops/slack/") {
			wantScheme = openapi.SchemeSlack
		}
		if op.Scheme != wantScheme {
			t.Errorf("%s: scheme %q, want %q", op.Pattern(), op.Scheme, wantScheme)
		}
		if _, dup := byPattern[op.Pattern()]; dup {
			t.Errorf("%s twice", op.Pattern())
		}
		byPattern[op.Pattern()] = op
	}
	tests := []struct {
		pattern string
		scope   string
		query   []string
		params  []string
	}{
		{"GET /healthz", "", nil, nil},
		{"POST /chatops/slack/commands", "", nil, nil},
		{"GET /incidents/{id}", "read", nil, []string{"id"}},
		{"PATCH /incidents/{id}", "write", nil, []string{"id"}},
		{"GET /incidents/{id}/alerts", "read", []string{"limit", "cursor"}, []string{"id"}},
		{"GET /incidents/{id}/summary", "read", []string{"format"}, []string{"id"}},
		{"POST /suppression-rules/simulate", "read", nil, nil},
		{"DELETE /suppression-rules/{id}", "write", nil, []string{"id"}},
		{"POST /automation-rules/simulate", "read", nil, nil},
		{"PATCH /automation-rules/{id}", "write", nil, []string{"id"}},
		{"POST /incidents/{id}/responses/{requestId}", "respond", nil, []string{"id", "requestId"}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			op, ok := byPattern[tt.pattern]
			if !ok {
				t.Fatal("not in the document")
			}
			if op.Scope != tt.scope || !slices.Equal(op.Query, tt.query) || !slices.Equal(op.PathParams(), tt.params) {
				t.Fatalf("got scope %q query %v params %v", op.Scope, op.Query, op.PathParams())
			}
		})
	}
}

func TestParseRefusesUnclearDocuments(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"not JSON", `{`, "parse document"},
		{"two scopes", `{"paths":{"/x":{"get":{"security":[{"bearer":["read","write"]}]}}}}`, "exactly one scope"},
		{"scoped slack scheme", `{"paths":{"/x":{"post":{"security":[{"slackSignature":["read"]}]}}}}`, "takes no scopes"},
		{"unknown scheme", `{"paths":{"/x":{"get":{"security":[{"basic":["read"]}]}}}}`, "unknown security scheme"},
		{"two requirements", `{"paths":{"/x":{"get":{"security":[{"bearer":["read"]},{"bearer":["write"]}]}}}}`, "one requirement"},
		{"dangling parameter", `{"paths":{"/x":{"get":{"security":[],"parameters":[{"$ref":"#/components/parameters/nope"}]}}}}`, "does not resolve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openapi.Parse([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
	ops, err := openapi.Parse([]byte(`{"security":[{"bearer":["read"]}],"paths":{"/x":{"summary":"s","get":{"operationId":"x"}}}}`))
	if err != nil || len(ops) != 1 || ops[0].Scope != "read" || ops[0].Scheme != openapi.SchemeBearer {
		t.Fatalf("document-level security: %v, %v", ops, err)
	}
}

// TestComponentSchemasCompile compiles every component schema, so broken
// $refs fail the build.
func TestComponentSchemasCompile(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openapi.Document(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v", doc["openapi"])
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

// BenchmarkParse measures what reading the route table adds to a cold
// start (it runs once, at package init).
func BenchmarkParse(b *testing.B) {
	doc := openapi.Document()
	for b.Loop() {
		if _, err := openapi.Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}
