// Package bootstrap creates the resources the local stack needs on an AWS
// API emulator (moto, LocalStack): the table with its stream (from
// shared/resources via dynamostore.CreateTable), the event bus, and the
// local sink — an SQS queue and the rule resources.LocalSinkRule that
// routes every Muster event on the bus to it.
//
// Every step is idempotent: running it against an emulator that already
// holds the resources leaves them as they are and returns their names.
package bootstrap

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/resources"
)

// Names are the resources to create. Zero fields take the defaults from
// shared/resources.
type Names struct {
	Table string
	Bus   string
	Queue string
	Rule  resources.Rule
}

func (n Names) withDefaults() Names {
	if n.Table == "" {
		n.Table = resources.DefaultTableName
	}
	if n.Bus == "" {
		n.Bus = resources.DefaultBusName
	}
	if n.Queue == "" {
		n.Queue = resources.LocalSinkQueue
	}
	if n.Rule.Name == "" {
		n.Rule = resources.LocalSinkRule
	}
	return n
}

// Result is what Run created or found.
type Result struct {
	Names
	StreamARN string
	BusARN    string
	QueueURL  string
	QueueARN  string
}

// Run creates the table, the bus, the sink queue and the sink rule on the
// emulator behind cfg.
func Run(ctx context.Context, cfg aws.Config, names Names) (Result, error) {
	n := names.withDefaults()
	res := Result{Names: n}
	var err error
	if res.StreamARN, err = dynamostore.CreateTable(ctx, dynamodb.NewFromConfig(cfg), n.Table); err != nil {
		return res, err
	}
	if res.StreamARN == "" {
		return res, fmt.Errorf("table %s has no stream; delete it and start again", n.Table)
	}
	eb := eventbridge.NewFromConfig(cfg)
	if res.BusARN, err = createBus(ctx, eb, n.Bus); err != nil {
		return res, err
	}
	q := sqs.NewFromConfig(cfg)
	if res.QueueURL, res.QueueARN, err = createQueue(ctx, q, n.Queue); err != nil {
		return res, err
	}
	if err := allowBus(ctx, q, res.QueueURL, res.QueueARN, n.Rule.Name); err != nil {
		return res, err
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{
		Name: aws.String(n.Rule.Name), EventBusName: aws.String(n.Bus),
		EventPattern: aws.String(n.Rule.Pattern), Description: aws.String(n.Rule.Description),
		State: ebtypes.RuleStateEnabled,
	}); err != nil {
		return res, fmt.Errorf("put rule %s on bus %s: %w", n.Rule.Name, n.Bus, err)
	}
	out, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule: aws.String(n.Rule.Name), EventBusName: aws.String(n.Bus),
		Targets: []ebtypes.Target{{Id: aws.String("local-sink"), Arn: aws.String(res.QueueARN)}},
	})
	if err != nil {
		return res, fmt.Errorf("put target of rule %s: %w", n.Rule.Name, err)
	}
	if out.FailedEntryCount > 0 {
		return res, fmt.Errorf("put target of rule %s: %s", n.Rule.Name, aws.ToString(out.FailedEntries[0].ErrorMessage))
	}
	return res, nil
}

func createBus(ctx context.Context, eb *eventbridge.Client, name string) (string, error) {
	out, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(name)})
	var exists *ebtypes.ResourceAlreadyExistsException
	switch {
	case err == nil:
		return aws.ToString(out.EventBusArn), nil
	case errors.As(err, &exists):
		d, derr := eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(name)})
		if derr != nil {
			return "", fmt.Errorf("describe event bus %s: %w", name, derr)
		}
		return aws.ToString(d.Arn), nil
	default:
		return "", fmt.Errorf("create event bus %s: %w", name, err)
	}
}

func createQueue(ctx context.Context, q *sqs.Client, name string) (string, string, error) {
	out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s: %w", name, err)
	}
	url := aws.ToString(out.QueueUrl)
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", "", fmt.Errorf("get arn of queue %s: %w", name, err)
	}
	arn := attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	if arn == "" {
		return "", "", fmt.Errorf("queue %s has no ARN", name)
	}
	return url, arn, nil
}

// allowBus lets EventBridge send to the queue (moto does not check; AWS
// and LocalStack with IAM enforcement do).
func allowBus(ctx context.Context, q *sqs.Client, url, arn, rule string) error {
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"%s","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"%s"}]}`, rule, arn)
	if _, err := q.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
		QueueUrl: aws.String(url), Attributes: map[string]string{string(sqstypes.QueueAttributeNamePolicy): policy},
	}); err != nil {
		return fmt.Errorf("set policy of queue %s: %w", url, err)
	}
	return nil
}
