package correlate_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/incident"
)

// correct applies one correction to mem and commits it.
func correct(t tb, e *correlate.Engine, mem *correlate.Memory, c correlate.Correction) error {
	t.Helper()
	ch, err := e.Correct(mem, c, base.Add(100*time.Hour))
	if err != nil {
		return err
	}
	if len(ch.Units) > 1 {
		t.Fatalf("a correction made %d units, want one transaction", len(ch.Units))
	}
	if err := mem.CommitAll(ch); err != nil {
		t.Fatal(err)
	}
	return nil
}

// twoIncidents: A = a1, a2 on r1; B = b1, b2 on r2; both two-step attacks.
func twoIncidents(t *testing.T) (*correlate.Engine, *correlate.Memory, map[string]string, []alert.Alert) {
	e := mustEngine(t, correlate.DefaultConfig())
	mem := correlate.NewMemory()
	batch := one(
		spec{src: "a1", stages: ia, res: []string{"r1"}},
		spec{src: "a2", at: time.Hour, stages: exe, res: []string{"r1"}},
		spec{src: "b1", at: 2 * time.Hour, stages: ia, res: []string{"r2"}},
		spec{src: "b2", at: 3 * time.Hour, stages: exe, res: []string{"r2"}},
	)
	run(t, e, mem, batch)
	if got := partition(mem, namesOf(batch)); !reflect.DeepEqual(got, []string{"a1 a2 *", "b1 b2 *"}) {
		t.Fatalf("setup: %q", got)
	}
	return e, mem, namesOf(batch), batch
}

func byName(as []alert.Alert, src string) alert.Alert {
	for _, a := range as {
		if a.SourceID == src {
			return a
		}
	}
	panic("no alert " + src)
}

func TestCorrectMerge(t *testing.T) {
	e, mem, names, _ := twoIncidents(t)
	a, b := groupOf(t, mem, "a1"), groupOf(t, mem, "b1")
	err := correct(t, e, mem, correlate.Correction{Kind: correlate.Merge, Target: a.ID(), Version: a.Version,
		Incidents: []string{b.ID()}, By: "alice", Reason: "same attacker"})
	if err != nil {
		t.Fatal(err)
	}
	g := groupOf(t, mem, "b2")
	if g.ID() != a.ID() || g.Incident.AlertCount != 4 || !g.Incident.MultiResource || len(g.Incident.Resources) != 2 {
		t.Fatalf("merged incident %s: count %d resources %v", g.ID(), g.Incident.AlertCount, g.Incident.Resources)
	}
	if old, _ := mem.Group(b.ID()); old.Incident.MergedInto != a.ID() {
		t.Errorf("mergedInto = %q", old.Incident.MergedInto)
	}
	tl := mem.Timeline(a.ID())
	if len(tl) != 1 || tl[0].Actor != "alice" || !strings.Contains(tl[0].Detail, "same attacker") {
		t.Errorf("timeline = %+v", tl)
	}
	// Merged stays merged: a scanner that turns r1's key... a later alert on
	// r2 alone joins the merged incident.
	run(t, e, mem, one(spec{src: "b3", at: 4 * time.Hour, stages: exf, res: []string{"r2"}}))
	names[idOf("b3")] = "b3"
	if got := partition(mem, names); !reflect.DeepEqual(got, []string{"a1 a2 b1 b2 b3 *"}) {
		t.Errorf("after a later alert: %q", got)
	}
}

func TestCorrectMergeRefusals(t *testing.T) {
	e, mem, _, _ := twoIncidents(t)
	a, b := groupOf(t, mem, "a1"), groupOf(t, mem, "b1")
	small := mustEngine(t, func() correlate.Config { c := correlate.DefaultConfig(); c.MaxAlertsPerIncident = 3; return c }())
	dismissed := *b
	dismissed.Incident.Status = incident.StatusDismissed
	cases := []struct {
		name string
		e    *correlate.Engine
		c    correlate.Correction
		put  *correlate.Group
		want error
	}{
		{"with itself", e, correlate.Correction{Target: a.ID(), Incidents: []string{a.ID()}}, nil, correlate.ErrRefused},
		{"unknown incident", e, correlate.Correction{Target: a.ID(), Incidents: []string{"nope"}}, nil, correlate.ErrNotFound},
		{"unknown target", e, correlate.Correction{Target: "nope", Incidents: []string{b.ID()}}, nil, correlate.ErrNotFound},
		{"stale version", e, correlate.Correction{Target: a.ID(), Version: a.Version + 7, Incidents: []string{b.ID()}}, nil, correlate.ErrStale},
		{"over the cap", small, correlate.Correction{Target: a.ID(), Incidents: []string{b.ID()}}, nil, correlate.ErrRefused},
		{"dismissed incident", e, correlate.Correction{Target: a.ID(), Incidents: []string{b.ID()}}, &dismissed, correlate.ErrRefused},
		{"more than 50", e, correlate.Correction{Target: a.ID(), Incidents: make([]string, 51)}, nil, correlate.ErrRefused},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := correlate.NewMemory()
			for _, g := range mem.Groups() {
				m.PutGroup(g)
			}
			if tc.put != nil {
				m.PutGroup(tc.put)
			}
			tc.c.Kind = correlate.Merge
			_, err := tc.e.Correct(m, tc.c, base)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestCorrectMoveAndRemove(t *testing.T) {
	e, mem, names, alerts := twoIncidents(t)
	a := groupOf(t, mem, "a1")
	// Move b1 into A: it stays there; B keeps b2 alone and dissolves.
	if err := correct(t, e, mem, correlate.Correction{Kind: correlate.Move, Target: a.ID(),
		Alerts: []alert.Alert{byName(alerts, "b1")}, By: "alice", Reason: "same host group"}); err != nil {
		t.Fatal(err)
	}
	if got := partition(mem, names); !reflect.DeepEqual(got, []string{"a1 a2 b1 *", "b2"}) {
		t.Fatalf("after the move: %q", got)
	}
	m, _ := groupOf(t, mem, "b1").Member(idOf("b1"))
	if !strings.Contains(m.Reason, "Moved here by alice") {
		t.Errorf("reason = %q", m.Reason)
	}
	// Take a2 out of A: it is alone and links nothing from now on; a later
	// alert on r1 joins A, never a2.
	a = groupOf(t, mem, "a1")
	if err := correct(t, e, mem, correlate.Correction{Kind: correlate.Remove, Target: a.ID(), Version: a.Version,
		AlertIDs: []string{idOf("a2")}, By: "bob", Reason: "benign"}); err != nil {
		t.Fatal(err)
	}
	run(t, e, mem, one(spec{src: "a3", at: 90 * time.Minute, stages: exf, res: []string{"r1"}}))
	names[idOf("a3")] = "a3"
	if got := partition(mem, names); !reflect.DeepEqual(got, []string{"a1 a3 b1 *", "a2", "b2"}) {
		t.Fatalf("after the removal and a later alert: %q", got)
	}
	// Removing an alert that is not there is not found.
	_, err := e.Correct(mem, correlate.Correction{Kind: correlate.Remove, Target: a.ID(), AlertIDs: []string{idOf("b2")}}, base)
	if !errors.Is(err, correlate.ErrNotFound) {
		t.Errorf("removing an alert not in the incident: %v", err)
	}
}

func TestCorrectCreateAndPromote(t *testing.T) {
	e := mustEngine(t, correlate.DefaultConfig())
	mem := correlate.NewMemory()
	batch := one(
		spec{src: "x", stages: pre, res: []string{"r5"}},
		spec{src: "y", at: time.Hour, stages: pre, res: []string{"r6"}},
		spec{src: "z", at: 2 * time.Hour, stages: pre, res: []string{"r7"}},
	)
	run(t, e, mem, batch)
	names := namesOf(batch)
	if err := correct(t, e, mem, correlate.Correction{Kind: correlate.Create, Alerts: []alert.Alert{byName(batch, "x"), byName(batch, "y")},
		By: "alice", Reason: "one recon campaign", Title: "Recon against the web tier", Severity: alert.High}); err != nil {
		t.Fatal(err)
	}
	g := groupOf(t, mem, "x")
	if g.Incident.Title != "Recon against the web tier" || g.Incident.Severity != alert.High || g.Incident.SeveritySetBy != "alice" {
		t.Errorf("created incident: title %q severity %s by %q", g.Incident.Title, g.Incident.Severity, g.Incident.SeveritySetBy)
	}
	// Creating it twice is refused, nothing half-written.
	if _, err := e.Correct(mem, correlate.Correction{Kind: correlate.Create, Alerts: []alert.Alert{byName(batch, "x"), byName(batch, "y")}}, base); !errors.Is(err, correlate.ErrRefused) {
		t.Errorf("second create: %v", err)
	}
	z := groupOf(t, mem, "z")
	if err := correct(t, e, mem, correlate.Correction{Kind: correlate.Promote, Target: z.ID(), By: "bob"}); err != nil {
		t.Fatal(err)
	}
	if got := partition(mem, names); !reflect.DeepEqual(got, []string{"x y *", "z *"}) {
		t.Fatalf("after create and promote: %q", got)
	}
	if _, err := e.Correct(mem, correlate.Correction{Kind: correlate.Promote, Target: z.ID()}, base); !errors.Is(err, correlate.ErrRefused) {
		t.Errorf("promoting an incident: %v", err)
	}
}

// TestPropertyPinsAreOrderIndependent: for the same alerts before a set
// of corrections (an alert taken out, an incident created from chosen
// alerts) and the same alerts after, every arrival order, batching and
// replay gives the same groups and incidents.
func TestPropertyPinsAreOrderIndependent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		alerts := genScenario(t)
		if len(alerts) < 4 {
			return
		}
		cut := rapid.IntRange(2, len(alerts)-1).Draw(t, "cut")
		early, late := alerts[:cut], alerts[cut:]
		e := mustEngine(t, propertyConfig())
		outcomeOf := func(label string) []string {
			mem := correlate.NewMemory()
			run(t, e, mem, deliveries(t, label+"early", early)...)
			applyPins(t, e, mem, early)
			run(t, e, mem, deliveries(t, label+"late", late)...)
			return outcome(mem)
		}
		want, got := outcomeOf("a"), outcomeOf("b")
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("outcome depends on delivery:\n got %q\nwant %q", got, want)
		}
	})
}

// deliveries is alerts in a drawn order, split into drawn batches, some
// delivered twice.
func deliveries(t *rapid.T, label string, alerts []alert.Alert) [][]alert.Alert {
	perm := rapid.Permutation(alerts).Draw(t, label+"order")
	var out [][]alert.Alert
	for rest := perm; len(rest) > 0; {
		k := rapid.IntRange(1, len(rest)).Draw(t, label+"batch")
		out = append(out, rest[:k])
		if rapid.Bool().Draw(t, label+"again") {
			out = append(out, rest[:k])
		}
		rest = rest[k:]
	}
	return out
}

// applyPins takes the earliest alert (by id) that shares a group out of
// it, and makes an incident of the last two alerts (by id).
func applyPins(t *rapid.T, e *correlate.Engine, mem *correlate.Memory, early []alert.Alert) {
	sorted := slices.Clone(early)
	slices.SortFunc(sorted, func(x, y alert.Alert) int { return strings.Compare(x.ID, y.ID) })
	for _, a := range sorted {
		g := groupOf(t, mem, a.SourceID)
		if len(g.Members) > 1 {
			if err := correct(t, e, mem, correlate.Correction{Kind: correlate.Remove, Target: g.ID(), AlertIDs: []string{a.ID}, By: "t"}); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	pick := sorted[len(sorted)-2:]
	if err := correct(t, e, mem, correlate.Correction{Kind: correlate.Create, Alerts: pick, By: "t"}); err != nil {
		t.Fatal(err)
	}
}
