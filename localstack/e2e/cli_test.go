package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/localstack/runner"
)

// TestCLI drives the local stack with the built muster command, as a user
// would: post two alerts, list the incident they form, show it and resolve
// it, then check the API holds the result.
func TestCLI(t *testing.T) {
	r := startRunner(t, nil)
	bin := filepath.Join(t.TempDir(), "muster")
	build := exec.Command("go", "build", "-o", bin, "./cmd/muster")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/muster: %v\n%s", err, out)
	}
	now := time.Now().UTC().Truncate(time.Second)
	resource := map[string]any{"id": "i-0c1c1c1c1c1c1c1c1", "type": "AwsEc2Instance", "name": "cli-host", "region": "us-east-1", "account": "123456789012"}
	alerts, _ := json.Marshal([]map[string]any{
		{"id": "cli-1", "type": "SSH.BruteForce", "name": "SSH brute force against cli-host", "severity": "High",
			"tactics": []string{"InitialAccess"}, "resources": []any{resource}, "firstSeen": now.Add(-10 * time.Minute).Format(time.RFC3339)},
		{"id": "cli-2", "type": "Exfiltration.S3", "name": "Data copied out from cli-host", "severity": "High",
			"tactics": []string{"Exfiltration"}, "resources": []any{resource}, "firstSeen": now.Add(-5 * time.Minute).Format(time.RFC3339)},
	})
	if out := cli(t, r, bin, alerts, 0, "post", "generic", "-"); !strings.Contains(out, "accepted 2") {
		t.Fatalf("post: %s", out)
	}

	var id string
	eventually(t, 30*time.Second, func() string {
		var list []struct {
			ID         string `json:"id"`
			AlertCount int    `json:"alertCount"`
		}
		out := cli(t, r, bin, nil, 0, "incidents", "--all", "--json")
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			return "incidents --json: " + err.Error()
		}
		if len(list) != 1 || list[0].AlertCount != 2 {
			return fmt.Sprintf("incidents: %s", out)
		}
		id = list[0].ID
		return ""
	})
	if out := cli(t, r, bin, nil, 0, "incidents"); !strings.Contains(out, id) || !strings.Contains(out, "Active") {
		t.Errorf("incidents table lacks %s Active:\n%s", id, out)
	}
	if out := cli(t, r, bin, nil, 0, "incident", "show", id); !strings.Contains(out, "cli-host") || !strings.Contains(out, "[Exfiltration]") {
		t.Errorf("show:\n%s", out)
	}
	if out := cli(t, r, bin, nil, 0, "incident", "resolve", id, "TruePositive", "--comment", "contained by e2e"); !strings.Contains(out, "Resolved") {
		t.Errorf("resolve: %s", out)
	}
	var inc struct {
		Status, Classification string
		Comments               []struct{ Text string }
	}
	if status, raw := call(t, r, "GET", "/incidents/"+id, nil, &inc); status != 200 || inc.Status != "Resolved" ||
		inc.Classification != "TruePositive" || len(inc.Comments) != 1 {
		t.Errorf("GET /incidents/%s after resolve: %d %s", id, status, raw)
	}
	cli(t, r, bin, nil, 2, "incident", "show", "inc-does-not-exist")
}

// cli runs the built command against the runner and checks its exit code.
func cli(t *testing.T, r *runner.Runner, bin string, stdin []byte, wantCode int, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"MUSTER_URL=" + r.URL(), "MUSTER_TOKEN=" + r.Token(), "HOME=" + t.TempDir()}
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("muster %v: %v", args, err)
	}
	if code != wantCode {
		t.Fatalf("muster %v: exit %d, want %d; stderr %s", args, code, wantCode, stderr.String())
	}
	return stdout.String()
}
