// Package moto runs moto_server, the AWS API emulator the local stack uses,
// as a child process in its own process group, so stopping it ends moto
// and anything moto started, and nothing else.
package moto

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// DefaultPort is where `make run` starts moto.
const DefaultPort = 4566

// Sentinel errors.
var (
	ErrNotInstalled = errors.New("moto_server not found on PATH (install it with: pip install 'moto[server]')")
	ErrPortBusy     = errors.New("port is already in use")
	ErrExited       = errors.New("moto_server exited before it was ready")
)

// Options configure Start. The zero value starts on 127.0.0.1:4566.
type Options struct {
	Host string
	Port int
	// Output receives moto's request log; discarded when nil.
	Output io.Writer
	// ReadyTimeout bounds the wait for the first answer; 30s when zero.
	ReadyTimeout time.Duration
	// Env is added to moto's environment (this process's environment).
	Env []string
}

// Process is a running moto_server.
type Process struct {
	Endpoint string
	cmd      *exec.Cmd
	done     chan struct{}
	stopOnce sync.Once
}

// Start checks the port is free, starts moto_server in a new process group
// and waits until it answers.
func Start(ctx context.Context, opts Options) (*Process, error) {
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Port == 0 {
		opts.Port = DefaultPort
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = 30 * time.Second
	}
	cmd, err := Command(opts.Host, opts.Port, opts.Env...)
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("start moto on %s: %w (another emulator or a previous run may hold it; stop it, set MUSTER_MOTO_PORT to another port, or set AWS_ENDPOINT_URL to use the running emulator)", addr, ErrPortBusy)
	}
	_ = l.Close()
	cmd.Stdout, cmd.Stderr = opts.Output, opts.Output
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	p := &Process{Endpoint: "http://" + addr, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	if err := p.waitReady(ctx, opts.ReadyTimeout); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// Pid is the process id (and process group id) of moto_server.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

func (p *Process) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.Endpoint+"/moto-api/", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%w (exit status %v)", ErrExited, p.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("moto at %s not ready after %s: %w", p.Endpoint, timeout, ctx.Err())
		case <-tick.C:
		}
	}
}

// Stop sends SIGTERM to moto's process group, waits up to five seconds,
// then sends SIGKILL. It is safe to call more than once.
func (p *Process) Stop() {
	p.stopOnce.Do(func() {
		pgid := p.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
	})
}
