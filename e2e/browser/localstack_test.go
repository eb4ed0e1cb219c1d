package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
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

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

// multiTitle is the title the correlator gives an incident over several
// resources; the scenario's second instance produces one.
const multiTitle = "Security incident detected on multiple resources"

// TestConsoleLocalStack is the console's acceptance test: the real local
// stack (moto, the four handlers, stream pollers, the event sink) in this
// process, the scenario's sample alerts posted to it, and the analyst
// workflow driven in Chromium.
func TestConsoleLocalStack(t *testing.T) {
	_, _, dir := browserEnv(t)
	srv := mototest.Get(t)
	root := repoRoot(dir)
	stateDir := t.TempDir()
	logPath := filepath.Join(root, ".muster", "browser-test-stack.log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	// The handlers log through slog's default logger: keep the test's
	// output to the browser steps.
	stackLog := slog.New(slog.NewJSONHandler(logFile, nil))
	prev := slog.Default()
	slog.SetDefault(stackLog)
	defer slog.SetDefault(prev)
	const token = "browser-test-token"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	r, err := runner.Start(ctx, runner.Options{
		Endpoint: srv.Endpoint,
		Addr:     "127.0.0.1:0",
		Dir:      stateDir,
		Token:    token,
		Table:    mototest.UniqueName("console"),
		Bus:      mototest.UniqueName("console"),
		Queue:    mototest.UniqueName("console"),
		Logger:   stackLog,
	})
	if err != nil {
		t.Fatalf("start the local stack: %v (log: %s)", err, logPath)
	}
	defer func() {
		if err := r.Close(); err != nil {
			t.Errorf("stop the local stack: %v", err)
		}
	}()
	base := r.URL()
	postScenario(t, root, base, token)
	waitForIncident(ctx, t, base, token)
	runConsoleScript(t, "local-stack", map[string]string{
		"MUSTER_CONSOLE_URL": base + "/",
		"MUSTER_TOKEN":       token,
		"MUSTER_EVENTS_FILE": r.EventsFile(),
	})
	if !t.Failed() {
		runScript(t, "corrections-live.mjs", "corrections-local-stack", map[string]string{
			"MUSTER_CONSOLE_URL": base + "/",
			"MUSTER_TOKEN":       token,
		})
	}
	if t.Failed() {
		t.Logf("stack log: %s", logPath)
	}
}

// postScenario posts every sample of events/samples/scenario/manifest.json.
func postScenario(t *testing.T, root, base, token string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "events", "samples", "scenario", "manifest.json"))
	if err != nil {
		t.Fatalf("read the scenario manifest: %v", err)
	}
	var manifest []struct{ Provider, File, Role string }
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatalf("decode the scenario manifest: %v", err)
	}
	for _, m := range manifest {
		body, err := os.ReadFile(filepath.Join(root, m.File))
		if err != nil {
			t.Fatalf("read %s: %v", m.File, err)
		}
		status, resp := call(t, http.MethodPost, base+"/webhooks/"+m.Provider, token, body)
		if status != http.StatusAccepted {
			t.Fatalf("POST /webhooks/%s with %s: %d %s", m.Provider, m.File, status, resp)
		}
	}
}

// waitForIncident polls the API until the correlator has made the
// multi-resource incident (the pipeline is asynchronous: stream polling).
func waitForIncident(ctx context.Context, t *testing.T, base, token string) {
	t.Helper()
	q := url.Values{"kind": {"incident"}, "name": {multiTitle}}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(60 * time.Second)
	for {
		status, body := call(t, http.MethodGet, base+"/alerts?"+q.Encode(), token, nil)
		var page struct{ Items []json.RawMessage }
		if status == http.StatusOK && json.Unmarshal(body, &page) == nil && len(page.Items) > 0 {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("no %q incident after 60s; last answer %d %s", multiTitle, status, body)
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
}

func call(t *testing.T, method, u, token string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(fmt.Errorf("read %s %s: %w", method, u, err))
	}
	return resp.StatusCode, b
}
