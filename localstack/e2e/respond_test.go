package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/muster-sec/muster/localstack/runner"
	"github.com/muster-sec/muster/shared/playbook"
	"github.com/muster-sec/muster/shared/resources"
)

// TestResponseRequestReachesSinkAndWebhook checks response requests
// through the local runner: a valid POST /incidents/{id}/respond produces one "Incident Response
// Requested" event in events.jsonl, and MUSTER_LOCAL_WEBHOOK receives every
// event the sink writes.
func TestResponseRequestReachesSinkAndWebhook(t *testing.T) {
	var mu sync.Mutex
	var posted []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var ev map[string]any
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Errorf("webhook body is not an event: %s", b)
		}
		mu.Lock()
		posted = append(posted, ev)
		mu.Unlock()
	}))
	defer hook.Close()
	r := startRunnerWith(t, runner.Options{Webhook: hook.URL})

	now := time.Now().UTC().Truncate(time.Second)
	res := map[string]any{"id": "i-0123456789abcdef0", "type": "AwsEc2Instance", "name": "respond-1"}
	body, _ := json.Marshal([]map[string]any{
		{"id": "resp-1", "type": "Access.SSHBruteForce", "severity": "Low", "tactics": []string{"InitialAccess"}, "resources": []any{res}, "firstSeen": now.Add(-time.Hour).Format(time.RFC3339)},
		{"id": "resp-2", "type": "Backdoor.C2", "severity": "High", "tactics": []string{"CommandAndControl"}, "resources": []any{res}, "firstSeen": now.Format(time.RFC3339)},
	})
	if status, raw := call(t, r, http.MethodPost, "/webhooks/generic", body, nil); status != http.StatusAccepted {
		t.Fatalf("POST /webhooks/generic: %d %s", status, raw)
	}
	inc := onlyIncident(t, r, 0, 30*time.Second)

	req, _ := json.Marshal(map[string]any{"playbook": playbook.IsolateInstance, "parameters": map[string]any{"instanceId": "i-0123456789abcdef0"}})
	if status, raw := call(t, r, http.MethodPost, "/incidents/"+inc.ID+"/respond", req, nil); status < 200 || status > 299 {
		t.Fatalf("POST /incidents/%s/respond: %d %s", inc.ID, status, raw)
	}
	isRequest := func(ev map[string]any) bool {
		if ev["source"] != resources.EventSource || ev["detail-type"] != "Incident Response Requested" {
			return false
		}
		d, _ := ev["detail"].(map[string]any)
		i, _ := d["incident"].(map[string]any)
		return d["playbook"] == playbook.IsolateInstance && i["id"] == inc.ID
	}
	eventually(t, 30*time.Second, func() string {
		n := 0
		for _, ev := range sinkEvents(t, r) {
			if isRequest(ev) {
				n++
			}
		}
		if n != 1 {
			return fmt.Sprintf("%d Incident Response Requested events in events.jsonl", n)
		}
		return ""
	})
	eventually(t, 30*time.Second, func() string {
		mu.Lock()
		defer mu.Unlock()
		created, requested := 0, 0
		for _, ev := range posted {
			if ev["detail-type"] == "Incident Created" {
				created++
			}
			if isRequest(ev) {
				requested++
			}
		}
		if created != 1 || requested != 1 {
			return fmt.Sprintf("webhook got %d Incident Created and %d Incident Response Requested events", created, requested)
		}
		return ""
	})
}
