// Package cardstore keeps, in Muster's DynamoDB table, where each
// incident's Slack card was posted (channel, message ts) and the incident
// version it shows: one small item per incident (pk SLACKCARD#<id>, sk
// CARD), so the notifier updates the card in place instead of posting it
// again. It implements chatops.Cards.
package cardstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/chatops"
	"github.com/muster-sec/muster/shared/resources"
)

// DB is the part of the DynamoDB client the store uses.
type DB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// Store is the card store on one table.
type Store struct {
	DB    DB
	Table string
}

var _ chatops.Cards = (*Store)(nil)

func key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		resources.AttrPK: &types.AttributeValueMemberS{Value: resources.PrefixSlackCard + id},
		resources.AttrSK: &types.AttributeValueMemberS{Value: resources.SKSlackCard},
	}
}

// Card reads an incident's card.
func (s *Store) Card(ctx context.Context, id string) (chatops.CardRef, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: key(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return chatops.CardRef{}, fmt.Errorf("get card %s: %w", id, err)
	}
	if out.Item == nil {
		return chatops.CardRef{}, chatops.ErrNoCard
	}
	ref := chatops.CardRef{Channel: str(out.Item["channel"]), TS: str(out.Item["ts"])}
	ref.Claimed, _ = time.Parse(time.RFC3339Nano, str(out.Item[attrClaimed]))
	if n, ok := out.Item["cardVersion"].(*types.AttributeValueMemberN); ok {
		ref.Version, _ = strconv.ParseInt(n.Value, 10, 64)
	}
	return ref, nil
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// ClaimCard records that a card is being posted (chatops.Cards): a new
// record, or one taking over the pending claim made at stale, by a
// conditional write, so of two events racing for it one wins.
func (s *Store) ClaimCard(ctx context.Context, id string, ref chatops.CardRef, stale time.Time) error {
	item := key(id)
	item["channel"] = &types.AttributeValueMemberS{Value: ref.Channel}
	item["cardVersion"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(ref.Version, 10)}
	item[attrClaimed] = &types.AttributeValueMemberS{Value: ref.Claimed.UTC().Format(time.RFC3339Nano)}
	in := &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item,
		ConditionExpression:      aws.String("attribute_not_exists(#pk) OR (attribute_not_exists(ts) AND attribute_not_exists(#c))"),
		ExpressionAttributeNames: map[string]string{"#pk": resources.AttrPK, "#c": attrClaimed}}
	if !stale.IsZero() {
		in.ConditionExpression = aws.String("attribute_not_exists(ts) AND #c = :stale")
		in.ExpressionAttributeNames = map[string]string{"#c": attrClaimed}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{
			":stale": &types.AttributeValueMemberS{Value: stale.UTC().Format(time.RFC3339Nano)}}
	}
	_, err := s.DB.PutItem(ctx, in)
	var cond *types.ConditionalCheckFailedException
	if errors.As(err, &cond) {
		return chatops.ErrCardExists
	}
	if err != nil {
		return fmt.Errorf("claim card %s: %w", id, err)
	}
	return nil
}

// attrClaimed is when a pending card was claimed (RFC 3339).
const attrClaimed = "claimedAt"

// UpdateCard records the card's ts and version; a version older than the
// stored one is ignored (an event delivered late).
func (s *Store) UpdateCard(ctx context.Context, id string, ref chatops.CardRef) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key(id),
		UpdateExpression:    aws.String("SET channel = :c, ts = :ts, cardVersion = :v"),
		ConditionExpression: aws.String("attribute_not_exists(cardVersion) OR cardVersion <= :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":c": &types.AttributeValueMemberS{Value: ref.Channel}, ":ts": &types.AttributeValueMemberS{Value: ref.TS},
			":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(ref.Version, 10)},
		}})
	var cond *types.ConditionalCheckFailedException
	if errors.As(err, &cond) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("update card %s: %w", id, err)
	}
	return nil
}
