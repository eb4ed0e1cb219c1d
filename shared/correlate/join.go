package correlate

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
)

// Which group: the rules that place one alert (docs/correlation.md,
// "Groups and incidents", "Lifecycle" and "Re-deliveries").

// apply places one alert: a re-delivery refreshes its membership; a new
// alert joins the oldest group it links to (merging the others into it,
// reopening a Resolved one) or starts its own, continues a full incident
// in a continuation, and is indexed under the keys that still link.
func (b *batch) apply(a *alert.Alert) error {
	noisy := len(b.turnedNoisy)
	s, err := b.scan(a)
	if err != nil {
		return err
	}
	routine, err := b.markRoutine(s)
	if err != nil {
		return err
	}
	if len(b.turnedNoisy) > noisy {
		// a turned keys noisy: undo their links.
		if err := b.undoLinks(b.turnedNoisy[noisy:]); err != nil {
			return err
		}
	}
	if routine || len(b.turnedNoisy) > noisy {
		// links changed under a: look again.
		if s, err = b.scan(a); err != nil {
			return err
		}
	}
	member, err := b.findMember(a, s)
	if err != nil {
		return err
	}
	if member != nil {
		return b.redelivered(a, member, s)
	}
	targets := b.linkedGroups(s, nil)
	var target *gWork
	var why *link
	if len(targets) == 0 {
		if target, err = b.ownGroup(a); err != nil {
			return err
		}
	} else {
		target = targets[0]
		l := s.links[target.g.ID()]
		why = &l
		if why.reopen {
			b.reopen(target)
		}
		for _, o := range targets[1:] {
			b.merge(target, o)
		}
	}
	b.touch(target.node)
	continued := ""
	if len(target.g.Members) >= b.e.cfg.MaxAlertsPerIncident {
		continued = target.g.ID()
		if target, err = b.continuation(a, target); err != nil {
			return err
		}
	}
	m := newMember(a, s, b.now)
	m.Key, m.LinkedTo, m.Reason = b.reason(a, why, targets, continued)
	b.join(target, a, m)
	entry := newEntry(a, s, target.g.ID())
	for _, k := range s.keys {
		if err := b.index(KeyDayID{Key: k, Day: Day(a.FirstSeen)}, a.ID, entry); err != nil {
			return err
		}
	}
	return nil
}

// findMember returns the group holding a when it is already a member: the
// group its key-day entry points to, the group it started (an alert all of
// whose keys are noisy is indexed nowhere), or — when a full key-day may
// not have indexed it — one of the groups it links to.
func (b *batch) findMember(a *alert.Alert, s *scan) (*gWork, error) {
	if s.indexedIn != "" {
		w, err := b.resolve(s.indexedIn, a.ID, false)
		if err != nil || w != nil {
			return w, err
		}
	}
	w, err := b.resolve(GroupIDFor(a.ID), a.ID, false)
	if err != nil {
		return nil, err
	}
	if w != nil {
		if _, ok := w.g.memberIndex(a.ID); ok {
			return w, nil
		}
	}
	if s.saturated {
		for id := range s.links {
			if w := b.gs[id]; w != nil {
				if _, ok := w.g.memberIndex(a.ID); ok {
					return w, nil
				}
			}
		}
	}
	return nil, nil
}

// ownGroup returns the group a starts, creating it.
func (b *batch) ownGroup(a *alert.Alert) (*gWork, error) {
	id := GroupIDFor(a.ID)
	w, err := b.group(id)
	if err != nil || w != nil {
		return w, err
	}
	return b.newGroup(id, a.FirstSeen.UTC(), a.LastSeen.UTC()), nil
}

// continuation returns the group that continues parent (full) with a, its
// first alert; the two are linked both ways.
func (b *batch) continuation(a *alert.Alert, parent *gWork) (*gWork, error) {
	w, err := b.ownGroup(a)
	if err != nil {
		return nil, err
	}
	cg := b.mutable(w)
	cg.Incident.ContinuationOf = parent.g.ID()
	cg.Forced = cg.Forced || parent.g.IsIncident
	b.mutable(parent).Incident.ContinuedIn = cg.ID()
	b.touch(w.node)
	return w, nil
}

// join adds a new member to w's group.
func (b *batch) join(w *gWork, a *alert.Alert, m Member) {
	g := b.mutable(w)
	g.Members = append(g.Members, m)
	delete(g.Moved, m.AlertID)
	widen(&g.Incident, m.FirstSeen, m.LastSeen)
	g.Forced = g.Forced || a.SourceIncident
	absorb(&g.Incident, a)
	w.assign = append(w.assign, a.ID)
}

// reopen makes a Resolved incident Active again.
func (b *batch) reopen(w *gWork) {
	g := b.mutable(w)
	g.Incident.Status = incident.StatusActive
	g.Incident.UpdatedBy = Actor
	b.ch.Reopened = append(b.ch.Reopened, g.ID())
}

// merge moves o's members into s; o records mergedInto and stops growing.
func (b *batch) merge(s, o *gWork) {
	sg, og := b.mutable(s), b.mutable(o)
	sg.Members = append(sg.Members, og.Members...)
	for _, m := range og.Members {
		delete(sg.Moved, m.AlertID) // back home: moved out once, merged in again
	}
	sg.Forced = sg.Forced || og.Forced
	sg.IsIncident = sg.IsIncident || og.IsIncident
	mergeIncident(&sg.Incident, &og.Incident)
	widen(&sg.Incident, og.Incident.FirstActivity, og.Incident.LastActivity)
	og.Incident.MergedInto = sg.ID()
	og.Incident.UpdatedBy = Actor
	s.reassign = true
	b.touch(s.node)
	b.touch(o.node)
	b.ch.Merged = append(b.ch.Merged, og.ID())
}

// redelivered handles an alert that is already a member: it refreshes the
// member's fields and, when the re-delivery brought keys the alert was not
// indexed under yet (a source adding an entity), indexes it under them and
// merges the groups they link to, exactly as if the alert had carried those
// keys from the start.
func (b *batch) redelivered(a *alert.Alert, member *gWork, s *scan) error {
	b.refresh(member, a, s)
	home := member
	if st := member.g.Incident.Status; st == incident.StatusActive || st == incident.StatusInProgress {
		if others := b.linkedGroups(s, member); len(others) > 0 {
			targets := append(others, member)
			slices.SortFunc(targets, cmpOlder)
			home = targets[0]
			if l, ok := s.links[home.g.ID()]; ok && l.reopen {
				b.reopen(home)
			}
			for _, o := range targets[1:] {
				b.merge(home, o)
			}
			b.touch(home.node)
		}
	}
	entry := newEntry(a, s, home.g.ID())
	for _, k := range s.keys {
		id := KeyDayID{Key: k, Day: Day(a.FirstSeen)}
		w, err := b.keyDay(id)
		if err != nil {
			return err
		}
		if w.kd != nil {
			if _, ok := w.kd.Entries.Get(a.ID); ok {
				continue
			}
		}
		if err := b.index(id, a.ID, entry); err != nil {
			return err
		}
		b.touch(home.node)
	}
	return nil
}

// refresh updates a member's alert fields from a re-delivered alert.
func (b *batch) refresh(w *gWork, a *alert.Alert, s *scan) {
	i, _ := w.g.memberIndex(a.ID)
	old := w.g.Members[i]
	m := newMember(a, s, old.JoinedAt)
	m.Membership = old.Membership
	inc := cloneIncident(w.g.Incident)
	changed := absorb(&inc, a)
	if !sameMember(old, m) || changed || (a.SourceIncident && !w.g.Forced) {
		g := b.mutable(w)
		g.Members[i] = m
		g.Incident.Resources, g.Incident.Entities = inc.Resources, inc.Entities
		g.Incident.Techniques, g.Incident.Sources = inc.Techniques, inc.Sources
		g.Forced = g.Forced || a.SourceIncident
		b.touch(w.node)
		w.sourceResolved = w.sourceResolved || (m.Status == alert.StatusResolved && old.Status != alert.StatusResolved)
	}
	if w.g.IsIncident && a.IncidentID != w.g.ID() {
		w.assign = append(w.assign, a.ID)
		b.touch(w.node)
	}
}

func sameMember(a, b Member) bool {
	return a.Name == b.Name && a.Provider == b.Provider && a.Severity == b.Severity &&
		a.Stages == b.Stages && a.FirstSeen.Equal(b.FirstSeen) && a.LastSeen.Equal(b.LastSeen) &&
		a.Status == b.Status && a.Count == b.Count && a.Source == b.Source && a.Posture == b.Posture &&
		slices.Equal(a.Keys, b.Keys) && slices.Equal(a.Blocked, b.Blocked) && slices.Equal(a.Actors, b.Actors) &&
		slices.Equal(a.Hosts, b.Hosts) && slices.Equal(a.Places, b.Places) && a.Routine == b.Routine
}

// reason words why a joined: the key and the alert it linked to, and what
// else joining did (bridging groups, reopening, continuing a full incident).
func (b *batch) reason(a *alert.Alert, why *link, targets []*gWork, continued string) (key, linkedTo, text string) {
	continues := "continues incident " + continued + ", which reached " + strconv.Itoa(b.e.cfg.MaxAlertsPerIncident) + " alerts"
	switch {
	case why == nil && continued != "":
		return "", "", strings.ToUpper(continues[:1]) + continues[1:]
	case why == nil && a.SourceIncident:
		return "", "", "Started the incident: " + providerName(a.Provider) + " reported it as an incident"
	case why == nil:
		return "", "", "Started the incident"
	}
	text = "Linked to " + nameOrAlert(why.entry.Name) + " (" + why.alertID + ") through shared " + describeKey(why.key, a)
	if len(targets) > 1 {
		ids := make([]string, 0, len(targets)-1)
		for _, o := range targets[1:] {
			ids = append(ids, o.g.ID())
		}
		text += "; it bridged incident " + strings.Join(ids, ", ") + " into this one"
	}
	if why.reopen {
		text += "; it reopened the resolved incident"
	}
	if continued != "" {
		text += "; " + continues
	}
	return string(why.key), why.alertID, text
}

func nameOrAlert(name string) string {
	if name == "" {
		return "alert"
	}
	return name
}

// describeKey words a key for a reason: "public IP 203.0.113.66".
func describeKey(k alert.Key, a *alert.Alert) string {
	kind := k.Kind()
	v := string(k)
	if len(v) > len(kind) && v[len(kind)] == ':' {
		v = v[len(kind)+1:]
	}
	switch kind {
	case "res":
		for _, r := range a.Resources {
			if r.ID == v && r.Name != "" && r.Name != v {
				return "resource " + r.Name + " (" + v + ")"
			}
		}
		return "resource " + v
	case "ip":
		return "public IP " + v
	case "host":
		return "host " + v
	case "account":
		return "account " + v
	case "accesskey":
		return "access key " + v
	case "filehash":
		return "file hash " + v
	case "domain":
		return "domain " + v
	}
	return string(k)
}

// newMember records a as a member: its fields, and its keys as the scan
// found them (which link, which are noisy on its day).
func newMember(a *alert.Alert, s *scan, now time.Time) Member {
	st := a.Stages()
	first := killchain.Unknown
	if list := st.Stages(); len(list) > 0 {
		first = list[0]
	}
	m := Member{
		Membership: incident.Membership{AlertID: a.ID, Stage: first, JoinedAt: now},
		Name:       alert.Clip(a.Name, maxMemberName), Provider: a.Provider, Severity: validSeverity(a.Severity), Stages: st,
		FirstSeen: a.FirstSeen.UTC(), LastSeen: a.LastSeen.UTC(), Status: a.Status, Count: a.Count,
		Source: a.SourceIncident, Posture: Posture(a), Routine: s.routine,
	}
	for _, k := range slices.Concat(s.keys, s.blocked) {
		h := KeyHash(k)
		m.Keys = append(m.Keys, h)
		switch {
		case s.actor(k):
			m.Actors = append(m.Actors, h)
		case k.Kind() == "host":
			m.Hosts = append(m.Hosts, h)
		}
		if s.place(k) {
			m.Places = append(m.Places, h)
		}
	}
	slices.Sort(m.Keys)
	slices.Sort(m.Places)
	slices.Sort(m.Actors)
	slices.Sort(m.Hosts)
	for _, k := range s.blocked {
		m.Blocked = append(m.Blocked, KeyHash(k))
	}
	slices.Sort(m.Blocked)
	return m
}

// newEntry is a's entry in the key-day index, pointing at group.
func newEntry(a *alert.Alert, s *scan, group string) Entry {
	res := resourceIDs(a)
	return Entry{FirstSeen: a.FirstSeen, Group: group, Name: alert.Clip(a.Name, maxEntryName),
		Resources: res[:min(len(res), maxEntryResources)], Detection: s.detection(a)}
}

func validSeverity(s alert.Severity) alert.Severity {
	if !s.Valid() {
		return alert.Informational
	}
	return s
}

// widen stretches an incident's activity period to cover [first, last].
func widen(inc *incident.Incident, first, last time.Time) {
	if inc.FirstActivity.IsZero() || first.Before(inc.FirstActivity) {
		inc.FirstActivity = first
	}
	if last.After(inc.LastActivity) {
		inc.LastActivity = last
	}
}
