package correlate

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
)

// Analysts' corrections: merge incidents, move alerts into an incident,
// take one out, create an incident from chosen alerts, promote a
// candidate (docs/correlation.md, "Corrections"). Each is stored as pins
// on the members it places, which the rules honour from then on.

// CorrectionKind names a correction.
type CorrectionKind string

// Corrections.
const (
	Merge   CorrectionKind = "merge"   // Incidents into Target
	Move    CorrectionKind = "move"    // Alerts into Target
	Remove  CorrectionKind = "remove"  // AlertIDs out of Target
	Create  CorrectionKind = "create"  // a new incident from Alerts
	Promote CorrectionKind = "promote" // Target, a candidate, becomes an incident
)

// MaxMerge bounds the incidents one merge takes.
const MaxMerge = 50

// Correction is one analyst's decision.
type Correction struct {
	Kind CorrectionKind
	// Target is the incident (group) the correction is about; empty for
	// Create. Version, when not zero, is the version the analyst saw: a
	// target changed since is refused with ErrStale.
	Target  string
	Version int64
	// Incidents are the incidents merged into Target.
	Incidents []string
	// Alerts are the alerts moved into Target or making a new incident
	// (as stored: their keys say where they are now); AlertIDs the alerts
	// taken out of Target.
	Alerts   []alert.Alert
	AlertIDs []string
	By       string
	Reason   string
	// Title and Severity optionally set a created incident's.
	Title    string
	Severity alert.Severity
}

// Errors of Correct, besides ErrNotFound (an incident or alert that does
// not exist, or an alert not in the target).
var (
	// ErrRefused: the correction contradicts the incidents' state (a
	// merge with a dismissed or merged incident, over the cap, ...).
	ErrRefused = errors.New("correction refused")
	// ErrStale: the target changed since the version the analyst saw.
	ErrStale = errors.New("incident changed since it was read")
)

// Correct applies one correction against st. Its changes form one unit,
// written in one transaction.
func (e *Engine) Correct(st State, c Correction, now time.Time) (*Changes, error) {
	b := newBatch(e, st, now)
	b.actor = c.By
	b.begin("correction")
	var err error
	switch c.Kind {
	case Merge:
		err = b.mergeIncidents(c)
	case Move:
		err = b.moveIn(c)
	case Remove:
		err = b.takeOut(c)
	case Create:
		err = b.create(c)
	case Promote:
		err = b.promote(c)
	default:
		err = fmt.Errorf("%w: unknown correction %q", ErrRefused, c.Kind)
	}
	if err != nil {
		return nil, err
	}
	b.finish()
	return b.ch, nil
}

// target loads the correction's target: it must exist, be live and not
// Dismissed, and be at the version the analyst saw.
func (b *batch) target(c Correction) (*gWork, error) {
	w, err := b.group(c.Target)
	switch {
	case err != nil:
		return nil, err
	case w == nil:
		return nil, fmt.Errorf("incident %s: %w", c.Target, ErrNotFound)
	case c.Version != 0 && w.version != c.Version:
		return nil, fmt.Errorf("incident %s is at version %d, not %d: %w", c.Target, w.version, c.Version, ErrStale)
	case !w.g.Live():
		return nil, fmt.Errorf("%w: incident %s was merged into %s", ErrRefused, c.Target, w.g.Incident.MergedInto)
	case w.g.Incident.Status == incident.StatusDismissed:
		return nil, fmt.Errorf("%w: incident %s is dismissed", ErrRefused, c.Target)
	}
	b.touch(w.node)
	return w, nil
}

func (b *batch) mergeIncidents(c Correction) error {
	t, err := b.target(c)
	if err != nil {
		return err
	}
	if len(c.Incidents) == 0 || len(c.Incidents) > MaxMerge {
		return fmt.Errorf("%w: a merge takes 1 to %d incidents", ErrRefused, MaxMerge)
	}
	total := len(t.g.Members)
	var others []*gWork
	for _, id := range c.Incidents {
		o, err := b.group(id)
		switch {
		case err != nil:
			return err
		case id == c.Target:
			return fmt.Errorf("%w: incident %s cannot merge with itself", ErrRefused, id)
		case o == nil:
			return fmt.Errorf("incident %s: %w", id, ErrNotFound)
		case slices.Contains(others, o):
			continue
		case !o.g.Live():
			return fmt.Errorf("%w: incident %s was already merged into %s", ErrRefused, id, o.g.Incident.MergedInto)
		case o.g.Incident.Status == incident.StatusDismissed:
			return fmt.Errorf("%w: incident %s is dismissed", ErrRefused, id)
		}
		total += len(o.g.Members)
		others = append(others, o)
	}
	if total > b.e.cfg.MaxAlertsPerIncident {
		return fmt.Errorf("%w: the merged incident would hold %d alerts, over the cap of %d", ErrRefused, total, b.e.cfg.MaxAlertsPerIncident)
	}
	for _, o := range others {
		b.merge(t, o)
		b.note(o, c, "merged into "+t.g.ID(), "")
	}
	b.pinAll(t)
	b.note(t, c, "incidents merged in", strings.Join(c.Incidents, ", "))
	return nil
}

func (b *batch) moveIn(c Correction) error {
	t, err := b.target(c)
	if err != nil {
		return err
	}
	if len(t.g.Members)+len(c.Alerts) > b.e.cfg.MaxAlertsPerIncident {
		return fmt.Errorf("%w: incident %s would hold more than %d alerts", ErrRefused, c.Target, b.e.cfg.MaxAlertsPerIncident)
	}
	b.pinAll(t) // the incident as the analyst saw it is confirmed
	if err := b.bring(t, c); err != nil {
		return err
	}
	b.note(t, c, "alerts moved in", alertList(c.Alerts))
	return nil
}

// bring moves c.Alerts into t's group, pinned there, and re-partitions
// the groups they left.
func (b *batch) bring(t *gWork, c Correction) error {
	var left []*gWork
	for i := range c.Alerts {
		a := &c.Alerts[i]
		from, err := b.locate(a)
		if err != nil {
			return err
		}
		if from == t {
			b.pin(t, a.ID, PinIn)
			continue
		}
		m := b.leave(from, a.ID, t.g.ID())
		m.Pin = PinIn
		m.Reason = "Moved here by " + c.By + ": " + c.Reason
		m.Key, m.LinkedTo = "", ""
		g := b.mutable(t)
		g.Members = append(g.Members, m)
		delete(g.Moved, m.AlertID)
		absorb(&g.Incident, a)
		t.assign = append(t.assign, a.ID)
		if !slices.Contains(left, from) {
			left = append(left, from)
			b.note(from, c, "alerts moved out", "to "+t.g.ID())
		}
	}
	for _, w := range left {
		if len(w.g.Members) == 0 {
			// Every alert moved: the group lives on in t.
			b.mutable(w).Incident.MergedInto = t.g.ID()
			continue
		}
		if err := b.repartition(w); err != nil {
			return err
		}
	}
	return nil
}

func (b *batch) takeOut(c Correction) error {
	t, err := b.target(c)
	if err != nil {
		return err
	}
	for _, id := range c.AlertIDs {
		if _, ok := t.g.memberIndex(id); !ok {
			return fmt.Errorf("alert %s is not in incident %s: %w", id, c.Target, ErrNotFound)
		}
		if len(t.g.Members) == 1 {
			return fmt.Errorf("%w: alert %s is the incident's only alert", ErrRefused, id)
		}
		sid, err := b.splitID(id, t.g.ID(), t.version+1)
		if err != nil {
			return err
		}
		m := b.leave(t, id, sid)
		m.Pin = PinOut
		m.Reason = "Taken out of incident " + t.g.ID() + " by " + c.By + ": " + c.Reason
		first, last := activity([]Member{m})
		s := b.newGroup(sid, first, last)
		s.g.Members = []Member{m}
		s.g.Incident.Sources = []string{m.Provider}
		b.touch(s.node)
	}
	narrow(&b.mutable(t).Incident, t.g.Members, true)
	b.pinAll(t) // what the analyst kept is confirmed
	b.note(t, c, "alerts taken out", strings.Join(c.AlertIDs, ", "))
	return nil
}

func (b *batch) create(c Correction) error {
	if len(c.Alerts) == 0 || len(c.Alerts) > b.e.cfg.MaxAlertsPerIncident {
		return fmt.Errorf("%w: an incident takes 1 to %d alerts", ErrRefused, b.e.cfg.MaxAlertsPerIncident)
	}
	id := CreatedID(c.Alerts)
	if w, err := b.group(id); err != nil || w != nil {
		if err == nil {
			err = fmt.Errorf("%w: incident %s was already created from these alerts", ErrRefused, id)
		}
		return err
	}
	first, last := c.Alerts[0].FirstSeen, c.Alerts[0].LastSeen
	t := b.newGroup(id, first.UTC(), last.UTC())
	b.touch(t.node)
	if c.Severity.Valid() {
		t.g.Incident.Severity, t.g.Incident.SeveritySetBy = c.Severity, c.By
	}
	if c.Title != "" {
		t.g.Incident.Title, t.g.Incident.TitleSetBy = c.Title, c.By
	}
	if err := b.bring(t, c); err != nil {
		return err
	}
	b.note(t, c, "created from alerts", alertList(c.Alerts))
	return nil
}

// CreatedID is the id of the incident created from alerts: derived from
// their ids, so a retried request finds the incident it made.
func CreatedID(alerts []alert.Alert) string {
	ids := make([]string, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	slices.Sort(ids)
	return GroupIDFor("created\x00" + strings.Join(ids, ","))
}

func (b *batch) promote(c Correction) error {
	t, err := b.target(c)
	if err != nil {
		return err
	}
	if t.g.IsIncident {
		return fmt.Errorf("%w: %s is already an incident", ErrRefused, c.Target)
	}
	b.pinAll(t)
	b.note(t, c, "promoted to an incident", "")
	return nil
}

// locate returns the group that holds a: where its key-day entries point
// (following moves and merges), else the group it started.
func (b *batch) locate(a *alert.Alert) (*gWork, error) {
	for _, k := range b.e.Keys(a) {
		kd, err := b.keyDay(KeyDayID{Key: k, Day: Day(a.FirstSeen)})
		if err != nil {
			return nil, err
		}
		if kd.kd == nil {
			continue
		}
		if e, ok := kd.kd.Entries.Get(a.ID); ok {
			if w, err := b.resolve(e.Group, a.ID, false); err != nil || w != nil {
				return w, err
			}
		}
	}
	w, err := b.resolve(GroupIDFor(a.ID), a.ID, false)
	if err != nil {
		return nil, err
	}
	if w == nil {
		return nil, fmt.Errorf("alert %s is in no group (not correlated yet, or suppressed): %w", a.ID, ErrNotFound)
	}
	if _, ok := w.g.memberIndex(a.ID); !ok {
		return nil, fmt.Errorf("alert %s: %w", a.ID, ErrNotFound)
	}
	b.touch(w.node)
	return w, nil
}

// leave takes the member alertID out of w's group, recording where it went.
func (b *batch) leave(w *gWork, alertID, to string) Member {
	g := b.mutable(w)
	i, _ := g.memberIndex(alertID)
	m := g.Members[i]
	g.Members = slices.Delete(slices.Clone(g.Members), i, i+1)
	if g.Moved == nil {
		g.Moved = map[string]string{}
	}
	g.Moved[alertID] = to
	if g.IsIncident {
		w.unassign = append(w.unassign, alertID)
	}
	b.touch(w.node)
	return m
}

// pin sets one member's pin.
func (b *batch) pin(w *gWork, alertID, pin string) {
	g := b.mutable(w)
	if i, ok := g.memberIndex(alertID); ok {
		g.Members[i].Pin = pin
	}
}

// pinAll pins every member of w's group to it.
func (b *batch) pinAll(w *gWork) {
	g := b.mutable(w)
	for i := range g.Members {
		if g.Members[i].Pin == "" {
			g.Members[i].Pin = PinIn
		}
	}
	w.reassign = true
	b.touch(w.node)
}

// note records a timeline entry for the group, by the analyst.
func (b *batch) note(w *gWork, c Correction, action, detail string) {
	if c.Reason != "" {
		detail = strings.TrimPrefix(detail+"; reason: "+c.Reason, "; ")
	}
	w.timeline = append(w.timeline, incident.TimelineEntry{At: b.now, Actor: c.By, Action: action, Detail: detail})
}

func alertList(as []alert.Alert) string {
	ids := make([]string, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	return strings.Join(ids, ", ")
}
