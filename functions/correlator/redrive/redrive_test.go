package redrive_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/muster-sec/muster/functions/correlator/redrive"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/resources"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

func TestParseFailure(t *testing.T) {
	good := `{"requestContext":{"condition":"RetryAttemptsExhausted"},"timestamp":"2026-12-06T10:00:00Z",
	  "DDBStreamBatchInfo":{"shardId":"shardId-1","startSequenceNumber":"100","endSequenceNumber":"205",
	  "batchSize":3,"streamArn":"arn:aws:dynamodb:us-east-1:1:table/muster/stream/x"}}`
	f, err := redrive.ParseFailure(good)
	if err != nil || f.Batch.ShardID != "shardId-1" || f.Batch.EndSequenceNumber != "205" || f.RequestContext.Condition != "RetryAttemptsExhausted" {
		t.Fatalf("ParseFailure = %+v, %v", f, err)
	}
	for _, tc := range []struct{ name, body, field string }{
		{"not json", `{`, "on-failure message"},
		{"no stream", `{"DDBStreamBatchInfo":{"shardId":"s","startSequenceNumber":"1","endSequenceNumber":"2"}}`, "streamArn"},
		{"no shard", `{"DDBStreamBatchInfo":{"streamArn":"a","startSequenceNumber":"1","endSequenceNumber":"2"}}`, "shardId"},
		{"bad start", `{"DDBStreamBatchInfo":{"streamArn":"a","shardId":"s","startSequenceNumber":"x","endSequenceNumber":"2"}}`, "startSequenceNumber"},
		{"no end", `{"DDBStreamBatchInfo":{"streamArn":"a","shardId":"s","startSequenceNumber":"1"}}`, "endSequenceNumber"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := redrive.ParseFailure(tc.body)
			if err == nil || !contains(err.Error(), tc.field) {
				t.Fatalf("error %v does not name %s", err, tc.field)
			}
		})
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// number reads a number attribute.
func number(item map[string]types.AttributeValue, name string) string {
	if n, ok := item[name].(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return ""
}

func TestAlertIDs(t *testing.T) {
	rec := func(name, pk string) events.DynamoDBEventRecord {
		return events.DynamoDBEventRecord{EventName: name, Change: events.DynamoDBStreamRecord{
			Keys: map[string]events.DynamoDBAttributeValue{"pk": events.NewStringAttribute(pk)}}}
	}
	got := redrive.AlertIDs([]events.DynamoDBEventRecord{
		rec("INSERT", "ALERT#a"), rec("MODIFY", "ALERT#b"), rec("MODIFY", "ALERT#a"),
		rec("REMOVE", "ALERT#c"), rec("INSERT", "INCIDENT#x"), {EventName: "INSERT"},
	})
	if want := []string{"a", "b"}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("AlertIDs = %v, want %v", got, want)
	}
}

// table is a table with its stream on the shared moto server, holding
// the given alerts.
func table(t *testing.T, ids ...string) (*dynamodb.Client, string, string) {
	t.Helper()
	srv := mototest.Get(t)
	db := dynamodb.NewFromConfig(srv.Config())
	name := mototest.UniqueName("muster-redrive")
	arn, err := dynamostore.CreateTable(context.Background(), db, name)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		a := &alert.Alert{ID: id, Provider: "generic", SourceID: id, Type: "T", Severity: alert.High,
			FirstSeen: time.Date(2026, 12, 1, 0, i, 0, 0, time.UTC), Resources: []alert.Resource{{ID: "i-1"}}}
		a.LastSeen = a.FirstSeen
		item, err := dynamostore.EncodeAlert(a, 1, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(name), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	return db, name, arn
}

// TestDrainQueue parks two batches the way Lambda does (their positions
// on the on-failure queue), drains the queue, and checks that their alerts
// were touched once each, absent alerts counted, and the queue emptied; a
// message for records the stream no longer holds stays.
func TestDrainQueue(t *testing.T) {
	ctx := context.Background()
	db, name, arn := table(t, "a1", "a2", "a3")
	srv := mototest.Get(t)
	st := dynamodbstreams.NewFromConfig(srv.Config())
	desc, err := st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	shard := aws.ToString(desc.StreamDescription.Shards[0].ShardId)
	it, err := st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: aws.String(shard),
		ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(recs.Records) != 3 {
		t.Fatalf("stream records: %v, %v", recs, err)
	}
	seqOf := func(i int) string { return aws.ToString(recs.Records[i].Dynamodb.SequenceNumber) }
	// Delete a3: its batch names an alert that is gone.
	if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(name), Key: dynamostore.AlertKey("a3")}); err != nil {
		t.Fatal(err)
	}

	q := sqs.NewFromConfig(srv.Config())
	qo, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(mototest.UniqueName("correlator-stream"))})
	if err != nil {
		t.Fatal(err)
	}
	send := func(b redrive.BatchInfo) {
		var f redrive.Failure
		f.RequestContext.Condition = "RecordAgeExceeded"
		f.Batch = b
		body, _ := json.Marshal(f)
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qo.QueueUrl, MessageBody: aws.String(string(body))}); err != nil {
			t.Fatal(err)
		}
	}
	send(redrive.BatchInfo{StreamARN: arn, ShardID: shard, StartSequenceNumber: seqOf(0), EndSequenceNumber: seqOf(1), BatchSize: 2})
	send(redrive.BatchInfo{StreamARN: arn, ShardID: shard, StartSequenceNumber: seqOf(2), EndSequenceNumber: seqOf(2), BatchSize: 1})
	send(redrive.BatchInfo{StreamARN: arn, ShardID: "shardId-gone", StartSequenceNumber: "1", EndSequenceNumber: "2", BatchSize: 1})

	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	rep, err := redrive.DrainQueue(ctx, redrive.QueueConfig{Queue: q, QueueURL: *qo.QueueUrl, Streams: st, DB: db, Table: name,
		Now: func() time.Time { return now }, Hide: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Messages != 3 || rep.Redriven != 2 || rep.Touched != 2 || rep.Missing != 1 || rep.Expired+rep.Failed != 1 {
		t.Fatalf("report = %+v", rep)
	}
	if rep.LastError == nil {
		t.Error("the unreadable batch left no error")
	}
	for _, id := range []string{"a1", "a2"} {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: dynamostore.AlertKey(id), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if got := number(out.Item, resources.AttrRedrive); got != strconv.FormatInt(now.UnixNano(), 10) {
			t.Errorf("alert %s %s = %q", id, resources.AttrRedrive, got)
		}
		if v := number(out.Item, resources.AttrVersion); v != "1" {
			t.Errorf("alert %s version = %s, want 1 (a touch leaves the version)", id, v)
		}
	}
	if out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: dynamostore.AlertKey("a3")}); err != nil || out.Item != nil {
		t.Errorf("touch created the deleted alert: %v %v", out.Item, err)
	}
}

// trimmed answers as DynamoDB Streams does for records past retention.
type trimmed struct{ redrive.Streams }

func (trimmed) GetShardIterator(context.Context, *dynamodbstreams.GetShardIteratorInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	return nil, &stypes.TrimmedDataAccessException{Message: aws.String("trimmed")}
}

func TestBatchAlertIDsExpired(t *testing.T) {
	_, err := redrive.BatchAlertIDs(context.Background(), trimmed{}, redrive.BatchInfo{StreamARN: "a", ShardID: "s",
		StartSequenceNumber: "1", EndSequenceNumber: "2"})
	if !errors.Is(err, redrive.ErrExpired) {
		t.Fatalf("error = %v, want ErrExpired", err)
	}
}
