package dynamostore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/metrics"
)

// TestMetricsDayNearTheItemLimit: a day whose item is nearly 400 KB of
// detection counters still counts the other figures (the detection
// counters that do not fit are dropped, with a marker or without), and the
// call succeeds, so the responder does not retry the record forever.
//
// moto applies an update before refusing it as too large (DynamoDB refuses
// atomically), so here the retried counters may count twice: the test
// asserts at least once.
func TestMetricsDayNearTheItemLimit(t *testing.T) {
	s, _ := newStore(t, dynamostore.Options{})
	ctx := context.Background()
	const day = "2026-11-20"
	// Fill the day's item close to the limit with counters of long names.
	item := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "METRICS"}, "sk": &types.AttributeValueMemberS{Value: "DAY#" + day},
	}
	for i := range 380 {
		name := fmt.Sprintf("c:det.generic/%s%04d|alerts", strings.Repeat("x", 1000), i)
		item[name] = &types.AttributeValueMemberN{Value: "1"}
	}
	if _, err := s.Client().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table()), Item: item}); err != nil {
		t.Fatal(err)
	}
	big := func(tag string) metrics.Delta {
		d := metrics.Delta{metrics.Alerts: 1}
		for i := range 40 {
			d[fmt.Sprintf("det.generic/%s-%s%d|alerts", tag, strings.Repeat("y", 1000), i)] = 1
		}
		return d
	}
	tests := []struct{ name, marker string }{{"no marker", ""}, {"marker", "inc#1"}}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.AddMetrics(ctx, day, tt.marker, big(tt.name)); err != nil {
				t.Fatalf("AddMetrics: %v", err)
			}
			days, err := s.MetricDays(ctx, day, day)
			if err != nil || len(days) != 1 {
				t.Fatalf("MetricDays = %v, %v", days, err)
			}
			if got := days[0].Counts[metrics.Alerts]; got < int64(i+1) {
				t.Errorf("alerts = %d, want at least %d", got, i+1)
			}
		})
	}
}
