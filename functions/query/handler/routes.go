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
	// lists validate their own query parameters; other routes take none
	// (summary takes format and checks it itself).
	query bool
	serve func(h *Handler, ctx context.Context, r *request) (events.APIGatewayProxyResponse, error)
}

// routes is every API route. The console (GET / and /assets/…) is served
// before routing. openapi_test.go checks this table against openapi.json.
var routes = []route{
	{http.MethodGet, "/healthz", "", false, (*Handler).healthz},
	{http.MethodGet, "/openapi.json", scopeRead, false, (*Handler).openAPI},
	{http.MethodGet, "/alerts", scopeRead, true, (*Handler).listAlerts},
	{http.MethodGet, "/alerts/{id}", scopeRead, false, (*Handler).getAlert},
	{http.MethodGet, "/incidents", scopeRead, true, (*Handler).listIncidents},
	{http.MethodGet, "/incidents/{id}", scopeRead, false, (*Handler).getIncident},
	{http.MethodPatch, "/incidents/{id}", scopeWrite, false, (*Handler).patchIncident},
	{http.MethodGet, "/incidents/{id}/alerts", scopeRead, true, (*Handler).incidentAlerts},
	{http.MethodGet, "/incidents/{id}/summary", scopeRead, true, (*Handler).summary},
	{http.MethodPost, "/incidents/{id}/comments", scopeWrite, false, (*Handler).addComment},
	{http.MethodGet, "/incidents/{id}/actions", scopeRead, false, (*Handler).actions},
	{http.MethodPost, "/incidents/{id}/respond", scopeWrite, false, (*Handler).respond},
	{http.MethodPost, "/incidents/{id}/suppress", scopeWrite, false, (*Handler).suppressSimilar},
	{http.MethodGet, "/suppression-rules", scopeRead, false, (*Handler).listRules},
	{http.MethodPost, "/suppression-rules", scopeWrite, false, (*Handler).createRule},
	{http.MethodPost, "/suppression-rules/simulate", scopeRead, false, (*Handler).simulate},
	{http.MethodGet, "/suppression-rules/{id}", scopeRead, false, (*Handler).getRule},
	{http.MethodPatch, "/suppression-rules/{id}", scopeWrite, false, (*Handler).patchRule},
	{http.MethodDelete, "/suppression-rules/{id}", scopeWrite, false, (*Handler).deleteRule},
	{http.MethodGet, "/playbooks", scopeRead, false, (*Handler).listPlaybooks},
	{http.MethodGet, "/noisy-keys", scopeRead, true, (*Handler).listNoisyKeys},
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
