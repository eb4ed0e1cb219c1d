package handler_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/muster-sec/muster/functions/ingest/handler"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/listing"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/suppress"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

// motoHandler is the handler on a fresh table on moto, wired like FromEnv
// (the store is also the rule source).
func motoHandler(t *testing.T) (*handler.Handler, *dynamostore.Store) {
	t.Helper()
	srv := mototest.Get(t)
	db := dynamodb.NewFromConfig(srv.Config())
	name := mototest.UniqueName("ingest")
	if _, err := dynamostore.CreateTable(context.Background(), db, name); err != nil {
		t.Fatal(err)
	}
	store := dynamostore.New(db, name, dynamostore.Options{})
	h, err := handler.New(handler.Options{
		Alerts: store, Rules: store, Auth: authenticator(t),
		Now:    func() time.Time { return now },
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return h, store
}

// itemCount counts every item of the table (a test-only Scan).
func itemCount(t *testing.T, s *dynamostore.Store) int32 {
	t.Helper()
	out, err := s.Client().Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(s.Table()), Select: "COUNT"})
	if err != nil {
		t.Fatal(err)
	}
	return out.Count
}

// Each bad request gets its own status and problem+json, and the table is
// unchanged.
func TestBadRequestsLeaveTableUnchanged(t *testing.T) {
	h, store := motoHandler(t)
	ctx := context.Background()
	seed := post("generic", tokenAll, sample(t, "generic", "noise-db-staging-scan.json"))
	if resp, _ := h.ServeAPI(ctx, seed); resp.StatusCode != 202 {
		t.Fatalf("seed: %d %s", resp.StatusCode, resp.Body)
	}
	before := itemCount(t, store)
	tests := []struct {
		name   string
		req    events.APIGatewayProxyRequest
		status int
	}{
		{"malformed JSON", post("guardduty", tokenAll, `{"detail-type":"GuardDuty Finding","detail":{`), 400},
		{"unknown provider", post("qradar", tokenAll, sample(t, "guardduty", "port-probe.json")), 404},
		{"missing required field", post("generic", tokenAll, `{"id":"no-severity","type":"T","firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r"}]}`), 400},
		{"oversize body", post("generic", tokenAll, `[`+strings.Repeat(" ", handler.MaxBodyBytes)+`]`), 413},
		{"too many alerts", post("generic", tokenAll, genericAlerts(handler.MaxAlerts+1)), 400},
		{"wrong content type", func() events.APIGatewayProxyRequest {
			r := post("generic", tokenAll, genericAlerts(1))
			r.Headers["Content-Type"] = "application/x-www-form-urlencoded"
			return r
		}(), 415},
		{"no token", post("generic", "", genericAlerts(1)), 401},
		{"wrong scope", post("generic", tokenGuardDuty, genericAlerts(1)), 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := h.ServeAPI(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || resp.Headers["Content-Type"] != "application/problem+json" {
				t.Fatalf("got %d %s: %s", resp.StatusCode, resp.Headers["Content-Type"], resp.Body)
			}
			if after := itemCount(t, store); after != before {
				t.Fatalf("table changed: %d items, was %d", after, before)
			}
		})
	}
}

// The GuardDuty finding and its Security Hub copy give one alert whichever
// arrives first, through the real handler and store: the same stored alert
// (provider guardduty, status, severity, tactics, resources, entities…),
// for an active finding, one whose copy carries fewer entities, and an
// archived one.
func TestGuardDutyAndSecurityHubCopyOnMoto(t *testing.T) {
	type delivery struct{ provider, body string }
	archived := func(gd, sh string) (string, string) {
		return strings.Replace(gd, `"archived": false`, `"archived": true`, 1),
			strings.NewReplacer(`"aws/guardduty/service/archived": "false"`, `"aws/guardduty/service/archived": "true"`,
				`"RecordState": "ACTIVE"`, `"RecordState": "ARCHIVED"`).Replace(sh)
	}
	exfilGD, exfilSH := sample(t, "guardduty", "credential-exfiltration.json"), sample(t, "securityhub", "guardduty-credential-exfiltration.json")
	archGD, archSH := archived(exfilGD, exfilSH)
	if archGD == exfilGD || archSH == exfilSH {
		t.Fatal("the samples no longer carry the archived fields this test rewrites")
	}
	cases := []struct {
		name   string
		gd, sh string
		status alert.Status
	}{
		{"credential exfiltration", exfilGD, exfilSH, alert.StatusActive},
		{"ssh brute force (the copy has fewer entities)", sample(t, "guardduty", "ssh-brute-force.json"),
			sample(t, "securityhub", "guardduty-ssh-brute-force.json"), alert.StatusActive},
		{"archived", archGD, archSH, alert.StatusDismissed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stored []alert.Alert
			for _, order := range [][]delivery{{{"guardduty", tc.gd}, {"securityhub", tc.sh}}, {{"securityhub", tc.sh}, {"guardduty", tc.gd}}} {
				h, store := motoHandler(t)
				var ids []string
				for i, d := range order {
					resp, err := h.ServeAPI(context.Background(), post(d.provider, tokenAll, d.body))
					if err != nil || resp.StatusCode != 202 {
						t.Fatalf("%s: %d %v %s", d.provider, resp.StatusCode, err, resp.Body)
					}
					s := webhookResult(t, resp.Body)
					want := handler.StatusAccepted
					if i == 1 {
						want = handler.StatusDuplicate
					}
					if s.Results[0].Status != want {
						t.Fatalf("delivery %d (%s): %+v, want %s", i, d.provider, s.Results[0], want)
					}
					ids = append(ids, s.Results[0].AlertID)
				}
				if ids[0] != ids[1] {
					t.Fatalf("two alert ids: %v", ids)
				}
				if n := itemCount(t, store); n != 1 {
					t.Fatalf("%d items, want 1", n)
				}
				a, err := store.GetAlert(context.Background(), ids[0])
				if err != nil {
					t.Fatal(err)
				}
				if a.Provider != alert.ProviderGuardDuty || a.Status != tc.status {
					t.Errorf("%s first: provider %s status %s, want guardduty %s", order[0].provider, a.Provider, a.Status, tc.status)
				}
				// Listed under the GuardDuty provider, not under Security Hub.
				for p, want := range map[string]int{alert.ProviderGuardDuty: 1, alert.ProviderSecurityHub: 0} {
					page, err := store.ListAlerts(context.Background(), listing.Filter{Providers: []string{p}}, 10, "")
					if err != nil {
						t.Fatal(err)
					}
					if len(page.Items) != want {
						t.Errorf("%s first: GET /alerts?provider=%s lists %d alerts, want %d", order[0].provider, p, len(page.Items), want)
					}
				}
				stored = append(stored, a)
			}
			if a, b := storedForm(t, stored[0]), storedForm(t, stored[1]); a != b {
				t.Fatalf("arrival order changed the stored alert:\nGuardDuty first: %s\nSecurity Hub first: %s", a, b)
			}
		})
	}
}

// A provider: guardduty suppression rule matches the Security Hub copy of
// a GuardDuty finding at ingest, as it matches the finding.
func TestGuardDutyRuleSuppressesTheSecurityHubCopyOnMoto(t *testing.T) {
	h, store := motoHandler(t)
	rule, err := store.CreateRule(context.Background(), suppress.Rule{Name: "GuardDuty in the lab account", Reason: "Expected activity",
		State: suppress.Enabled, Match: suppress.Match{Provider: alert.ProviderGuardDuty}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.ServeAPI(context.Background(), post("securityhub", tokenAll, sample(t, "securityhub", "guardduty-credential-exfiltration.json")))
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("%d %v %s", resp.StatusCode, err, resp.Body)
	}
	s := webhookResult(t, resp.Body)
	if s.Suppressed != 1 || s.Results[0].Status != handler.StatusSuppressed {
		t.Fatalf("summary %+v", s)
	}
	a, err := store.GetAlert(context.Background(), s.Results[0].AlertID)
	if err != nil {
		t.Fatal(err)
	}
	if a.SuppressedBy != rule.ID || a.Status != alert.StatusDismissed {
		t.Fatalf("stored as %s, suppressed by %q", a.Status, a.SuppressedBy)
	}
}

// storedForm is an alert as stored, minus the raw payload (the audit copy
// of whichever delivery was newer).
func storedForm(t *testing.T, a alert.Alert) string {
	t.Helper()
	a.Raw, a.RawTruncated = nil, false
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
