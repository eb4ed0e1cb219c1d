// Command muster-local runs Muster's whole pipeline on one machine (`make
// run`): moto_server on 127.0.0.1:4566 (unless AWS_ENDPOINT_URL names a
// running emulator), the REST API on MUSTER_ADDR, the stream consumers and
// the event sink writing .muster/events.jsonl. Ctrl-C (SIGINT) or SIGTERM
// stops everything it started, and nothing else.
//
// Environment: MUSTER_ADDR (127.0.0.1:8080), AWS_ENDPOINT_URL,
// MUSTER_MOTO_PORT (4566), MUSTER_DEV_TOKEN (random when unset),
// MUSTER_TABLE (muster), MUSTER_BUS (muster), MUSTER_LOCAL_WEBHOOK,
// MUSTER_DIR (.muster), MUSTER_LOG_LEVEL (info), MUSTER_MOTO_MAX_MB (768;
// moto is restarted from a snapshot above it, -1 never). Every other variable
// (MUSTER_CORRELATION_WINDOW, MUSTER_AUTH_CONFIG, …) reaches the handlers
// unchanged. See docs/local.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/muster-sec/muster/localstack/moto"
	"github.com/muster-sec/muster/localstack/runner"
)

func main() {
	os.Exit(run())
}

func run() int {
	level := slog.LevelInfo
	if err := level.UnmarshalText([]byte(os.Getenv("MUSTER_LOG_LEVEL"))); err != nil {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	motoPort := 0
	if v := os.Getenv("MUSTER_MOTO_PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p <= 0 || p > 65535 {
			fmt.Fprintf(os.Stderr, "muster-local: MUSTER_MOTO_PORT=%q is not a port number\n", v)
			return 2
		}
		motoPort = p
	}
	maxMB := 0
	if v := os.Getenv("MUSTER_MOTO_MAX_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "muster-local: MUSTER_MOTO_MAX_MB=%q is not a number of MB (-1: never restart moto)\n", v)
			return 2
		}
		maxMB = n
	}
	opts := runner.Options{
		MotoMaxMB: maxMB,
		Endpoint:  os.Getenv("AWS_ENDPOINT_URL"),
		MotoPort:  motoPort,
		Addr:      os.Getenv("MUSTER_ADDR"),
		Dir:       os.Getenv("MUSTER_DIR"),
		Token:     os.Getenv("MUSTER_DEV_TOKEN"),
		Table:     os.Getenv("MUSTER_TABLE"),
		Bus:       os.Getenv("MUSTER_BUS"),
		Webhook:   os.Getenv("MUSTER_LOCAL_WEBHOOK"),
		Getenv:    os.Getenv,
		Logger:    log,
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	r, err := runner.Start(ctx, opts)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			fmt.Fprintln(os.Stderr, "muster-local: interrupted during start; everything it started is stopped")
			return 130
		case errors.Is(err, moto.ErrPortBusy), errors.Is(err, moto.ErrNotInstalled):
			fmt.Fprintf(os.Stderr, "muster-local: %v\n", err)
		default:
			fmt.Fprintf(os.Stderr, "muster-local: could not start: %v\n", err)
		}
		return 1
	}
	banner(r, opts.Token == "")

	code := 0
	select {
	case <-ctx.Done():
		fmt.Fprintln(os.Stderr, "muster-local: stopping…")
	case err := <-r.Failed():
		fmt.Fprintf(os.Stderr, "muster-local: %v; stopping\n", err)
		code = 1
	}
	stop() // a second Ctrl-C ends the process at once (moto dies with it)
	if err := r.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "muster-local: %v\n", err)
		code = 1
	}
	return code
}

func parked(r *runner.Runner) string {
	if n := r.Parked(); n > 0 {
		return fmt.Sprintf("  PARKED       %d correlator records: their alerts are in no incident; run `make redrive`\n", n)
	}
	return ""
}

func banner(r *runner.Runner, generated bool) {
	res := r.Resources()
	emu := r.Endpoint()
	if r.MotoPid() != 0 {
		emu += fmt.Sprintf(" (moto_server pid %d, log %s/moto.log)", r.MotoPid(), r.Dir())
	} else {
		emu += " (AWS_ENDPOINT_URL)"
	}
	token := "(from MUSTER_DEV_TOKEN)"
	if generated {
		token = r.Token() + "   (generated; set MUSTER_DEV_TOKEN to choose one)"
	}
	fmt.Printf(`
Muster local stack is running.
  API          %s
  Token        %s
  Emulator     %s
  Table        %s
  Bus          %s
  Events       %s
  Dead letters %s/
%sTry:
  curl -s -H "Authorization: Bearer $MUSTER_DEV_TOKEN" %s/incidents
Ctrl-C stops everything started here.

`, r.URL(), token, emu, res.Table, res.Bus, r.EventsFile(), r.DeadLetterDir(), parked(r), r.URL())
}
