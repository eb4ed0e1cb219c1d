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

// CreateCard records a new card, unless the incident has one.
func (s *Store) CreateCard(ctx context.Context, id string, ref chatops.CardRef) error {
	item := key(id)
	item["channel"] = &types.AttributeValueMemberS{Value: ref.Channel}
	item["cardVersion"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(ref.Version, 10)}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(#pk)"), ExpressionAttributeNames: map[string]string{"#pk": resources.AttrPK}})
	var cond *types.ConditionalCheckFailedException
	if errors.As(err, &cond) {
		return chatops.ErrCardExists
	}
	if err != nil {
		return fmt.Errorf("create card %s: %w", id, err)
	}
	return nil
}

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
