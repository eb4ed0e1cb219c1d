package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/automation"
	"github.com/muster-sec/muster/shared/incident"
)

// AutomationStore is the automation area: rule CRUD for the API, and
// ApplyAutomation and RecordAutomationHits for the responder.
type AutomationStore interface {
	IncidentStore
	CreateAutomationRule(ctx context.Context, r automation.Rule) (automation.Rule, error)
	GetAutomationRule(ctx context.Context, id string) (automation.Rule, error)
	ListAutomationRules(ctx context.Context) ([]automation.Rule, error)
	UpdateAutomationRule(ctx context.Context, id string, version int64, change func(*automation.Rule) error) (automation.Rule, error)
	DeleteAutomationRule(ctx context.Context, id string) error
	RecordAutomationHits(ctx context.Context, ids []string, at time.Time) error
	ApplyAutomation(ctx context.Context, id string, change int64, out automation.Outcome) error
}

func init() { register("automation", RunAutomation) }

// RunAutomation runs the automation area's conformance tests.
func RunAutomation(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	base := time.Now().UTC().Truncate(time.Millisecond)
	open := func(t *testing.T) AutomationStore {
		t.Helper()
		s, ok := newStore(t).(AutomationStore)
		if !ok {
			t.Skip("store does not implement the automation area")
		}
		return s
	}
	t.Run("crud in run order with hits", func(t *testing.T) { automationCRUD(ctx, t, open(t), base) })
	t.Run("apply once per version", func(t *testing.T) { applyOnce(ctx, t, open(t), base) })
}

func automationCRUD(ctx context.Context, t *testing.T, s AutomationStore, at time.Time) {
	mk := func(name string, order int) automation.Rule {
		r := automation.Rule{Name: name, Order: order, Actions: []automation.Action{{Type: "assign", Owner: "alice"}}}
		if err := r.Validate(nil); err != nil {
			t.Fatal(err)
		}
		return r
	}
	b, err := s.CreateAutomationRule(ctx, mk("b", 2))
	if err != nil || b.ID == "" || b.Version != 1 {
		t.Fatalf("create = %+v, %v", b, err)
	}
	a, err := s.CreateAutomationRule(ctx, mk("a", 1))
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.ListAutomationRules(ctx)
	if err != nil || len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
		t.Fatalf("list = %+v, %v; want a then b", list, err)
	}
	if err := s.RecordAutomationHits(ctx, []string{a.ID, "gone"}, at); err != nil {
		t.Fatal(err)
	}
	set := func(r *automation.Rule) error { r.State = automation.Shadow; return nil }
	if _, err := s.UpdateAutomationRule(ctx, a.ID, 7, set); !errors.Is(err, incident.ErrConflict) {
		t.Fatalf("stale update: %v", err)
	}
	up, err := s.UpdateAutomationRule(ctx, a.ID, 1, set)
	if err != nil || up.Version != 2 || up.State != automation.Shadow {
		t.Fatalf("update = %+v, %v", up, err)
	}
	got, err := s.GetAutomationRule(ctx, a.ID)
	if err != nil || got.Hits != 1 || got.LastHitAt == nil || got.State != automation.Shadow {
		t.Fatalf("get = %+v, %v; want one hit kept through the update", got, err)
	}
	if err := s.DeleteAutomationRule(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAutomationRule(ctx, a.ID); !errors.Is(err, automation.ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	if err := s.DeleteAutomationRule(ctx, a.ID); !errors.Is(err, automation.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

func applyOnce(ctx context.Context, t *testing.T, s AutomationStore, at time.Time) {
	if err := s.SeedIncident(ctx, testIncident("auto1", at), nil); err != nil {
		t.Fatal(err)
	}
	inc, err := s.GetIncident(ctx, "auto1")
	if err != nil {
		t.Fatal(err)
	}
	changed := inc
	changed.Owner, changed.Tags, changed.UpdatedBy = "alice", []string{"pci"}, automation.Actor("r")
	out := automation.Outcome{Incident: changed, Changed: true,
		Entries:  []incident.TimelineEntry{{At: at, Actor: automation.Actor("r"), Action: "owner changed", To: "alice"}},
		Requests: []incident.ResponseRequest{{ID: "req1", IncidentID: "auto1", Playbook: "notify-oncall", RequestedBy: automation.Actor("r"), RequestedAt: at}}}
	stale := out
	stale.Incident.Version++
	if err := s.ApplyAutomation(ctx, "auto1", inc.Version, stale); !errors.Is(err, incident.ErrConflict) {
		t.Fatalf("apply on a version the incident is not at: %v", err)
	}
	if err := s.ApplyAutomation(ctx, "auto1", inc.Version, out); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetIncident(ctx, "auto1")
	if err != nil || got.Version != inc.Version+1 || got.Owner != "alice" || !slices.Equal(got.Tags, []string{"pci"}) {
		t.Fatalf("after apply = %+v, %v", got, err)
	}
	if err := s.ApplyAutomation(ctx, "auto1", inc.Version, out); !errors.Is(err, incident.ErrConflict) && !errors.Is(err, automation.ErrApplied) {
		t.Fatalf("replay: %v", err)
	}
	// The same change run again on the incident as it is now (a rebase
	// over the correlator's write) is refused by its mark.
	rebased := out
	rebased.Incident = got
	if err := s.ApplyAutomation(ctx, "auto1", inc.Version, rebased); !errors.Is(err, automation.ErrApplied) {
		t.Fatalf("rebased replay: %v, want ErrApplied", err)
	}
	// A run that changes nothing is guarded by its mark alone.
	shadow := automation.Outcome{Incident: got, Entries: []incident.TimelineEntry{{At: at, Actor: automation.Actor("s"), Action: "shadow: owner changed"}}}
	if err := s.ApplyAutomation(ctx, "auto1", got.Version, shadow); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyAutomation(ctx, "auto1", got.Version, shadow); !errors.Is(err, automation.ErrApplied) {
		t.Fatalf("replayed shadow run: %v, want ErrApplied", err)
	}
	tl, _ := s.Timeline(ctx, "auto1")
	reqs, _ := s.ResponseRequests(ctx, "auto1")
	if len(tl) != 2 || len(reqs) != 1 || reqs[0].ID != "req1" {
		t.Errorf("timeline %d entries, requests %+v; want 2 and req1 once", len(tl), reqs)
	}
	again, _ := s.GetIncident(ctx, "auto1")
	if again.Version != got.Version {
		t.Errorf("version %d after a shadow run, want %d", again.Version, got.Version)
	}
}
