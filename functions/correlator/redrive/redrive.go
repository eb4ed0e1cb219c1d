// Package redrive brings parked correlation work back. When the
// correlator's stream records run out of retries (resources.Correlator:
// after six hours of a failing store), Lambda parks the batch on the
// mapping's on-failure queue — its position on the stream, not the records
// — and the local runner parks the records in a dead-letter file.
//
// The redrive re-touches the parked alerts: it sets resources.AttrRedrive
// on each alert item that still exists (and creates none). The write
// reaches the correlator as an ordinary MODIFY record on the stream, so the
// alert is correlated by the deployed function, with its configuration,
// its retries and its alarms, and never by the operator's process.
// Correlating an alert again is a no-op when it is already correlated, so
// a redrive may run any number of times.
//
// Sources of alert ids: AlertIDs (stream records, as the local dead-letter
// file holds them), BatchAlertIDs (a parked batch's range, read back from
// the stream while the stream still holds it) and DrainQueue (every message
// of the on-failure queue). See docs/operations.md.
package redrive

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/resources"
)

// Table is the part of the DynamoDB API Touch uses.
type Table interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

var _ Table = (*dynamodb.Client)(nil)

// Touched counts what Touch did.
type Touched struct {
	// Touched alerts will reach the correlator again.
	Touched int
	// Missing alerts no longer exist (expired or deleted): nothing to
	// correlate.
	Missing int
}

// Touch sets resources.AttrRedrive to now on every alert item of ids that
// exists, leaving the alert's document and version alone (ingest and the
// correlator's assignment write condition on the version). It stops at the
// first error other than a missing alert; the alerts touched before it
// are counted.
func Touch(ctx context.Context, db Table, table string, ids []string, now time.Time) (Touched, error) {
	var out Touched
	stamp := strconv.FormatInt(now.UnixNano(), 10)
	for _, id := range ids {
		_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                aws.String(table),
			Key:                      dynamostore.AlertKey(id),
			UpdateExpression:         aws.String("SET #r = :r"),
			ConditionExpression:      aws.String("attribute_exists(#pk)"),
			ExpressionAttributeNames: map[string]string{"#r": resources.AttrRedrive, "#pk": resources.AttrPK},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":r": &types.AttributeValueMemberN{Value: stamp},
			},
		})
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			out.Touched++
		case errors.As(err, &ccf):
			out.Missing++
		default:
			return out, fmt.Errorf("touch alert %s: %w", id, err)
		}
	}
	return out, nil
}

// AlertIDs returns the alert ids named by the INSERT and MODIFY records of
// alert items among recs, in order and without repeats.
func AlertIDs(recs []events.DynamoDBEventRecord) []string {
	var ids []string
	seen := map[string]bool{}
	for _, r := range recs {
		if r.EventName != "INSERT" && r.EventName != "MODIFY" {
			continue
		}
		pk, ok := r.Change.Keys[resources.AttrPK]
		if !ok || pk.DataType() != events.DataTypeString {
			continue
		}
		if id := alertID(pk.String()); id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

// alertID returns the alert id of an alert item's partition key, "" for
// any other key.
func alertID(pk string) string {
	id, ok := strings.CutPrefix(pk, resources.PrefixAlert)
	if !ok {
		return ""
	}
	return id
}
