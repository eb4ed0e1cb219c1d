package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/chatops"
	"github.com/muster-sec/muster/shared/resources"
	"github.com/muster-sec/muster/shared/silence"
	"github.com/muster-sec/muster/shared/writeback"
)

// Stack is the synthesised Muster stack with handles on the resources tests
// and callers may need.
type Stack struct {
	Stack     awscdk.Stack
	Props     Props
	Table     awsdynamodb.Table
	Bus       awsevents.EventBus
	API       awsapigateway.RestApi
	Functions map[string]awslambda.Function
	// Roles are the function execution roles, by function name.
	Roles map[string]awsiam.Role
	// FailureQueues are the on-failure destinations of the stream mappings
	// (by consumer name) and every other dead-letter queue, by purpose.
	FailureQueues map[string]awssqs.Queue
	// Mappings are the stream event source mappings by consumer name.
	Mappings     map[string]awslambda.CfnEventSourceMapping
	AlarmTopic   awssns.Topic
	ChatTopic    awssns.Topic
	StateMachine awsstepfunctions.StateMachine // nil without a quarantine security group
}

// New builds the stack. p is completed with Defaults and validated; the
// function assets must exist under p.AssetRoot.
func New(scope constructs.Construct, id string, p Props) (*Stack, error) {
	p = p.Defaults()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	for _, name := range p.functionNames() {
		asset := filepath.Join(p.AssetRoot, name, "bootstrap")
		if _, err := os.Stat(asset); err != nil {
			return nil, fmt.Errorf("function asset %s: %w (run make build first)", asset, err)
		}
	}
	sp := &awscdk.StackProps{
		StackName:   jsii.String(p.StackName),
		Description: jsii.String("Muster: security alerts correlated into incidents (API, table, stream consumers, event bus, playbooks)"),
	}
	if p.Account != "" || p.Region != "" {
		sp.Env = &awscdk.Environment{Account: optString(p.Account), Region: optString(p.Region)}
	}
	s := &Stack{
		Stack:         awscdk.NewStack(scope, jsii.String(id), sp),
		Props:         p,
		Functions:     map[string]awslambda.Function{},
		Roles:         map[string]awsiam.Role{},
		FailureQueues: map[string]awssqs.Queue{},
		Mappings:      map[string]awslambda.CfnEventSourceMapping{},
	}
	b := &builder{Stack: s, st: s.Stack, p: p}
	steps := []func() error{
		b.table, b.bus, b.topics, b.functions, b.streamMappings, b.api, b.findings, b.playbooks, b.slackNotify, b.alarms, b.outputs,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// builder carries what the construction steps share.
type builder struct {
	*Stack
	st        awscdk.Stack
	p         Props
	topicKey  awskms.Key
	policies  map[string]awsiam.Policy
	logGroups []awslogs.LogGroup
	// dlqs in creation order, for alarms and the dashboard.
	dlqs []namedQueue
	// apiURL is the API's public URL (set by api, before the playbooks).
	apiURL string
}

type namedQueue struct {
	name  string
	queue awssqs.Queue
}

func (b *builder) retainOrDestroy() awscdk.RemovalPolicy {
	if *b.p.DeletionProtection {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

func (b *builder) table() error {
	def := resources.MusterTable
	b.Table = awsdynamodb.NewTable(b.st, jsii.String("Table"), &awsdynamodb.TableProps{
		TableName:    jsii.String(b.p.TableName),
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String(def.PartitionKey), Type: awsdynamodb.AttributeType_STRING},
		SortKey:      &awsdynamodb.Attribute{Name: jsii.String(def.SortKey), Type: awsdynamodb.AttributeType_STRING},
		// On-demand: alert volume is bursty (an attack is a storm), and
		// on-demand absorbs a storm without capacity planning or throttling.
		BillingMode: awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		// AWS managed key: see the package documentation for the reasoning.
		Encryption:          awsdynamodb.TableEncryption_AWS_MANAGED,
		TimeToLiveAttribute: jsii.String(def.TTLAttribute),
		Stream:              awsdynamodb.StreamViewType(def.StreamView),
		DeletionProtection:  b.p.DeletionProtection,
		RemovalPolicy:       b.retainOrDestroy(),
	})
	for _, idx := range def.Indexes {
		b.Table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(idx.Name),
			PartitionKey:   &awsdynamodb.Attribute{Name: jsii.String(idx.PartitionKey), Type: awsdynamodb.AttributeType_STRING},
			SortKey:        &awsdynamodb.Attribute{Name: jsii.String(idx.SortKey), Type: awsdynamodb.AttributeType_STRING},
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}
	return nil
}

func (b *builder) bus() error {
	b.Bus = awsevents.NewEventBus(b.st, jsii.String("Bus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(b.p.BusName),
		Description:  jsii.String("Muster incident events (source " + resources.EventSource + ")"),
	})
	// The archive keeps every Muster event for replay: a playbook that was
	// broken or added late can be re-run over past incidents. Context
	// archive=false leaves it out (LocalStack supports archives only in
	// some versions and plans).
	if !*b.p.Archive {
		return nil
	}
	b.Bus.Archive(jsii.String("Archive"), &awsevents.BaseArchiveProps{
		Description:  jsii.String("Every Muster event, for replay"),
		EventPattern: &awsevents.EventPattern{Source: jsii.Strings(resources.EventSource)},
		Retention:    awscdk.Duration_Days(jsii.Number(float64(b.p.ArchiveRetentionDays))),
	})
	return nil
}

// topics creates the KMS key shared by the alarm and chat topics and the
// topics themselves. SNS encryption needs a customer managed key here: the
// AWS managed aws/sns key cannot grant CloudWatch alarms or EventBridge the
// right to publish.
func (b *builder) topics() error {
	b.topicKey = awskms.NewKey(b.st, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Muster SNS topics (alarms, chat notifications)"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     b.retainOrDestroy(),
	})
	for _, svc := range []string{"cloudwatch.amazonaws.com", "events.amazonaws.com"} {
		b.topicKey.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("Publish via " + strings.TrimSuffix(svc, ".amazonaws.com")),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(svc), nil)},
			Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
			Resources:  jsii.Strings("*"), // in a key policy, "*" is this key
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
		}), jsii.Bool(false))
	}
	b.AlarmTopic = awssns.NewTopic(b.st, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("Muster alarms"),
		MasterKey:   b.topicKey,
		EnforceSSL:  jsii.Bool(true),
	})
	b.ChatTopic = awssns.NewTopic(b.st, jsii.String("ChatTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("Muster incident notifications"),
		MasterKey:   b.topicKey,
		EnforceSSL:  jsii.Bool(true),
	})
	return nil
}

// queue creates an encrypted, TLS-only dead-letter queue.
func (b *builder) queue(id, purpose string) awssqs.Queue {
	q := awssqs.NewQueue(b.st, jsii.String(id), &awssqs.QueueProps{
		// SSE-SQS: EventBridge, SNS and Lambda can all write to it without a
		// key policy; the AWS managed SQS KMS key would refuse EventBridge.
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)), // the maximum: time to investigate
	})
	suppress(q,
		rule{id: "AwsSolutions-SQS3", reason: "This queue is itself a dead-letter queue (" + purpose + "); redriving it is an operator action."},
		rule{id: "Serverless-SQSRedrivePolicy", reason: "This queue is itself a dead-letter queue (" + purpose + "); it has no consumer to fail."},
	)
	b.dlqs = append(b.dlqs, namedQueue{name: purpose, queue: q})
	b.FailureQueues[purpose] = q
	return q
}

var retention = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

func (b *builder) logGroup(id string) awslogs.LogGroup {
	lg := awslogs.NewLogGroup(b.st, jsii.String(id), &awslogs.LogGroupProps{
		Retention:     retention[b.p.LogRetentionDays],
		RemovalPolicy: b.retainOrDestroy(),
	})
	b.logGroups = append(b.logGroups, lg)
	return lg
}

// tableActions are the exact DynamoDB actions of each function. A
// TransactWriteItems call is authorised action by action, so a transaction
// needs the item actions it contains plus dynamodb:ConditionCheckItem;
// there is no separate transaction permission.
var tableActions = map[string][]string{
	Ingest: {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"},
	Correlator: {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
		"dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"},
	Query: {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
		"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"},
	// The responder reads the incident a response request names (the
	// request item carries only its id), and runs the automation rules:
	// it reads them and an incident's alerts (Query), stores a rule run in
	// one transaction (PutItem, ConditionCheckItem) and counts hits
	// (UpdateItem) — writes confined by writePartitions.
	Responder: {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"},
	// Writeback reads an incident's alerts, one by one; it writes nothing
	// to the table.
	WriteBack: {"dynamodb:GetItem"},
	// Notify reads and writes its card items (pk SLACKCARD#…), nothing
	// else (a dynamodb:LeadingKeys condition).
	Notify: {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
}

// writePartitions confine a function's item writes to the partitions it
// owns (dynamodb:LeadingKeys): the responder writes incidents (a rule
// run's incident, mark, timeline and requests) and rule hit counters, and
// never an alert or a suppression rule.
var writePartitions = map[string][]string{
	Responder: {resources.PrefixIncident + "*", resources.PrefixAutoRule + "*"},
}

// itemWrites are the item actions writePartitions confine.
var itemWrites = map[string]bool{"dynamodb:PutItem": true, "dynamodb:UpdateItem": true,
	"dynamodb:DeleteItem": true, "dynamodb:ConditionCheckItem": true}

// streamReadActions read the table's stream (through the event source
// mapping, which uses the function's role).
var streamReadActions = []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}

// readsAuth lists the functions that authenticate API callers.
var readsAuth = map[string]bool{Ingest: true, Query: true}

// readsSlack reports whether a function reads the Slack parameter: query
// (signing secret, users, bot token) and notify (bot token), when one is
// configured.
func (b *builder) readsSlack(name string) bool {
	return b.p.SlackParamName != "" && (name == Query || name == Notify)
}

func (b *builder) functions() error {
	b.policies = map[string]awsiam.Policy{}
	arch := awslambda.Architecture_ARM_64()
	if b.p.Architecture == "x86_64" {
		arch = awslambda.Architecture_X86_64()
	}
	cursorKey := b.cursorKey()
	for _, name := range b.functionNames() {
		b.function(name, arch, cursorKey)
	}
	return nil
}

// functionNames are the functions this stack deploys (Props.functionNames).
func (b *builder) functionNames() []string { return b.p.functionNames() }

// function builds one function with its role, log group and policy.
func (b *builder) function(name string, arch awslambda.Architecture, cursorKey awssecretsmanager.Secret) {
	set := b.p.Functions[name]
	role := awsiam.NewRole(b.st, jsii.String(title(name)+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Muster " + name + " function"),
	})
	lg := b.logGroup(title(name) + "Logs")
	statements := b.statements(name, lg)
	policy := awsiam.NewPolicy(b.st, jsii.String(title(name)+"Policy"), &awsiam.PolicyProps{
		Roles:      &[]awsiam.IRole{role},
		Statements: &statements,
	})
	env := map[string]*string{
		"MUSTER_TABLE": b.Table.TableName(),
		"MUSTER_BUS":   b.Bus.EventBusName(),
	}
	for k, v := range b.envFor(name) {
		env[k] = jsii.String(v)
	}
	if name == Query {
		// A dynamic reference: resolved by CloudFormation at deploy
		// time, never present in the template.
		env["MUSTER_CURSOR_KEY"] = cursorKey.SecretValue().UnsafeUnwrap()
	}
	props := &awslambda.FunctionProps{
		Description:           jsii.String("Muster " + name),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          arch,
		Handler:               jsii.String("bootstrap"),
		Code:                  awslambda.Code_FromAsset(jsii.String(filepath.Join(b.p.AssetRoot, name)), nil),
		MemorySize:            jsii.Number(float64(set.MemoryMB)),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(float64(set.TimeoutSeconds))),
		Role:                  role,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
		SystemLogLevelV2:      awslambda.SystemLogLevel_WARN,
		LogGroup:              lg,
		Environment:           &env,
		Tracing:               awslambda.Tracing_DISABLED,
	}
	if b.p.Tracing {
		props.Tracing = awslambda.Tracing_ACTIVE
	}
	if set.ReservedConcurrency > 0 {
		props.ReservedConcurrentExecutions = jsii.Number(float64(set.ReservedConcurrency))
	}
	if name == Ingest || name == Notify {
		// EventBridge invokes ingest (the findings rule) and notify
		// asynchronously; events that still fail after Lambda's own
		// retries land here.
		props.DeadLetterQueue = b.queue(title(name)+"AsyncDLQ", name+"-async")
	}
	fn := awslambda.NewFunction(b.st, jsii.String(title(name)), props)
	fn.Node().AddDependency(policy)
	b.Functions[name] = fn
	b.Roles[name] = role
	b.policies[name] = policy
	b.suppressFunction(name, fn, role)
	if name == WriteBack && b.p.writesBack(alert.ProviderGuardDuty) {
		suppress(policy, rule{id: "AwsSolutions-IAM5",
			appliesTo: []string{"Resource::arn:<AWS::Partition>:guardduty:<AWS::Region>:<AWS::AccountId>:detector/*"},
			reason:    "A finding's detector id is known only from the finding; the account has one detector per region, and the statement is limited to this account and region and to ArchiveFindings and UnarchiveFindings."})
	}
	if (readsAuth[name] || b.readsSlack(name)) && b.p.AuthParamKMSKeyARN == "" {
		suppress(policy, rule{id: "AwsSolutions-IAM5",
			appliesTo: []string{"Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*"},
			reason:    "The auth and Slack parameters use the AWS managed key aws/ssm, whose id is unknown at synth time; kms:Decrypt is conditioned on kms:ViaService=ssm and kms:EncryptionContext:PARAMETER_ARN=the one parameter, so it decrypts that parameter and nothing else. Set context authParamKmsKeyArn to name a customer managed key instead."})
	}
}

// statements are a function's permissions: its logs, its table actions
// (items on the table, Query on the table and its indexes) and the SSM
// parameters it reads.
func (b *builder) statements(name string, lg awslogs.LogGroup) []awsiam.PolicyStatement {
	statements := []awsiam.PolicyStatement{
		statement("Logs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, *lg.LogGroupArn()),
	}
	// Item actions on the table only; Query on the table and its indexes.
	var items, queries []string
	for _, a := range tableActions[name] {
		if a == "dynamodb:Query" {
			queries = append(queries, a)
		} else {
			items = append(items, a)
		}
	}
	switch {
	case name == Notify:
		// Its own items only, reads too: one card per incident.
		st := statement("TableItems", items, *b.Table.TableArn())
		st.AddCondition(jsii.String("ForAllValues:StringLike"), map[string]any{
			"dynamodb:LeadingKeys": []string{resources.PrefixSlackCard + "*"}})
		statements = append(statements, st)
	case len(items) > 0:
		statements = append(statements, b.itemStatements(name, items)...)
	}
	if len(queries) > 0 {
		statements = append(statements, statement("TableQuery", queries, b.tableAndIndexArns()...))
	}
	if readsAuth[name] {
		statements = append(statements, b.paramStatements("AuthParam", b.p.AuthParamName)...)
	}
	if b.readsSlack(name) {
		statements = append(statements, b.paramStatements("SlackParam", b.p.SlackParamName)...)
	}
	if name == WriteBack {
		statements = append(statements, b.writeBackStatements()...)
	}
	return statements
}

// cursorKey is the HMAC key that makes the query API's list cursors
// tamper-evident. Every query instance must share it (a cursor issued by one
// instance is read by another), so it is generated once by Secrets Manager
// and handed to the function as a dynamic reference. It authorises nothing:
// a forged cursor could at most page a list differently, so it lives in the
// function configuration (encrypted at rest) rather than being fetched at
// each cold start.
func (b *builder) cursorKey() awssecretsmanager.Secret {
	secret := awssecretsmanager.NewSecret(b.st, jsii.String("CursorKey"), &awssecretsmanager.SecretProps{
		Description: jsii.String("Muster query API cursor HMAC key (generated)"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(64),
			ExcludePunctuation: jsii.Bool(true),
		},
	})
	suppress(secret, rule{id: "AwsSolutions-SMG4",
		reason: "The cursor key is not a credential: rotating it would only invalidate outstanding list cursors; it is read at deploy time, not by a running client that could follow a rotation."})
	return secret
}

// envFor is each function's environment beyond table and bus (MUSTER_API_URL
// is added once the API exists).
func (b *builder) envFor(name string) map[string]string {
	env := map[string]string{}
	switch name {
	case Ingest:
		env["MUSTER_AUTH_PARAM"] = b.p.AuthParamName
		env["MUSTER_ALERT_RETENTION_DAYS"] = strconv.Itoa(b.p.AlertRetentionDays)
	case Query:
		env["MUSTER_AUTH_PARAM"] = b.p.AuthParamName
		env["MUSTER_ALERT_RETENTION_DAYS"] = strconv.Itoa(b.p.AlertRetentionDays)
		if len(b.p.CORSOrigins) > 0 {
			env["MUSTER_CORS_ORIGINS"] = strings.Join(b.p.CORSOrigins, ",")
		}
		if b.p.Playbooks != "" {
			env["MUSTER_PLAYBOOKS"] = b.p.Playbooks
		}
		// Analysts' corrections follow the correlator's rules (the cap,
		// the thresholds).
		for k, v := range b.p.correlatorEnv() {
			env[k] = v
		}
		if b.p.SlackParamName != "" {
			env[chatops.EnvParam] = b.p.SlackParamName
		}
		if b.p.AlertmanagerURL != "" {
			env[silence.EnvURL] = b.p.AlertmanagerURL
		}
	case Notify:
		env[chatops.EnvParam] = b.p.SlackParamName
		env[chatops.EnvChannel] = b.p.SlackChannelID
		if b.p.Playbooks != "" {
			env["MUSTER_PLAYBOOKS"] = b.p.Playbooks
		}
	case Correlator:
		// No MUSTER_ALERT_RETENTION_DAYS: the correlator does not read it
		// (it only sets an alert's incident, an update that leaves the TTL
		// alone). Its tuning is the environment Validate checked with
		// correlate.FromEnv.
		for k, v := range b.p.correlatorEnv() {
			env[k] = v
		}
	case WriteBack:
		env[writeback.EnvSources] = strings.Join(b.p.WriteBackSources, ",")
	case Responder:
		// The playbook registry, for the runPlaybook actions of automation
		// rules (checked by the same rules as a person's request).
		if b.p.Playbooks != "" {
			env["MUSTER_PLAYBOOKS"] = b.p.Playbooks
		}
	}
	return env
}

func (b *builder) tableAndIndexArns() []string {
	arns := []string{*b.Table.TableArn()}
	for _, idx := range resources.MusterTable.Indexes {
		arns = append(arns, *b.Table.TableArn()+"/index/"+idx.Name)
	}
	return arns
}

// paramArn is the ARN of an SSM parameter the operator created.
func (b *builder) paramArn(name string) string {
	return *b.st.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("ssm"),
		Resource:     jsii.String("parameter"),
		ResourceName: jsii.String(strings.TrimPrefix(name, "/")),
	})
}

// paramStatements let a function read and decrypt one SSM parameter (the
// auth or the Slack parameter), and nothing else: kms:Decrypt is limited to
// calls made by SSM for exactly that parameter (SSM puts the parameter ARN
// in the encryption context).
func (b *builder) paramStatements(sid, name string) []awsiam.PolicyStatement {
	param := b.paramArn(name)
	key := b.p.AuthParamKMSKeyARN
	if key == "" {
		// aws/ssm's key id is not known at synth time; the conditions below
		// pin the grant to this one parameter.
		key = *b.st.FormatArn(&awscdk.ArnComponents{Service: jsii.String("kms"), Resource: jsii.String("key"), ResourceName: jsii.String("*")})
	}
	decrypt := statement(sid+"Decrypt", []string{"kms:Decrypt"}, key)
	decrypt.AddCondition(jsii.String("StringEquals"), map[string]any{
		"kms:ViaService":                      "ssm." + *awscdk.Aws_REGION() + ".amazonaws.com",
		"kms:EncryptionContext:PARAMETER_ARN": param,
	})
	return []awsiam.PolicyStatement{
		statement(sid, []string{"ssm:GetParameter"}, param),
		decrypt,
	}
}

// itemStatements allow a function's item actions on the table, its writes
// confined to writePartitions when it has any.
func (b *builder) itemStatements(name string, items []string) []awsiam.PolicyStatement {
	keys := writePartitions[name]
	var reads, writes []string
	for _, a := range items {
		if len(keys) > 0 && itemWrites[a] {
			writes = append(writes, a)
		} else {
			reads = append(reads, a)
		}
	}
	var out []awsiam.PolicyStatement
	if len(reads) > 0 {
		out = append(out, statement("TableItems", reads, *b.Table.TableArn()))
	}
	if len(writes) > 0 {
		out = append(out, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("TableWrites"), Effect: awsiam.Effect_ALLOW,
			Actions: jsii.Strings(writes...), Resources: jsii.Strings(*b.Table.TableArn()),
			Conditions: &map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": keys}},
		}))
	}
	return out
}

func statement(sid string, actions []string, resources ...string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid),
		Effect:    awsiam.Effect_ALLOW,
		Actions:   jsii.Strings(actions...),
		Resources: jsii.Strings(resources...),
	})
}

// suppressFunction records the cdk-nag findings that do not apply to a
// function, each with its reason.
func (b *builder) suppressFunction(name string, fn awslambda.Function, role awsiam.Role) {
	var rules []rule
	switch name {
	case Ingest, Notify:
		rules = append(rules, rule{id: "Serverless-LambdaAsyncFailureDestination",
			reason: "Asynchronous failures (EventBridge deliveries) go to the function's dead-letter queue (DeadLetterConfig, alarmed); a second failure destination would duplicate it."})
	default:
		how := "synchronously by API Gateway"
		if name == Correlator || name == Responder || name == WriteBack {
			how = "by its DynamoDB stream event source mapping, which has its own SQS on-failure destination"
		}
		rules = append(rules,
			rule{id: "Serverless-LambdaDLQ", reason: "Never invoked asynchronously: it is invoked " + how + "; a function DLQ would never receive anything."},
			rule{id: "Serverless-LambdaAsyncFailureDestination", reason: "Never invoked asynchronously: it is invoked " + how + "."},
		)
	}
	if !b.p.Tracing {
		rules = append(rules, rule{id: "Serverless-LambdaTracing",
			reason: "X-Ray tracing is opt-in (context tracing=true): it adds cost per request; JSON logs carry the request ids."})
	} else {
		// CDK adds the X-Ray statement to the role's default policy.
		suppress(role, rule{id: "AwsSolutions-IAM5", appliesTo: []string{"Resource::*"},
			reason: "xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions."})
	}
	suppress(fn, rules...)
}

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return jsii.String(s)
}
