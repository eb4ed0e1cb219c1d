package dynamostore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/listing"
	"github.com/muster-sec/muster/shared/mototest"
)

// Alert ids spread evenly over a month's write shards: with 8,000 ids
// every shard holds between half and one and a half times its share.
func TestTimeShardsSpreadAlerts(t *testing.T) {
	at := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	per := map[string]int{}
	const n = 8000
	for i := range n {
		per[dynamostore.AlertTimeBucket(at, alert.ID("generic", fmt.Sprint("finding-", i)))]++
	}
	if len(per) != dynamostore.TimeShards {
		t.Fatalf("ids fell in %d partitions, want %d: %v", len(per), dynamostore.TimeShards, per)
	}
	share := n / dynamostore.TimeShards
	for p, c := range per {
		if c < share/2 || c > share*3/2 {
			t.Errorf("%s holds %d ids, share %d", p, c, share)
		}
		if dynamostore.UnshardedBucket(p) != "ALERT#2026-11" {
			t.Errorf("%s is not a shard of ALERT#2026-11", p)
		}
	}
}

func TestUnshardedBucket(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ALERT#2026-11#3", "ALERT#2026-11"},
		{"INCIDENT#2026-11#0", "INCIDENT#2026-11"},
		{"CANDIDATE#2026-11#7", "CANDIDATE#2026-11"},
		{"ALERT#2026-11", "ALERT#2026-11"},
		{"NOISYKEY", "NOISYKEY"},
		{"RULES", "RULES"},
		{"ALERT#2026-11#x", "ALERT#2026-11#x"},
	}
	for _, tt := range tests {
		if got := dynamostore.UnshardedBucket(tt.in); got != tt.want {
			t.Errorf("UnshardedBucket(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Items written before the time index was sharded keep their month key
// (ALERT#<yyyy-mm>, CANDIDATE#<yyyy-mm>): lists and candidates still find
// them, in order among the sharded ones, and page through all of them
// once.
func TestListsReadUnshardedItems(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	srv := mototest.Get(t)
	db := dynamodb.NewFromConfig(srv.Config())
	name := mototest.UniqueName("shards")
	if _, err := dynamostore.CreateTable(ctx, db, name); err != nil {
		t.Fatal(err)
	}
	store := dynamostore.New(db, name, dynamostore.Options{Now: func() time.Time { return now }})
	var want []string // newest first
	for i := range 12 {
		a := &alert.Alert{Provider: "generic", SourceID: fmt.Sprint("s-", i), Type: "T", Severity: alert.Low,
			Resources: []alert.Resource{{ID: "i-1"}}, FirstSeen: now.Add(-time.Duration(i+1) * time.Hour)}
		a.Finish("", now)
		want = append(want, a.ID)
		item, err := dynamostore.EncodeAlert(a, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 { // an item of before the sharding
			item["gsi1pk"] = &types.AttributeValueMemberS{Value: dynamostore.UnshardedBucket(dynamostore.StringAttr(item, "gsi1pk"))}
		}
		putItem(t, db, name, item)
	}
	var got []string
	after := ""
	for range len(want) + 1 {
		page, err := store.ListAlerts(ctx, listing.Filter{}, 5, after)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			got = append(got, it.Alert.ID)
		}
		if after = page.Next; after == "" {
			break
		}
		if len(after) > 2500 {
			t.Errorf("list position of %d bytes: the query API's cursor takes 4,096 after escaping and base64", len(after))
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("listed\n%v\nwant\n%v", got, want)
	}

	for i, legacy := range []bool{false, true} {
		inc := incident.Incident{ID: fmt.Sprint("cand-", i), Status: incident.StatusActive, AlertCount: 2, Severity: alert.Low,
			FirstActivity: now.Add(-time.Hour), LastActivity: now.Add(-time.Duration(i+1) * time.Minute)}
		item, err := dynamostore.EncodeIncident(dynamostore.IncidentRecord{Incident: inc, Version: 1})
		if err != nil {
			t.Fatal(err)
		}
		if legacy {
			item["gsi1pk"] = &types.AttributeValueMemberS{Value: "CANDIDATE#2026-11"}
		}
		putItem(t, db, name, item)
	}
	cands, err := store.ListCandidates(ctx, now.Add(-24*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 2 || cands[0].ID != "cand-0" || cands[1].ID != "cand-1" {
		t.Errorf("candidates = %+v, want cand-0 then cand-1", cands)
	}
}

// A list of both kinds (a stream per write shard of alerts and of
// incidents) still ends in a position the query API's cursor can carry.
func TestListPositionOfBothKindsIsSmall(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	s, _ := newStore(t, dynamostore.Options{Now: func() time.Time { return now }})
	for i := range 40 {
		a := &alert.Alert{Provider: "generic", SourceID: fmt.Sprint("b-", i), Type: "T", Severity: alert.Low,
			Resources: []alert.Resource{{ID: "i-2"}}, FirstSeen: now.Add(-time.Duration(i+1) * time.Minute)}
		a.Finish("", now)
		if _, err := s.PutAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.ListAlerts(ctx, listing.Filter{Kind: listing.KindAll}, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	if page.Next == "" || len(page.Next) > 2500 {
		t.Errorf("position of %d bytes, want some and at most 2,500", len(page.Next))
	}
}

func putItem(t *testing.T, db *dynamodb.Client, table string, item map[string]types.AttributeValue) {
	t.Helper()
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
}

// Unfiltered pages are full even when the newest items all sit in one
// write shard (each shard is read for only part of a page per round).
func TestListPagesFillFromOneShard(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	s, _ := newStore(t, dynamostore.Options{Now: func() time.Time { return now }})
	var crowded string
	newest, others := 0, 0
	for i := 0; newest < 45 || others < 10; i++ {
		a := &alert.Alert{Provider: "generic", SourceID: fmt.Sprint("c-", i), Type: "T", Severity: alert.Low,
			Resources: []alert.Resource{{ID: "i-3"}}, FirstSeen: now.Add(-time.Duration(i+1) * time.Minute)}
		a.Finish("", now)
		shard := dynamostore.AlertTimeBucket(a.LastSeen, a.ID)
		if crowded == "" {
			crowded = shard
		}
		switch {
		case shard == crowded && newest < 45:
			newest++
		case shard != crowded && newest == 45 && others < 10: // older, elsewhere
			others++
		default:
			continue
		}
		if _, err := s.PutAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	after := ""
	for _, want := range []int{20, 20, 15} {
		page, err := s.ListAlerts(ctx, listing.Filter{}, 20, after)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != want {
			t.Fatalf("page of %d items, want %d", len(page.Items), want)
		}
		for _, it := range page.Items {
			if seen[it.Alert.ID] {
				t.Fatalf("alert %s listed twice", it.Alert.ID)
			}
			seen[it.Alert.ID] = true
		}
		after = page.Next
	}
	if after != "" {
		t.Errorf("a position after the last page")
	}
}

// A list position of the first form (one stream per kind, as made before
// the time index was sharded) is refused for a list on the time index,
// and still accepted for one on the resource index.
func TestListRefusesUnshardedPositions(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t, dynamostore.Options{})
	old := `{"a":{"p":0,"pk":"ALERT#2026-11","k":{"pk":"ALERT#x","sk":"ALERT","gsi1pk":"ALERT#2026-11","gsi1sk":"2026-11-20T00:00:00.000000000Z#x"}}}`
	if _, err := s.ListAlerts(ctx, listing.Filter{}, 10, old); !errors.Is(err, dynamostore.ErrBadPosition) {
		t.Errorf("time index: err = %v, want ErrBadPosition", err)
	}
	onResource := `{"a":{"p":0,"pk":"RES#i-9","k":{"pk":"ALERT#x","sk":"ALERT","gsi3pk":"RES#i-9","gsi3sk":"2026-11-20T00:00:00.000000000Z#x"}}}`
	if _, err := s.ListAlerts(ctx, listing.Filter{Resources: []string{"i-9"}}, 10, onResource); err != nil {
		t.Errorf("resource index: err = %v", err)
	}
}
