package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/incidentevent"
	"github.com/muster-sec/muster/shared/playbook"
	"github.com/muster-sec/muster/shared/resources"
	"github.com/muster-sec/muster/shared/silence"
)

// Synthesis is slow (seconds per stack), so the suite builds two stacks
// once and every test reads them:
//   - "full": every optional feature on (quarantine group, chat webhook,
//     alarm e-mail, CORS, tracing, a customer managed auth key);
//   - "default": only the required props, as `make synth` produces.
//
// Both run the AwsSolutions and Serverless cdk-nag packs.
type synthesised struct {
	stack       *Stack
	tmpl        map[string]any // the template as JSON
	annotations assertions.Annotations
}

var (
	synthOnce sync.Once
	synths    map[string]*synthesised
	synthErr  error
)

const (
	testSG              = "sg-0123456789abcdef0"
	testSecretARN       = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:muster-chat-AbCdEf"
	testReportSecretARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:muster-report-AbCdEf"
	testKeyARN          = "arn:aws:kms:eu-west-1:111122223333:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
	testWebhook         = "https://chat.example.com/hooks/T000/B000"
	testEmail           = "secops@example.com"
	testOrigin          = "https://console.example.com"
	testPlaybooks       = `[{"name":"page-oncall","description":"Page the on-call responder."}]`
	testSlackParam      = "/muster/slack"
	testSlackChannel    = "C0123SECOPS"
)

func TestMain(m *testing.M) {
	os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// fakeAssets writes a dummy bootstrap per function, so the tests do not
// need make build.
func fakeAssets() (string, error) {
	dir, err := os.MkdirTemp("", "muster-infra-assets-")
	if err != nil {
		return "", err
	}
	for _, f := range append(slices.Clone(FunctionNames), OptionalFunctions...) {
		if err := os.MkdirAll(filepath.Join(dir, f), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, f, "bootstrap"), []byte("#!/bin/sh\n# "+f+"\n"), 0o755); err != nil {
			return "", err
		}
	}
	return dir, nil
}

func build(name string, p Props) (*synthesised, error) {
	// A directory of its own: test runs of other checkouts synthesise at
	// the same time.
	out, err := os.MkdirTemp("", "muster-cdk-test-"+name+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(out)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out)})
	s, err := New(app, "Muster", p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	awscdk.Aspects_Of(s.Stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	awscdk.Aspects_Of(s.Stack).Add(cdknag.NewServerlessChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	tmpl := assertions.Template_FromStack(s.Stack, nil)
	raw, err := json.Marshal(tmpl.ToJSON())
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	return &synthesised{stack: s, tmpl: doc, annotations: assertions.Annotations_FromStack(s.Stack)}, nil
}

func get(t *testing.T, name string) *synthesised {
	t.Helper()
	synthOnce.Do(func() {
		assets, err := fakeAssets()
		if err != nil {
			synthErr = err
			return
		}
		synths = map[string]*synthesised{}
		full := Props{
			AssetRoot:                 assets,
			QuarantineSecurityGroupID: testSG,
			ChatWebhookURL:            testWebhook,
			ChatConnectionSecretARN:   testSecretARN,
			PlaybookReportSecretARN:   testReportSecretARN,
			AlarmEmail:                testEmail,
			CORSOrigins:               []string{testOrigin},
			Tracing:                   true,
			AuthParamKMSKeyARN:        testKeyARN,
			Functions:                 map[string]FunctionSettings{Correlator: {ReservedConcurrency: 5}},
			Playbooks:                 testPlaybooks,
			CorrelationWindow:         "48h",
			MinStages:                 3,
			ReopenResolved:            ptr(false),
		}
		slack := Props{AssetRoot: assets, SlackParamName: testSlackParam, SlackChannelID: testSlackChannel}
		writeBack := Props{AssetRoot: assets, WriteBackSources: []string{"securityhub", "guardduty"}}
		for n, p := range map[string]Props{"full": full, "default": {AssetRoot: assets}, "slack": slack, "writeback": writeBack} {
			s, err := build(n, p)
			if err != nil {
				synthErr = err
				return
			}
			synths[n] = s
		}
	})
	if synthErr != nil {
		t.Fatalf("synth: %v", synthErr)
	}
	return synths[name]
}

var variants = []string{"full", "default"}

// --- template helpers ---

func resourcesOfType(s *synthesised, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.tmpl["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

func logicalID(s *synthesised, c constructs.IConstruct) string {
	return *s.stack.Stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

func getAtt(id, attr string) any {
	return map[string]any{"Fn::GetAtt": []any{id, attr}}
}

func ref(id string) any { return map[string]any{"Ref": id} }

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

func list(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	default:
		return []any{x}
	}
}

func stringsOf(v any) []string {
	var out []string
	for _, e := range list(v) {
		out = append(out, fmt.Sprint(e))
	}
	sort.Strings(out)
	return out
}

// roleStatements collects every statement of every IAM policy attached to
// the role with logical id roleID (AWS::IAM::Policy and inline policies).
func roleStatements(s *synthesised, roleID string) []map[string]any {
	var out []map[string]any
	for _, p := range resourcesOfType(s, "AWS::IAM::Policy") {
		for _, r := range list(props(p)["Roles"]) {
			if reflect.DeepEqual(r, ref(roleID)) {
				for _, st := range list(props(p)["PolicyDocument"].(map[string]any)["Statement"]) {
					out = append(out, st.(map[string]any))
				}
			}
		}
	}
	role := resourcesOfType(s, "AWS::IAM::Role")[roleID]
	for _, p := range list(props(role)["Policies"]) {
		for _, st := range list(p.(map[string]any)["PolicyDocument"].(map[string]any)["Statement"]) {
			out = append(out, st.(map[string]any))
		}
	}
	return out
}

// --- tests ---

func TestTable(t *testing.T) {
	for _, v := range variants {
		t.Run(v, func(t *testing.T) {
			s := get(t, v)
			tables := resourcesOfType(s, "AWS::DynamoDB::Table")
			// Besides the main table, only the isolate-instance playbook's
			// runs table (TestIsolateRunsTable).
			if want := 1 + runsTables(s); len(tables) != want {
				t.Fatalf("tables: got %d, want %d", len(tables), want)
			}
			id := logicalID(s, s.stack.Table)
			tbl := tables[id]
			p := props(tbl)
			def := resources.MusterTable
			checks := []struct {
				name      string
				got, want any
			}{
				{"name", p["TableName"], resources.DefaultTableName},
				{"billing", p["BillingMode"], "PAY_PER_REQUEST"},
				{"pitr", p["PointInTimeRecoverySpecification"], map[string]any{"PointInTimeRecoveryEnabled": true}},
				// SSEEnabled without a key id is the AWS managed key aws/dynamodb.
				{"encryption", p["SSESpecification"], map[string]any{"SSEEnabled": true}},
				{"ttl", p["TimeToLiveSpecification"], map[string]any{"AttributeName": def.TTLAttribute, "Enabled": true}},
				{"deletion protection", p["DeletionProtectionEnabled"], true},
				{"deletion policy", tbl["DeletionPolicy"], "Retain"},
				{"stream", p["StreamSpecification"], map[string]any{"StreamViewType": def.StreamView}},
				{"keys", p["KeySchema"], []any{
					map[string]any{"AttributeName": def.PartitionKey, "KeyType": "HASH"},
					map[string]any{"AttributeName": def.SortKey, "KeyType": "RANGE"},
				}},
			}
			var wantGSIs []any
			for _, idx := range def.Indexes {
				wantGSIs = append(wantGSIs, map[string]any{
					"IndexName": idx.Name,
					"KeySchema": []any{
						map[string]any{"AttributeName": idx.PartitionKey, "KeyType": "HASH"},
						map[string]any{"AttributeName": idx.SortKey, "KeyType": "RANGE"},
					},
					"Projection": map[string]any{"ProjectionType": "ALL"},
				})
			}
			checks = append(checks, struct {
				name      string
				got, want any
			}{"indexes", p["GlobalSecondaryIndexes"], wantGSIs})
			for _, c := range checks {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s: got %s, want %s", c.name, asJSON(c.got), asJSON(c.want))
				}
			}
		})
	}
}

func TestStreamMappings(t *testing.T) {
	s := get(t, "full")
	mappings := resourcesOfType(s, "AWS::Lambda::EventSourceMapping")
	if len(mappings) != 2 {
		t.Fatalf("mappings: got %d, want 2", len(mappings))
	}
	tableID := logicalID(s, s.stack.Table)
	for _, c := range []struct {
		fn  string
		def resources.StreamConsumer
	}{{Correlator, resources.Correlator}, {Responder, resources.Responder}} {
		t.Run(c.def.Name, func(t *testing.T) {
			m := s.stack.Mappings[c.def.Name]
			p := props(mappings[*s.stack.Stack.GetLogicalId(m)])
			queueID := logicalID(s, s.stack.FailureQueues[c.def.Name+"-stream"])
			var filters []any
			for _, f := range c.def.Filters {
				filters = append(filters, map[string]any{"Pattern": f})
			}
			want := map[string]any{
				"FunctionName":                   getAtt(logicalID(s, s.stack.Functions[c.fn]), "Arn"),
				"EventSourceArn":                 getAtt(tableID, "StreamArn"),
				"StartingPosition":               "TRIM_HORIZON",
				"BatchSize":                      float64(c.def.BatchSize),
				"MaximumBatchingWindowInSeconds": float64(c.def.MaxBatchingWindow),
				"MaximumRetryAttempts":           float64(c.def.MaxRetryAttempts),
				"MaximumRecordAgeInSeconds":      float64(c.def.MaxRecordAgeSecs),
				"BisectBatchOnFunctionError":     true,
				"FunctionResponseTypes":          []any{"ReportBatchItemFailures"},
				"FilterCriteria":                 map[string]any{"Filters": filters},
				"DestinationConfig":              map[string]any{"OnFailure": map[string]any{"Destination": getAtt(queueID, "Arn")}},
			}
			if !reflect.DeepEqual(p, want) {
				t.Errorf("mapping:\n got %s\nwant %s", asJSON(p), asJSON(want))
			}
			assertSecureQueue(t, s, queueID)
		})
	}
}

// assertSecureQueue checks a dead-letter queue is encrypted, keeps messages
// 14 days and refuses plain-HTTP access.
func assertSecureQueue(t *testing.T, s *synthesised, queueID string) {
	t.Helper()
	q := props(resourcesOfType(s, "AWS::SQS::Queue")[queueID])
	if q["SqsManagedSseEnabled"] != true {
		t.Errorf("queue %s: not encrypted: %s", queueID, asJSON(q))
	}
	if q["MessageRetentionPeriod"] != float64(14*24*3600) {
		t.Errorf("queue %s: retention %v", queueID, q["MessageRetentionPeriod"])
	}
	for _, qp := range resourcesOfType(s, "AWS::SQS::QueuePolicy") {
		if !slices.ContainsFunc(list(props(qp)["Queues"]), func(v any) bool { return reflect.DeepEqual(v, ref(queueID)) }) {
			continue
		}
		for _, st := range list(props(qp)["PolicyDocument"].(map[string]any)["Statement"]) {
			if st := st.(map[string]any); st["Effect"] == "Deny" &&
				reflect.DeepEqual(st["Condition"], map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}) {
				return
			}
		}
	}
	t.Errorf("queue %s: no policy denying non-TLS access", queueID)
}

func TestFunctionIAMActions(t *testing.T) {
	want := map[string][]string{
		Ingest: {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem",
			"kms:Decrypt", "logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage", "ssm:GetParameter"},
		Correlator: {"dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeStream", "dynamodb:GetItem",
			"dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams", "dynamodb:PutItem", "dynamodb:Query",
			"dynamodb:UpdateItem", "logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage"},
		Query: {"dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:GetItem",
			"dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem", "kms:Decrypt", "logs:CreateLogStream",
			"logs:PutLogEvents", "ssm:GetParameter"},
		Responder: {"dynamodb:ConditionCheckItem", "dynamodb:DescribeStream", "dynamodb:GetItem", "dynamodb:GetRecords",
			"dynamodb:GetShardIterator", "dynamodb:ListStreams", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem",
			"events:PutEvents", "logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage"},
	}
	tracing := []string{"xray:PutTelemetryRecords", "xray:PutTraceSegments"}
	for _, v := range variants {
		s := get(t, v)
		for _, fn := range FunctionNames {
			t.Run(v+"/"+fn, func(t *testing.T) {
				roleID := logicalID(s, s.stack.Roles[fn])
				role := props(resourcesOfType(s, "AWS::IAM::Role")[roleID])
				if role["ManagedPolicyArns"] != nil {
					t.Errorf("role has managed policies: %s", asJSON(role["ManagedPolicyArns"]))
				}
				set := map[string]bool{}
				for _, st := range roleStatements(s, roleID) {
					if st["Effect"] != "Allow" {
						continue
					}
					for _, a := range stringsOf(st["Action"]) {
						set[a] = true
					}
				}
				got := make([]string, 0, len(set))
				for a := range set {
					got = append(got, a)
				}
				sort.Strings(got)
				exp := slices.Clone(want[fn])
				if v == "full" {
					exp = append(exp, tracing...)
				}
				sort.Strings(exp)
				if !slices.Equal(got, exp) {
					t.Errorf("actions:\n got %v\nwant %v", got, exp)
				}
			})
		}
	}
}

// TestResourceScoping checks where each function's permissions point:
// table actions at this table (and its indexes for Query), the stream at
// this stream, queues at its own dead-letter queue, the bus at this bus,
// the auth parameter by name, and kms:Decrypt only via SSM for it.
func TestResourceScoping(t *testing.T) {
	for _, v := range variants {
		s := get(t, v)
		tableID := logicalID(s, s.stack.Table)
		tableArn := getAtt(tableID, "Arn")
		for _, fn := range FunctionNames {
			t.Run(v+"/"+fn, func(t *testing.T) {
				for _, st := range roleStatements(s, logicalID(s, s.stack.Roles[fn])) {
					acts := stringsOf(st["Action"])
					res := list(st["Resource"])
					switch {
					case acts[0] == "dynamodb:ListStreams":
						// No resource-level permissions exist for ListStreams.
					case slices.Contains([]string{"dynamodb:DescribeStream", "dynamodb:GetRecords"}, acts[0]):
						if !reflect.DeepEqual(res, []any{getAtt(tableID, "StreamArn")}) {
							t.Errorf("stream actions on %s", asJSON(res))
						}
					case acts[0] == "dynamodb:Query":
						if len(res) != 1+len(resources.MusterTable.Indexes) || !reflect.DeepEqual(res[0], tableArn) {
							t.Errorf("query on %s", asJSON(res))
						}
					case strings.HasPrefix(acts[0], "dynamodb:"):
						if !reflect.DeepEqual(res, []any{tableArn}) {
							t.Errorf("item actions %v on %s", acts, asJSON(res))
						}
					case acts[0] == "ssm:GetParameter":
						if !strings.Contains(asJSON(res), ":parameter/muster/auth") {
							t.Errorf("ssm on %s", asJSON(res))
						}
					case acts[0] == "kms:Decrypt":
						cond := asJSON(st["Condition"])
						if !strings.Contains(cond, "kms:ViaService") || !strings.Contains(cond, "kms:EncryptionContext:PARAMETER_ARN") {
							t.Errorf("kms:Decrypt without SSM conditions: %s", cond)
						}
						if v == "full" && !reflect.DeepEqual(res, []any{testKeyARN}) {
							t.Errorf("kms:Decrypt on %s, want the configured key", asJSON(res))
						}
					case acts[0] == "sqs:SendMessage":
						if len(res) != 1 || !strings.Contains(asJSON(res), "DLQ") && !strings.Contains(asJSON(res), "StreamFailures") {
							t.Errorf("sqs on %s", asJSON(res))
						}
					case acts[0] == "events:PutEvents":
						if !reflect.DeepEqual(res, []any{getAtt(logicalID(s, s.stack.Bus), "Arn")}) {
							t.Errorf("events on %s", asJSON(res))
						}
					}
				}
			})
		}
	}
}

// TestNoWildcardActions: no IAM policy in the template grants an action
// with a wildcard. (Key policies are not IAM policies: the topic key keeps
// CDK's default account-administration statement.)
func TestNoWildcardActions(t *testing.T) {
	for _, v := range variants {
		s := get(t, v)
		var docs []any
		for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
			for _, p := range resourcesOfType(s, typ) {
				docs = append(docs, props(p)["PolicyDocument"])
			}
		}
		for _, r := range resourcesOfType(s, "AWS::IAM::Role") {
			for _, p := range list(props(r)["Policies"]) {
				docs = append(docs, p.(map[string]any)["PolicyDocument"])
			}
		}
		if len(docs) == 0 {
			t.Fatalf("%s: no policies found", v)
		}
		for _, d := range docs {
			for _, st := range list(d.(map[string]any)["Statement"]) {
				st := st.(map[string]any)
				if st["NotAction"] != nil {
					t.Errorf("%s: NotAction statement %s", v, asJSON(st))
				}
				for _, a := range stringsOf(st["Action"]) {
					if strings.Contains(a, "*") {
						t.Errorf("%s: wildcard action %q in %s", v, a, asJSON(st))
					}
				}
			}
		}
	}
}

func TestFunctions(t *testing.T) {
	for _, v := range variants {
		s := get(t, v)
		fns := resourcesOfType(s, "AWS::Lambda::Function")
		if len(fns) != len(FunctionNames) {
			t.Fatalf("%s: functions: got %d, want %d", v, len(fns), len(FunctionNames))
		}
		for _, name := range FunctionNames {
			t.Run(v+"/"+name, func(t *testing.T) {
				p := props(fns[logicalID(s, s.stack.Functions[name])])
				set := DefaultFunctionSettings[name]
				if p["Runtime"] != "provided.al2023" || !reflect.DeepEqual(p["Architectures"], []any{"arm64"}) || p["Handler"] != "bootstrap" {
					t.Errorf("runtime: %v %v %v", p["Runtime"], p["Architectures"], p["Handler"])
				}
				if p["MemorySize"] != float64(set.MemoryMB) || p["Timeout"] != float64(set.TimeoutSeconds) {
					t.Errorf("size: memory %v timeout %v, want %d %d", p["MemorySize"], p["Timeout"], set.MemoryMB, set.TimeoutSeconds)
				}
				logging := p["LoggingConfig"].(map[string]any)
				if logging["LogFormat"] != "JSON" {
					t.Errorf("log format %v", logging["LogFormat"])
				}
				lgID := logging["LogGroup"].(map[string]any)["Ref"].(string)
				lg := props(resourcesOfType(s, "AWS::Logs::LogGroup")[lgID])
				if lg["RetentionInDays"] != float64(30) {
					t.Errorf("log retention %v", lg["RetentionInDays"])
				}
				env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
				wantEnv := []string{"MUSTER_API_URL", "MUSTER_BUS", "MUSTER_TABLE"}
				switch name {
				case Ingest:
					wantEnv = append(wantEnv, "MUSTER_ALERT_RETENTION_DAYS", "MUSTER_AUTH_PARAM")
				case Query:
					wantEnv = append(wantEnv, "MUSTER_ALERT_RETENTION_DAYS", "MUSTER_AUTH_PARAM", "MUSTER_CURSOR_KEY")
					if v == "full" {
						// Corrections follow the correlator's tuning.
						wantEnv = append(wantEnv, "MUSTER_CORS_ORIGINS", "MUSTER_CORRELATION_WINDOW", "MUSTER_MIN_STAGES", "MUSTER_REOPEN_RESOLVED")
					}
				case Correlator:
					// No MUSTER_ALERT_RETENTION_DAYS: the correlator does not
					// read it (it never rewrites an alert's TTL).
					if v == "full" {
						wantEnv = append(wantEnv, "MUSTER_CORRELATION_WINDOW", "MUSTER_MIN_STAGES", "MUSTER_REOPEN_RESOLVED")
					}
				case Responder:
					wantEnv = append(wantEnv, "MUSTER_RESPONDER_DLQ_URL")
				}
				if (name == Query || name == Responder) && v == "full" {
					wantEnv = append(wantEnv, "MUSTER_PLAYBOOKS")
				}
				sort.Strings(wantEnv)
				var gotEnv []string
				for k := range env {
					gotEnv = append(gotEnv, k)
				}
				sort.Strings(gotEnv)
				if !slices.Equal(gotEnv, wantEnv) {
					t.Errorf("environment: got %v, want %v", gotEnv, wantEnv)
				}
				if env["MUSTER_TABLE"] == nil || !reflect.DeepEqual(env["MUSTER_TABLE"], ref(logicalID(s, s.stack.Table))) {
					t.Errorf("MUSTER_TABLE = %s", asJSON(env["MUSTER_TABLE"]))
				}
				if a, ok := env["MUSTER_AUTH_PARAM"]; ok && a != "/muster/auth" {
					t.Errorf("MUSTER_AUTH_PARAM = %v", a)
				}
				if a, ok := env["MUSTER_ALERT_RETENTION_DAYS"]; ok && a != "90" {
					t.Errorf("MUSTER_ALERT_RETENTION_DAYS = %v", a)
				}
				if a, ok := env["MUSTER_PLAYBOOKS"]; ok && a != testPlaybooks {
					t.Errorf("MUSTER_PLAYBOOKS = %v", a)
				}
				if (name == Correlator || name == Query) && v == "full" {
					want := map[string]any{"MUSTER_CORRELATION_WINDOW": "48h", "MUSTER_MIN_STAGES": "3", "MUSTER_REOPEN_RESOLVED": "false"}
					for k, w := range want {
						if env[k] != w {
							t.Errorf("%s = %v, want %v", k, env[k], w)
						}
					}
				}
				wantTracing := map[string]any(nil)
				if v == "full" {
					wantTracing = map[string]any{"Mode": "Active"}
				}
				if got, _ := p["TracingConfig"].(map[string]any); !reflect.DeepEqual(got, wantTracing) && !(v == "default" && reflect.DeepEqual(got, map[string]any{"Mode": "PassThrough"})) {
					t.Errorf("tracing %s", asJSON(p["TracingConfig"]))
				}
				wantReserved := any(nil)
				if v == "full" && name == Correlator {
					wantReserved = float64(5)
				}
				if p["ReservedConcurrentExecutions"] != wantReserved {
					t.Errorf("reserved concurrency %v, want %v", p["ReservedConcurrentExecutions"], wantReserved)
				}
				if name == Ingest {
					dlq := logicalID(s, s.stack.FailureQueues["ingest-async"])
					if !reflect.DeepEqual(p["DeadLetterConfig"], map[string]any{"TargetArn": getAtt(dlq, "Arn")}) {
						t.Errorf("ingest DLQ %s", asJSON(p["DeadLetterConfig"]))
					}
					assertSecureQueue(t, s, dlq)
				}
			})
		}
	}
}

// apiRoutes reconstructs "METHOD /path" → function logical id from the
// API Gateway resources and methods.
func apiRoutes(t *testing.T, s *synthesised) map[string]string {
	t.Helper()
	apiID := logicalID(s, s.stack.API)
	res := resourcesOfType(s, "AWS::ApiGateway::Resource")
	var path func(parent any) string
	path = func(parent any) string {
		if reflect.DeepEqual(parent, getAtt(apiID, "RootResourceId")) {
			return ""
		}
		id := parent.(map[string]any)["Ref"].(string)
		p := props(res[id])
		return path(p["ParentId"]) + "/" + p["PathPart"].(string)
	}
	out := map[string]string{}
	for _, m := range resourcesOfType(s, "AWS::ApiGateway::Method") {
		p := props(m)
		route := path(p["ResourceId"])
		if route == "" {
			route = "/"
		}
		target := ""
		if integ, ok := p["Integration"].(map[string]any); ok && integ["Type"] == "AWS_PROXY" {
			target = asJSON(integ["Uri"])
		}
		if p["AuthorizationType"] != "NONE" {
			t.Errorf("%s %s: authorization %v", p["HttpMethod"], route, p["AuthorizationType"])
		}
		out[p["HttpMethod"].(string)+" "+route] = target
	}
	return out
}

// openAPIRoutes reads the query API's contract,
// functions/query/openapi/openapi.json (the query router is built from it),
// as "METHOD /path" keys, straight from the file rather than through the
// package the stack uses.
func openAPIRoutes(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "functions", "query", "openapi", "openapi.json"))
	if err != nil {
		t.Fatalf("read the query OpenAPI document: %v", err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse openapi.json: %v", err)
	}
	methods := map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true}
	out := map[string]bool{}
	for path, item := range doc.Paths {
		for m := range item {
			if methods[m] { // skip path-level "parameters", "summary", …
				out[strings.ToUpper(m)+" "+path] = true
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("openapi.json lists only %d operations: %v", len(out), out)
	}
	return out
}

// routesOutsideOpenAPI are the deployed routes the query OpenAPI document
// does not describe, each for a documented reason.
var routesOutsideOpenAPI = map[string]string{
	"GET /":                     Query,  // the console page, served before routing (docs/console.md)
	"GET /assets/{proxy+}":      Query,  // the console's static files, open (README "API")
	"POST /webhooks/{provider}": Ingest, // ingest's webhooks (functions/ingest/README.md)
}

func TestAPIRoutes(t *testing.T) {
	// The expected routes come from the query OpenAPI document, not from
	// Routes: a route the router does not serve, or an operation the stack
	// does not deploy, fails here.
	spec := openAPIRoutes(t)
	expected := map[string]string{}
	for route := range spec {
		expected[route] = Query
	}
	for route, fn := range routesOutsideOpenAPI {
		if spec[route] {
			t.Errorf("%s is in openapi.json; drop it from routesOutsideOpenAPI", route)
		}
		expected[route] = fn
	}
	declared := map[string]string{}
	for _, r := range Routes {
		for _, m := range r.Methods {
			declared[m+" "+r.Path] = r.Function
		}
	}
	for route, fn := range expected {
		if declared[route] != fn {
			t.Errorf("Routes: %s goes to %q, want %q", route, declared[route], fn)
		}
	}
	for route := range declared {
		if _, ok := expected[route]; !ok {
			t.Errorf("Routes: %s is neither in openapi.json nor a documented extra route", route)
		}
	}
	for _, v := range variants {
		s := get(t, v)
		got := apiRoutes(t, s)
		for route, fn := range expected {
			target, ok := got[route]
			if !ok {
				t.Errorf("%s: route %s missing", v, route)
				continue
			}
			if fnID := logicalID(s, s.stack.Functions[fn]); !strings.Contains(target, `"`+fnID+`"`) {
				t.Errorf("%s: route %s goes to %s, want %s", v, route, target, fnID)
			}
		}
		for route := range got {
			if _, ok := expected[route]; ok {
				continue
			}
			// Only CORS preflight methods may be extra, and only with CORS.
			if v != "full" || !strings.HasPrefix(route, "OPTIONS ") {
				t.Errorf("%s: unexpected route %s", v, route)
			}
		}
		// CORS preflight exists exactly when origins are configured.
		_, preflight := got["OPTIONS /incidents"]
		if want := v == "full"; preflight != want {
			t.Errorf("%s: OPTIONS /incidents present = %v, want %v", v, preflight, want)
		}
		if v == "full" && !strings.Contains(asJSON(s.tmpl), "'"+testOrigin+"'") {
			t.Errorf("full: CORS origin %s not in the preflight responses", testOrigin)
		}
	}
	// Every route of README.md's API table is present, with /healthz and
	// the console's.
	for _, path := range []string{"/healthz", "/", "/assets/{proxy+}", "/webhooks/{provider}", "/alerts", "/alerts/{id}",
		"/incidents", "/incidents/{id}", "/incidents/{id}/alerts", "/incidents/{id}/summary", "/incidents/{id}/comments",
		"/incidents/{id}/actions", "/incidents/{id}/respond", "/incidents/{id}/suppress", "/suppression-rules",
		"/suppression-rules/{id}", "/suppression-rules/simulate", "/playbooks", "/noisy-keys", "/openapi.json"} {
		if !slices.ContainsFunc(Routes, func(r Route) bool { return r.Path == path }) {
			t.Errorf("route %s not in Routes", path)
		}
	}
}

func TestAPIStage(t *testing.T) {
	s := get(t, "default")
	stages := resourcesOfType(s, "AWS::ApiGateway::Stage")
	if len(stages) != 1 {
		t.Fatalf("stages: %d", len(stages))
	}
	for _, st := range stages {
		p := props(st)
		if p["StageName"] != "v1" {
			t.Errorf("stage name %v", p["StageName"])
		}
		ms := list(p["MethodSettings"])[0].(map[string]any)
		if ms["ThrottlingRateLimit"] != float64(50) || ms["ThrottlingBurstLimit"] != float64(100) {
			t.Errorf("throttling %s", asJSON(ms))
		}
		if ms["DataTraceEnabled"] != false || ms["LoggingLevel"] != "ERROR" {
			t.Errorf("execution logging %s", asJSON(ms))
		}
		als := p["AccessLogSetting"].(map[string]any)
		var line map[string]any
		if err := json.Unmarshal([]byte(als["Format"].(string)), &line); err != nil {
			t.Errorf("access log format is not JSON: %v", err)
		}
		for _, field := range []string{"requestId", "ip", "status", "resourcePath", "httpMethod"} {
			if line[field] == nil {
				t.Errorf("access log lacks %s", field)
			}
		}
		if strings.Contains(strings.ToLower(als["Format"].(string)), "authorization") {
			t.Errorf("access log includes the Authorization header")
		}
		lgID := als["DestinationArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		if props(resourcesOfType(s, "AWS::Logs::LogGroup")[lgID])["RetentionInDays"] != float64(30) {
			t.Errorf("access log group retention")
		}
	}
	responses := resourcesOfType(s, "AWS::ApiGateway::GatewayResponse")
	if got := len(responses); got != 2 {
		t.Errorf("gateway responses: %d", got)
	}
	for id, r := range responses {
		params, _ := props(r)["ResponseParameters"].(map[string]any)
		for h, v := range map[string]string{"Content-Type": "'application/problem+json'", "Cache-Control": "'no-store'", "X-Content-Type-Options": "'nosniff'"} {
			if got := params["gatewayresponse.header."+h]; got != v {
				t.Errorf("gateway response %s: %s = %v, want %s", id, h, got, v)
			}
		}
	}
}

func TestBusAndArchive(t *testing.T) {
	s := get(t, "default")
	busID := logicalID(s, s.stack.Bus)
	bus := props(resourcesOfType(s, "AWS::Events::EventBus")[busID])
	if bus["Name"] != resources.DefaultBusName {
		t.Errorf("bus name %v", bus["Name"])
	}
	archives := resourcesOfType(s, "AWS::Events::Archive")
	if len(archives) != 1 {
		t.Fatalf("archives: %d", len(archives))
	}
	if got := len(resourcesOfType(get(t, "full"), "AWS::Events::Archive")); got != 1 {
		t.Errorf("full: archives: %d", got)
	}
	for _, a := range archives {
		p := props(a)
		if !reflect.DeepEqual(p["SourceArn"], getAtt(busID, "Arn")) || p["RetentionDays"] != float64(30) ||
			!reflect.DeepEqual(p["EventPattern"], map[string]any{"source": []any{resources.EventSource}}) {
			t.Errorf("archive %s", asJSON(p))
		}
	}
}

// TestArchiveOff: context archive=false (the LocalStack option) leaves out
// the archive and nothing else about the bus.
func TestArchiveOff(t *testing.T) {
	assets, err := fakeAssets()
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(assets)
	p, err := FromContext(func(k string) any {
		return map[string]any{CtxAssetRoot: assets, CtxArchive: "false"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())}), "Muster", p)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	raw, err := json.Marshal(assertions.Template_FromStack(s.Stack, nil).ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]struct{ Type string }
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range doc.Resources {
		counts[r.Type]++
	}
	if counts["AWS::Events::Archive"] != 0 || counts["AWS::Events::EventBus"] != 1 {
		t.Errorf("archive=false: %d archives, %d buses; want 0 and 1", counts["AWS::Events::Archive"], counts["AWS::Events::EventBus"])
	}
}

// rulesByPattern maps each rule's event pattern (as JSON) to the rule.
func rulesByPattern(s *synthesised) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range resourcesOfType(s, "AWS::Events::Rule") {
		out[asJSON(props(r)["EventPattern"])] = props(r)
	}
	return out
}

// assertTarget checks a rule has exactly one target per arn, each with a
// dead-letter queue and a finite retry policy.
func assertTargets(t *testing.T, s *synthesised, rule map[string]any, arns ...any) {
	t.Helper()
	targets := list(rule["Targets"])
	if len(targets) != len(arns) {
		t.Fatalf("targets: got %d, want %d: %s", len(targets), len(arns), asJSON(targets))
	}
	for i, tg := range targets {
		tg := tg.(map[string]any)
		if !reflect.DeepEqual(tg["Arn"], arns[i]) {
			t.Errorf("target %d: %s, want %s", i, asJSON(tg["Arn"]), asJSON(arns[i]))
		}
		dlq, _ := tg["DeadLetterConfig"].(map[string]any)
		if dlq == nil {
			t.Errorf("target %d: no dead-letter queue", i)
		} else {
			assertSecureQueue(t, s, dlq["Arn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string))
		}
		if !reflect.DeepEqual(tg["RetryPolicy"], map[string]any{"MaximumEventAgeInSeconds": float64(6 * 3600), "MaximumRetryAttempts": float64(10)}) {
			t.Errorf("target %d: retry policy %s", i, asJSON(tg["RetryPolicy"]))
		}
	}
}

func TestFindingsRule(t *testing.T) {
	s := get(t, "default")
	rule := rulesByPattern(s)[asJSON(decode(t, resources.FindingsRule.Pattern))]
	if rule == nil {
		t.Fatalf("no rule with pattern %s", resources.FindingsRule.Pattern)
	}
	if rule["EventBusName"] != nil {
		t.Errorf("findings rule must be on the default bus, got %v", rule["EventBusName"])
	}
	if rule["Name"] != resources.FindingsRule.Name {
		t.Errorf("name %v, want %s for the default stack name", rule["Name"], resources.FindingsRule.Name)
	}
	assertTargets(t, s, rule, getAtt(logicalID(s, s.stack.Functions[Ingest]), "Arn"))
}

func TestPlaybookRules(t *testing.T) {
	s := get(t, "full")
	rules := rulesByPattern(s)
	busRef := ref(logicalID(s, s.stack.Bus))
	chat := ref(logicalID(s, s.stack.ChatTopic))
	dests := resourcesOfType(s, "AWS::Events::ApiDestination")
	// The playbook reports' destination (playbookreport_test.go) aside.
	for id, d := range dests {
		if strings.Contains(asJSON(props(d)["InvocationEndpoint"]), "/incidents/*/responses/*") {
			delete(dests, id)
		}
	}
	if len(dests) != 1 {
		t.Fatalf("api destinations: %d", len(dests))
	}
	var destID string
	for id, d := range dests {
		destID = id
		if props(d)["InvocationEndpoint"] != testWebhook || props(d)["HttpMethod"] != "POST" {
			t.Errorf("api destination %s", asJSON(props(d)))
		}
	}
	for _, c := range []struct {
		name    string
		pattern string
		targets []any
	}{
		{"notify-chat", NotifyPattern, []any{chat, getAtt(destID, "Arn")}},
		{"isolate-instance", IsolateInstancePattern, []any{ref(logicalID(s, s.stack.StateMachine))}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rule := rules[asJSON(decode(t, c.pattern))]
			if rule == nil {
				t.Fatalf("no rule with pattern %s", c.pattern)
			}
			if !reflect.DeepEqual(rule["EventBusName"], busRef) {
				t.Errorf("bus %s", asJSON(rule["EventBusName"]))
			}
			assertTargets(t, s, rule, c.targets...)
		})
	}
	// The chat topic is encrypted with the rotated customer managed key.
	topic := props(resourcesOfType(s, "AWS::SNS::Topic")[logicalID(s, s.stack.ChatTopic)])
	keyID := topic["KmsMasterKeyId"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
	if props(resourcesOfType(s, "AWS::KMS::Key")[keyID])["EnableKeyRotation"] != true {
		t.Errorf("topic key rotation off")
	}
	// Without the optional settings: no API destination, no isolation.
	d := get(t, "default")
	if n := len(resourcesOfType(d, "AWS::Events::ApiDestination")) + len(resourcesOfType(d, "AWS::StepFunctions::StateMachine")); n != 0 {
		t.Errorf("default stack has %d optional playbook resources", n)
	}
	if rulesByPattern(d)[asJSON(decode(t, NotifyPattern))] == nil {
		t.Errorf("default stack lacks the notify-chat rule")
	}
}

// TestPlaybookPatternsMatch checks the playbook rules select the events
// they are meant for (the responder's moto tests match the same patterns
// against really published events).
func TestPlaybookPatternsMatch(t *testing.T) {
	event := func(detailType, severity string, raised bool, playbook string) map[string]any {
		return map[string]any{
			"source": resources.EventSource, "detail-type": detailType,
			"detail": map[string]any{"version": "1", "incident": map[string]any{"id": "inc-1", "severity": severity},
				"change":   map[string]any{"severityRaised": raised},
				"playbook": playbook, "parameters": map[string]any{"instanceId": "i-0123456789abcdef0"}},
		}
	}
	cases := []struct {
		name    string
		pattern string
		event   map[string]any
		want    bool
	}{
		{"created high notifies", NotifyPattern, event(incidentevent.DetailTypeCreated, "High", true, ""), true},
		{"created low is quiet", NotifyPattern, event(incidentevent.DetailTypeCreated, "Low", true, ""), false},
		{"escalated to critical notifies", NotifyPattern, event(incidentevent.DetailTypeUpdated, "Critical", true, ""), true},
		{"status change raising to high notifies", NotifyPattern, event(incidentevent.DetailTypeStatusChanged, "High", true, ""), true},
		{"update of a high incident is quiet", NotifyPattern, event(incidentevent.DetailTypeUpdated, "High", false, ""), false},
		{"response request is no notification", NotifyPattern, event(incidentevent.DetailTypeResponseRequested, "High", false, IsolateInstancePlaybook), false},
		{"isolate request starts playbook", IsolateInstancePattern, event(incidentevent.DetailTypeResponseRequested, "Low", false, IsolateInstancePlaybook), true},
		{"other playbook ignored", IsolateInstancePattern, event(incidentevent.DetailTypeResponseRequested, "Low", false, "disable-access-key"), false},
		{"readme example matches exfiltration", resources.HighSeverityExfiltrationPattern, withTactics(event(incidentevent.DetailTypeCreated, "High", true, ""), "Collection", "Exfiltration"), true},
		{"readme example needs exfiltration", resources.HighSeverityExfiltrationPattern, withTactics(event(incidentevent.DetailTypeCreated, "Critical", true, ""), "Impact"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p map[string]any
			if err := json.Unmarshal([]byte(c.pattern), &p); err != nil {
				t.Fatal(err)
			}
			if got := matches(p, c.event); got != c.want {
				t.Errorf("match = %v, want %v", got, c.want)
			}
		})
	}
}

func withTactics(ev map[string]any, tactics ...string) map[string]any {
	list := make([]any, len(tactics))
	for i, t := range tactics {
		list[i] = t
	}
	ev["detail"].(map[string]any)["incident"].(map[string]any)["tactics"] = list
	return ev
}

// matches is EventBridge's exact-value matching (the only operator these
// patterns use): every pattern field must be present and equal one of the
// listed values (for an array in the event, one of its elements must).
func matches(pattern map[string]any, event map[string]any) bool {
	for k, pv := range pattern {
		ev, ok := event[k]
		if !ok {
			return false
		}
		switch p := pv.(type) {
		case map[string]any:
			sub, ok := ev.(map[string]any)
			if !ok || !matches(p, sub) {
				return false
			}
		case []any:
			// An array in the event matches when any element does.
			values, isList := ev.([]any)
			if !isList {
				values = []any{ev}
			}
			if !slices.ContainsFunc(values, func(v any) bool { return slices.Contains(p, v) }) {
				return false
			}
		}
	}
	return true
}

func TestAlarms(t *testing.T) {
	for _, v := range variants {
		s := get(t, v)
		topic := ref(logicalID(s, s.stack.AlarmTopic))
		type key struct{ metric, dimension string }
		have := map[key]bool{}
		for id, a := range resourcesOfType(s, "AWS::CloudWatch::Alarm") {
			p := props(a)
			if !reflect.DeepEqual(list(p["AlarmActions"]), []any{topic}) {
				t.Errorf("%s: alarm %s actions %s", v, id, asJSON(p["AlarmActions"]))
			}
			dim := ""
			for _, d := range list(p["Dimensions"]) {
				dim = asJSON(d.(map[string]any)["Value"])
			}
			have[key{p["MetricName"].(string), dim}] = true
		}
		var want []key
		for name, q := range s.stack.FailureQueues {
			_ = name
			want = append(want, key{"ApproximateNumberOfMessagesVisible", asJSON(getAtt(logicalID(s, q), "QueueName"))})
		}
		for _, fn := range FunctionNames {
			d := asJSON(ref(logicalID(s, s.stack.Functions[fn])))
			want = append(want, key{"Errors", d}, key{"Throttles", d})
			if fn == Correlator || fn == Responder {
				want = append(want, key{"IteratorAge", d})
			}
		}
		want = append(want, key{"5XXError", asJSON(s.stack.Props.StackName + "-api")})
		if s.stack.StateMachine != nil {
			want = append(want, key{"ExecutionsFailed", asJSON(ref(logicalID(s, s.stack.StateMachine)))})
		}
		for _, k := range want {
			if !have[k] {
				t.Errorf("%s: no alarm on %s %s", v, k.metric, k.dimension)
			}
		}
		parkedAlarm(t, s, v)
		if len(resourcesOfType(s, "AWS::CloudWatch::Dashboard")) != 1 {
			t.Errorf("%s: no dashboard", v)
		}
	}
	// The alarm e-mail subscription has its own dead-letter queue.
	s := get(t, "full")
	subs := resourcesOfType(s, "AWS::SNS::Subscription")
	if len(subs) != 1 {
		t.Fatalf("subscriptions: %d", len(subs))
	}
	for _, sub := range subs {
		p := props(sub)
		if p["Protocol"] != "email" || p["Endpoint"] != testEmail || p["RedrivePolicy"] == nil {
			t.Errorf("subscription %s", asJSON(p))
		}
	}
}

func TestOutputs(t *testing.T) {
	s := get(t, "default")
	outs := s.tmpl["Outputs"].(map[string]any)
	want := map[string]any{
		"BusName":       ref(logicalID(s, s.stack.Bus)),
		"BusArn":        getAtt(logicalID(s, s.stack.Bus), "Arn"),
		"TableName":     ref(logicalID(s, s.stack.Table)),
		"AlarmTopicArn": ref(logicalID(s, s.stack.AlarmTopic)),
	}
	for name, value := range want {
		o, ok := outs[name].(map[string]any)
		if !ok {
			t.Errorf("output %s missing", name)
			continue
		}
		if !reflect.DeepEqual(o["Value"], value) {
			t.Errorf("output %s = %s, want %s", name, asJSON(o["Value"]), asJSON(value))
		}
	}
	api, ok := outs["ApiUrl"].(map[string]any)
	if !ok || !strings.Contains(asJSON(api["Value"]), logicalID(s, s.stack.API)) {
		t.Errorf("ApiUrl output %s", asJSON(outs["ApiUrl"]))
	}
}

// TestNoClearTextSecrets: the template names secrets, never holds them.
func TestNoClearTextSecrets(t *testing.T) {
	for _, v := range variants {
		s := get(t, v)
		doc := asJSON(s.tmpl)
		if n := len(resourcesOfType(s, "AWS::SSM::Parameter")); n != 0 {
			t.Errorf("%s: template creates %d SSM parameters (the auth parameter is created out of band)", v, n)
		}
		// The only secret the stack creates is generated by Secrets Manager.
		for id, sec := range resourcesOfType(s, "AWS::SecretsManager::Secret") {
			if p := props(sec); p["SecretString"] != nil || p["GenerateSecretString"] == nil {
				t.Errorf("%s: secret %s is not generated: %s", v, id, asJSON(p))
			}
		}
		for _, fn := range resourcesOfType(s, "AWS::Lambda::Function") {
			for k, val := range props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any) {
				if k == "MUSTER_AUTH_CONFIG" || k == "MUSTER_DEV_TOKEN" {
					t.Errorf("%s: %s set in the template", v, k)
				}
				if regexp.MustCompile(`TOKEN|SECRET|PASSWORD|KEY`).MatchString(k) &&
					!strings.Contains(asJSON(val), "{{resolve:secretsmanager:") {
					t.Errorf("%s: %s is not a Secrets Manager dynamic reference: %s", v, k, asJSON(val))
				}
			}
		}
		for _, pat := range []string{`Bearer [A-Za-z0-9._~+/=-]{16,}`, `sha256=[0-9a-f]`, `hooks\.slack\.com/services/`} {
			if regexp.MustCompile(pat).MatchString(doc) {
				t.Errorf("%s: template matches secret pattern %s", v, pat)
			}
		}
		for _, c := range resourcesOfType(s, "AWS::Events::Connection") {
			key := asJSON(props(c)["AuthParameters"])
			if !strings.Contains(key, "{{resolve:secretsmanager:"+testSecretARN) && !strings.Contains(key, "{{resolve:secretsmanager:"+testReportSecretARN) {
				t.Errorf("%s: connection credential is not a Secrets Manager reference: %s", v, key)
			}
		}
	}
}

// TestNag fails on any unsuppressed AwsSolutions or Serverless finding, and
// checks every suppression carries a reason.
func TestNag(t *testing.T) {
	for _, v := range append(slices.Clone(variants), "slack", "writeback") {
		checkNag(t, v, get(t, v))
	}
}

// checkNag fails on any unsuppressed cdk-nag finding of a stack, and on a
// suppression without a real reason.
func checkNag(t *testing.T, v string, s *synthesised) {
	t.Helper()
	{
		pack := assertions.Match_StringLikeRegexp(jsii.String("^(AwsSolutions|Serverless)-"))
		found := map[string]any{
			"error":   s.annotations.FindError(jsii.String("*"), pack),
			"warning": s.annotations.FindWarning(jsii.String("*"), pack),
		}
		for kind, list := range found {
			// Marshalled rather than typed: the message type is deprecated
			// in favour of one the Go bindings do not expose yet.
			var msgs []struct {
				ID    string `json:"id"`
				Entry struct {
					Data any `json:"data"`
				} `json:"entry"`
			}
			raw, err := json.Marshal(list)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &msgs); err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				t.Errorf("%s: unsuppressed cdk-nag %s at %s: %v", v, kind, m.ID, m.Entry.Data)
			}
		}
		for id, r := range s.tmpl["Resources"].(map[string]any) {
			meta, _ := r.(map[string]any)["Metadata"].(map[string]any)
			nag, _ := meta["cdk_nag"].(map[string]any)
			for _, sup := range list(nag["rules_to_suppress"]) {
				reason, _ := sup.(map[string]any)["reason"].(string)
				if len(reason) < 40 {
					t.Errorf("%s: %s suppression %v has no real reason: %q", v, id, sup.(map[string]any)["id"], reason)
				}
			}
		}
	}
}

func TestPropsValidate(t *testing.T) {
	base := Props{AssetRoot: "/tmp/x"}
	cases := []struct {
		name   string
		mutate func(*Props)
		field  string // "" = valid
		key    string // the context key the error must name
		domain error  // the domain error it must wrap, if any
	}{
		{"defaults", func(*Props) {}, "", "", nil},
		{"no assets", func(p *Props) { p.AssetRoot = "" }, "AssetRoot", CtxAssetRoot, nil},
		{"bad log retention", func(p *Props) { p.LogRetentionDays = 31 }, "LogRetentionDays", CtxLogRetentionDays, nil},
		{"memory too small", func(p *Props) { p.Functions = map[string]FunctionSettings{Ingest: {MemoryMB: 64}} }, "Functions.ingest.MemoryMB", "ingestMemoryMb", nil},
		{"timeout too long", func(p *Props) { p.Functions = map[string]FunctionSettings{Query: {TimeoutSeconds: 901}} }, "Functions.query.TimeoutSeconds", "queryTimeoutSeconds", nil},
		{"negative reserved", func(p *Props) { p.Functions = map[string]FunctionSettings{Responder: {ReservedConcurrency: -1}} }, "Functions.responder.ReservedConcurrency", "responderReservedConcurrency", nil},
		{"wildcard CORS", func(p *Props) { p.CORSOrigins = []string{"*"} }, "CORSOrigins", CtxCORSOrigins, nil},
		{"CORS not an origin", func(p *Props) { p.CORSOrigins = []string{"console"} }, "CORSOrigins", CtxCORSOrigins, nil},
		{"relative auth param", func(p *Props) { p.AuthParamName = "muster/auth" }, "AuthParamName", CtxAuthParamName, nil},
		{"bad security group", func(p *Props) { p.QuarantineSecurityGroupID = "default" }, "QuarantineSecurityGroupID", CtxQuarantineSG, nil},
		{"webhook without secret", func(p *Props) { p.ChatWebhookURL = testWebhook }, "ChatWebhookURL", CtxChatWebhookURL + " / " + CtxChatConnectionSecret, nil},
		{"http webhook", func(p *Props) { p.ChatWebhookURL, p.ChatConnectionSecretARN = "http://x", testSecretARN }, "ChatWebhookURL", CtxChatWebhookURL, nil},
		{"unknown architecture", func(p *Props) { p.Architecture = "riscv" }, "Architecture", CtxArchitecture, nil},
		{"negative throttle rate", func(p *Props) { p.APIThrottleRate = -1 }, "APIThrottleRate", CtxAPIThrottleRate, nil},
		{"negative archive retention", func(p *Props) { p.ArchiveRetentionDays = -1 }, "ArchiveRetentionDays", CtxArchiveRetentionDays, nil},
		{"archive off", func(p *Props) { p.Archive = ptr(false) }, "", "", nil},

		// Alert retention: the bounds ingest and query enforce at start.
		{"retention 3650 days", func(p *Props) { p.AlertRetentionDays = 3650 }, "", "", nil},
		{"retention above 3650 days", func(p *Props) { p.AlertRetentionDays = 3651 }, "AlertRetentionDays", CtxAlertRetentionDays, nil},
		{"negative retention", func(p *Props) { p.AlertRetentionDays = -1 }, "AlertRetentionDays", CtxAlertRetentionDays, nil},

		// alertmanagerUrl: query's silence write-back target.
		{"alertmanager https URL", func(p *Props) { p.AlertmanagerURL = "https://alertmanager.example:9093" }, "", "", nil},
		{"alertmanager URL without scheme", func(p *Props) { p.AlertmanagerURL = "alertmanager:9093" }, "AlertmanagerURL", CtxAlertmanagerURL, nil},
		{"alertmanager URL with credentials", func(p *Props) { p.AlertmanagerURL = "https://u:p@alertmanager.example" }, "AlertmanagerURL", CtxAlertmanagerURL, nil},

		// publicUrl: the responder refuses a MUSTER_API_URL that is not http(s).
		{"public https URL", func(p *Props) { p.PublicURL = "https://muster.example.com/" }, "", "", nil},
		{"public http URL", func(p *Props) { p.PublicURL = "http://localhost:4566/restapis/x/v1/_user_request_" }, "", "", nil},
		{"public URL without scheme", func(p *Props) { p.PublicURL = "muster.example.com" }, "PublicURL", CtxPublicURL, nil},
		{"public URL ftp", func(p *Props) { p.PublicURL = "ftp://muster.example.com" }, "PublicURL", CtxPublicURL, nil},
		{"public URL without host", func(p *Props) { p.PublicURL = "https://" }, "PublicURL", CtxPublicURL, nil},

		// playbooks: parsed as the query function parses MUSTER_PLAYBOOKS.
		{"playbooks valid", func(p *Props) { p.Playbooks = testPlaybooks }, "", "", nil},
		{"playbooks not JSON", func(p *Props) { p.Playbooks = "[" }, "Playbooks", CtxPlaybooks, playbook.ErrInvalidConfig},
		{"playbooks empty list", func(p *Props) { p.Playbooks = "[]" }, "Playbooks", CtxPlaybooks, playbook.ErrInvalidConfig},
		{"playbook name not allowed", func(p *Props) { p.Playbooks = `[{"name":"Isolate Instance"}]` }, "Playbooks", CtxPlaybooks, playbook.ErrInvalidConfig},
		{"playbook unknown field", func(p *Props) { p.Playbooks = `[{"name":"x","command":"rm"}]` }, "Playbooks", CtxPlaybooks, playbook.ErrInvalidConfig},
		{"playbook twice", func(p *Props) { p.Playbooks = `[{"name":"x"},{"name":"x"}]` }, "Playbooks", CtxPlaybooks, playbook.ErrInvalidConfig},

		// Correlator tuning: the correlator's own parser and ranges.
		{"window 168h", func(p *Props) { p.CorrelationWindow = "168h" }, "", "", nil},
		{"window in days", func(p *Props) { p.CorrelationWindow = "8d" }, "CorrelationWindow", CtxCorrelationWindow, correlate.ErrConfig},
		{"window above 7 days", func(p *Props) { p.CorrelationWindow = "192h" }, "CorrelationWindow", CtxCorrelationWindow, correlate.ErrConfig},
		{"resource window 2h", func(p *Props) { p.ResourceWindow = "2h" }, "", "", nil},
		{"resource window over the window", func(p *Props) { p.CorrelationWindow, p.ResourceWindow = "12h", "13h" }, "ResourceWindow", CtxResourceWindow, correlate.ErrConfig},
		{"resource window not a duration", func(p *Props) { p.ResourceWindow = "6 hours" }, "ResourceWindow", CtxResourceWindow, correlate.ErrConfig},
		{"window below 1s", func(p *Props) { p.CorrelationWindow = "500ms" }, "CorrelationWindow", CtxCorrelationWindow, correlate.ErrConfig},
		{"min stages 13", func(p *Props) { p.MinStages = 13 }, "", "", nil},
		{"negative min stages", func(p *Props) { p.MinStages = -1 }, "MinStages", CtxMinStages, correlate.ErrConfig},
		{"min stages above 13", func(p *Props) { p.MinStages = 14 }, "MinStages", CtxMinStages, correlate.ErrConfig},
		{"min confidence above 100", func(p *Props) { p.MinConfidence = 101 }, "MinConfidence", CtxMinConfidence, correlate.ErrConfig},
		{"max alerts 1000", func(p *Props) { p.MaxAlertsPerIncident = 1000 }, "", "", nil},
		{"max alerts 1", func(p *Props) { p.MaxAlertsPerIncident = 1 }, "MaxAlertsPerIncident", CtxMaxAlertsPerIncident, correlate.ErrConfig},
		{"max alerts above 1000", func(p *Props) { p.MaxAlertsPerIncident = 1001 }, "MaxAlertsPerIncident", CtxMaxAlertsPerIncident, correlate.ErrConfig},
		{"noisy key resources 1", func(p *Props) { p.NoisyKeyResources = 1 }, "", "", nil},
		{"negative noisy key resources", func(p *Props) { p.NoisyKeyResources = -5 }, "NoisyKeyResources", CtxNoisyKeyResources, correlate.ErrConfig},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := base
			c.mutate(&p)
			err := p.Defaults().Validate()
			if c.field == "" {
				if err != nil {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidProps) || !strings.Contains(fmt.Sprint(err), c.field+" (context "+c.key+"): ") {
				t.Errorf("error %v, want ErrInvalidProps naming %s (context %s)", err, c.field, c.key)
			}
			if c.domain != nil && !errors.Is(err, c.domain) {
				t.Errorf("error %v does not wrap %v", err, c.domain)
			}
		})
	}
}

// TestCorrelatorEnvAccepted: what the stack gives the correlator is what the
// correlator's own reader accepts, values included.
func TestCorrelatorEnvAccepted(t *testing.T) {
	p := Props{AssetRoot: "/tmp/x", CorrelationWindow: " 36h ", ResourceWindow: "4h", MinStages: 4, MaxAlertsPerIncident: 250,
		NoisyKeyResources: 9, MinConfidence: 60, ReopenResolved: ptr(false)}.Defaults()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	env := p.correlatorEnv()
	cfg, err := correlate.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := correlate.Config{Window: 36 * time.Hour, ResourceWindow: 4 * time.Hour, MinStages: 4, MaxAlertsPerIncident: 250, NoisyKeyResources: 9, MinConfidence: 60, ReopenResolved: false, AutoResolve: true}
	if cfg != want {
		t.Errorf("correlator config %+v, want %+v", cfg, want)
	}
	// Unset values are not passed: the correlator keeps its defaults.
	if env := (Props{}).correlatorEnv(); len(env) != 0 {
		t.Errorf("default props pass %v", env)
	}
}

// TestAlertmanagerURLEnv: only query gets MUSTER_ALERTMANAGER_URL, and
// only when the context value is set.
func TestAlertmanagerURLEnv(t *testing.T) {
	for _, url := range []string{"", "https://alertmanager.example:9093"} {
		b := &builder{p: Props{AlertmanagerURL: url}}
		got, set := b.envFor(Query)[silence.EnvURL]
		if set != (url != "") || got != url {
			t.Errorf("alertmanagerUrl %q: query env %q (set %v)", url, got, set)
		}
		if _, set := b.envFor(Ingest)[silence.EnvURL]; set {
			t.Errorf("ingest gets %s", silence.EnvURL)
		}
	}
}

func TestDefaults(t *testing.T) {
	p := Props{}.Defaults()
	if p.TableName != resources.DefaultTableName || p.BusName != resources.DefaultBusName || p.AlertRetentionDays != 90 ||
		!*p.DeletionProtection || p.LogRetentionDays != 30 || p.AuthParamName != "/muster/auth" || len(p.CORSOrigins) != 0 ||
		p.APIThrottleRate != 50 || p.APIThrottleBurst != 100 || !*p.APICloudWatchRole || p.ArchiveRetentionDays != 30 ||
		!*p.Archive {
		t.Errorf("defaults: %+v", p)
	}
	for _, name := range FunctionNames {
		if p.Functions[name] != DefaultFunctionSettings[name] {
			t.Errorf("%s: %+v", name, p.Functions[name])
		}
	}
	// An explicit false survives Defaults.
	if q := (Props{DeletionProtection: ptr(false)}).Defaults(); *q.DeletionProtection {
		t.Errorf("explicit false overridden")
	}
}

func TestFromContext(t *testing.T) {
	cases := []struct {
		name    string
		ctx     map[string]any
		check   func(Props) bool
		wantErr bool
	}{
		{"cli strings", map[string]any{CtxTableName: "t", CtxAlertRetentionDays: "30", CtxDeletionProtection: "false",
			CtxCORSOrigins: "https://a.example, https://b.example", "queryMemoryMb": "1024", CtxTracing: "true"},
			func(p Props) bool {
				return p.TableName == "t" && p.AlertRetentionDays == 30 && !*p.DeletionProtection && p.Tracing &&
					slices.Equal(p.CORSOrigins, []string{"https://a.example", "https://b.example"}) && p.Functions[Query].MemoryMB == 1024
			}, false},
		{"cdk.json values", map[string]any{CtxAlertRetentionDays: float64(45), CtxDeletionProtection: true,
			CtxCORSOrigins: []any{"https://a.example"}, CtxPlaybooks: []any{map[string]any{"name": "x"}}},
			func(p Props) bool {
				return p.AlertRetentionDays == 45 && *p.DeletionProtection && len(p.CORSOrigins) == 1 && p.Playbooks == `[{"name":"x"}]`
			}, false},
		{"archive off", map[string]any{CtxArchive: "false"}, func(p Props) bool { return p.Archive != nil && !*p.Archive }, false},
		{"large JSON number", map[string]any{CtxIteratorAgeAlarm: float64(1000000)}, func(p Props) bool { return p.IteratorAgeAlarmSeconds == 1000000 }, false},
		{"correlator tuning", map[string]any{CtxCorrelationWindow: "8d", CtxMinStages: "-1"},
			// FromContext only reads; Validate rejects both (TestPropsValidate).
			func(p Props) bool { return p.CorrelationWindow == "8d" && p.MinStages == -1 }, false},
		{"empty", map[string]any{}, func(p Props) bool { return p.DeletionProtection == nil && p.Functions == nil && p.Archive == nil }, false},
		{"fractional JSON number", map[string]any{CtxAlertRetentionDays: float64(1.5)}, nil, true},
		{"bad number", map[string]any{CtxLogRetentionDays: "a month"}, nil, true},
		{"bad bool", map[string]any{CtxDeletionProtection: "yes please"}, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := FromContext(func(k string) any { return c.ctx[k] })
			if (err != nil) != c.wantErr {
				t.Fatalf("err %v, wantErr %v", err, c.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidProps) {
					t.Errorf("error %v does not wrap ErrInvalidProps", err)
				}
				return
			}
			if !c.check(p) {
				t.Errorf("props %+v", p)
			}
		})
	}
}

func TestEventPattern(t *testing.T) {
	cases := []struct {
		name    string
		src     string
		wantErr bool
	}{
		{"findings", resources.FindingsRule.Pattern, false},
		{"readme example", resources.HighSeverityExfiltrationPattern, false},
		{"playbook", IsolateInstancePattern, false},
		{"not json", `{`, true},
		{"unsupported field", `{"$or":[{"source":["x"]}]}`, true},
		{"operator in source", `{"source":[{"prefix":"aws."}]}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := eventPattern(c.src)
			if (err != nil) != c.wantErr {
				t.Fatalf("err %v, wantErr %v", err, c.wantErr)
			}
			if err == nil && p.Source == nil {
				t.Errorf("source lost")
			}
		})
	}
}

func TestMissingAssets(t *testing.T) {
	_, err := New(awscdk.NewApp(nil), "Muster", Props{AssetRoot: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "make build") {
		t.Errorf("err %v, want a hint to run make build", err)
	}
}

// TestFindingsRuleNameFollowsTheStack: two stacks in one account (say
// Muster and MusterStaging) get two findings rules on the default bus.
func TestFindingsRuleNameFollowsTheStack(t *testing.T) {
	for stackName, want := range map[string]string{
		"":                         "muster-aws-findings",
		"Muster":                   "muster-aws-findings",
		"MusterStaging":            "musterstaging-aws-findings",
		strings.Repeat("Long", 30): strings.Repeat("long", 30)[:64-len("-aws-findings")] + "-aws-findings",
	} {
		if got := findingsRuleName(stackName); got != want {
			t.Errorf("findingsRuleName(%q) = %q, want %q", stackName, got, want)
		}
	}
}

// TestResponderWritesOnlyIncidentsAndRuleHits: the responder's item writes
// (automation runs and rule hit counters) are confined by
// dynamodb:LeadingKeys to incident and automation-rule partitions.
func TestResponderWritesOnlyIncidentsAndRuleHits(t *testing.T) {
	for _, v := range variants {
		s := get(t, v)
		roleID := logicalID(s, s.stack.Roles[Responder])
		found := false
		for _, st := range roleStatements(s, roleID) {
			actions := stringsOf(st["Action"])
			if !slices.Contains(actions, "dynamodb:PutItem") {
				continue
			}
			found = true
			want := map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": []any{"INCIDENT#*", "AUTORULE#*"}}}
			if !reflect.DeepEqual(st["Condition"], want) {
				t.Errorf("%s: responder writes %v under condition %s", v, actions, asJSON(st["Condition"]))
			}
			for _, a := range actions {
				if a == "dynamodb:GetItem" || a == "dynamodb:Query" {
					t.Errorf("%s: read %s confined with the writes", v, a)
				}
			}
		}
		if !found {
			t.Errorf("%s: no responder statement allows PutItem", v)
		}
	}
}

// parkedAlarm: anything the correlator parks raises an alarm at once (one
// message), whose text names the redrive, and the queue's URL is an
// output for it.
func parkedAlarm(t *testing.T, s *synthesised, v string) {
	t.Helper()
	q := s.stack.FailureQueues[resources.Correlator.Name+"-stream"]
	name := asJSON(getAtt(logicalID(s, q), "QueueName"))
	found := false
	for _, a := range resourcesOfType(s, "AWS::CloudWatch::Alarm") {
		p := props(a)
		if p["MetricName"] != "ApproximateNumberOfMessagesVisible" || !strings.Contains(asJSON(p["Dimensions"]), name) {
			continue
		}
		found = true
		if p["Threshold"] != float64(1) || p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" {
			t.Errorf("%s: parked-batch alarm %s", v, asJSON(p))
		}
		if d, _ := p["AlarmDescription"].(string); !strings.Contains(d, "muster-redrive -queue") {
			t.Errorf("%s: parked-batch alarm text %q does not name the redrive", v, d)
		}
	}
	if !found {
		t.Errorf("%s: no alarm on the correlator's parked batches", v)
	}
	if !strings.Contains(asJSON(s.tmpl["Outputs"]), "CorrelatorParkedQueueUrl") {
		t.Errorf("%s: no CorrelatorParkedQueueUrl output", v)
	}
}
