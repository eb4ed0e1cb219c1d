package streampoller

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// TestConvertRecord checks every attribute type and the record fields
// survive the conversion, by comparing the Lambda JSON of the result with
// the shape Lambda delivers.
func TestConvertRecord(t *testing.T) {
	created := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	rec := types.Record{
		EventID: aws.String("ev1"), EventName: types.OperationTypeModify, AwsRegion: aws.String("us-east-1"),
		EventVersion: aws.String("1.1"),
		UserIdentity: &types.Identity{Type: aws.String("Service"), PrincipalId: aws.String("dynamodb.amazonaws.com")},
		Dynamodb: &types.StreamRecord{
			SequenceNumber: aws.String("42"), SizeBytes: aws.Int64(99), StreamViewType: types.StreamViewTypeNewAndOldImages,
			ApproximateCreationDateTime: aws.Time(created),
			Keys:                        map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "ALERT#1"}},
			NewImage: map[string]types.AttributeValue{
				"s":    &types.AttributeValueMemberS{Value: "x"},
				"n":    &types.AttributeValueMemberN{Value: "1.5"},
				"b":    &types.AttributeValueMemberB{Value: []byte{1, 2}},
				"bool": &types.AttributeValueMemberBOOL{Value: true},
				"null": &types.AttributeValueMemberNULL{Value: true},
				"ss":   &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
				"ns":   &types.AttributeValueMemberNS{Value: []string{"1", "2"}},
				"bs":   &types.AttributeValueMemberBS{Value: [][]byte{{3}}},
				"l":    &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "y"}}},
				"m":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberN{Value: "7"}}},
				"em":   &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}},
			},
			OldImage: map[string]types.AttributeValue{"s": &types.AttributeValueMemberS{Value: "old"}},
		},
	}
	got, err := ConvertRecord(rec, testARN)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"awsRegion":"us-east-1","dynamodb":{"ApproximateCreationDateTime":` + jsonNum(created) + `,` +
		`"Keys":{"pk":{"S":"ALERT#1"}},` +
		`"NewImage":{"b":{"B":"AQI="},"bool":{"BOOL":true},"bs":{"BS":["Aw=="]},"em":{"M":{}},"l":{"L":[{"S":"y"}]},"m":{"M":{"k":{"N":"7"}}},"n":{"N":"1.5"},"ns":{"NS":["1","2"]},"null":{"NULL":true},"s":{"S":"x"},"ss":{"SS":["a","b"]}},` +
		`"OldImage":{"s":{"S":"old"}},"SequenceNumber":"42","SizeBytes":99,"StreamViewType":"NEW_AND_OLD_IMAGES"},` +
		`"eventID":"ev1","eventName":"MODIFY","eventSource":"aws:dynamodb","eventVersion":"1.1","eventSourceARN":"` + testARN + `",` +
		`"userIdentity":{"type":"Service","principalId":"dynamodb.amazonaws.com"}}`
	if !jsonEqual(t, b, []byte(want)) {
		t.Errorf("converted record\n got %s\nwant %s", b, want)
	}
	// And it decodes back as Lambda's own type.
	var back events.DynamoDBEventRecord
	if err := json.Unmarshal(b, &back); err != nil || back.Change.NewImage["m"].Map()["k"].Number() != "7" {
		t.Errorf("round trip: %v %+v", err, back.Change.NewImage["m"])
	}
}

func jsonNum(t time.Time) string {
	b, _ := json.Marshal(events.SecondsEpochTime{Time: t})
	return string(b)
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("want: %v", err)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}
