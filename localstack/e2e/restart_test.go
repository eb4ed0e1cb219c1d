package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// proc is a running muster-local binary.
type proc struct {
	cmd     *exec.Cmd
	exited  chan error
	stderr  *bytes.Buffer
	motoPid int
	api     string
}

// startBinary runs muster-local with its own moto, state in dir, and
// waits for its banner. Each start takes fresh ports: the state does not
// depend on them, and a port just freed may be taken by another test.
func startBinary(t *testing.T, dir string) *proc {
	t.Helper()
	apiPort, motoPort := freePort(t), freePort(t)
	p := &proc{cmd: exec.Command(binary(t)), exited: make(chan error, 1), stderr: &bytes.Buffer{},
		api: fmt.Sprintf("http://127.0.0.1:%d", apiPort)}
	p.cmd.Dir = dir
	p.cmd.Env = localEnv("MUSTER_DIR="+filepath.Join(dir, ".muster"), fmt.Sprintf("MUSTER_ADDR=127.0.0.1:%d", apiPort),
		fmt.Sprintf("MUSTER_MOTO_PORT=%d", motoPort), "MUSTER_DEV_TOKEN="+token, "MUSTER_LOG_LEVEL=debug")
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.kill(t)
		if t.Failed() {
			t.Logf("muster-local's log:\n%s", p.stderr.String())
		}
	})
	sc := bufio.NewScanner(stdout)
	ready := make(chan bool, 1)
	go func() {
		ok := false
		for sc.Scan() {
			if m := motoPidRe.FindStringSubmatch(sc.Text()); m != nil {
				p.motoPid, _ = strconv.Atoi(m[1])
			}
			if strings.Contains(sc.Text(), "Ctrl-C stops") {
				ok = true
				break
			}
		}
		ready <- ok
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("muster-local ended before it was ready:\n%s", p.stderr.String())
		}
	case <-time.After(3 * time.Minute):
		t.Fatalf("muster-local not ready:\n%s", p.stderr.String())
	}
	return p
}

// kill stops the binary with SIGKILL (moto follows through its
// parent-death signal) and waits until moto is gone.
func (p *proc) kill(t *testing.T) {
	select {
	case err := <-p.exited:
		p.exited <- err
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	err := <-p.exited
	p.exited <- err
	if p.motoPid == 0 {
		return
	}
	eventually(t, 20*time.Second, func() string {
		if left := groupMembers(p.motoPid); len(left) > 0 {
			return fmt.Sprintf("moto's processes left: %v", left)
		}
		return ""
	})
}

func (p *proc) call(t *testing.T, method, path string, body []byte, out any) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, p.api+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
	}
	return resp.StatusCode, raw
}

// attack posts two alerts on one resource over two stages and waits for
// its incident.
func (p *proc) attack(t *testing.T, name string) string {
	t.Helper()
	at := time.Now().UTC().Truncate(time.Second)
	res := map[string]any{"id": "i-" + name, "name": name}
	body, _ := json.Marshal([]map[string]any{
		{"id": name + "-1", "type": "SSH.BruteForce", "severity": "Medium", "tactics": []string{"InitialAccess"},
			"resources": []any{res}, "firstSeen": at.Add(-10 * time.Minute).Format(time.RFC3339)},
		{"id": name + "-2", "type": "Exfiltration.S3", "severity": "High", "tactics": []string{"Exfiltration"},
			"resources": []any{res}, "firstSeen": at.Add(-5 * time.Minute).Format(time.RFC3339)},
	})
	if status, raw := p.call(t, http.MethodPost, "/webhooks/generic", body, nil); status != http.StatusAccepted {
		t.Fatalf("POST: %d %s", status, raw)
	}
	var id string
	eventually(t, time.Minute, func() string {
		id = p.incidentOn(t, name)
		if id == "" {
			return "no incident on " + name
		}
		return ""
	})
	return id
}

// incidentOn returns the id of the incident with two alerts on resource
// name, "" when there is none.
func (p *proc) incidentOn(t *testing.T, name string) string {
	var list struct{ Items []incidentView }
	if status, _ := p.call(t, http.MethodGet, "/incidents?limit=200", nil, &list); status != http.StatusOK {
		return ""
	}
	for _, inc := range list.Items {
		for _, r := range inc.Resources {
			if r.Name == name && inc.AlertCount == 2 {
				return inc.ID
			}
		}
	}
	return ""
}

// eventIncidents returns the incident ids named by the events file.
func eventIncidents(t *testing.T, file string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, line := range bytes.Split(b, []byte("\n")) {
		var ev struct {
			Detail struct {
				Incident struct {
					ID string `json:"id"`
				} `json:"incident"`
			} `json:"detail"`
		}
		if len(line) > 0 && json.Unmarshal(line, &ev) == nil && ev.Detail.Incident.ID != "" {
			ids[ev.Detail.Incident.ID] = true
		}
	}
	return ids
}

// TestRestartAfterKill: the stack is killed with SIGKILL (moto with it),
// once after a snapshot and once with requests only in the journal; each
// restart brings back every alert and incident, and the events file names
// no incident the stack does not have.
func TestRestartAfterKill(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, ".muster")

	first := startBinary(t, dir)
	one := first.attack(t, "restart-one")
	eventually(t, time.Minute, func() string { // the pipeline went quiet and a snapshot was taken
		if _, err := os.Stat(filepath.Join(state, "snapshot.jsonl")); err != nil {
			return "no snapshot yet"
		}
		return ""
	})
	two := first.attack(t, "restart-two") // in the journal, or in a later snapshot
	first.kill(t)

	second := startBinary(t, dir)
	check := func(p *proc, want map[string]string) {
		t.Helper()
		for name, id := range want {
			eventually(t, 30*time.Second, func() string {
				if got := p.incidentOn(t, name); got != id {
					return fmt.Sprintf("after restart the incident on %s is %q, want %q", name, got, id)
				}
				return ""
			})
			for _, n := range []string{"-1", "-2"} {
				var list struct {
					Items []struct{ SourceID string } `json:"items"`
				}
				if status, raw := p.call(t, http.MethodGet, "/incidents/"+id+"/alerts", nil, &list); status != http.StatusOK || !strings.Contains(string(raw), name+n) {
					t.Errorf("after restart incident %s lacks alert %s: %d %s", id, name+n, status, raw)
				}
			}
		}
		eventually(t, 30*time.Second, func() string {
			for id := range eventIncidents(t, filepath.Join(state, "events.jsonl")) {
				if status, raw := p.call(t, http.MethodGet, "/incidents/"+id, nil, nil); status != http.StatusOK {
					return fmt.Sprintf("events.jsonl names incident %s, GET answers %d %s", id, status, raw)
				}
			}
			for _, id := range want {
				if !eventIncidents(t, filepath.Join(state, "events.jsonl"))[id] {
					return "no event of incident " + id
				}
			}
			return ""
		})
	}
	check(second, map[string]string{"restart-one": one, "restart-two": two})

	// Killed again straight after a post: the journal alone brings it back.
	three := second.attack(t, "restart-three")
	second.kill(t)
	third := startBinary(t, dir)
	check(third, map[string]string{"restart-one": one, "restart-two": two, "restart-three": three})
	if err := third.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := <-third.exited; err != nil {
		t.Errorf("exit after SIGINT: %v\n%s", err, third.stderr.String())
	}
	third.exited <- nil
}
