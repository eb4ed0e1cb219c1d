package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/muster-sec/muster/localstack/runner"
)

// TestInvestigation runs the scenario's campaign and its second instance
// through the local stack, then investigates: the attacker IP's entity page
// lists both instances and the incident; the incident's related list
// answers; the metrics count what was posted.
func TestInvestigation(t *testing.T) {
	r := startRunner(t, nil)
	send := func(path string, body []byte) (int, []byte, webhookResult) {
		var res webhookResult
		status, raw := call(t, r, http.MethodPost, path, body, &res)
		return status, raw, res
	}
	posted := 0
	for _, e := range loadManifest(t) {
		if e.Role == "campaign" || e.Role == "second-instance" {
			posted += len(post(t, e, send))
		}
	}
	var inc struct {
		incidentView
		Entities []struct {
			Type   string `json:"type"`
			Value  string `json:"value"`
			Public bool   `json:"public"`
		} `json:"entities"`
	}
	eventually(t, 60*time.Second, func() string {
		list, reason := incidents(t, r)
		if reason != "" {
			return reason
		}
		if len(list) != 1 || !list[0].MultiResource {
			return fmt.Sprintf("incidents %+v, want one over several resources", list)
		}
		if status, raw := call(t, r, http.MethodGet, "/incidents/"+list[0].ID, nil, &inc); status != http.StatusOK {
			return fmt.Sprintf("GET the incident: %d %s", status, raw)
		}
		return ""
	})
	var ip string
	for _, e := range inc.Entities {
		if e.Type == "ip" && e.Public {
			ip = e.Value
		}
	}
	if ip == "" {
		t.Fatalf("the incident names no public IP: %+v", inc.Entities)
	}

	var ent struct {
		Key        string   `json:"key"`
		AlertCount int      `json:"alertCount"`
		Resources  []string `json:"resources"`
		Incidents  []struct {
			ID string `json:"id"`
		} `json:"incidents"`
	}
	if status, raw := call(t, r, http.MethodGet, "/entities/ip/"+url.PathEscape(ip), nil, &ent); status != http.StatusOK {
		t.Fatalf("GET /entities/ip/%s: %d %s", ip, status, raw)
	}
	for _, res := range inc.Resources {
		if !slices.Contains(ent.Resources, res.ID) {
			t.Errorf("the attacker IP's page lists resources %v, lacking the incident's %s", ent.Resources, res.ID)
		}
	}
	if len(inc.Resources) < 2 || !slices.ContainsFunc(ent.Incidents, func(i struct {
		ID string `json:"id"`
	}) bool {
		return i.ID == inc.ID
	}) {
		t.Errorf("IP %s: incidents %+v, want %s over %d resources", ip, ent.Incidents, inc.ID, len(inc.Resources))
	}

	var rel struct {
		ID   string   `json:"id"`
		Keys []string `json:"keys"`
	}
	if status, raw := call(t, r, http.MethodGet, "/incidents/"+inc.ID+"/related", nil, &rel); status != http.StatusOK || rel.ID != inc.ID || !slices.Contains(rel.Keys, "ip:"+ip) {
		t.Errorf("GET related: %d %s", status, raw)
	}

	// The metrics count the posted alerts at ingest and the incident once
	// the responder has seen it.
	eventually(t, 60*time.Second, func() string {
		var m struct {
			Total struct {
				Alerts     int `json:"alerts"`
				Created    int `json:"created"`
				Correlated int `json:"correlated"`
			} `json:"total"`
		}
		if status, raw := call(t, r, http.MethodGet, "/metrics?since=1d", nil, &m); status != http.StatusOK {
			return fmt.Sprintf("GET /metrics: %d %s", status, raw)
		}
		if m.Total.Created != 1 || m.Total.Alerts == 0 || m.Total.Alerts > posted || m.Total.Correlated != inc.AlertCount {
			return fmt.Sprintf("metrics %+v; want 1 incident, 1..%d alerts, %d correlated", m.Total, posted, inc.AlertCount)
		}
		return ""
	})

	repeatAttack(t, r, inc.ID, inc.Resources[0].ID, inc.FirstActivity)
	assignAndResolve(t, r, inc.ID)
}

// repeatAttack posts a second, separate attack on the incident's first
// resource three days before it (outside the correlation window): a second
// incident, which lists the first as related through the resource.
func repeatAttack(t *testing.T, r *runner.Runner, firstID, resource string, firstActivity time.Time) {
	t.Helper()
	at := firstActivity.Add(-72 * time.Hour)
	alert := func(id, tactic string, after time.Duration) map[string]any {
		return map[string]any{"id": id, "type": "Repeat." + tactic, "severity": "High", "tactics": []string{tactic},
			"resources": []any{map[string]any{"id": resource}}, "firstSeen": at.Add(after).Format(time.RFC3339)}
	}
	body, _ := json.Marshal([]map[string]any{alert("repeat-1", "InitialAccess", 0), alert("repeat-2", "Execution", 10*time.Minute)})
	if status, raw := call(t, r, http.MethodPost, "/webhooks/generic", body, nil); status != http.StatusAccepted {
		t.Fatalf("POST the repeat attack: %d %s", status, raw)
	}
	eventually(t, 60*time.Second, func() string {
		list, reason := incidents(t, r)
		if reason != "" {
			return reason
		}
		for _, other := range list {
			if other.ID == firstID {
				continue
			}
			var rel struct {
				Items []struct {
					ID string `json:"id"`
				} `json:"items"`
			}
			if status, raw := call(t, r, http.MethodGet, "/incidents/"+other.ID+"/related", nil, &rel); status != http.StatusOK {
				return fmt.Sprintf("GET related: %d %s", status, raw)
			}
			for _, it := range rel.Items {
				if it.ID == firstID {
					return ""
				}
			}
			return fmt.Sprintf("the repeat attack %s lists related %+v, not %s", other.ID, rel.Items, firstID)
		}
		return fmt.Sprintf("%d incidents, want the repeat attack's too", len(list))
	})
}

// assignAndResolve gives the incident an owner, then resolves it: the
// metrics then time one acknowledgement and one resolution.
func assignAndResolve(t *testing.T, r *runner.Runner, id string) {
	t.Helper()
	var inc incidentView
	for _, change := range []map[string]any{{"owner": "alice"}, {"status": "Resolved", "classification": "TruePositive"}} {
		if status, raw := call(t, r, http.MethodGet, "/incidents/"+id, nil, &inc); status != http.StatusOK {
			t.Fatalf("GET incident: %d %s", status, raw)
		}
		if status, raw := callIfMatch(t, r, http.MethodPatch, "/incidents/"+id, change, inc.Version, nil); status != http.StatusOK {
			t.Fatalf("PATCH %v: %d %s", change, status, raw)
		}
	}
	eventually(t, 60*time.Second, func() string {
		var m struct {
			Total struct {
				MTTA struct{ Count int } `json:"mtta"`
				MTTR struct{ Count int } `json:"mttr"`
			} `json:"total"`
		}
		if status, raw := call(t, r, http.MethodGet, "/metrics?since=1d", nil, &m); status != http.StatusOK {
			return fmt.Sprintf("GET /metrics: %d %s", status, raw)
		}
		if m.Total.MTTA.Count != 1 || m.Total.MTTR.Count != 1 {
			return fmt.Sprintf("mtta %d, mttr %d timed; want 1 each", m.Total.MTTA.Count, m.Total.MTTR.Count)
		}
		return ""
	})
}
