package e2e

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// TestSuppressSimilarThroughThePipeline: a rule made with "suppress similar
// alerts" on an incident reaches ingest through the table: the next
// matching alert is stored Dismissed with suppressedBy and joins no
// incident, while an alert the rule does not match still grows the
// incident.
func TestSuppressSimilarThroughThePipeline(t *testing.T) {
	r := startRunner(t, nil)
	now := time.Now().UTC().Truncate(time.Second)
	resource := map[string]any{"id": "i-0a1b2c3d4e5f6a7b8", "type": "AwsEc2Instance", "name": "suppress-1", "region": "us-east-1", "account": "123456789012"}
	alertOf := func(id, typ, name, tactic string, ago time.Duration) map[string]any {
		return map[string]any{"id": id, "type": typ, "name": name, "severity": "Medium", "tactics": []string{tactic},
			"resources": []any{resource}, "firstSeen": now.Add(-ago).Format(time.RFC3339)}
	}
	postAlerts := func(alerts ...map[string]any) webhookResult {
		t.Helper()
		body, _ := json.Marshal(alerts)
		var res webhookResult
		if status, raw := call(t, r, http.MethodPost, "/webhooks/generic", body, &res); status != http.StatusAccepted {
			t.Fatalf("POST /webhooks/generic: %d %s", status, raw)
		}
		return res
	}
	first := postAlerts(
		alertOf("sup-1", "Access.SSHLogin", "SSH login from a scanner on suppress-1", "InitialAccess", 30*time.Minute),
		alertOf("sup-2", "Execution.Shell", "Shell spawned on suppress-1", "Execution", 20*time.Minute),
	)
	if first.Accepted != 2 {
		t.Fatalf("accepted %d of 2", first.Accepted)
	}
	scanID := first.Results[0].AlertID
	incidentWith := func(alertCount int) incidentView {
		t.Helper()
		return onlyIncident(t, r, alertCount, 30*time.Second)
	}
	inc := incidentWith(2)

	// Suppress alerts similar to the scanner's login (its type on its resource).
	var created struct {
		Rule struct {
			ID string `json:"id"`
		} `json:"rule"`
	}
	body, _ := json.Marshal(map[string]any{"alertId": scanID, "reason": "authorised scanner"})
	if status, raw := call(t, r, http.MethodPost, "/incidents/"+inc.ID+"/suppress", body, &created); status != http.StatusCreated || created.Rule.ID == "" {
		t.Fatalf("POST suppress: %d %s", status, raw)
	}

	// The same login again is suppressed at ingest; a new kind of alert on
	// the resource is not.
	second := postAlerts(
		alertOf("sup-3", "Access.SSHLogin", "SSH login from a scanner on suppress-1", "InitialAccess", 10*time.Minute),
		alertOf("sup-4", "Exfiltration.S3", "Data copied out from suppress-1", "Exfiltration", 5*time.Minute),
	)
	if second.Suppressed != 1 || second.Accepted != 1 {
		t.Fatalf("second POST: accepted %d, suppressed %d; want 1 and 1 (%+v)", second.Accepted, second.Suppressed, second.Results)
	}
	suppressedID := second.Results[0].AlertID
	var a struct {
		Status       string `json:"status"`
		SuppressedBy string `json:"suppressedBy"`
		IncidentID   string `json:"incidentId"`
	}
	if status, raw := call(t, r, http.MethodGet, "/alerts/"+suppressedID, nil, &a); status != http.StatusOK {
		t.Fatalf("GET /alerts/%s: %d %s", suppressedID, status, raw)
	}
	if a.Status != "Dismissed" || a.SuppressedBy != created.Rule.ID {
		t.Errorf("suppressed alert: status %q, suppressedBy %q; want Dismissed, %s", a.Status, a.SuppressedBy, created.Rule.ID)
	}

	// The incident grows by the unmatched alert only.
	inc = incidentWith(3)
	var members struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if status, raw := call(t, r, http.MethodGet, "/incidents/"+inc.ID+"/alerts?limit=200", nil, &members); status != http.StatusOK {
		t.Fatalf("GET incident alerts: %d %s", status, raw)
	}
	if len(members.Items) != 3 {
		t.Fatalf("incident lists %d alerts, want 3", len(members.Items))
	}
	for _, m := range members.Items {
		if m.ID == suppressedID {
			t.Errorf("the suppressed alert %s joined incident %s", suppressedID, inc.ID)
		}
	}
	if status, _ := call(t, r, http.MethodGet, "/alerts/"+suppressedID, nil, &a); status != http.StatusOK || a.IncidentID != "" {
		t.Errorf("suppressed alert has incidentId %q, want none", a.IncidentID)
	}
}
