package handler_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
)

type listBody struct {
	Items  []map[string]any `json:"items"`
	Cursor string           `json:"cursor"`
}

// seedIncidents writes n incidents, one every 100 minutes back from now
// (so they span several monthly time buckets), with BatchWriteItem.
func (e *env) seedIncidents(n int) []incident.Incident {
	e.t.Helper()
	var items []map[string]types.AttributeValue
	var out []incident.Incident
	for i := 0; i < n; i++ {
		at := now.Add(-time.Duration(i) * 100 * time.Minute)
		inc := incident.Incident{ID: fmt.Sprintf("inc-%04d", i), Title: "Security incident detected on web-" + fmt.Sprint(i%7),
			Severity: alert.Severity(1 + i%5), Status: incident.Statuses[i%4], FirstActivity: at.Add(-time.Hour), LastActivity: at,
			Resources: []alert.Resource{{ID: fmt.Sprintf("i-%017x", i%7)}}, Tactics: []killchain.Stage{killchain.Stage(1 + i%13)},
			Sources: []string{alert.Providers[i%7]}, AlertCount: 2, Owner: []string{"", "alice", "bob"}[i%3]}
		item, err := dynamostore.EncodeIncident(dynamostore.IncidentRecord{Incident: inc, IsIncident: true, Version: 1})
		if err != nil {
			e.t.Fatal(err)
		}
		items = append(items, item)
		inc.Version = 1
		out = append(out, inc)
	}
	e.batchPut(items)
	return out
}

// pageAll follows cursors from the first page and returns every item id,
// failing on a page over limit.
func (e *env) pageAll(path string, query map[string]string, limit int) []string {
	e.t.Helper()
	var ids []string
	q := map[string]string{"limit": fmt.Sprint(limit)}
	for k, v := range query {
		q[k] = v
	}
	for pages := 0; ; pages++ {
		if pages > 10000 {
			e.t.Fatal("too many pages")
		}
		resp := e.get(path, readToken, q)
		wantStatus(e.t, resp, http.StatusOK)
		b := decode[listBody](e.t, resp)
		if len(b.Items) > limit {
			e.t.Fatalf("page of %d items, limit %d", len(b.Items), limit)
		}
		for _, it := range b.Items {
			ids = append(ids, it["id"].(string))
		}
		if b.Cursor == "" {
			return ids
		}
		q["cursor"] = b.Cursor
	}
}

func TestPagingThousandIncidents(t *testing.T) {
	e := newEnv(t)
	incs := e.seedIncidents(1000)
	// The default window is 90 days; 1,000 incidents 100 minutes apart span ~69 days.
	ids := e.pageAll("/incidents", nil, 50)
	if len(ids) != len(incs) {
		t.Fatalf("paged %d incidents, want %d", len(ids), len(incs))
	}
	seen := map[string]bool{}
	for i, id := range ids {
		if seen[id] {
			t.Fatalf("incident %s returned twice", id)
		}
		seen[id] = true
		if want := incs[i].ID; id != want { // seeded newest first
			t.Fatalf("item %d = %s, want %s (newest activity first)", i, id, want)
		}
	}
}

func TestCursorTampering(t *testing.T) {
	e := newEnv(t)
	e.seedIncidents(30)
	resp := e.get("/incidents", readToken, map[string]string{"limit": "10", "severity": "High,Critical,Low,Medium,Informational"})
	wantStatus(t, resp, http.StatusOK)
	cur := decode[listBody](t, resp).Cursor
	if cur == "" {
		t.Fatal("no cursor on the first page")
	}
	body, mac, _ := strings.Cut(cur, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(body)
	edited := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(raw), `"p":"`, `"p":"x`, 1))) + "." + mac
	flipped := []byte(cur)
	flipped[len(flipped)-1] ^= 1
	tests := []struct {
		name  string
		query map[string]string
	}{
		{"edited payload", map[string]string{"limit": "10", "severity": "High,Critical,Low,Medium,Informational", "cursor": edited}},
		{"edited mac", map[string]string{"limit": "10", "severity": "High,Critical,Low,Medium,Informational", "cursor": string(flipped)}},
		{"garbage", map[string]string{"cursor": "not-a-cursor"}},
		{"other filters", map[string]string{"limit": "10", "severity": "High", "cursor": cur}},
		{"other list", map[string]string{"limit": "10", "severity": "High,Critical,Low,Medium,Informational", "cursor": cur, "kind": "incident"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/incidents"
			if _, ok := tt.query["kind"]; ok {
				path = "/alerts"
			}
			wantStatus(t, e.get(path, readToken, tt.query), http.StatusBadRequest)
		})
	}
	t.Run("same filters in another order still work", func(t *testing.T) {
		resp := e.get("/incidents", readToken, map[string]string{"limit": "10", "severity": "Critical,High,Informational,Low,Medium", "cursor": cur})
		wantStatus(t, resp, http.StatusOK)
	})
}

func TestCountingNoScanAndBoundedReads(t *testing.T) {
	e := newEnv(t)
	e.seedIncidents(300)
	for i := 0; i < 60; i++ {
		a := sampleAlert(fmt.Sprintf("c-%d", i), now.Add(-time.Duration(i)*37*time.Hour))
		if i%3 == 0 {
			a.Severity = alert.High
		}
		e.putAlert(a)
	}
	queries := []struct {
		path  string
		query map[string]string
	}{
		{"/incidents", map[string]string{"limit": "20"}},
		{"/incidents", map[string]string{"limit": "10", "severity": "Critical", "owner": "alice"}},
		{"/alerts", map[string]string{"limit": "7"}},
		{"/alerts", map[string]string{"limit": "5", "severity": "High"}},
		{"/alerts", map[string]string{"limit": "5", "kind": "all"}},
		{"/alerts", map[string]string{"limit": "5", "resource": "i-0a1b2c3d4e5f60718"}},
		{"/alerts", map[string]string{"limit": "5", "kind": "incident", "tactic": "Exfiltration"}},
	}
	for _, q := range queries {
		t.Run(fmt.Sprint(q.path, q.query), func(t *testing.T) {
			limit := 0
			fmt.Sscan(q.query["limit"], &limit)
			cursor := ""
			for page := 0; page < 5; page++ {
				qq := map[string]string{}
				for k, v := range q.query {
					qq[k] = v
				}
				if cursor != "" {
					qq["cursor"] = cursor
				}
				e.meter.Reset()
				resp := e.get(q.path, readToken, qq)
				wantStatus(t, resp, http.StatusOK)
				if n := e.meter.Operations()["Scan"]; n != 0 {
					t.Fatalf("%d Scan calls", n)
				}
				// Unfiltered reads ask for one item more than the page; filtered
				// ones for more (the filter may drop most), in a bounded number
				// of rounds of at most one Query per partition each.
				filtered := len(q.query) > 1 && q.query["kind"] != "all" && q.query["resource"] == ""
				perQuery := limit + 1
				if filtered {
					perQuery = dynamostore.FilteredQueryLimit(limit)
				}
				for part, read := range e.meter.ReadPerPartition() {
					if read > dynamostore.MaxListRounds*perQuery {
						t.Errorf("page %d read %d items from %s, limit %d", page, read, part, limit)
					}
				}
				for _, c := range e.meter.Calls() {
					// A later round of a page asks only for what is still missing.
					if c.Operation == "Query" && (c.Limit < 2 || c.Limit > int32(perQuery)) {
						t.Errorf("Query with Limit %d, want 2 to %d", c.Limit, perQuery)
					}
				}
				cursor = decode[listBody](t, resp).Cursor
				if cursor == "" {
					break
				}
			}
		})
	}
}
