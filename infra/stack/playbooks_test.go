package stack

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// runsTables is the number of playbook runs tables a stack should have: one
// with the isolate-instance playbook, none without.
func runsTables(s *synthesised) int {
	if s.stack.StateMachine == nil {
		return 0
	}
	return 1
}

// runsTableID is the logical id of the isolate-instance playbook's runs
// table: the DynamoDB table that is not the main one.
func runsTableID(t *testing.T, s *synthesised) string {
	t.Helper()
	main := logicalID(s, s.stack.Table)
	var ids []string
	for id := range resourcesOfType(s, "AWS::DynamoDB::Table") {
		if id != main {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("runs tables: %v, want exactly one besides %s", ids, main)
	}
	return ids[0]
}

// stateMachineDefinition decodes the state machine's definition. The
// template holds it as an Fn::Join of strings and tokens (the runs table's
// Ref, the partition); each token becomes the string "TOKEN<its JSON>" so
// the joined text is JSON again.
func stateMachineDefinition(t *testing.T, sm map[string]any) map[string]any {
	t.Helper()
	raw := props(sm)["DefinitionString"]
	var text strings.Builder
	switch d := raw.(type) {
	case string:
		text.WriteString(d)
	case map[string]any:
		join := list(d["Fn::Join"])
		if len(join) != 2 || join[0] != "" {
			t.Fatalf("definition is not a plain Fn::Join: %s", asJSON(d))
		}
		for _, part := range list(join[1]) {
			if s, ok := part.(string); ok {
				text.WriteString(s)
				continue
			}
			tok, _ := json.Marshal("TOKEN" + asJSON(part))
			text.Write(tok[1 : len(tok)-1]) // inside a JSON string already
		}
	default:
		t.Fatalf("definition %T", raw)
	}
	var def map[string]any
	if err := json.Unmarshal([]byte(text.String()), &def); err != nil {
		t.Fatalf("definition: %v\n%s", err, text.String())
	}
	return def
}

func isolateStateMachine(t *testing.T, s *synthesised) map[string]any {
	t.Helper()
	sms := resourcesOfType(s, "AWS::StepFunctions::StateMachine")
	if len(sms) != 1 {
		t.Fatalf("state machines: %d", len(sms))
	}
	for _, sm := range sms {
		return sm
	}
	return nil
}

func state(t *testing.T, def map[string]any, name string) map[string]any {
	t.Helper()
	st, ok := def["States"].(map[string]any)[name].(map[string]any)
	if !ok {
		t.Fatalf("no state %s in %s", name, asJSON(def["States"]))
	}
	return st
}

func TestIsolateStateMachine(t *testing.T) {
	s := get(t, "full")
	sm := isolateStateMachine(t, s)
	p := props(sm)
	def := asJSON(p["DefinitionString"])
	for _, want := range []string{
		"aws-sdk:ec2:modifyInstanceAttribute", "aws-sdk:ec2:describeInstances", "aws-sdk:ec2:createSnapshot",
		testSG, `\"Type\":\"Map\"`, `\"Retry\"`, `\"Catch\"`, "$.detail.parameters.instanceId", "muster:incident",
	} {
		if !strings.Contains(def, want) {
			t.Errorf("definition lacks %s", want)
		}
	}
	if cfg := p["LoggingConfiguration"].(map[string]any); cfg["Level"] != "ALL" {
		t.Errorf("logging %s", asJSON(cfg))
	}
}

// TestIsolateGuardFirst: the first state records detail.eventId with a
// conditional put on the runs table; a replay (the condition fails) ends
// the execution successfully before any EC2 call, any other failure ends it
// failed, also before any EC2 call.
func TestIsolateGuardFirst(t *testing.T) {
	s := get(t, "full")
	def := stateMachineDefinition(t, isolateStateMachine(t, s))
	if def["StartAt"] != "RecordRequest" {
		t.Fatalf("StartAt %v, want the guard RecordRequest", def["StartAt"])
	}
	guard := state(t, def, "RecordRequest")
	params := guard["Parameters"].(map[string]any)
	if !strings.HasSuffix(fmt.Sprint(guard["Resource"]), ":states:::dynamodb:putItem") {
		t.Errorf("guard resource %v, want the DynamoDB PutItem integration", guard["Resource"])
	}
	if want := "TOKEN" + asJSON(ref(runsTableID(t, s))); params["TableName"] != want {
		t.Errorf("guard table %v, want %s", params["TableName"], want)
	}
	// Recorded unless another execution recorded it: this execution's own
	// retried put passes.
	if params["ConditionExpression"] != "attribute_not_exists("+RunKeyAttribute+") OR executionArn = :self" {
		t.Errorf("guard condition %v", params["ConditionExpression"])
	}
	if self := params["ExpressionAttributeValues"]; !reflect.DeepEqual(self, map[string]any{":self": map[string]any{"S.$": "$$.Execution.Id"}}) {
		t.Errorf("guard :self %s, want the execution id", asJSON(self))
	}
	if owner := params["Item"].(map[string]any)["executionArn"]; !reflect.DeepEqual(owner, map[string]any{"S.$": "$$.Execution.Id"}) {
		t.Errorf("guard records executionArn %s, want the execution id", asJSON(owner))
	}
	if key := params["Item"].(map[string]any)[RunKeyAttribute]; !reflect.DeepEqual(key, map[string]any{"S.$": "$.detail.eventId"}) {
		t.Errorf("guard key %s, want detail.eventId", asJSON(key))
	}
	if guard["Next"] != "HasInstanceId" {
		t.Errorf("guard Next %v", guard["Next"])
	}
	catches := list(guard["Catch"])
	if len(catches) != 2 {
		t.Fatalf("guard catches %s", asJSON(catches))
	}
	replay, other := catches[0].(map[string]any), catches[1].(map[string]any)
	if !reflect.DeepEqual(replay["ErrorEquals"], []any{"DynamoDB.ConditionalCheckFailedException"}) {
		t.Errorf("first catch %s, want the failed condition", asJSON(replay))
	}
	if end := state(t, def, fmt.Sprint(replay["Next"])); end["Type"] != "Succeed" {
		t.Errorf("a replay goes to %s, want a Succeed state", asJSON(end))
	}
	if end := state(t, def, fmt.Sprint(other["Next"])); end["Type"] != "Fail" || !reflect.DeepEqual(other["ErrorEquals"], []any{"States.ALL"}) {
		t.Errorf("other guard failures go to %s via %s, want a Fail state", asJSON(end), asJSON(other))
	}
}

// dynamoErrors are error names Step Functions' optimized DynamoDB
// integration may raise for a failure worth retrying, including ones a
// list of names could miss.
var dynamoErrors = []string{
	"DynamoDB.ProvisionedThroughputExceededException", "DynamoDB.ThrottlingException",
	"DynamoDB.RequestLimitExceeded", "DynamoDB.InternalServerError", "DynamoDB.TransactionConflictException",
	"DynamoDB.AmazonDynamoDBException", "DynamoDB.SomeFutureException", "States.TaskFailed",
}

// handle applies a state's Retry and Catch to one error as the Amazon
// States Language does: the first retrier whose ErrorEquals matches decides
// (States.ALL matches any name, States.TaskFailed any but States.Timeout);
// when it allows no retry (or none matches), the first matching catcher
// decides. It returns the retries allowed and the catcher's Next ("" when
// none matches).
func handle(t *testing.T, st map[string]any, errName string) (retries int, next string) {
	t.Helper()
	matches := func(equals []string) bool {
		for _, e := range equals {
			if e == errName || e == "States.ALL" || (e == "States.TaskFailed" && errName != "States.Timeout") {
				return true
			}
		}
		return false
	}
	for _, r := range list(st["Retry"]) {
		r := r.(map[string]any)
		if matches(stringsOf(r["ErrorEquals"])) {
			n, ok := r["MaxAttempts"].(float64)
			if !ok {
				n = 3 // the language's default
			}
			retries = int(n)
			break
		}
	}
	for _, c := range list(st["Catch"]) {
		c := c.(map[string]any)
		if matches(stringsOf(c["ErrorEquals"])) {
			return retries, fmt.Sprint(c["Next"])
		}
	}
	return retries, ""
}

// TestIsolateRunsTableRetries: the guard and the delete of a failed run
// retry every DynamoDB error except the failed condition, which they
// handle at once (a replay ends in AlreadyHandled without a retry's delay),
// whatever name a transient error carries.
func TestIsolateRunsTableRetries(t *testing.T) {
	s := get(t, "full")
	def := stateMachineDefinition(t, isolateStateMachine(t, s))
	for _, tt := range []struct{ state, onCondition string }{
		{"RecordRequest", "AlreadyHandled"},
		{"ForgetRun", "IsolationFailed"},
	} {
		t.Run(tt.state, func(t *testing.T) {
			st := state(t, def, tt.state)
			if n, next := handle(t, st, "DynamoDB.ConditionalCheckFailedException"); n != 0 || next != tt.onCondition {
				t.Errorf("failed condition: %d retries then %q, want 0 then %s\nRetry %s", n, next, tt.onCondition, asJSON(st["Retry"]))
			}
			for _, e := range dynamoErrors {
				if n, next := handle(t, st, e); n < 3 || next == "" || next == tt.onCondition {
					t.Errorf("%s: %d retries then %q, want at least 3 then a failure state", e, n, next)
				}
			}
			// The language requires States.ALL alone in the last retrier.
			retries := list(st["Retry"])
			for i, r := range retries {
				eq := stringsOf(r.(map[string]any)["ErrorEquals"])
				if slices.Contains(eq, "States.ALL") && (len(eq) != 1 || i != len(retries)-1) {
					t.Errorf("States.ALL not alone in the last retrier: %s", asJSON(retries))
				}
			}
		})
	}
}

// TestIsolateFailureForgetsRun: every EC2 step that fails after its
// retries goes through ForgetRun, which deletes this execution's run
// record (keyed by detail.eventId, only if executionArn is this
// execution's) and then fails as IsolationFailed, so an archive replay of
// the event can try again. A delete that fails ends in a Fail state that
// says the record was kept; no failure path skips the delete.
func TestIsolateFailureForgetsRun(t *testing.T) {
	s := get(t, "full")
	def := stateMachineDefinition(t, isolateStateMachine(t, s))
	for _, name := range []string{"MoveToQuarantineGroup", "FindVolumes", "SnapshotVolumes"} {
		st := state(t, def, name)
		if _, next := handle(t, st, "Ec2.RequestLimitExceeded"); next != "ForgetRun" {
			t.Errorf("%s: throttling past the retries goes to %q, want ForgetRun", name, next)
		}
		if _, next := handle(t, st, "Ec2.InvalidInstanceID.NotFound"); next != "ForgetRun" {
			t.Errorf("%s: a permanent EC2 error goes to %q, want ForgetRun", name, next)
		}
	}
	forget := state(t, def, "ForgetRun")
	if !strings.HasSuffix(fmt.Sprint(forget["Resource"]), ":states:::dynamodb:deleteItem") {
		t.Errorf("ForgetRun resource %v, want the DynamoDB DeleteItem integration", forget["Resource"])
	}
	params := forget["Parameters"].(map[string]any)
	if want := "TOKEN" + asJSON(ref(runsTableID(t, s))); params["TableName"] != want {
		t.Errorf("ForgetRun table %v, want %s", params["TableName"], want)
	}
	if key := params["Key"]; !reflect.DeepEqual(key, map[string]any{RunKeyAttribute: map[string]any{"S.$": "$.detail.eventId"}}) {
		t.Errorf("ForgetRun key %s, want detail.eventId", asJSON(key))
	}
	if params["ConditionExpression"] != "executionArn = :self" ||
		!reflect.DeepEqual(params["ExpressionAttributeValues"], map[string]any{":self": map[string]any{"S.$": "$$.Execution.Id"}}) {
		t.Errorf("ForgetRun condition %v %s, want only this execution's record", params["ConditionExpression"], asJSON(params["ExpressionAttributeValues"]))
	}
	if forget["Next"] != "IsolationFailed" {
		t.Errorf("ForgetRun Next %v, want IsolationFailed", forget["Next"])
	}
	if end := state(t, def, "IsolationFailed"); end["Type"] != "Fail" || end["Error"] != "IsolationFailed" {
		t.Errorf("IsolationFailed %s", asJSON(end))
	}
	_, next := handle(t, forget, "DynamoDB.AmazonDynamoDBException")
	if kept := state(t, def, next); kept["Type"] != "Fail" || kept["Error"] != "IsolationFailed" || next == "IsolationFailed" ||
		!strings.Contains(fmt.Sprint(kept["Cause"]), "could not be deleted") {
		t.Errorf("a failed delete goes to %s: %s, want a Fail state saying the record was kept", next, asJSON(kept))
	}
	// No other state reaches IsolationFailed: every failure passes the delete.
	for name, st := range def["States"].(map[string]any) {
		st := st.(map[string]any)
		if name == "ForgetRun" {
			continue
		}
		if st["Next"] == "IsolationFailed" || st["Default"] == "IsolationFailed" {
			t.Errorf("%s goes to IsolationFailed without deleting the run", name)
		}
		for _, c := range list(st["Catch"]) {
			if c.(map[string]any)["Next"] == "IsolationFailed" {
				t.Errorf("%s catches into IsolationFailed without deleting the run", name)
			}
		}
	}
}

// TestIsolateQuarantineGroup runs the Choice and Pass states between
// HasInstanceId and the EC2 call on two requests: the group named in
// quarantineSecurityGroup is used when given, the stack's group otherwise.
func TestIsolateQuarantineGroup(t *testing.T) {
	s := get(t, "full")
	def := stateMachineDefinition(t, isolateStateMachine(t, s))
	move := state(t, def, "MoveToQuarantineGroup")
	groupsExpr := move["Parameters"].(map[string]any)["Groups.$"]
	if groupsExpr != "States.Array($.quarantine.groupId)" {
		t.Fatalf("Groups.$ %v, want States.Array($.quarantine.groupId)", groupsExpr)
	}
	if g, ok := move["Parameters"].(map[string]any)["Groups"]; ok {
		t.Errorf("a fixed Groups list remains: %s", asJSON(g))
	}
	const requested = "sg-0fedcba9876543210"
	for _, tt := range []struct {
		name   string
		params map[string]any
		want   string
	}{
		{"requested group", map[string]any{"instanceId": "i-0abc1234def567890", "quarantineSecurityGroup": requested}, requested},
		{"configured group", map[string]any{"instanceId": "i-0abc1234def567890"}, testSG},
	} {
		t.Run(tt.name, func(t *testing.T) {
			input := map[string]any{"detail": map[string]any{"eventId": "inc-1:response:r1", "parameters": tt.params}}
			last, out := walk(t, def, "HasInstanceId", input, "MoveToQuarantineGroup")
			if last != "MoveToQuarantineGroup" {
				t.Fatalf("stopped at %s", last)
			}
			got, _ := lookup(out, "$.quarantine.groupId")
			if got != tt.want {
				t.Errorf("Groups = [%v], want [%s]", got, tt.want)
			}
		})
	}
}

// walk interprets the Choice (IsPresent) and Pass states from start until
// it reaches stop or another kind of state, and returns that state's name
// and the input it would receive.
func walk(t *testing.T, def map[string]any, start string, input map[string]any, stop string) (string, map[string]any) {
	t.Helper()
	name := start
	for range 10 {
		if name == stop {
			return name, input
		}
		st := state(t, def, name)
		switch st["Type"] {
		case "Choice":
			next := st["Default"]
			for _, c := range list(st["Choices"]) {
				c := c.(map[string]any)
				if c["IsPresent"] == nil {
					t.Fatalf("%s: only IsPresent rules are interpreted: %s", name, asJSON(c))
				}
				_, present := lookup(input, c["Variable"].(string))
				if present == c["IsPresent"].(bool) {
					next = c["Next"]
					break
				}
			}
			name = fmt.Sprint(next)
		case "Pass":
			var result any = st["Result"]
			if ps, ok := st["Parameters"].(map[string]any); ok {
				r := map[string]any{}
				for k, v := range ps {
					if strings.HasSuffix(k, ".$") {
						r[strings.TrimSuffix(k, ".$")], _ = lookup(input, v.(string))
					} else {
						r[k] = v
					}
				}
				result = r
			}
			rp, _ := st["ResultPath"].(string)
			if !strings.HasPrefix(rp, "$.") || strings.Count(rp, ".") != 1 {
				t.Fatalf("%s: ResultPath %q not interpreted", name, rp)
			}
			out := map[string]any{}
			for k, v := range input {
				out[k] = v
			}
			out[strings.TrimPrefix(rp, "$.")] = result
			input = out
			name = fmt.Sprint(st["Next"])
		default:
			return name, input
		}
	}
	t.Fatalf("no end after 10 states from %s", start)
	return "", nil
}

// lookup resolves a simple JSONPath ($.a.b.c) in v.
func lookup(v map[string]any, path string) (any, bool) {
	var cur any = v
	for _, k := range strings.Split(strings.TrimPrefix(path, "$."), ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// TestIsolateRunsTable: a small table keyed by event id, on demand, with
// point-in-time recovery, no stream; only in a stack with the playbook.
func TestIsolateRunsTable(t *testing.T) {
	s := get(t, "full")
	tbl := resourcesOfType(s, "AWS::DynamoDB::Table")[runsTableID(t, s)]
	p := props(tbl)
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"keys", p["KeySchema"], []any{map[string]any{"AttributeName": RunKeyAttribute, "KeyType": "HASH"}}},
		{"billing", p["BillingMode"], "PAY_PER_REQUEST"},
		{"pitr", p["PointInTimeRecoverySpecification"], map[string]any{"PointInTimeRecoveryEnabled": true}},
		{"encryption", p["SSESpecification"], map[string]any{"SSEEnabled": true}},
		{"stream", p["StreamSpecification"], nil},
		{"deletion protection", p["DeletionProtectionEnabled"], true},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %s, want %s", c.name, asJSON(c.got), asJSON(c.want))
		}
	}
	if n := len(resourcesOfType(get(t, "default"), "AWS::DynamoDB::Table")); n != 1 {
		t.Errorf("default stack (no playbook): %d tables, want only the main one", n)
	}
}

// TestIsolateIAM: the state machine's role may only PutItem and DeleteItem
// on the runs table (nothing on the main table), move any instance only into the
// stack's quarantine group or a group tagged muster:quarantine=true, and
// call no EC2 action beyond the playbook's.
func TestIsolateIAM(t *testing.T) {
	s := get(t, "full")
	sm := isolateStateMachine(t, s)
	roleID := props(sm)["RoleArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
	runsID := runsTableID(t, s)
	// The PutItem and DeleteItem tasks build the table ARN from its name.
	isRunsTable := func(res []any) bool {
		return len(res) == 1 && (reflect.DeepEqual(res[0], getAtt(runsID, "Arn")) ||
			strings.HasSuffix(asJSON(res[0]), `:table/",{"Ref":"`+runsID+`"}]]}`))
	}
	mainID := logicalID(s, s.stack.Table)
	var modify []map[string]any
	perms := map[string][]any{}
	for _, st := range roleStatements(s, roleID) {
		if st["Effect"] != "Allow" {
			t.Errorf("unexpected %v statement %s", st["Effect"], asJSON(st))
		}
		acts := stringsOf(st["Action"])
		if strings.Contains(asJSON(st["Resource"]), mainID) {
			t.Errorf("state machine has access to the main table: %s", asJSON(st))
		}
		for _, a := range acts {
			perms[a] = append(perms[a], list(st["Resource"])...)
			if strings.HasPrefix(a, "dynamodb:") && (!slices.Contains([]string{"dynamodb:PutItem", "dynamodb:DeleteItem"}, a) ||
				!isRunsTable(list(st["Resource"]))) {
				t.Errorf("dynamodb permission beyond PutItem and DeleteItem on the runs table: %s", asJSON(st))
			}
			if a == "ec2:ModifyInstanceAttribute" {
				modify = append(modify, st)
			}
		}
	}
	for _, a := range []string{"dynamodb:PutItem", "dynamodb:DeleteItem"} {
		if !isRunsTable(perms[a]) {
			t.Errorf("%s on %s, want the runs table only", a, asJSON(perms[a]))
		}
	}
	var fixed, tagged bool
	for _, st := range modify {
		res, cond := asJSON(st["Resource"]), st["Condition"]
		switch {
		case strings.Contains(res, ":security-group/*"):
			want := map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/" + QuarantineTagKey: QuarantineTagValue}}
			if !reflect.DeepEqual(cond, want) || strings.Contains(res, ":instance/") {
				t.Errorf("any security group without the quarantine tag condition: %s", asJSON(st))
			}
			tagged = true
		case strings.Contains(res, ":security-group/"+testSG):
			if !strings.Contains(res, ":instance/*") || cond != nil {
				t.Errorf("ModifyInstanceAttribute on %s (condition %s)", res, asJSON(cond))
			}
			fixed = true
		default:
			t.Errorf("ModifyInstanceAttribute statement names no quarantine group: %s", asJSON(st))
		}
	}
	if !fixed || !tagged {
		t.Errorf("ModifyInstanceAttribute statements %s: want one for the stack's group and one for tagged groups", asJSON(modify))
	}
	if r := asJSON(perms["ec2:CreateSnapshot"]); !strings.Contains(r, ":volume/*") || !strings.Contains(r, "::snapshot/*") {
		t.Errorf("CreateSnapshot on %s", r)
	}
	for _, st := range roleStatements(s, roleID) {
		if slices.Contains(stringsOf(st["Action"]), "ec2:CreateTags") && !strings.Contains(asJSON(st["Condition"]), "CreateSnapshot") {
			t.Errorf("CreateTags not limited to snapshot creation: %s", asJSON(st))
		}
	}
	for a := range perms {
		if strings.HasPrefix(a, "ec2:") && !slices.Contains([]string{"ec2:ModifyInstanceAttribute", "ec2:DescribeInstances", "ec2:CreateSnapshot", "ec2:CreateTags"}, a) {
			t.Errorf("unexpected permission %s", a)
		}
	}
}
