package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
)

func init() { register("correlation", runCorrelation) }

func correlationStore(t *testing.T, newStore func(t *testing.T) Store) correlate.Store {
	t.Helper()
	st, ok := newStore(t).(correlate.Store)
	if !ok {
		t.Fatalf("%T does not implement correlate.Store", st)
	}
	return st
}

var corrDay = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

// corrKeyDayID is the key-day the record tests write and read.
var corrKeyDayID = correlate.KeyDayID{Key: "res:web-1", Day: "2026-11-20"}

func corrAlert(src string, at time.Duration, stage killchain.Stage, res string, ents ...alert.Entity) alert.Alert {
	a := alert.Alert{Provider: alert.ProviderGeneric, SourceID: src, Type: "Test", Name: "Alert " + src,
		Severity: alert.High, Tactics: []killchain.Stage{stage}, FirstSeen: corrDay.Add(at),
		Resources: []alert.Resource{{ID: res, Name: res, Tags: map[string]string{"env": "prod"}}}, Entities: ents}
	a.Finish("", corrDay.Add(at))
	return a
}

// runCorrelation runs the correlation-state tests.
func runCorrelation(t *testing.T, newStore func(t *testing.T) Store) {
	runSubtests(t, newStore, []subtest{
		{"loading absent records returns nothing", correlationLoadAbsent},
		{"commit then load round-trips records", correlationRoundTrip},
		{"a stale version conflicts and writes nothing", correlationStaleVersion},
		{"noisy keys are listed newest first", correlationNoisyKeys},
		{"service correlates a campaign and a replay changes nothing", correlationServiceReplay},
		{"assigning sets the stored alert's incident, idempotently", correlationAssign},
		{"an analyst's patch keeps the correlation state", correlationPatchKeepsState},
		{"assigning alerts that are not stored is a no-op", correlationAssignMissing},
	})
}

// correlationLoadAbsent: loading absent records returns nothing.
func correlationLoadAbsent(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	st := correlationStore(t, newStore)
	kds, err := st.LoadKeyDays(ctx, []correlate.KeyDayID{corrKeyDayID})
	if err != nil || len(kds) != 0 {
		t.Fatalf("LoadKeyDays = %v, %v", kds, err)
	}
	gs, err := st.LoadGroups(ctx, []string{"nope"})
	if err != nil || len(gs) != 0 {
		t.Fatalf("LoadGroups = %v, %v", gs, err)
	}
}

// correlationRoundTrip: commit then load round-trips records.
func correlationRoundTrip(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	st := correlationStore(t, newStore)
	kd := &correlate.KeyDay{Key: corrKeyDayID.Key, Day: corrKeyDayID.Day, Version: 1, Entries: correlate.NewEntries(map[string]correlate.Entry{
		"a1": {FirstSeen: corrDay, Group: "g1", Name: "Alert a1", Resources: []string{"web-1"}},
	})}
	g := &correlate.Group{Version: 1, IsIncident: true, Forced: true,
		Incident: incident.Incident{ID: "g1", Title: "Security incident detected on web-1", Severity: alert.High,
			Status: incident.StatusActive, FirstActivity: corrDay, LastActivity: corrDay, CreatedAt: corrDay, UpdatedAt: corrDay,
			Resources: []alert.Resource{{ID: "web-1", Tags: map[string]string{"env": "prod"}}},
			Tactics:   []killchain.Stage{killchain.PreAttack}, Sources: []string{"generic"}, AlertCount: 1},
		Members: []correlate.Member{{Membership: incident.Membership{AlertID: "a1", Stage: killchain.PreAttack,
			JoinedAt: corrDay, Reason: "Started the incident"}, Provider: "generic", Severity: alert.High,
			Stages: killchain.NewSet(killchain.PreAttack), FirstSeen: corrDay, LastSeen: corrDay}}}
	u := &correlate.Unit{KeyDays: []*correlate.KeyDay{kd}, Groups: []*correlate.Group{g},
		Checks: []correlate.KeyDayCheck{{ID: correlate.KeyDayID{Key: "res:web-1", Day: "2026-11-21"}}}}
	if err := st.Commit(ctx, u); err != nil {
		t.Fatal(err)
	}
	kds, err := st.LoadKeyDays(ctx, []correlate.KeyDayID{corrKeyDayID})
	if err != nil {
		t.Fatal(err)
	}
	if got := kds[corrKeyDayID]; got == nil || got.Version != 1 || !reflect.DeepEqual(got.Entries, kd.Entries) {
		t.Fatalf("key-day = %+v, want %+v", got, kd)
	}
	gs, err := st.LoadGroups(ctx, []string{"g1"})
	if err != nil {
		t.Fatal(err)
	}
	got := gs["g1"]
	if got == nil || got.Version != 1 || !got.IsIncident || !got.Forced || got.Incident.Title != g.Incident.Title ||
		!reflect.DeepEqual(got.Members, g.Members) || !reflect.DeepEqual(got.Incident.Resources, g.Incident.Resources) {
		t.Fatalf("group = %+v, want %+v", got, g)
	}
}

// correlationStaleVersion: a stale version conflicts and writes nothing.
func correlationStaleVersion(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	st := correlationStore(t, newStore)
	g := &correlate.Group{Version: 1, Incident: incident.Incident{ID: "g1", Status: incident.StatusActive, Severity: alert.Low}}
	if err := st.Commit(ctx, &correlate.Unit{Groups: []*correlate.Group{g}}); err != nil {
		t.Fatal(err)
	}
	// Creating it again (expects absence) and a check on a record that
	// now exists both conflict; the new key-day in the same unit is not
	// written.
	kd := &correlate.KeyDay{Key: corrKeyDayID.Key, Day: corrKeyDayID.Day, Version: 1}
	other := correlate.KeyDayID{Key: "res:web-2", Day: corrKeyDayID.Day}
	units := []*correlate.Unit{
		{KeyDays: []*correlate.KeyDay{kd}, Groups: []*correlate.Group{g}},
		{KeyDays: []*correlate.KeyDay{kd}, Checks: []correlate.KeyDayCheck{{ID: other, Version: 3}}},
	}
	for i, u := range units {
		if err := st.Commit(ctx, u); !errors.Is(err, correlate.ErrConflict) {
			t.Fatalf("unit %d: err = %v, want ErrConflict", i, err)
		}
	}
	kds, _ := st.LoadKeyDays(ctx, []correlate.KeyDayID{corrKeyDayID})
	if len(kds) != 0 {
		t.Fatalf("a failed commit wrote %v", kds)
	}
	g2 := *g
	g2.Version = 2
	if err := st.Commit(ctx, &correlate.Unit{Groups: []*correlate.Group{&g2}}); err != nil {
		t.Fatalf("update at the right version: %v", err)
	}
}

// correlationNoisyKeys: noisy keys are listed newest first.
func correlationNoisyKeys(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	st := correlationStore(t, newStore)
	var kds []*correlate.KeyDay
	for i, k := range []alert.Key{"ip:198.51.100.1", "ip:198.51.100.2", "ip:198.51.100.3"} {
		kds = append(kds, &correlate.KeyDay{Key: k, Day: "2026-11-20", Version: 1, Noisy: true,
			NoisySince: corrDay.Add(time.Duration(i) * time.Hour), NoisyResources: 6 + i, NoisySample: []string{"web-1", fmt.Sprint("web-", 2+i)}})
	}
	kds = append(kds, &correlate.KeyDay{Key: "ip:198.51.100.9", Day: "2026-11-20", Version: 1})
	if err := st.Commit(ctx, &correlate.Unit{KeyDays: kds}); err != nil {
		t.Fatal(err)
	}
	got, err := st.NoisyKeys(ctx, corrDay.Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	var keys []alert.Key
	for _, n := range got {
		keys = append(keys, n.Key)
	}
	if want := []alert.Key{"ip:198.51.100.3", "ip:198.51.100.2"}; !reflect.DeepEqual(keys, want) {
		t.Fatalf("noisy keys = %v, want %v", keys, want)
	}
	if n := got[0]; n.Resources != 8 || !reflect.DeepEqual(n.Sample, []string{"web-1", "web-4"}) {
		t.Fatalf("noisy key %s lists %d resources %v, want 8 [web-1 web-4]", n.Key, n.Resources, n.Sample)
	}
	if got, _ := st.NoisyKeys(ctx, corrDay, 1); len(got) != 1 || got[0].Key != "ip:198.51.100.3" {
		t.Fatalf("limit 1 = %v", got)
	}
}

// correlationServiceReplay: service correlates a campaign and a replay changes nothing.
func correlationServiceReplay(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	st := correlationStore(t, newStore)
	e, err := correlate.New(correlate.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	svc := correlate.NewService(e, st, correlate.ServiceOptions{Now: func() time.Time { return corrDay.Add(48 * time.Hour) }})
	attacker := alert.Entity{Type: alert.EntityIP, Value: "203.0.113.66"}
	batch := []alert.Alert{
		corrAlert("p1", 0, killchain.PreAttack, "web-1", attacker),
		corrAlert("p2", time.Hour, killchain.InitialAccess, "web-1"),
		corrAlert("p3", 2*time.Hour, killchain.Execution, "web-2", attacker),
		corrAlert("n1", time.Hour, killchain.Discovery, "other"),
	}
	res := svc.Correlate(ctx, batch[:2])
	res2 := svc.Correlate(ctx, batch[2:])
	if len(res.Failed)+len(res2.Failed) != 0 {
		t.Fatalf("failed: %v %v", res.Failed, res2.Failed)
	}
	id := correlate.GroupIDFor(batch[0].ID)
	gs, err := st.LoadGroups(ctx, []string{id, correlate.GroupIDFor(batch[3].ID)})
	if err != nil {
		t.Fatal(err)
	}
	g := gs[id]
	if g == nil || !g.IsIncident || len(g.Members) != 3 || g.Incident.Title != "Security incident detected on multiple resources" {
		t.Fatalf("incident = %+v", g)
	}
	if n := gs[correlate.GroupIDFor(batch[3].ID)]; n == nil || n.IsIncident {
		t.Fatalf("noise group = %+v", n)
	}
	again := svc.Correlate(ctx, batch)
	if len(again.Failed) != 0 || again.KeyDays != 0 || again.Groups != 0 {
		t.Fatalf("replay wrote records: %+v", again)
	}
	gs, _ = st.LoadGroups(ctx, []string{id})
	if gs[id].Version != g.Version {
		t.Fatalf("replay changed the version: %d → %d", g.Version, gs[id].Version)
	}
}

// correlationAssign: assigning sets the stored alert's incident, idempotently.
func correlationAssign(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	raw := newStore(t)
	st, ok := raw.(correlate.Store)
	as, ok2 := raw.(AlertStore)
	if !ok || !ok2 {
		t.Skip("store does not keep alerts")
	}
	a := corrAlert("assign-1", 0, killchain.PreAttack, "web-1")
	if _, err := as.PutAlert(ctx, &a); err != nil {
		t.Fatal(err)
	}
	asg := []correlate.Assignment{{AlertID: a.ID, IncidentID: "g1", FirstSeen: a.FirstSeen,
		Membership: incident.Membership{AlertID: a.ID, Reason: "Started the incident"}}}
	for i := 0; i < 2; i++ {
		if err := st.Assign(ctx, asg); err != nil {
			t.Fatal(err)
		}
	}
	got, err := as.GetAlert(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.IncidentID != "g1" {
		t.Fatalf("incidentId = %q, want g1", got.IncidentID)
	}
	got.IncidentID = ""
	if got.Name != a.Name || !got.FirstSeen.Equal(a.FirstSeen) {
		t.Fatalf("assignment changed the alert: %+v", got)
	}
	// An empty assignment clears it (the alert left the incident).
	for i := 0; i < 2; i++ {
		if err := st.Assign(ctx, []correlate.Assignment{{AlertID: a.ID}}); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := as.GetAlert(ctx, a.ID); err != nil || got.IncidentID != "" || got.Name != a.Name {
		t.Fatalf("after clearing: incidentId = %q, name = %q, err = %v", got.IncidentID, got.Name, err)
	}
}

// correlationPatchKeepsState: an analyst's patch keeps the correlation state.
func correlationPatchKeepsState(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	raw := newStore(t)
	st := raw.(correlate.Store)
	p, ok := raw.(interface {
		PatchIncident(ctx context.Context, id string, version int64, change func(*incident.Incident) ([]incident.TimelineEntry, error)) (incident.Incident, error)
	})
	if !ok {
		t.Skip("store has no incident patch")
	}
	m := correlate.Member{Membership: incident.Membership{AlertID: "a1", Stage: killchain.Exfiltration, JoinedAt: corrDay, Reason: "Started the incident"},
		Provider: "guardduty", Severity: alert.High, Stages: killchain.NewSet(killchain.Exfiltration), FirstSeen: corrDay, LastSeen: corrDay}
	g := &correlate.Group{Version: 1, IsIncident: true, Forced: true, Members: []correlate.Member{m},
		Incident: incident.Incident{ID: "g1", Title: "t", Severity: alert.High, Status: incident.StatusActive,
			FirstActivity: corrDay, LastActivity: corrDay, CreatedAt: corrDay, UpdatedAt: corrDay}}
	if err := st.Commit(ctx, &correlate.Unit{Groups: []*correlate.Group{g}}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.PatchIncident(ctx, "g1", 1, func(inc *incident.Incident) ([]incident.TimelineEntry, error) {
		inc.Owner = "alice"
		return []incident.TimelineEntry{{Actor: "alice", Action: "assigned"}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	gs, err := st.LoadGroups(ctx, []string{"g1"})
	if err != nil {
		t.Fatal(err)
	}
	got := gs["g1"]
	if got == nil || got.Version != 2 || got.Incident.Owner != "alice" || !got.Forced ||
		!reflect.DeepEqual(got.Members, g.Members) {
		t.Fatalf("after the patch: %+v", got)
	}
}

// correlationAssignMissing: assigning alerts that are not stored is a no-op.
func correlationAssignMissing(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	st := correlationStore(t, newStore)
	err := st.Assign(ctx, []correlate.Assignment{{AlertID: "missing", IncidentID: "g1", FirstSeen: corrDay}})
	if err != nil {
		t.Fatal(err)
	}
}

// RunCorrelation runs only the correlation-state tests.
func RunCorrelation(t *testing.T, newStore func(t *testing.T) Store) {
	t.Helper()
	runCorrelation(t, newStore)
}
