package handler_test

import (
	"context"
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
	"github.com/muster-sec/muster/shared/mototest"
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
// arrives first, through the real handler and store.
func TestGuardDutyAndSecurityHubCopyOnMoto(t *testing.T) {
	gd := sample(t, "guardduty", "credential-exfiltration.json")
	sh := sample(t, "securityhub", "guardduty-credential-exfiltration.json")
	type delivery struct{ provider, body string }
	var stored []alert.Alert
	for _, order := range [][]delivery{{{"guardduty", gd}, {"securityhub", sh}}, {{"securityhub", sh}, {"guardduty", gd}}} {
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
		stored = append(stored, a)
	}
	a, b := stored[0], stored[1]
	if a.ID != b.ID || a.Type != b.Type || a.Count != b.Count || !a.LastSeen.Equal(b.LastSeen) ||
		a.Severity != b.Severity || len(a.Tactics) != len(b.Tactics) || !sameKeySet(a.Keys(), b.Keys()) {
		t.Fatalf("arrival order changed the alert:\n%+v\n%+v", a, b)
	}
}

func sameKeySet(a, b []alert.Key) bool {
	m := map[alert.Key]bool{}
	for _, k := range a {
		m[k] = true
	}
	for _, k := range b {
		if !m[k] {
			return false
		}
		delete(m, k)
	}
	return len(m) == 0
}
