package dynamostore

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

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
