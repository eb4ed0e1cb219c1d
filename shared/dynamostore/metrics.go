package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/muster-sec/muster/shared/metrics"
	"github.com/muster-sec/muster/shared/resources"
)

// Metrics counters on the table:
//
//	counters  pk METRICS            sk DAY#<yyyy-mm-dd>  one number attribute per counter ("c:<name>")
//	marker    pk METRICSEVENT#<id>  sk EVENT             expiresAt (written with a delta, so it counts once)
const (
	metricsPartition = "METRICS"
	metricsEvent     = "METRICSEVENT#"
	skMetricsEvent   = "EVENT"
	counterPrefix    = "c:"
	// attrCountToken holds the token of the last marker-less update of a
	// day's counters (updateOnce).
	attrCountToken = "countToken"
	// MarkerRetention is how long a counted event's marker lives: longer
	// than a stream record (24 h), so every replay finds it.
	MarkerRetention = 3 * 24 * time.Hour
)

// AddMetrics adds d to the counters of day. With a marker (the id of the
// event d comes from: an incident id and version) the update and a marker
// item are one transaction conditioned on the marker's absence, so the
// same event adds once however often it is replayed; AddMetrics then
// returns nil for a replay. Without a marker it is one UpdateItem, sent
// so that an SDK retry after a lost answer does not add twice
// (updateOnce).
//
// A day's item holds one counter per detection seen that day; should a
// day see so many detections that the item reaches DynamoDB's 400 KB, the
// update is refused as too large and made again without the detection
// counters, so the other figures keep counting (the detection figures of
// that day are then short).
func (st *Store) AddMetrics(ctx context.Context, day, marker string, d metrics.Delta) error {
	err := st.addMetrics(ctx, day, marker, d)
	if tooLarge(err) {
		err = st.addMetrics(ctx, day, marker, withoutDetections(d))
	}
	return err
}

func (st *Store) addMetrics(ctx context.Context, day, marker string, d metrics.Delta) error {
	update, ok := metricsUpdate(st.table, day, d)
	if !ok {
		return nil
	}
	if marker == "" {
		err := st.updateOnce(ctx, update, attrCountToken)
		if err != nil {
			return fmt.Errorf("add metrics %s: %w", day, err)
		}
		return nil
	}
	put := &types.Put{TableName: aws.String(st.table), Item: map[string]types.AttributeValue{
		resources.AttrPK: s(metricsEvent + marker), resources.AttrSK: s(skMetricsEvent),
		resources.AttrTTL: n(st.now().Add(MarkerRetention).Unix()),
	}, ConditionExpression: aws.String("attribute_not_exists(#pk)"), ExpressionAttributeNames: map[string]string{"#pk": resources.AttrPK}}
	_, err := st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: put},
		{Update: &types.Update{TableName: update.TableName, Key: update.Key, UpdateExpression: update.UpdateExpression,
			ExpressionAttributeNames: update.ExpressionAttributeNames, ExpressionAttributeValues: update.ExpressionAttributeValues}},
	}})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) && len(canceled.CancellationReasons) > 0 &&
		aws.ToString(canceled.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		return nil // counted already
	}
	if err != nil {
		return fmt.Errorf("add metrics %s for %s: %w", day, marker, err)
	}
	return nil
}

// tooLarge reports DynamoDB's refusal of an update as making the item too
// large, as a ValidationException or as the reason a transaction was
// cancelled.
func tooLarge(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "ValidationException" && sizeRefusal(ae.ErrorMessage()) {
		return true
	}
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		for _, r := range canceled.CancellationReasons {
			if sizeRefusal(aws.ToString(r.Message)) {
				return true
			}
		}
	}
	return false
}

func withoutDetections(d metrics.Delta) metrics.Delta {
	out := metrics.Delta{}
	for k, v := range d {
		if !strings.HasPrefix(k, metrics.Det) {
			out[k] = v
		}
	}
	return out
}

// metricsUpdate is the ADD update of d's non-zero counters, in name order.
func metricsUpdate(table, day string, d metrics.Delta) (*dynamodb.UpdateItemInput, bool) {
	names := map[string]string{}
	vals := map[string]types.AttributeValue{}
	var terms []string
	keys := make([]string, 0, len(d))
	for k, v := range d {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for i, k := range keys {
		id := strconv.Itoa(i)
		names["#c"+id], vals[":c"+id] = counterPrefix+k, n(d[k])
		terms = append(terms, "#c"+id+" :c"+id)
	}
	if len(terms) == 0 {
		return nil, false
	}
	return &dynamodb.UpdateItemInput{TableName: aws.String(table),
		Key:                      map[string]types.AttributeValue{resources.AttrPK: s(metricsPartition), resources.AttrSK: s(resources.SKKeyDay + day)},
		UpdateExpression:         aws.String("ADD " + strings.Join(terms, ", ")),
		ExpressionAttributeNames: names, ExpressionAttributeValues: vals}, true
}

// MetricDays reads the counters of the days from..to (UTC yyyy-mm-dd, both
// included): one Query on the METRICS partition. Days without counters are
// absent.
func (st *Store) MetricDays(ctx context.Context, from, to string) ([]metrics.Day, error) {
	p := dynamodb.NewQueryPaginator(st.db, &dynamodb.QueryInput{
		TableName:                aws.String(st.table),
		KeyConditionExpression:   aws.String("#pk = :pk AND #sk BETWEEN :from AND :to"),
		ExpressionAttributeNames: map[string]string{"#pk": resources.AttrPK, "#sk": resources.AttrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": s(metricsPartition), ":from": s(resources.SKKeyDay + from), ":to": s(resources.SKKeyDay + to),
		},
	})
	var out []metrics.Day
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read metrics %s..%s: %w", from, to, err)
		}
		for _, item := range page.Items {
			out = append(out, decodeMetricDay(item))
		}
	}
	return out, nil
}

func decodeMetricDay(item map[string]types.AttributeValue) metrics.Day {
	d := metrics.Day{Day: strings.TrimPrefix(StringAttr(item, resources.AttrSK), resources.SKKeyDay), Counts: map[string]int64{}}
	for k, v := range item {
		name, ok := strings.CutPrefix(k, counterPrefix)
		num, isNum := v.(*types.AttributeValueMemberN)
		if !ok || !isNum {
			continue
		}
		if x, err := strconv.ParseInt(num.Value, 10, 64); err == nil {
			d.Counts[name] = x
		}
	}
	return d
}

// MaxDetectionLookups bounds the alerts AlertDetections reads: one
// BatchGetItem of that many keys.
const MaxDetectionLookups = 100

// AlertDetections returns the detection (metrics.Detection of provider and
// type) of each alert among ids that exists, reading only those two
// attributes of at most MaxDetectionLookups alerts (the first ids given).
func (st *Store) AlertDetections(ctx context.Context, ids []string) (map[string]string, error) {
	ids = ids[:min(len(ids), MaxDetectionLookups)]
	if len(ids) == 0 {
		return map[string]string{}, nil
	}
	keys := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = AlertKey(id)
	}
	items, err := st.batchGetChunk(ctx, keys, resources.AttrPK, "provider", "type")
	if err != nil {
		return nil, fmt.Errorf("alert detections: %w", err)
	}
	out := make(map[string]string, len(items))
	for _, it := range items {
		id := strings.TrimPrefix(StringAttr(it, resources.AttrPK), resources.PrefixAlert)
		out[id] = metrics.Detection(StringAttr(it, "provider"), StringAttr(it, "type"))
	}
	return out, nil
}
