package stack

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestIsolateReportStates: the state machine reports Running once it has
// an instance to isolate, Succeeded with the snapshot ids after the
// snapshots, Failed with the error after marking its run failed; a report
// that cannot be put goes on as if it had been.
func TestIsolateReportStates(t *testing.T) {
	def := stateMachineDefinition(t, isolateStateMachine(t, get(t, "full")))
	// Interpreted from the choice: a request with an instance id reaches
	// ReportRunning first, one without none.
	withID := map[string]any{"detail": map[string]any{"eventId": "e-1", "requestId": "r-1",
		"incident": map[string]any{"id": "inc-1"}, "parameters": map[string]any{"instanceId": "i-0a1b2c3d4e5f60718"}}}
	if last, _ := walk(t, def, "HasInstanceId", withID, "ReportRunning"); last != "ReportRunning" {
		t.Errorf("a request with an instance id reaches %s first, want ReportRunning", last)
	}
	if last, _ := walk(t, def, "HasInstanceId", map[string]any{"detail": map[string]any{}}, ""); last != "MissingInstanceId" {
		t.Errorf("a request without an instance id reaches %s, want MissingInstanceId", last)
	}
	for _, tt := range []struct {
		from, report, next, status string
		fields                     map[string]string
	}{
		{"HasInstanceId", "ReportRunning", "HasQuarantineGroup", "Running", nil},
		{"SnapshotVolumes", "ReportSucceeded", "Isolated", "Succeeded", map[string]string{
			"instanceId.$": "$.detail.parameters.instanceId", "securityGroupId.$": "$.quarantine.groupId",
			"snapshotIds.$": "$.snapshots[*].SnapshotId"}},
		{"MarkRunFailed", "ReportFailed", "IsolationFailed", "Failed", nil},
	} {
		t.Run(tt.report, func(t *testing.T) {
			if !slices.Contains(successors(state(t, def, tt.from)), tt.report) {
				t.Errorf("%s does not lead to %s: %v", tt.from, tt.report, successors(state(t, def, tt.from)))
			}
			st := state(t, def, tt.report)
			if st["Next"] != tt.next {
				t.Errorf("%s → %v, want %s", tt.report, st["Next"], tt.next)
			}
			catches := list(st["Catch"])
			if len(catches) != 1 || asMap(catches[0])["Next"] != tt.next || !reflect.DeepEqual(asMap(catches[0])["ErrorEquals"], []any{"States.ALL"}) {
				t.Errorf("a failed report must go on to %s: Catch %s", tt.next, asJSON(catches))
			}
			if st["ResultPath"] != "$.reported" {
				t.Errorf("%s ResultPath %v, want $.reported: the state's input must go on unchanged", tt.report, st["ResultPath"])
			}
			if !strings.HasSuffix(asJSON(st["Resource"]), `:states:::events:putEvents"`) {
				t.Errorf("resource %s, want the EventBridge PutEvents integration", asJSON(st["Resource"]))
			}
			entries := list(asMap(st["Parameters"])["Entries"])
			if len(entries) != 1 {
				t.Fatalf("entries %s", asJSON(entries))
			}
			e := asMap(entries[0])
			if e["Source"] != ReportSource || e["DetailType"] != ReportDetailType || !strings.Contains(asJSON(e["EventBusName"]), "Bus") {
				t.Errorf("entry %s, want %s / %s on the Muster bus", asJSON(e), ReportSource, ReportDetailType)
			}
			d := asMap(e["Detail"])
			if d["incidentId.$"] != "$.detail.incident.id" || d["requestId.$"] != "$.detail.requestId" {
				t.Errorf("detail %s does not name the incident and the request", asJSON(d))
			}
			rep := asMap(d["report"])
			if rep["status"] != tt.status {
				t.Errorf("status %v, want %s", rep["status"], tt.status)
			}
			for k, v := range tt.fields {
				if got := asMap(rep["outputs"])[k]; got != v {
					t.Errorf("outputs[%s] = %v, want %s", k, got, v)
				}
			}
		})
	}
	msg := asMap(asMap(asMap(list(asMap(state(t, def, "ReportFailed")["Parameters"])["Entries"])[0])["Detail"])["report"])["message.$"]
	if m, _ := msg.(string); !strings.Contains(m, "$.error.Error") || !strings.Contains(m, "$.error.Cause") {
		t.Errorf("the Failed report's message %v does not carry the caught error", msg)
	}
	if asMap(list(state(t, def, "MoveToQuarantineGroup")["Catch"])[0])["ResultPath"] != "$.error" {
		t.Error("the EC2 steps' catch no longer leaves the error in $.error, which the Failed report reads")
	}
}

// TestIsolateReportIAM: the state machine may put report events on the
// Muster bus and nothing else there; the rule posts them to the API with
// the respond token from Secrets Manager.
func TestIsolateReportIAM(t *testing.T) {
	s := get(t, "full")
	sm := isolateStateMachine(t, s)
	roleID := props(sm)["RoleArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
	busID := logicalID(s, s.stack.Bus)
	var puts []map[string]any
	for _, st := range roleStatements(s, roleID) {
		if slices.Contains(stringsOf(st["Action"]), "events:PutEvents") {
			puts = append(puts, st)
		}
	}
	want := map[string]any{"StringEquals": map[string]any{"events:source": ReportSource, "events:detail-type": ReportDetailType}}
	if len(puts) != 1 || !reflect.DeepEqual(puts[0]["Condition"], want) || !reflect.DeepEqual(puts[0]["Resource"], getAtt(busID, "Arn")) ||
		len(stringsOf(puts[0]["Action"])) != 1 {
		t.Errorf("events:PutEvents statements %s, want one, on the bus, limited to %s / %s", asJSON(puts), ReportSource, ReportDetailType)
	}
	var rule map[string]any
	for _, r := range resourcesOfType(s, "AWS::Events::Rule") {
		if reflect.DeepEqual(asMap(props(r)["EventPattern"])["detail-type"], []any{ReportDetailType}) {
			rule = r
		}
	}
	if rule == nil {
		t.Fatal("no rule for the playbook reports")
	}
	p := props(rule)
	if !reflect.DeepEqual(asMap(p["EventPattern"])["source"], []any{ReportSource}) || !strings.Contains(asJSON(p["EventBusName"]), busID) {
		t.Errorf("report rule %s, want source %s on the Muster bus", asJSON(p), ReportSource)
	}
	tg := asMap(list(p["Targets"])[0])
	if !reflect.DeepEqual(asMap(tg["HttpParameters"])["PathParameterValues"], []any{"$.detail.incidentId", "$.detail.requestId"}) ||
		tg["InputPath"] != "$.detail.report" || tg["DeadLetterConfig"] == nil {
		t.Errorf("report target %s: want the incident and request ids as path, the report as body, a DLQ", asJSON(tg))
	}
	dests := resourcesOfType(s, "AWS::Events::ApiDestination")
	var endpoint, conn string
	for _, d := range dests {
		if strings.Contains(asJSON(props(d)["InvocationEndpoint"]), "/incidents/*/responses/*") {
			endpoint = asJSON(props(d)["InvocationEndpoint"])
			conn = asJSON(props(d)["ConnectionArn"])
		}
	}
	if endpoint == "" || !strings.Contains(endpoint, "execute-api") {
		t.Fatalf("no API destination posting to the API's /incidents/*/responses/*: %s", asJSON(dests))
	}
	found := false
	for id, c := range resourcesOfType(s, "AWS::Events::Connection") {
		if !strings.Contains(conn, id) {
			continue
		}
		found = true
		key := asMap(asMap(props(c)["AuthParameters"])["ApiKeyAuthParameters"])
		if key["ApiKeyName"] != "Authorization" || !strings.Contains(asJSON(key["ApiKeyValue"]), "resolve:secretsmanager:"+testReportSecretARN) {
			t.Errorf("report connection %s, want the Authorization header from the report secret", asJSON(key))
		}
	}
	if !found {
		t.Errorf("the report destination's connection %s is not in the stack", conn)
	}
}
