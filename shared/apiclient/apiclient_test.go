package apiclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
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
