package correlate_test

import (
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/incident"
)

// personChanges changes the live group holding each src as a person does
// through the API (PATCH): the incident's UpdatedBy names the person and
// the version moves on.
func personChanges(edit func(*incident.Incident), srcs ...string) func(*testing.T, *correlate.Memory) {
	return func(t *testing.T, mem *correlate.Memory) {
		t.Helper()
		for _, src := range srcs {
			g := *groupOf(t, mem, src)
			if edit != nil {
				edit(&g.Incident)
			}
			g.Incident.UpdatedBy = "alice"
			g.Version++
			g.Incident.Version = g.Version
			mem.PutGroup(&g)
		}
	}
}

// Every change the correlator makes to an incident a person changed before
// records the correlator as UpdatedBy (and so as the event's change.by);
// a re-delivery that changes nothing leaves the person's name.
func TestCorrelatorChangesRecordTheCorrelator(t *testing.T) {
	resolve := func(inc *incident.Incident) { inc.Status = incident.StatusResolved }
	owner := func(inc *incident.Incident) { inc.Owner = "alice" }
	pair := func(a, b string, at time.Duration, res string) []spec {
		return []spec{
			{src: a, at: at, stages: pre, res: []string{res}},
			{src: b, at: at + time.Hour, stages: ia, res: []string{res}},
		}
	}
	redelivery := func(s spec, change func(*alert.Alert)) func(*testing.T, *correlate.Memory) []alert.Alert {
		return func(t *testing.T, mem *correlate.Memory) []alert.Alert {
			a := mk(s)
			a.IncidentID = groupOf(t, mem, s.src).ID() // as the stored alert carries it
			if change != nil {
				change(&a)
			}
			return []alert.Alert{a}
		}
	}
	cases := []struct {
		name   string
		cap    int
		setup  []spec
		person func(*testing.T, *correlate.Memory)
		// next is the batch the correlator applies after the person's change.
		next func(*testing.T, *correlate.Memory) []alert.Alert
		// watch names alerts whose groups (as they were before next, then
		// as they are after) must have wantBy, whether live or merged.
		watch  []string
		wantBy string
		check  func(t *testing.T, before, after map[string]*correlate.Group)
	}{
		{
			name:   "a new alert joins",
			setup:  pair("a", "b", 0, "r1"),
			person: personChanges(owner, "a"),
			next:   fixed(spec{src: "c", at: 2 * time.Hour, stages: exe, res: []string{"r1"}}),
			watch:  []string{"a"}, wantBy: correlate.Actor,
		},
		{
			name:   "a severity rise",
			setup:  pair("a", "b", 0, "r1"),
			person: personChanges(owner, "a"),
			next:   fixed(spec{src: "c", at: 2 * time.Hour, stages: pre, res: []string{"r1"}, sev: alert.Critical}),
			watch:  []string{"a"}, wantBy: correlate.Actor,
			check: func(t *testing.T, before, after map[string]*correlate.Group) {
				if after["a"].Incident.Severity != alert.Critical {
					t.Errorf("severity = %s, want Critical", after["a"].Incident.Severity)
				}
			},
		},
		{
			name:   "two incidents merge",
			setup:  append(pair("a", "b", 0, "r1"), pair("c", "d", 0, "r2")...),
			person: personChanges(owner, "a", "c"),
			next:   fixed(spec{src: "x", at: 3 * time.Hour, stages: exe, res: []string{"r1", "r2"}}),
			watch:  []string{"a", "c"}, wantBy: correlate.Actor,
			check: func(t *testing.T, before, after map[string]*correlate.Group) {
				if after["a"].Incident.MergedInto == "" && after["c"].Incident.MergedInto == "" {
					t.Error("nothing merged")
				}
			},
		},
		{
			name:   "a resolved incident reopens",
			setup:  pair("a", "b", 0, "r1"),
			person: personChanges(resolve, "a"),
			next:   fixed(spec{src: "c", at: 6 * time.Hour, stages: exe, res: []string{"r1"}}),
			watch:  []string{"a"}, wantBy: correlate.Actor,
			check: func(t *testing.T, before, after map[string]*correlate.Group) {
				if after["a"].Incident.Status != incident.StatusActive {
					t.Errorf("status = %s, want Active", after["a"].Incident.Status)
				}
			},
		},
		{
			name:   "a full incident opens a continuation",
			cap:    2,
			setup:  pair("a", "b", 0, "r1"),
			person: personChanges(owner, "a"),
			next:   fixed(spec{src: "c", at: 2 * time.Hour, stages: exe, res: []string{"r1"}}),
			watch:  []string{"a"}, wantBy: correlate.Actor,
			check: func(t *testing.T, before, after map[string]*correlate.Group) {
				if after["a"].Incident.ContinuedIn == "" {
					t.Error("no continuation")
				}
			},
		},
		{
			name:   "a re-delivery refreshes the incident",
			setup:  pair("a", "b", 0, "r1"),
			person: personChanges(owner, "a"),
			next: redelivery(spec{src: "a", stages: pre, res: []string{"r1"}}, func(a *alert.Alert) {
				a.LastSeen, a.Count = base.Add(5*time.Hour), 7
			}),
			watch: []string{"a"}, wantBy: correlate.Actor,
			check: func(t *testing.T, before, after map[string]*correlate.Group) {
				if !after["a"].Incident.LastActivity.Equal(base.Add(5 * time.Hour)) {
					t.Errorf("lastActivity = %s", after["a"].Incident.LastActivity)
				}
			},
		},
		{
			name:  "a re-delivery with a new key merges two incidents",
			setup: append(pair("a", "b", 0, "r1"), pair("c", "d", 0, "r2")...),
			// Both edited; c's incident resolved, so the merge also reopens.
			person: func(t *testing.T, mem *correlate.Memory) {
				personChanges(owner, "a")(t, mem)
				personChanges(resolve, "c")(t, mem)
			},
			next: redelivery(spec{src: "a", stages: pre, res: []string{"r1"}}, func(a *alert.Alert) {
				a.Resources = append(a.Resources, alert.Resource{ID: "r2"})
			}),
			watch: []string{"a", "c"}, wantBy: correlate.Actor,
			check: func(t *testing.T, before, after map[string]*correlate.Group) {
				if after["a"].Incident.MergedInto == "" && after["c"].Incident.MergedInto == "" {
					t.Error("nothing merged")
				}
			},
		},
		{
			name:   "a re-delivery that changes nothing",
			setup:  pair("a", "b", 0, "r1"),
			person: personChanges(owner, "a"),
			next:   redelivery(spec{src: "a", stages: pre, res: []string{"r1"}}, nil),
			watch:  []string{"a"}, wantBy: "alice",
			check: func(t *testing.T, before, after map[string]*correlate.Group) {
				if after["a"].Version != before["a"].Version {
					t.Errorf("version %d → %d: the incident was rewritten", before["a"].Version, after["a"].Version)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := correlate.DefaultConfig()
			if tc.cap > 0 {
				cfg.MaxAlertsPerIncident = tc.cap
			}
			e := mustEngine(t, cfg)
			mem := correlate.NewMemory()
			run(t, e, mem, one(tc.setup...))
			tc.person(t, mem)
			before := map[string]*correlate.Group{}
			for _, src := range tc.watch {
				g := groupOf(t, mem, src)
				if g.Incident.UpdatedBy != "alice" {
					t.Fatalf("setup: %s's incident updatedBy = %q", src, g.Incident.UpdatedBy)
				}
				before[src] = g
			}
			next := tc.next(t, mem)
			run(t, e, mem, next)
			after := map[string]*correlate.Group{}
			for src, b := range before {
				g, err := mem.Group(b.ID())
				if err != nil {
					t.Fatal(err)
				}
				after[src] = g
				if g.Incident.UpdatedBy != tc.wantBy {
					t.Errorf("%s's incident updatedBy = %q, want %q", src, g.Incident.UpdatedBy, tc.wantBy)
				}
			}
			// Wherever the alerts live now (a survivor, a continuation)
			// the last writer is the correlator unless nothing changed.
			for _, a := range next {
				if g := groupOf(t, mem, a.SourceID); g.Incident.UpdatedBy != tc.wantBy {
					t.Errorf("live incident of %s: updatedBy = %q, want %q", a.SourceID, g.Incident.UpdatedBy, tc.wantBy)
				}
			}
			if tc.check != nil {
				tc.check(t, before, after)
			}
		})
	}
}

// fixed is a next batch that does not depend on the stored state.
func fixed(specs ...spec) func(*testing.T, *correlate.Memory) []alert.Alert {
	return func(*testing.T, *correlate.Memory) []alert.Alert { return one(specs...) }
}
