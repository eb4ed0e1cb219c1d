package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
)

// How the isolate-instance state machine reports on the request it runs
// (when PlaybookReportSecretARN is set): it puts a "Playbook Report" event
// on the Muster bus — its role may put only that source and detail type —
// and a rule sends the event's report to the API's
// POST /incidents/{id}/responses/{requestId} through an API destination
// whose connection holds the respond-scope token (Secrets Manager; the
// state machine never sees it). A report that cannot be put is caught: it
// never stops or fails the isolation.
const (
	ReportSource     = "muster.playbook"
	ReportDetailType = "Playbook Report"
)

// report is the state that reports status on the request; message and
// outputs are ASL parameters (a key ending in ".$" takes a path).
func (iso *isolation) report(id, status string, fields map[string]any) awsstepfunctions.CustomState {
	b := iso.b
	body := map[string]any{"status": status}
	for k, v := range fields {
		body[k] = v
	}
	st := awsstepfunctions.NewCustomState(b.st, jsii.String(id), &awsstepfunctions.CustomStateProps{
		StateJson: &map[string]any{
			"Type":     "Task",
			"Comment":  "Report " + status + " to the API (through the bus and the report rule's API destination)",
			"Resource": "arn:" + *awscdk.Aws_PARTITION() + ":states:::events:putEvents",
			"Parameters": map[string]any{"Entries": []any{map[string]any{
				"EventBusName": b.Bus.EventBusArn(),
				"Source":       ReportSource,
				"DetailType":   ReportDetailType,
				"Detail": map[string]any{
					"incidentId.$": "$.detail.incident.id",
					"requestId.$":  "$.detail.requestId",
					"report":       body,
				},
			}}},
			// Beside the input, which goes on unchanged (a null ResultPath
			// does not survive a custom state's rendering).
			"ResultPath": "$.reported",
		},
	})
	st.AddRetry(&awsstepfunctions.RetryProps{
		Errors: jsii.Strings("States.ALL"), Interval: awscdk.Duration_Seconds(jsii.Number(1)),
		MaxAttempts: jsii.Number(3), BackoffRate: jsii.Number(2),
	})
	return st
}

// reports are the three report states, or nil when the stack does not
// report.
type reports struct {
	running, succeeded, failed awsstepfunctions.CustomState
}

func (iso *isolation) reports() *reports {
	if iso.b.p.PlaybookReportSecretARN == "" {
		return nil
	}
	return &reports{
		running: iso.report("ReportRunning", "Running", map[string]any{
			"message": "Isolating the instance: quarantine security group, then a snapshot of every volume"}),
		succeeded: iso.report("ReportSucceeded", "Succeeded", map[string]any{
			"message": "Instance isolated and its volumes snapshotted",
			"outputs": map[string]any{
				"instanceId.$":      "$.detail.parameters.instanceId",
				"securityGroupId.$": "$.quarantine.groupId",
				"snapshotIds.$":     "$.snapshots[*].SnapshotId",
			}}),
		failed: iso.report("ReportFailed", "Failed", map[string]any{
			"message.$": "States.Format('{}: {}', $.error.Error, $.error.Cause)"}),
	}
}

// then is what a step goes on to: rep, then next (also when rep fails);
// without rep, next.
func then(rep awsstepfunctions.CustomState, next awsstepfunctions.IChainable) awsstepfunctions.IChainable {
	if rep == nil {
		return next
	}
	rep.AddCatch(next, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.reportError")})
	rep.Next(next)
	return rep
}

// reportRule sends the state machine's reports to the API.
func (iso *isolation) reportRule() {
	b := iso.b
	conn := awsevents.NewConnection(b.st, jsii.String("PlaybookReportConnection"), &awsevents.ConnectionProps{
		Description: jsii.String("Muster playbook reports: a respond-scope API token"),
		Authorization: awsevents.Authorization_ApiKey(jsii.String("Authorization"),
			awscdk.SecretValue_SecretsManager(jsii.String(b.p.PlaybookReportSecretARN), nil)),
	})
	dest := awsevents.NewApiDestination(b.st, jsii.String("PlaybookReportDestination"), &awsevents.ApiDestinationProps{
		Connection:         conn,
		Endpoint:           jsii.String(b.apiURL + "/incidents/*/responses/*"),
		HttpMethod:         awsevents.HttpMethod_POST,
		RateLimitPerSecond: jsii.Number(5),
		Description:        jsii.String("Muster playbook reports to POST /incidents/{id}/responses/{requestId}"),
	})
	dlq := b.queue("PlaybookReportDLQ", "playbook-reports")
	awsevents.NewRule(b.st, jsii.String("PlaybookReportRule"), &awsevents.RuleProps{
		EventBus:    b.Bus,
		Description: jsii.String("Playbook reports to the API"),
		EventPattern: &awsevents.EventPattern{
			Source: jsii.Strings(ReportSource), DetailType: jsii.Strings(ReportDetailType),
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewApiDestination(dest, &awseventstargets.ApiDestinationProps{
			PathParameterValues: jsii.Strings("$.detail.incidentId", "$.detail.requestId"),
			Event:               awsevents.RuleTargetInput_FromEventPath(jsii.String("$.detail.report")),
			DeadLetterQueue:     dlq,
			RetryAttempts:       jsii.Number(targetRetryAttempts),
			MaxEventAge:         awscdk.Duration_Hours(jsii.Number(targetMaxEventHours)),
		})},
	})
}

// allowReports lets sm put report events on the bus, and nothing else.
func (iso *isolation) allowReports(sm awsstepfunctions.StateMachine) {
	sm.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("events:PutEvents"),
		Resources: jsii.Strings(*iso.b.Bus.EventBusArn()),
		Conditions: &map[string]any{"StringEquals": map[string]any{
			"events:source":      ReportSource,
			"events:detail-type": ReportDetailType,
		}},
	}))
}
