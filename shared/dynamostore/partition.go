package dynamostore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/resources"
)

// getOne reads one item by key with a consistent read and decodes it; a
// missing item is notFound, wrapped with what names it ("rule r-1").
func getOne[T any](ctx context.Context, s *Store, key map[string]types.AttributeValue, what string, notFound error,
	decode func(map[string]types.AttributeValue) (T, error)) (T, error) {
	var zero T
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return zero, fmt.Errorf("get %s: %w", what, err)
	}
	if out.Item == nil {
		return zero, fmt.Errorf("%s: %w", what, notFound)
	}
	return decode(out.Item)
}

// listPartition decodes the items of one time-index partition (a small
// collection such as the rules), oldest first, at most limit of them.
func listPartition[T any](ctx context.Context, s *Store, partition, what string, limit int,
	decode func(map[string]types.AttributeValue) (T, error)) ([]T, error) {
	kc := expression.Key(resources.AttrGSI1PK).Equal(expression.Value(partition))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, fmt.Errorf("build %s query: %w", what, err)
	}
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String(resources.IndexTime),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	var out []T
	for p.HasMorePages() && len(out) < limit {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", what, err)
		}
		for _, it := range page.Items {
			v, err := decode(it)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// putNew writes an item that must not exist yet; an existing one is
// incident.ErrConflict, wrapped with what names it ("rule r-1"). The put
// the SDK sends again after a lost answer is recognised (conditionalPut).
func putNew(ctx context.Context, s *Store, item map[string]types.AttributeValue, what string) error {
	_, err := s.conditionalPut(ctx, item, "attribute_not_exists(pk)", nil, nil)
	if errors.Is(err, incident.ErrConflict) {
		return fmt.Errorf("%s exists: %w", what, err)
	}
	if err != nil {
		return fmt.Errorf("put %s: %w", what, err)
	}
	return nil
}

// conditionalPut writes item under cond. A failed condition returns
// incident.ErrConflict and the current item (nil when it does not exist).
// The item carries a token of this call (attrPutToken): when the SDK sends
// the put again after its answer was lost, the condition fails on the
// item the first attempt wrote, and that token makes it a success.
func (s *Store) conditionalPut(ctx context.Context, item map[string]types.AttributeValue, cond string, names map[string]string, values map[string]types.AttributeValue) (map[string]types.AttributeValue, error) {
	tok := writeToken()
	item[attrPutToken] = &types.AttributeValueMemberS{Value: tok}
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(s.table),
		Item:                                item,
		ConditionExpression:                 aws.String(cond),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if StringAttr(ccf.Item, attrPutToken) == tok {
			return nil, nil // an earlier attempt of this call was applied
		}
		return ccf.Item, incident.ErrConflict
	}
	return nil, err
}

// attrPutToken holds the token of the conditional put that last wrote an
// item (alerts, rules); short, as every alert item carries it.
const attrPutToken = "pt"

// writeToken is a token of one write call, for the item to carry so that
// the call recognises its own earlier attempt (72 random bits tell one
// call from another with room to spare).
func writeToken() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hitsOf reads a rule item's hit counter and last hit time.
func hitsOf(item map[string]types.AttributeValue) (hits int64, last *time.Time) {
	if h, ok := item["hits"].(*types.AttributeValueMemberN); ok {
		hits, _ = strconv.ParseInt(h.Value, 10, 64)
	}
	if t, err := time.Parse(time.RFC3339Nano, StringAttr(item, "lastHitAt")); err == nil {
		last = &t
	}
	return hits, last
}

// updateDoc writes the doc of item (and the string attributes named in
// also) over the item at key as version+1, if that is still at version; a
// stale version is incident.ErrConflict.
func updateDoc(ctx context.Context, s *Store, key, item map[string]types.AttributeValue, version int64, what string, also ...string) error {
	upd := expression.Set(expression.Name(attrDoc), expression.Value(StringAttr(item, attrDoc))).
		Set(expression.Name(resources.AttrVersion), expression.Value(version+1))
	for _, name := range also {
		upd = upd.Set(expression.Name(name), expression.Value(StringAttr(item, name)))
	}
	cond := expression.Name(resources.AttrVersion).Equal(expression.Value(version))
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("build %s update: %w", what, err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: key,
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fmt.Errorf("%s changed concurrently: %w", what, incident.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	return nil
}

// deleteOne removes the item at key; a missing one is notFound, wrapped
// with what names it.
func deleteOne(ctx context.Context, s *Store, key map[string]types.AttributeValue, what string, notFound error) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table), Key: key,
		ConditionExpression: aws.String("attribute_exists(pk)"),
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fmt.Errorf("%s: %w", what, notFound)
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", what, err)
	}
	return nil
}

// recordHits adds hit counts per rule id to the items at key(id) (ADD, so
// concurrent writers never lose a hit) and moves lastHitAt forward to at.
// Rules deleted meanwhile are skipped; what names the kind of rule.
func recordHits(ctx context.Context, s *Store, key func(string) map[string]types.AttributeValue, hits map[string]int, at time.Time, what string) error {
	ids := make([]string, 0, len(hits))
	for id := range hits {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	ts := at.UTC().Format(time.RFC3339Nano)
	var ccf *types.ConditionalCheckFailedException
	for _, id := range ids {
		if hits[id] <= 0 {
			continue
		}
		err := s.addHits(ctx, key(id), hits[id], ts, true)
		if errors.As(err, &ccf) {
			// Deleted, or lastHitAt already later: count without moving it.
			err = s.addHits(ctx, key(id), hits[id], ts, false)
			if errors.As(err, &ccf) {
				continue
			}
		}
		if err != nil {
			return fmt.Errorf("record hits of %s %s: %w", what, id, err)
		}
	}
	return nil
}

// addHits adds count to the hits of the rule item at key and, with
// setLast, moves its lastHitAt to ts when that is later; at most once
// however often the SDK sends it (updateOnce).
func (st *Store) addHits(ctx context.Context, key map[string]types.AttributeValue, count int, ts string, setLast bool) error {
	in := &dynamodb.UpdateItemInput{
		TableName: aws.String(st.table), Key: key,
		UpdateExpression:          aws.String("ADD hits :n"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": n(int64(count))},
	}
	if setLast {
		in.UpdateExpression = aws.String("ADD hits :n SET lastHitAt = :t")
		in.ConditionExpression = aws.String("attribute_exists(pk) AND (attribute_not_exists(lastHitAt) OR lastHitAt < :t)")
		in.ExpressionAttributeValues[":t"] = &types.AttributeValueMemberS{Value: ts}
	}
	return st.updateOnce(ctx, in, attrHitToken)
}

// attrHitToken holds the token of the last hit update applied to a rule.
const attrHitToken = "hitToken"

// updateOnce sends an update that adds (ADD is not idempotent) so that an
// attempt the SDK sends again after its answer was lost adds nothing
// twice. The update also sets a token of its own in the attribute attr and
// is refused where the item already holds that token; that refusal, seen
// by the token on the old item, is success. It guards the usual case, a
// retry with no other update of the item in between; a retry that comes
// after another writer's update still adds again (what it guards are usage
// figures, not a ledger). A refusal of in's own condition is returned.
func (st *Store) updateOnce(ctx context.Context, in *dynamodb.UpdateItemInput, attr string) error {
	tok := writeToken()
	expr := aws.ToString(in.UpdateExpression)
	if strings.Contains(expr, "SET ") {
		expr = strings.Replace(expr, "SET ", "SET #tok = :tok, ", 1)
	} else {
		expr += " SET #tok = :tok"
	}
	cond := "(attribute_not_exists(#tok) OR #tok <> :tok)"
	if c := aws.ToString(in.ConditionExpression); c != "" {
		cond = c + " AND " + cond
	}
	in.UpdateExpression, in.ConditionExpression = aws.String(expr), aws.String(cond)
	in.ExpressionAttributeNames = maps.Clone(in.ExpressionAttributeNames)
	if in.ExpressionAttributeNames == nil {
		in.ExpressionAttributeNames = map[string]string{}
	}
	in.ExpressionAttributeNames["#tok"] = attr
	in.ExpressionAttributeValues = maps.Clone(in.ExpressionAttributeValues)
	if in.ExpressionAttributeValues == nil {
		in.ExpressionAttributeValues = map[string]types.AttributeValue{}
	}
	in.ExpressionAttributeValues[":tok"] = s(tok)
	in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	_, err := st.db.UpdateItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) && StringAttr(ccf.Item, attr) == tok {
		return nil // an earlier attempt of this call was applied
	}
	return err
}
