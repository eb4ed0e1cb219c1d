package normalize

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
)

// TestWriteBackEchoKeepsStatus: a Security Hub finding delivered back with
// the workflow status and note Muster wrote (a write-back's echo) keeps
// the stored alert's status, even when it is newer; the same status set
// by someone else is the source's word and is taken.
func TestWriteBackEchoKeepsStatus(t *testing.T) {
	body, err := os.ReadFile("../../events/samples/securityhub/guardduty-ssh-brute-force.json")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	parse := func(t *testing.T, noteBy, workflow string, updated time.Time) alert.Alert {
		t.Helper()
		var ev map[string]any
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Fatal(err)
		}
		f := ev["detail"].(map[string]any)["findings"].([]any)[0].(map[string]any)
		f["Workflow"] = map[string]any{"Status": workflow}
		f["UpdatedAt"] = updated.Format(time.RFC3339)
		if noteBy != "" {
			f["Note"] = map[string]any{"Text": `Muster incident inc-1 "Security incident detected on i-0abc" was resolved by alice. https://muster.example.com/#/incidents/inc-1`,
				"UpdatedBy": noteBy, "UpdatedAt": updated.Format(time.RFC3339)}
		}
		b, _ := json.Marshal(ev)
		res, err := Parse(alert.ProviderSecurityHub, b, t0)
		if err != nil || len(res) != 1 || res[0].Err != nil {
			t.Fatalf("parse: %v %+v", err, res)
		}
		return *res[0].Alert
	}
	stored := parse(t, "", "NEW", t0)
	tests := []struct {
		name     string
		noteBy   string
		workflow string
		want     alert.Status
	}{
		{"Muster's own RESOLVED comes back", "muster", "RESOLVED", alert.StatusActive},
		{"RESOLVED by an analyst in Security Hub", "analyst", "RESOLVED", alert.StatusResolved},
		{"RESOLVED with no note", "", "RESOLVED", alert.StatusResolved},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := parse(t, tc.noteBy, tc.workflow, t0.Add(time.Hour))
			if in.StatusEcho != (tc.noteBy == "muster") {
				t.Errorf("StatusEcho = %v", in.StatusEcho)
			}
			m, _ := Merge(stored, in)
			if m.Status != tc.want {
				t.Errorf("merged status %s, want %s", m.Status, tc.want)
			}
		})
	}
}
