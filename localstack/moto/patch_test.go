package moto

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go"

	"github.com/muster-sec/muster/shared/awsclient"
)

// syncBuffer is moto's output, written by the process and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTransactionsUndoWhatTheyWrote checks moto started here with the
// transaction patch: a cancelled transaction leaves items and stream as
// they were, a committed one writes all its items and their records.
func TestTransactionsUndoWhatTheyWrote(t *testing.T) {
	ctx := context.Background()
	p, out := startLogged(t)
	for _, line := range []string{"transactions keep an undo log", "transactions apply once per client request token",
		"streams skip writes that change nothing", "routes and EventBridge paths are looked up once"} {
		if !strings.Contains(out.String(), "muster: moto's "+line) {
			t.Fatalf("moto did not load the patch (%s); its output:\n%s", line, out.String())
		}
	}
	cfg := awsclient.ForEmulator(p.Endpoint)
	db, st := dynamodb.NewFromConfig(cfg), dynamodbstreams.NewFromConfig(cfg)
	streamARN := createTable(t, db)

	put(t, db, "a", "1")
	_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("t"), Item: item("b", "new")}},
		{Update: &types.Update{TableName: aws.String("t"), Key: key("a"), UpdateExpression: aws.String("SET v = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: "2"}}}},
		{Delete: &types.Delete{TableName: aws.String("t"), Key: key("a2")}},
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String("t"), Key: key("c"),
			ConditionExpression: aws.String("attribute_exists(pk)")}},
	}})
	var cancelled *types.TransactionCanceledException
	if !errors.As(err, &cancelled) {
		t.Fatalf("transaction with a failing check = %v, want TransactionCanceledException", err)
	}
	if got := value(t, db, "a"); got != "1" {
		t.Errorf("after the cancelled transaction a = %q, want 1", got)
	}
	if got := value(t, db, "b"); got != "" {
		t.Errorf("after the cancelled transaction b = %q, want no item", got)
	}
	if got := streamKeys(t, st, streamARN); got != "a" {
		t.Errorf("stream after the cancelled transaction = %q, want a", got)
	}

	_, err = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("t"), Item: item("b", "new")}},
		{Delete: &types.Delete{TableName: aws.String("t"), Key: key("a")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := value(t, db, "a"), value(t, db, "b"); a != "" || b != "new" {
		t.Errorf("after the committed transaction a = %q, b = %q; want no item and new", a, b)
	}
	if got := streamKeys(t, st, streamARN); got != "a b a" {
		t.Errorf("stream after the committed transaction = %q, want a b a", got)
	}
	put(t, db, "d", "1")
	if got := streamKeys(t, st, streamARN); got != "a b a d" {
		t.Errorf("stream after a later put = %q, want a b a d", got)
	}
}

// TestTransactionsApplyOncePerToken: a transaction sent again with its
// ClientRequestToken (as the SDK does on a retry after a lost answer)
// succeeds without writing, as in DynamoDB; other items under the same
// token are refused; a cancelled one runs again.
func TestTransactionsApplyOncePerToken(t *testing.T) {
	ctx := context.Background()
	p, _ := startLogged(t)
	db := dynamodb.NewFromConfig(awsclient.ForEmulator(p.Endpoint))
	createTable(t, db)
	add := func(token, pk string) error {
		_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String(token),
			TransactItems: []types.TransactWriteItem{{Update: &types.Update{TableName: aws.String("t"), Key: key(pk),
				UpdateExpression:          aws.String("ADD n :one"),
				ConditionExpression:       aws.String("attribute_exists(pk)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}}}}}})
		return err
	}
	count := func() string {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: key("c"), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if n, ok := out.Item["n"].(*types.AttributeValueMemberN); ok {
			return n.Value
		}
		return ""
	}
	var cancelled *types.TransactionCanceledException
	if err := add("tok-1", "c"); !errors.As(err, &cancelled) {
		t.Fatalf("add to a missing item = %v, want TransactionCanceledException", err)
	}
	put(t, db, "c", "x")
	for range 2 {
		if err := add("tok-1", "c"); err != nil {
			t.Fatalf("add under a token whose first call was cancelled: %v", err)
		}
	}
	if got := count(); got != "1" {
		t.Errorf("after the same token twice n = %q, want 1", got)
	}
	var mismatch smithy.APIError
	if err := add("tok-1", "other"); !errors.As(err, &mismatch) || mismatch.ErrorCode() != "IdempotentParameterMismatchException" {
		t.Errorf("other items under the same token = %v, want IdempotentParameterMismatchException", err)
	}
	if err := add("tok-2", "c"); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != "2" {
		t.Errorf("after a new token n = %q, want 2", got)
	}
}

// TestUnchangedWritesAddNoStreamRecord: as in DynamoDB, a put of the item
// as it is and an update that sets what is there add no stream record (a
// put the SDK sends again after a lost answer reaches consumers once); a
// change, a number written another way but equal aside, does.
func TestUnchangedWritesAddNoStreamRecord(t *testing.T) {
	ctx := context.Background()
	p, _ := startLogged(t)
	cfg := awsclient.ForEmulator(p.Endpoint)
	db, st := dynamodb.NewFromConfig(cfg), dynamodbstreams.NewFromConfig(cfg)
	streamARN := createTable(t, db)
	set := func(pk, expr string, v types.AttributeValue) {
		t.Helper()
		if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("t"), Key: key(pk),
			UpdateExpression: aws.String(expr), ExpressionAttributeValues: map[string]types.AttributeValue{":v": v}}); err != nil {
			t.Fatal(err)
		}
	}

	put(t, db, "a", "1")
	put(t, db, "a", "1")                                             // unchanged
	set("a", "SET v = :v", &types.AttributeValueMemberS{Value: "1"}) // unchanged
	set("a", "SET n = :v", &types.AttributeValueMemberN{Value: "5"})
	set("a", "SET n = :v", &types.AttributeValueMemberN{Value: "5.0"}) // the same number
	put(t, db, "a", "2")
	put(t, db, "b", "2")
	if got := streamKeys(t, st, streamARN); got != "a a a b" {
		t.Errorf("stream = %q, want a a a b (insert, SET n, put v=2, insert b)", got)
	}
}

func createTable(t *testing.T, db *dynamodb.Client) string {
	t.Helper()
	out, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String("t"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		StreamSpecification:  &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.TableDescription.LatestStreamArn)
}

func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}
}

func item(pk, v string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "v": &types.AttributeValueMemberS{Value: v}}
}

func put(t *testing.T, db *dynamodb.Client, pk, v string) {
	t.Helper()
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("t"), Item: item(pk, v)}); err != nil {
		t.Fatal(err)
	}
}

// value is the item's v, or "" when there is no item.
func value(t *testing.T, db *dynamodb.Client, pk string) string {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("t"), Key: key(pk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := out.Item["v"].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// streamKeys lists the keys of the stream's records in order, checking
// their sequence numbers rise.
func streamKeys(t *testing.T, st *dynamodbstreams.Client, arn string) string {
	t.Helper()
	ctx := context.Background()
	desc, err := st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	last := ""
	for _, sh := range desc.StreamDescription.Shards {
		it, err := st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: sh.ShardId,
			ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		out, err := st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range out.Records {
			seq := aws.ToString(rec.Dynamodb.SequenceNumber)
			if len(seq) < len(last) || (len(seq) == len(last) && seq <= last) {
				t.Errorf("sequence number %s after %s", seq, last)
			}
			last = seq
			keys = append(keys, rec.Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS).Value)
		}
	}
	return strings.Join(keys, " ")
}

// TestPatchKeepsTheShadowedSiteCustomize: a sitecustomize already on the
// user's PYTHONPATH still runs after the patch.
func TestPatchKeepsTheShadowedSiteCustomize(t *testing.T) {
	dir := t.TempDir()
	own := "import sys\nprint('the user\\'s sitecustomize ran', file=sys.stderr)\n"
	if err := os.WriteFile(filepath.Join(dir, "sitecustomize.py"), []byte(own), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PYTHONPATH", dir)
	_, out := startLogged(t)
	for _, want := range []string{"muster: moto's transactions keep an undo log", "the user's sitecustomize ran"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("moto's output lacks %q:\n%s", want, out.String())
		}
	}
}

// startLogged starts moto on a free port, its output kept, stopped when
// the test ends; it skips the test without moto_server (freePort).
func startLogged(t *testing.T) (*Process, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	p, err := Start(context.Background(), Options{Port: freePort(t), Output: out})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p, out
}
