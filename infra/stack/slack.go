package stack

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/jsii-runtime-go"

	"github.com/muster-sec/muster/shared/incidentevent"
	"github.com/muster-sec/muster/shared/resources"
)

// SlackCardPattern selects the events that keep incidents' Slack cards
// current: the notify function decides which of them post a card and
// which update one (chatops.Notifier).
var SlackCardPattern = mustJSON(map[string]any{
	"source":      []string{resources.EventSource},
	"detail-type": []string{incidentevent.DetailTypeCreated, incidentevent.DetailTypeUpdated, incidentevent.DetailTypeStatusChanged},
})

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// slackNotify routes incident events to the notify function, when a Slack
// channel is configured. Deliveries that still fail after the target's
// retries go to a dead-letter queue.
func (b *builder) slackNotify() error {
	if b.p.SlackChannelID == "" {
		awscdk.Annotations_Of(b.st).AddInfo(jsii.String(
			"Slack cards not deployed: set context " + CtxSlackParamName + " and " + CtxSlackChannelID + " to enable them"))
		return nil
	}
	pattern, err := eventPattern(SlackCardPattern)
	if err != nil {
		return fmt.Errorf("slack-cards rule: %w", err)
	}
	dlq := b.queue("SlackCardsDLQ", "slack-cards")
	awsevents.NewRule(b.st, jsii.String("SlackCardsRule"), &awsevents.RuleProps{
		EventBus:     b.Bus,
		Description:  jsii.String("Slack cards: incident created, updated or status changed → notify"),
		EventPattern: pattern,
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(b.Functions[Notify], &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: dlq,
			RetryAttempts:   jsii.Number(targetRetryAttempts),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(targetMaxEventHours)),
		})},
	})
	return nil
}
