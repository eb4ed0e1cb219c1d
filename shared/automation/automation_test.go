package automation_test

import (
	"errors"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/automation"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
)

var now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func sample() incident.Incident {
	return incident.Incident{
		ID: "inc-1", Version: 3, Title: "Security incident detected on web-1",
		Severity: alert.High, Status: incident.StatusActive, Confidence: 70,
		Resources: []alert.Resource{{ID: "i-0123456789abcdef0", Name: "web-1", Tags: map[string]string{"env": "prod", "team": "web"}}},
		Tactics:   []killchain.Stage{killchain.InitialAccess, killchain.Exfiltration},
		Entities:  []alert.Entity{{Type: alert.EntityIP, Value: "203.0.113.7"}, {Type: alert.EntityAccessKey, Value: "AKIAABCDEFGHIJKL"}},
		Sources:   []string{"guardduty"},
		Tags:      []string{"crown-jewel"},
	}
}

func TestConditionsMatch(t *testing.T) {
	types := []string{"UnauthorizedAccess:EC2/SSHBruteForce", "Exfiltration:S3/AnomalousBehavior"}
	cases := []struct {
		name string
		c    automation.Conditions
		want bool
	}{
		{"no conditions", automation.Conditions{}, true},
		{"severity at least High", automation.Conditions{SeverityAtLeast: "High"}, true},
		{"severity at least Critical", automation.Conditions{SeverityAtLeast: "critical"}, false},
		{"one of the severities", automation.Conditions{Severities: []string{"Low", "High"}}, true},
		{"none of the severities", automation.Conditions{Severities: []string{"Low"}}, false},
		{"a tactic", automation.Conditions{Tactics: []string{"Exfiltration"}}, true},
		{"no tactic", automation.Conditions{Tactics: []string{"Impact"}}, false},
		{"provider any case", automation.Conditions{Providers: []string{"GuardDuty"}}, true},
		{"other provider", automation.Conditions{Providers: []string{"falco"}}, false},
		{"alert type exact", automation.Conditions{AlertTypes: []string{"Exfiltration:S3/AnomalousBehavior"}}, true},
		{"alert type prefix", automation.Conditions{AlertTypes: []string{"UnauthorizedAccess:*"}}, true},
		{"alert type no prefix match", automation.Conditions{AlertTypes: []string{"Recon*"}}, false},
		{"alert type exact is not prefix", automation.Conditions{AlertTypes: []string{"Exfiltration"}}, false},
		{"resource", automation.Conditions{Resources: []string{"I-0123456789ABCDEF0"}}, true},
		{"other resource", automation.Conditions{Resources: []string{"i-0000000000000000"}}, false},
		{"resource tags on one resource", automation.Conditions{ResourceTags: map[string]string{"env": "prod", "team": "*"}}, true},
		{"resource tag value differs", automation.Conditions{ResourceTags: map[string]string{"env": "dev"}}, false},
		{"resource tag absent", automation.Conditions{ResourceTags: map[string]string{"owner": "*"}}, false},
		{"entity by value", automation.Conditions{Entities: []string{"203.0.113.7"}}, true},
		{"entity by type:value", automation.Conditions{Entities: []string{"accesskey:AKIAABCDEFGHIJKL"}}, true},
		{"entity of another type", automation.Conditions{Entities: []string{"host:203.0.113.7"}}, false},
		{"title contains", automation.Conditions{TitleContains: "WEB-1"}, true},
		{"title does not contain", automation.Conditions{TitleContains: "db-1"}, false},
		{"tag", automation.Conditions{Tags: []string{"pci", "crown-jewel"}}, true},
		{"no tag", automation.Conditions{Tags: []string{"pci"}}, false},
		{"confidence reached", automation.Conditions{MinConfidence: 70}, true},
		{"confidence not reached", automation.Conditions{MinConfidence: 71}, false},
		{"all hold", automation.Conditions{SeverityAtLeast: "Medium", Providers: []string{"guardduty"}, Tags: []string{"crown-jewel"}}, true},
		{"one fails", automation.Conditions{SeverityAtLeast: "Medium", Providers: []string{"falco"}, Tags: []string{"crown-jewel"}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.c.Matches(automation.Facts{Incident: sample(), AlertTypes: types})
			if got != tc.want {
				t.Errorf("Matches = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	ok := func() automation.Rule {
		return automation.Rule{Name: "r", Actions: []automation.Action{{Type: "assign", Owner: "alice"}}}
	}
	cases := []struct {
		name  string
		edit  func(*automation.Rule)
		field string // "" when valid
	}{
		{"valid", func(*automation.Rule) {}, ""},
		{"no name", func(r *automation.Rule) { r.Name = " " }, "name"},
		{"bad state", func(r *automation.Rule) { r.State = "On" }, "state"},
		{"bad trigger", func(r *automation.Rule) { r.Triggers = []automation.Trigger{"deleted"} }, "triggers[0]"},
		{"bad severity", func(r *automation.Rule) { r.Conditions.SeverityAtLeast = "Huge" }, "conditions.severityAtLeast"},
		{"bad tactic", func(r *automation.Rule) { r.Conditions.Tactics = []string{"Lunch"} }, "conditions.tactics"},
		{"confidence over 100", func(r *automation.Rule) { r.Conditions.MinConfidence = 101 }, "conditions.minConfidence"},
		{"no actions", func(r *automation.Rule) { r.Actions = nil }, "actions"},
		{"unknown action", func(r *automation.Rule) { r.Actions[0].Type = "delete" }, "actions[0].type"},
		{"assign without owner", func(r *automation.Rule) { r.Actions[0].Owner = "" }, "actions[0].owner"},
		{"bad tag", func(r *automation.Rule) {
			r.Actions = []automation.Action{{Type: "addTags", Tags: []string{"has space"}}}
		}, "actions[0].tags"},
		{"bad status", func(r *automation.Rule) { r.Actions = []automation.Action{{Type: "setStatus", Status: "Closed"}} }, "actions[0].status"},
		{"unknown playbook", func(r *automation.Rule) { r.Actions = []automation.Action{{Type: "runPlaybook", Playbook: "nuke"}} }, "actions[0].playbook"},
		{"templated instance", func(r *automation.Rule) {
			r.Actions = []automation.Action{{Type: "runPlaybook", Playbook: "isolate-instance", Parameters: map[string]any{"instanceId": "{{firstInstanceId}}"}}}
		}, ""},
		{"unknown template", func(r *automation.Rule) {
			r.Actions = []automation.Action{{Type: "runPlaybook", Playbook: "isolate-instance", Parameters: map[string]any{"instanceId": "{{secondInstanceId}}"}}}
		}, "actions[0].parameters.instanceId"},
		{"missing required parameter", func(r *automation.Rule) {
			r.Actions = []automation.Action{{Type: "runPlaybook", Playbook: "isolate-instance"}}
		}, "actions[0].parameters.instanceId"},
		{"fixed parameter broken", func(r *automation.Rule) {
			r.Actions = []automation.Action{{Type: "runPlaybook", Playbook: "isolate-instance",
				Parameters: map[string]any{"instanceId": "{{firstInstanceId}}", "quarantineSecurityGroup": "nope"}}}
		}, "actions[0].parameters.quarantineSecurityGroup"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ok()
			tc.edit(&r)
			err := r.Validate(nil)
			var fe *alert.FieldError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.field == "":
				if r.State != automation.Enabled || len(r.Triggers) != 4 {
					t.Errorf("defaults: state %q triggers %v", r.State, r.Triggers)
				}
			case !errors.Is(err, automation.ErrInvalid) || !errors.As(err, &fe):
				t.Fatalf("Validate = %v, want ErrInvalid with a field", err)
			case fe.Field != tc.field:
				t.Errorf("field %q, want %q (%v)", fe.Field, tc.field, err)
			}
		})
	}
}

func TestTriggers(t *testing.T) {
	old := sample()
	grown := old
	grown.AlertCount = old.AlertCount + 2
	resolved := old
	resolved.Status = incident.StatusResolved
	cases := []struct {
		name string
		old  *incident.Incident
		new  incident.Incident
		want []automation.Trigger
	}{
		{"created", nil, old, []automation.Trigger{"created"}},
		{"updated", &old, old, []automation.Trigger{"updated"}},
		{"alerts added", &old, grown, []automation.Trigger{"updated", "alertsAdded"}},
		{"status changed", &old, resolved, []automation.Trigger{"updated", "statusChanged"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := automation.Triggers(tc.old, tc.new)
			if len(got) != len(tc.want) {
				t.Fatalf("Triggers = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("Triggers = %v, want %v", got, tc.want)
				}
			}
		})
	}
}
