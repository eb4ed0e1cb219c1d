package dynamostore_test

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

// newStore creates a fresh table on the shared moto server.
func newStore(t *testing.T, opts dynamostore.Options) (*dynamostore.Store, string) {
	t.Helper()
	srv := mototest.Get(t)
	db := dynamodb.NewFromConfig(srv.Config())
	name := mototest.UniqueName("muster")
	arn, err := dynamostore.CreateTable(context.Background(), db, name)
	if err != nil {
		t.Fatal(err)
	}
	return dynamostore.New(db, name, opts), arn
}

func TestCreateTableHasStreamAndIndexes(t *testing.T) {
	s, arn := newStore(t, dynamostore.Options{})
	if arn == "" {
		t.Fatal("no stream ARN")
	}
	out, err := s.Client().DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: &[]string{s.Table()}[0]})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(out.Table.GlobalSecondaryIndexes); got != 3 {
		t.Fatalf("indexes = %d, want 3", got)
	}
	if string(out.Table.StreamSpecification.StreamViewType) != "NEW_AND_OLD_IMAGES" {
		t.Fatalf("stream view = %v", out.Table.StreamSpecification.StreamViewType)
	}
	// Creating it again is not an error.
	if _, err := dynamostore.CreateTable(context.Background(), s.Client(), s.Table()); err != nil {
		t.Fatal(err)
	}
}
