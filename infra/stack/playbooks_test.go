package stack

import (
	"encoding/json"
	"fmt"
	"maps"
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

// TestIsolateReplayChoiceFirst: the first state is a Choice on the
// top-level replay-name EventBridge adds to events it replays from an
// archive: present, the replay guard; absent, the normal guard. Run through
// the interpreter on both kinds of event.
func TestIsolateReplayChoiceFirst(t *testing.T) {
	s := get(t, "full")
	def := stateMachineDefinition(t, isolateStateMachine(t, s))
	if def["StartAt"] != "IsArchiveReplay" {
		t.Fatalf("StartAt %v, want the Choice IsArchiveReplay", def["StartAt"])
	}
	choice := state(t, def, "IsArchiveReplay")
	if choice["Type"] != "Choice" {
		t.Fatalf("IsArchiveReplay %s, want a Choice", asJSON(choice))
	}
	want := []any{map[string]any{"Variable": "$.replay-name", "IsPresent": true, "Next": "RecordReplayRequest"}}
	if !reflect.DeepEqual(choice["Choices"], want) || choice["Default"] != "RecordRequest" {
		t.Errorf("IsArchiveReplay %s, want replay-name present -> RecordReplayRequest, else RecordRequest", asJSON(choice))
	}
	for _, tt := range []struct {
		name  string
		event map[string]any
		want  string
	}{
		{"live or redelivered event", map[string]any{"detail": map[string]any{"eventId": "inc-1:response:r1"}}, "RecordRequest"},
		{"archive replay", map[string]any{"replay-name": "retry-isolation", "detail": map[string]any{"eventId": "inc-1:response:r1"}}, "RecordReplayRequest"},
	} {
		if got, _ := walk(t, def, "IsArchiveReplay", tt.event, ""); got != tt.want {
			t.Errorf("%s goes to %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestIsolateGuards: both guards record detail.eventId with a conditional
// put on the runs table before any EC2 call. The normal guard passes only
// if no other execution recorded the id; the replay guard also passes if
// the recorded run failed. A repeat (the condition fails) ends the
// execution successfully, any other failure ends it failed.
func TestIsolateGuards(t *testing.T) {
	s := get(t, "full")
	def := stateMachineDefinition(t, isolateStateMachine(t, s))
	self := map[string]any{"S.$": "$$.Execution.Id"}
	for _, tt := range []struct {
		state, condition string
		names, values    any
	}{
		{"RecordRequest", "attribute_not_exists(" + RunKeyAttribute + ") OR executionArn = :self",
			nil, map[string]any{":self": self}},
		{"RecordReplayRequest", "attribute_not_exists(" + RunKeyAttribute + ") OR executionArn = :self OR #st = :failed",
			map[string]any{"#st": "status"}, map[string]any{":self": self, ":failed": map[string]any{"S": "failed"}}},
	} {
		t.Run(tt.state, func(t *testing.T) {
			guard := state(t, def, tt.state)
			params := guard["Parameters"].(map[string]any)
			if !strings.HasSuffix(fmt.Sprint(guard["Resource"]), ":states:::dynamodb:putItem") {
				t.Errorf("resource %v, want the DynamoDB PutItem integration", guard["Resource"])
			}
			if want := "TOKEN" + asJSON(ref(runsTableID(t, s))); params["TableName"] != want {
				t.Errorf("table %v, want %s", params["TableName"], want)
			}
			// This execution's own retried put passes too.
			if params["ConditionExpression"] != tt.condition {
				t.Errorf("condition %v, want %s", params["ConditionExpression"], tt.condition)
			}
			if !reflect.DeepEqual(params["ExpressionAttributeNames"], tt.names) {
				t.Errorf("names %s, want %s", asJSON(params["ExpressionAttributeNames"]), asJSON(tt.names))
			}
			if !reflect.DeepEqual(params["ExpressionAttributeValues"], tt.values) {
				t.Errorf("values %s, want %s", asJSON(params["ExpressionAttributeValues"]), asJSON(tt.values))
			}
			item := params["Item"].(map[string]any)
			if !reflect.DeepEqual(item["executionArn"], self) {
				t.Errorf("records executionArn %s, want the execution id", asJSON(item["executionArn"]))
			}
			if !reflect.DeepEqual(item[RunKeyAttribute], map[string]any{"S.$": "$.detail.eventId"}) {
				t.Errorf("key %s, want detail.eventId", asJSON(item[RunKeyAttribute]))
			}
			// The put replaces the item: a record a replay takes over has
			// no failed status any more.
			if _, ok := item[RunStatusAttribute]; ok {
				t.Errorf("the guard writes a %s: %s", RunStatusAttribute, asJSON(item))
			}
			if guard["Next"] != "HasInstanceId" {
				t.Errorf("Next %v", guard["Next"])
			}
			catches := list(guard["Catch"])
			if len(catches) != 2 {
				t.Fatalf("catches %s", asJSON(catches))
			}
			repeat, other := catches[0].(map[string]any), catches[1].(map[string]any)
			if !reflect.DeepEqual(repeat["ErrorEquals"], []any{"DynamoDB.ConditionalCheckFailedException"}) || repeat["Next"] != "AlreadyHandled" {
				t.Errorf("first catch %s, want the failed condition to AlreadyHandled", asJSON(repeat))
			}
			if end := state(t, def, "AlreadyHandled"); end["Type"] != "Succeed" {
				t.Errorf("AlreadyHandled %s, want a Succeed state", asJSON(end))
			}
			if end := state(t, def, fmt.Sprint(other["Next"])); end["Type"] != "Fail" || !reflect.DeepEqual(other["ErrorEquals"], []any{"States.ALL"}) {
				t.Errorf("other failures go to %s via %s, want a Fail state", asJSON(end), asJSON(other))
			}
		})
	}
}

// runsTableSim applies the runs table tasks of the definition (PutItem and
// UpdateItem with their condition, update expression, names and values) to
// an in-memory table, for the few expression forms the playbook uses; any
// other form stops the test, so a change of form is noticed.
type runsTableSim struct {
	t     *testing.T
	items map[string]map[string]string
}

func (r *runsTableSim) resolve(v any, input map[string]any, execution string) string {
	r.t.Helper()
	m := v.(map[string]any)
	if s, ok := m["S"].(string); ok {
		return s
	}
	path, _ := m["S.$"].(string)
	if path == "$$.Execution.Id" {
		return execution
	}
	if path == "$$.Execution.StartTime" {
		return "2026-11-28T12:00:00Z"
	}
	got, ok := lookup(input, path)
	if !ok {
		r.t.Fatalf("%s not in the input %s", path, asJSON(input))
	}
	return fmt.Sprint(got)
}

// apply runs a putItem or updateItem task and reports whether its
// condition held (the write is done only then).
func (r *runsTableSim) apply(task map[string]any, input map[string]any, execution string) bool {
	r.t.Helper()
	p := task["Parameters"].(map[string]any)
	names := map[string]string{}
	for k, v := range asMap(p["ExpressionAttributeNames"]) {
		names[k] = v.(string)
	}
	values := map[string]string{}
	for k, v := range asMap(p["ExpressionAttributeValues"]) {
		values[k] = r.resolve(v, input, execution)
	}
	name := func(n string) string {
		if strings.HasPrefix(n, "#") {
			if names[n] == "" {
				r.t.Fatalf("no name %s in %s", n, asJSON(names))
			}
			return names[n]
		}
		return n
	}
	value := func(v string) string {
		got, ok := values[v]
		if !ok {
			r.t.Fatalf("no value %s in %s", v, asJSON(values))
		}
		return got
	}
	var key string
	if item, ok := p["Item"].(map[string]any); ok {
		key = r.resolve(item[RunKeyAttribute], input, execution)
	} else {
		key = r.resolve(p["Key"].(map[string]any)[RunKeyAttribute], input, execution)
	}
	cur, exists := r.items[key]
	holds := false
	for _, term := range strings.Split(p["ConditionExpression"].(string), " OR ") {
		switch lhs, rhs, eq := strings.Cut(term, " = "); {
		case strings.HasPrefix(term, "attribute_not_exists(") && strings.HasSuffix(term, ")"):
			_, has := cur[name(strings.TrimSuffix(strings.TrimPrefix(term, "attribute_not_exists("), ")"))]
			holds = holds || !exists || !has
		case eq && strings.HasPrefix(rhs, ":"):
			got, has := cur[name(lhs)]
			holds = holds || (exists && has && got == value(rhs))
		default:
			r.t.Fatalf("condition term %q not simulated", term)
		}
	}
	if !holds {
		return false
	}
	switch {
	case strings.HasSuffix(fmt.Sprint(task["Resource"]), ":dynamodb:putItem"):
		item := map[string]string{}
		for k, v := range p["Item"].(map[string]any) {
			item[k] = r.resolve(v, input, execution)
		}
		r.items[key] = item
	case strings.HasSuffix(fmt.Sprint(task["Resource"]), ":dynamodb:updateItem"):
		lhs, rhs, ok := strings.Cut(strings.TrimPrefix(p["UpdateExpression"].(string), "SET "), " = ")
		if !ok || !strings.HasPrefix(p["UpdateExpression"].(string), "SET ") || strings.Contains(rhs, ",") {
			r.t.Fatalf("update %v not simulated", p["UpdateExpression"])
		}
		if !exists {
			cur = map[string]string{RunKeyAttribute: key} // an update creates the item
			r.items[key] = cur
		}
		cur[name(lhs)] = value(rhs)
	case strings.HasSuffix(fmt.Sprint(task["Resource"]), ":dynamodb:deleteItem"):
		delete(r.items, key)
	default:
		r.t.Fatalf("task %v not simulated", task["Resource"])
	}
	return true
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// TestIsolateRepeatsAndReplays runs the definition's own states over a
// history of one request: the Choice, the guard it picks, and, when the
// isolation fails, the state every EC2 failure goes to. A redelivery never
// acts again, whether the run failed or not; an archive replay re-runs a
// failed run once, and not a successful one.
func TestIsolateRepeatsAndReplays(t *testing.T) {
	s := get(t, "full")
	def := stateMachineDefinition(t, isolateStateMachine(t, s))
	table := &runsTableSim{t: t, items: map[string]map[string]string{}}
	event := func(replay string) map[string]any {
		e := map[string]any{"detail": map[string]any{
			"eventId": "inc-1:response:r1", "incident": map[string]any{"id": "inc-1"},
			"parameters": map[string]any{"instanceId": "i-0abc1234def567890"},
		}}
		if replay != "" {
			e["replay-name"] = replay
		}
		return e
	}
	// run returns "acted" or the state the execution ended in.
	run := func(execution string, input map[string]any, ec2Fails bool) string {
		t.Helper()
		guard, _ := walk(t, def, fmt.Sprint(def["StartAt"]), input, "")
		st := state(t, def, guard)
		if !table.apply(st, input, execution) {
			_, next := handle(t, st, "DynamoDB.ConditionalCheckFailedException")
			return next
		}
		if st["Next"] != "HasInstanceId" {
			t.Fatalf("%s goes on to %v", guard, st["Next"])
		}
		if !ec2Fails {
			return "acted"
		}
		_, onFailure := handle(t, state(t, def, "MoveToQuarantineGroup"), "Ec2.InvalidGroup.NotFound")
		mark := state(t, def, onFailure)
		if mark["Type"] != "Task" || !table.apply(mark, input, execution) {
			t.Fatalf("the EC2 failure state %s is not a runs table task whose condition holds (%s)", onFailure, asJSON(table.items))
		}
		return "acted"
	}
	for i, step := range []struct {
		what, execution, replay string
		ec2Fails                bool
		want                    string
	}{
		{"the request", "exec-1", "", false, "acted"},
		{"the same execution's retried put (its answer was lost), then the isolation fails", "exec-1", "", true, "acted"},
		{"a redelivery of the failed request", "exec-2", "", false, "AlreadyHandled"},
		{"an archive replay of the failed request, which fails again", "exec-3", "retry-1", true, "acted"},
		{"another redelivery of the failed request", "exec-4", "", false, "AlreadyHandled"},
		{"a second archive replay", "exec-5", "retry-2", false, "acted"},
		{"a redelivery of that replay", "exec-6", "retry-2", false, "AlreadyHandled"},
		{"an archive replay of a run that succeeded", "exec-7", "retry-3", false, "AlreadyHandled"},
		{"a redelivery of the original event", "exec-8", "", false, "AlreadyHandled"},
	} {
		if got := run(step.execution, event(step.replay), step.ec2Fails); got != step.want {
			t.Fatalf("step %d, %s: %s, want %s (table %s)", i, step.what, got, step.want, asJSON(table.items))
		}
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

// TestIsolateRunsTableRetries: both guards and the marking of a failed run
// retry every DynamoDB error except the failed condition, which they
// handle at once (a repeat ends in AlreadyHandled without a retry's delay),
// whatever name a transient error carries.
func TestIsolateRunsTableRetries(t *testing.T) {
	s := get(t, "full")
	def := stateMachineDefinition(t, isolateStateMachine(t, s))
	for _, tt := range []struct{ state, onCondition string }{
		{"RecordRequest", "AlreadyHandled"},
		{"RecordReplayRequest", "AlreadyHandled"},
		{"MarkRunFailed", "IsolationFailed"},
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

// successors lists the states a state can go to: Next, a Choice's
// branches and Default, and its catchers.
func successors(st map[string]any) []string {
	var out []string
	add := func(v any) {
		if n, ok := v.(string); ok && n != "" {
			out = append(out, n)
		}
	}
	add(st["Next"])
	add(st["Default"])
	for _, c := range list(st["Choices"]) {
		add(c.(map[string]any)["Next"])
	}
	for _, c := range list(st["Catch"]) {
		add(c.(map[string]any)["Next"])
	}
	return out
}

// TestIsolateFailureMarksRun: every EC2 step that fails after its retries
// goes to MarkRunFailed, which sets status = "failed" on this execution's
// run record (keyed by detail.eventId, only if executionArn is this
// execution's; the record is never deleted) and then fails as
// IsolationFailed, so an archive replay of the event can try again while a
// redelivery cannot. An update that fails ends in a Fail state that says
// the record is not marked and what to do; no path from an EC2 failure
// reaches a Fail state without passing MarkRunFailed.
func TestIsolateFailureMarksRun(t *testing.T) {
	s := get(t, "full")
	def := stateMachineDefinition(t, isolateStateMachine(t, s))
	ec2 := []string{"MoveToQuarantineGroup", "FindVolumes", "SnapshotVolumes"}
	for _, name := range ec2 {
		st := state(t, def, name)
		if _, next := handle(t, st, "Ec2.RequestLimitExceeded"); next != "MarkRunFailed" {
			t.Errorf("%s: throttling past the retries goes to %q, want MarkRunFailed", name, next)
		}
		if _, next := handle(t, st, "Ec2.InvalidInstanceID.NotFound"); next != "MarkRunFailed" {
			t.Errorf("%s: a permanent EC2 error goes to %q, want MarkRunFailed", name, next)
		}
	}
	mark := state(t, def, "MarkRunFailed")
	if !strings.HasSuffix(fmt.Sprint(mark["Resource"]), ":states:::dynamodb:updateItem") {
		t.Errorf("MarkRunFailed resource %v, want the DynamoDB UpdateItem integration", mark["Resource"])
	}
	params := mark["Parameters"].(map[string]any)
	if want := "TOKEN" + asJSON(ref(runsTableID(t, s))); params["TableName"] != want {
		t.Errorf("MarkRunFailed table %v, want %s", params["TableName"], want)
	}
	if key := params["Key"]; !reflect.DeepEqual(key, map[string]any{RunKeyAttribute: map[string]any{"S.$": "$.detail.eventId"}}) {
		t.Errorf("MarkRunFailed key %s, want detail.eventId", asJSON(key))
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"update", params["UpdateExpression"], "SET #st = :failed"},
		{"condition", params["ConditionExpression"], "executionArn = :self"},
		{"names", params["ExpressionAttributeNames"], map[string]any{"#st": "status"}},
		{"values", params["ExpressionAttributeValues"], map[string]any{
			":self": map[string]any{"S.$": "$$.Execution.Id"}, ":failed": map[string]any{"S": "failed"},
		}},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("MarkRunFailed %s %s, want %s", c.name, asJSON(c.got), asJSON(c.want))
		}
	}
	// Through the Failed report when the stack reports (playbookreport_test.go).
	if next := mark["Next"]; next != "IsolationFailed" && (next != "ReportFailed" || state(t, def, "ReportFailed")["Next"] != "IsolationFailed") {
		t.Errorf("MarkRunFailed Next %v, want IsolationFailed", next)
	}
	if end := state(t, def, "IsolationFailed"); end["Type"] != "Fail" || end["Error"] != "IsolationFailed" ||
		!strings.Contains(fmt.Sprint(end["Cause"]), "marked failed") {
		t.Errorf("IsolationFailed %s", asJSON(end))
	}
	_, next := handle(t, mark, "DynamoDB.AmazonDynamoDBException")
	if unmarked := state(t, def, next); unmarked["Type"] != "Fail" || unmarked["Error"] != "IsolationFailed" || next == "IsolationFailed" ||
		!strings.Contains(fmt.Sprint(unmarked["Cause"]), "could not be marked failed") ||
		!strings.Contains(fmt.Sprint(unmarked["Cause"]), `status = "failed"`) {
		t.Errorf("a failed update goes to %s: %s, want a Fail state saying the record is not marked and how to mark it", next, asJSON(unmarked))
	}
	// From the EC2 steps' catchers, every path to a Fail state passes
	// MarkRunFailed (the walk stops there).
	seen := map[string]bool{}
	var queue []string
	for _, name := range ec2 {
		for _, c := range list(state(t, def, name)["Catch"]) {
			queue = append(queue, fmt.Sprint(c.(map[string]any)["Next"]))
		}
	}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] || name == "MarkRunFailed" {
			continue
		}
		seen[name] = true
		st := state(t, def, name)
		if st["Type"] == "Fail" {
			t.Errorf("an EC2 failure reaches the Fail state %s without MarkRunFailed", name)
		}
		queue = append(queue, successors(st)...)
	}
	// Nothing deletes a run record any more.
	for name, st := range def["States"].(map[string]any) {
		if r := fmt.Sprint(st.(map[string]any)["Resource"]); strings.Contains(r, "deleteItem") {
			t.Errorf("%s deletes a run record (%s)", name, r)
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

// walk interprets the Choice (IsPresent) and Pass states, and the report
// tasks (events:putEvents, its answer in $.reported beside the input),
// from start until it reaches stop or another kind of state, and returns
// that state's name and the input it would receive.
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
		case "Task":
			rp, _ := st["ResultPath"].(string)
			if !strings.HasSuffix(asJSON(st["Resource"]), `:states:::events:putEvents"`) || rp != "$.reported" {
				return name, input
			}
			out := maps.Clone(input)
			out["reported"] = map[string]any{} // PutEvents' answer, beside the input
			input = out
			name = fmt.Sprint(st["Next"])
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

// TestIsolateIAM: the state machine's role may only PutItem and UpdateItem
// on the runs table (no DeleteItem, nothing on the main table), move any instance only into the
// stack's quarantine group or a group tagged muster:quarantine=true, and
// call no EC2 action beyond the playbook's.
func TestIsolateIAM(t *testing.T) {
	s := get(t, "full")
	sm := isolateStateMachine(t, s)
	roleID := props(sm)["RoleArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
	runsID := runsTableID(t, s)
	// The PutItem and UpdateItem tasks build the table ARN from its name.
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
			if strings.HasPrefix(a, "dynamodb:") && (!slices.Contains([]string{"dynamodb:PutItem", "dynamodb:UpdateItem"}, a) ||
				!isRunsTable(list(st["Resource"]))) {
				t.Errorf("dynamodb permission beyond PutItem and UpdateItem on the runs table: %s", asJSON(st))
			}
			if a == "ec2:ModifyInstanceAttribute" {
				modify = append(modify, st)
			}
		}
	}
	for _, a := range []string{"dynamodb:PutItem", "dynamodb:UpdateItem"} {
		if !isRunsTable(slices.CompactFunc(perms[a], reflect.DeepEqual)) {
			t.Errorf("%s on %s, want the runs table only", a, asJSON(perms[a]))
		}
	}
	if res, ok := perms["dynamodb:DeleteItem"]; ok {
		t.Errorf("dynamodb:DeleteItem on %s: a run record is never deleted", asJSON(res))
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
