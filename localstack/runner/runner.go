// Package runner runs Muster's whole pipeline on one machine: an AWS API
// emulator (moto_server, started here unless an endpoint is given), the
// resources bootstrapped on it, the REST API served through the local API
// Gateway (package apigwlocal) by the ingest and query handlers, the
// correlator and responder fed by the table's stream (package
// streampoller), and the event sink writing every bus event to
// <Dir>/events.jsonl (package sink).
//
// The handlers are the functions' own handler packages, built with
// FromEnv(ctx, cfg, getenv) exactly as their Lambda mains build them; the
// runner passes its own getenv (see Runner.Getenv) instead of changing the
// process environment.
//
// It is used by cmd/muster-local (`make run`) and in-process by tests:
//
//	r, err := runner.Start(ctx, runner.Options{Endpoint: srv.Endpoint, Addr: "127.0.0.1:0", Dir: t.TempDir(), Token: "t"})
//	defer r.Close()
//	http.Post(r.URL()+"/webhooks/generic", …)
package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	correlator "github.com/muster-sec/muster/functions/correlator/handler"
	ingest "github.com/muster-sec/muster/functions/ingest/handler"
	query "github.com/muster-sec/muster/functions/query/handler"
	responder "github.com/muster-sec/muster/functions/responder/handler"
	"github.com/muster-sec/muster/localstack/apigwlocal"
	"github.com/muster-sec/muster/localstack/bootstrap"
	"github.com/muster-sec/muster/localstack/moto"
	"github.com/muster-sec/muster/localstack/sink"
	"github.com/muster-sec/muster/localstack/streampoller"
	"github.com/muster-sec/muster/shared/awsclient"
	"github.com/muster-sec/muster/shared/resources"
)

// Defaults.
const (
	DefaultAddr = "127.0.0.1:8080"
	DefaultDir  = ".muster"
	Region      = "us-east-1"
)

// Options configure Start. The zero value runs `make run`'s defaults:
// moto on 127.0.0.1:4566, the API on 127.0.0.1:8080, state in .muster, a
// random token.
type Options struct {
	// Endpoint of a running emulator (AWS_ENDPOINT_URL). Empty: start
	// moto_server on MotoPort.
	Endpoint string
	// MotoPort is the port of the moto_server started here; 4566 when zero.
	MotoPort int
	// MotoEnv is added to the environment of the moto_server started here.
	MotoEnv []string
	// MotoMaxMB: when the moto_server started here (with the state kept)
	// holds more than this many MB resident, the runner restarts it from
	// a snapshot (see docs/operations.md); 768 when zero, never when
	// negative.
	MotoMaxMB int
	// Addr is the API's listen address; DefaultAddr when empty; ":0" and
	// "127.0.0.1:0" pick a free port (see URL).
	Addr string
	// Dir holds events.jsonl, dead-letter/, checkpoints/ and moto.log;
	// DefaultDir when empty.
	Dir string
	// Token is the all-scopes API token; random when empty.
	Token string
	// Table, Bus and Queue name the resources; shared/resources defaults.
	Table, Bus, Queue string
	// Webhook, when set, receives a POST per event (MUSTER_LOCAL_WEBHOOK).
	Webhook string
	// Env overrides variables the handlers read.
	Env map[string]string
	// Getenv is consulted for variables neither Env nor the runner sets
	// (cmd/muster-local passes os.Getenv, so MUSTER_CORRELATION_WINDOW and
	// friends reach the handlers). Nil: none.
	Getenv func(string) string
	// PollInterval of the stream pollers; 200ms when zero.
	PollInterval time.Duration
	// Ephemeral: with the moto started here, keep nothing across restarts
	// (no snapshot, no journal) and start events.jsonl empty. Otherwise
	// the state survives a restart, even a kill -9 (see docs/local.md).
	Ephemeral bool
	// SnapshotEvery is the least time between two snapshots of the
	// state; 10s when zero.
	SnapshotEvery time.Duration
	// MaxRetryAttempts, when positive, replaces the consumers' retry
	// budgets of shared/resources (tests of dead-lettering).
	MaxRetryAttempts int
	// Logger for the runner's components; slog.Default when nil.
	Logger *slog.Logger
	// Handlers replace the functions' handlers (tests of the runner
	// itself); nil ones are built with FromEnv.
	Ingest, Query         apigwlocal.APIHandler
	Correlator, Responder streampoller.Handler
}

// Runner is a running local stack.
type Runner struct {
	opts     Options
	log      *slog.Logger
	endpoint string
	url      string
	token    string
	env      map[string]string
	boot     bootstrap.Result
	moto     *moto.Process
	motoLog  *os.File
	server   *http.Server
	pollers  map[string]*streampoller.Poller
	sink     *sink.Sink
	persist  *persistence // nil unless the state is kept across restarts

	// mu guards moto, boot and pollers, which a memory restart replaces.
	mu           sync.RWMutex
	handlers     handlers
	running      map[string]running // the pollers' goroutines, by consumer
	recycling    atomic.Bool
	motoRestarts atomic.Int64

	cancel    context.CancelFunc
	runCtx    context.Context
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
	failed    chan error
}

// Start brings the stack up and returns once the API is listening and the
// pollers and the sink run. Close stops everything it started.
func Start(ctx context.Context, opts Options) (_ *Runner, err error) {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.Dir == "" {
		opts.Dir = DefaultDir
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	r := &Runner{opts: opts, log: log.With("component", "runner"), failed: make(chan error, 4)}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", opts.Dir, err)
	}
	r.token = opts.Token
	if r.token == "" {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		r.token = "muster-dev-" + hex.EncodeToString(b)
	}

	if err := r.startEmulator(ctx); err != nil {
		return nil, err
	}
	cfg := awsclient.ForEmulator(r.endpoint)
	journal, err := r.prepareState(ctx, cfg)
	if err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (set MUSTER_ADDR to another address): %w", opts.Addr, err)
	}
	r.url = "http://" + ln.Addr().String()
	r.env = r.handlerEnv()
	getenv := r.Getenv

	h, err := r.buildHandlers(ctx, cfg, getenv)
	if err != nil {
		ln.Close()
		return nil, err
	}

	runCtx, cancelRun := context.WithCancel(context.Background())
	r.cancel, r.runCtx = cancelRun, runCtx
	api := h
	if r.persist != nil {
		api.ingest, api.query = journaled{h.ingest, r.persist}, journaled{h.query, r.persist}
	}
	r.server = &http.Server{
		Handler:           &apigwlocal.Gateway{Ingest: api.ingest, Query: api.query, Logger: log.With("component", "apigw")},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.With("component", "http").Handler(), slog.LevelWarn),
	}
	r.wg.Go(func() {
		if err := r.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.fail(fmt.Errorf("serve API: %w", err))
		}
	})

	r.handlers = h
	if err := r.startPollers(runCtx, cfg); err != nil {
		return nil, err
	}

	if r.sink, err = sink.New(sink.Config{
		Client: sqs.NewFromConfig(cfg), QueueURL: r.boot.QueueURL, File: r.EventsFile(),
		Webhook: opts.Webhook, Logger: log.With("component", "sink"),
	}); err != nil {
		return nil, err
	}
	r.wg.Go(func() { _ = r.sink.Run(runCtx) })

	if r.moto != nil {
		r.wg.Go(func() { r.watchMoto(runCtx) })
	}
	if r.persist != nil {
		r.replay(ctx, h, journal)
		r.wg.Go(func() { r.snapshotLoop(runCtx) })
	}
	if n := r.Parked(); n > 0 {
		r.log.Error("correlator records are parked: their alerts are in no incident; run make redrive",
			"records", n, "file", r.pollers[resources.Correlator.Name].DeadLetterFile())
	}
	r.log.Info("local stack ready", "api", r.url, "endpoint", r.endpoint, "table", r.boot.Table, "bus", r.boot.Bus,
		"events_file", r.EventsFile())
	return r, nil
}

// startEmulator starts moto_server unless an endpoint was given (then it
// waits until the endpoint answers).
func (r *Runner) startEmulator(ctx context.Context) error {
	opts := r.opts
	r.endpoint = opts.Endpoint
	if r.endpoint != "" {
		return waitReachable(ctx, r.endpoint, 30*time.Second)
	}
	var err error
	if r.motoLog, err = os.OpenFile(filepath.Join(opts.Dir, "moto.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
		return fmt.Errorf("open moto log: %w", err)
	}
	r.log.Info("starting moto_server", "port", cmp(opts.MotoPort, moto.DefaultPort))
	if r.moto, err = moto.Start(ctx, moto.Options{Port: opts.MotoPort, Output: r.motoLog, Env: opts.MotoEnv}); err != nil {
		return err
	}
	r.endpoint = r.moto.Endpoint
	return nil
}

// prepareState bootstraps the resources and, with the moto started here,
// restores the last run's state (or, Ephemeral, starts the events file
// empty); it returns the journal's requests to replay.
func (r *Runner) prepareState(ctx context.Context, cfg aws.Config) ([]events.APIGatewayProxyRequest, error) {
	bctx, cancel := context.WithTimeout(ctx, time.Minute)
	boot, err := bootstrap.Run(bctx, cfg, bootstrap.Names{Table: r.opts.Table, Bus: r.opts.Bus, Queue: r.opts.Queue})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("bootstrap resources on %s: %w", r.endpoint, err)
	}
	r.boot = boot
	r.log.Info("resources ready", "table", boot.Table, "stream_arn", boot.StreamARN, "bus", boot.Bus, "queue", boot.QueueURL)
	switch {
	case r.moto == nil: // the emulator keeps its own state
		return nil, nil
	case r.opts.Ephemeral:
		if err := os.Truncate(r.EventsFile(), 0); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		return nil, nil
	}
	return r.restore(ctx, cfg)
}

// startPollers runs one stream poller per consumer on the table's stream
// (stopPollers ends them).
func (r *Runner) startPollers(ctx context.Context, cfg aws.Config) error {
	h := r.handlers
	log := r.opts.Logger
	if log == nil {
		log = slog.Default()
	}
	streams := dynamodbstreams.NewFromConfig(cfg)
	pollers := map[string]*streampoller.Poller{}
	run := map[string]running{}
	for _, c := range []struct {
		consumer resources.StreamConsumer
		handler  streampoller.Handler
	}{{resources.Correlator, h.correlator}, {resources.Responder, h.responder}} {
		if r.opts.MaxRetryAttempts > 0 {
			c.consumer.MaxRetryAttempts = r.opts.MaxRetryAttempts
		}
		p, err := streampoller.New(streampoller.Config{
			Consumer: c.consumer, StreamARN: r.boot.StreamARN, Client: streams, Handler: c.handler,
			DeadLetterDir: r.DeadLetterDir(), CheckpointDir: r.checkpointDir(),
			PollInterval: r.opts.PollInterval, Logger: log.With("component", "streampoller"),
		})
		if err != nil {
			return err
		}
		pctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = p.Run(pctx)
		}()
		pollers[c.consumer.Name], run[c.consumer.Name] = p, running{cancel: cancel, done: done}
	}
	r.mu.Lock()
	r.pollers, r.running = pollers, run
	r.mu.Unlock()
	return nil
}

// running is a poller's goroutine.
type running struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// stopPoller ends one consumer's poller and waits for it (a batch in
// flight is not checkpointed and is delivered again).
func (r *Runner) stopPoller(name string) {
	r.mu.RLock()
	run, ok := r.running[name]
	r.mu.RUnlock()
	if ok {
		run.cancel()
		<-run.done
	}
}

// drainPoller lets one consumer's poller finish its batch in flight and
// stop (cancelling it after wait).
func (r *Runner) drainPoller(name string, wait time.Duration) {
	r.mu.RLock()
	run, ok := r.running[name]
	p := r.pollers[name]
	r.mu.RUnlock()
	if !ok {
		return
	}
	p.Drain()
	select {
	case <-run.done:
	case <-time.After(wait):
		run.cancel()
		<-run.done
	}
}

// stopPollers ends every poller.
func (r *Runner) stopPollers() {
	r.stopPoller(resources.Correlator.Name)
	r.stopPoller(resources.Responder.Name)
}

// watchMoto reports a moto_server that exits when the runner did not stop
// it.
func (r *Runner) watchMoto(ctx context.Context) {
	for {
		r.mu.RLock()
		m := r.moto
		r.mu.RUnlock()
		select {
		case <-m.Done():
			if r.recycling.Load() {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			r.mu.RLock()
			same := r.moto == m
			r.mu.RUnlock()
			if same {
				r.fail(errors.New("moto_server exited unexpectedly; see " + filepath.Join(r.opts.Dir, "moto.log")))
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

type handlers struct {
	ingest, query         apigwlocal.APIHandler
	correlator, responder streampoller.Handler
}

func (r *Runner) buildHandlers(ctx context.Context, cfg aws.Config, getenv func(string) string) (handlers, error) {
	h := handlers{ingest: r.opts.Ingest, query: r.opts.Query, correlator: r.opts.Correlator, responder: r.opts.Responder}
	if h.ingest == nil {
		x, err := ingest.FromEnv(ctx, cfg, getenv)
		if err != nil {
			return h, fmt.Errorf("build ingest handler: %w", err)
		}
		h.ingest = x
	}
	if h.query == nil {
		x, err := query.FromEnv(ctx, cfg, getenv)
		if err != nil {
			return h, fmt.Errorf("build query handler: %w", err)
		}
		h.query = x
	}
	if h.correlator == nil {
		x, err := correlator.FromEnv(ctx, cfg, getenv)
		if err != nil {
			return h, fmt.Errorf("build correlator handler: %w", err)
		}
		h.correlator = x
	}
	if h.responder == nil {
		x, err := responder.FromEnv(ctx, cfg, getenv)
		if err != nil {
			return h, fmt.Errorf("build responder handler: %w", err)
		}
		h.responder = x
	}
	return h, nil
}

// handlerEnv is what the runner sets for the handlers, before Options.Env.
func (r *Runner) handlerEnv() map[string]string {
	env := map[string]string{
		"MUSTER_TABLE":          r.boot.Table,
		"MUSTER_BUS":            r.boot.Bus,
		"MUSTER_DEV_TOKEN":      r.token,
		"AWS_ENDPOINT_URL":      r.endpoint,
		"AWS_REGION":            Region,
		"AWS_DEFAULT_REGION":    Region,
		"AWS_ACCESS_KEY_ID":     "test",
		"AWS_SECRET_ACCESS_KEY": "test",
	}
	// Defaults a user's own setting (through Options.Getenv) may replace.
	soft := map[string]string{
		"MUSTER_API_URL": r.url,
		// The responder's own dead letters (events it could not publish).
		"MUSTER_DEAD_LETTER_FILE": filepath.Join(r.DeadLetterDir(), "responder-events.jsonl"),
	}
	for k, v := range soft {
		env[k] = v
		if r.opts.Getenv != nil {
			if own := r.opts.Getenv(k); own != "" {
				env[k] = own
			}
		}
	}
	for k, v := range r.opts.Env {
		env[k] = v
	}
	return env
}

// Getenv is the environment the handlers see: Options.Env, then the
// runner's own values (table, bus, token, endpoint, credentials), then
// Options.Getenv, then the runner's defaults for MUSTER_API_URL (the API's
// URL) and MUSTER_DEAD_LETTER_FILE (<Dir>/dead-letter/responder-events.jsonl).
func (r *Runner) Getenv(key string) string {
	if v, ok := r.env[key]; ok {
		return v
	}
	if r.opts.Getenv != nil {
		return r.opts.Getenv(key)
	}
	return ""
}

func (r *Runner) fail(err error) {
	r.log.Error("local stack failed", "error", err)
	select {
	case r.failed <- err:
	default:
	}
}

// Failed delivers an error when a part of the stack stops on its own (the
// API listener, moto_server).
func (r *Runner) Failed() <-chan error { return r.failed }

// URL is the API's base URL.
func (r *Runner) URL() string { return r.url }

// Endpoint is the emulator's URL.
func (r *Runner) Endpoint() string { return r.endpoint }

// Token is the all-scopes API token.
func (r *Runner) Token() string { return r.token }

// Resources are the names and ARNs the bootstrap created.
func (r *Runner) Resources() bootstrap.Result {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.boot
}

// Dir is the state directory.
func (r *Runner) Dir() string { return r.opts.Dir }

// EventsFile is the path of events.jsonl.
func (r *Runner) EventsFile() string { return filepath.Join(r.opts.Dir, "events.jsonl") }

// DeadLetterDir holds <consumer>.jsonl dead-letter files.
func (r *Runner) DeadLetterDir() string { return filepath.Join(r.opts.Dir, "dead-letter") }

// MotoPid is the process id of the moto_server started here, 0 when an
// endpoint was given.
func (r *Runner) MotoPid() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.moto == nil {
		return 0
	}
	return r.moto.Pid()
}

// Parked is the number of correlator records in the dead-letter file
// (and in files a redrive claimed and did not finish): alerts in no
// incident until `make redrive`.
func (r *Runner) Parked() int {
	return streampoller.CountDeadLetters(filepath.Join(r.DeadLetterDir(), resources.Correlator.Name+".jsonl"))
}

// WaitIdle waits until the stream consumers and the sink have handled
// everything written so far (and nothing more came), at most timeout.
func (r *Runner) WaitIdle(ctx context.Context, timeout time.Duration) bool {
	return r.waitIdle(ctx, timeout)
}

// MotoRestarts is how often the runner restarted its moto from a
// snapshot to give its memory back.
func (r *Runner) MotoRestarts() int { return int(r.motoRestarts.Load()) }

// Stats of the stream pollers, by consumer.
func (r *Runner) Stats() map[string]streampoller.Stats {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make(map[string]streampoller.Stats, len(r.pollers))
	for name, p := range r.pollers {
		out[name] = p.Stats()
	}
	return out
}

// Close stops the API (letting requests in flight finish for up to five
// seconds), the pollers and the sink, then moto_server if it was started
// here. It is safe to call more than once.
func (r *Runner) Close() error {
	r.closeOnce.Do(func() {
		if r.server != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := r.server.Shutdown(ctx); err != nil {
				r.closeErr = fmt.Errorf("shut down API: %w", err)
			}
			cancel()
		}
		if p := r.persist; p != nil && r.sink != nil {
			r.takeSnapshot(context.Background(), 10*time.Second)
		}
		if r.cancel != nil {
			r.cancel()
		}
		r.stopPollers()
		r.wg.Wait()
		if r.moto != nil {
			r.log.Info("stopping moto_server", "pid", r.moto.Pid())
			r.moto.Stop()
		}
		if r.motoLog != nil {
			_ = r.motoLog.Close()
		}
		r.log.Info("local stack stopped")
	})
	return r.closeErr
}

// waitReachable waits until something accepts TCP connections at the
// endpoint's host and port (an emulator started by compose may still be
// booting).
func waitReachable(ctx context.Context, endpoint string, timeout time.Duration) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return fmt.Errorf("AWS_ENDPOINT_URL %q is not a URL", endpoint)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), map[bool]string{true: "443", false: "80"}[u.Scheme == "https"])
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "tcp", host)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the emulator at %s does not answer after %s (is it running?): %w", endpoint, timeout, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func cmp(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

var _ io.Closer = (*Runner)(nil)
