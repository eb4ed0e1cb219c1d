// Package openapi holds the query API's contract, the OpenAPI 3.1 document
// openapi.json, and reads from it the one route table of the API: every
// operation's method, path, scope and query parameters.
//
// Everything that routes the API is built from Operations, so the three
// cannot drift: the query function's router (functions/query/handler)
// registers exactly these operations with these scopes, and the CDK stack
// (infra/stack) creates exactly these API Gateway resources and methods.
// Adding an operation means adding it here first; the router refuses to
// start while an operation has no endpoint.
//
// Scopes are written per operation as the bearer scheme's required scope,
// `"security": [{"bearer": ["read"]}]`; an open operation has
// `"security": []`. The Slack app's operations name the slackSignature
// scheme, with no scope: `"security": [{"slackSignature": []}]`; they are
// open to the API gateway and authenticated by the router with Slack's
// request signature.
package openapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

//go:embed openapi.json
var document []byte

// Document returns the OpenAPI document as served at GET /openapi.json.
func Document() []byte { return slices.Clone(document) }

// Operation is one method on one path of the API.
type Operation struct {
	ID     string // operationId
	Method string // upper case: GET, POST, PATCH, DELETE
	Path   string // with {wildcards}: /incidents/{id}/alerts
	// Scheme is how the caller is authenticated: SchemeBearer,
	// SchemeSlack, or "" for an open operation (no credentials).
	Scheme string
	// Scope is the bearer scope the operation needs: read, write or respond; ""
	// for other schemes.
	Scope string
	// Query names the query parameters the operation declares; an
	// operation that declares none accepts none.
	Query []string
}

// Pattern is the operation as a net/http.ServeMux pattern:
// "GET /incidents/{id}".
func (o Operation) Pattern() string { return o.Method + " " + o.Path }

// PathParams names the path's wildcards in order: ["id"] for
// /incidents/{id}/alerts.
func (o Operation) PathParams() []string {
	var out []string
	for _, seg := range strings.Split(o.Path, "/") {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			out = append(out, strings.TrimSuffix(name, "}"))
		}
	}
	return out
}

// Security schemes of the document.
const (
	SchemeBearer = "bearer"         // Authorization: Bearer <token>, one scope per operation
	SchemeSlack  = "slackSignature" // Slack's X-Slack-Signature over the raw body, no scope
)

var operations = mustParse(document)

// Operations returns every operation of the document, sorted by path and
// method.
func Operations() []Operation { return slices.Clone(operations) }

// mustParse reads the embedded document; it is checked by this package's
// tests, so a broken document fails the build's tests, not a deployment.
func mustParse(b []byte) []Operation {
	ops, err := Parse(b)
	if err != nil {
		panic("openapi: " + err.Error())
	}
	return ops
}

type rawParameter struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

type rawOperation struct {
	ID         string                 `json:"operationId"`
	Security   *[]map[string][]string `json:"security"`
	Parameters []rawParameter         `json:"parameters"`
}

type rawDocument struct {
	Security   []map[string][]string                 `json:"security"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Parameters map[string]rawParameter `json:"parameters"`
	} `json:"components"`
}

// methods are the keys of a path item that are operations (the others are
// summary, parameters, …).
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// Parse reads the operations of an OpenAPI 3.1 document. Every operation
// must name at most one scope, and every parameter reference must resolve.
func Parse(b []byte) ([]Operation, error) {
	var doc rawDocument
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parse document: %w", err)
	}
	var out []Operation
	for path, item := range doc.Paths {
		for key, raw := range item {
			if !slices.Contains(methods, key) {
				continue
			}
			op, err := doc.operation(strings.ToUpper(key), path, raw)
			if err != nil {
				return nil, err
			}
			out = append(out, op)
		}
	}
	slices.SortFunc(out, func(a, b Operation) int {
		return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method)
	})
	return out, nil
}

func (doc *rawDocument) operation(method, path string, raw json.RawMessage) (Operation, error) {
	op := Operation{Method: method, Path: path}
	var ro rawOperation
	if err := json.Unmarshal(raw, &ro); err != nil {
		return op, fmt.Errorf("%s: %w", op.Pattern(), err)
	}
	op.ID = ro.ID
	security := doc.Security
	if ro.Security != nil {
		security = *ro.Security
	}
	scheme, scope, err := schemeOf(security)
	if err != nil {
		return op, fmt.Errorf("%s: %w", op.Pattern(), err)
	}
	op.Scheme, op.Scope = scheme, scope
	for _, p := range ro.Parameters {
		if p.Ref != "" {
			name := strings.TrimPrefix(p.Ref, "#/components/parameters/")
			resolved, ok := doc.Components.Parameters[name]
			if !ok {
				return op, fmt.Errorf("%s: parameter %s does not resolve", op.Pattern(), p.Ref)
			}
			p = resolved
		}
		if p.In == "query" {
			op.Query = append(op.Query, p.Name)
		}
	}
	return op, nil
}

// schemeOf reads the one scheme and scope a security requirement list
// asks for: none for [] (open), else exactly one requirement of one known
// scheme, naming exactly one scope for bearer and none for slackSignature.
func schemeOf(security []map[string][]string) (scheme, scope string, err error) {
	if len(security) == 0 {
		return "", "", nil
	}
	if len(security) != 1 || len(security[0]) != 1 {
		return "", "", fmt.Errorf("security must be [] or one requirement of one scheme")
	}
	for name, scopes := range security[0] {
		scheme = name
		switch {
		case name == SchemeBearer && len(scopes) == 1:
			scope = scopes[0]
		case name == SchemeBearer:
			return "", "", fmt.Errorf("security must name exactly one scope, not %v", scopes)
		case name == SchemeSlack && len(scopes) != 0:
			return "", "", fmt.Errorf("the %s scheme takes no scopes, not %v", SchemeSlack, scopes)
		case name != SchemeSlack:
			return "", "", fmt.Errorf("unknown security scheme %q", name)
		}
	}
	return scheme, scope, nil
}
