package correlate_test

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/killchain"
)

var base = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

// spec describes a test alert briefly.
type spec struct {
	src      string // source id; the alert id derives from it
	at       time.Duration
	stages   []killchain.Stage
	res      []string // "id" or "id=name"
	resType  string
	ents     []alert.Entity
	sev      alert.Severity
	provider string
	name     string
	typ      string // the detection type; "Test:<src>" when empty
	incident bool   // SourceIncident
	supp     string
}

func ip(v string) alert.Entity   { return alert.Entity{Type: alert.EntityIP, Value: v} }
func host(v string) alert.Entity { return alert.Entity{Type: alert.EntityHost, Value: v} }

func mk(s spec) alert.Alert {
	p := s.provider
	if p == "" {
		p = alert.ProviderGeneric
	}
	sev := s.sev
	if sev == 0 {
		sev = alert.Medium
	}
	name := s.name
	if name == "" {
		name = "Alert " + s.src
	}
	typ := s.typ
	if typ == "" {
		typ = "Test:" + s.src
	}
	a := alert.Alert{Provider: p, SourceID: s.src, Type: typ, Name: name, Severity: sev,
		Tactics: s.stages, FirstSeen: base.Add(s.at), SourceIncident: s.incident, SuppressedBy: s.supp}
	for _, r := range s.res {
		id, n, _ := strings.Cut(r, "=")
		a.Resources = append(a.Resources, alert.Resource{ID: id, Name: n, Type: s.resType})
	}
	a.Entities = append(a.Entities, s.ents...)
	a.Finish("", base.Add(s.at))
	return a
}

func idOf(src string) string { return alert.ID(alert.ProviderGeneric, src) }

// tb is what the helpers need from *testing.T, *testing.B and *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

func mustEngine(t tb, cfg correlate.Config) *correlate.Engine {
	t.Helper()
	e, err := correlate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// run applies batches in order to mem, committing every unit.
func run(t tb, e *correlate.Engine, mem *correlate.Memory, batches ...[]alert.Alert) []*correlate.Changes {
	t.Helper()
	var out []*correlate.Changes
	for i, b := range batches {
		ch, err := e.Apply(mem, b, base.Add(72*time.Hour+time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		checkUnits(t, ch)
		if err := mem.CommitAll(ch); err != nil {
			t.Fatal(err)
		}
		out = append(out, ch)
	}
	return out
}

func one(specs ...spec) []alert.Alert {
	out := make([]alert.Alert, len(specs))
	for i, s := range specs {
		out[i] = mk(s)
	}
	return out
}

// each puts every alert in its own batch.
func each(specs ...spec) [][]alert.Alert {
	out := make([][]alert.Alert, len(specs))
	for i, s := range specs {
		out[i] = []alert.Alert{mk(s)}
	}
	return out
}

// live returns the groups that still grow (not merged), keyed by the
// sorted source ids of their members.
func live(mem *correlate.Memory) []*correlate.Group {
	var out []*correlate.Group
	for _, g := range mem.Groups() {
		if g.Live() {
			out = append(out, g)
		}
	}
	return out
}

// groupOf returns the live group holding the alert with source id src.
func groupOf(t tb, mem *correlate.Memory, src string) *correlate.Group {
	t.Helper()
	for _, g := range live(mem) {
		if _, ok := g.Member(idOf(src)); ok {
			return g
		}
	}
	t.Fatalf("alert %s is in no live group", src)
	return nil
}

// partition describes the live groups as sorted lists of source ids, with
// a "*" suffix on incidents: "a b*" style strings, sorted.
func partition(mem *correlate.Memory, names map[string]string) []string {
	var out []string
	for _, g := range live(mem) {
		var ms []string
		for _, id := range g.MemberIDs() {
			ms = append(ms, names[id])
		}
		sort.Strings(ms)
		s := strings.Join(ms, " ")
		if g.IsIncident {
			s += " *"
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func namesOf(alerts ...[]alert.Alert) map[string]string {
	m := map[string]string{}
	for _, b := range alerts {
		for _, a := range b {
			m[a.ID] = a.SourceID
		}
	}
	return m
}

// checkUnits asserts the shape Apply promises: units ordered by their
// first alert id, each unit's alerts sorted, and no record (key-day or
// group) in two units.
func checkUnits(t tb, ch *correlate.Changes) {
	t.Helper()
	records := map[string]int{}
	for i, u := range ch.Units {
		if !slices.IsSorted(u.Alerts) {
			t.Fatalf("unit %d alerts not sorted: %v", i, u.Alerts)
		}
		if i > 0 && len(u.Alerts) > 0 && len(ch.Units[i-1].Alerts) > 0 && ch.Units[i-1].Alerts[0] >= u.Alerts[0] {
			t.Fatalf("units out of order: %v before %v", ch.Units[i-1].Alerts, u.Alerts)
		}
		for _, kd := range u.KeyDays {
			claim(t, records, "key-day "+string(kd.Key)+" "+kd.Day, i)
		}
		for _, c := range u.Checks {
			claim(t, records, "key-day "+string(c.ID.Key)+" "+c.ID.Day, i)
		}
		for _, g := range u.Groups {
			claim(t, records, "group "+g.ID(), i)
		}
	}
}

func claim(t tb, records map[string]int, rec string, unit int) {
	t.Helper()
	if other, ok := records[rec]; ok && other != unit {
		t.Fatalf("%s in units %d and %d", rec, other, unit)
	}
	records[rec] = unit
}
