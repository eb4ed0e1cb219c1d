package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
// incident.ErrConflict, wrapped with what names it ("rule r-1").
func putNew(ctx context.Context, s *Store, item map[string]types.AttributeValue, what string) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fmt.Errorf("%s exists: %w", what, incident.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("put %s: %w", what, err)
	}
	return nil
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
