package handler_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/functions/ingest/handler"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/auth"
	"github.com/muster-sec/muster/shared/memstore"
	"github.com/muster-sec/muster/shared/metrics"
	"github.com/muster-sec/muster/shared/rulemeta"
	"github.com/muster-sec/muster/shared/suppress"
)

var now = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

const (
	tokenAll       = "tok-all-9f8e7d6c5b4a"
	tokenGuardDuty = "tok-gd-1a2b3c4d5e6f"
	tokenReader    = "tok-read-0a0b0c0d"
	signingSecret  = "whsec-alertmanager-77aa88bb"
)

func authenticator(t testing.TB) *auth.Authenticator {
	t.Helper()
	a, err := auth.New(auth.Config{
		Tokens: []auth.TokenConfig{
			{Name: "all", Token: tokenAll, Scopes: []string{"ingest:*"}},
			{Name: "guardduty", Token: tokenGuardDuty, Scopes: []string{"ingest:guardduty"}},
			{Name: "reader", Token: tokenReader, Scopes: []string{"read"}},
		},
		Secrets: []auth.SecretConfig{{Provider: "alertmanager", Secret: signingSecret}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// fakeRules is an in-memory RuleSource.
type fakeRules struct {
	mu    sync.Mutex
	rules []suppress.Rule
	hits  map[string]int
}

func (f *fakeRules) ActiveRules(context.Context) ([]suppress.Rule, error) {
	return f.rules, nil
}

func (f *fakeRules) RecordHits(_ context.Context, hits map[string]int, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hits == nil {
		f.hits = map[string]int{}
	}
	for k, v := range hits {
		f.hits[k] += v
	}
	return nil
}

type fixture struct {
	h     *handler.Handler
	store *memstore.Store
	rules *fakeRules
	logs  *bytes.Buffer
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{store: memstore.New(func() time.Time { return now }), rules: &fakeRules{}, logs: &bytes.Buffer{}}
	h, err := handler.New(handler.Options{
		Alerts: f.store, Rules: f.rules, Metrics: f.store, Auth: authenticator(t),
		Now:    func() time.Time { return now },
		Logger: slog.New(slog.NewJSONHandler(f.logs, nil)).With("component", "ingest"),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	return f
}

func sample(t testing.TB, provider, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "events", "samples", provider, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func post(provider, token, body string) events.APIGatewayProxyRequest {
	h := map[string]string{"Content-Type": "application/json"}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	return events.APIGatewayProxyRequest{
		HTTPMethod: http.MethodPost, Resource: "/webhooks/{provider}", Path: "/webhooks/" + provider,
		PathParameters: map[string]string{"provider": provider}, Headers: h, Body: body,
	}
}

func (f *fixture) serve(t testing.TB, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, map[string]any) {
	t.Helper()
	resp, err := f.h.ServeAPI(context.Background(), req)
	if err != nil {
		t.Fatalf("ServeAPI returned an error: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &doc); err != nil {
		t.Fatalf("response body is not JSON: %q", resp.Body)
	}
	return resp, doc
}

func signed(provider, body, secret string, ts time.Time) events.APIGatewayProxyRequest {
	req := post(provider, "", body)
	stamp := strconv.FormatInt(ts.Unix(), 10)
	req.Headers[auth.HeaderTimestamp] = stamp
	req.Headers[auth.HeaderSignature] = "sha256=" + hex.EncodeToString(auth.Sign([]byte(secret), stamp, []byte(body)))
	return req
}

func genericAlerts(n int) string {
	var items []string
	for i := range n {
		items = append(items, fmt.Sprintf(`{"id":"g-%d","type":"T","severity":"low","firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r-%d"}]}`, i, i))
	}
	return "[" + strings.Join(items, ",") + "]"
}

// countAlerts counts alerts stored for a list of ids.
func storedCount(t testing.TB, s *memstore.Store, ids ...string) int {
	t.Helper()
	n := 0
	for _, id := range ids {
		if _, err := s.GetAlert(context.Background(), id); err == nil {
			n++
		}
	}
	return n
}

func TestStatuses(t *testing.T) {
	probe := sample(t, "guardduty", "port-probe.json")
	am := sample(t, "alertmanager", "ssh-failed-logins.json")
	tests := []struct {
		name   string
		req    events.APIGatewayProxyRequest
		status int
		title  string
	}{
		{"accepted with ingest:*", post("guardduty", tokenAll, probe), 202, ""},
		{"accepted with ingest:guardduty", post("guardduty", tokenGuardDuty, probe), 202, ""},
		{"no token", post("guardduty", "", probe), 401, ""},
		{"wrong token", post("guardduty", "tok-nope", probe), 401, ""},
		{"not a bearer scheme", func() events.APIGatewayProxyRequest {
			r := post("guardduty", "", probe)
			r.Headers["Authorization"] = "Basic " + tokenAll
			return r
		}(), 401, ""},
		{"wrong scope: read", post("guardduty", tokenReader, probe), 403, ""},
		{"wrong scope: other provider", post("falco", tokenGuardDuty, sample(t, "falco", "terminal-shell.json")), 403, ""},
		{"good signature", signed("alertmanager", am, signingSecret, now), 202, ""},
		{"bad signature", signed("alertmanager", am, "wrong-secret", now), 401, ""},
		{"stale signature", signed("alertmanager", am, signingSecret, now.Add(-6*time.Minute)), 401, ""},
		{"signature over another body", func() events.APIGatewayProxyRequest {
			r := signed("alertmanager", am, signingSecret, now)
			r.Body = strings.Replace(r.Body, "142", "143", 1)
			return r
		}(), 401, ""},
		{"signature for a provider without secret", signed("falco", am, signingSecret, now), 401, ""},
		{"unknown provider", post("splunk", tokenAll, probe), 404, "Unknown provider"},
		{"wrong content type", func() events.APIGatewayProxyRequest {
			r := post("guardduty", tokenAll, probe)
			r.Headers["Content-Type"] = "text/plain"
			return r
		}(), 415, ""},
		{"missing content type", func() events.APIGatewayProxyRequest {
			r := post("guardduty", tokenAll, probe)
			delete(r.Headers, "Content-Type")
			return r
		}(), 415, ""},
		{"json with charset", func() events.APIGatewayProxyRequest {
			r := post("guardduty", tokenAll, probe)
			r.Headers["content-type"] = "application/json; charset=utf-8"
			delete(r.Headers, "Content-Type")
			return r
		}(), 202, ""},
		{"oversize body", post("generic", tokenAll, `{"pad":"`+strings.Repeat("x", handler.MaxBodyBytes)+`"}`), 413, ""},
		{"malformed JSON", post("generic", tokenAll, `{"id": "x",`), 400, "Malformed request"},
		{"top level not object or array", post("generic", tokenAll, `"hello"`), 400, "Malformed request"},
		{"empty array", post("generic", tokenAll, `[]`), 400, "Malformed request"},
		{"too many alerts", post("generic", tokenAll, genericAlerts(handler.MaxAlerts+1)), 400, "Too many alerts"},
		{"nothing valid", post("generic", tokenAll, `[{"id":"a","type":"T","firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r"}]}]`), 400, "No valid alert"},
		{"GET not allowed", func() events.APIGatewayProxyRequest {
			r := post("guardduty", tokenAll, probe)
			r.HTTPMethod = http.MethodGet
			return r
		}(), 405, ""},
		{"other route", events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/alerts"}, 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			resp, doc := f.serve(t, tc.req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tc.status, resp.Body)
			}
			ct := resp.Headers["Content-Type"]
			if tc.status == 202 {
				if ct != "application/json" {
					t.Fatalf("content type %q", ct)
				}
				return
			}
			if ct != "application/problem+json" {
				t.Fatalf("error content type = %q, want application/problem+json", ct)
			}
			if doc["status"] != float64(tc.status) || doc["title"] == "" {
				t.Fatalf("problem document = %v", doc)
			}
			if tc.title != "" && doc["title"] != tc.title {
				t.Fatalf("title = %v, want %q", doc["title"], tc.title)
			}
		})
	}
}

func TestLimitsAreNamed(t *testing.T) {
	f := newFixture(t)
	resp, doc := f.serve(t, post("generic", tokenAll, genericAlerts(handler.MaxAlerts+1)))
	if resp.StatusCode != 400 || doc["limit"] != float64(handler.MaxAlerts) || !strings.Contains(doc["detail"].(string), "500") {
		t.Fatalf("too many: %d %v", resp.StatusCode, doc)
	}
	if n := storedCount(t, f.store, "g-0"); n != 0 {
		t.Fatal("an over-limit request stored alerts")
	}
	resp, doc = f.serve(t, post("generic", tokenAll, `[`+strings.Repeat(" ", handler.MaxBodyBytes)+`]`))
	if resp.StatusCode != 413 || doc["limit"] != float64(handler.MaxBodyBytes) {
		t.Fatalf("oversize: %d %v", resp.StatusCode, doc)
	}
	// Exactly at the alert limit is fine.
	resp, doc = f.serve(t, post("generic", tokenAll, genericAlerts(handler.MaxAlerts)))
	if resp.StatusCode != 202 || doc["accepted"] != float64(handler.MaxAlerts) {
		t.Fatalf("at the limit: %d accepted=%v", resp.StatusCode, doc["accepted"])
	}
}

// webhookResult decodes the 202 body.
func webhookResult(t testing.TB, body string) handler.Summary {
	t.Helper()
	var s handler.Summary
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPerItemResults(t *testing.T) {
	f := newFixture(t)
	body := `[
	 {"id":"ok-1","type":"T","severity":"high","tactics":["Execution"],"firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"i-0a1b2c3d4e5f60718"}]},
	 {"id":"bad-1","type":"T","severity":"urgent","firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r"}]},
	 {"id":"bad-2","type":"T","severity":"low","firstSeen":"2026-11-20T08:00:00Z","resources":[]},
	 {"id":"bad-3","type":"T","severity":"low","firstSeen":"yesterday","resources":[{"id":"r"}]},
	 {"id":"bad-4","type":"T","severity":"low","tactics":["Lunch"],"firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r"}]},
	 {"id":"bad-5","type":"T","severity":5,"firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r"}]},
	 "not an object"
	]`
	resp, _ := f.serve(t, post("generic", tokenAll, body))
	if resp.StatusCode != 202 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	s := webhookResult(t, resp.Body)
	if s.Accepted != 1 || s.Rejected != 6 || len(s.Results) != 7 {
		t.Fatalf("summary = %+v", s)
	}
	wantFields := []string{"", "severity", "resources", "firstSeen", "tactics[0]", "severity", "item"}
	for i, r := range s.Results {
		if r.Index != i {
			t.Fatalf("result %d has index %d", i, r.Index)
		}
		if i == 0 {
			if r.Status != handler.StatusAccepted || r.AlertID != alert.ID("generic", "ok-1") || r.Error != nil {
				t.Fatalf("result 0 = %+v", r)
			}
			continue
		}
		if r.Status != handler.StatusRejected || r.Error == nil || r.Error.Field != wantFields[i] || r.Error.Reason == "" || r.AlertID != "" {
			t.Fatalf("result %d = %+v, want rejected on %q", i, r, wantFields[i])
		}
	}
	// A rejected item writes nothing.
	ids := []string{}
	for _, id := range []string{"bad-1", "bad-2", "bad-3", "bad-4", "bad-5"} {
		ids = append(ids, alert.ID("generic", id))
	}
	if n := storedCount(t, f.store, ids...); n != 0 {
		t.Fatalf("%d rejected alerts were stored", n)
	}
}

func TestRedeliveryIsDuplicate(t *testing.T) {
	f := newFixture(t)
	body := sample(t, "guardduty", "ssh-brute-force.json")
	first := webhookResult(t, mustServe(t, f, post("guardduty", tokenAll, body)))
	second := webhookResult(t, mustServe(t, f, post("guardduty", tokenAll, body)))
	if first.Accepted != 1 || second.Duplicates != 1 || first.Results[0].AlertID != second.Results[0].AlertID {
		t.Fatalf("first %+v second %+v", first, second)
	}
	// The Security Hub copy is the same alert.
	copyRes := webhookResult(t, mustServe(t, f, post("securityhub", tokenAll, sample(t, "securityhub", "guardduty-ssh-brute-force.json"))))
	if copyRes.Duplicates != 1 || copyRes.Results[0].AlertID != first.Results[0].AlertID {
		t.Fatalf("security hub copy: %+v", copyRes)
	}
}

func mustServe(t testing.TB, f *fixture, req events.APIGatewayProxyRequest) string {
	t.Helper()
	resp, _ := f.serve(t, req)
	if resp.StatusCode != 202 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	return resp.Body
}

// Every provider's samples are accepted through the webhook.
func TestEverySampleIsAccepted(t *testing.T) {
	for _, p := range alert.Providers {
		files, _ := filepath.Glob(filepath.Join("..", "..", "..", "events", "samples", p, "*.json"))
		if len(files) == 0 {
			t.Fatalf("no samples for %s", p)
		}
		for _, file := range files {
			t.Run(p+"/"+filepath.Base(file), func(t *testing.T) {
				f := newFixture(t)
				s := webhookResult(t, mustServe(t, f, post(p, tokenAll, sample(t, p, filepath.Base(file)))))
				if s.Rejected != 0 || s.Accepted == 0 {
					t.Fatalf("summary %+v", s)
				}
			})
		}
	}
}

func TestSuppression(t *testing.T) {
	f := newFixture(t)
	f.rules.rules = []suppress.Rule{
		{Meta: rulemeta.Meta{ID: "r-enabled"}, State: suppress.Enabled, Reason: "Expected activity",
			Match: suppress.Match{AlertType: "Recon:EC2/PortProbeUnprotectedPort"}},
		{Meta: rulemeta.Meta{ID: "r-shadow"}, State: suppress.Shadow, Reason: "trying",
			Match: suppress.Match{Provider: "guardduty", ResourceID: "i-0a1b2c3d4e5f60718"}},
		{Meta: rulemeta.Meta{ID: "r-disabled"}, State: suppress.Disabled, Reason: "off",
			Match: suppress.Match{Provider: "guardduty"}},
		{Meta: rulemeta.Meta{ID: "r-expired"}, State: suppress.Enabled, Reason: "old", ExpiresAt: ptr(now.Add(-time.Hour)),
			Match: suppress.Match{AlertType: "UnauthorizedAccess:EC2/SSHBruteForce"}},
	}
	probe := webhookResult(t, mustServe(t, f, post("guardduty", tokenAll, sample(t, "guardduty", "port-probe.json"))))
	if probe.Suppressed != 1 || probe.Results[0].Status != handler.StatusSuppressed {
		t.Fatalf("port probe: %+v", probe)
	}
	stored, err := f.store.GetAlert(context.Background(), probe.Results[0].AlertID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != alert.StatusDismissed || stored.SuppressedBy != "r-enabled" {
		t.Fatalf("suppressed alert stored as %v by %q", stored.Status, stored.SuppressedBy)
	}
	ssh := webhookResult(t, mustServe(t, f, post("guardduty", tokenAll, sample(t, "guardduty", "ssh-brute-force.json"))))
	if ssh.Accepted != 1 {
		t.Fatalf("ssh brute force (shadow and expired rules only): %+v", ssh)
	}
	stored, _ = f.store.GetAlert(context.Background(), ssh.Results[0].AlertID)
	if stored.Status != alert.StatusActive || stored.SuppressedBy != "" {
		t.Fatalf("shadow rule suppressed: %v %q", stored.Status, stored.SuppressedBy)
	}
	// Re-delivery is no second hit.
	mustServe(t, f, post("guardduty", tokenAll, sample(t, "guardduty", "port-probe.json")))
	want := map[string]int{"r-enabled": 1, "r-shadow": 2}
	if fmt.Sprint(f.rules.hits) != fmt.Sprint(want) {
		t.Fatalf("hits = %v, want %v", f.rules.hits, want)
	}
	// Counters count alerts, not deliveries.
	days, err := f.store.MetricDays(context.Background(), now.Format(metrics.DayLayout), now.Format(metrics.DayLayout))
	if err != nil || len(days) != 1 {
		t.Fatalf("metric days %v, %v", days, err)
	}
	if c := days[0].Counts; c[metrics.Alerts] != 2 || c[metrics.Suppressed] != 1 {
		t.Errorf("counters %v, want 2 alerts, 1 suppressed", c)
	}
}

func ptr[T any](v T) *T { return &v }

// Tokens and secrets never reach the logs, whatever the outcome.
func TestCredentialsNeverLogged(t *testing.T) {
	f := newFixture(t)
	probe := sample(t, "guardduty", "port-probe.json")
	am := sample(t, "alertmanager", "ssh-failed-logins.json")
	reqs := []events.APIGatewayProxyRequest{
		post("guardduty", tokenAll, probe),
		post("guardduty", tokenGuardDuty, probe),
		post("falco", tokenGuardDuty, probe),
		post("guardduty", tokenReader, probe),
		post("guardduty", "tok-unknown-secret-value", probe),
		post("generic", tokenAll, `{"broken`),
		signed("alertmanager", am, signingSecret, now),
		signed("alertmanager", am, signingSecret, now.Add(-time.Hour)),
	}
	for _, r := range reqs {
		resp, err := f.h.ServeAPI(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{tokenAll, tokenGuardDuty, tokenReader, "tok-unknown-secret-value", signingSecret} {
			if strings.Contains(resp.Body, secret) {
				t.Fatalf("response body carries a credential: %s", resp.Body)
			}
		}
	}
	logs := f.logs.String()
	if !strings.Contains(logs, `"component":"ingest"`) {
		t.Fatalf("expected ingest logs, got %q", logs)
	}
	for _, secret := range []string{tokenAll, tokenGuardDuty, tokenReader, "tok-unknown-secret-value", signingSecret} {
		if strings.Contains(logs, secret) {
			t.Fatalf("logs carry a credential:\n%s", logs)
		}
	}
}

func TestInvokeEventBridgeAndProxy(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// GuardDuty EventBridge event: no HTTP, same path.
	out, err := f.h.Invoke(ctx, json.RawMessage(sample(t, "guardduty", "c2-dns.json")))
	if err != nil {
		t.Fatal(err)
	}
	sum, ok := out.(handler.Summary)
	if !ok || sum.Accepted != 1 {
		t.Fatalf("guardduty event: %#v", out)
	}
	// Security Hub envelope with two findings.
	out, err = f.h.Invoke(ctx, json.RawMessage(sample(t, "securityhub", "imported-inspector-and-control.json")))
	if err != nil {
		t.Fatal(err)
	}
	if sum := out.(handler.Summary); sum.Accepted != 2 {
		t.Fatalf("security hub event: %+v", sum)
	}
	// A Security Hub custom action carries its findings the same way.
	out, err = f.h.Invoke(ctx, json.RawMessage(sample(t, "securityhub", "custom-action-send-to-muster.json")))
	if err != nil {
		t.Fatal(err)
	}
	if sum := out.(handler.Summary); sum.Accepted != 1 {
		t.Fatalf("security hub custom action: %+v", sum)
	}
	// An API Gateway proxy event is served as HTTP.
	raw, _ := json.Marshal(post("guardduty", tokenAll, sample(t, "guardduty", "c2-dns.json")))
	out, err = f.h.Invoke(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	resp, ok := out.(events.APIGatewayProxyResponse)
	if !ok || resp.StatusCode != 202 || webhookResult(t, resp.Body).Duplicates != 1 {
		t.Fatalf("proxy event: %#v", out)
	}
	// Unsupported detail types are errors (they go to the DLQ).
	if _, err := f.h.Invoke(ctx, json.RawMessage(`{"detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{}}`)); err == nil {
		t.Fatal("unsupported detail type accepted")
	}
	// A malformed finding event fails the invocation (so it reaches the
	// DLQ after Lambda's retries) instead of being logged and dropped.
	if _, err := f.h.Invoke(ctx, json.RawMessage(`{"detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{"id":42}}`)); !errors.Is(err, handler.ErrRejectedEvent) {
		t.Fatalf("malformed GuardDuty event: err = %v, want ErrRejectedEvent", err)
	}
	// A Security Hub envelope with one good and one invalid finding: the
	// good one is stored, and the invocation fails so the event is kept.
	var env map[string]any
	if err := json.Unmarshal([]byte(sample(t, "securityhub", "imported-inspector-and-control.json")), &env); err != nil {
		t.Fatal(err)
	}
	findings := env["detail"].(map[string]any)["findings"].([]any)
	bad := map[string]any{}
	for k, v := range findings[0].(map[string]any) {
		bad[k] = v
	}
	bad["Id"] = ""
	env["detail"].(map[string]any)["findings"] = []any{findings[0], bad}
	mixed, _ := json.Marshal(env)
	out, err = f.h.Invoke(ctx, mixed)
	if !errors.Is(err, handler.ErrRejectedEvent) {
		t.Fatalf("event with a rejected finding: err = %v, want ErrRejectedEvent", err)
	}
	if sum, ok := out.(handler.Summary); !ok || sum.Rejected != 1 || sum.Accepted+sum.Duplicates != 1 {
		t.Fatalf("event with a rejected finding: %#v", out)
	}
}

// An Alertmanager alert that fires and then resolves is one alert whose
// status and lastSeen follow the resolution.
func TestAlertmanagerResolvedRedelivery(t *testing.T) {
	f := newFixture(t)
	firing := sample(t, "alertmanager", "ssh-failed-logins.json")
	resolved := strings.NewReplacer(`"status": "firing"`, `"status": "resolved"`,
		`"endsAt": "0001-01-01T00:00:00Z"`, `"endsAt": "2026-11-20T09:05:00.000Z"`).Replace(firing)
	if resolved == firing {
		t.Fatal("sample did not change")
	}
	first := webhookResult(t, mustServe(t, f, post("alertmanager", tokenAll, firing)))
	second := webhookResult(t, mustServe(t, f, post("alertmanager", tokenAll, resolved)))
	if first.Accepted != 1 || second.Duplicates != 1 || first.Results[0].AlertID != second.Results[0].AlertID {
		t.Fatalf("first %+v second %+v", first, second)
	}
	a, err := f.store.GetAlert(context.Background(), first.Results[0].AlertID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != alert.StatusResolved || !a.LastSeen.Equal(time.Date(2026, 11, 20, 9, 5, 0, 0, time.UTC)) || a.Count != 1 {
		t.Fatalf("status %v lastSeen %v count %d", a.Status, a.LastSeen, a.Count)
	}
	// A late repeat of the firing notification does not reopen it.
	mustServe(t, f, post("alertmanager", tokenAll, firing))
	if a, _ = f.store.GetAlert(context.Background(), first.Results[0].AlertID); a.Status != alert.StatusResolved {
		t.Fatalf("stale firing notification reopened the alert: %v", a.Status)
	}
}
