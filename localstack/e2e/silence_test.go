package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/localstack/runner"
	"github.com/muster-sec/muster/shared/silence"
)

// amSilence is one silence as Alertmanager's GET /api/v2/silences shows it.
type amSilence struct {
	ID        string            `json:"id"`
	Matchers  []silence.Matcher `json:"matchers"`
	CreatedBy string            `json:"createdBy"`
	Comment   string            `json:"comment"`
	EndsAt    time.Time         `json:"endsAt"`
	Status    struct {
		State string `json:"state"`
	} `json:"status"`
}

// amSilenceByID reads Alertmanager's silences and returns the one with id.
func amSilenceByID(t *testing.T, base, id string) (amSilence, bool) {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/silences")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []amSilence
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatalf("decode silences: %v", err)
	}
	for _, s := range list {
		if s.ID == id {
			return s, true
		}
	}
	return amSilence{}, false
}

// TestAlertmanagerSilenceWriteBack: with MUSTER_ALERTMANAGER_URL set, a
// "suppress similar" rule made from an Alertmanager alert becomes an active
// silence in a real Alertmanager (alertname and instance matchers);
// deleting or disabling the rule expires the silence, enabling it again
// makes a new one, and a new expiry moves the silence's end.
func TestAlertmanagerSilenceWriteBack(t *testing.T) {
	// Muster's webhook is posted to directly below, so Alertmanager's own
	// receiver is never used.
	am := startAlertmanager(t, alertmanagerConfig("http://127.0.0.1:9/unused", token))
	r := startRunner(t, map[string]string{silence.EnvURL: am})
	inc, posted := postTwoStageAttack(t, r, "am-silence-1:9100")

	created := suppressFrom(t, r, inc.ID, posted.Results[0].AlertID)
	if created.Silence == nil || created.Silence.ID == "" {
		t.Fatalf("rule %+v carries no silence id (silence: %+v)", created, created.Silence)
	}
	s, ok := amSilenceByID(t, am, created.Silence.ID)
	if !ok || s.Status.State != "active" || s.CreatedBy != "muster" {
		t.Fatalf("silence %+v (found %v), want an active silence created by muster", s, ok)
	}
	want := map[string]string{"alertname": "SSHBruteForce", "instance": "am-silence-1:9100"}
	if len(s.Matchers) != len(want) {
		t.Errorf("matchers %+v, want %v", s.Matchers, want)
	}
	for _, m := range s.Matchers {
		if want[m.Name] != m.Value || !m.IsEqual || m.IsRegex {
			t.Errorf("matcher %+v, want equality matchers %v", m, want)
		}
	}

	// Deleting the rule expires the silence.
	if status, raw := call(t, r, http.MethodDelete, "/suppression-rules/"+created.ID, nil, nil); status != http.StatusNoContent {
		t.Fatalf("DELETE rule: %d %s", status, raw)
	}
	if s, ok := amSilenceByID(t, am, created.Silence.ID); !ok || s.Status.State != "expired" {
		t.Errorf("after the rule is deleted, silence %+v (found %v), want expired", s, ok)
	}

	// Disabling a rule expires its silence too, and the rule says so.
	second := suppressFrom(t, r, inc.ID, posted.Results[1].AlertID)
	if second.Silence == nil || second.Silence.ID == "" {
		t.Fatalf("second rule %+v carries no silence id", second)
	}
	var patched silencedRule
	if status, raw := callIfMatch(t, r, http.MethodPatch, "/suppression-rules/"+second.ID, map[string]any{"state": "Disabled"}, second.Version, &patched); status != http.StatusOK {
		t.Fatalf("PATCH rule: %d %s", status, raw)
	}
	if patched.Silence == nil || !patched.Silence.Expired || patched.Silence.Error != "" {
		t.Errorf("disabled rule's silence %+v, want expired without error", patched.Silence)
	}
	if s, ok := amSilenceByID(t, am, second.Silence.ID); !ok || s.Status.State != "expired" {
		t.Errorf("after the rule is disabled, silence %+v (found %v), want expired", s, ok)
	}

	// Enabling it again makes a new silence with the same matchers.
	var enabled silencedRule
	if status, raw := callIfMatch(t, r, http.MethodPatch, "/suppression-rules/"+second.ID, map[string]any{"state": "Enabled"}, patched.Version, &enabled); status != http.StatusOK {
		t.Fatalf("PATCH rule: %d %s", status, raw)
	}
	if enabled.Silence == nil || enabled.Silence.ID == "" || enabled.Silence.ID == second.Silence.ID || enabled.Silence.Expired {
		t.Fatalf("re-enabled rule's silence %+v, want a new active silence (old %s)", enabled.Silence, second.Silence.ID)
	}
	old, _ := amSilenceByID(t, am, second.Silence.ID)
	again, ok := amSilenceByID(t, am, enabled.Silence.ID)
	if !ok || again.Status.State != "active" || len(old.Matchers) == 0 || fmt.Sprint(again.Matchers) != fmt.Sprint(old.Matchers) {
		t.Errorf("after the rule is enabled again, silence %+v (found %v), want active with matchers %+v", again, ok, old.Matchers)
	}

	// Moving the rule's expiry moves the silence's end with it.
	expires := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Second)
	var moved silencedRule
	if status, raw := callIfMatch(t, r, http.MethodPatch, "/suppression-rules/"+second.ID, map[string]any{"expiresAt": expires}, enabled.Version, &moved); status != http.StatusOK {
		t.Fatalf("PATCH rule expiresAt: %d %s", status, raw)
	}
	if moved.Silence == nil || moved.Silence.ID == "" || moved.Silence.Error != "" {
		t.Fatalf("rule's silence after a new expiry %+v, want one standing without error", moved.Silence)
	}
	if got, ok := amSilenceByID(t, am, moved.Silence.ID); !ok || got.Status.State != "active" || !got.EndsAt.Equal(expires) {
		t.Errorf("silence after a new expiry %+v (found %v), want active until %s", got, ok, expires)
	}
}

// TestAlertmanagerSilenceFailureKeepsRule: when Alertmanager cannot be
// reached the rule is still created, and carries the error; once it can,
// the next change to the rule writes the silence.
func TestAlertmanagerSilenceFailureKeepsRule(t *testing.T) {
	port := freePort(t)
	r := startRunner(t, map[string]string{silence.EnvURL: fmt.Sprintf("http://127.0.0.1:%d", port),
		silence.EnvToken: "am-secret-token"})
	inc, posted := postTwoStageAttack(t, r, "am-silence-2:9100")
	incID := inc.ID
	rule := suppressFrom(t, r, incID, posted.Results[0].AlertID)
	if rule.Silence == nil || rule.Silence.ID != "" || rule.Silence.Error == "" {
		t.Fatalf("rule silence %+v, want an error and no id", rule.Silence)
	}
	if strings.Contains(rule.Silence.Error, "am-secret-token") {
		t.Errorf("the recorded error carries the credential: %s", rule.Silence.Error)
	}
	var got silencedRule
	if status, raw := call(t, r, http.MethodGet, "/suppression-rules/"+rule.ID, nil, &got); status != http.StatusOK || got.Silence == nil || got.Silence.Error == "" {
		t.Errorf("stored rule: %d %s", status, raw)
	}

	// Once Alertmanager answers, any change to the rule writes the silence.
	am := startAlertmanagerAt(t, alertmanagerConfig("http://127.0.0.1:9/unused", token), port)
	var retried silencedRule
	if status, raw := callIfMatch(t, r, http.MethodPatch, "/suppression-rules/"+rule.ID, map[string]any{"comment": "retry the silence"}, got.Version, &retried); status != http.StatusOK {
		t.Fatalf("PATCH rule: %d %s", status, raw)
	}
	if retried.Silence == nil || retried.Silence.ID == "" || retried.Silence.Error != "" {
		t.Fatalf("rule's silence after the retry %+v, want an id and no error", retried.Silence)
	}
	if s, ok := amSilenceByID(t, am, retried.Silence.ID); !ok || s.Status.State != "active" {
		t.Errorf("silence after the retry %+v (found %v), want active", s, ok)
	}
}

// silencedRule is the part of a suppression rule these tests read.
type silencedRule struct {
	ID      string `json:"id"`
	Version int64  `json:"version"`
	Silence *struct {
		ID      string `json:"id"`
		Expired bool   `json:"expired"`
		Error   string `json:"error"`
	} `json:"silence"`
}

// suppressFrom makes a "suppress similar" rule from one of the incident's
// alerts and returns it.
func suppressFrom(t *testing.T, r *runner.Runner, incidentID, alertID string) silencedRule {
	t.Helper()
	var created struct {
		Rule silencedRule `json:"rule"`
	}
	body, _ := json.Marshal(map[string]any{"alertId": alertID, "reason": "authorised scanner"})
	if status, raw := call(t, r, http.MethodPost, "/incidents/"+incidentID+"/suppress", body, &created); status != http.StatusCreated {
		t.Fatalf("POST suppress: %d %s", status, raw)
	}
	return created.Rule
}

// postTwoStageAttack posts an Alertmanager notification of two stages of
// an attack on instance and waits for their one incident.
func postTwoStageAttack(t *testing.T, r *runner.Runner, instance string) (incidentView, webhookResult) {
	t.Helper()
	now := time.Now().UTC()
	alertOf := func(name, tactic, severity string, ago time.Duration) map[string]any {
		return map[string]any{"status": "firing", "startsAt": now.Add(-ago).Format(time.RFC3339),
			"labels":      map[string]string{"alertname": name, "instance": instance, "severity": severity, "tactic": tactic, "job": "node"},
			"annotations": map[string]string{"summary": name + " on " + instance}}
	}
	body, _ := json.Marshal(map[string]any{"version": "4", "status": "firing", "receiver": "muster", "alerts": []any{
		alertOf("SSHBruteForce", "InitialAccess", "warning", 10*time.Minute),
		alertOf("ShellFromWebServer", "Execution", "critical", 5*time.Minute),
	}})
	var posted webhookResult
	if status, raw := call(t, r, http.MethodPost, "/webhooks/alertmanager", body, &posted); status != http.StatusAccepted || posted.Accepted != 2 {
		t.Fatalf("POST /webhooks/alertmanager: %d %s", status, raw)
	}
	inc := onlyIncident(t, r, 2, 60*time.Second)
	return inc, posted
}
