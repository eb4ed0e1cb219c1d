package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/functions/query/handler"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/auth"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/listing"
	"github.com/muster-sec/muster/shared/memstore"
	"github.com/muster-sec/muster/shared/rulemeta"
	"github.com/muster-sec/muster/shared/suppress"
)

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

const (
	readToken  = "reader-token"
	writeToken = "writer-token"
)

// store is the in-memory store with the few list methods the memory
// store lacks, enough for the command's tests.
type store struct {
	*memstore.Store
	alerts []alert.Alert
}

func (s *store) ListAlerts(_ context.Context, _ listing.Filter, _ int, _ string) (listing.Page, error) {
	var p listing.Page
	for i := range s.alerts {
		p.Items = append(p.Items, listing.Item{Kind: listing.KindAlert, Alert: &s.alerts[i]})
	}
	return p, nil
}

func (s *store) DismissAlerts(context.Context, []string, string) (int, error) { return 0, nil }

func (s *store) SimulateRule(context.Context, suppress.Rule, time.Time) (dynamostore.Simulation, error) {
	return dynamostore.Simulation{}, nil
}

// api is a real query API on the memory store, behind an httptest server.
type api struct {
	srv   *httptest.Server
	store *store
	h     *handler.Handler
}

func newAPI(t *testing.T, n int) *api {
	t.Helper()
	clock := func() time.Time { return now }
	st := &store{Store: memstore.New(clock), alerts: []alert.Alert{{ID: "al-1", Provider: "guardduty", Name: "Recon by EC2 instance",
		Severity: alert.High, FirstSeen: now.Add(-time.Hour)}}}
	for i := range n {
		inc := incident.Incident{ID: fmt.Sprintf("inc-%02d", i), Title: fmt.Sprintf("Incident %d", i), Severity: alert.High,
			Status: incident.StatusActive, FirstActivity: now.Add(-time.Duration(i+2) * time.Hour),
			LastActivity: now.Add(-time.Duration(i+1) * time.Minute), CreatedAt: now.Add(-time.Hour),
			Resources: []alert.Resource{{ID: fmt.Sprintf("i-%d", i), Type: "AwsEc2Instance", Tags: map[string]string{"env": []string{"prod", "dev"}[i%2]}}},
			Tactics:   []killchain.Stage{killchain.InitialAccess}, Sources: []string{"guardduty"}, AlertCount: 1}
		if err := st.SeedIncident(context.Background(), inc, nil); err != nil {
			t.Fatal(err)
		}
	}
	authn, err := auth.New(auth.Config{Tokens: []auth.TokenConfig{
		{Name: "reader", Token: readToken, Scopes: []string{"read"}},
		{Name: "writer", Token: writeToken, Scopes: []string{"read", "write"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	h := handler.New(handler.Options{Store: st, Auth: authn, CursorKey: []byte("k"), Now: clock, APIURL: "https://muster.example"})
	a := &api{store: st, h: h}
	a.srv = httptest.NewServer(h)
	t.Cleanup(a.srv.Close)
	return a
}

// result is one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// muster runs the command against url with token (no config file).
func muster(t *testing.T, url, token string, args ...string) result {
	t.Helper()
	vars := map[string]string{"MUSTER_URL": url, "MUSTER_TOKEN": token, "HOME": t.TempDir()}
	return runWith(t, vars, "", args...)
}

func runWith(t *testing.T, vars map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, env{getenv: func(k string) string { return vars[k] },
		stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut})
	return result{code, out.String(), errOut.String()}
}

func TestListIncidents(t *testing.T) {
	a := newAPI(t, 5)
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		wantIDs   int
		wantLines int // table rows, header included; 0: JSON
	}{
		{name: "table", args: []string{"incidents"}, wantLines: 6},
		{name: "one page", args: []string{"incidents", "--limit", "2", "--json"}, wantIDs: 2},
		{name: "all pages", args: []string{"incidents", "--limit", "2", "--all", "--json"}, wantIDs: 5},
		{name: "by tag", args: []string{"incidents", "--tag", "env=prod", "--all", "--json"}, wantIDs: 3},
		{name: "filter passed on", args: []string{"incidents", "--status", "Resolved", "--json"}, wantIDs: 0},
		{name: "bad filter", args: []string{"incidents", "--severity", "Huge"}, wantCode: exitUsage},
		{name: "bad tag", args: []string{"incidents", "--tag", "env"}, wantCode: exitUsage},
		{name: "unknown flag", args: []string{"incidents", "--colour"}, wantCode: exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := muster(t, a.srv.URL, readToken, tt.args...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", r.code, tt.wantCode, r.stderr)
			}
			if tt.wantCode != 0 {
				return
			}
			if tt.wantLines > 0 {
				if got := strings.Count(r.stdout, "\n"); got != tt.wantLines {
					t.Errorf("%d lines, want %d:\n%s", got, tt.wantLines, r.stdout)
				}
				return
			}
			var items []map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &items); err != nil {
				t.Fatalf("--json output is not a JSON array: %v\n%s", err, r.stdout)
			}
			if len(items) != tt.wantIDs {
				t.Errorf("%d incidents, want %d", len(items), tt.wantIDs)
			}
		})
	}
}

func TestExitCodes(t *testing.T) {
	a := newAPI(t, 1)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	tests := []struct {
		name  string
		url   string
		token string
		args  []string
		want  int
	}{
		{"ok", a.srv.URL, readToken, []string{"incident", "show", "inc-00"}, exitOK},
		{"no command", a.srv.URL, readToken, nil, exitUsage},
		{"unknown command", a.srv.URL, readToken, []string{"frobnicate"}, exitUsage},
		{"missing id", a.srv.URL, readToken, []string{"incident", "show"}, exitUsage},
		{"bad classification", a.srv.URL, writeToken, []string{"incident", "resolve", "inc-00", "Maybe"}, exitUsage},
		{"not found", a.srv.URL, readToken, []string{"incident", "show", "inc-nope"}, exitNotFound},
		{"no token", a.srv.URL, "", []string{"incidents"}, exitAuth},
		{"wrong scope", a.srv.URL, readToken, []string{"incident", "assign", "inc-00", "alice"}, exitAuth},
		{"resolve", a.srv.URL, writeToken, []string{"incident", "resolve", "inc-00", "tp"}, exitOK},
		{"transition refused (resolved → dismissed)", a.srv.URL, writeToken, []string{"incident", "dismiss", "inc-00"}, exitConflict},
		{"network", down.URL, readToken, []string{"incidents"}, exitServer},
		{"no url", "", readToken, []string{"incidents"}, exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := muster(t, tt.url, tt.token, tt.args...)
			if r.code != tt.want {
				t.Errorf("exit %d, want %d; stderr %s", r.code, tt.want, r.stderr)
			}
			if tt.token != "" && strings.Contains(r.stderr, tt.token) {
				t.Errorf("stderr shows the token: %s", r.stderr)
			}
		})
	}
}

func TestShowIncident(t *testing.T) {
	a := newAPI(t, 1)
	r := muster(t, a.srv.URL, readToken, "incident", "show", "inc-00")
	for _, want := range []string{"inc-00", "Incident 0", "High", "Active", "[InitialAccess]", "i-0 (AwsEc2Instance)", "guardduty", "https://muster.example/#/incidents/inc-00"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.stdout)
		}
	}
	r = muster(t, a.srv.URL, readToken, "incident", "show", "inc-00", "--json")
	var d map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil || d["id"] != "inc-00" || d["links"] == nil {
		t.Errorf("show --json: %v %s", err, r.stdout)
	}
}

// TestResolveRetriesOnce: someone assigns the incident between the
// command's read and its write; the command shows the change and succeeds
// on the second try. When the incident keeps changing, it gives up with
// exit 3 after one retry.
func TestResolveRetriesOnce(t *testing.T) {
	tests := []struct {
		name      string
		raceEvery bool // race every PATCH, not only the first
		want      int
	}{
		{"one race", false, exitOK},
		{"always racing", true, exitConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t, 1)
			patches := 0
			racer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPatch && (patches == 0 || tt.raceEvery) {
					owner := fmt.Sprintf("bob-%d", patches)
					if _, err := a.store.PatchIncident(r.Context(), "inc-00", currentVersion(t, a), func(inc *incident.Incident) ([]incident.TimelineEntry, error) {
						inc.Owner, inc.UpdatedBy = owner, "bob"
						return []incident.TimelineEntry{{At: now, Actor: "bob", Action: "owner changed", To: owner}}, nil
					}); err != nil {
						t.Errorf("racing patch: %v", err)
					}
				}
				if r.Method == http.MethodPatch {
					patches++
				}
				a.h.ServeHTTP(w, r)
			}))
			defer racer.Close()
			r := muster(t, racer.URL, writeToken, "incident", "resolve", "inc-00", "TruePositive", "--comment", "contained")
			if r.code != tt.want {
				t.Fatalf("exit %d, want %d; stderr %s", r.code, tt.want, r.stderr)
			}
			if !strings.Contains(r.stderr, "owner: - → bob-0") {
				t.Errorf("stderr does not show what changed:\n%s", r.stderr)
			}
			if patches != 2 {
				t.Errorf("%d PATCH requests, want 2", patches)
			}
			inc, _ := a.store.GetIncident(context.Background(), "inc-00")
			if resolved := inc.Status == incident.StatusResolved; resolved != (tt.want == exitOK) {
				t.Errorf("status %s after exit %d", inc.Status, r.code)
			}
		})
	}
}

func currentVersion(t *testing.T, a *api) int64 {
	t.Helper()
	inc, err := a.store.GetIncident(context.Background(), "inc-00")
	if err != nil {
		t.Fatal(err)
	}
	return inc.Version
}

func TestActions(t *testing.T) {
	a := newAPI(t, 1)
	steps := []struct {
		args []string
		want string // in stdout
	}{
		{[]string{"incident", "assign", "inc-00", "alice"}, "owner alice"},
		{[]string{"incident", "comment", "inc-00", "looking", "into", "it"}, "commented on inc-00"},
		{[]string{"incident", "dismiss", "inc-00", "--reason", "test traffic"}, "Dismissed"},
	}
	for _, s := range steps {
		r := muster(t, a.srv.URL, writeToken, s.args...)
		if r.code != 0 || !strings.Contains(r.stdout, s.want) {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q", s.args, r.code, r.stdout, r.stderr)
		}
	}
	cs, _ := a.store.Comments(context.Background(), "inc-00")
	texts := map[string]string{}
	for _, c := range cs {
		texts[c.Text] = c.Author
	}
	if len(cs) != 2 || texts["looking into it"] != "writer" || texts["test traffic"] != "writer" {
		t.Errorf("comments = %+v", cs)
	}
}

func TestAlertsRulesPost(t *testing.T) {
	a := newAPI(t, 0)
	rule, err := a.store.CreateRule(context.Background(), suppress.Rule{Meta: rulemeta.Meta{ID: "sr-1"}, Name: "scanner", Reason: "known scanner",
		Match: suppress.Match{Provider: "guardduty"}, State: suppress.Enabled})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args     []string
		want     string
		wantCode int
	}{
		{[]string{"alerts"}, "Recon by EC2 instance", 0},
		{[]string{"alerts", "--json"}, `"id": "al-1"`, 0},
		{[]string{"rules", "list"}, "known scanner", 0},
		{[]string{"rules", "show", rule.ID}, `"reason": "known scanner"`, 0},
		{[]string{"rules", "delete", rule.ID}, "deleted " + rule.ID, 0},
		{[]string{"rules", "show", rule.ID}, "", exitNotFound},
		{[]string{"rules", "purge"}, "", exitUsage},
		{[]string{"completion", "bash"}, "complete -F _muster muster", 0},
		{[]string{"completion", "zsh"}, "compdef _muster muster", 0},
		{[]string{"completion", "fish"}, "", exitUsage},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := muster(t, a.srv.URL, writeToken, tt.args...)
			if r.code != tt.wantCode || !strings.Contains(r.stdout, tt.want) {
				t.Errorf("exit %d (want %d), stdout lacks %q:\n%s%s", r.code, tt.wantCode, tt.want, r.stdout, r.stderr)
			}
		})
	}
}

// TestPost sends a file and stdin to a fake ingest endpoint: the body
// arrives unchanged, with the token, at /webhooks/<provider>.
func TestPost(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		_, _ = b.ReadFrom(r.Body)
		got = append(got, r.URL.Path+" "+r.Header.Get("Authorization")+" "+b.String())
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"accepted":1,"duplicates":0,"suppressed":0,"rejected":0,"results":[]}`))
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "alert.json")
	if err := os.WriteFile(file, []byte(`[{"id":"x"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"MUSTER_URL": srv.URL, "MUSTER_TOKEN": "ingest-token", "HOME": t.TempDir()}
	if r := runWith(t, vars, "", "post", "generic", file); r.code != 0 || !strings.Contains(r.stdout, "accepted 1") {
		t.Errorf("post file: %+v", r)
	}
	if r := runWith(t, vars, `{"id":"y"}`, "post", "generic", "-"); r.code != 0 {
		t.Errorf("post stdin: %+v", r)
	}
	want := []string{`/webhooks/generic Bearer ingest-token [{"id":"x"}]`, `/webhooks/generic Bearer ingest-token {"id":"y"}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("server saw\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r := runWith(t, vars, "", "post", "generic", filepath.Join(t.TempDir(), "missing.json")); r.code != exitUsage {
		t.Errorf("missing file: exit %d", r.code)
	}
}

// TestConfigFile: the file gives url and token; the environment
// overrides it; a file others can read earns a warning.
func TestConfigFile(t *testing.T) {
	a := newAPI(t, 1)
	home := t.TempDir()
	path := filepath.Join(home, ".config", "muster", "config.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(config{URL: a.srv.URL, Token: readToken})
	tests := []struct {
		name     string
		mode     os.FileMode
		vars     map[string]string
		wantCode int
		warn     bool
	}{
		{"file only", 0o600, map[string]string{}, 0, false},
		{"env token wins", 0o600, map[string]string{"MUSTER_TOKEN": "wrong"}, exitAuth, false},
		{"readable by others", 0o644, map[string]string{}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(path, b, tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			tt.vars["HOME"] = home
			r := runWith(t, tt.vars, "", "incidents")
			if r.code != tt.wantCode || strings.Contains(r.stderr, "warning") != tt.warn {
				t.Errorf("exit %d (want %d), stderr %q", r.code, tt.wantCode, r.stderr)
			}
		})
	}
}
