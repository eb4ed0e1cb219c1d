package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/resources"
)

// streamMappings attaches the correlator, the responder and (when
// deployed) writeback to the table's stream with the settings of
// shared/resources.
func (b *builder) streamMappings() error {
	consumers := []struct {
		fn  string
		def resources.StreamConsumer
	}{
		{Correlator, resources.Correlator},
		{Responder, resources.Responder},
	}
	if b.Functions[WriteBack] != nil {
		consumers = append(consumers, struct {
			fn  string
			def resources.StreamConsumer
		}{WriteBack, resources.WriteBack})
	}
	for _, c := range consumers {
		dlq := b.queue(title(c.def.Name)+"StreamFailures", c.def.Name+"-stream")
		role, fn := b.Roles[c.fn], b.Functions[c.fn]
		// The mapping reads the stream with the function's role, and sends
		// the failed batch's metadata (not the records) to the queue.
		read := awsiam.NewPolicy(b.st, jsii.String(title(c.fn)+"StreamPolicy"), &awsiam.PolicyProps{
			Roles: &[]awsiam.IRole{role},
			Statements: &[]awsiam.PolicyStatement{
				statement("StreamRead", streamReadActions, *b.Table.TableStreamArn()),
				// ListStreams has no resource-level permissions.
				statement("StreamList", []string{"dynamodb:ListStreams"}, "*"),
				statement("FailureQueue", []string{"sqs:SendMessage"}, *dlq.QueueArn()),
			},
		})
		suppress(read, rule{id: "AwsSolutions-IAM5", appliesTo: []string{"Resource::*"},
			reason: "dynamodb:ListStreams supports no resource-level permissions; the mapping needs it to find the stream. Every other stream action is limited to this table's stream."})
		filters := make([]any, len(c.def.Filters))
		for i, f := range c.def.Filters {
			filters[i] = &awslambda.CfnEventSourceMapping_FilterProperty{Pattern: jsii.String(f)}
		}
		m := awslambda.NewCfnEventSourceMapping(b.st, jsii.String(title(c.fn)+"StreamMapping"), &awslambda.CfnEventSourceMappingProps{
			FunctionName:   fn.FunctionArn(),
			EventSourceArn: b.Table.TableStreamArn(),
			// TRIM_HORIZON: records written before the mapping was enabled
			// (first deployment, or after it was disabled) are not skipped.
			StartingPosition:               jsii.String("TRIM_HORIZON"),
			BatchSize:                      jsii.Number(float64(c.def.BatchSize)),
			MaximumBatchingWindowInSeconds: jsii.Number(float64(c.def.MaxBatchingWindow)),
			MaximumRetryAttempts:           jsii.Number(float64(c.def.MaxRetryAttempts)),
			MaximumRecordAgeInSeconds:      jsii.Number(float64(c.def.MaxRecordAgeSecs)),
			BisectBatchOnFunctionError:     jsii.Bool(true),
			FunctionResponseTypes:          jsii.Strings("ReportBatchItemFailures"),
			FilterCriteria:                 &awslambda.CfnEventSourceMapping_FilterCriteriaProperty{Filters: &filters},
			DestinationConfig: &awslambda.CfnEventSourceMapping_DestinationConfigProperty{
				OnFailure: &awslambda.CfnEventSourceMapping_OnFailureProperty{Destination: dlq.QueueArn()},
			},
		})
		// Lambda checks the role can read the stream when the mapping is
		// created: the policy must exist first.
		m.Node().AddDependency(read, b.policies[c.fn])
		b.Mappings[c.def.Name] = m
		if c.fn == Responder {
			// The responder sends events it cannot publish for a permanent
			// reason to the same queue (its "dead-letter path").
			fn.AddEnvironment(jsii.String("MUSTER_RESPONDER_DLQ_URL"), dlq.QueueUrl(), nil)
		}
		if c.fn == WriteBack {
			// Records whose write-back a source refuses, likewise.
			fn.AddEnvironment(jsii.String("MUSTER_WRITEBACK_DLQ_URL"), dlq.QueueUrl(), nil)
		}
	}
	// The responder publishes to the bus, and nowhere else.
	b.policies[Responder].AddStatements(statement("PublishEvents", []string{"events:PutEvents"}, *b.Bus.EventBusArn()))
	return nil
}

// writeBackStatements are writeback's permissions on the sources enabled:
// Security Hub's BatchUpdateFindings on this account's hub in the stack's
// region (where the findings rule delivers findings from), and GuardDuty's
// archive and unarchive on this account's detectors there.
func (b *builder) writeBackStatements() []awsiam.PolicyStatement {
	var out []awsiam.PolicyStatement
	arn := func(service, resource string) string {
		return "arn:" + *awscdk.Aws_PARTITION() + ":" + service + ":" + *awscdk.Aws_REGION() + ":" + *awscdk.Aws_ACCOUNT_ID() + ":" + resource
	}
	if b.p.writesBack(alert.ProviderSecurityHub) {
		out = append(out, statement("SecurityHubWriteBack", []string{"securityhub:BatchUpdateFindings"}, arn("securityhub", "hub/default")))
	}
	if b.p.writesBack(alert.ProviderGuardDuty) {
		out = append(out, statement("GuardDutyWriteBack", []string{"guardduty:ArchiveFindings", "guardduty:UnarchiveFindings"}, arn("guardduty", "detector/*")))
	}
	return out
}
