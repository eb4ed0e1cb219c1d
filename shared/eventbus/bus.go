package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/muster-sec/muster/shared/resources"
)

// Route is what CreateBus set up.
type Route struct {
	BusName  string
	BusARN   string
	RuleARN  string
	QueueURL string
	QueueARN string
}

// CreateBus creates (or reuses) the custom bus, an SQS queue, and a rule on
// the bus that sends events matching rule.Pattern to the queue, with a
// queue policy letting EventBridge deliver. Every step is idempotent, so
// the local bootstrap can run it on every start and tests can add several
// rules to one bus.
func CreateBus(ctx context.Context, cfg aws.Config, bus string, rule resources.Rule, queue string) (Route, error) {
	eb := eventbridge.NewFromConfig(cfg)
	q := sqs.NewFromConfig(cfg)
	r := Route{BusName: bus}

	created, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)})
	var exists *ebtypes.ResourceAlreadyExistsException
	switch {
	case err == nil:
		r.BusARN = aws.ToString(created.EventBusArn)
	case errors.As(err, &exists):
		d, err := eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(bus)})
		if err != nil {
			return r, fmt.Errorf("describe bus %s: %w", bus, err)
		}
		r.BusARN = aws.ToString(d.Arn)
	default:
		return r, fmt.Errorf("create bus %s: %w", bus, err)
	}

	qo, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(queue)})
	if err != nil {
		return r, fmt.Errorf("create queue %s: %w", queue, err)
	}
	r.QueueURL = aws.ToString(qo.QueueUrl)
	qa, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: qo.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return r, fmt.Errorf("queue %s attributes: %w", queue, err)
	}
	r.QueueARN = qa.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]

	ro, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{
		Name:         aws.String(rule.Name),
		EventBusName: aws.String(bus),
		Description:  aws.String(rule.Description),
		EventPattern: aws.String(rule.Pattern),
		State:        ebtypes.RuleStateEnabled,
	})
	if err != nil {
		return r, fmt.Errorf("put rule %s: %w", rule.Name, err)
	}
	r.RuleARN = aws.ToString(ro.RuleArn)

	policy, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Sid":       "AllowEventBridge",
			"Effect":    "Allow",
			"Principal": map[string]string{"Service": "events.amazonaws.com"},
			"Action":    "sqs:SendMessage",
			"Resource":  r.QueueARN,
			"Condition": map[string]any{"ArnEquals": map[string]string{"aws:SourceArn": r.RuleARN}},
		}},
	})
	if _, err := q.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
		QueueUrl:   qo.QueueUrl,
		Attributes: map[string]string{string(sqstypes.QueueAttributeNamePolicy): string(policy)},
	}); err != nil {
		return r, fmt.Errorf("queue %s policy: %w", queue, err)
	}

	to, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule:         aws.String(rule.Name),
		EventBusName: aws.String(bus),
		Targets:      []ebtypes.Target{{Id: aws.String("sqs-" + queue), Arn: aws.String(r.QueueARN)}},
	})
	if err != nil {
		return r, fmt.Errorf("put target on rule %s: %w", rule.Name, err)
	}
	if to.FailedEntryCount > 0 {
		return r, fmt.Errorf("put target on rule %s: %s", rule.Name, aws.ToString(to.FailedEntries[0].ErrorMessage))
	}
	return r, nil
}

// Receiver is the part of the SQS client Drain uses.
type Receiver interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

var _ Receiver = (*sqs.Client)(nil)

// Drain receives and deletes every message now in the queue (no long
// polling) and returns the bodies in order received: for an EventBridge
// target queue, one event envelope per message.
func Drain(ctx context.Context, q Receiver, queueURL string) ([]json.RawMessage, error) {
	var out []json.RawMessage
	for {
		m, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 0,
		})
		if err != nil {
			return out, fmt.Errorf("receive from %s: %w", queueURL, err)
		}
		if len(m.Messages) == 0 {
			return out, nil
		}
		for _, msg := range m.Messages {
			out = append(out, json.RawMessage(aws.ToString(msg.Body)))
			if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: msg.ReceiptHandle}); err != nil {
				return out, fmt.Errorf("delete from %s: %w", queueURL, err)
			}
		}
	}
}
