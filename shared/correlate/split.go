package correlate

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
)

// Noisy keys are retroactive: when a key turns noisy on a day, the links it
// made between alerts of that day are undone, so a group may fall apart
// into the connected components of the links that remain
// (docs/correlation.md, "Noisy keys").

// undoLinks re-partitions every group holding an alert indexed under one
// of the key-days that just turned noisy.
func (b *batch) undoLinks(turned []KeyDayID) error {
	for _, id := range turned {
		w := b.kds[id]
		h := KeyHash(id.Key)
		done := map[*gWork]bool{}
		for _, x := range w.kd.Entries {
			g, err := b.resolve(x.Group, x.AlertID, false)
			if err != nil {
				return err
			}
			if g == nil || done[g] || !g.g.Live() {
				continue
			}
			done[g] = true
			b.block(g, h, id.Day)
			if err := b.repartition(g); err != nil {
				return err
			}
		}
	}
	return nil
}

// block records on the group's members first seen on day that the key
// with hash h no longer links them.
func (b *batch) block(w *gWork, h, day string) {
	changed := false
	for i := range w.g.Members {
		m := &w.g.Members[i]
		if Day(m.FirstSeen) != day || !m.links(h) {
			continue
		}
		g := b.mutable(w)
		m = &g.Members[i]
		m.Blocked = append(slices.Clone(m.Blocked), h)
		slices.Sort(m.Blocked)
		changed = true
	}
	if changed {
		b.touch(w.node)
	}
}

// repartition splits a group into the connected components of its
// members' remaining links. The largest component (the earliest on a tie)
// keeps the group; each other one becomes a new group, and the alerts that
// left are recorded in Moved. Groups a person has acted on, capped groups
// and groups with members stored without their keys are left whole.
func (b *batch) repartition(w *gWork) error {
	g := w.g
	if personTouched(&g.Incident) || g.Incident.ContinuationOf != "" || g.Incident.ContinuedIn != "" {
		return nil
	}
	for _, m := range g.Members {
		if len(m.Keys) == 0 {
			return nil
		}
	}
	comps := components(g.Members, b.e.cfg)
	if len(comps) < 2 {
		return nil
	}
	keep := anchor(comps)
	mg := b.mutable(w)
	for i, c := range comps {
		if i == keep {
			continue
		}
		if err := b.splitOff(w, c); err != nil {
			return err
		}
	}
	left := len(mg.Members) - len(comps[keep])
	mg.Members = comps[keep]
	mg.Forced = anySource(mg.Members)
	narrow(&mg.Incident, mg.Members, true)
	b.touch(w.node)
	if g.IsIncident {
		w.timeline = append(w.timeline, incident.TimelineEntry{At: b.now, Actor: Actor, Action: "split",
			Detail: strconv.Itoa(left) + " alert(s) left: nothing links them to the rest any more"})
	}
	return nil
}

// anchor picks the component that keeps the group: the one holding the
// alerts an analyst pinned here, else the largest (the earliest on a tie).
func anchor(comps [][]Member) int {
	keep := 0
	for i, c := range comps {
		if slices.ContainsFunc(c, func(m Member) bool { return m.Pin == PinIn }) {
			return i
		}
		if len(c) > len(comps[keep]) {
			keep = i
		}
	}
	return keep
}

// splitOff starts a new group with members, which leave w's group.
func (b *batch) splitOff(w *gWork, members []Member) error {
	g := w.g
	id, err := b.splitID(members[0].AlertID, g.ID(), w.version+1)
	if err != nil {
		return err
	}
	first, last := activity(members)
	nw := b.newGroup(id, first, last)
	ng := nw.g
	ng.Members = members
	ng.Forced = anySource(members)
	ng.Incident.Resources = cloneResources(g.Incident.Resources)
	ng.Incident.Entities = slices.Clone(g.Incident.Entities)
	narrow(&ng.Incident, members, false)
	nw.reassign = true
	if g.Moved == nil {
		g.Moved = map[string]string{}
	}
	for _, m := range members {
		g.Moved[m.AlertID] = id
		if g.IsIncident {
			w.unassign = append(w.unassign, m.AlertID)
		}
	}
	b.touch(nw.node)
	return nil
}

// splitID is the id of a group split off from group at version, starting
// with alert first: derived from all three (and a counter, as a group may
// split more than once in one batch), so a replay derives the same id.
func (b *batch) splitID(first, group string, version int64) (string, error) {
	for n := 0; ; n++ {
		id := GroupIDFor(first + "\x00" + group + "\x00" + strconv.FormatInt(version, 10) + "\x00" + strconv.Itoa(n))
		w, err := b.group(id)
		if err != nil || w == nil {
			return id, err
		}
	}
}

// components returns the connected components of the members' links
// (a shared key that links both, first seen at most the key's window
// apart), each sorted by first seen, the components by their first member.
func components(ms []Member, cfg Config) [][]Member {
	order := make([]int, len(ms))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return cmpMembers(&ms[x], &ms[y]) })
	uf := newUnionFind(len(ms))
	pinned := -1 // members an analyst pinned to the group stay together
	for i := range ms {
		if ms[i].Pin == PinIn {
			if pinned >= 0 {
				uf.union(pinned, i)
			}
			pinned = i
		}
	}
	// Two members sharing a key are linked within the resource window
	// when neither is a routine detection, and within W when the key is a
	// place of neither; in first-seen order, linking each member to the
	// latest one before it of the same kind finds the same components.
	near := map[string]int{} // key hash → the latest member linking within the resource window
	far := map[string]int{}  // key hash → the latest member for which it is no place
	for _, i := range order {
		m := &ms[i]
		for _, h := range m.Keys {
			if !m.links(h) {
				continue
			}
			if !m.Routine {
				chain(uf, ms, near, h, i, cfg.ResourceWindow)
			}
			if !m.place(h) {
				chain(uf, ms, far, h, i, cfg.Window)
			}
		}
	}
	byRoot := map[int]int{}
	var out [][]Member
	for _, i := range order {
		r := uf.find(i)
		c, ok := byRoot[r]
		if !ok {
			c = len(out)
			byRoot[r] = c
			out = append(out, nil)
		}
		out[c] = append(out[c], ms[i])
	}
	return out
}

// chain links member i to last[h] when they were first seen at most
// window apart, and makes i the latest member of h.
func chain(uf unionFind, ms []Member, last map[string]int, h string, i int, window time.Duration) {
	if j, ok := last[h]; ok && ms[i].FirstSeen.Sub(ms[j].FirstSeen) <= window {
		uf.union(j, i)
	}
	last[h] = i
}

func cmpMembers(a, b *Member) int {
	if c := a.FirstSeen.Compare(b.FirstSeen); c != 0 {
		return c
	}
	return strings.Compare(a.AlertID, b.AlertID)
}

// narrow keeps, of an incident's aggregates, what its members name: the
// resources and strong entities among their keys (and, when keepOther is
// set, the entities that are no keys), and their sources.
func narrow(inc *incident.Incident, ms []Member, keepOther bool) {
	keys := map[string]bool{}
	sources := map[string]bool{}
	for _, m := range ms {
		for _, h := range m.Keys {
			keys[h] = true
		}
		sources[m.Provider] = true
	}
	inc.Resources = slices.DeleteFunc(inc.Resources, func(r alert.Resource) bool { return !keys[KeyHash(r.Key())] })
	inc.Entities = slices.DeleteFunc(inc.Entities, func(e alert.Entity) bool {
		k, ok := e.Key()
		if !ok {
			return !keepOther
		}
		return !keys[KeyHash(k)]
	})
	inc.Sources = inc.Sources[:0:0]
	for p := range sources {
		inc.Sources = append(inc.Sources, p)
	}
	slices.Sort(inc.Sources)
	if !keepOther {
		inc.Techniques = nil
	}
}

func anySource(ms []Member) bool {
	return slices.ContainsFunc(ms, func(m Member) bool { return m.Source })
}

// activity returns the first and last activity of members.
func activity(ms []Member) (first, last time.Time) {
	for i, m := range ms {
		if i == 0 || m.FirstSeen.Before(first) {
			first = m.FirstSeen
		}
		l := m.LastSeen
		if l.Before(m.FirstSeen) {
			l = m.FirstSeen
		}
		if i == 0 || l.After(last) {
			last = l
		}
	}
	return first, last
}

// personTouched reports whether a person has acted on the incident: the
// correlator then leaves it whole and visible.
func personTouched(inc *incident.Incident) bool {
	return inc.Owner != "" || inc.Status != incident.StatusActive || inc.SeveritySetBy != "" || inc.Classification != ""
}
