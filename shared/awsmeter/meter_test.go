package awsmeter_test

import (
	"context"
	"errors"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/muster-sec/muster/shared/awsmeter"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

func item(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk}}
}

// TestMeterRecordsEachCall makes one call per case against moto and checks
// what the meter recorded for it.
func TestMeterRecordsEachCall(t *testing.T) {
	ctx := context.Background()
	srv := mototest.Get(t)
	m := &awsmeter.Meter{}
	cfg := m.Config(srv.Config(), "test")
	db := dynamodb.NewFromConfig(cfg)
	bus := eventbridge.NewFromConfig(cfg)
	table := mototest.UniqueName("meter")
	if _, err := dynamostore.CreateTable(ctx, dynamodb.NewFromConfig(srv.Config()), table); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
		want awsmeter.Call
	}{
		{"PutItem", func() error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item("P", "1")})
			return err
		}, awsmeter.Call{Service: "DynamoDB", Operation: "PutItem", Written: 1, Keys: []string{"P|1"}, WriteSizes: []int{6}}},
		{"BatchWriteItem", func() error {
			_, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: {
				{PutRequest: &types.PutRequest{Item: item("P", "2")}}, {PutRequest: &types.PutRequest{Item: item("P", "3")}},
			}}})
			return err
		}, awsmeter.Call{Service: "DynamoDB", Operation: "BatchWriteItem", Written: 2, Keys: []string{"P|2", "P|3"}, WriteSizes: []int{6, 6}}},
		{"Query", func() error {
			_, err := db.Query(ctx, &dynamodb.QueryInput{TableName: &table, KeyConditionExpression: aws.String("pk = :p"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "P"}}, Limit: aws.Int32(2)})
			return err
		}, awsmeter.Call{Service: "DynamoDB", Operation: "Query", Partition: "P", Limit: 2, Read: 2, ReadSizes: []int{12}}},
		{"GetItem of a missing item", func() error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: item("P", "9")})
			return err
		}, awsmeter.Call{Service: "DynamoDB", Operation: "GetItem", Missing: 1}},
		{"BatchGetItem", func() error {
			_, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
				table: {Keys: []map[string]types.AttributeValue{item("P", "1"), item("P", "3"), item("P", "9")}}}})
			return err
		}, awsmeter.Call{Service: "DynamoDB", Operation: "BatchGetItem", Read: 2, ReadSizes: []int{6, 6}, Missing: 1}},
		{"TransactWriteItems", func() error {
			_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Put: &types.Put{TableName: &table, Item: item("Q", "1")}},
				{ConditionCheck: &types.ConditionCheck{TableName: &table, Key: item("P", "1"), ConditionExpression: aws.String("attribute_exists(pk)")}},
			}})
			return err
		}, awsmeter.Call{Service: "DynamoDB", Operation: "TransactWriteItems", Read: 1, Written: 1, Keys: []string{"Q|1"}, WriteSizes: []int{6}, Checked: []string{"P|1"}}},
		{"failed UpdateItem", func() error {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: item("Z", "1"),
				UpdateExpression: aws.String("SET n = :n"), ConditionExpression: aws.String("attribute_exists(pk)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: "1"}}})
			var failed *types.ConditionalCheckFailedException
			if !errors.As(err, &failed) {
				return errors.New("want a failed condition")
			}
			return nil
		}, awsmeter.Call{Service: "DynamoDB", Operation: "UpdateItem", Written: 1, Keys: []string{"Z|1"}, WriteSizes: []int{0}, Failed: true}},
		{"PutEvents", func() error {
			_, err := bus.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
				{Source: aws.String("muster"), DetailType: aws.String("Incident Created"), Detail: aws.String("{}")},
				{Source: aws.String("muster"), DetailType: aws.String("Incident Updated"), Detail: aws.String("{}")},
			}})
			return err
		}, awsmeter.Call{Service: "EventBridge", Operation: "PutEvents", DetailTypes: []string{"Incident Created", "Incident Updated"}, EntryBytes: []int{38, 38}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark := m.Len()
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			calls := m.Since(mark)
			if len(calls) != 1 {
				t.Fatalf("recorded %d calls, want 1", len(calls))
			}
			got := calls[0]
			if got.Component != "test" {
				t.Errorf("component = %q, want test", got.Component)
			}
			// Time and capacity vary; TestMeterAsksForCapacity checks the latter.
			got.Component, got.Start, got.Seconds, got.RCU, got.WCU = "", time.Time{}, 0, 0, 0
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("recorded %+v\nwant       %+v", got, tt.want)
			}
		})
	}
	if ops := m.Operations(); ops["PutItem"] != 1 || ops["Scan"] != 0 {
		t.Errorf("operations = %v", ops)
	}
	if got := m.ReadPerPartition()["|P"]; got != 2 {
		t.Errorf("read from partition P = %d, want 2", got)
	}
	m.Reset()
	if m.Len() != 0 || m.ItemsRead() != 0 {
		t.Errorf("after Reset: %d calls, %d items read", m.Len(), m.ItemsRead())
	}
}

// TestMeterAsksForCapacity checks that DynamoDB reports the capacity of a
// metered call.
func TestMeterAsksForCapacity(t *testing.T) {
	ctx := context.Background()
	srv := mototest.Get(t)
	m := &awsmeter.Meter{}
	db := dynamodb.NewFromConfig(m.Config(srv.Config(), "test"))
	table := mototest.UniqueName("meter")
	if _, err := dynamostore.CreateTable(ctx, dynamodb.NewFromConfig(srv.Config()), table); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item("P", "1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: item("P", "1")}); err != nil {
		t.Fatal(err)
	}
	calls := m.Calls()
	if len(calls) != 2 || calls[0].WCU <= 0 || calls[1].RCU <= 0 || calls[1].Read != 1 {
		t.Fatalf("calls = %+v, want a write with WCU and a read of one item with RCU", calls)
	}
}
