// Package mototest starts a real moto server for tests: on a free loopback
// port, once per test binary, stopped when the binary's tests end.
//
// Use it from TestMain so the server is stopped:
//
//	func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }
//
// and in a test:
//
//	srv := mototest.Get(t) // skips the test if moto_server is not installed
//	cfg := srv.Config()
//
// Each test should create its own table (see dynamostore.CreateTable with a
// unique name from UniqueName) rather than reset shared state, so tests can
// run in parallel. Stream reads that table's stream as Lambda delivers it,
// and Select keeps what an event source mapping's filters select.
package mototest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/muster-sec/muster/localstack/moto"
	"github.com/muster-sec/muster/shared/awsclient"
)

// Server is a running moto_server.
type Server struct {
	Endpoint string
	cmd      *exec.Cmd
}

// Config returns an SDK configuration for the server.
func (s *Server) Config() aws.Config { return awsclient.ForEmulator(s.Endpoint) }

var (
	mu      sync.Mutex
	shared  *Server
	started error
)

// Main runs the tests and stops the shared server afterwards.
func Main(m *testing.M) int {
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		shared.Stop()
		shared = nil
	}
	return code
}

// Get returns the shared server, starting it on first use. It fails the
// test when moto_server cannot start, and skips it when moto_server is not
// installed and MUSTER_REQUIRE_MOTO is unset.
func Get(t testing.TB) *Server {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if shared == nil && started == nil {
		shared, started = Start()
	}
	if started != nil {
		if _, err := exec.LookPath("moto_server"); err != nil && os.Getenv("MUSTER_REQUIRE_MOTO") == "" {
			t.Skipf("moto_server not installed: %v", err)
		}
		t.Fatalf("start moto: %v", started)
	}
	return shared
}

// Start launches a new moto_server on a free port and waits until it
// answers. The caller must Stop it.
func Start() (*Server, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		cmd, err := moto.Command("127.0.0.1", port)
		if err != nil {
			return nil, err
		}
		if os.Getenv("MUSTER_MOTO_LOG") == "" {
			cmd.Stdout, cmd.Stderr = nil, nil
		} else {
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("start moto_server: %w", err)
		}
		s := &Server{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
		if err := WaitReady(s.Endpoint, 30*time.Second); err != nil {
			s.Stop()
			lastErr = err
			continue
		}
		return s, nil
	}
	return nil, lastErr
}

// WaitReady polls endpoint until moto answers or the timeout passes.
func WaitReady(endpoint string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	// A probe moto accepts but never answers is abandoned, not waited on.
	probe := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		resp, err := probe.Get(endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("moto at %s not ready after %s", endpoint, timeout)
}

// Stop ends the server and its process group.
func (s *Server) Stop() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// FreePort asks the kernel for a free loopback TCP port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// UniqueName returns prefix plus a random suffix, for per-test tables,
// buses and queues.
func UniqueName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}
