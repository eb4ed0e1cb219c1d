package stack

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/jsii-runtime-go"

	"github.com/muster-sec/muster/shared/incidentevent"
	"github.com/muster-sec/muster/shared/playbook"
	"github.com/muster-sec/muster/shared/resources"
)

// The playbook rule patterns are the responder's (shared/incidentevent),
// which its moto tests match against real published events:
//
//   - notify-chat, incidentevent.NotifyPattern: an incident created at, or
//     escalated to, High or Critical (change.severityRaised), so the channel
//     is not told about every update of an incident that is already High;
//   - isolate-instance, incidentevent.IsolateInstancePattern: a response
//     request naming that playbook.
const (
	NotifyPattern          = incidentevent.NotifyPattern
	IsolateInstancePattern = incidentevent.IsolateInstancePattern
	// IsolateInstancePlaybook is the playbook name the state machine serves.
	IsolateInstancePlaybook = playbook.IsolateInstance
)

// Target delivery settings: EventBridge retries for up to maxEventAge, then
// the event goes to the target's dead-letter queue (never dropped).
const (
	targetRetryAttempts = 10
	targetMaxEventHours = 6
)

// findingsRuleName names the findings rule after the stack, so two stacks
// (production and staging) in one account and region do not clash on the
// default bus: "muster-aws-findings" for the default stack name "Muster".
func findingsRuleName(stackName string) string {
	prefix := strings.ToLower(stackName)
	if prefix == "" {
		prefix = "muster"
	}
	suffix := strings.TrimPrefix(resources.FindingsRule.Name, "muster")
	const maxRuleName = 64 // EventBridge's limit
	if len(prefix)+len(suffix) > maxRuleName {
		prefix = prefix[:maxRuleName-len(suffix)]
	}
	return prefix + suffix
}

// findings routes GuardDuty and Security Hub findings from the default bus
// to ingest.
func (b *builder) findings() error {
	pattern, err := eventPattern(resources.FindingsRule.Pattern)
	if err != nil {
		return err
	}
	dlq := b.queue("FindingsDLQ", "findings-rule")
	awsevents.NewRule(b.st, jsii.String("FindingsRule"), &awsevents.RuleProps{
		RuleName:     jsii.String(findingsRuleName(b.p.StackName)),
		Description:  jsii.String(resources.FindingsRule.Description),
		EventPattern: pattern, // no EventBus: the account's default bus
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(b.Functions[Ingest], &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: dlq,
			RetryAttempts:   jsii.Number(targetRetryAttempts),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(targetMaxEventHours)),
		})},
	})
	return nil
}

func (b *builder) playbooks() error {
	if err := b.chatPlaybook(); err != nil {
		return err
	}
	if b.p.QuarantineSecurityGroupID == "" {
		awscdk.Annotations_Of(b.st).AddInfo(jsii.String(
			"isolate-instance playbook not deployed: set context " + CtxQuarantineSG + " to enable it"))
		return nil
	}
	return b.isolatePlaybook()
}

// chatPlaybook: incident created or escalated → SNS topic (subscribe chat
// tools, e-mail or a Lambda to it), and optionally an API destination that
// posts a chat message straight to a webhook.
func (b *builder) chatPlaybook() error {
	dlq := b.queue("ChatDLQ", "chat-playbook")
	targets := []awsevents.IRuleTarget{awseventstargets.NewSnsTopic(b.ChatTopic, &awseventstargets.SnsTopicProps{
		DeadLetterQueue: dlq,
		RetryAttempts:   jsii.Number(targetRetryAttempts),
		MaxEventAge:     awscdk.Duration_Hours(jsii.Number(targetMaxEventHours)),
	})}
	if b.p.ChatWebhookURL != "" {
		conn := awsevents.NewConnection(b.st, jsii.String("ChatConnection"), &awsevents.ConnectionProps{
			Description: jsii.String("Muster chat webhook"),
			// A dynamic reference to Secrets Manager: the value never
			// appears in the template.
			Authorization: awsevents.Authorization_ApiKey(jsii.String(b.p.ChatAuthHeader),
				awscdk.SecretValue_SecretsManager(jsii.String(b.p.ChatConnectionSecretARN), nil)),
		})
		dest := awsevents.NewApiDestination(b.st, jsii.String("ChatDestination"), &awsevents.ApiDestinationProps{
			Connection:         conn,
			Endpoint:           jsii.String(b.p.ChatWebhookURL),
			HttpMethod:         awsevents.HttpMethod_POST,
			RateLimitPerSecond: jsii.Number(1),
			Description:        jsii.String("Muster incident notifications to chat"),
		})
		text := "Muster: " + *awsevents.EventField_FromPath(jsii.String("$.detail-type")) +
			" [" + *awsevents.EventField_FromPath(jsii.String("$.detail.incident.severity")) + "] " +
			*awsevents.EventField_FromPath(jsii.String("$.detail.incident.title")) +
			" (" + *awsevents.EventField_FromPath(jsii.String("$.detail.incident.id")) + ")"
		targets = append(targets, awseventstargets.NewApiDestination(dest, &awseventstargets.ApiDestinationProps{
			Event:           awsevents.RuleTargetInput_FromObject(map[string]any{"text": text}),
			DeadLetterQueue: dlq,
			RetryAttempts:   jsii.Number(targetRetryAttempts),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(targetMaxEventHours)),
		}))
	}
	pattern, err := eventPattern(NotifyPattern)
	if err != nil {
		return fmt.Errorf("notify-chat rule: %w", err)
	}
	awsevents.NewRule(b.st, jsii.String("NotifyChatRule"), &awsevents.RuleProps{
		EventBus:     b.Bus,
		Description:  jsii.String("Playbook notify-chat: incident created at or escalated to High or Critical"),
		EventPattern: pattern,
		Targets:      &targets,
	})
	return nil
}

// QuarantineTagKey and QuarantineTagValue mark a security group that an
// isolate-instance request may name in quarantineSecurityGroup: the state
// machine may move instances only into the stack's quarantine group or a
// group carrying this tag.
const (
	QuarantineTagKey   = "muster:quarantine"
	QuarantineTagValue = "true"
)

// RunKeyAttribute is the partition key of the playbook runs table: the
// event's detail.eventId, unique per response request.
const RunKeyAttribute = "eventId"

// RunStatusAttribute of a run record is RunStatusFailed once the run's
// isolation failed; a record without it is a run that succeeded, is still
// running, or ended otherwise (timed out, no instance id). Only a failed run
// may be re-run, and only by an archive replay.
const (
	RunStatusAttribute = "status"
	RunStatusFailed    = "failed"
)

// ReplayNameField is the top-level field EventBridge adds to an event it
// replays from an archive (the replay's name). Events published live never
// carry it: the managed rule EventBridge puts on the bus for an archive
// matches "replay-name": [{"exists": false}] so replayed events are not
// archived again (Amazon EventBridge User Guide, "Archiving and replaying
// events", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-archive.html,
// "Preventing replayed events from being delivered to an archive"); AWS's
// Powertools parser models it the same way (aws-powertools/powertools-lambda-python,
// aws_lambda_powertools/utilities/parser/models/event_bridge.py:
// replay_name, alias "replay-name").
const ReplayNameField = "replay-name"

// Conditions on the runs table. An execution records the event id unless
// another execution did; an archive replay may also take over the record of
// a run that failed. An execution marks only the record it made.
const (
	guardCondition       = "attribute_not_exists(" + RunKeyAttribute + ") OR executionArn = :self"
	replayGuardCondition = guardCondition + " OR #st = :failed"
	runOwnerCondition    = "executionArn = :self"
	markFailedUpdate     = "SET #st = :failed"
	// conditionFailed is the error Step Functions' optimized DynamoDB
	// integration raises for a failed condition: "DynamoDB." and the
	// service's exception name.
	conditionFailed = "DynamoDB.ConditionalCheckFailedException"
)

// retryTransient retries every error of a DynamoDB task on the runs table
// except a failed condition, which is an answer, not a fault. Retriers are
// tried in order and the first whose ErrorEquals matches is used, so the
// first one takes the failed condition with MaxAttempts 0 (never retried:
// the task's catchers handle it at once) and the States.ALL one after it
// takes everything else. That holds whatever names the integration gives
// its transient errors — DynamoDB.ProvisionedThroughputExceededException,
// DynamoDB.ThrottlingException, DynamoDB.RequestLimitExceeded,
// DynamoDB.InternalServerError, DynamoDB.TransactionConflictException,
// DynamoDB.AmazonDynamoDBException for an unmodelled one, States.TaskFailed
// — where a list of names would miss the ones it does not spell. A
// permanent error (a missing table, no permission) is retried a few times
// in vain and then caught. This is the Amazon States Language's own
// pattern for "retry any error except X".
func retryTransient(task awsstepfunctions.TaskStateBase) {
	task.AddRetry(&awsstepfunctions.RetryProps{
		Errors:      jsii.Strings(conditionFailed),
		MaxAttempts: jsii.Number(0),
	})
	task.AddRetry(&awsstepfunctions.RetryProps{
		Errors:      jsii.Strings("States.ALL"),
		Interval:    awscdk.Duration_Seconds(jsii.Number(1)),
		MaxAttempts: jsii.Number(4),
		BackoffRate: jsii.Number(2),
	})
}

// isolatePlaybook: on "Incident Response Requested" for isolate-instance, a
// state machine records the event id (ending quietly if it was already
// recorded: a redelivered or replayed event), moves the instance to the
// requested quarantine security group or the stack's, then snapshots each
// of its EBS volumes (tagged with the incident id). If that fails, it marks
// its run record failed, so that an archive replay of the event — and only
// that — can try again.
func (b *builder) isolatePlaybook() error {
	iso := newIsolation(b)
	runs := iso.runsTable()
	reps := iso.reports()
	markFailed := iso.markFailed(runs, reps)
	pickGroup, quarantine := iso.quarantine(markFailed)
	describe, volumes := iso.snapshots(markFailed)
	missing := awsstepfunctions.NewFail(b.st, jsii.String("MissingInstanceId"), &awsstepfunctions.FailProps{
		Error: jsii.String("MissingInstanceId"), Cause: jsii.String("The request has no parameters.instanceId."),
	})
	done := awsstepfunctions.NewSucceed(b.st, jsii.String("Isolated"), nil)
	var running, succeeded awsstepfunctions.CustomState
	if reps != nil {
		running, succeeded = reps.running, reps.succeeded
	}
	quarantine.Next(describe).Next(volumes).Next(then(succeeded, done))
	pickGroup.Afterwards(nil).Next(quarantine)
	hasInstance := awsstepfunctions.NewChoice(b.st, jsii.String("HasInstanceId"), nil).
		When(awsstepfunctions.Condition_IsPresent(jsii.String("$.detail.parameters.instanceId")), then(running, pickGroup), nil).
		Otherwise(missing)
	definition := iso.guards(runs, hasInstance)
	sm := iso.stateMachine(definition)
	if reps != nil {
		iso.allowReports(sm)
		iso.reportRule()
	}
	return iso.rule(sm)
}

// isolation builds the isolate-instance state machine, step by step.
type isolation struct {
	b     *builder
	retry *awsstepfunctions.RetryProps
	catch *awsstepfunctions.CatchProps
}

func newIsolation(b *builder) *isolation {
	return &isolation{b: b,
		retry: &awsstepfunctions.RetryProps{
			Errors:      jsii.Strings("Ec2.RequestLimitExceeded", "Ec2.InternalError", "Ec2.ServiceUnavailable", "Ec2.Unavailable"),
			Interval:    awscdk.Duration_Seconds(jsii.Number(2)),
			MaxAttempts: jsii.Number(4),
			BackoffRate: jsii.Number(2),
		},
		catch: &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.error")},
	}
}

// arn is an EC2 ARN in the stack's region (and account, unless noAccount).
func (iso *isolation) arn(resource, name string, noAccount bool) string {
	c := &awscdk.ArnComponents{Service: jsii.String("ec2"), Resource: jsii.String(resource), ResourceName: jsii.String(name)}
	if noAccount {
		c.Account = jsii.String("")
	}
	return *iso.b.st.FormatArn(c)
}

func at(path string) awsstepfunctionstasks.DynamoAttributeValue {
	return awsstepfunctionstasks.DynamoAttributeValue_FromString(awsstepfunctions.JsonPath_StringAt(jsii.String(path)))
}

// runsTable records each request's event id: the guards' table.
// Delivery is at least once: EventBridge may start the state machine
// twice for one event (a target retry) and the responder republishes a
// replayed stream batch with the same event ids. A guard state records
// detail.eventId with a conditional put; if another execution recorded
// it, this request was handled or is being handled: end without acting.
// (An event without detail.eventId fails the execution in the guard with
// States.Runtime, also before any action.) The record is never deleted:
// it stays after a success (no status) and after a failure (status
// "failed", MarkRunFailed), so a redelivery never acts twice. Only an
// archive replay — a deliberate re-run, told apart by its top-level
// replay-name — goes through the replay guard, which may also take over
// a record whose run failed; an archive replay of a successful or
// running request is caught like any repeat. (A replayed event that
// EventBridge itself delivers twice is still a replay: if the first
// delivery's run has already failed, the second tries again.)
func (iso *isolation) runsTable() awsdynamodb.Table {
	b := iso.b
	return awsdynamodb.NewTable(b.st, jsii.String("PlaybookRuns"), &awsdynamodb.TableProps{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String(RunKeyAttribute), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Encryption:         awsdynamodb.TableEncryption_AWS_MANAGED,
		DeletionProtection: b.p.DeletionProtection,
		RemovalPolicy:      b.retainOrDestroy(),
	})
}

// guards record the request's event id once (an archive replay through
// its own guard) and go on to next; a repeat ends quietly.
func (iso *isolation) guards(runs awsdynamodb.Table, next awsstepfunctions.IChainable) awsstepfunctions.IChainable {
	b, catch := iso.b, iso.catch
	runItem := func(replay bool) *map[string]awsstepfunctionstasks.DynamoAttributeValue {
		item := map[string]awsstepfunctionstasks.DynamoAttributeValue{
			RunKeyAttribute: at("$.detail.eventId"),
			"playbook":      awsstepfunctionstasks.DynamoAttributeValue_FromString(jsii.String(IsolateInstancePlaybook)),
			"incidentId":    at("$.detail.incident.id"),
			"executionArn":  at("$$.Execution.Id"),
			"startedAt":     at("$$.Execution.StartTime"),
		}
		if replay {
			item["replayName"] = at("$." + ReplayNameField)
		}
		return &item
	}
	alreadyHandled := awsstepfunctions.NewSucceed(b.st, jsii.String("AlreadyHandled"), &awsstepfunctions.SucceedProps{
		Comment: jsii.String("This event id was recorded by another execution (and, for an archive replay, its run did not fail): nothing to do"),
	})
	notRecorded := awsstepfunctions.NewFail(b.st, jsii.String("RequestNotRecorded"), &awsstepfunctions.FailProps{
		Error: jsii.String("RequestNotRecorded"),
		Cause: jsii.String("The request could not be recorded (DynamoDB failed after retries); nothing was changed. Request the playbook again."),
	})
	// Both guards put the whole item, so a record a replay takes over loses
	// its failed status: a repeat of the replay is caught in turn. This
	// execution's own earlier attempt passes either condition: a put that
	// succeeded but whose answer was lost, then retried, must not read as a
	// repeat.
	newGuard := func(id, comment string, replay bool) awsstepfunctionstasks.DynamoPutItem {
		values := map[string]awsstepfunctionstasks.DynamoAttributeValue{":self": at("$$.Execution.Id")}
		props := &awsstepfunctionstasks.DynamoPutItemProps{
			Comment:                   jsii.String(comment),
			Table:                     runs,
			Item:                      runItem(replay),
			ConditionExpression:       jsii.String(guardCondition),
			ExpressionAttributeValues: &values,
			ResultPath:                awsstepfunctions.JsonPath_DISCARD(),
		}
		if replay {
			props.ConditionExpression = jsii.String(replayGuardCondition)
			props.ExpressionAttributeNames = &map[string]*string{"#st": jsii.String(RunStatusAttribute)}
			values[":failed"] = awsstepfunctionstasks.DynamoAttributeValue_FromString(jsii.String(RunStatusFailed))
		}
		g := awsstepfunctionstasks.NewDynamoPutItem(b.st, jsii.String(id), props)
		retryTransient(g)
		g.AddCatch(alreadyHandled, &awsstepfunctions.CatchProps{
			Errors: jsii.Strings(conditionFailed), ResultPath: awsstepfunctions.JsonPath_DISCARD(),
		})
		g.AddCatch(notRecorded, catch)
		return g
	}
	guard := newGuard("RecordRequest",
		"Record the event id once; a repeated event fails the condition and ends the execution", false)
	replayGuard := newGuard("RecordReplayRequest",
		"An archive replay: record the event id unless another execution holds it and its run did not fail", true)
	guard.Next(next)
	replayGuard.Next(next)
	return awsstepfunctions.NewChoice(b.st, jsii.String("IsArchiveReplay"), &awsstepfunctions.ChoiceProps{
		Comment: jsii.String("EventBridge adds " + ReplayNameField + " only to events it replays from an archive"),
	}).
		When(awsstepfunctions.Condition_IsPresent(jsii.String("$."+ReplayNameField)), replayGuard, nil).
		Otherwise(guard)
}

// markFailed marks this execution's run record failed, then fails.
func (iso *isolation) markFailed(runs awsdynamodb.Table, reps *reports) awsstepfunctionstasks.DynamoUpdateItem {
	b := iso.b
	// A failed isolation marks its run record failed before failing (the
	// condition: only the record this execution made), so an archive replay
	// of the event can try again while a redelivery still ends in
	// AlreadyHandled. EC2 actions already done are safe to repeat: moving an
	// instance to the group it is in changes nothing; a volume snapshotted
	// before the failure gets a second snapshot.
	failed := awsstepfunctions.NewFail(b.st, jsii.String("IsolationFailed"), &awsstepfunctions.FailProps{
		Error: jsii.String("IsolationFailed"),
		Cause: jsii.String("An EC2 call failed after retries; see the execution's error output. The run record of this event id is marked failed " +
			"(unless it was no longer this execution's): a redelivery of the event does not act again, an archive replay of it does. " +
			"Without the archive, request the playbook again (a new request has a new event id)."),
	})
	failedNotMarked := awsstepfunctions.NewFail(b.st, jsii.String("IsolationFailedNotMarked"), &awsstepfunctions.FailProps{
		Error: jsii.String("IsolationFailed"),
		Cause: jsii.String("An EC2 call failed after retries, and the run record could not be marked failed, so an archive replay of the event would be taken for a repeat: " +
			"set " + RunStatusAttribute + " = \"" + RunStatusFailed + "\" on the item with this event id in the playbook runs table before replaying, " +
			"or request the playbook again (a new request has a new event id)."),
	})
	markFailed := awsstepfunctionstasks.NewDynamoUpdateItem(b.st, jsii.String("MarkRunFailed"), &awsstepfunctionstasks.DynamoUpdateItemProps{
		Comment: jsii.String("Mark this execution's run record failed, so an archive replay of the event (only that) can try again"),
		Table:   runs,
		Key: &map[string]awsstepfunctionstasks.DynamoAttributeValue{
			RunKeyAttribute: at("$.detail.eventId"),
		},
		UpdateExpression:         jsii.String(markFailedUpdate),
		ConditionExpression:      jsii.String(runOwnerCondition),
		ExpressionAttributeNames: &map[string]*string{"#st": jsii.String(RunStatusAttribute)},
		ExpressionAttributeValues: &map[string]awsstepfunctionstasks.DynamoAttributeValue{
			":failed": awsstepfunctionstasks.DynamoAttributeValue_FromString(jsii.String(RunStatusFailed)),
			":self":   at("$$.Execution.Id"),
		},
		ResultPath: awsstepfunctions.JsonPath_DISCARD(),
	})
	retryTransient(markFailed)
	// Not this execution's record (removed by hand, perhaps recorded by
	// another execution since): leave it, the isolation still failed.
	markFailed.AddCatch(failed, &awsstepfunctions.CatchProps{Errors: jsii.Strings(conditionFailed), ResultPath: awsstepfunctions.JsonPath_DISCARD()})
	markFailed.AddCatch(failedNotMarked, &awsstepfunctions.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.markError")})
	if reps != nil {
		// Reported once the record is marked (a report is not a reason to
		// leave the record unmarked); a mark that fails is not reported.
		markFailed.Next(then(reps.failed, failed))
	} else {
		markFailed.Next(failed)
	}
	return markFailed
}

// quarantine picks the quarantine group and moves the instance into it.
func (iso *isolation) quarantine(markFailed awsstepfunctionstasks.DynamoUpdateItem) (awsstepfunctions.Choice, awsstepfunctionstasks.CallAwsService) {
	b, sg := iso.b, iso.b.p.QuarantineSecurityGroupID
	// The quarantine group: the request's quarantineSecurityGroup when
	// given, else the stack's. Either way it lands in $.quarantine.groupId.
	requested := awsstepfunctions.NewPass(b.st, jsii.String("UseRequestedGroup"), &awsstepfunctions.PassProps{
		Parameters: &map[string]any{"groupId": awsstepfunctions.JsonPath_StringAt(jsii.String("$.detail.parameters.quarantineSecurityGroup"))},
		ResultPath: jsii.String("$.quarantine"),
	})
	configured := awsstepfunctions.NewPass(b.st, jsii.String("UseConfiguredGroup"), &awsstepfunctions.PassProps{
		Result:     awsstepfunctions.Result_FromObject(&map[string]any{"groupId": sg}),
		ResultPath: jsii.String("$.quarantine"),
	})
	pickGroup := awsstepfunctions.NewChoice(b.st, jsii.String("HasQuarantineGroup"), nil).
		When(awsstepfunctions.Condition_IsPresent(jsii.String("$.detail.parameters.quarantineSecurityGroup")), requested, nil).
		Otherwise(configured)

	quarantine := awsstepfunctionstasks.NewCallAwsService(b.st, jsii.String("MoveToQuarantineGroup"), &awsstepfunctionstasks.CallAwsServiceProps{
		Service: jsii.String("ec2"),
		Action:  jsii.String("modifyInstanceAttribute"),
		Parameters: &map[string]any{
			"InstanceId": awsstepfunctions.JsonPath_StringAt(jsii.String("$.detail.parameters.instanceId")),
			"Groups":     awsstepfunctions.JsonPath_Array(awsstepfunctions.JsonPath_StringAt(jsii.String("$.quarantine.groupId"))),
		},
		IamAction: jsii.String("ec2:ModifyInstanceAttribute"),
		// Any instance (named at run time), into the stack's group ...
		IamResources: jsii.Strings(iso.arn("instance", "*", false), iso.arn("security-group", sg, false)),
		// ... or into a group an operator tagged as a quarantine group, so
		// a request cannot move an instance into an arbitrary (open) group.
		AdditionalIamStatements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("ec2:ModifyInstanceAttribute"),
			Resources: jsii.Strings(iso.arn("security-group", "*", false)),
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"aws:ResourceTag/" + QuarantineTagKey: QuarantineTagValue,
			}},
		})},
		ResultPath: awsstepfunctions.JsonPath_DISCARD(),
	})
	quarantine.AddRetry(iso.retry).AddCatch(markFailed, iso.catch)
	return pickGroup, quarantine
}

// snapshots finds the instance's volumes and snapshots each.
func (iso *isolation) snapshots(markFailed awsstepfunctionstasks.DynamoUpdateItem) (awsstepfunctionstasks.CallAwsService, awsstepfunctions.Map) {
	b := iso.b
	describe := awsstepfunctionstasks.NewCallAwsService(b.st, jsii.String("FindVolumes"), &awsstepfunctionstasks.CallAwsServiceProps{
		Service: jsii.String("ec2"),
		Action:  jsii.String("describeInstances"),
		Parameters: &map[string]any{
			"InstanceIds": awsstepfunctions.JsonPath_Array(awsstepfunctions.JsonPath_StringAt(jsii.String("$.detail.parameters.instanceId"))),
		},
		IamAction:    jsii.String("ec2:DescribeInstances"),
		IamResources: jsii.Strings("*"), // DescribeInstances has no resource-level permissions
		ResultSelector: &map[string]any{
			"volumeIds": awsstepfunctions.JsonPath_ListAt(jsii.String("$.Reservations[0].Instances[0].BlockDeviceMappings[*].Ebs.VolumeId")),
		},
		ResultPath: jsii.String("$.instance"),
	})
	describe.AddRetry(iso.retry).AddCatch(markFailed, iso.catch)

	snapshot := awsstepfunctionstasks.NewCallAwsService(b.st, jsii.String("SnapshotVolume"), &awsstepfunctionstasks.CallAwsServiceProps{
		Service: jsii.String("ec2"),
		Action:  jsii.String("createSnapshot"),
		Parameters: &map[string]any{
			"VolumeId": awsstepfunctions.JsonPath_StringAt(jsii.String("$.volumeId")),
			"Description": awsstepfunctions.JsonPath_Format(jsii.String("Muster incident {} isolate-instance {}"),
				awsstepfunctions.JsonPath_StringAt(jsii.String("$.incidentId")), awsstepfunctions.JsonPath_StringAt(jsii.String("$.instanceId"))),
			"TagSpecifications": []any{map[string]any{
				"ResourceType": "snapshot",
				"Tags": []any{
					map[string]any{"Key": "muster:incident", "Value": awsstepfunctions.JsonPath_StringAt(jsii.String("$.incidentId"))},
					map[string]any{"Key": "muster:playbook", "Value": IsolateInstancePlaybook},
				},
			}},
		},
		IamAction:    jsii.String("ec2:CreateSnapshot"),
		IamResources: jsii.Strings(iso.arn("volume", "*", false), iso.arn("snapshot", "*", true)),
		AdditionalIamStatements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:    jsii.Strings("ec2:CreateTags"),
			Resources:  jsii.Strings(iso.arn("snapshot", "*", true)),
			Conditions: &map[string]any{"StringEquals": map[string]any{"ec2:CreateAction": "CreateSnapshot"}},
		})},
	})
	snapshot.AddRetry(iso.retry)

	volumes := awsstepfunctions.NewMap(b.st, jsii.String("SnapshotVolumes"), &awsstepfunctions.MapProps{
		ItemsPath: jsii.String("$.instance.volumeIds"),
		ItemSelector: &map[string]any{
			"volumeId":   awsstepfunctions.JsonPath_StringAt(jsii.String("$$.Map.Item.Value")),
			"incidentId": awsstepfunctions.JsonPath_StringAt(jsii.String("$.detail.incident.id")),
			"instanceId": awsstepfunctions.JsonPath_StringAt(jsii.String("$.detail.parameters.instanceId")),
		},
		MaxConcurrency: jsii.Number(4),
		ResultPath:     jsii.String("$.snapshots"),
	})
	volumes.ItemProcessor(snapshot, nil)
	volumes.AddCatch(markFailed, iso.catch)
	return describe, volumes
}

// stateMachine is the state machine running definition, logged, with the
// cdk-nag findings that do not apply.
func (iso *isolation) stateMachine(definition awsstepfunctions.IChainable) awsstepfunctions.StateMachine {
	b := iso.b
	logs := b.logGroup("IsolateInstanceLogs")
	sm := awsstepfunctions.NewStateMachine(b.st, jsii.String("IsolateInstance"), &awsstepfunctions.StateMachineProps{
		Comment:          jsii.String("Muster playbook isolate-instance: once per event id, quarantine security group, then snapshot every volume"),
		DefinitionBody:   awsstepfunctions.DefinitionBody_FromChainable(definition),
		StateMachineType: awsstepfunctions.StateMachineType_STANDARD,
		Timeout:          awscdk.Duration_Minutes(jsii.Number(30)),
		Logs: &awsstepfunctions.LogOptions{
			Destination:          logs,
			Level:                awsstepfunctions.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(true),
		},
		TracingEnabled: jsii.Bool(b.p.Tracing),
	})
	b.StateMachine = sm
	suppress(sm,
		rule{id: "AwsSolutions-IAM5", appliesTo: []string{"Resource::*"},
			reason: "ec2:DescribeInstances and the CloudWatch Logs delivery actions used for state machine logging support no resource-level permissions."},
		rule{id: "AwsSolutions-IAM5", appliesTo: []string{
			"Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*",
			"Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:volume/*",
			"Resource::arn:<AWS::Partition>:ec2:<AWS::Region>::snapshot/*",
		}, reason: "The playbook acts on the instance named in the request, unknown until run time; it can only move instances into a quarantine group, snapshot volumes and tag the snapshots it creates."},
		rule{id: "AwsSolutions-IAM5", appliesTo: []string{
			"Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:security-group/*",
		}, reason: "A request may name its own quarantine group (unknown until run time); the statement only allows groups tagged " + QuarantineTagKey + "=" + QuarantineTagValue + " (aws:ResourceTag condition)."},
	)
	if !b.p.Tracing {
		suppress(sm,
			rule{id: "AwsSolutions-SF2", reason: "X-Ray tracing is opt-in (context tracing=true); executions are fully logged (level ALL)."},
			rule{id: "Serverless-StepFunctionStateMachineXray", reason: "X-Ray tracing is opt-in (context tracing=true); executions are fully logged (level ALL)."},
		)
	}
	return sm
}

// rule starts the state machine on its response requests.
func (iso *isolation) rule(sm awsstepfunctions.StateMachine) error {
	b := iso.b
	pattern, err := eventPattern(IsolateInstancePattern)
	if err != nil {
		return fmt.Errorf("isolate-instance rule: %w", err)
	}
	dlq := b.queue("IsolateInstanceDLQ", "isolate-instance-playbook")
	awsevents.NewRule(b.st, jsii.String("IsolateInstanceRule"), &awsevents.RuleProps{
		EventBus:     b.Bus,
		Description:  jsii.String("Playbook " + IsolateInstancePlaybook),
		EventPattern: pattern,
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSfnStateMachine(sm, &awseventstargets.SfnStateMachineProps{
			DeadLetterQueue: dlq,
			RetryAttempts:   jsii.Number(targetRetryAttempts),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(targetMaxEventHours)),
		})},
	})
	return nil
}
