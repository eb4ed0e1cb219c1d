package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/apiclient"
)

// Exit codes, documented in the package comment and by muster help.
const (
	exitOK       = 0
	exitUsage    = 1
	exitNotFound = 2
	exitConflict = 3
	exitAuth     = 4
	exitServer   = 5
)

// env is what the command reads from and writes to; tests give their own.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	http   *http.Client // nil: a client with a 30 s timeout
}

// app is one run of the command: where it writes and the parsed globals.
type app struct {
	env
	url, token string
	json       bool
	client     *apiclient.Client
}

// command is one subcommand.
type command struct {
	usage   string // first line of its help: "incidents [filters]"
	summary string
	run     func(ctx context.Context, a *app, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"incidents":  {"incidents [--severity S] [--status S] [--resource R] [--tag k=v] [--owner O] [--all]", "list incidents", listIncidents},
		"incident":   {"incident show|assign|resolve|dismiss|comment <id> ...", "show or act on one incident", incidentCmd},
		"alerts":     {"alerts [--severity S] [--status S] [--resource R] [--provider P] [--incident ID] [--all]", "list alerts", listAlerts},
		"post":       {"post <provider> <file|->", "send a webhook body as provider", post},
		"rules":      {"rules list|show <id>|delete <id>", "suppression rules", rules},
		"completion": {"completion bash|zsh", "print a shell completion script", completion},
		"help":       {"help", "show this help", func(_ context.Context, a *app, _ []string) error { a.usage(a.stdout); return nil }},
	}
}

// usageError is a mistake in the command line (exit 1).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// run is the whole command: it returns the exit code.
func run(ctx context.Context, args []string, e env) int {
	a := &app{env: e}
	if len(args) == 0 {
		a.usage(a.stderr)
		return exitUsage
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		if args[0] == "-h" || args[0] == "--help" {
			a.usage(a.stdout)
			return exitOK
		}
		fmt.Fprintf(a.stderr, "muster: unknown command %q\n\n", args[0])
		a.usage(a.stderr)
		return exitUsage
	}
	err := cmd.run(ctx, a, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "muster: %v\n", err)
	}
	return exitCode(err)
}

// exitCode is the one place errors become exit codes.
func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue), errors.Is(err, apiclient.ErrInvalid):
		return exitUsage
	case errors.Is(err, apiclient.ErrNotFound):
		return exitNotFound
	case errors.Is(err, apiclient.ErrConflict):
		return exitConflict
	case errors.Is(err, apiclient.ErrAuth):
		return exitAuth
	}
	return exitServer
}

func (a *app) usage(w io.Writer) {
	fmt.Fprintln(w, "usage: muster <command> [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %s\n      %s\n", cmds[n].usage, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nevery command takes --url, --token (else MUSTER_URL, MUSTER_TOKEN, else")
	fmt.Fprintln(w, "~/.config/muster/config.json) and --json.")
	fmt.Fprintln(w, "\nexit codes: 0 ok, 1 usage, 2 not found, 3 conflict, 4 auth, 5 server/network")
}

// flags returns a flag set with the global flags registered.
func (a *app) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("muster "+name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.StringVar(&a.url, "url", "", "API base URL (default $MUSTER_URL)")
	fs.StringVar(&a.token, "token", "", "bearer token (default $MUSTER_TOKEN)")
	fs.BoolVar(&a.json, "json", false, "print JSON instead of a table")
	return fs
}

// parse parses flags placed anywhere among the arguments and returns the
// positional arguments; want is how many there must be (-1: any).
func (a *app) parse(fs *flag.FlagSet, args []string, want int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if want >= 0 && len(pos) != want {
		return nil, usagef("%s: want %d argument(s), got %d", fs.Name(), want, len(pos))
	}
	return pos, nil
}

// connect builds the API client from flags, environment and config file.
func (a *app) connect() error {
	cfg, err := loadConfig(a.getenv, a.stderr)
	if err != nil {
		return err
	}
	if a.url == "" {
		a.url = cfg.URL
	}
	if a.token == "" {
		a.token = cfg.Token
	}
	if a.url == "" {
		return usagef("no API address: set --url, MUSTER_URL or \"url\" in %s", configPath(a.getenv))
	}
	hc := a.http
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	a.client = &apiclient.Client{BaseURL: a.url, Token: a.token, HTTP: hc}
	return nil
}

// printJSON writes v indented.
func (a *app) printJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(a.stdout, string(b))
	return err
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
