package handler_test

import (
	"net/http"
	"testing"
	"time"
)

// TestListsAnswer304WhenUnchanged: the first page of a list carries an
// ETag over its items; polling with it is 304 until an alert arrives.
func TestListsAnswer304WhenUnchanged(t *testing.T) {
	e := newEnv(t)
	e.putAlert(sampleAlert("poll-1", now.Add(-2*time.Hour)))
	for _, path := range []string{"/alerts", "/incidents"} {
		t.Run(path, func(t *testing.T) {
			first := e.get(path, readToken, nil)
			wantStatus(t, first, http.StatusOK)
			tag := first.Headers["ETag"]
			if tag == "" {
				t.Fatal("no ETag on the first page")
			}
			tests := []struct {
				name, header string
				status       int
			}{
				{"same tag", tag, http.StatusNotModified},
				{"strong form of the weak tag", tag[2:], http.StatusNotModified},
				{"among others", `"x", ` + tag, http.StatusNotModified},
				{"another tag", `W/"other"`, http.StatusOK},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					resp := e.do(call{method: http.MethodGet, path: path, token: readToken, headers: map[string]string{"If-None-Match": tt.header}})
					wantStatus(t, resp, tt.status)
					if resp.Headers["ETag"] != tag {
						t.Errorf("ETag %q, want %q", resp.Headers["ETag"], tag)
					}
					if tt.status == http.StatusNotModified && resp.Body != "" {
						t.Errorf("304 with a body: %s", resp.Body)
					}
				})
			}
		})
	}
	tag := e.get("/alerts", readToken, nil).Headers["ETag"]
	e.putAlert(sampleAlert("poll-2", now.Add(-time.Hour)))
	resp := e.do(call{method: http.MethodGet, path: "/alerts", token: readToken, headers: map[string]string{"If-None-Match": tag}})
	wantStatus(t, resp, http.StatusOK)
	if resp.Headers["ETag"] == tag {
		t.Error("a new alert left the ETag unchanged")
	}
	// Without credentials there is no 304 to learn anything from.
	wantStatus(t, e.do(call{method: http.MethodGet, path: "/alerts", headers: map[string]string{"If-None-Match": tag}}), http.StatusUnauthorized)
}
