package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/normalize"
	"github.com/muster-sec/muster/shared/resources"
)

// maxPutAttempts bounds PutAlert's optimistic-locking retries.
const maxPutAttempts = 10

// PutAlert stores a idempotently. A new alert is written with a conditional
// put (attribute_not_exists(pk)) at version 1: Accepted. A known alert is
// merged with the delivery and shrunk to the budget (normalize.MergeStored)
// and rewritten with a condition on its version, retried on conflict:
// Duplicate. A duplicate whose merge equals the stored alert (raw payload
// aside) is not written at all, so re-deliveries that bring nothing new,
// of a shrunk alert too, produce no stream record; a changed one produces
// a MODIFY, never a second INSERT. Attributes other writers added to the
// item (the correlator's incidentId, for example) are preserved.
//
// An alert the table cannot hold is refused with an error wrapping
// alert.ErrInvalid and an *alert.FieldError, and nothing is written: a
// merge that would take the alert over alert.MaxStoredBytes (after
// normalize.MergeStored has shrunk what it may), an item over
// MaxAlertItemBytes, or DynamoDB's refusal of the item or a key as too
// large (see refused). Such a refusal is permanent; any other
// ValidationException is a storage error. The error never carries
// DynamoDB's message, which may quote the item.
func (s *Store) PutAlert(ctx context.Context, a *alert.Alert) (normalize.PutResult, error) {
	var existing map[string]types.AttributeValue
	for range maxPutAttempts {
		if existing == nil {
			item, err := EncodeAlert(a, 1, s.retention)
			if err != nil {
				return normalize.PutResult{}, err
			}
			old, err := s.conditionalPut(ctx, item, "attribute_not_exists(#pk)",
				map[string]string{"#pk": resources.AttrPK}, nil)
			if err == nil {
				return normalize.PutResult{Outcome: normalize.Accepted, Changed: true, Alert: *a}, nil
			}
			if !errors.Is(err, incident.ErrConflict) {
				return normalize.PutResult{}, fmt.Errorf("put alert %s: %w", a.ID, refused(err))
			}
			if existing = old; existing == nil {
				if existing, err = s.alertItem(ctx, a.ID); err != nil {
					return normalize.PutResult{}, err
				}
				if existing == nil {
					continue // deleted in between: create again
				}
			}
		}
		stored, v, err := DecodeAlert(existing)
		if err != nil {
			return normalize.PutResult{}, err
		}
		merged, changed, err := normalize.MergeStored(stored, *a)
		if err != nil {
			return normalize.PutResult{}, fmt.Errorf("merge alert %s: %w", a.ID, err)
		}
		if !changed {
			return normalize.PutResult{Outcome: normalize.Duplicate, Alert: stored}, nil
		}
		item, err := EncodeAlert(&merged, v+1, s.retention)
		if err != nil {
			return normalize.PutResult{}, err
		}
		for k, val := range existing {
			if _, ok := item[k]; !ok {
				item[k] = val
			}
		}
		old, err := s.conditionalPut(ctx, item, "#v = :v",
			map[string]string{"#v": resources.AttrVersion}, map[string]types.AttributeValue{":v": n(v)})
		if err == nil {
			return normalize.PutResult{Outcome: normalize.Duplicate, Changed: true, Alert: merged}, nil
		}
		if !errors.Is(err, incident.ErrConflict) {
			return normalize.PutResult{}, fmt.Errorf("update alert %s: %w", a.ID, refused(err))
		}
		existing = old
		if existing == nil {
			if existing, err = s.alertItem(ctx, a.ID); err != nil {
				return normalize.PutResult{}, err
			}
		}
	}
	return normalize.PutResult{}, fmt.Errorf("put alert %s: still conflicting after %d attempts: %w", a.ID, maxPutAttempts, incident.ErrConflict)
}

// refused sorts out a DynamoDB ValidationException from writing an alert.
// The table's size refusals (an item over 400 KB, a key or index key over
// its size limit; sizeRefusal) are a permanent refusal of this alert: an
// error wrapping alert.ErrInvalid with a reason of ours. Any other
// ValidationException means we built the request wrong (a bad expression,
// a duplicate in a string set…): a storage error, a 500, not the sender's
// fault. Either way DynamoDB's message is dropped (it may quote the item);
// the error code, operation and request id stay in the error text for the
// logs. Any other error is returned as it is.
func refused(err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		return err
	}
	what := "DynamoDB " + ae.ErrorCode()
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		what += " on " + oe.Operation()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.ServiceRequestID() != "" {
		what += " (request " + re.ServiceRequestID() + ")"
	}
	if !sizeRefusal(ae.ErrorMessage()) {
		return fmt.Errorf("%s: the table rejected the request; its message is withheld (it may quote the item)", what)
	}
	return fmt.Errorf("%s: %w", what, alert.Invalid("item",
		"the table refused the alert as too large (over DynamoDB's 400 KB item size or a key's size limit); it cannot be stored as sent"))
}

// sizeMessages are the starts of DynamoDB's messages for an item or a key
// over its size limit, lower-case, as DynamoDB (and moto) word them:
//
//	Item size has exceeded the maximum allowed size
//	Item size to update has exceeded the maximum allowed size
//	One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes
//	One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes
//	One or more parameter values were invalid: Size limit exceeded for Index Key gsi3pk Actual Size: … IndexName: gsi3
var sizeMessages = []string{
	"item size has exceeded the maximum allowed size",
	"item size to update has exceeded the maximum allowed size",
	"size of hashkey has exceeded the maximum size limit",
	"aggregated size of all range keys has exceeded the size limit",
	"size limit exceeded for index key",
}

// sizeRefusal reports whether a ValidationException message is one of
// DynamoDB's item or key size refusals.
func sizeRefusal(msg string) bool {
	msg = strings.TrimPrefix(strings.ToLower(msg), "one or more parameter values were invalid: ")
	for _, m := range sizeMessages {
		if strings.HasPrefix(msg, m) {
			return true
		}
	}
	return false
}

// alertItem reads an alert item with a consistent read; nil when absent.
func (s *Store) alertItem(ctx context.Context, id string) (map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: AlertKey(id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("get alert %s: %w", id, err)
	}
	return out.Item, nil
}

// GetAlert returns a stored alert; the error wraps incident.ErrNotFound
// when there is none.
func (s *Store) GetAlert(ctx context.Context, id string) (alert.Alert, error) {
	item, err := s.alertItem(ctx, id)
	if err != nil {
		return alert.Alert{}, err
	}
	if item == nil {
		return alert.Alert{}, fmt.Errorf("alert %s: %w", id, incident.ErrNotFound)
	}
	a, _, err := DecodeAlert(item)
	return a, err
}
