package apiclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/muster-sec/muster/shared/apiclient"
)

// TestErrors: each answer outside 2xx becomes an *Error of the right
// kind, with the problem's detail; no error carries the token.
func TestErrors(t *testing.T) {
	tests := []struct {
		status int
		body   string
		kind   error
		detail string
	}{
		{400, `{"detail":"severity: must be High…"}`, apiclient.ErrInvalid, "severity: must be High…"},
		{401, `{"detail":"a valid bearer token is required"}`, apiclient.ErrAuth, "a valid bearer token is required"},
		{403, `{}`, apiclient.ErrAuth, ""},
		{404, `{"detail":"not found"}`, apiclient.ErrNotFound, "not found"},
		{409, `{"detail":"status transition not allowed"}`, apiclient.ErrConflict, "status transition not allowed"},
		{412, `{"detail":"the resource changed"}`, apiclient.ErrConflict, "the resource changed"},
		{500, `not json`, apiclient.ErrServer, ""},
		{503, ``, apiclient.ErrServer, ""},
	}
	for _, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tt.status)
			_, _ = w.Write([]byte(tt.body))
		}))
		c := &apiclient.Client{BaseURL: srv.URL, Token: "secret-token"}
		_, err := c.Incident(context.Background(), "inc-1")
		srv.Close()
		var ae *apiclient.Error
		if !errors.Is(err, tt.kind) || !errors.As(err, &ae) || ae.Status != tt.status || ae.Detail != tt.detail {
			t.Errorf("%d: %v (%+v), want kind %v detail %q", tt.status, err, ae, tt.kind, tt.detail)
		}
	}
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	_, err := (&apiclient.Client{BaseURL: down.URL, Token: "secret-token"}).Incident(context.Background(), "inc-1")
	if !errors.Is(err, apiclient.ErrServer) || strings.Contains(err.Error(), "secret-token") {
		t.Errorf("unreachable server: %v", err)
	}
}

// TestPages: Pages follows the cursors to the last page, keeps the
// caller's filters on every page, stops at the first error (yielded) and
// when the caller stops.
func TestPages(t *testing.T) {
	pages := map[string]string{
		"":   `{"items":[1,2],"cursor":"c1"}`,
		"c1": `{"items":[3],"cursor":"c2"}`,
		"c2": `{"items":[4]}`,
	}
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if r.URL.Query().Get("severity") != "High" {
			t.Errorf("page %d without the filter: %s", calls, r.URL.RawQuery)
		}
		body, ok := pages[r.URL.Query().Get("cursor")]
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"detail":"cursor: not one this API gave"}`))
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	c := &apiclient.Client{BaseURL: srv.URL, Token: "t"}
	q := url.Values{"severity": {"High"}}

	var items []string
	for p, err := range c.Pages(context.Background(), "/incidents", q) {
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			items = append(items, string(it))
		}
	}
	if strings.Join(items, ",") != "1,2,3,4" || calls != 3 {
		t.Errorf("items %v in %d calls, want 1,2,3,4 in 3", items, calls)
	}
	if q.Get("cursor") != "" {
		t.Errorf("the caller's filters were changed: %v", q)
	}

	calls = 0
	for range c.Pages(context.Background(), "/incidents", q) {
		break
	}
	if calls != 1 {
		t.Errorf("a caller that stops after the first page made %d calls", calls)
	}

	pages["c1"] = `{"items":[3],"cursor":"gone"}`
	var errs, seen int
	for _, err := range c.Pages(context.Background(), "/incidents", q) {
		seen++
		if err != nil {
			errs++
			if !errors.Is(err, apiclient.ErrInvalid) {
				t.Errorf("error %v, want ErrInvalid", err)
			}
		}
	}
	if seen != 3 || errs != 1 {
		t.Errorf("%d pages yielded with %d errors, want 3 with the last an error", seen, errs)
	}
}
