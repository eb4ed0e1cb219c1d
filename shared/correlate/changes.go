package correlate

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
)

// Changes is the outcome of applying one batch: what to write, split into
// independent units (no record appears in two units), plus a summary.
type Changes struct {
	Units []Unit
	// Created, Merged, Reopened, Promoted and Dissolved list group ids
	// that were created, merged into another, reopened, became incidents,
	// or stopped being incidents (a noisy key undid their links).
	Created, Merged, Reopened, Promoted, Dissolved []string
	// NoisyKeys lists keys that turned noisy in this batch.
	NoisyKeys []alert.Key
	// Skipped lists alerts that take no part in correlation (suppressed).
	Skipped []string
}

// Empty reports whether nothing needs writing.
func (c *Changes) Empty() bool { return len(c.Units) == 0 }

// Unit is a set of record changes that must commit together: the key-day
// records and groups touched by a set of batch alerts, the unchanged
// key-day records their decisions read (to check they are still
// unchanged), and the alert → incident assignments that follow.
//
// Records carry their new Version; the stored version they replace is
// Version-1 (0: the record must not exist yet).
type Unit struct {
	Alerts      []string
	KeyDays     []*KeyDay
	Checks      []KeyDayCheck
	Groups      []*Group
	Assignments []Assignment
	// Timeline are entries recorded on incidents with the change (who did
	// what: an analyst's correction, a split, a dissolution).
	Timeline []TimelineRecord
}

// TimelineRecord is a timeline entry of one incident.
type TimelineRecord struct {
	IncidentID string
	Entry      incident.TimelineEntry
}

// Items counts the records a transaction for the unit writes or checks.
func (u *Unit) Items() int { return len(u.KeyDays) + len(u.Checks) + len(u.Groups) + len(u.Timeline) }

// KeyDayCheck is a key-day record a decision read without changing it:
// Version is the version read (0: it did not exist).
type KeyDayCheck struct {
	ID      KeyDayID
	Version int64
}

// Assignment sets an alert's incident (the alert is a member of a visible
// incident), or clears it when IncidentID is empty (the alert left the
// incident, or the incident dissolved).
type Assignment struct {
	AlertID    string
	IncidentID string
	FirstSeen  time.Time
	Membership incident.Membership
}

// finish forgets groups born and merged within the batch, promotes and
// derives every changed group, and splits the changes into units.
func (b *batch) finish() {
	b.dropTransient()
	for _, w := range b.gs {
		if !w.dirty {
			continue
		}
		if w.g.Live() {
			b.decide(w)
			b.autoResolve(w)
		}
		derive(w.g, b.now, b.actor)
		w.g.Version = w.version + 1
		w.g.Incident.Version = w.g.Version
	}
	b.ch.Units = b.units()
	slices.Sort(b.ch.Created)
	slices.Sort(b.ch.Merged)
	slices.Sort(b.ch.Promoted)
	slices.Sort(b.ch.Dissolved)
}

// decide assesses a changed group and makes it an incident when its
// confidence clears the threshold, or dissolves an incident that no longer
// does (unless a person has acted on it: then it stays).
func (b *batch) decide(w *gWork) {
	g := w.g
	as := assess(g, b.e.cfg)
	g.Incident.Confidence, g.Incident.ConfidenceReasons = as.Confidence, as.Reasons
	want := g.Forced || g.Curated() || as.Confidence >= b.e.cfg.MinConfidence
	switch {
	case want && !g.IsIncident:
		g.IsIncident = true
		w.reassign = true
		b.ch.Promoted = append(b.ch.Promoted, g.ID())
	case !want && g.IsIncident && !personTouched(&g.Incident):
		g.IsIncident = false
		for _, m := range g.Members {
			w.unassign = append(w.unassign, m.AlertID)
		}
		b.ch.Dissolved = append(b.ch.Dissolved, g.ID())
		w.timeline = append(w.timeline, incident.TimelineEntry{At: b.now, Actor: Actor, Action: "dissolved",
			Detail: "confidence " + strconv.Itoa(as.Confidence) + " is below " + strconv.Itoa(b.e.cfg.MinConfidence) + ": " + strings.Join(as.Reasons, "; ")})
	}
}

// autoResolve resolves an incident whose sources have now resolved every
// one of its alerts (the last of them in this batch).
func (b *batch) autoResolve(w *gWork) {
	g := w.g
	st := g.Incident.Status
	if !b.e.cfg.AutoResolve || !w.sourceResolved || !g.IsIncident || (st != incident.StatusActive && st != incident.StatusInProgress) {
		return
	}
	for _, m := range g.Members {
		if m.Status != alert.StatusResolved {
			return
		}
	}
	g.Incident.Status = incident.StatusResolved
	w.timeline = append(w.timeline, incident.TimelineEntry{At: b.now, Actor: Actor, Action: "status changed",
		From: string(st), To: string(incident.StatusResolved), Detail: "every alert was resolved by its source"})
}

// dropTransient forgets the groups created and merged within the batch
// (never stored): the entries, moves and links that point at one point at
// where its alert, or the group, lives now.
func (b *batch) dropTransient() {
	dropped := map[string]bool{}
	for id, w := range b.gs {
		if w.created && !w.g.Live() {
			dropped[id] = true
		}
	}
	if len(dropped) == 0 {
		return
	}
	home := func(group, alertID string) string {
		w, _ := b.resolve(group, alertID, false)
		return w.g.ID()
	}
	for _, w := range b.kds {
		if !w.dirty {
			continue
		}
		for i, x := range w.kd.Entries {
			if dropped[x.Group] {
				w.kd.Entries[i].Group = home(x.Group, x.AlertID)
			}
		}
	}
	for _, w := range b.gs {
		if dropped[w.g.ID()] || !refersTo(w.g, dropped) {
			continue
		}
		g := b.mutable(w)
		for alertID, to := range g.Moved {
			if dropped[to] {
				g.Moved[alertID] = home(to, alertID)
			}
		}
		for _, ref := range []*string{&g.Incident.MergedInto, &g.Incident.ContinuedIn, &g.Incident.ContinuationOf} {
			if dropped[*ref] {
				*ref = home(*ref, "")
			}
		}
	}
	for id := range dropped {
		delete(b.gs, id)
	}
	b.ch.Created = without(b.ch.Created, dropped)
	b.ch.Merged = without(b.ch.Merged, dropped)
}

// refersTo reports whether g links to or moved an alert to one of the
// groups in ids.
func refersTo(g *Group, ids map[string]bool) bool {
	for _, to := range g.Moved {
		if ids[to] {
			return true
		}
	}
	inc := &g.Incident
	return ids[inc.MergedInto] || ids[inc.ContinuedIn] || ids[inc.ContinuationOf]
}

func without(ids []string, drop map[string]bool) []string {
	out := ids[:0]
	for _, id := range ids {
		if !drop[id] {
			out = append(out, id)
		}
	}
	return out
}

// units splits the batch's changes into units: the alerts that touched a
// common record, directly or through other alerts, commit together.
// Units are ordered by their smallest alert id.
func (b *batch) units() []Unit {
	uf := newUnionFind(b.nodes)
	for _, nodes := range b.touched {
		for _, n := range nodes[min(1, len(nodes)):] {
			uf.union(nodes[0], n)
		}
	}
	byRoot := map[int]*Unit{}
	unitOf := func(node int) *Unit {
		r := uf.find(node)
		if byRoot[r] == nil {
			byRoot[r] = &Unit{}
		}
		return byRoot[r]
	}
	for i, id := range b.order {
		if nodes := b.touched[i]; len(nodes) > 0 {
			u := unitOf(nodes[0])
			u.Alerts = append(u.Alerts, id)
		}
	}
	touched := func(node int) *Unit { return byRoot[uf.find(node)] }
	for _, w := range b.kds {
		u := touched(w.node)
		switch {
		case u == nil:
		case w.dirty:
			w.kd.Version = w.version + 1
			u.KeyDays = append(u.KeyDays, w.kd)
		default:
			u.Checks = append(u.Checks, KeyDayCheck{ID: w.id, Version: w.version})
		}
	}
	for _, w := range b.gs {
		u := touched(w.node)
		if u == nil || (!w.dirty && len(w.assign) == 0) {
			continue
		}
		if w.dirty {
			u.Groups = append(u.Groups, w.g)
		}
		u.Assignments = append(u.Assignments, w.assignments()...)
		for _, id := range w.unassign {
			u.Assignments = append(u.Assignments, Assignment{AlertID: id})
		}
		for _, e := range w.timeline {
			u.Timeline = append(u.Timeline, TimelineRecord{IncidentID: w.g.ID(), Entry: e})
		}
	}
	var out []Unit
	for _, u := range byRoot {
		if len(u.KeyDays) == 0 && len(u.Groups) == 0 && len(u.Assignments) == 0 && len(u.Timeline) == 0 {
			continue
		}
		u.sort()
		out = append(out, *u)
	}
	slices.SortFunc(out, func(x, y Unit) int { return strings.Compare(x.Alerts[0], y.Alerts[0]) })
	return out
}

func (u *Unit) sort() {
	slices.Sort(u.Alerts)
	slices.SortFunc(u.KeyDays, func(x, y *KeyDay) int { return compareKeyDays(x.ID(), y.ID()) })
	slices.SortFunc(u.Checks, func(x, y KeyDayCheck) int { return compareKeyDays(x.ID, y.ID) })
	slices.SortFunc(u.Groups, func(x, y *Group) int { return strings.Compare(x.ID(), y.ID()) })
	slices.SortStableFunc(u.Timeline, func(x, y TimelineRecord) int { return strings.Compare(x.IncidentID, y.IncidentID) })
	// One assignment per alert: an incident wins over a cleared one.
	slices.SortFunc(u.Assignments, func(x, y Assignment) int {
		if c := strings.Compare(x.AlertID, y.AlertID); c != 0 {
			return c
		}
		return -strings.Compare(x.IncidentID, y.IncidentID)
	})
	u.Assignments = slices.CompactFunc(u.Assignments, func(x, y Assignment) bool { return x.AlertID == y.AlertID })
}

// assignments lists the assignments the group's changes call for: every
// member's when the group became an incident or absorbed another, else the
// members named in assign. Groups that are not (or no longer) visible
// incidents assign nothing.
func (w *gWork) assignments() []Assignment {
	g := w.g
	if !g.IsIncident || !g.Live() {
		return nil
	}
	var out []Assignment
	for _, m := range g.Members {
		if w.reassign || slices.Contains(w.assign, m.AlertID) {
			out = append(out, Assignment{AlertID: m.AlertID, IncidentID: g.ID(), FirstSeen: m.FirstSeen, Membership: m.Membership})
		}
	}
	return out
}

func compareKeyDays(a, b KeyDayID) int {
	if c := strings.Compare(string(a.Key), string(b.Key)); c != 0 {
		return c
	}
	return strings.Compare(a.Day, b.Day)
}

// unionFind joins record nodes into sets.
type unionFind []int

func newUnionFind(n int) unionFind {
	uf := make(unionFind, n)
	for i := range uf {
		uf[i] = i
	}
	return uf
}

func (uf unionFind) find(x int) int {
	for uf[x] != x {
		uf[x] = uf[uf[x]]
		x = uf[x]
	}
	return x
}

func (uf unionFind) union(a, b int) {
	if ra, rb := uf.find(a), uf.find(b); ra != rb {
		uf[rb] = ra
	}
}
