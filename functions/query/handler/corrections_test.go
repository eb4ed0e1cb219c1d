package handler_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/killchain"
)

// correlated stores alerts and runs the real correlator over them, so the
// incidents under test carry the correlation state corrections change.
func (e *env) correlated(alerts ...alert.Alert) []alert.Alert {
	e.t.Helper()
	var stored []alert.Alert
	for _, a := range alerts {
		stored = append(stored, e.putAlert(a))
	}
	eng, err := correlate.New(correlate.DefaultConfig())
	if err != nil {
		e.t.Fatal(err)
	}
	svc := correlate.NewService(eng, e.store, correlate.ServiceOptions{Now: func() time.Time { return now }})
	if res := svc.Correlate(context.Background(), stored); len(res.Failed) > 0 {
		e.t.Fatalf("correlate: %v failed", res.Failed)
	}
	return stored
}

func stepAlert(src, res string, stage killchain.Stage, at time.Duration) alert.Alert {
	return alert.Alert{Provider: "generic", SourceID: src, Type: "Test." + src, Name: "Alert " + src, Severity: alert.Medium,
		Tactics: []killchain.Stage{stage}, Resources: []alert.Resource{{ID: res, Name: res}},
		FirstSeen: now.Add(-6*time.Hour + at), LastSeen: now.Add(-6*time.Hour + at)}
}

func (e *env) incidentOf(alertID string) map[string]any {
	e.t.Helper()
	a := decode[map[string]any](e.t, e.get("/alerts/"+alertID, readToken, nil))
	id, _ := a["incidentId"].(string)
	if id == "" {
		e.t.Fatalf("alert %s is in no incident: %v", alertID, a)
	}
	return decode[map[string]any](e.t, e.get("/incidents/"+id, readToken, nil))
}

func version(inc map[string]any) string { return strconv.Itoa(int(inc["version"].(float64))) }

func (e *env) post(path, body string, headers map[string]string) (int, map[string]any) {
	e.t.Helper()
	resp := e.do(call{method: http.MethodPost, path: path, token: writeToken, body: body, headers: headers})
	var out map[string]any
	_ = json.Unmarshal([]byte(resp.Body), &out)
	return resp.StatusCode, out
}

// TestCorrectionsThroughTheAPI: merge, move, take out, create, candidates
// and promote, each with its If-Match, reason and timeline entry, and the
// problems a bad request gets.
func TestCorrectionsThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	as := e.correlated(
		stepAlert("a1", "web-1", killchain.InitialAccess, 0), stepAlert("a2", "web-1", killchain.Execution, time.Hour),
		stepAlert("b1", "web-2", killchain.InitialAccess, 0), stepAlert("b2", "web-2", killchain.Execution, time.Hour),
		stepAlert("c1", "web-3", killchain.PreAttack, 0), stepAlert("c2", "web-3", killchain.Discovery, time.Hour),
		stepAlert("d1", "web-4", killchain.InitialAccess, 0),
	)
	a, b := e.incidentOf(as[0].ID), e.incidentOf(as[2].ID)
	aID, bID := a["id"].(string), b["id"].(string)

	// Bad requests first: nothing changes.
	for _, tc := range []struct {
		name, body string
		headers    map[string]string
		status     int
	}{
		{"no If-Match", `{"incidents":["` + bID + `"],"reason":"x"}`, nil, http.StatusPreconditionRequired},
		{"no reason", `{"incidents":["` + bID + `"]}`, map[string]string{"If-Match": version(a)}, http.StatusBadRequest},
		{"stale If-Match", `{"incidents":["` + bID + `"],"reason":"x"}`, map[string]string{"If-Match": "99"}, http.StatusPreconditionFailed},
		{"with itself", `{"incidents":["` + aID + `"],"reason":"x"}`, map[string]string{"If-Match": version(a)}, http.StatusConflict},
		{"unknown incident", `{"incidents":["nope"],"reason":"x"}`, map[string]string{"If-Match": version(a)}, http.StatusNotFound},
	} {
		if status, body := e.post("/incidents/"+aID+"/merge", tc.body, tc.headers); status != tc.status {
			t.Errorf("merge %s: %d %v, want %d", tc.name, status, body, tc.status)
		}
	}

	status, merged := e.post("/incidents/"+aID+"/merge", `{"incidents":["`+bID+`"],"reason":"one attacker"}`, map[string]string{"If-Match": version(a)})
	if status != http.StatusOK || merged["alertCount"] != float64(4) {
		t.Fatalf("merge: %d %v", status, merged)
	}
	if resp := e.get("/incidents/"+bID, readToken, nil); resp.StatusCode != http.StatusOK {
		t.Logf("the merged incident reads as %d", resp.StatusCode)
	}
	detail := decode[map[string]any](t, e.get("/incidents/"+aID, readToken, nil))
	timeline, _ := json.Marshal(detail["timeline"])
	if !json.Valid(timeline) || !contains(string(timeline), "one attacker") || !contains(string(timeline), "writer") {
		t.Errorf("timeline does not name the merge and who: %s", timeline)
	}

	// Move d1 in; take a2 out.
	status, moved := e.post("/incidents/"+aID+"/alerts", `{"alerts":["`+as[6].ID+`"],"reason":"same campaign"}`, map[string]string{"If-Match": version(merged)})
	if status != http.StatusOK || moved["alertCount"] != float64(5) {
		t.Fatalf("move: %d %v", status, moved)
	}
	resp := e.do(call{method: http.MethodDelete, path: "/incidents/" + aID + "/alerts/" + as[1].ID, token: writeToken,
		query: map[string]string{"reason": "benign admin shell"}, headers: map[string]string{"If-Match": version(moved)}})
	wantStatus(t, resp, http.StatusOK)
	if got := decode[map[string]any](t, resp); got["alertCount"] != float64(4) {
		t.Errorf("after taking a2 out: %v", got)
	}
	if got := decode[map[string]any](t, e.get("/alerts/"+as[1].ID, readToken, nil)); got["incidentId"] != nil {
		t.Errorf("a2 still names incident %v", got["incidentId"])
	}

	// The recon pair on web-3 is a candidate; promote it.
	cands := decode[listBody](t, e.get("/candidates", readToken, nil))
	if len(cands.Items) != 1 || cands.Items[0]["kind"] != "candidate" {
		t.Fatalf("candidates = %v", cands.Items)
	}
	cand := cands.Items[0]["id"].(string)
	if status, inc := e.post("/candidates/"+cand+"/promote", `{"reason":"recon on a crown jewel"}`, nil); status != http.StatusOK || inc["id"] != cand {
		t.Fatalf("promote: %d %v", status, inc)
	}
	if status, _ := e.post("/candidates/"+cand+"/promote", `{"reason":"again"}`, nil); status != http.StatusConflict {
		t.Errorf("promoting an incident: %d, want 409", status)
	}

	// Create an incident from a2 (now alone) and c1.
	body := `{"alerts":["` + as[1].ID + `","` + as[4].ID + `"],"reason":"analyst's call","title":"Admin shell and recon","severity":"High"}`
	status, created := e.post("/incidents", body, nil)
	if status != http.StatusCreated || created["title"] != "Admin shell and recon" || created["severity"] != "High" {
		t.Fatalf("create: %d %v", status, created)
	}
	if status, _ := e.post("/incidents", body, nil); status != http.StatusConflict {
		t.Errorf("creating the same incident again: %d, want 409", status)
	}
	if status, _ := e.post("/incidents", `{"alerts":["nope"],"reason":"x"}`, nil); status != http.StatusNotFound {
		t.Errorf("creating from an unknown alert: %d, want 404", status)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestBulkChange: one change to several incidents, a result per id; an
// unknown id and a transition not allowed fail alone.
func TestBulkChange(t *testing.T) {
	e := newEnv(t)
	as := e.correlated(
		stepAlert("k1", "web-11", killchain.InitialAccess, 0), stepAlert("k2", "web-11", killchain.Execution, time.Hour),
		stepAlert("m1", "web-12", killchain.InitialAccess, 0), stepAlert("m2", "web-12", killchain.Execution, time.Hour),
	)
	k, m := e.incidentOf(as[0].ID)["id"].(string), e.incidentOf(as[2].ID)["id"].(string)
	status, out := e.post("/incidents/bulk", `{"ids":["`+k+`","`+m+`","nope"],"set":{"status":"Resolved","classification":"TruePositive"}}`, nil)
	if status != http.StatusOK || out["updated"] != float64(2) || out["failed"] != float64(1) {
		t.Fatalf("bulk: %d %v", status, out)
	}
	results, _ := out["results"].([]any)
	if last, _ := results[2].(map[string]any); last["status"] != "failed" || last["error"].(map[string]any)["status"] != float64(404) {
		t.Errorf("unknown id result = %v", last)
	}
	if got := decode[map[string]any](t, e.get("/alerts/"+as[2].ID, readToken, nil)); got["status"] != "Resolved" {
		t.Errorf("alert of a bulk-resolved incident is %v", got["status"])
	}
	// Resolved → Dismissed is not allowed: each fails with 409, nothing changes.
	_, out = e.post("/incidents/bulk", `{"ids":["`+k+`"],"set":{"status":"Dismissed"}}`, nil)
	if results, _ := out["results"].([]any); len(results) != 1 || results[0].(map[string]any)["error"].(map[string]any)["status"] != float64(409) {
		t.Errorf("disallowed transition: %v", out)
	}
	for _, bad := range []string{`{"ids":[],"set":{"status":"Resolved"}}`, `{"ids":["x"],"set":{}}`, `{"ids":["x"],"set":{"status":"Gone"}}`} {
		if status, _ := e.post("/incidents/bulk", bad, nil); status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, status)
		}
	}
}

// TestTwoAnalystsCorrectAtOnce: two analysts read the same incident; the
// first correction wins, the second (at the version both read) gets 412
// and changes nothing; read again, it goes through.
func TestTwoAnalystsCorrectAtOnce(t *testing.T) {
	e := newEnv(t)
	as := e.correlated(
		stepAlert("p1", "web-21", killchain.InitialAccess, 0), stepAlert("p2", "web-21", killchain.Execution, time.Hour),
		stepAlert("q1", "web-22", killchain.InitialAccess, 0), stepAlert("q2", "web-22", killchain.Execution, time.Hour),
		stepAlert("r1", "web-23", killchain.InitialAccess, 0),
	)
	p, q := e.incidentOf(as[0].ID), e.incidentOf(as[2].ID)
	seen := version(p) // both analysts read this version
	status, first := e.post("/incidents/"+p["id"].(string)+"/merge", `{"incidents":["`+q["id"].(string)+`"],"reason":"alice: one attacker"}`, map[string]string{"If-Match": seen})
	if status != http.StatusOK {
		t.Fatalf("first correction: %d %v", status, first)
	}
	status, _ = e.post("/incidents/"+p["id"].(string)+"/alerts", `{"alerts":["`+as[4].ID+`"],"reason":"bob: same host group"}`, map[string]string{"If-Match": seen})
	if status != http.StatusPreconditionFailed {
		t.Fatalf("second correction at the stale version: %d, want 412", status)
	}
	now := decode[map[string]any](t, e.get("/incidents/"+p["id"].(string), readToken, nil))
	if now["alertCount"] != float64(4) || now["version"] != first["version"] {
		t.Fatalf("after the refused correction: %d alerts at version %v, want 4 at %v", int(now["alertCount"].(float64)), now["version"], first["version"])
	}
	status, _ = e.post("/incidents/"+p["id"].(string)+"/alerts", `{"alerts":["`+as[4].ID+`"],"reason":"bob: same host group"}`, map[string]string{"If-Match": version(now)})
	if status != http.StatusOK {
		t.Fatalf("second correction, read again: %d", status)
	}
}
