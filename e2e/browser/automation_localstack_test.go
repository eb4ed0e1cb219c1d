package browser

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/muster-sec/muster/localstack/runner"
	"github.com/muster-sec/muster/shared/mototest"
)

// TestAutomationLocalStack drives automation-live.mjs on the real local
// stack: a rule made in the console before any alert arrives, then the
// scenario's alerts, then the rule's hit and its tag on the new incident.
func TestAutomationLocalStack(t *testing.T) {
	_, _, dir := browserEnv(t)
	root := repoRoot(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	const token = "browser-automation-token"
	base := startStack(ctx, t, root, "automation", token)
	env := map[string]string{"MUSTER_CONSOLE_URL": base + "/", "MUSTER_TOKEN": token, "MUSTER_PHASE": "create"}
	runScript(t, "automation-live.mjs", "automation-local-stack", env)
	if t.Failed() {
		return
	}
	postScenario(t, root, base, token)
	waitForIncident(ctx, t, base, token)
	env["MUSTER_PHASE"], env["MUSTER_INCIDENT_ID"] = "check", incidentID(t, base, token)
	runScript(t, "automation-live.mjs", "automation-local-stack", env)
}

// startStack runs the local stack (moto, the four handlers, the stream
// pollers) in this process until the test ends, logging to
// .muster/browser-test-<name>.log; it returns the API's base URL.
func startStack(ctx context.Context, t *testing.T, root, name, token string) string {
	t.Helper()
	srv := mototest.Get(t)
	logPath := filepath.Join(root, ".muster", "browser-test-"+name+".log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = logFile.Close() })
	stackLog := slog.New(slog.NewJSONHandler(logFile, nil))
	prev := slog.Default()
	slog.SetDefault(stackLog)
	t.Cleanup(func() { slog.SetDefault(prev) })
	r, err := runner.Start(ctx, runner.Options{
		Endpoint: srv.Endpoint, Addr: "127.0.0.1:0", Dir: t.TempDir(), Token: token,
		Table: mototest.UniqueName(name), Bus: mototest.UniqueName(name), Queue: mototest.UniqueName(name),
		Logger: stackLog,
	})
	if err != nil {
		t.Fatalf("start the local stack: %v (log: %s)", err, logPath)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("stop the local stack: %v", err)
		}
		if t.Failed() {
			t.Logf("stack log: %s", logPath)
		}
	})
	return r.URL()
}

// incidentID is the id of the scenario's multi-resource incident.
func incidentID(t *testing.T, base, token string) string {
	t.Helper()
	q := url.Values{"kind": {"incident"}, "name": {multiTitle}}
	status, body := call(t, http.MethodGet, base+"/alerts?"+q.Encode(), token, nil)
	var page struct{ Items []struct{ ID string } }
	if status != http.StatusOK || json.Unmarshal(body, &page) != nil || len(page.Items) == 0 {
		t.Fatalf("GET /alerts for the incident: %d %s", status, body)
	}
	return page.Items[0].ID
}
