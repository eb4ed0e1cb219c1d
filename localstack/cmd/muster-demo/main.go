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
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

type manifestEntry struct {
	Provider string `json:"provider"`
	File     string `json:"file"`
	Role     string `json:"role"`
}

type incident struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Severity   string   `json:"severity"`
	Status     string   `json:"status"`
	Tactics    []string `json:"tactics"`
	AlertCount int      `json:"alertCount"`
	Version    int64    `json:"version"`
	Resources  []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"resources"`
}

type client struct {
	base  string
	token string
	http  *http.Client
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

	addr := os.Getenv("MUSTER_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	token := os.Getenv("MUSTER_DEV_TOKEN")
	if token == "" {
		return errors.New("set MUSTER_DEV_TOKEN to the token `make run` printed (or was started with)")
	}
	c := &client{base: strings.TrimRight(addr, "/"), token: token, http: &http.Client{Timeout: 30 * time.Second}}
	if _, _, err := c.do(http.MethodGet, "/incidents?limit=1", nil); err != nil {
		return fmt.Errorf("the local stack at %s does not answer (start it with `make run`): %w", c.base, err)
	}

	entries, err := plan(*samples, *all)
	if err != nil {
		return err
	}
	fmt.Printf("Posting %d samples to %s\n\n", len(entries), c.base)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tPROVIDER\tFILE\tRESULT")
	for _, e := range entries {
		body, err := os.ReadFile(e.File)
		if err != nil {
			return fmt.Errorf("read sample: %w", err)
		}
		status, raw, err := c.do(http.MethodPost, "/webhooks/"+e.Provider, body)
		result := ""
		switch {
		case err != nil:
			return err
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return fmt.Errorf("the API refused the token (%d): is MUSTER_DEV_TOKEN the one the stack uses?", status)
		case status == http.StatusAccepted:
			var r struct{ Accepted, Duplicates, Suppressed, Rejected int }
			_ = json.Unmarshal(raw, &r)
			result = fmt.Sprintf("accepted %d, duplicate %d, suppressed %d, rejected %d", r.Accepted, r.Duplicates, r.Suppressed, r.Rejected)
		default:
			result = fmt.Sprintf("HTTP %d %s", status, problemTitle(raw))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Role, e.Provider, filepath.Base(e.File), result)
	}
	tw.Flush()

	fmt.Printf("\nWaiting for correlation (up to %s)…\n\n", *wait)
	incs, err := c.settle(*wait)
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

func (c *client) do(method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	return resp.StatusCode, raw, nil
}

// incidents lists every incident, following cursors.
func (c *client) incidents() ([]incident, error) {
	var all []incident
	path := "/incidents?limit=200"
	for {
		status, raw, err := c.do(http.MethodGet, path, nil)
		if err != nil {
			return nil, err
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("GET /incidents: HTTP %d %s", status, problemTitle(raw))
		}
		var page struct {
			Items  []incident `json:"items"`
			Cursor string     `json:"cursor"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return nil, fmt.Errorf("GET /incidents: %w", err)
		}
		all = append(all, page.Items...)
		if page.Cursor == "" {
			return all, nil
		}
		path = "/incidents?limit=200&cursor=" + page.Cursor
	}
}

// settle polls until the incident list has not changed for two seconds,
// or wait has passed.
func (c *client) settle(wait time.Duration) ([]incident, error) {
	deadline := time.Now().Add(wait)
	var last []incident
	stableSince := time.Now()
	for {
		cur, err := c.incidents()
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

func printIncidents(incs []incident) {
	if len(incs) == 0 {
		fmt.Println("No incidents yet. Check the local stack's log (and .muster/dead-letter/).")
		return
	}
	fmt.Printf("%d incident(s):\n\n", len(incs))
	for _, in := range incs {
		var res []string
		for _, r := range in.Resources {
			res = append(res, cmp(r.Name, r.ID))
		}
		fmt.Printf("• %s\n", in.Title)
		fmt.Printf("    id        %s\n", in.ID)
		fmt.Printf("    severity  %s   status %s   alerts %d\n", in.Severity, in.Status, in.AlertCount)
		fmt.Printf("    stages    %s\n", strings.Join(in.Tactics, " → "))
		fmt.Printf("    resources %s\n\n", strings.Join(res, ", "))
	}
}

func problemTitle(raw []byte) string {
	var p struct{ Title, Detail string }
	if json.Unmarshal(raw, &p) == nil && p.Title != "" {
		if p.Detail != "" {
			return p.Title + ": " + p.Detail
		}
		return p.Title
	}
	return ""
}

func stateDir() string { return cmp(os.Getenv("MUSTER_DIR"), ".muster") }

// countLines returns the number of lines of path, -1 when it cannot be read.
func countLines(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	return bytes.Count(b, []byte("\n"))
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
