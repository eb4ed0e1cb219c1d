package dynamostore

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/resources"
)

// KeyHistory lists the key-day records of key whose day lies between from
// and to (UTC yyyy-mm-dd, both included), newest day first, at most limit
// of them: one Query on the key's partition KEY#<key>, sort key
// DAY#<from> … DAY#<to> descending. No Scan; it reads only that key's items.
func (st *Store) KeyHistory(ctx context.Context, key alert.Key, from, to string, limit int) ([]*correlate.KeyDay, error) {
	if limit <= 0 {
		return nil, nil
	}
	p := dynamodb.NewQueryPaginator(st.db, &dynamodb.QueryInput{
		TableName:                aws.String(st.table),
		KeyConditionExpression:   aws.String("#pk = :pk AND #sk BETWEEN :from AND :to"),
		ExpressionAttributeNames: map[string]string{"#pk": resources.AttrPK, "#sk": resources.AttrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":   s(resources.PrefixKey + string(key)),
			":from": s(resources.SKKeyDay + from),
			":to":   s(resources.SKKeyDay + to),
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(limit)),
	})
	var out []*correlate.KeyDay
	for p.HasMorePages() && len(out) < limit {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("key history %s: %w", key, err)
		}
		for _, item := range page.Items[:min(len(page.Items), limit-len(out))] {
			kd, err := DecodeKeyDay(item)
			if err != nil {
				return nil, err
			}
			out = append(out, kd)
		}
	}
	return out, nil
}
