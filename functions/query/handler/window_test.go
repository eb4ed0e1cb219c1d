package handler_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/functions/query/handler"
	"github.com/muster-sec/muster/shared/auth"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/resources"
)

// TestListWindowIsBounded: a read token cannot make a list walk an
// unbounded number of month partitions. since, until and their span are
// bounded (400 naming the parameter and the limit, before any read); the
// widest window accepted reads at most dynamostore.MaxListMonths month
// partitions per source. Month partitions are counted from the store's
// Query calls (each month is read in its write shards).
func TestListWindowIsBounded(t *testing.T) {
	rfc := func(t time.Time) string { return t.Format(time.RFC3339) }
	tests := []struct {
		name  string
		path  string
		query map[string]string
		field string // "" when accepted
		limit string
	}{
		{"alerts until year 9999", "/alerts", map[string]string{"until": "9999-12-31T00:00:00Z"}, "until", "24h"},
		{"incidents until year 9999", "/incidents", map[string]string{"until": "9999-12-31T00:00:00Z"}, "until", "24h"},
		{"both kinds until year 9999", "/alerts", map[string]string{"kind": "all", "until": "9999-12-31T00:00:00Z"}, "until", "24h"},
		{"since in year 9000", "/incidents", map[string]string{"since": "9000-01-01T00:00:00Z"}, "since", "24h"},
		{"since and until far ahead", "/alerts", map[string]string{"since": "9000-01-01T00:00:00Z", "until": "9999-12-31T00:00:00Z"}, "since", "24h"},
		{"until five years ahead", "/alerts", map[string]string{"until": rfc(now.AddDate(5, 0, 0))}, "until", "24h"},
		{"since 800 days back", "/incidents", map[string]string{"since": "800d"}, "since", "731d"},
		{"span over 731 days", "/incidents", map[string]string{"since": "731d", "until": rfc(now.Add(2 * time.Hour))}, "until", "731d"},
		{"widest alerts window", "/alerts", map[string]string{"since": "731d", "until": rfc(now)}, "", ""},
		{"widest window of both kinds", "/alerts", map[string]string{"kind": "all", "since": "730d", "until": rfc(now.Add(24 * time.Hour))}, "", ""},
		{"widest incidents window, no until", "/incidents", map[string]string{"since": "731d"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, mototest.QueryBudget(1000))
			resp := e.get(tt.path, readToken, tt.query)
			months := map[string]bool{}
			for _, c := range e.meter.Calls() {
				if c.Operation == "Query" && c.Index == resources.IndexTime {
					months[dynamostore.UnshardedBucket(c.Partition)] = true
				}
			}
			if tt.field == "" {
				wantStatus(t, resp, http.StatusOK)
				perSource := dynamostore.MaxListMonths
				if tt.query["kind"] == "all" {
					perSource *= 2
				}
				if len(months) == 0 || len(months) > perSource {
					t.Fatalf("read %d month partitions, at most %d allowed", len(months), perSource)
				}
				return
			}
			wantStatus(t, resp, http.StatusBadRequest)
			p := decode[map[string]any](t, resp)
			if p["field"] != tt.field || p["limit"] != tt.limit {
				t.Errorf("problem names field %v and limit %v, want %s and %s: %v", p["field"], p["limit"], tt.field, tt.limit, p)
			}
			if n := len(e.meter.Calls()); n != 0 {
				t.Errorf("refused after %d DynamoDB calls", n)
			}
		})
	}
}

// TestOldCursorWindowIsBounded: a cursor keeps its first page's window, so
// one used months later may span more month partitions than a list may
// read; it is refused with 400 naming since and the limit, not walked.
func TestOldCursorWindowIsBounded(t *testing.T) {
	e := newEnv(t)
	e.seedIncident("inc-a", sampleAlert("old-cursor-1", now.Add(-3*time.Hour)))
	e.seedIncident("inc-b", sampleAlert("old-cursor-2", now.Add(-2*time.Hour)))
	q := map[string]string{"since": "731d", "limit": "1"}
	first := decode[listBody](t, e.get("/incidents", readToken, q))
	if first.Cursor == "" {
		t.Fatal("no cursor on the first page")
	}
	authn, err := auth.New(auth.Config{Tokens: []auth.TokenConfig{{Name: "reader", Token: readToken, Scopes: []string{"read"}}}})
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return now.AddDate(0, 3, 0) }
	store := dynamostore.New(e.db, e.store.Table(), dynamostore.Options{Now: clock})
	later := handler.New(handler.Options{Store: store, Auth: authn, CursorKey: []byte("test-cursor-key"), Now: clock})
	e.meter.Reset()
	resp, err := later.ServeAPI(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/incidents",
		QueryStringParameters: map[string]string{"since": "731d", "limit": "1", "cursor": first.Cursor},
		Headers:               map[string]string{"Authorization": "Bearer " + readToken}})
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, resp, http.StatusBadRequest)
	if p := decode[map[string]any](t, resp); p["field"] != "since" || p["limit"] != "26 months" {
		t.Errorf("problem = %v", p)
	}
	if n := len(e.meter.Calls()); n != 0 {
		t.Errorf("refused after %d DynamoDB calls", n)
	}
}
