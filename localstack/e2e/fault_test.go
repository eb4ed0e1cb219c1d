package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	correlator "github.com/muster-sec/muster/functions/correlator/handler"
	"github.com/muster-sec/muster/localstack/runner"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/storetest"
)

// TestStoreOutageLosesNoAlert runs the local stack with a correlator whose
// store fails its first calls — more than five retries of the first batch
// (the budget that used to dead-letter about 5% of a burst) — and checks
// that every alert ends in exactly one incident and nothing is parked.
func TestStoreOutageLosesNoAlert(t *testing.T) {
	srv := mototest.Get(t)
	table := mototest.UniqueName("muster")
	st := &storetest.Outage{Store: dynamostore.New(dynamodb.NewFromConfig(srv.Config()), table, dynamostore.Options{})}
	st.N.Store(9)
	h, err := correlator.New(st, correlate.DefaultConfig(), correlator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := startRunnerWith(t, runner.Options{Table: table, Correlator: h})

	// Ten resources, three alerts each over three stages: ten incidents.
	now := time.Now().UTC().Truncate(time.Second)
	var alerts []map[string]any
	for i := range 10 {
		res := map[string]any{"id": fmt.Sprintf("i-%017d", i), "name": fmt.Sprintf("outage-%d", i)}
		for j, tactic := range []string{"InitialAccess", "Execution", "Exfiltration"} {
			alerts = append(alerts, map[string]any{"id": fmt.Sprintf("outage-%d-%d", i, j), "type": "Test." + tactic,
				"severity": "High", "tactics": []string{tactic}, "resources": []any{res},
				"firstSeen": now.Add(time.Duration(j-10) * time.Minute).Format(time.RFC3339)})
		}
	}
	body, _ := json.Marshal(alerts)
	var res webhookResult
	if status, raw := call(t, r, http.MethodPost, "/webhooks/generic", body, &res); status != http.StatusAccepted || res.Accepted != len(alerts) {
		t.Fatalf("POST /webhooks/generic: %d %s", status, raw)
	}

	var list []incidentView
	eventually(t, 2*time.Minute, func() string {
		if _, err := os.Stat(r.DeadLetterDir() + "/correlator.jsonl"); err == nil {
			t.Fatal("correlator records were parked in the dead-letter file")
		}
		var reason string
		if list, reason = incidents(t, r); reason != "" {
			return reason
		}
		sum := 0
		for _, inc := range list {
			sum += inc.AlertCount
		}
		if len(list) != 10 || sum != len(alerts) {
			return fmt.Sprintf("%d incidents holding %d alerts, want 10 holding %d (store calls so far %d)", len(list), sum, len(alerts), st.Calls.Load())
		}
		return ""
	})
	if st.Calls.Load() <= st.N.Load() {
		t.Fatalf("the outage never happened: %d store calls", st.Calls.Load())
	}
	if r.Stats()["correlator"].Retries < 6 {
		t.Errorf("retries = %d, want more than five (the outage outlasts five)", r.Stats()["correlator"].Retries)
	}
	if _, err := os.Stat(r.DeadLetterDir() + "/correlator.jsonl"); !os.IsNotExist(err) {
		t.Fatalf("correlator dead letters exist (%v): records were parked", err)
	}
	in := map[string]int{}
	for _, inc := range list {
		var page struct {
			Items []struct {
				ID         string `json:"id"`
				SourceID   string `json:"sourceId"`
				IncidentID string `json:"incidentId"`
			} `json:"items"`
		}
		if status, raw := call(t, r, http.MethodGet, "/incidents/"+inc.ID+"/alerts?limit=100", nil, &page); status != http.StatusOK {
			t.Fatalf("GET alerts of %s: %d %s", inc.ID, status, raw)
		}
		for _, a := range page.Items {
			in[a.SourceID]++
			if a.IncidentID != inc.ID {
				t.Errorf("alert %s names incident %q, listed in %s", a.SourceID, a.IncidentID, inc.ID)
			}
		}
	}
	for _, a := range alerts {
		if n := in[a["id"].(string)]; n != 1 {
			t.Errorf("alert %s is in %d incidents, want exactly 1", a["id"], n)
		}
	}
}
