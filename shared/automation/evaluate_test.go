package automation_test

import (
	"slices"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/automation"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/rulemeta"
)

func rule(id string, order int, state automation.State, actions ...automation.Action) automation.Rule {
	return automation.Rule{Meta: rulemeta.Meta{ID: id}, Name: "rule " + id, Order: order, State: state,
		Triggers: []automation.Trigger{automation.TriggerCreated}, Actions: actions}
}

var (
	assignAlice = automation.Action{Type: "assign", Owner: "alice"}
	assignBob   = automation.Action{Type: "assign", Owner: "bob"}
	tagPCI      = automation.Action{Type: "addTags", Tags: []string{"pci"}}
	stop        = automation.Action{Type: "stop"}
	isolate     = automation.Action{Type: "runPlaybook", Playbook: "isolate-instance",
		Parameters: map[string]any{"instanceId": "{{firstInstanceId}}"}}
	disableKey = automation.Action{Type: "runPlaybook", Playbook: "disable-access-key",
		Parameters: map[string]any{"userName": "ci", "accessKeyId": "{{firstAccessKey}}"}}
	resolveFP = automation.Action{Type: "setStatus", Status: "Resolved", Classification: "FalsePositive", Comment: "known scanner"}
)

func TestEvaluate(t *testing.T) {
	past := now.Add(-time.Hour)
	expired := rule("x", 0, automation.Enabled, assignBob)
	expired.ExpiresAt = &past
	updatedOnly := rule("u", 0, automation.Enabled, assignBob)
	updatedOnly.Triggers = []automation.Trigger{automation.TriggerUpdated}
	notMatching := rule("n", 0, automation.Enabled, assignBob)
	notMatching.Conditions.Providers = []string{"falco"}
	seesEarlier := rule("s", 2, automation.Enabled, assignBob)
	seesEarlier.Conditions.Tags = []string{"pci"}
	cases := []struct {
		name     string
		rules    []automation.Rule
		owner    string
		tags     []string
		changed  bool
		actions  []string
		requests []string
		matched  []string
	}{
		{"assign and tag", []automation.Rule{rule("a", 1, automation.Enabled, assignAlice, tagPCI)},
			"alice", []string{"crown-jewel", "pci"}, true, []string{"owner changed", "tags added"}, nil, []string{"a"}},
		{"rule order decides, by Order not position",
			[]automation.Rule{rule("b", 2, automation.Enabled, assignBob), rule("a", 1, automation.Enabled, assignAlice)},
			"bob", []string{"crown-jewel"}, true, []string{"owner changed", "owner changed"}, nil, []string{"a", "b"}},
		{"stop ends the run", []automation.Rule{rule("a", 1, automation.Enabled, assignAlice, stop, tagPCI), rule("b", 2, automation.Enabled, assignBob)},
			"alice", []string{"crown-jewel"}, true, []string{"owner changed"}, nil, []string{"a"}},
		{"shadow records, changes nothing", []automation.Rule{rule("a", 1, automation.Shadow, assignAlice, tagPCI, isolate)},
			"", []string{"crown-jewel"}, false, []string{"shadow: owner changed", "shadow: tags added", "shadow: response requested"}, nil, []string{"a"}},
		{"disabled does nothing", []automation.Rule{rule("a", 1, automation.Disabled, assignAlice)}, "", []string{"crown-jewel"}, false, nil, nil, nil},
		{"expired does nothing", []automation.Rule{expired}, "", []string{"crown-jewel"}, false, nil, nil, nil},
		{"other trigger does nothing", []automation.Rule{updatedOnly}, "", []string{"crown-jewel"}, false, nil, nil, nil},
		{"unmatched does nothing", []automation.Rule{notMatching}, "", []string{"crown-jewel"}, false, nil, nil, nil},
		{"a later rule sees an earlier one's tags",
			[]automation.Rule{rule("a", 1, automation.Enabled, tagPCI), seesEarlier},
			"bob", []string{"crown-jewel", "pci"}, true, []string{"tags added", "owner changed"}, nil, []string{"a", "s"}},
		{"playbooks resolved from the incident", []automation.Rule{rule("a", 1, automation.Enabled, isolate, disableKey)},
			"", []string{"crown-jewel"}, false, []string{"response requested", "response requested"},
			[]string{"isolate-instance:i-0123456789abcdef0", "disable-access-key:AKIAABCDEFGHIJKL"}, []string{"a"}},
		{"no action repeats what is already so", []automation.Rule{rule("a", 1, automation.Enabled,
			automation.Action{Type: "addTags", Tags: []string{"crown-jewel"}}, automation.Action{Type: "setSeverity", Severity: "High"})},
			"", []string{"crown-jewel"}, false, nil, nil, []string{"a"}},
		{"set status with classification", []automation.Rule{rule("a", 1, automation.Enabled, resolveFP)},
			"", []string{"crown-jewel"}, true, []string{"status changed"}, nil, []string{"a"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := automation.Evaluator{}.Evaluate(tc.rules, []automation.Trigger{automation.TriggerCreated}, automation.Facts{Incident: sample()}, now)
			if out.Incident.Owner != tc.owner || !slices.Equal(out.Incident.Tags, tc.tags) || out.Changed != tc.changed {
				t.Errorf("owner %q tags %v changed %v, want %q %v %v", out.Incident.Owner, out.Incident.Tags, out.Changed, tc.owner, tc.tags, tc.changed)
			}
			var actions []string
			for _, e := range out.Entries {
				actions = append(actions, e.Action)
				if !automation.ByAutomation(e.Actor) || !e.At.Equal(now) {
					t.Errorf("entry %+v: want an automation actor at now", e)
				}
			}
			if !slices.Equal(actions, tc.actions) {
				t.Errorf("entries %v, want %v", actions, tc.actions)
			}
			var reqs []string
			for _, r := range out.Requests {
				for _, v := range r.Parameters {
					if s, _ := v.(string); s != "ci" {
						reqs = append(reqs, r.Playbook+":"+s)
					}
				}
			}
			if !slices.Equal(reqs, tc.requests) {
				t.Errorf("requests %v, want %v", reqs, tc.requests)
			}
			if !slices.Equal(out.Matched, tc.matched) {
				t.Errorf("matched %v, want %v", out.Matched, tc.matched)
			}
			if tc.changed && !automation.ByAutomation(out.Incident.UpdatedBy) {
				t.Errorf("UpdatedBy %q, want automation:…", out.Incident.UpdatedBy)
			}
		})
	}
}

func TestEvaluateStatusAndSkips(t *testing.T) {
	out := automation.Evaluator{}.Evaluate([]automation.Rule{rule("a", 1, automation.Enabled, resolveFP)},
		[]automation.Trigger{automation.TriggerCreated}, automation.Facts{Incident: sample()}, now)
	if out.Incident.Status != incident.StatusResolved || out.Incident.Classification != incident.FalsePositive || out.Entries[0].Detail != "known scanner" {
		t.Errorf("setStatus: %+v %+v", out.Incident, out.Entries)
	}
	noInstance := sample()
	noInstance.Resources[0].ID = "arn:aws:s3:::bucket"
	dismissed := sample()
	dismissed.Status = incident.StatusDismissed
	cases := []struct {
		name string
		inc  incident.Incident
		act  automation.Action
	}{
		{"template with no value", noInstance, isolate},
		{"transition not allowed", dismissed, resolveFP},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := automation.Evaluator{}.Evaluate([]automation.Rule{rule("a", 1, automation.Enabled, tc.act)},
				[]automation.Trigger{automation.TriggerCreated}, automation.Facts{Incident: tc.inc}, now)
			if out.Changed || len(out.Requests) != 0 || len(out.Entries) != 1 || out.Entries[0].Action != "action skipped" {
				t.Errorf("want one skipped entry and no change: %+v", out)
			}
		})
	}
}

func TestRequestIDsAreStablePerVersion(t *testing.T) {
	r := []automation.Rule{rule("a", 1, automation.Enabled, isolate)}
	inc := sample()
	first := automation.Evaluator{}.Evaluate(r, []automation.Trigger{"created"}, automation.Facts{Incident: inc}, now)
	again := automation.Evaluator{}.Evaluate(r, []automation.Trigger{"created"}, automation.Facts{Incident: inc}, now.Add(time.Minute))
	inc.Version++
	next := automation.Evaluator{}.Evaluate(r, []automation.Trigger{"created"}, automation.Facts{Incident: inc}, now)
	if first.Requests[0].ID != again.Requests[0].ID || first.Requests[0].ID == next.Requests[0].ID {
		t.Errorf("ids %s %s %s: want equal for a replay, different for another version",
			first.Requests[0].ID, again.Requests[0].ID, next.Requests[0].ID)
	}
}
