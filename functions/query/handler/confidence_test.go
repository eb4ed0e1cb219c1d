package handler_test

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestIncidentsByMinConfidence: GET /incidents?minConfidence keeps the
// incidents whose confidence is at least the value; a bad value is a 400
// naming the parameter.
func TestIncidentsByMinConfidence(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		id         string
		confidence int
	}{{"inc-weak", 50}, {"inc-strong", 85}} {
		inc := e.seedIncident(c.id+"-tmp", sampleAlert(c.id, now.Add(-3*time.Hour)))
		inc.ID, inc.Confidence = c.id, c.confidence
		inc.ConfidenceReasons = []string{"2 attack steps (Initial access, Command and control), in kill-chain order"}
		if err := e.store.SeedIncident(context.Background(), inc, nil); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(q map[string]string) []string {
		t.Helper()
		resp := e.get("/incidents", readToken, q)
		wantStatus(t, resp, http.StatusOK)
		e.conforms("IncidentList", resp.Body)
		var out []string
		for _, it := range decode[listBody](t, resp).Items {
			if id, _ := it["id"].(string); id == "inc-weak" || id == "inc-strong" {
				out = append(out, id)
			}
		}
		return out
	}
	if got := ids(map[string]string{"minConfidence": "60"}); len(got) != 1 || got[0] != "inc-strong" {
		t.Errorf("minConfidence=60 lists %v, want [inc-strong]", got)
	}
	if got := ids(map[string]string{"minConfidence": "50"}); len(got) != 2 {
		t.Errorf("minConfidence=50 lists %v, want both", got)
	}
	for _, bad := range []string{"101", "-1", "high"} {
		resp := e.get("/incidents", readToken, map[string]string{"minConfidence": bad})
		wantStatus(t, resp, http.StatusBadRequest)
		if p := decode[map[string]any](t, resp); p["field"] != "minConfidence" {
			t.Errorf("minConfidence=%s: problem %v", bad, p)
		}
	}
}
