package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/muster-sec/muster/localstack/streampoller"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

func parked(pk string) streampoller.DeadLetter {
	return streampoller.DeadLetter{Consumer: "correlator", Reason: streampoller.ReasonItemFailure, Record: events.DynamoDBEventRecord{
		EventName: "INSERT", Change: events.DynamoDBStreamRecord{Keys: map[string]events.DynamoDBAttributeValue{"pk": events.NewStringAttribute(pk)}}}}
}

// TestRedriveFile: the local dead-letter file's alerts are touched, the
// file is gone, a record that names no alert is kept aside, a file an
// interrupted run left claimed is finished, and a second run finds nothing.
func TestRedriveFile(t *testing.T) {
	ctx := context.Background()
	srv := mototest.Get(t)
	db := dynamodb.NewFromConfig(srv.Config())
	name := mototest.UniqueName("muster-redrive")
	if _, err := dynamostore.CreateTable(ctx, db, name); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a1", "a2", "a3"} {
		a := &alert.Alert{ID: id, Provider: "generic", SourceID: id, Type: "T", Severity: alert.High,
			FirstSeen: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Resources: []alert.Resource{{ID: "i-1"}}}
		item, err := dynamostore.EncodeAlert(a, 1, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "correlator.jsonl")
	// An earlier run claimed a3's record and stopped.
	if err := streampoller.AppendDeadLetters(path+".redrive-1", []streampoller.DeadLetter{parked("ALERT#a3")}); err != nil {
		t.Fatal(err)
	}
	conv := parked("")
	conv.Record.Change.Keys = nil
	if err := streampoller.AppendDeadLetters(path, []streampoller.DeadLetter{parked("ALERT#a1"), parked("ALERT#a2"), parked("ALERT#a1"), parked("ALERT#gone"), conv}); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC) }
	rep, err := redriveFile(ctx, path, db, name, now)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != 6 || rep.Touched.Touched != 3 || rep.Missing != 1 || rep.Unredrivable != 1 {
		t.Fatalf("report = %+v", rep)
	}
	if n := streampoller.CountDeadLetters(path); n != 0 {
		t.Fatalf("%d records still parked", n)
	}
	if d, err := streampoller.ReadDeadLetters(unredrivableFile(path)); err != nil || len(d) != 1 {
		t.Fatalf("unredrivable = %v, %v", d, err)
	}
	rep, err = redriveFile(ctx, path, db, name, now)
	if err != nil || rep.Records != 0 {
		t.Fatalf("second run = %+v, %v", rep, err)
	}
}
