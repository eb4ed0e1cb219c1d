package handler

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/automation"
	"github.com/muster-sec/muster/shared/deadletter"
	"github.com/muster-sec/muster/shared/eventbus"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/incidentevent"
	"github.com/muster-sec/muster/shared/incidentevent/eventschema"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/resources"
)

// automationEnv is a moto table and bus with a responder that runs
// automation rules, and the stream records it has handled.
type automationEnv struct {
	*motoEnv
	h    *Handler
	seen map[string]bool
	log  *bytes.Buffer
}

func newAutomationEnv(t *testing.T, rules ...automation.Rule) *automationEnv {
	t.Helper()
	e := &automationEnv{motoEnv: newMotoEnv(t), seen: map[string]bool{}, log: &bytes.Buffer{}}
	for _, r := range rules {
		if err := r.Validate(nil); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.CreateAutomationRule(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	pub := eventbus.New(eventbridge.NewFromConfig(e.cfg), e.bus, eventbus.Options{})
	e.h = New(pub, e.store, deadletter.NewLog(slog.New(slog.DiscardHandler), resources.Responder.Name), Options{
		Automation: e.store, Now: func() time.Time { return t0.Add(2 * time.Hour) },
		Logger: slog.New(slog.NewJSONHandler(e.log, nil))})
	return e
}

// fresh is the stream records not handled yet.
func (e *automationEnv) fresh(t *testing.T) events.DynamoDBEvent {
	t.Helper()
	var out events.DynamoDBEvent
	for _, r := range e.streamBatch(t).Records {
		if !e.seen[r.Change.SequenceNumber] {
			e.seen[r.Change.SequenceNumber] = true
			out.Records = append(out.Records, r)
		}
	}
	return out
}

func (e *automationEnv) handle(t *testing.T, batch events.DynamoDBEvent) {
	t.Helper()
	resp, err := e.h.Handle(context.Background(), batch)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %+v, %v\n%s", resp, err, e.log)
	}
}

// state is what a test checks on the incident after the responder ran.
type state struct {
	inc      incident.Incident
	timeline []incident.TimelineEntry
	requests []incident.ResponseRequest
	hits     map[string]int64
}

func (e *automationEnv) state(t *testing.T, id string) state {
	t.Helper()
	ctx := context.Background()
	inc, err := e.store.GetIncident(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := e.store.Timeline(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := e.store.ResponseRequests(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := e.store.ListAutomationRules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hits := map[string]int64{}
	for _, r := range rules {
		hits[r.Name] = r.Hits
	}
	return state{inc: inc, timeline: tl, requests: reqs, hits: hits}
}

var crownJewels = automation.Rule{Name: "crown jewels", Order: 1,
	Triggers:   []automation.Trigger{automation.TriggerCreated},
	Conditions: automation.Conditions{SeverityAtLeast: "High", ResourceTags: map[string]string{"env": "prod"}},
	Actions: []automation.Action{
		{Type: "addTags", Tags: []string{"prod", "auto-isolated"}},
		{Type: "assign", Owner: "ir-oncall@example.com"},
		{Type: "runPlaybook", Playbook: "isolate-instance", Parameters: map[string]any{"instanceId": "{{firstInstanceId}}"}},
	}}

func TestAutomationActsOnANewIncidentOnMoto(t *testing.T) {
	e := newAutomationEnv(t, crownJewels)
	v, err := eventschema.LoadRepo()
	if err != nil {
		t.Fatal(err)
	}
	inc := newIncident("auto-a", alert.High, killchain.InitialAccess, killchain.Exfiltration)
	e.put(t, inc, true, `{}`)
	e.handle(t, e.fresh(t))

	got := e.state(t, inc.ID)
	actor := automation.Actor("crown jewels")
	if got.inc.Version != 2 || got.inc.Owner != "ir-oncall@example.com" || !slices.Equal(got.inc.Tags, []string{"prod", "auto-isolated"}) ||
		got.inc.UpdatedBy != actor {
		t.Fatalf("incident after the rule: v%d owner %q tags %v by %q", got.inc.Version, got.inc.Owner, got.inc.Tags, got.inc.UpdatedBy)
	}
	var actions []string
	for _, en := range got.timeline {
		if en.Actor == actor {
			actions = append(actions, en.Action)
		}
	}
	if !slices.Equal(actions, []string{"tags added", "owner changed", "response requested"}) {
		t.Errorf("timeline by the rule: %v", actions)
	}
	if len(got.requests) != 1 || got.requests[0].Playbook != "isolate-instance" ||
		got.requests[0].Parameters["instanceId"] != inc.Resources[0].ID || got.requests[0].RequestedBy != actor {
		t.Fatalf("requests: %+v", got.requests)
	}
	if got.hits["crown jewels"] != 1 {
		t.Errorf("hits %v, want 1", got.hits)
	}

	// The rule's own write and request are published, and fire no rule.
	e.handle(t, e.fresh(t))
	after := e.state(t, inc.ID)
	if after.inc.Version != 2 || after.hits["crown jewels"] != 1 {
		t.Errorf("the rule's own change ran rules again: v%d hits %v", after.inc.Version, after.hits)
	}
	all := e.received(t, v, "all")
	want := []string{
		incidentevent.DetailTypeCreated + " " + incidentevent.EventID(inc.ID, 1),
		incidentevent.DetailTypeResponseRequested + " " + incidentevent.ResponseEventID(inc.ID, got.requests[0].ID),
		incidentevent.DetailTypeUpdated + " " + incidentevent.EventID(inc.ID, 2),
	}
	slices.Sort(want)
	if !slices.Equal(all, want) {
		t.Errorf("events %v, want %v", all, want)
	}
	if isolate := e.received(t, v, "isolate"); len(isolate) != 1 {
		t.Errorf("isolate-instance rule got %v, want the one request", isolate)
	}

	// The playbook reports Running, then Succeeded; a late Running is
	// refused by the store and publishes nothing.
	reqID := got.requests[0].ID
	for i, st := range []incident.ResponseStatus{incident.ResponseRunning, incident.ResponseSucceeded, incident.ResponseRunning} {
		_, err := e.store.ReportResponse(context.Background(), inc.ID, reqID, func(r *incident.ResponseRequest) error {
			return r.Report(incident.ResponseReport{Status: st, Message: string(st)}, t0.Add(time.Duration(i+3)*time.Hour))
		})
		if i == 2 && !errors.Is(err, incident.ErrReportIgnored) {
			t.Fatalf("late report: %v", err)
		} else if i < 2 && err != nil {
			t.Fatal(err)
		}
	}
	e.handle(t, e.fresh(t))
	reports, details := e.receivedDetails(t, v, "all")
	want = []string{
		incidentevent.DetailTypeResponseUpdated + " " + incidentevent.ResponseUpdateEventID(inc.ID, reqID, 1),
		incidentevent.DetailTypeResponseUpdated + " " + incidentevent.ResponseUpdateEventID(inc.ID, reqID, 2),
	}
	if !slices.Equal(reports, want) {
		t.Fatalf("report events %v, want %v", reports, want)
	}
	last := details[incidentevent.ResponseUpdateEventID(inc.ID, reqID, 2)]
	if last.Report == nil || last.Report.Status != "Succeeded" || last.RequestID != reqID || last.Change.By != "playbook:isolate-instance" {
		t.Errorf("last report event %+v", last)
	}
}

func TestAutomationShadowRecordsOnlyOnMoto(t *testing.T) {
	shadow := crownJewels
	shadow.State = automation.Shadow
	e := newAutomationEnv(t, shadow)
	inc := newIncident("auto-s", alert.Critical, killchain.InitialAccess)
	e.put(t, inc, true, `{}`)
	e.handle(t, e.fresh(t))
	got := e.state(t, inc.ID)
	if got.inc.Version != 1 || got.inc.Owner != "" || len(got.inc.Tags) != 0 || len(got.requests) != 0 {
		t.Fatalf("a shadow rule changed the incident: %+v requests %v", got.inc, got.requests)
	}
	var actions []string
	for _, en := range got.timeline {
		actions = append(actions, en.Action)
	}
	if !slices.Equal(actions, []string{"shadow: tags added", "shadow: owner changed", "shadow: response requested"}) {
		t.Errorf("timeline %v", actions)
	}
	if got.hits["crown jewels"] != 1 {
		t.Errorf("hits %v, want 1", got.hits)
	}
}

func TestAutomationReplayChangesNothingOnMoto(t *testing.T) {
	shadow := crownJewels
	shadow.Name, shadow.State, shadow.Order = "shadow twin", automation.Shadow, 2
	e := newAutomationEnv(t, crownJewels, shadow)
	inc := newIncident("auto-r", alert.High, killchain.InitialAccess)
	e.put(t, inc, true, `{}`)
	batch := e.fresh(t)
	e.handle(t, batch)
	first := e.state(t, inc.ID)
	e.handle(t, batch) // Lambda retries the batch
	e.handle(t, batch)
	again := e.state(t, inc.ID)
	if again.inc.Version != first.inc.Version || len(again.timeline) != len(first.timeline) ||
		len(again.requests) != len(first.requests) || again.hits["crown jewels"] != 1 || again.hits["shadow twin"] != 1 {
		t.Errorf("a replay changed something: v%d→v%d, timeline %d→%d, requests %d→%d, hits %v",
			first.inc.Version, again.inc.Version, len(first.timeline), len(again.timeline),
			len(first.requests), len(again.requests), again.hits)
	}
}

func TestAutomationPersonsEditWinsOnMoto(t *testing.T) {
	e := newAutomationEnv(t, crownJewels)
	ctx := context.Background()
	inc := newIncident("auto-p", alert.High, killchain.InitialAccess)
	e.put(t, inc, true, `{}`)
	// A person takes the incident before the responder sees its creation.
	if _, err := e.store.PatchIncident(ctx, inc.ID, 1, func(i *incident.Incident) ([]incident.TimelineEntry, error) {
		i.Owner, i.UpdatedBy = "bob@example.com", "bob@example.com"
		return []incident.TimelineEntry{{At: t0, Actor: "bob@example.com", Action: "owner changed", To: "bob@example.com"}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	e.handle(t, e.fresh(t))
	got := e.state(t, inc.ID)
	if got.inc.Version != 2 || got.inc.Owner != "bob@example.com" || len(got.requests) != 0 || got.hits["crown jewels"] != 0 {
		t.Errorf("the rule overwrote a person's edit: v%d owner %q requests %d hits %v",
			got.inc.Version, got.inc.Owner, len(got.requests), got.hits)
	}
	if !strings.Contains(e.log.String(), "a person changed the incident since") {
		t.Errorf("log does not say why the rule was skipped:\n%s", e.log)
	}
}

func TestAutomationRunsOnTheCorrelatorsNewerVersionOnMoto(t *testing.T) {
	e := newAutomationEnv(t, crownJewels)
	inc := newIncident("auto-c", alert.High, killchain.InitialAccess)
	e.put(t, inc, true, `{}`)
	grown := next(inc, func(i *incident.Incident) { i.AlertCount, i.UpdatedBy = 3, "correlator" })
	e.put(t, grown, true, `{}`)
	e.handle(t, e.fresh(t))
	got := e.state(t, inc.ID)
	if got.inc.Version != 3 || got.inc.Owner != "ir-oncall@example.com" || got.inc.AlertCount != 3 || len(got.requests) != 1 {
		t.Errorf("want the created rule applied over the correlator's v2: v%d owner %q alerts %d requests %d",
			got.inc.Version, got.inc.Owner, got.inc.AlertCount, len(got.requests))
	}
}
