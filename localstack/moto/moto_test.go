package moto

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func TestStartRefusesBusyPort(t *testing.T) {
	l := listener(t)
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err := Start(context.Background(), Options{Port: port})
	if !errors.Is(err, ErrPortBusy) {
		t.Fatalf("Start on a busy port = %v, want ErrPortBusy", err)
	}
	for _, want := range []string{l.Addr().String(), "MUSTER_MOTO_PORT", "AWS_ENDPOINT_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
}

func TestStartWithoutMoto(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := Start(context.Background(), Options{Port: 1}); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("Start without moto_server = %v, want ErrNotInstalled", err)
	}
}

func TestStartAndStop(t *testing.T) {
	port := freePort(t)
	p, err := Start(context.Background(), Options{Port: port})
	if err != nil {
		t.Fatal(err)
	}
	p.Stop()
	select {
	case <-p.Done():
	default:
		t.Fatal("Stop returned before moto_server exited")
	}
	p.Stop() // idempotent
	if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
		c.Close()
		t.Error("the port still answers after Stop")
	}
}

// freePort skips the test without moto_server, and returns a loopback
// port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l := listener(t)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// listener skips the test without moto_server, and listens on a free
// loopback port.
func listener(t *testing.T) net.Listener {
	t.Helper()
	if _, err := exec.LookPath("moto_server"); err != nil {
		t.Skip("moto_server not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}
