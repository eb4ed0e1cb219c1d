package handler

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Scopes.
const (
	scopeRead  = "read"
	scopeWrite = "write"
)

type route struct {
	method  string
	pattern string // "/incidents/{id}/alerts"
	scope   string // "" for open routes
	serve   func(h *Handler, ctx context.Context, r *request) (events.APIGatewayProxyResponse, error)
}

// routes is every API route. The console (GET / and /assets/…) is served
// before routing. openapi_test.go checks this table against openapi.json.
var routes = []route{
	{http.MethodGet, "/healthz", "", (*Handler).healthz},
	{http.MethodGet, "/openapi.json", "", (*Handler).openAPI},
	{http.MethodGet, "/alerts", scopeRead, (*Handler).listAlerts},
	{http.MethodGet, "/alerts/{id}", scopeRead, (*Handler).getAlert},
	{http.MethodGet, "/incidents", scopeRead, (*Handler).listIncidents},
	{http.MethodGet, "/incidents/{id}", scopeRead, (*Handler).getIncident},
	{http.MethodPatch, "/incidents/{id}", scopeWrite, (*Handler).patchIncident},
	{http.MethodGet, "/incidents/{id}/alerts", scopeRead, (*Handler).incidentAlerts},
	{http.MethodGet, "/incidents/{id}/summary", scopeRead, (*Handler).summary},
	{http.MethodPost, "/incidents/{id}/comments", scopeWrite, (*Handler).addComment},
	{http.MethodGet, "/incidents/{id}/actions", scopeRead, (*Handler).actions},
	{http.MethodPost, "/incidents/{id}/respond", scopeWrite, (*Handler).respond},
	{http.MethodPost, "/incidents/{id}/suppress", scopeWrite, (*Handler).suppressSimilar},
	{http.MethodGet, "/suppression-rules", scopeRead, (*Handler).listRules},
	{http.MethodPost, "/suppression-rules", scopeWrite, (*Handler).createRule},
	{http.MethodPost, "/suppression-rules/simulate", scopeRead, (*Handler).simulate},
	{http.MethodGet, "/suppression-rules/{id}", scopeRead, (*Handler).getRule},
	{http.MethodPatch, "/suppression-rules/{id}", scopeWrite, (*Handler).patchRule},
	{http.MethodDelete, "/suppression-rules/{id}", scopeWrite, (*Handler).deleteRule},
	{http.MethodGet, "/playbooks", scopeRead, (*Handler).listPlaybooks},
}

// match finds the route for method and path. Literal segments win over
// parameters ("/suppression-rules/simulate" is not a rule id). When the
// path matches but the method does not, allowed lists the methods that do.
func match(method, path string) (*route, map[string]string, []string) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var allowed []string
	var best *route
	var bestParams map[string]string
	bestLiterals := -1
	for i := range routes {
		rt := &routes[i]
		params, literals, ok := matchPattern(rt.pattern, segs)
		if !ok {
			continue
		}
		if rt.method != method {
			allowed = append(allowed, rt.method)
			continue
		}
		if literals > bestLiterals {
			best, bestParams, bestLiterals = rt, params, literals
		}
	}
	if best != nil {
		return best, bestParams, nil
	}
	return nil, nil, allowed
}

func matchPattern(pattern string, segs []string) (map[string]string, int, bool) {
	ps := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	if len(ps) != len(segs) {
		return nil, 0, false
	}
	params := map[string]string{}
	literals := 0
	for i, p := range ps {
		if strings.HasPrefix(p, "{") {
			v, err := url.PathUnescape(segs[i])
			if err != nil || v == "" || len(v) > 256 {
				return nil, 0, false
			}
			params[strings.Trim(p, "{}")] = v
			continue
		}
		if p != segs[i] {
			return nil, 0, false
		}
		literals++
	}
	return params, literals, true
}
