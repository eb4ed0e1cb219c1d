package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/resources"
)

// TestThinSlice is the smallest whole path through Muster: two generic
// alerts on one resource with two different tactics → one incident
// holding both → an "Incident Created" event from source muster in
// events.jsonl.
func TestThinSlice(t *testing.T) {
	r := startRunner(t, nil)
	now := time.Now().UTC().Truncate(time.Second)
	resource := map[string]any{"id": "i-0fedcba9876543210", "type": "AwsEc2Instance", "name": "thin-slice-1", "region": "us-east-1", "account": "123456789012"}
	alerts := []map[string]any{
		{
			"id": "thin-1", "type": "SSH.BruteForce", "name": "SSH brute force against thin-slice-1", "severity": "medium",
			"tactics": []string{"InitialAccess"}, "resources": []any{resource},
			"firstSeen": now.Add(-10 * time.Minute).Format(time.RFC3339),
		},
		{
			"id": "thin-2", "type": "Exfiltration.S3", "name": "Data copied out from thin-slice-1", "severity": "High",
			"tactics": []string{"TA0010"}, "resources": []any{resource},
			"firstSeen": now.Add(-5 * time.Minute).Format(time.RFC3339),
		},
	}
	body, _ := json.Marshal(alerts)
	var res webhookResult
	status, raw := call(t, r, http.MethodPost, "/webhooks/generic", body, &res)
	if status != http.StatusAccepted || res.Accepted != 2 {
		t.Fatalf("POST /webhooks/generic: %d %s", status, raw)
	}
	var ids []string
	for _, it := range res.Results {
		ids = append(ids, it.AlertID)
	}

	inc := onlyIncident(t, r, 2, 30*time.Second)
	if want := "Security incident detected on thin-slice-1"; inc.Title != want {
		t.Errorf("title = %q, want %q", inc.Title, want)
	}
	if !slices.Equal(inc.Tactics, []string{"InitialAccess", "Exfiltration"}) {
		t.Errorf("tactics = %v, want [InitialAccess Exfiltration] in kill-chain order", inc.Tactics)
	}

	// Both alerts point at the incident.
	for _, id := range ids {
		var a struct {
			IncidentID string `json:"incidentId"`
		}
		if status, raw := call(t, r, http.MethodGet, "/alerts/"+id, nil, &a); status != http.StatusOK || a.IncidentID != inc.ID {
			t.Errorf("GET /alerts/%s: %d %s, want incidentId %s", id, status, raw, inc.ID)
		}
	}

	eventually(t, 30*time.Second, func() string {
		evs := sinkEvents(t, r)
		for _, ev := range evs {
			if ev["source"] != resources.EventSource || ev["detail-type"] != "Incident Created" {
				continue
			}
			detail, _ := ev["detail"].(map[string]any)
			incident, _ := detail["incident"].(map[string]any)
			if incident["id"] == inc.ID {
				return ""
			}
		}
		return fmt.Sprintf("no Incident Created event for %s in %d events", inc.ID, len(evs))
	})
	if n := countType(sinkEvents(t, r), "Incident Created"); n != 1 {
		t.Errorf("%d Incident Created events, want exactly 1", n)
	}
}

func countType(evs []map[string]any, detailType string) int {
	n := 0
	for _, ev := range evs {
		if ev["detail-type"] == detailType {
			n++
		}
	}
	return n
}
