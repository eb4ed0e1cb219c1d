package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// alertmanagerVersion is the Prometheus Alertmanager the test runs: the
// newest whose module builds from the Go module proxy as it is.
const alertmanagerVersion = "v0.28.1"

// alertmanagerBinary builds Alertmanager once into the user cache and
// returns its path. The test skips only when the Go module proxy cannot
// be reached; any other build failure fails it.
func alertmanagerBinary(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "muster", "alertmanager-"+alertmanagerVersion)
	bin := filepath.Join(dir, "alertmanager")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "install", "github.com/prometheus/alertmanager/cmd/alertmanager@"+alertmanagerVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := string(out)
		for _, unreachable := range []string{"dial tcp", "no such host", "connection refused", "i/o timeout", "TLS handshake timeout"} {
			if strings.Contains(msg, unreachable) {
				t.Skipf("the Go module proxy is unreachable, so Alertmanager %s cannot be built: %s", alertmanagerVersion, firstLine(msg))
			}
		}
		t.Fatalf("build Alertmanager %s: %v\n%s", alertmanagerVersion, err, msg)
	}
	return bin
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// alertmanagerConfig is the receivers snippet docs/sources.md shows users,
// pointed at the local stack: group per instance, resolved notifications
// on, the ingest token as a bearer credential.
func alertmanagerConfig(webhook, token string) string {
	return `route:
  receiver: muster
  group_by: [instance]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: muster
    webhook_configs:
      - url: ` + webhook + `
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: ` + token + `
`
}

// startAlertmanager runs Alertmanager on a free loopback port until the
// test ends and returns its base URL.
func startAlertmanager(t *testing.T, config string) string {
	t.Helper()
	return startAlertmanagerAt(t, config, freePort(t))
}

// startAlertmanagerAt starts Alertmanager on the loopback port given.
func startAlertmanagerAt(t *testing.T, config string, port int) string {
	t.Helper()
	bin := alertmanagerBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("alertmanager log:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	eventually(t, 30*time.Second, func() string {
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return err.Error()
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return resp.Status
		}
		return ""
	})
	return base
}

// postToAlertmanager sends alerts to Alertmanager's own API, as Prometheus
// does.
func postToAlertmanager(t *testing.T, base string, alerts []map[string]any) {
	t.Helper()
	body, _ := json.Marshal(alerts)
	resp, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: %s", resp.Status)
	}
}

// TestRealAlertmanager: a real Alertmanager, given a two-stage attack on
// one instance, notifies the local stack, which opens an incident; when
// the alerts end, Alertmanager's resolved notification resolves the alerts
// and, through the lifecycle rule, the incident.
func TestRealAlertmanager(t *testing.T) {
	r := startRunner(t, nil)
	am := startAlertmanager(t, alertmanagerConfig(r.URL()+"/webhooks/alertmanager", token))
	now := time.Now().UTC()
	alerts := []map[string]any{
		{"labels": map[string]string{"alertname": "SSHBruteForce", "instance": "am-web-1:9100", "severity": "warning", "tactic": "InitialAccess"},
			"annotations": map[string]string{"summary": "SSH brute force against am-web-1"}, "startsAt": now.Add(-10 * time.Minute).Format(time.RFC3339)},
		{"labels": map[string]string{"alertname": "ShellFromWebServer", "instance": "am-web-1:9100", "severity": "critical", "tactic": "Execution"},
			"annotations": map[string]string{"summary": "A shell was spawned by the web server"}, "startsAt": now.Add(-5 * time.Minute).Format(time.RFC3339)},
	}
	postToAlertmanager(t, am, alerts)
	inc := onlyIncident(t, r, 2, 60*time.Second)
	if len(inc.Resources) != 1 || inc.Resources[0].ID != "am-web-1" || inc.Severity != "Critical" {
		t.Errorf("incident resources %+v severity %s", inc.Resources, inc.Severity)
	}

	// The alerts end: Alertmanager sends its resolved notification.
	for _, a := range alerts {
		a["endsAt"] = time.Now().UTC().Add(-time.Second).Format(time.RFC3339)
	}
	postToAlertmanager(t, am, alerts)
	eventually(t, 60*time.Second, func() string {
		var got incidentView
		if status, raw := call(t, r, http.MethodGet, "/incidents/"+inc.ID, nil, &got); status != http.StatusOK {
			return fmt.Sprintf("GET incident: %d %s", status, raw)
		}
		if got.Status != "Resolved" {
			return "incident is " + got.Status
		}
		return ""
	})
	var list struct {
		Items []struct {
			Status string `json:"status"`
		} `json:"items"`
	}
	if status, raw := call(t, r, http.MethodGet, "/incidents/"+inc.ID+"/alerts", nil, &list); status != http.StatusOK || len(list.Items) != 2 {
		t.Fatalf("incident alerts: %d %s", status, raw)
	}
	for _, a := range list.Items {
		if a.Status != "Resolved" {
			t.Errorf("alert status %s, want Resolved (from Alertmanager's resolved notification)", a.Status)
		}
	}
}
