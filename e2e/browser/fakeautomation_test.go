package browser

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/automation"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/rulemeta"
)

// The fake's automation rules (docs/api.md, "Automation rules") and the
// playbook runs of inc-1: rules are checked and simulated by the real
// shared/automation, so a 400 names the field the API would name.

// addAutomationData gives the fake two rules and inc-1 two playbook runs,
// one finished and one running.
func (f *fakeAPI) addAutomationData(now time.Time) {
	hit := now.Add(-2 * time.Hour)
	for _, r := range []automation.Rule{
		{Meta: rulemeta.Meta{ID: "rule-1"}, Name: "Internal scanner", Order: 1, State: automation.Shadow, Triggers: []automation.Trigger{automation.TriggerCreated},
			Conditions: automation.Conditions{Entities: []string{"ip:10.20.0.15"}},
			Actions:    []automation.Action{{Type: automation.ActionAddTags, Tags: []string{"scanner"}}, {Type: automation.ActionStop}}},
		{Meta: rulemeta.Meta{ID: "rule-2", Hits: 4, LastHitAt: &hit}, Name: "Prod under attack", Order: 10, State: automation.Enabled,
			Triggers:   []automation.Trigger{automation.TriggerCreated, automation.TriggerAlertsAdded},
			Conditions: automation.Conditions{SeverityAtLeast: "High"},
			Actions:    []automation.Action{{Type: automation.ActionAssign, Owner: "ir-oncall@example.com"}}},
	} {
		r.Version, r.CreatedAt, r.UpdatedAt = 1, now.Add(-48*time.Hour), now.Add(-48*time.Hour)
		f.rules = append(f.rules, r)
	}
	f.inc["responses"] = []map[string]any{
		{"requestId": "req-1", "playbook": "notify-oncall", "parameters": map[string]any{"urgency": "high"}, "requestedBy": "automation:Prod under attack",
			"requestedAt": now.Add(-90 * time.Minute), "status": "Succeeded", "message": "Paged the on-call engineer",
			"link": "https://runs.example.com/notify/1", "updatedAt": now.Add(-89 * time.Minute)},
		{"requestId": "req-2", "playbook": "isolate-instance", "parameters": map[string]any{"instanceId": "i-0a1b2c3d4e5f60718"},
			"requestedBy": "analyst@example.com", "requestedAt": now.Add(-10 * time.Minute), "status": "Running",
			"message": "Quarantine security group attached", "updatedAt": now.Add(-9 * time.Minute)},
	}
}

// serveAutomation answers the automation rules' requests and the test
// control that reports on a playbook run; false leaves the request to
// ServeHTTP's switch.
func (f *fakeAPI) serveAutomation(w http.ResponseWriter, r *http.Request) bool {
	p := strings.Trim(r.URL.Path, "/")
	id, one := strings.CutPrefix(p, "automation-rules/")
	switch {
	case p == "automation-rules" && r.Method == http.MethodGet:
		rules := slices.Clone(f.rules)
		automation.Sort(rules)
		writeJSON(w, 200, map[string]any{"items": rules})
	case p == "automation-rules" && r.Method == http.MethodPost:
		f.createRule(w, r)
	case p == "automation-rules/simulate" && r.Method == http.MethodPost:
		f.simulateRule(w, r)
	case one && strings.HasPrefix(id, "touch/") && r.Method == http.MethodPost:
		// Test control: someone else edits the rule (its version moves on).
		if i := f.ruleIndex(strings.TrimPrefix(id, "touch/")); i >= 0 {
			f.rules[i].Version++
		}
		w.WriteHeader(http.StatusNoContent)
	case one:
		f.serveRule(w, r, id)
	case strings.HasPrefix(p, "test/report/") && r.Method == http.MethodPost:
		f.report(w, r, strings.TrimPrefix(p, "test/report/"))
	default:
		return false
	}
	return true
}

func (f *fakeAPI) ruleIndex(id string) int {
	return slices.IndexFunc(f.rules, func(r automation.Rule) bool { return r.ID == id })
}

// ruleProblem answers a rule's validation error as the API does: 400
// naming the field.
func ruleProblem(w http.ResponseWriter, err error) {
	var fe *alert.FieldError
	if errors.As(err, &fe) {
		fieldProblem(w, fe.Field, fe.Reason)
		return
	}
	problem(w, 400, "Bad Request", err.Error())
}

func (f *fakeAPI) createRule(w http.ResponseWriter, r *http.Request) {
	var rule automation.Rule
	if err := json.NewDecoder(r.Body).Decode(&rule); err != nil {
		problem(w, 400, "Bad Request", "the body is not a rule: "+err.Error())
		return
	}
	if err := rule.Validate(nil); err != nil {
		ruleProblem(w, err)
		return
	}
	now := time.Now().UTC()
	rule.ID, rule.Version, rule.CreatedAt, rule.UpdatedAt = fmt.Sprintf("rule-%d", len(f.rules)+1), 1, now, now
	f.rules = append(f.rules, rule)
	w.Header().Set("ETag", `"1"`)
	writeJSON(w, 201, rule)
}

func (f *fakeAPI) serveRule(w http.ResponseWriter, r *http.Request, id string) {
	i := f.ruleIndex(id)
	if i < 0 {
		problem(w, 404, "Not Found", "automation rule not found")
		return
	}
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("ETag", fmt.Sprintf(`"%d"`, f.rules[i].Version))
		writeJSON(w, 200, f.rules[i])
	case http.MethodDelete:
		f.rules = slices.Delete(f.rules, i, i+1)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPatch:
		if strings.Trim(r.Header.Get("If-Match"), `"`) != strconv.FormatInt(f.rules[i].Version, 10) {
			problem(w, 412, "Precondition Failed", "the resource changed since you read it; read it again and retry")
			return
		}
		next := f.rules[i]
		if err := json.NewDecoder(r.Body).Decode(&next); err != nil {
			problem(w, 400, "Bad Request", err.Error())
			return
		}
		if err := next.Validate(nil); err != nil {
			ruleProblem(w, err)
			return
		}
		next.ID, next.Version, next.UpdatedAt = f.rules[i].ID, f.rules[i].Version+1, time.Now().UTC()
		f.rules[i] = next
		w.Header().Set("ETag", fmt.Sprintf(`"%d"`, next.Version))
		writeJSON(w, 200, next)
	default:
		problem(w, 405, "Method Not Allowed", "method not allowed on this resource")
	}
}

// simulateRule tries the draft on the fake's incidents with the real
// evaluator, as the API does on the stored ones.
func (f *fakeAPI) simulateRule(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Rule *automation.Rule `json:"rule"`
		Days int              `json:"days"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.Rule == nil {
		fieldProblem(w, "rule", "is required")
		return
	}
	if err := b.Rule.Validate(nil); err != nil {
		ruleProblem(w, err)
		return
	}
	b.Rule.ID, b.Rule.State = "draft", automation.Enabled
	all := []automation.Trigger{automation.TriggerCreated, automation.TriggerUpdated, automation.TriggerAlertsAdded, automation.TriggerStatusChanged}
	out := map[string]any{"days": b.Days, "examined": 0, "matched": 0, "truncated": false}
	var matched []any
	for _, m := range append([]map[string]any{f.inc}, f.extra...) {
		raw, _ := json.Marshal(m)
		var inc incident.Incident
		if err := json.Unmarshal(raw, &inc); err != nil {
			problem(w, 500, "Fake failed", "incident "+fmt.Sprint(m["id"])+": "+err.Error())
			return
		}
		out["examined"] = out["examined"].(int) + 1
		res := automation.Evaluator{}.Evaluate([]automation.Rule{*b.Rule}, all, automation.Facts{Incident: inc}, time.Now())
		if len(res.Matched) == 0 {
			continue
		}
		matched = append(matched, map[string]any{"incidentId": inc.ID, "title": inc.Title, "severity": m["severity"], "status": inc.Status,
			"actions": res.Entries, "requests": res.Requests})
	}
	out["matched"], out["incidents"] = len(matched), matched
	writeJSON(w, 200, out)
}

// report is the test control standing in for a playbook's
// POST /incidents/inc-1/responses/{requestId}.
func (f *fakeAPI) report(w http.ResponseWriter, r *http.Request, reqID string) {
	var rep map[string]any
	_ = json.NewDecoder(r.Body).Decode(&rep)
	for _, q := range f.inc["responses"].([]map[string]any) {
		if q["requestId"] == reqID {
			for k, v := range rep {
				q[k] = v
			}
			q["updatedAt"] = time.Now().UTC()
			writeJSON(w, 200, q)
			return
		}
	}
	problem(w, 404, "Not Found", "no such response request")
}

// requested records a playbook request of inc-1 (POST /incidents/inc-1/respond)
// among its responses, as Requested.
func (f *fakeAPI) requested(req map[string]any) {
	list, _ := f.inc["responses"].([]map[string]any)
	f.inc["responses"] = append(list, map[string]any{"requestId": fmt.Sprintf("req-%d", len(list)+1), "playbook": req["playbook"],
		"parameters": req["parameters"], "requestedBy": "dev", "requestedAt": time.Now().UTC(), "status": "Requested"})
}
