package handler_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
)

const crownJewelsRule = `{"name":"crown jewels","order":1,"triggers":["created"],
 "conditions":{"severityAtLeast":"High","resourceTags":{"env":"prod"}},
 "actions":[{"type":"addTags","tags":["prod"]},{"type":"assign","owner":"ir-oncall"},
  {"type":"runPlaybook","playbook":"isolate-instance","parameters":{"instanceId":"{{firstInstanceId}}"}}]}`

func TestAutomationRuleCRUD(t *testing.T) {
	e := newEnv(t)
	bad := []struct {
		name, body, field string
	}{
		{"no actions", `{"name":"x"}`, "actions"},
		{"unknown playbook", `{"name":"x","actions":[{"type":"runPlaybook","playbook":"nuke"}]}`, "actions[0].playbook"},
		{"bad template", `{"name":"x","actions":[{"type":"runPlaybook","playbook":"isolate-instance","parameters":{"instanceId":"{{secondInstanceId}}"}}]}`,
			"actions[0].parameters.instanceId"},
		{"bad condition", `{"name":"x","conditions":{"tactics":["Lunch"]},"actions":[{"type":"stop"}]}`, "conditions.tactics"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(call{method: "POST", path: "/automation-rules", token: writeToken, body: tc.body})
			wantStatus(t, resp, http.StatusBadRequest)
			if p := decode[map[string]any](t, resp); p["field"] != tc.field {
				t.Errorf("field %v, want %s: %s", p["field"], tc.field, resp.Body)
			}
		})
	}
	wantStatus(t, e.do(call{method: "POST", path: "/automation-rules", token: readToken, body: crownJewelsRule}), http.StatusForbidden)
	resp := e.do(call{method: "POST", path: "/automation-rules", token: writeToken, body: crownJewelsRule})
	wantStatus(t, resp, http.StatusCreated)
	e.conforms("AutomationRule", resp.Body)
	r := decode[map[string]any](t, resp)
	id := r["id"].(string)
	if r["state"] != "Enabled" || r["effectiveState"] != "Enabled" || r["createdBy"] != "writer" ||
		resp.Headers["ETag"] != `"1"` || resp.Headers["Location"] != "https://muster.example/automation-rules/"+id {
		t.Fatalf("created = %v %v", r, resp.Headers)
	}
	first := e.do(call{method: "POST", path: "/automation-rules", token: writeToken,
		body: `{"name":"first","order":0,"actions":[{"type":"stop"}]}`})
	wantStatus(t, first, http.StatusCreated)
	if items := decode[listBody](t, e.get("/automation-rules", readToken, nil)).Items; len(items) != 2 ||
		items[0]["name"] != "first" {
		t.Fatalf("list not in run order: %v", items)
	}
	path := "/automation-rules/" + id
	wantStatus(t, e.do(patch(path, "", `{"state":"Shadow"}`)), http.StatusPreconditionRequired)
	wantStatus(t, e.do(patch(path, `"2"`, `{"state":"Shadow"}`)), http.StatusPreconditionFailed)
	wantStatus(t, e.do(patch(path, `"1"`, `{"actions":[]}`)), http.StatusBadRequest)
	past := now.Add(-time.Minute).Format(time.RFC3339)
	resp = e.do(patch(path, `"1"`, `{"state":"Shadow","expiresAt":"`+past+`"}`))
	wantStatus(t, resp, http.StatusOK)
	if r := decode[map[string]any](t, resp); r["state"] != "Shadow" || r["effectiveState"] != "Disabled" ||
		r["version"].(float64) != 2 || len(r["actions"].([]any)) != 3 {
		t.Fatalf("patched = %v", r)
	}
	wantStatus(t, e.do(call{method: "DELETE", path: path, token: writeToken}), http.StatusNoContent)
	wantStatus(t, e.get(path, readToken, nil), http.StatusNotFound)
}

func TestAutomationSimulate(t *testing.T) {
	e := newEnv(t)
	f := e.fixture() // High, on a prod instance
	low := sampleAlert("low-1", now.Add(-time.Hour))
	low.Resources = []alert.Resource{{ID: "i-0fffffffffffffff0", Name: "dev-1"}}
	lowInc := e.seedIncident("inc-low", low)
	if _, err := e.store.PatchIncident(context.Background(), lowInc.ID, 1, func(i *incident.Incident) ([]incident.TimelineEntry, error) {
		i.Severity, i.Resources = alert.Low, low.Resources
		return []incident.TimelineEntry{{At: now, Actor: "test", Action: "severity changed"}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	resp := e.do(call{method: "POST", path: "/automation-rules/simulate", token: readToken,
		body: `{"rule":` + crownJewelsRule + `,"days":7}`})
	wantStatus(t, resp, http.StatusOK)
	e.conforms("AutomationSimulation", resp.Body)
	sim := decode[struct {
		Examined, Matched int
		Incidents         []struct {
			IncidentID string
			Actions    []incident.TimelineEntry
			Requests   []incident.ResponseRequest
		}
	}](t, resp)
	if sim.Examined != 2 || sim.Matched != 1 || len(sim.Incidents) != 1 || sim.Incidents[0].IncidentID != f.incidentID {
		t.Fatalf("simulation = %+v", sim)
	}
	got := sim.Incidents[0]
	if len(got.Actions) != 3 || len(got.Requests) != 1 || got.Requests[0].Parameters["instanceId"] != "i-0a1b2c3d4e5f60718" {
		t.Errorf("would do %+v, request %+v", got.Actions, got.Requests)
	}
	inc, _ := e.store.GetIncident(context.Background(), f.incidentID)
	if inc.Version != 1 || inc.Owner != "" {
		t.Errorf("a simulation changed the incident: %+v", inc)
	}
	wantStatus(t, e.do(call{method: "POST", path: "/automation-rules/simulate", token: readToken,
		body: `{"rule":` + crownJewelsRule + `,"days":31}`}), http.StatusBadRequest)
}

func TestPlaybookReports(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	e.seedIncident("inc-2", sampleAlert("other-1", now.Add(-time.Hour)))
	resp := e.do(call{method: "POST", path: "/incidents/inc-1/respond", token: writeToken,
		body: `{"playbook":"isolate-instance","parameters":{"instanceId":"i-0a1b2c3d4e5f60718"}}`})
	wantStatus(t, resp, http.StatusAccepted)
	reqID := decode[map[string]any](t, resp)["id"].(string)
	if _, err := e.store.AddResponseRequest(context.Background(), incident.ResponseRequest{IncidentID: f.incidentID,
		Playbook: "notify-oncall", RequestedBy: "writer", RequestedAt: now.Add(-2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	report := func(token, incidentID, requestID, body string) call {
		return call{method: "POST", path: "/incidents/" + incidentID + "/responses/" + requestID, token: token, body: body}
	}
	steps := []struct {
		name   string
		c      call
		status int
	}{
		{"a write token cannot report", report(writeToken, "inc-1", reqID, `{"status":"Running"}`), http.StatusForbidden},
		{"unknown request", report(respondToken, "inc-1", "nope", `{"status":"Running"}`), http.StatusNotFound},
		{"request of another incident", report(respondToken, "inc-2", reqID, `{"status":"Running"}`), http.StatusNotFound},
		{"unknown status", report(respondToken, "inc-1", reqID, `{"status":"Done"}`), http.StatusBadRequest},
		{"message too long", report(respondToken, "inc-1", reqID, `{"status":"Running","message":"`+strings.Repeat("x", 2001)+`"}`), http.StatusBadRequest},
		{"outputs too large", report(respondToken, "inc-1", reqID, `{"status":"Running","outputs":{"log":"`+strings.Repeat("x", 17<<10)+`"}}`), http.StatusBadRequest},
		{"body too large", report(respondToken, "inc-1", reqID, `{"status":"Running","message":"`+strings.Repeat("x", 70<<10)+`"}`), http.StatusRequestEntityTooLarge},
		{"running", report(respondToken, "inc-1", reqID, `{"status":"Running","message":"moving to quarantine"}`), http.StatusOK},
		{"succeeded", report(respondToken, "inc-1", reqID, `{"status":"Succeeded","message":"isolated","outputs":{"snapshotIds":["snap-0123"]},"link":"https://console.aws.amazon.com/states/home"}`), http.StatusOK},
		{"running after succeeded is ignored", report(respondToken, "inc-1", reqID, `{"status":"Running","message":"late"}`), http.StatusConflict},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) { wantStatus(t, e.do(s.c), s.status) })
	}
	resp = e.get("/incidents/inc-1", readToken, nil)
	wantStatus(t, resp, http.StatusOK)
	e.conforms("IncidentDetail", resp.Body)
	d := decode[struct {
		Responses []struct {
			RequestID, Playbook, Status, Message, Link string
			Outputs                                    map[string]any
			Reports                                    int
		}
	}](t, resp)
	byPlaybook := map[string]int{}
	for i, r := range d.Responses {
		byPlaybook[r.Playbook] = i
	}
	if len(d.Responses) != 2 {
		t.Fatalf("responses = %+v", d.Responses)
	}
	isolate, notify := d.Responses[byPlaybook["isolate-instance"]], d.Responses[byPlaybook["notify-oncall"]]
	if isolate.RequestID != reqID || isolate.Status != "Succeeded" || isolate.Message != "isolated" || isolate.Reports != 2 ||
		isolate.Outputs["snapshotIds"] == nil || isolate.Link == "" {
		t.Errorf("isolate = %+v", isolate)
	}
	if notify.Status != "NoReport" {
		t.Errorf("a request silent for 2h shows %q, want NoReport", notify.Status)
	}
}

func TestPatchIncidentTags(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	many := `["t0","t1","t2","t3","t4","t5","t6","t7","t8","t9","t10","t11","t12","t13","t14","t15","t16","t17","t18","t19","t20"]`
	for _, tc := range []struct{ name, body string }{
		{"bad character", `{"tags":["has space"]}`},
		{"too long", `{"tags":["` + strings.Repeat("x", 65) + `"]}`},
		{"too many", `{"tags":` + many + `}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(patch("/incidents/inc-1", `"1"`, tc.body))
			wantStatus(t, resp, http.StatusBadRequest)
			if p := decode[map[string]any](t, resp); p["field"] != "tags" {
				t.Errorf("field %v", p["field"])
			}
		})
	}
	resp := e.do(patch("/incidents/inc-1", `"1"`, `{"tags":["pci","team:web","pci"]}`))
	wantStatus(t, resp, http.StatusOK)
	inc, _ := e.store.GetIncident(context.Background(), "inc-1")
	if strings.Join(inc.Tags, ",") != "pci,team:web" || inc.Version != 2 {
		t.Fatalf("tags %v version %d", inc.Tags, inc.Version)
	}
	tl, _ := e.store.Timeline(context.Background(), "inc-1")
	if last := tl[len(tl)-1]; last.Action != "tags changed" || last.To != "pci, team:web" {
		t.Errorf("timeline %+v", last)
	}
	for _, tc := range []struct {
		tag  string
		want int
	}{{"pci", 1}, {"other,team:web", 1}, {"other", 0}} {
		resp := e.get("/incidents", readToken, map[string]string{"tag": tc.tag})
		wantStatus(t, resp, http.StatusOK)
		if got := len(decode[listBody](t, resp).Items); got != tc.want {
			t.Errorf("?tag=%s: %d incidents, want %d", tc.tag, got, tc.want)
		}
	}
	wantStatus(t, e.get("/incidents", readToken, map[string]string{"tag": "has space"}), http.StatusBadRequest)
	wantStatus(t, e.get("/alerts", readToken, map[string]string{"tag": "pci"}), http.StatusBadRequest)
}
