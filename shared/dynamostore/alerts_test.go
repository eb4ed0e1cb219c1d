package dynamostore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/normalize"
)

// streamEvents counts the stream's records per event name (INSERT, MODIFY,
// REMOVE) for the alert item with id.
func streamEvents(t *testing.T, arn, id string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, r := range mototest.NewStream(t, mototest.Get(t).Config(), arn).Records() {
		if r.Change.Keys["pk"].String() == "ALERT#"+id { // every item's pk is a string
			counts[r.EventName]++
		}
	}
	return counts
}

func redeliveredAlert(count int, last time.Time) *alert.Alert {
	first := time.Date(2026, 11, 20, 8, 20, 3, 0, time.UTC)
	a := &alert.Alert{
		Provider: alert.ProviderGuardDuty, SourceID: "arn:aws:guardduty:us-east-1:123456789012:detector/d/finding/redelivery",
		Type: "UnauthorizedAccess:EC2/SSHBruteForce", Severity: alert.Medium,
		Tactics:   []killchain.Stage{killchain.InitialAccess},
		Resources: []alert.Resource{{ID: "i-0a1b2c3d4e5f60718", Name: "web-prod-1"}},
		Entities:  []alert.Entity{{Type: alert.EntityIP, Value: "203.0.113.66"}},
		FirstSeen: first, LastSeen: last, Count: count,
	}
	a.Finish("", first)
	return a
}

// Re-delivery keeps one item, updates count and lastSeen, and the stream
// carries one INSERT only (a MODIFY for the change, nothing for an exact
// replay).
func TestPutAlertRedeliveryStream(t *testing.T) {
	ctx := context.Background()
	s, arn := newStore(t, dynamostore.Options{})
	t1 := time.Date(2026, 11, 20, 8, 31, 40, 0, time.UTC)
	a := redeliveredAlert(37, t1)
	for i, want := range []normalize.Outcome{normalize.Accepted, normalize.Duplicate} {
		r, err := s.PutAlert(ctx, redeliveredAlert(37, t1))
		if err != nil || r.Outcome != want {
			t.Fatalf("put %d: outcome %v err %v, want %v", i, r.Outcome, err, want)
		}
	}
	r, err := s.PutAlert(ctx, redeliveredAlert(52, t1.Add(30*time.Minute)))
	if err != nil || r.Outcome != normalize.Duplicate || !r.Changed {
		t.Fatalf("put with higher count: %+v %v", r, err)
	}
	got, err := s.GetAlert(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Count != 52 || !got.LastSeen.Equal(t1.Add(30*time.Minute)) {
		t.Fatalf("count=%d lastSeen=%v", got.Count, got.LastSeen)
	}
	ev := streamEvents(t, arn, a.ID)
	if ev["INSERT"] != 1 || ev["MODIFY"] != 1 {
		t.Fatalf("stream events for the alert = %v, want 1 INSERT and 1 MODIFY", ev)
	}
	// One item in the table for the alert.
	out, err := s.Client().Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.Table()), KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "ALERT#" + a.ID}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Count != 1 {
		t.Fatalf("items for the alert = %d", out.Count)
	}
}

// Attributes another writer set (the correlator's incidentId) survive a
// merge, and the version moves on.
func TestPutAlertPreservesOtherWriters(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t, dynamostore.Options{})
	t1 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	a := redeliveredAlert(1, t1)
	if _, err := s.PutAlert(ctx, a); err != nil {
		t.Fatal(err)
	}
	// The correlator assigns the alert to an incident (doc + attributes).
	stored, _ := s.GetAlert(ctx, a.ID)
	stored.IncidentID = "inc-42"
	item, err := dynamostore.EncodeAlert(&stored, 2, dynamostore.DefaultAlertRetention)
	if err != nil {
		t.Fatal(err)
	}
	item["correlatorNote"] = &types.AttributeValueMemberS{Value: "kept"}
	if _, err := s.Client().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table()), Item: item}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutAlert(ctx, redeliveredAlert(4, t1.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	out, err := s.Client().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table()), Key: dynamostore.AlertKey(a.ID)})
	if err != nil {
		t.Fatal(err)
	}
	got, v, err := dynamostore.DecodeAlert(out.Item)
	if err != nil {
		t.Fatal(err)
	}
	if got.IncidentID != "inc-42" || got.Count != 4 || v != 3 {
		t.Fatalf("incident=%q count=%d version=%d", got.IncidentID, got.Count, v)
	}
	if dynamostore.StringAttr(out.Item, "correlatorNote") != "kept" || dynamostore.StringAttr(out.Item, "gsi2pk") != "INC#inc-42" {
		t.Fatalf("attributes lost: %v", out.Item)
	}
}

// Concurrent deliveries of one alert never lose an update: the final count
// is the highest delivered and exactly one INSERT happened.
func TestPutAlertConcurrent(t *testing.T) {
	ctx := context.Background()
	s, arn := newStore(t, dynamostore.Options{})
	t1 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 1; i <= 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := s.PutAlert(ctx, redeliveredAlert(i, t1.Add(time.Duration(i)*time.Minute))); err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	a := redeliveredAlert(1, t1)
	got, err := s.GetAlert(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Count != 8 || !got.LastSeen.Equal(t1.Add(8*time.Minute)) {
		t.Fatalf("count=%d lastSeen=%v", got.Count, got.LastSeen)
	}
	if ev := streamEvents(t, arn, a.ID); ev["INSERT"] != 1 {
		t.Fatalf("stream events = %v, want exactly one INSERT", ev)
	}
}
