// Package browser holds the console's browser tests: Go starts the stack,
// then console.mjs drives Debian's Chromium through playwright-core.
package browser

import (
	"bufio"
	"context"
	"errors"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// browserEnv finds chromium, node and playwright-core, or skips (fails when
// MUSTER_REQUIRE_BROWSER is set).
func browserEnv(t *testing.T) (chromium, node, dir string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir = filepath.Dir(file)
	chromium = os.Getenv("MUSTER_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	var missing []string
	if _, err := os.Stat(chromium); err != nil {
		missing = append(missing, "chromium ("+chromium+")")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core", "package.json")); err != nil {
		missing = append(missing, "e2e/browser/node_modules (npm ci)")
	}
	if len(missing) > 0 {
		msg := "browser test needs " + strings.Join(missing, ", ") + "; run e2e/browser/install.sh"
		if os.Getenv("MUSTER_REQUIRE_BROWSER") != "" {
			t.Fatal(msg + " (MUSTER_REQUIRE_BROWSER is set)")
		}
		t.Skip(msg)
	}
	return chromium, node, dir
}

// repoRoot is the module root (two levels up from e2e/browser).
func repoRoot(dir string) string { return filepath.Dir(filepath.Dir(dir)) }

// runConsoleScript runs console.mjs and reports each step.
func runConsoleScript(t *testing.T, shotDir string, env map[string]string) {
	t.Helper()
	runScript(t, "console.mjs", shotDir, env)
}

// runScript runs a browser script of this directory and reports each step.
func runScript(t *testing.T, script, shotDir string, env map[string]string) {
	t.Helper()
	chromium, node, dir := browserEnv(t)
	shots := filepath.Join(repoRoot(dir), ".muster", "screenshots", shotDir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MUSTER_CHROMIUM="+chromium, "MUSTER_SCREENSHOTS="+shots)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node: %v", err)
	}
	sc := bufio.NewScanner(out)
	var fails []string
	for sc.Scan() {
		line := sc.Text()
		t.Log(line)
		if strings.HasPrefix(line, "FAIL ") {
			fails = append(fails, line)
		}
	}
	err = cmd.Wait()
	for _, f := range fails {
		t.Error(f)
	}
	var ee *exec.ExitError
	if err != nil && (len(fails) == 0 || !errors.As(err, &ee)) {
		t.Errorf("%s: %v", script, err)
	}
	t.Logf("screenshots in %s", shots)
}

// runOnFake runs script against a fresh fake of the API (fakeapi_test.go)
// with its token, its events file and env.
func runOnFake(t *testing.T, script, shotDir string, env map[string]string) {
	t.Helper()
	browserEnv(t)
	events := filepath.Join(t.TempDir(), "events.jsonl")
	srv := httptest.NewServer(newFakeAPI("fake-token", events))
	defer srv.Close()
	all := map[string]string{"MUSTER_CONSOLE_URL": srv.URL + "/", "MUSTER_TOKEN": "fake-token", "MUSTER_EVENTS_FILE": events}
	maps.Copy(all, env)
	runScript(t, script, shotDir, all)
}

// TestConsoleFakeAPI drives the console against a small fake of the API, so
// the UI's own behaviour is checked even when the stack cannot start.
func TestConsoleFakeAPI(t *testing.T) {
	runOnFake(t, "console.mjs", "fake-api", map[string]string{"MUSTER_FAKE_API": "1"})
}

// TestCorrectionsFakeAPI drives the analysts' corrections (corrections.mjs)
// against a fake whose incidents and candidates the script knows.
func TestCorrectionsFakeAPI(t *testing.T) {
	runOnFake(t, "corrections.mjs", "corrections-fake-api", nil)
}

// TestAutomationFakeAPI drives the Automation page and the incident page's
// playbook runs (automation.mjs) against the fake's rules and runs.
func TestAutomationFakeAPI(t *testing.T) {
	runOnFake(t, "automation.mjs", "automation-fake-api", nil)
}
