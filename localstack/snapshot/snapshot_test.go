package snapshot_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/localstack/snapshot"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

func items(t *testing.T, db *dynamodb.Client, table string) map[string]map[string]types.AttributeValue {
	t.Helper()
	out := map[string]map[string]types.AttributeValue{}
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(table)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			out[dynamostore.StringAttr(it, "pk")+"/"+dynamostore.StringAttr(it, "sk")] = it
		}
	}
	return out
}

// TestSaveRestore: every item (strings, numbers, sets, maps, the index
// keys) comes back in a new table; the index answers as before.
func TestSaveRestore(t *testing.T) {
	ctx := context.Background()
	db := dynamodb.NewFromConfig(mototest.Get(t).Config())
	from, to := mototest.UniqueName("snap-from"), mototest.UniqueName("snap-to")
	for _, name := range []string{from, to} {
		if _, err := dynamostore.CreateTable(ctx, db, name); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 60 { // more than one BatchWriteItem
		item := map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "ALERT#" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + time.Duration(i).String()},
			"sk": &types.AttributeValueMemberS{Value: "ALERT"}, "n": &types.AttributeValueMemberN{Value: "42.5"},
			"ss":     &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
			"m":      &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"b": &types.AttributeValueMemberBOOL{Value: true}}},
			"gsi1pk": &types.AttributeValueMemberS{Value: "DAY"}, "gsi1sk": &types.AttributeValueMemberS{Value: time.Duration(i).String()},
		}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(from), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	meta, err := snapshot.Save(ctx, db, from, dir, snapshot.Meta{EventsSize: 7})
	if err != nil || meta.Items != 60 {
		t.Fatalf("Save = %+v, %v", meta, err)
	}
	got, err := snapshot.Restore(ctx, db, to, dir)
	if err != nil || got.Items != 60 || got.EventsSize != 7 || got.Table != from {
		t.Fatalf("Restore = %+v, %v", got, err)
	}
	if a, b := items(t, db, from), items(t, db, to); !reflect.DeepEqual(a, b) {
		t.Fatalf("restored items differ: %d vs %d", len(a), len(b))
	}
	q, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(to), IndexName: aws.String("gsi1"),
		KeyConditionExpression:    aws.String("gsi1pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "DAY"}}})
	if err != nil || q.Count != 60 {
		t.Fatalf("index after restore: %v, %v", q, err)
	}
	if _, err := snapshot.Restore(ctx, db, to, t.TempDir()); err != snapshot.ErrNone {
		t.Fatalf("Restore of nothing = %v, want ErrNone", err)
	}
}

// TestJournal: credentials are never kept, reads do not count, a torn
// last line is left out, Reset empties it.
func TestJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), snapshot.JournalFile)
	j, err := snapshot.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	req := events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/webhooks/generic", Body: `{"id":"a"}`,
		Headers:           map[string]string{"Authorization": "Bearer secret-token", "X-Muster-Signature": "sha256=abc", "Content-Type": "application/json"},
		MultiValueHeaders: map[string][]string{"authorization": {"Bearer secret-token"}, "X-Muster-Timestamp": {"1"}, "Content-Type": {"application/json"}}}
	if !snapshot.Mutates(req) || snapshot.Mutates(events.APIGatewayProxyRequest{HTTPMethod: "GET"}) {
		t.Fatal("Mutates is wrong")
	}
	for range 2 {
		if err := j.Append(req); err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := os.ReadFile(path)
	for _, secret := range []string{"secret-token", "sha256=abc", "Timestamp"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the journal keeps %q", secret)
		}
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	_, _ = f.WriteString(`{"httpMethod":"PO`)
	f.Close()
	got, err := snapshot.ReadJournal(path)
	if err != nil || len(got) != 2 || got[1].Body != req.Body || got[1].Headers["Content-Type"] != "application/json" {
		t.Fatalf("ReadJournal = %+v, %v", got, err)
	}
	if err := j.Reset(); err != nil || j.Len() != 0 {
		t.Fatalf("Reset: %v, len %d", err, j.Len())
	}
	if got, _ := snapshot.ReadJournal(path); len(got) != 0 {
		t.Fatalf("after Reset: %d requests", len(got))
	}
}
