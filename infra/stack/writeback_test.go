package stack

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/muster-sec/muster/shared/resources"
)

// TestWriteBackFunction: write-back is off by default; with sources it
// deploys the function, its stream mapping (resources.WriteBack's filters,
// the failure queue it also dead-letters to) and the permissions of the
// sources enabled, and nothing more.
func TestWriteBackFunction(t *testing.T) {
	for _, v := range variants {
		if fn := get(t, v).stack.Functions[WriteBack]; fn != nil {
			t.Errorf("%s: writeback deployed without write-back sources", v)
		}
	}
	s := get(t, "writeback")
	fn := s.stack.Functions[WriteBack]
	if fn == nil {
		t.Fatal("writeback not deployed with write-back sources")
	}
	p := props(resourcesOfType(s, "AWS::Lambda::Function")[logicalID(s, fn)])
	env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
	queueID := logicalID(s, s.stack.FailureQueues["writeback-stream"])
	if env["MUSTER_WRITEBACK_SOURCES"] != "securityhub,guardduty" || !reflect.DeepEqual(env["MUSTER_WRITEBACK_DLQ_URL"], ref(queueID)) {
		t.Errorf("environment %s", asJSON(env))
	}
	m := props(resourcesOfType(s, "AWS::Lambda::EventSourceMapping")[*s.stack.Stack.GetLogicalId(s.stack.Mappings[resources.WriteBack.Name])])
	var filters []any
	for _, f := range resources.WriteBack.Filters {
		filters = append(filters, map[string]any{"Pattern": f})
	}
	if !reflect.DeepEqual(m["FilterCriteria"], map[string]any{"Filters": filters}) ||
		!reflect.DeepEqual(m["FunctionName"], getAtt(logicalID(s, fn), "Arn")) ||
		m["BatchSize"] != float64(resources.WriteBack.BatchSize) {
		t.Errorf("mapping %s", asJSON(m))
	}
	var actions []string
	for _, st := range roleStatements(s, logicalID(s, s.stack.Roles[WriteBack])) {
		actions = append(actions, stringsOf(st["Action"])...)
		switch sid := st["Sid"]; sid {
		case "SecurityHubWriteBack", "GuardDutyWriteBack":
			res := asJSON(st["Resource"])
			want := map[any]string{"SecurityHubWriteBack": ":hub/default", "GuardDutyWriteBack": ":detector/*"}[sid]
			if !containsAll(res, want, "AWS::Region", "AWS::AccountId") {
				t.Errorf("%s resource %s", sid, res)
			}
		}
	}
	slices.Sort(actions)
	want := []string{"dynamodb:DescribeStream", "dynamodb:GetItem", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
		"dynamodb:ListStreams", "guardduty:ArchiveFindings", "guardduty:UnarchiveFindings", "logs:CreateLogStream",
		"logs:PutLogEvents", "securityhub:BatchUpdateFindings", "sqs:SendMessage"}
	if !reflect.DeepEqual(slices.Compact(actions), want) {
		t.Errorf("writeback actions\n got %v\nwant %v", slices.Compact(actions), want)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func TestWriteBackSourcesFromContext(t *testing.T) {
	tests := []struct {
		name    string
		v       any
		want    []string
		wantErr bool
	}{
		{"string", "securityhub, GuardDuty", []string{"securityhub", "guardduty"}, false},
		{"json list", []any{"guardduty"}, []string{"guardduty"}, false},
		{"unknown source", "falco", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := FromContext(func(k string) any {
				if k == CtxWriteBackSources {
					return tc.v
				}
				return nil
			})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && !reflect.DeepEqual(p.WriteBackSources, tc.want) {
				t.Errorf("WriteBackSources = %v, want %v", p.WriteBackSources, tc.want)
			}
		})
	}
}
