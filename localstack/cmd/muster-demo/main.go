// Command muster-demo (`make demo`) posts the sample alerts from
// events/samples to a running local stack (`make run`) and prints the
// incidents that result.
//
// By default it replays the correlation scenario in
// events/samples/scenario/manifest.json, in its order: a multi-source
// campaign on one EC2 instance, the same attacker on a second instance,
// and unrelated noise. With -all it also posts every other sample under
// events/samples/<provider>/.
//
// Environment: MUSTER_ADDR (127.0.0.1:8080, or a full URL) and
// MUSTER_DEV_TOKEN (the token muster-local printed or was given).
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/muster-sec/muster/shared/apiclient"
	"github.com/muster-sec/muster/shared/incident"
)

type manifestEntry struct {
	Provider string `json:"provider"`
	File     string `json:"file"`
	Role     string `json:"role"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "muster-demo: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	samples := flag.String("samples", "events/samples", "directory of sample payloads")
	all := flag.Bool("all", false, "also post every sample not in the scenario manifest")
	wait := flag.Duration("wait", 30*time.Second, "how long to wait for correlation to settle")
	flag.Parse()

	addr := cmp.Or(os.Getenv("MUSTER_ADDR"), "127.0.0.1:8080")
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	token := os.Getenv("MUSTER_DEV_TOKEN")
	if token == "" {
		return errors.New("set MUSTER_DEV_TOKEN to the token `make run` printed (or was started with)")
	}
	base := strings.TrimRight(addr, "/")
	c := &apiclient.Client{BaseURL: base, Token: token, HTTP: &http.Client{Timeout: 30 * time.Second}}
	ctx := context.Background()
	if _, err := c.List(ctx, "/incidents", url.Values{"limit": {"1"}}, ""); err != nil {
		return refused(base, err)
	}

	entries, err := plan(*samples, *all)
	if err != nil {
		return err
	}
	fmt.Printf("Posting %d samples to %s\n\n", len(entries), base)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tPROVIDER\tFILE\tRESULT")
	for _, e := range entries {
		body, err := os.ReadFile(e.File)
		if err != nil {
			return fmt.Errorf("read sample: %w", err)
		}
		raw, err := c.Post(ctx, e.Provider, body)
		var failed *apiclient.Error
		result := ""
		switch {
		case errors.As(err, &failed) && failed.Status >= 400 && !errors.Is(err, apiclient.ErrAuth):
			result = "HTTP " + failed.Error()
		case err != nil:
			return refused(base, err)
		default:
			var r struct{ Accepted, Duplicates, Suppressed, Rejected int }
			_ = json.Unmarshal(raw, &r)
			result = fmt.Sprintf("accepted %d, duplicate %d, suppressed %d, rejected %d", r.Accepted, r.Duplicates, r.Suppressed, r.Rejected)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Role, e.Provider, filepath.Base(e.File), result)
	}
	tw.Flush()

	fmt.Printf("\nWaiting for correlation (up to %s)…\n\n", *wait)
	incs, err := settle(ctx, c, *wait)
	if err != nil {
		return err
	}
	printIncidents(incs)
	if n := countLines(filepath.Join(stateDir(), "events.jsonl")); n >= 0 {
		fmt.Printf("\n%d events in %s\n", n, filepath.Join(stateDir(), "events.jsonl"))
	}
	return nil
}

// plan lists the samples to post: the manifest in order, then (with all)
// every other provider sample in name order.
func plan(dir string, all bool) ([]manifestEntry, error) {
	b, err := os.ReadFile(filepath.Join(dir, "scenario", "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("read the scenario manifest (run from the repository root or pass -samples): %w", err)
	}
	var m []manifestEntry
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse the scenario manifest: %w", err)
	}
	root := filepath.Dir(filepath.Dir(filepath.Clean(dir))) // manifest paths are relative to the repository root
	seen := map[string]bool{}
	for i := range m {
		m[i].File = filepath.Join(root, m[i].File)
		seen[filepath.Clean(m[i].File)] = true
	}
	if !all {
		return m, nil
	}
	providers, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list samples: %w", err)
	}
	for _, p := range providers {
		if !p.IsDir() || p.Name() == "scenario" {
			continue
		}
		files, err := filepath.Glob(filepath.Join(dir, p.Name(), "*.json"))
		if err != nil {
			return nil, err
		}
		slices.Sort(files)
		for _, f := range files {
			base := filepath.Base(f)
			if seen[filepath.Clean(f)] || strings.Contains(base, ".golden") || strings.Contains(base, "expected") {
				continue
			}
			{
				m = append(m, manifestEntry{Provider: p.Name(), File: f, Role: "extra"})
			}
		}
	}
	return m, nil
}

// refused says why the stack at base did not take a call.
func refused(base string, err error) error {
	var failed *apiclient.Error
	switch {
	case errors.Is(err, apiclient.ErrAuth):
		return fmt.Errorf("the API refused the token (%w): is MUSTER_DEV_TOKEN the one the stack uses?", err)
	case errors.As(err, &failed) && failed.Status != 0:
		return fmt.Errorf("the local stack at %s answered %w", base, err)
	}
	return fmt.Errorf("the local stack at %s does not answer (start it with `make run`): %w", base, err)
}

// incidents lists every incident, following cursors.
func incidents(ctx context.Context, c *apiclient.Client) ([]incident.Incident, error) {
	var all []incident.Incident
	for p, err := range c.Pages(ctx, "/incidents", url.Values{"limit": {"200"}}) {
		if err != nil {
			return nil, fmt.Errorf("GET /incidents: %w", err)
		}
		for _, raw := range p.Items {
			var inc incident.Incident
			if err := json.Unmarshal(raw, &inc); err != nil {
				return nil, fmt.Errorf("GET /incidents: %w", err)
			}
			all = append(all, inc)
		}
	}
	return all, nil
}

// settle polls until the incident list has not changed for two seconds,
// or wait has passed.
func settle(ctx context.Context, c *apiclient.Client, wait time.Duration) ([]incident.Incident, error) {
	deadline := time.Now().Add(wait)
	var last []incident.Incident
	stableSince := time.Now()
	for {
		cur, err := incidents(ctx, c)
		if err != nil {
			return nil, err
		}
		if !reflect.DeepEqual(cur, last) {
			last, stableSince = cur, time.Now()
		}
		if (len(cur) > 0 && time.Since(stableSince) >= 2*time.Second) || time.Now().After(deadline) {
			return cur, nil
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func printIncidents(incs []incident.Incident) {
	if len(incs) == 0 {
		fmt.Println("No incidents yet. Check the local stack's log (and .muster/dead-letter/).")
		return
	}
	fmt.Printf("%d incident(s):\n\n", len(incs))
	for _, in := range incs {
		var res []string
		for _, r := range in.Resources {
			res = append(res, cmp.Or(r.Name, r.ID))
		}
		fmt.Printf("• %s\n", in.Title)
		fmt.Printf("    id        %s\n", in.ID)
		fmt.Printf("    severity  %s   status %s   alerts %d\n", in.Severity, in.Status, in.AlertCount)
		var stages []string
		for _, st := range in.Tactics {
			stages = append(stages, st.String())
		}
		fmt.Printf("    stages    %s\n", strings.Join(stages, " → "))
		fmt.Printf("    resources %s\n\n", strings.Join(res, ", "))
	}
}

func stateDir() string { return cmp.Or(os.Getenv("MUSTER_DIR"), ".muster") }

// countLines returns the number of lines of path, -1 when it cannot be read.
func countLines(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	return bytes.Count(b, []byte("\n"))
}
