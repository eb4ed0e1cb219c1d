package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/muster-sec/muster/localstack/runner"
	"github.com/muster-sec/muster/localstack/sink"
	"github.com/muster-sec/muster/shared/apiclient"
	"github.com/muster-sec/muster/shared/mototest"
)

func TestMain(m *testing.M) {
	code := mototest.Main(m)
	if buildDir != "" {
		_ = os.RemoveAll(buildDir) // the muster-local binary built by the process tests
	}
	os.Exit(code)
}

const token = "e2e-dev-token"

// repoRoot is the module root (tests run in localstack/e2e).
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// startRunner runs the local stack in-process on the shared moto server,
// with its own table, bus and queue and a free API port.
func startRunner(t *testing.T, env map[string]string) *runner.Runner {
	t.Helper()
	return startRunnerWith(t, runner.Options{Env: env})
}

// startRunnerWith is startRunner with more options (Webhook, Table, Dir,
// Correlator, …).
func startRunnerWith(t *testing.T, opts runner.Options) *runner.Runner {
	t.Helper()
	srv := mototest.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if opts.Table == "" {
		opts.Table = mototest.UniqueName("muster")
	}
	if opts.Dir == "" {
		opts.Dir = filepath.Join(t.TempDir(), ".muster")
	}
	r, err := runner.Start(ctx, runner.Options{
		Webhook:    opts.Webhook,
		Endpoint:   srv.Endpoint,
		Addr:       "127.0.0.1:0",
		Dir:        opts.Dir,
		Token:      token,
		Table:      opts.Table,
		Bus:        mototest.UniqueName("muster"),
		Queue:      mototest.UniqueName("muster-local-events"),
		Env:        opts.Env,
		Correlator: opts.Correlator,
	})
	if err != nil {
		t.Fatalf("start runner: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("close runner: %v", err)
		}
	})
	return r
}

// call sends a request with the dev token and decodes a JSON answer into
// out (when non-nil). It returns the status and the raw body.
func call(t *testing.T, r *runner.Runner, method, path string, body []byte, out any) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, r.URL()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, raw
}

// eventually polls cond until it returns "" or the deadline passes; the
// last reason is the failure message. The deadline bounds the wait, it is
// not what the test asserts.
func eventually(t *testing.T, within time.Duration, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		reason := cond()
		if reason == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not reached within %s: %s", within, reason)
		}
		<-tick.C
	}
}

// incidentView is the part of an incident the tests check.
type incidentView struct {
	ID            string    `json:"id"`
	Title         string    `json:"title"`
	Severity      string    `json:"severity"`
	Status        string    `json:"status"`
	Tactics       []string  `json:"tactics"`
	AlertCount    int       `json:"alertCount"`
	MultiResource bool      `json:"multiResource"`
	Version       int64     `json:"version"`
	FirstActivity time.Time `json:"firstActivity"`
	Resources     []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"resources"`
}

// onlyIncident waits, up to within, until the stack holds exactly one
// incident, with alerts alerts (any number when alerts is 0), and returns it.
func onlyIncident(t *testing.T, r *runner.Runner, alerts int, within time.Duration) incidentView {
	t.Helper()
	var inc incidentView
	eventually(t, within, func() string {
		list, reason := incidents(t, r)
		if reason != "" {
			return reason
		}
		if len(list) != 1 || (alerts > 0 && list[0].AlertCount != alerts) {
			return fmt.Sprintf("incidents %+v, want one with %d alerts", list, alerts)
		}
		inc = list[0]
		return ""
	})
	return inc
}

// incidents lists every incident (following cursors); the reason is not
// empty when the API did not answer.
func incidents(t *testing.T, r *runner.Runner) ([]incidentView, string) {
	t.Helper()
	c := &apiclient.Client{BaseURL: r.URL(), Token: token}
	var all []incidentView
	for p, err := range c.Pages(context.Background(), "/incidents", url.Values{"limit": {"200"}}) {
		if err != nil {
			return nil, "GET /incidents: " + err.Error()
		}
		for _, raw := range p.Items {
			var inc incidentView
			if err := json.Unmarshal(raw, &inc); err != nil {
				t.Fatalf("GET /incidents: decode %s: %v", raw, err)
			}
			all = append(all, inc)
		}
	}
	return all, ""
}

// sinkEvents reads the sink's events file.
func sinkEvents(t *testing.T, r *runner.Runner) []map[string]any {
	t.Helper()
	out, err := sink.ReadEvents(r.EventsFile())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// webhookResult is the ingest answer.
type webhookResult struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Suppressed int `json:"suppressed"`
	Rejected   int `json:"rejected"`
	Results    []struct {
		Index   int    `json:"index"`
		Status  string `json:"status"`
		AlertID string `json:"alertId"`
	} `json:"results"`
}
