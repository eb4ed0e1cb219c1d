package correlate

import (
	"errors"
	"fmt"
	"time"

	"github.com/muster-sec/muster/shared/incident"
)

// batch is the working state of one Apply: copies of the records the
// batch reads and changes, and which alert touched which record (so that
// finish can split the changes into independent units). The rules in
// link.go and join.go decide; this file only keeps the books.
type batch struct {
	e   *Engine
	st  State
	now time.Time
	ch  *Changes
	kds map[KeyDayID]*kdWork
	gs  map[string]*gWork
	// nodes counts the records seen; each record has a node number.
	nodes int
	// order lists the alerts in processing order; touched[i] the records
	// (nodes) alert order[i] read or changed.
	order   []string
	touched [][]int
	// turnedNoisy lists the key-days that turned noisy in this batch.
	turnedNoisy []KeyDayID
	// actor is who the changes are by: the correlator, or the analyst
	// whose correction this is.
	actor string
}

// kdWork is a key-day record as the batch sees it.
type kdWork struct {
	id      KeyDayID
	node    int
	kd      *KeyDay // nil: absent and not created
	version int64   // the stored version
	dirty   bool    // kd is the batch's own copy, changed
}

// gWork is a group as the batch sees it.
type gWork struct {
	node    int
	g       *Group
	version int64 // the stored version
	dirty   bool  // g is the batch's own copy, changed
	created bool  // started in this batch
	// reassign is set when every member's assignment must be (re)written:
	// the group became an incident or absorbed another group.
	reassign bool
	// assign lists alerts whose assignment must be written (may repeat);
	// unassign alerts that left the incident (or the group stopped being
	// one): their assignment is cleared unless another group takes them.
	assign, unassign []string
	// timeline lists entries to record on the incident with the change.
	timeline []incident.TimelineEntry
	// sourceResolved is set when a source resolved one of the members in
	// this batch.
	sourceResolved bool
}

func newBatch(e *Engine, st State, now time.Time) *batch {
	return &batch{e: e, st: st, now: now.UTC(), ch: &Changes{}, actor: Actor,
		kds: map[KeyDayID]*kdWork{}, gs: map[string]*gWork{}}
}

// begin starts the bookkeeping of the next alert.
func (b *batch) begin(alertID string) {
	b.order = append(b.order, alertID)
	b.touched = append(b.touched, nil)
}

// touch records that the current alert depends on or changes a record.
func (b *batch) touch(node int) {
	last := len(b.touched) - 1
	b.touched[last] = append(b.touched[last], node)
}

func (b *batch) newNode() int {
	b.nodes++
	return b.nodes - 1
}

// keyDay returns the batch's view of a key-day record, loading it once.
func (b *batch) keyDay(id KeyDayID) (*kdWork, error) {
	if w, ok := b.kds[id]; ok {
		return w, nil
	}
	kd, err := b.st.KeyDay(id)
	w := &kdWork{id: id, node: b.newNode()}
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("load key-day %s %s: %w", id.Key, id.Day, err)
	default:
		w.kd, w.version = kd, kd.Version
	}
	b.kds[id] = w
	return w, nil
}

// mutable returns the batch's writable copy of the key-day, creating it.
func (w *kdWork) mutable() *KeyDay {
	if !w.dirty {
		if w.kd == nil {
			w.kd = &KeyDay{Key: w.id.Key, Day: w.id.Day}
		} else {
			w.kd = w.kd.clone()
		}
		w.dirty = true
	}
	return w.kd
}

// group returns the batch's view of a group, loading it once; nil when it
// does not exist.
func (b *batch) group(id string) (*gWork, error) {
	if w, ok := b.gs[id]; ok {
		return w, nil
	}
	g, err := b.st.Group(id)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("load group %s: %w", id, err)
	}
	w := &gWork{node: b.newNode(), g: g, version: g.Version}
	b.gs[id] = w
	return w, nil
}

// mutable returns the batch's writable copy of the group.
func (b *batch) mutable(w *gWork) *Group {
	if !w.dirty {
		w.g = w.g.clone()
		w.dirty = true
	}
	return w.g
}

// newGroup starts a group in this batch.
func (b *batch) newGroup(id string, first, last time.Time) *gWork {
	g := &Group{Incident: incident.Incident{
		ID: id, Status: incident.StatusActive, CreatedAt: b.now, UpdatedBy: Actor,
		FirstActivity: first, LastActivity: last,
	}}
	w := &gWork{node: b.newNode(), g: g, dirty: true, created: true}
	b.gs[id] = w
	b.ch.Created = append(b.ch.Created, id)
	return w
}

// resolve follows, from group id, where alertID went (moved), mergedInto
// and, when live is set, continuedIn to the group that holds or receives
// the alert now (alertID may be empty: then it follows the group alone).
// It returns nil when a group in the chain does not exist.
func (b *batch) resolve(id, alertID string, live bool) (*gWork, error) {
	for hops := 0; hops < 64; hops++ {
		w, err := b.group(id)
		if err != nil || w == nil {
			return w, err
		}
		inc := &w.g.Incident
		switch to := w.g.Moved[alertID]; {
		case alertID != "" && to != "":
			id = to
		case inc.MergedInto != "":
			id = inc.MergedInto
		case live && inc.ContinuedIn != "":
			id = inc.ContinuedIn
		default:
			return w, nil
		}
	}
	return nil, fmt.Errorf("group %s: merge chain too long", id)
}

// index adds an alert's entry to a key-day record, unless the record is
// full (MaxEntriesPerKeyDay): then the alert still links through the
// record's entries but later alerts link to it only through its other keys
// and its group's other entries.
func (b *batch) index(id KeyDayID, alertID string, e Entry) error {
	w, err := b.keyDay(id)
	if err != nil {
		return err
	}
	if w.kd != nil && len(w.kd.Entries) >= b.e.maxEntries {
		return nil
	}
	w.mutable().Entries.Put(alertID, e)
	return nil
}
