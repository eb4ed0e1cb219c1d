package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/muster-sec/muster/localstack/runner"
)

// callIfMatch is call with an If-Match header.
func callIfMatch(t *testing.T, r *runner.Runner, method, path string, body any, version int64, out any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(method, r.URL()+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if version > 0 {
		req.Header.Set("If-Match", strconv.FormatInt(version, 10))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, raw
}

// TestCorrectionsThroughThePipeline: two attacks become two incidents; an
// analyst merges them, moves a loose alert in, takes one out, promotes a
// candidate and bulk-resolves; the incidents and the events a bot mirrors
// (merged, alertsAdded, alertsRemoved, created, statusChanged) follow.
func TestCorrectionsThroughThePipeline(t *testing.T) {
	r := startRunner(t, nil)
	now := time.Now().UTC().Truncate(time.Second)
	alertOn := func(id, host, tactic string, ago time.Duration) map[string]any {
		return map[string]any{"id": id, "type": "Test." + tactic, "severity": "Medium", "tactics": []string{tactic},
			"resources": []any{map[string]any{"id": host, "name": host}}, "firstSeen": now.Add(-ago).Format(time.RFC3339)}
	}
	body, _ := json.Marshal([]map[string]any{
		alertOn("ca-1", "corr-a", "InitialAccess", 3*time.Hour), alertOn("ca-2", "corr-a", "Execution", 2*time.Hour),
		alertOn("cb-1", "corr-b", "InitialAccess", 3*time.Hour), alertOn("cb-2", "corr-b", "Execution", 2*time.Hour),
		alertOn("cc-1", "corr-c", "Reconnaissance", 3*time.Hour), alertOn("cc-2", "corr-c", "Discovery", 2*time.Hour),
		alertOn("cd-1", "corr-d", "InitialAccess", time.Hour),
	})
	var posted webhookResult
	if status, raw := call(t, r, http.MethodPost, "/webhooks/generic", body, &posted); status != http.StatusAccepted {
		t.Fatalf("POST /webhooks/generic: %d %s", status, raw)
	}
	alertID := map[string]string{}
	for i, src := range []string{"ca-1", "ca-2", "cb-1", "cb-2", "cc-1", "cc-2", "cd-1"} {
		alertID[src] = posted.Results[i].AlertID
	}
	var a, b incidentView
	eventually(t, 60*time.Second, func() string {
		list, reason := incidents(t, r)
		if reason != "" {
			return reason
		}
		if len(list) != 2 {
			return fmt.Sprintf("%d incidents, want 2", len(list))
		}
		a, b = list[0], list[1]
		if a.Resources[0].ID != "corr-a" {
			a, b = b, a
		}
		return ""
	})

	var inc incidentView
	expect := func(status int, raw []byte, want int, what string) {
		t.Helper()
		if status != want {
			t.Fatalf("%s: %d %s", what, status, raw)
		}
	}
	st, raw := callIfMatch(t, r, http.MethodPost, "/incidents/"+a.ID+"/merge", map[string]any{"incidents": []string{b.ID}, "reason": "same actor"}, a.Version, &inc)
	expect(st, raw, http.StatusOK, "merge")
	st, raw = callIfMatch(t, r, http.MethodPost, "/incidents/"+a.ID+"/alerts", map[string]any{"alerts": []string{alertID["cd-1"]}, "reason": "same campaign"}, inc.Version, &inc)
	expect(st, raw, http.StatusOK, "move")
	st, raw = callIfMatch(t, r, http.MethodDelete, "/incidents/"+a.ID+"/alerts/"+alertID["ca-2"]+"?reason=benign", nil, inc.Version, &inc)
	expect(st, raw, http.StatusOK, "take out")
	if inc.AlertCount != 4 {
		t.Fatalf("after merge, move and take-out: %d alerts, want 4", inc.AlertCount)
	}

	var cands struct {
		Items []incidentView `json:"items"`
	}
	if st, raw := call(t, r, http.MethodGet, "/candidates", nil, &cands); st != http.StatusOK || len(cands.Items) != 1 {
		t.Fatalf("candidates: %d %s", st, raw)
	}
	st, raw = callIfMatch(t, r, http.MethodPost, "/candidates/"+cands.Items[0].ID+"/promote", map[string]any{"reason": "recon on a crown jewel"}, 0, nil)
	expect(st, raw, http.StatusOK, "promote")
	var bulk struct{ Updated, Failed int }
	st, raw = callIfMatch(t, r, http.MethodPost, "/incidents/bulk", map[string]any{"ids": []string{a.ID, cands.Items[0].ID},
		"set": map[string]any{"status": "Resolved", "classification": "TruePositive"}}, 0, &bulk)
	expect(st, raw, http.StatusOK, "bulk")
	if bulk.Updated != 2 {
		t.Fatalf("bulk: %s", raw)
	}

	want := map[string]bool{"merged": false, "alertsAdded": false, "alertsRemoved": false, "created:" + cands.Items[0].ID: false, "statusChanged": false}
	eventually(t, 60*time.Second, func() string {
		for _, ev := range sinkEvents(t, r) {
			d, _ := ev["detail"].(map[string]any)
			ch, _ := d["change"].(map[string]any)
			incd, _ := d["incident"].(map[string]any)
			kind, _ := ch["kind"].(string)
			if kind == "created" {
				kind += ":" + fmt.Sprint(incd["id"])
			}
			if _, ok := want[kind]; ok {
				want[kind] = true
			}
		}
		for k, seen := range want {
			if !seen {
				return "no event of kind " + k + " yet"
			}
		}
		return ""
	})
}
