package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/mototest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

// binary builds cmd/muster-local once per test binary, as `make run` does.
func binary(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("moto_server"); err != nil && os.Getenv("MUSTER_REQUIRE_MOTO") == "" {
		t.Skip("moto_server not installed")
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "muster-local-e2e")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "muster-local")
		cmd := exec.Command("go", "build", "-o", binPath, "./localstack/cmd/muster-local")
		cmd.Dir = repoRoot(t)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out.String())
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// localEnv is the test's environment without anything that would point the
// binary at another emulator or configuration, plus extra.
func localEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "AWS_ENDPOINT_URL" || strings.HasPrefix(k, "MUSTER_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func freePort(t *testing.T) int {
	t.Helper()
	p, err := mototest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// procStat returns the parent pid, the process group and the state of pid.
func procStat(pid int) (ppid, pgrp int, state string, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, "", err
	}
	// The command name is in parentheses and may contain spaces.
	rest := string(b[bytes.LastIndexByte(b, ')')+2:])
	f := strings.Fields(rest)
	ppid, _ = strconv.Atoi(f[1])
	pgrp, _ = strconv.Atoi(f[2])
	return ppid, pgrp, f[0], nil
}

// groupMembers lists the live (non-zombie) processes of process group pgrp.
func groupMembers(pgrp int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, g, state, err := procStat(pid); err == nil && g == pgrp && state != "Z" {
			out = append(out, pid)
		}
	}
	return out
}

var motoPidRe = regexp.MustCompile(`moto_server pid (\d+)`)

// TestProcessLifecycle runs the built binary as `make run` does, with
// AWS_ENDPOINT_URL unset: it starts its own moto_server (on
// MUSTER_MOTO_PORT, not 4566), serves the API, and after SIGINT exits 0
// leaving no moto_server behind.
func TestProcessLifecycle(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	apiPort, motoPort := freePort(t), freePort(t)
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = localEnv(
		"MUSTER_DIR="+filepath.Join(dir, ".muster"),
		fmt.Sprintf("MUSTER_ADDR=127.0.0.1:%d", apiPort),
		fmt.Sprintf("MUSTER_MOTO_PORT=%d", motoPort),
		"MUSTER_DEV_TOKEN="+token,
	)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill() // moto follows through its parent-death signal
			<-exited
		}
	})

	// Read the banner until the stack reports it is running.
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var banner []string
	motoPid := 0
	deadline := time.After(2 * time.Minute)
	for motoPid == 0 || !strings.Contains(strings.Join(banner, "\n"), "Ctrl-C stops") {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("muster-local ended before it was ready:\n%s\n%s", strings.Join(banner, "\n"), stderr.String())
			}
			banner = append(banner, l)
			if m := motoPidRe.FindStringSubmatch(l); m != nil {
				motoPid, _ = strconv.Atoi(m[1])
			}
		case <-deadline:
			t.Fatalf("muster-local not ready:\n%s\n%s", strings.Join(banner, "\n"), stderr.String())
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	text := strings.Join(banner, "\n")
	for _, want := range []string{
		fmt.Sprintf("http://127.0.0.1:%d", apiPort), fmt.Sprintf("http://127.0.0.1:%d", motoPort),
		"events.jsonl", "(from MUSTER_DEV_TOKEN)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("banner lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, token) || strings.Contains(stderr.String(), token) {
		t.Error("the configured token was printed or logged")
	}
	ppid, pgrp, _, err := procStat(motoPid)
	if err != nil || ppid != cmd.Process.Pid || pgrp != motoPid {
		t.Fatalf("moto_server pid %d: parent %d (want %d), group %d (want its own), err %v", motoPid, ppid, cmd.Process.Pid, pgrp, err)
	}

	// The API answers (whatever the query handler says) and moto serves.
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", apiPort))
	if err != nil {
		t.Fatalf("API not reachable: %v", err)
	}
	resp.Body.Close()
	if err := mototest.WaitReady(fmt.Sprintf("http://127.0.0.1:%d", motoPort), 5*time.Second); err != nil {
		t.Fatal(err)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		if err != nil {
			t.Errorf("muster-local exited with %v after SIGINT:\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatalf("muster-local did not stop after SIGINT:\n%s", stderr.String())
	}
	eventually(t, 10*time.Second, func() string {
		if left := groupMembers(motoPid); len(left) > 0 {
			return fmt.Sprintf("processes of moto's group left: %v", left)
		}
		return ""
	})
	if _, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", motoPort), time.Second); err == nil {
		t.Error("something still listens on the moto port")
	}
}

// TestProcessPortBusy: when the moto port is taken, muster-local fails at
// once with a message naming the port and the ways out.
func TestProcessPortBusy(t *testing.T) {
	bin := binary(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = localEnv(
		"MUSTER_DIR="+filepath.Join(dir, ".muster"),
		fmt.Sprintf("MUSTER_ADDR=127.0.0.1:%d", freePort(t)),
		fmt.Sprintf("MUSTER_MOTO_PORT=%d", port),
	)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit = %v, want status 1; output:\n%s", err, out)
	}
	for _, want := range []string{strconv.Itoa(port), "already in use", "MUSTER_MOTO_PORT", "AWS_ENDPOINT_URL"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("message lacks %q:\n%s", want, out)
		}
	}
}
