package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"

	"github.com/muster-sec/muster/shared/resources"
)

// alarms: every dead-letter queue with a message, stream iterator age,
// function errors and throttles, API 5xx and failed playbook executions, to
// the alarm topic; and a dashboard of the same.
func (b *builder) alarms() error {
	if b.p.AlarmEmail != "" {
		dlq := b.queue("AlarmEmailDLQ", "alarm-email")
		b.AlarmTopic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(b.p.AlarmEmail),
			&awssnssubscriptions.EmailSubscriptionProps{DeadLetterQueue: dlq}))
	}
	five := awscdk.Duration_Minutes(jsii.Number(5))
	action := awscloudwatchactions.NewSnsAction(b.AlarmTopic)
	alarm := func(id, desc string, m awscloudwatch.IMetric, threshold float64) awscloudwatch.Alarm {
		a := awscloudwatch.NewAlarm(b.st, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(desc),
			Metric:             m,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(action)
		a.AddOkAction(action)
		return a
	}
	var dlqMetrics []awscloudwatch.IMetric
	for _, q := range b.dlqs {
		m := q.queue.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period: five, Statistic: jsii.String("Maximum"),
		})
		dlqMetrics = append(dlqMetrics, m.With(&awscloudwatch.MetricOptions{Label: jsii.String(q.name)}))
		alarm("DLQ"+alarmID(q.name)+"Alarm", dlqAlarmText(q.name), m, 1)
	}
	var errs, throttles, durations, iterAges []awscloudwatch.IMetric
	for _, name := range b.functionNames() {
		fn := b.Functions[name]
		// Alarms take the plain metrics; the dashboard the labelled ones.
		label := &awscloudwatch.MetricOptions{Label: jsii.String(name)}
		e := fn.MetricErrors(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")})
		t := fn.MetricThrottles(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")})
		errs, throttles = append(errs, e.With(label)), append(throttles, t.With(label))
		durations = append(durations, fn.MetricDuration(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p95"), Label: jsii.String(name)}))
		alarm(title(name)+"ErrorsAlarm", "Function "+name+" returned errors", e, 1)
		alarm(title(name)+"ThrottlesAlarm", "Function "+name+" was throttled", t, 1)
		if name == Correlator || name == Responder || name == WriteBack {
			age := fn.Metric(jsii.String("IteratorAge"), &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")})
			iterAges = append(iterAges, age.With(label))
			alarm(title(name)+"IteratorAgeAlarm", "Stream consumer "+name+" is falling behind the table stream",
				age, float64(b.p.IteratorAgeAlarmSeconds)*1000)
		}
	}
	api5xx := b.API.MetricServerError(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")})
	alarm("Api5xxAlarm", "The API answered with 5xx errors", api5xx, 1)
	if b.StateMachine != nil {
		alarm("IsolateInstanceFailedAlarm", "The isolate-instance playbook failed",
			b.StateMachine.MetricFailed(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}), 1)
	}

	graph := func(title string, metrics []awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(title), Left: &metrics, Width: jsii.Number(12),
		})
	}
	api := []awscloudwatch.IMetric{
		b.API.MetricCount(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}),
		b.API.MetricClientError(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}),
		api5xx,
	}
	dash := awscloudwatch.NewDashboard(b.st, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String(b.p.StackName),
	})
	dash.AddWidgets(graph("API requests, 4xx, 5xx", api),
		graph("API latency p95", []awscloudwatch.IMetric{b.API.MetricLatency(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p95")})}))
	dash.AddWidgets(graph("Function errors", errs), graph("Function throttles", throttles))
	dash.AddWidgets(graph("Function duration p95", durations), graph("Stream iterator age (ms)", iterAges))
	dash.AddWidgets(graph("Dead-letter queue depth", dlqMetrics))
	return nil
}

// dlqAlarmText says what a message on the queue means and, for the
// correlator's parked batches, what to do about it.
func dlqAlarmText(queue string) string {
	if queue == resources.Correlator.Name+"-stream" {
		return "Correlator batches were parked after six hours of retries: their alerts are in no incident. " +
			"Run muster-redrive -queue <CorrelatorParkedQueueUrl> within 18 hours, while the stream still holds them (docs/operations.md)"
	}
	return "Dead-letter queue " + queue + " holds messages: something was not processed"
}

func alarmID(name string) string {
	out := make([]byte, 0, len(name))
	up := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		out = append(out, c)
	}
	return string(out)
}

func (b *builder) outputs() error {
	out := func(id, desc string, v *string) {
		awscdk.NewCfnOutput(b.st, jsii.String(id), &awscdk.CfnOutputProps{Value: v, Description: jsii.String(desc)})
	}
	out("ApiUrl", "Base URL of the Muster API (stage URL)", b.API.Url())
	out("BusName", "Muster event bus name", b.Bus.EventBusName())
	out("BusArn", "Muster event bus ARN", b.Bus.EventBusArn())
	out("TableName", "Muster DynamoDB table", b.Table.TableName())
	out("AlarmTopicArn", "SNS topic receiving Muster alarms", b.AlarmTopic.TopicArn())
	out("CorrelatorParkedQueueUrl", "On-failure queue of the correlator's stream mapping (muster-redrive -queue)",
		b.FailureQueues[resources.Correlator.Name+"-stream"].QueueUrl())
	out("ChatTopicArn", "SNS topic of the notify-chat playbook", b.ChatTopic.TopicArn())
	return nil
}
