package handler_test

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/muster-sec/muster/functions/query/openapi"
)

// TestRouterServesTheDocument derives the route table from openapi.json:
// the router serves exactly its operations, each with the declared scope
// (a bearer token opens no Slack operation), and refuses query parameters
// where the document declares none.
func TestRouterServesTheDocument(t *testing.T) {
	e := newEnv(t)
	ops := openapi.Operations()
	var want []string
	for _, op := range ops {
		want = append(want, op.Pattern())
	}
	got := e.h.Patterns()
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("served %v\ndeclared %v", got, want)
	}
	for _, op := range ops {
		t.Run(op.Pattern(), func(t *testing.T) {
			c := call{method: op.Method, path: samplePath(op.Path)}
			if op.Scheme == openapi.SchemeSlack {
				// Signed requests: TestSlackSignature covers them.
				wantStatus(t, e.do(c), http.StatusUnauthorized)
				c.token = writeToken
				wantStatus(t, e.do(c), http.StatusUnauthorized)
				return
			}
			if op.Scope == "" {
				c.token = ""
				wantStatus(t, e.do(c), http.StatusOK)
				return
			}
			resp := e.do(c)
			wantStatus(t, resp, http.StatusUnauthorized)
			if resp.Headers["WWW-Authenticate"] == "" {
				t.Error("401 without WWW-Authenticate")
			}
			c.token = map[string]string{"read": respondToken, "write": readToken, "respond": writeToken}[op.Scope]
			wantStatus(t, e.do(c), http.StatusForbidden)
			c.token = writeToken
			if op.Scope == "respond" {
				c.token = respondToken
			}
			resp = e.do(c)
			if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden ||
				resp.StatusCode == http.StatusMethodNotAllowed || strings.Contains(resp.Body, "no such resource") {
				t.Fatalf("scope %s: %d %s", op.Scope, resp.StatusCode, resp.Body)
			}
			wantAPIHeaders(t, resp)
			if len(op.Query) == 0 {
				c.query = map[string]string{"undeclared": "1"}
				resp := e.do(c)
				wantStatus(t, resp, http.StatusBadRequest)
				if !strings.Contains(resp.Body, "takes no query parameters") {
					t.Errorf("undeclared parameter: %s", resp.Body)
				}
			}
		})
	}
}

// TestRouterAnswers405WithAllow: every method a declared path does not
// serve is 405, with Allow naming the methods that path does serve (by its
// own pattern or a wildcard one).
func TestRouterAnswers405WithAllow(t *testing.T) {
	e := newEnv(t)
	ops := openapi.Operations()
	paths := map[string]bool{}
	for _, op := range ops {
		paths[op.Path] = true
	}
	for path := range paths {
		var allow []string
		for _, op := range ops {
			if matches(op.Path, samplePath(path)) {
				allow = append(allow, op.Method)
			}
		}
		sort.Strings(allow)
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if slices.Contains(allow, m) {
				continue
			}
			t.Run(m+" "+path, func(t *testing.T) {
				resp := e.do(call{method: m, path: samplePath(path), token: writeToken})
				wantStatus(t, resp, http.StatusMethodNotAllowed)
				if got := strings.Split(resp.Headers["Allow"], ", "); !slices.Equal(sorted(got), allow) {
					t.Errorf("Allow = %q, want %v", resp.Headers["Allow"], allow)
				}
			})
		}
	}
}

// matches reports whether a path pattern matches a concrete path (GET
// /suppression-rules/simulate is also GET /suppression-rules/{id}).
func matches(pattern, path string) bool {
	ps, segs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(segs) {
		return false
	}
	for i := range ps {
		if ps[i] != segs[i] && !strings.HasPrefix(ps[i], "{") {
			return false
		}
	}
	return true
}

// samplePath fills a path's wildcards with an id no resource has.
func samplePath(pattern string) string {
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = "no-such-" + strings.Trim(s, "{}")
		}
	}
	return strings.Join(segs, "/")
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

// TestRouterPathEdges: the console sits beside the router, wildcards take
// percent-encoded segments, and a too-long or unmatched path is a 404
// problem.
func TestRouterPathEdges(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("x", 257)
	tests := []struct {
		name, method, path string
		status             int
		detail             string
	}{
		{"console page", "GET", "/", http.StatusOK, "<html"},
		{"console asset HEAD", "HEAD", "/assets/app.js", http.StatusOK, ""},
		{"unknown console asset", "GET", "/assets/nope.js", http.StatusNotFound, "no such console asset"},
		{"console is GET only", "POST", "/", http.StatusNotFound, "no such resource"},
		{"assets without a file", "GET", "/assets", http.StatusNotFound, "no such resource"},
		{"encoded slash stays in the id", "GET", "/incidents/a%2Fb", http.StatusNotFound, "not found"},
		{"id at the limit", "GET", "/incidents/" + long[:256], http.StatusNotFound, "not found"},
		{"id over the limit", "GET", "/incidents/" + long, http.StatusNotFound, "no such resource"},
		{"empty segment", "GET", "/incidents//alerts", http.StatusNotFound, "no such resource"},
		{"bad escape", "GET", "/incidents/%zz", http.StatusNotFound, "no such resource"},
		{"trailing slash", "GET", "/incidents/", http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.do(call{method: tt.method, path: tt.path, token: readToken})
			if resp.StatusCode != tt.status || !strings.Contains(resp.Body, tt.detail) {
				t.Fatalf("%s %s: %d %s", tt.method, tt.path, resp.StatusCode, resp.Body)
			}
			if console := tt.path == "/" || strings.HasPrefix(tt.path, "/assets/"); console && tt.method != "POST" {
				// The console's files keep their own caching (no-cache,
				// or immutable when versioned) and security headers.
				if resp.Headers["Cache-Control"] == "no-store" || resp.Headers["X-Content-Type-Options"] != "nosniff" {
					t.Errorf("console headers %v", resp.Headers)
				}
				return
			}
			wantAPIHeaders(t, resp)
		})
	}
}
