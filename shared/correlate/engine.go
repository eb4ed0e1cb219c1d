package correlate

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
)

// Engine applies the correlation rules. It is safe for concurrent use: it
// holds only its configuration.
type Engine struct {
	cfg        Config
	maxKeys    int
	days       int
	maxEntries int
	// batches recycles the per-batch working space (maps, slabs, scratch
	// slices): a batch of 100 alerts otherwise allocates about 60 KB of it.
	batches sync.Pool
}

// New returns an engine for cfg (zero numbers take the defaults).
func New(cfg Config) (*Engine, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Days a window [t-W, t+W] can span, at most.
	days := int((2*cfg.Window+24*time.Hour-1)/(24*time.Hour)) + 1
	maxKeys := min(MaxKeysPerAlert, 72/days)
	if maxKeys < 1 {
		maxKeys = 1
	}
	return &Engine{cfg: cfg, maxKeys: maxKeys, days: days, maxEntries: MaxEntriesPerKeyDay}, nil
}

// Config returns the engine's configuration.
func (e *Engine) Config() Config { return e.cfg }

// Keys returns the correlation keys an alert links through: alert.Keys,
// at most MaxKeysPerAlert (fewer for long windows) so one alert's records
// fit in one transaction.
func (e *Engine) Keys(a *alert.Alert) []alert.Key {
	k := a.Keys()
	if len(k) > e.maxKeys {
		k = k[:e.maxKeys]
	}
	return k
}

// WindowDays lists the UTC days an alert first seen at t can link into:
// the days of [t-W, t+W].
func (e *Engine) WindowDays(t time.Time) []string {
	from := t.Add(-e.cfg.Window).UTC()
	to := t.Add(e.cfg.Window).UTC()
	start := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	var out []string
	for d := start; !d.After(to); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(DayLayout))
	}
	return out
}

// Plan lists the key-day records Apply will read for alerts, so a store
// can load them in one batch before applying.
func (e *Engine) Plan(alerts []alert.Alert) []KeyDayID {
	seen := map[KeyDayID]bool{}
	var out []KeyDayID
	for i := range alerts {
		a := &alerts[i]
		if a.SuppressedBy != "" {
			continue
		}
		days := e.WindowDays(a.FirstSeen)
		for _, k := range e.Keys(a) {
			for _, d := range days {
				id := KeyDayID{Key: k, Day: d}
				if !seen[id] {
					seen[id] = true
					out = append(out, id)
				}
			}
		}
	}
	return out
}

// Changes is the outcome of applying one batch: what to write, split into
// independent units (no record appears in two units), plus a summary.
type Changes struct {
	Units []Unit
	// Created, Merged, Reopened and Promoted list group ids that were
	// created, merged into another, reopened, or became incidents.
	Created, Merged, Reopened, Promoted []string
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
}

// Items counts the records a transaction for the unit writes or checks.
func (u *Unit) Items() int { return len(u.KeyDays) + len(u.Checks) + len(u.Groups) }

// KeyDayCheck is a key-day record a decision read without changing it:
// Version is the version read (0: it did not exist).
type KeyDayCheck struct {
	ID      KeyDayID
	Version int64
}

// Assignment sets an alert's incident (the alert is a member of a visible
// incident).
type Assignment struct {
	AlertID    string
	IncidentID string
	FirstSeen  time.Time
	Membership incident.Membership
}

type kdWork struct {
	id      KeyDayID
	node    int     // union-find node of the record
	kd      *KeyDay // nil: absent and not created
	version int64   // stored version
	dirty   bool
}

type gWork struct {
	node    int // union-find node of the record
	g       *Group
	version int64
	dirty   bool
	created bool
	// reassign is set when every member's assignment must be (re)written:
	// the group became an incident or absorbed another group.
	reassign bool
	// assign lists alerts whose assignment must be written (may repeat).
	assign []string
	// ownMembers is set once g.Members is this batch's own array; until
	// then it may be shared with the stored group (see Group.clone).
	ownMembers bool
}

// addMembers appends ms to the (mutable) group's members. The first
// append to a slice still shared with the stored group allocates exactly
// what is needed, so stored groups carry no spare capacity; later appends
// in the batch grow as append does.
func (w *gWork) addMembers(ms ...Member) {
	g := w.g
	if !w.ownMembers {
		n := make([]Member, len(g.Members), len(g.Members)+len(ms))
		copy(n, g.Members)
		g.Members = n
		w.ownMembers = true
	}
	g.Members = append(g.Members, ms...)
}

type batch struct {
	e     *Engine
	st    State
	now   time.Time
	kds   map[KeyDayID]*kdWork
	gs    map[string]*gWork
	ch    *Changes
	nodes int      // records seen
	order []string // alert ids in processing order
	// touched holds the records (nodes) each alert touched: the alert
	// order[i] touched touched[spans[i][0]:spans[i][1]].
	touched []int
	spans   [][2]int
	// dayNames caches UTC day names by day number.
	dayNames map[int64]string
	// Work records are allocated in slabs.
	kdSlab slabs[kdWork]
	gSlab  slabs[gWork]
	// Apply's own scratch: the alerts to process and their positions.
	sorted []*alert.Alert
	seen   map[string]int
	// Scratch space reused from alert to alert.
	cands    []cand
	distinct map[string]bool
	links    map[string]link
	days     []string
	linkKeys []alert.Key
	targets  []*gWork
}

// Apply correlates a batch of alerts against st and returns the changes to
// persist. Alerts are processed in (firstSeen, id) order; an alert that is
// already a member of a group (a replay or a re-delivery) only refreshes
// its fields and never duplicates membership, so applying the same batch
// twice yields no changes the second time.
func (e *Engine) Apply(st State, alerts []alert.Alert, now time.Time) (*Changes, error) {
	b := e.getBatch(st, now)
	defer e.putBatch(b)
	sorted, seen := b.sorted, b.seen
	for i := range alerts {
		a := &alerts[i]
		if a.SuppressedBy != "" {
			b.ch.Skipped = append(b.ch.Skipped, a.ID)
			continue
		}
		// The same alert twice in a batch: the later delivery wins.
		if j, ok := seen[a.ID]; ok {
			sorted[j] = a
			continue
		}
		seen[a.ID] = len(sorted)
		sorted = append(sorted, a)
	}
	b.sorted = sorted
	slices.SortFunc(sorted, func(x, y *alert.Alert) int {
		if c := x.FirstSeen.Compare(y.FirstSeen); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	for _, a := range sorted {
		b.order = append(b.order, a.ID)
		start := len(b.touched)
		if err := b.apply(a); err != nil {
			return nil, fmt.Errorf("correlate alert %s: %w", a.ID, err)
		}
		b.spans = append(b.spans, [2]int{start, len(b.touched)})
	}
	b.finish()
	return b.ch, nil
}

// maxRecycledRecords is the most records a batch may have touched for its
// working space to be recycled (a stream batch of 100 alerts touches a few
// hundred).
const maxRecycledRecords = 4096

// getBatch returns working space for one batch: recycled, or new.
func (e *Engine) getBatch(st State, now time.Time) *batch {
	b, _ := e.batches.Get().(*batch)
	if b == nil {
		b = &batch{e: e, kds: map[KeyDayID]*kdWork{}, gs: map[string]*gWork{}, dayNames: map[int64]string{},
			distinct: map[string]bool{}, links: map[string]link{}, seen: map[string]int{}}
	}
	b.st, b.now, b.ch = st, now.UTC(), &Changes{}
	return b
}

// putBatch empties b — so it holds on to no record of the batch — and
// recycles it.
func (e *Engine) putBatch(b *batch) {
	if b.nodes > maxRecycledRecords {
		// Maps never shrink: clearing one sized for an unusually large
		// batch would cost every later batch. Let it go.
		return
	}
	clear(b.kds)
	clear(b.gs)
	clear(b.seen)
	clear(b.links)
	clear(b.distinct)
	clear(b.sorted)
	clear(b.cands)
	clear(b.targets)
	b.st, b.ch, b.nodes = nil, nil, 0
	b.order, b.touched, b.spans = b.order[:0], b.touched[:0], b.spans[:0]
	b.sorted, b.cands, b.targets = b.sorted[:0], b.cands[:0], b.targets[:0]
	b.kdSlab.reset()
	b.gSlab.reset()
	if len(b.dayNames) > 1024 {
		clear(b.dayNames)
	}
	e.batches.Put(b)
}

// day and windowDays are Day and Engine.WindowDays, cached per batch.
func (b *batch) day(t time.Time) string {
	n := t.Unix() / 86400
	if t.Unix() < 0 && t.Unix()%86400 != 0 {
		n--
	}
	if d, ok := b.dayNames[n]; ok {
		return d
	}
	d := Day(t)
	b.dayNames[n] = d
	return d
}

// The result is scratch space, valid until the next call.
func (b *batch) windowDays(t time.Time) []string {
	from, to := t.Add(-b.e.cfg.Window), t.Add(b.e.cfg.Window)
	out := b.days[:0]
	last := ""
	for d := from; ; d = d.Add(24 * time.Hour) {
		if d.After(to) {
			d = to
		}
		if name := b.day(d); name != last {
			out = append(out, name)
			last = name
		}
		if !d.Before(to) {
			b.days = out
			return out
		}
	}
}

// touch records that the alert being applied depends on or changes the
// record with node n.
func (b *batch) touch1(n int) { b.touched = append(b.touched, n) }

// slabs hands out zeroed values from chunks that stay put (so pointers to
// them stay valid) and are reused after reset.
type slabs[T any] struct {
	chunks [][]T
	used   int
}

const slab = 64

func (s *slabs[T]) next() *T {
	c, i := s.used/slab, s.used%slab
	if c == len(s.chunks) {
		s.chunks = append(s.chunks, make([]T, slab))
	}
	s.used++
	return &s.chunks[c][i]
}

// each calls f with every value handed out, in order.
func (s *slabs[T]) each(f func(*T)) {
	for i := 0; i < s.used; i++ {
		f(&s.chunks[i/slab][i%slab])
	}
}

// reset zeroes the values handed out and makes them available again.
func (s *slabs[T]) reset() {
	for c := 0; c*slab < s.used; c++ {
		clear(s.chunks[c][:min(slab, s.used-c*slab)])
	}
	s.used = 0
}

func (b *batch) newKDWork() *kdWork {
	w := b.kdSlab.next()
	w.node = b.nodes
	b.nodes++
	return w
}

func (b *batch) newGWork() *gWork {
	w := b.gSlab.next()
	w.node = b.nodes
	b.nodes++
	return w
}

func (b *batch) keyDay(id KeyDayID) (*kdWork, error) {
	if w, ok := b.kds[id]; ok {
		return w, nil
	}
	kd, err := b.st.KeyDay(id)
	w := b.newKDWork()
	w.id = id
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

// mutableKeyDay returns a writable copy of the key-day, creating it.
func (b *batch) mutableKeyDay(id KeyDayID) (*KeyDay, error) {
	w, err := b.keyDay(id)
	if err != nil {
		return nil, err
	}
	return w.mutable(id), nil
}

// mutable returns a writable copy of the key-day w holds, creating it.
func (w *kdWork) mutable(id KeyDayID) *KeyDay {
	if !w.dirty {
		if w.kd == nil {
			w.kd = &KeyDay{Key: id.Key, Day: id.Day, Entries: make(Entries, 0, 1)}
		} else {
			w.kd = w.kd.clone()
		}
		w.dirty = true
	}
	return w.kd
}

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
	w := b.newGWork()
	w.g, w.version = g, g.Version
	b.gs[id] = w
	return w, nil
}

func (b *batch) mutable(w *gWork) *Group {
	if !w.dirty {
		w.g = w.g.clone()
		w.dirty = true
	}
	return w.g
}

// resolve follows mergedInto (and, when live is set, continuedIn) to the
// group that holds or receives alerts now. It returns nil when a group in
// the chain does not exist.
func (b *batch) resolve(id string, live bool) (*gWork, error) {
	for hops := 0; hops < 64; hops++ {
		w, err := b.group(id)
		if err != nil || w == nil {
			return w, err
		}
		switch {
		case w.g.Incident.MergedInto != "":
			id = w.g.Incident.MergedInto
		case live && w.g.Incident.ContinuedIn != "":
			id = w.g.Incident.ContinuedIn
		default:
			return w, nil
		}
	}
	return nil, fmt.Errorf("group %s: merge chain too long", id)
}

// cand is an indexed alert within the window of the alert being applied.
type cand struct {
	id string
	e  Entry
}

// link is the best reason found for joining one group.
type link struct {
	key     alert.Key
	alertID string
	entry   Entry
	dist    time.Duration
	reopen  bool
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func (b *batch) apply(a *alert.Alert) error {
	cfg := b.e.cfg
	t := a.FirstSeen
	keys := b.e.Keys(a)
	days := b.windowDays(t)
	today := b.day(t)

	links := b.links // resolved group id → best link
	clear(links)
	linkKeys := b.linkKeys[:0]
	defer func() { b.linkKeys = linkKeys[:0] }()
	res := resourceIDs(a)
	indexedIn := "" // the group an earlier delivery of this alert joined
	saturated := false
	for _, k := range keys {
		noisy := false
		var distinct map[string]bool
		cands := b.cands[:0]
		for _, d := range days {
			id := KeyDayID{Key: k, Day: d}
			w, err := b.keyDay(id)
			if err != nil {
				return err
			}
			b.touch1(w.node)
			if w.kd == nil {
				continue
			}
			if w.kd.Noisy {
				noisy = true
			}
			if indexedIn == "" {
				if e, ok := w.kd.Entries.Get(a.ID); ok {
					indexedIn = e.Group
				}
			}
			if len(w.kd.Entries) >= b.e.maxEntries {
				saturated = true
			}
			for _, x := range w.kd.Entries {
				eid, e := x.AlertID, x.Entry
				if abs(e.FirstSeen.Sub(t)) > cfg.Window {
					continue
				}
				if distinct == nil {
					distinct = b.distinct
					clear(distinct)
				}
				for _, r := range e.Resources {
					distinct[r] = true
				}
				cands = append(cands, cand{eid, e})
			}
		}
		b.cands = cands // keep the grown buffer for the next key
		if !noisy && (len(distinct) > 0 || len(res) > cfg.NoisyKeyResources) {
			if distinct == nil {
				distinct = b.distinct
				clear(distinct)
			}
			for _, r := range res {
				distinct[r] = true
			}
			if len(distinct) > cfg.NoisyKeyResources {
				noisy = true
				kd, err := b.mutableKeyDay(KeyDayID{Key: k, Day: today})
				if err != nil {
					return err
				}
				kd.Noisy, kd.NoisySince = true, t
				kd.NoisyResources, kd.NoisySample = len(distinct), noisySample(distinct)
				b.ch.NoisyKeys = append(b.ch.NoisyKeys, k)
			}
		}
		if noisy {
			continue
		}
		linkKeys = append(linkKeys, k)
		for _, c := range cands {
			w, err := b.resolve(c.e.Group, true)
			if err != nil {
				return err
			}
			if w == nil {
				continue
			}
			g := w.g
			reopen := false
			switch g.Incident.Status {
			case incident.StatusDismissed:
				continue // a dismissed incident never grows again
			case incident.StatusResolved:
				if !cfg.ReopenResolved || abs(t.Sub(g.Incident.LastActivity)) > cfg.Window {
					continue
				}
				reopen = true
			}
			l := link{key: k, alertID: c.id, entry: c.e, dist: abs(c.e.FirstSeen.Sub(t)), reopen: reopen}
			if old, ok := links[g.ID()]; !ok || better(&l, &old) {
				links[g.ID()] = l
			}
		}
	}

	// Already a member? (replay, re-delivery, a worker that lost a race)
	ownID := GroupIDFor(a.ID) // the id of a group this alert starts
	member, err := b.findMember(a, ownID, indexedIn)
	if err != nil {
		return err
	}
	if member == nil && saturated {
		// A full key-day may not index this alert: look for it among the
		// members of the groups it links to.
		for id := range links {
			if w, _ := b.group(id); w != nil {
				if _, ok := w.g.memberIndex(a.ID); ok {
					member = w
					break
				}
			}
		}
	}
	if member != nil {
		return b.redelivered(a, member, links, linkKeys, today)
	}

	// The groups it joins, oldest first.
	targets := b.targets[:0]
	for id := range links {
		w, _ := b.group(id)
		targets = append(targets, w)
	}
	defer func() { clear(targets); b.targets = targets[:0] }()
	slices.SortFunc(targets, cmpOlder)

	var target *gWork
	var why *link
	if len(targets) == 0 {
		id := ownID
		w, err := b.group(id)
		if err != nil {
			return err
		}
		if w == nil {
			w = b.newGroup(id, a)
		}
		target = w
	} else {
		target = targets[0]
		l := links[target.g.ID()]
		why = &l
		if why.reopen {
			g := b.mutable(target)
			g.Incident.Status = incident.StatusActive
			g.Incident.UpdatedBy = Actor
			b.ch.Reopened = append(b.ch.Reopened, g.ID())
		}
		for _, o := range targets[1:] {
			b.merge(target, o, a.ID)
		}
	}
	b.touch1(target.node)

	// Cap: a full incident continues in a linked continuation.
	continued := ""
	if len(target.g.Members) >= cfg.MaxAlertsPerIncident {
		parent := target
		id := ownID
		w, err := b.group(id)
		if err != nil {
			return err
		}
		if w == nil {
			w = b.newGroup(id, a)
		}
		cg := b.mutable(w)
		cg.Incident.ContinuationOf = parent.g.ID()
		cg.Forced = cg.Forced || parent.g.IsIncident
		pg := b.mutable(parent)
		pg.Incident.ContinuedIn = cg.ID()
		b.touch1(w.node)
		continued = parent.g.ID()
		target = w
	}

	g := b.mutable(target)
	m := newMember(a, b.now)
	switch {
	case why == nil && continued == "":
		if a.SourceIncident {
			m.Reason = "Started the incident: " + providerName(a.Provider) + " reported it as an incident"
		} else {
			m.Reason = "Started the incident"
		}
	case why == nil:
		m.Reason = "Continues incident " + continued + ", which reached " + strconv.Itoa(cfg.MaxAlertsPerIncident) + " alerts"
	default:
		m.Key, m.LinkedTo = string(why.key), why.alertID
		m.Reason = "Linked to " + orID(why.entry.Name, why.alertID) + " (" + why.alertID + ") through shared " + describeKey(why.key, a)
		if len(targets) > 1 {
			ids := make([]string, 0, len(targets)-1)
			for _, o := range targets[1:] {
				ids = append(ids, o.g.ID())
			}
			m.Reason += "; it bridged incident " + strings.Join(ids, ", ") + " into this one"
		}
		if why.reopen {
			m.Reason += "; it reopened the resolved incident"
		}
		if continued != "" {
			m.Reason += "; continues incident " + continued + ", which reached " + strconv.Itoa(cfg.MaxAlertsPerIncident) + " alerts"
		}
	}
	target.addMembers(m)
	widen(&g.Incident, m.FirstSeen, m.LastSeen)
	g.Forced = g.Forced || a.SourceIncident
	absorb(&g.Incident, a)
	target.assign = append(target.assign, a.ID)

	// Index the alert under each key that still links.
	entry := Entry{FirstSeen: t, Group: g.ID(), Name: alert.Clip(a.Name, maxEntryName), Resources: res}
	if len(entry.Resources) > maxEntryResources {
		entry.Resources = entry.Resources[:maxEntryResources]
	}
	for _, k := range linkKeys {
		if err := b.index(KeyDayID{Key: k, Day: today}, a.ID, entry); err != nil {
			return err
		}
	}
	return nil
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
	w.mutable(id).Entries.Put(alertID, e)
	return nil
}

func better(l, old *link) bool {
	if l.dist != old.dist {
		return l.dist < old.dist
	}
	if l.alertID != old.alertID {
		return l.alertID < old.alertID
	}
	return l.key < old.key
}

// older orders groups by first activity, then id: the older one keeps its
// id when groups merge.
func older(a, b *Group) bool {
	if !a.Incident.FirstActivity.Equal(b.Incident.FirstActivity) {
		return a.Incident.FirstActivity.Before(b.Incident.FirstActivity)
	}
	return a.ID() < b.ID()
}

// cmpOlder is older as a comparison.
func cmpOlder(a, b *gWork) int {
	if older(a.g, b.g) {
		return -1
	}
	if older(b.g, a.g) {
		return 1
	}
	return 0
}

// findMember returns the group holding a when it is already a member:
// the group its key-day entry points to, or — for an alert indexed under
// no key because all its keys were noisy — the group it started.
func (b *batch) findMember(a *alert.Alert, ownID, indexedIn string) (*gWork, error) {
	if indexedIn != "" {
		w, err := b.resolve(indexedIn, false)
		if err != nil || w != nil {
			return w, err
		}
	}
	w, err := b.resolve(ownID, false)
	if err != nil || w == nil {
		return nil, err
	}
	if _, ok := w.g.memberIndex(a.ID); ok {
		return w, nil
	}
	return nil, nil
}

// redelivered handles an alert that is already a member: it refreshes the
// member's fields and, when the re-delivery brought keys the alert was not
// indexed under yet (a source adding an entity), indexes it under them and
// merges the groups they link to, exactly as if the alert had carried those
// keys from the start.
func (b *batch) redelivered(a *alert.Alert, member *gWork, links map[string]link, linkKeys []alert.Key, today string) error {
	b.refresh(member, a)
	home := member
	if st := member.g.Incident.Status; st == incident.StatusActive || st == incident.StatusInProgress {
		var targets []*gWork
		for id := range links {
			if id == member.g.ID() {
				continue
			}
			w, _ := b.group(id)
			targets = append(targets, w)
		}
		if len(targets) > 0 {
			targets = append(targets, member)
			slices.SortFunc(targets, cmpOlder)
			home = targets[0]
			if l, ok := links[home.g.ID()]; ok && l.reopen {
				g := b.mutable(home)
				g.Incident.Status = incident.StatusActive
				b.ch.Reopened = append(b.ch.Reopened, g.ID())
			}
			for _, o := range targets[1:] {
				b.merge(home, o, a.ID)
			}
			b.touch1(home.node)
		}
	}
	var entry *Entry
	for _, k := range linkKeys {
		id := KeyDayID{Key: k, Day: today}
		w, err := b.keyDay(id)
		if err != nil {
			return err
		}
		if w.kd != nil {
			if _, ok := w.kd.Entries.Get(a.ID); ok {
				continue
			}
		}
		if entry == nil {
			res := resourceIDs(a)
			if len(res) > maxEntryResources {
				res = res[:maxEntryResources]
			}
			entry = &Entry{FirstSeen: a.FirstSeen, Group: home.g.ID(), Name: alert.Clip(a.Name, maxEntryName), Resources: res}
		}
		if err := b.index(id, a.ID, *entry); err != nil {
			return err
		}
		b.touch1(home.node)
	}
	return nil
}

// refresh updates a member's alert fields from a re-delivered alert.
func (b *batch) refresh(w *gWork, a *alert.Alert) {
	i, _ := w.g.memberIndex(a.ID)
	old := w.g.Members[i]
	m := old
	m.Name, m.Provider, m.Severity, m.Stages = alert.Clip(a.Name, maxMemberName), a.Provider, validSeverity(a.Severity), a.Stages()
	m.FirstSeen, m.LastSeen, m.Status, m.Count = a.FirstSeen.UTC(), a.LastSeen.UTC(), a.Status, a.Count
	inc := w.g.Incident
	inc.Resources = cloneResources(inc.Resources)
	inc.Entities, inc.Techniques, inc.Sources = clip(inc.Entities), clip(inc.Techniques), clip(inc.Sources)
	changed := absorb(&inc, a)
	if !sameMember(old, m) || changed || (w.g.Forced != (w.g.Forced || a.SourceIncident)) {
		g := b.mutable(w)
		if !w.ownMembers {
			g.Members = slices.Clone(g.Members)
			w.ownMembers = true
		}
		g.Members[i] = m
		g.Incident.Resources, g.Incident.Entities = inc.Resources, inc.Entities
		g.Incident.Techniques, g.Incident.Sources = inc.Techniques, inc.Sources
		g.Forced = g.Forced || a.SourceIncident
		b.touch1(w.node)
	}
	if w.g.IsIncident && a.IncidentID != w.g.ID() {
		w.assign = append(w.assign, a.ID)
		b.touch1(w.node)
	}
}

func sameMember(a, b Member) bool {
	return a.Name == b.Name && a.Provider == b.Provider && a.Severity == b.Severity &&
		a.Stages == b.Stages && a.FirstSeen.Equal(b.FirstSeen) && a.LastSeen.Equal(b.LastSeen) &&
		a.Status == b.Status && a.Count == b.Count
}

func (b *batch) newGroup(id string, a *alert.Alert) *gWork {
	g := &Group{Incident: incident.Incident{
		ID: id, Status: incident.StatusActive, CreatedAt: b.now, UpdatedBy: Actor,
		FirstActivity: a.FirstSeen.UTC(), LastActivity: a.LastSeen.UTC(),
	}}
	w := b.newGWork()
	w.g, w.dirty, w.created, w.ownMembers = g, true, true, true
	b.gs[id] = w
	b.ch.Created = append(b.ch.Created, id)
	return w
}

// merge moves o's members into s; o records mergedInto and stops growing.
func (b *batch) merge(s, o *gWork, by string) {
	sg, og := b.mutable(s), b.mutable(o)
	s.addMembers(og.Members...)
	sg.Forced = sg.Forced || og.Forced
	sg.IsIncident = sg.IsIncident || og.IsIncident
	mergeIncident(&sg.Incident, &og.Incident)
	widen(&sg.Incident, og.Incident.FirstActivity, og.Incident.LastActivity)
	og.Incident.MergedInto = sg.ID()
	og.Incident.UpdatedBy = Actor
	s.reassign = true
	b.touch1(s.node)
	b.touch1(o.node)
	b.ch.Merged = append(b.ch.Merged, og.ID())
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

func newMember(a *alert.Alert, now time.Time) Member {
	st := a.Stages()
	first := killchain.Unknown
	if s := st.Stages(); len(s) > 0 {
		first = s[0]
	}
	return Member{
		Membership: incident.Membership{AlertID: a.ID, Stage: first, JoinedAt: now},
		Name:       alert.Clip(a.Name, maxMemberName), Provider: a.Provider, Severity: validSeverity(a.Severity), Stages: st,
		FirstSeen: a.FirstSeen.UTC(), LastSeen: a.LastSeen.UTC(), Status: a.Status, Count: a.Count,
	}
}

func validSeverity(s alert.Severity) alert.Severity {
	if !s.Valid() {
		return alert.Informational
	}
	return s
}

// noisySample names the first MaxNoisySample resources of a set, sorted.
func noisySample(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	slices.Sort(out)
	return slices.Clip(out[:min(len(out), MaxNoisySample)])
}

func resourceIDs(a *alert.Alert) []string {
	out := make([]string, 0, len(a.Resources))
	for _, r := range a.Resources {
		out = append(out, r.ID)
	}
	return out
}

func orID(name, id string) string {
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

// finish drops groups created and merged within the batch, derives the
// visible fields of every changed group, and splits the changes into units.
func (b *batch) finish() {
	// Groups born and merged in this batch were never stored: point their
	// entries at the group that absorbed them and forget them.
	dropped := map[string]string{}
	for id, w := range b.gs {
		if w.created && w.g.Incident.MergedInto != "" {
			to, _ := b.resolve(id, false)
			dropped[id] = to.g.ID()
		}
	}
	if len(dropped) > 0 {
		for _, w := range b.kds {
			if !w.dirty {
				continue
			}
			for i := range w.kd.Entries {
				if to, ok := dropped[w.kd.Entries[i].Group]; ok {
					w.kd.Entries[i].Group = to
				}
			}
		}
		for id := range dropped {
			delete(b.gs, id)
		}
		// Stored groups merged into a dropped one point at its survivor.
		for _, w := range b.gs {
			for _, field := range []func(*incident.Incident) *string{
				func(i *incident.Incident) *string { return &i.MergedInto },
				func(i *incident.Incident) *string { return &i.ContinuedIn },
				func(i *incident.Incident) *string { return &i.ContinuationOf },
			} {
				if to, ok := dropped[*field(&w.g.Incident)]; ok {
					*field(&b.mutable(w).Incident) = to
				}
			}
		}
		b.ch.Created = without(b.ch.Created, dropped)
		b.ch.Merged = without(b.ch.Merged, dropped)
	}

	// Derive visible fields and assignments.
	for _, w := range b.gs {
		if !w.dirty && len(w.assign) == 0 {
			continue
		}
		if w.dirty {
			g := w.g
			if !g.IsIncident && g.Incident.MergedInto == "" && (g.Forced || g.Stages().Len() >= b.e.cfg.MinStages) {
				g.IsIncident = true
				w.reassign = true
				b.ch.Promoted = append(b.ch.Promoted, g.ID())
			}
			derive(g, b.now)
			g.Version = w.version + 1
			g.Incident.Version = g.Version
		}
	}

	// Units: union alerts that touched a common record.
	parent := make([]int32, b.nodes)
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for i := range b.order {
		nodes := b.touchedBy(i)
		for _, n := range nodes[min(1, len(nodes)):] {
			if ra, rb := find(int32(nodes[0])), find(int32(n)); ra != rb {
				parent[rb] = ra
			}
		}
	}
	// Number the units (one per set of alerts that touched a record) and
	// count their parts, so that each list is allocated once. A record no
	// alert touched is its own root and has no unit.
	unit := make([]int32, b.nodes) // root → unit index, -1: none
	for i := range unit {
		unit[i] = -1
	}
	type counts struct{ alerts, keyDays, checks, groups, assignments int }
	cs := make([]counts, 0, len(b.order))
	for i := range b.order {
		if nodes := b.touchedBy(i); len(nodes) > 0 {
			r := find(int32(nodes[0]))
			if unit[r] < 0 {
				unit[r] = int32(len(cs))
				cs = append(cs, counts{})
			}
			cs[unit[r]].alerts++
		}
	}
	// Number the units in the order they are returned: by their smallest
	// alert id (units are large, so they are placed, not sorted).
	first := make([]string, len(cs))
	for i, id := range b.order {
		if nodes := b.touchedBy(i); len(nodes) > 0 {
			if u := unit[find(int32(nodes[0]))]; first[u] == "" || id < first[u] {
				first[u] = id
			}
		}
	}
	perm := make([]int32, len(cs))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(x, y int32) int { return strings.Compare(first[x], first[y]) })
	rank := make([]int32, len(cs))
	sortedCounts := make([]counts, len(cs))
	for r, u := range perm {
		rank[u] = int32(r)
		sortedCounts[r] = cs[u]
	}
	cs = sortedCounts
	for i, u := range unit {
		if u >= 0 {
			unit[i] = rank[u]
		}
	}
	unitOf := func(n int) int { return int(unit[find(int32(n))]) }
	var total counts
	// The key-day work records, walked in their slab (cheaper than the map).
	b.kdSlab.each(func(w *kdWork) {
		u := unitOf(w.node)
		if u < 0 {
			return
		}
		if w.dirty {
			cs[u].keyDays++
			total.keyDays++
		} else {
			cs[u].checks++
			total.checks++
		}
	})
	for _, w := range b.gs {
		if !w.dirty && len(w.assign) == 0 {
			continue
		}
		u := unitOf(w.node)
		if u < 0 {
			continue
		}
		if w.dirty {
			cs[u].groups++
			total.groups++
		}
		_, n := w.assignments(nil, true)
		cs[u].assignments += n
		total.assignments += n
	}
	units := make([]Unit, len(cs))
	alertsAll := make([]string, len(b.order))
	kdsAll := make([]*KeyDay, total.keyDays)
	checksAll := make([]KeyDayCheck, total.checks)
	groupsAll := make([]*Group, total.groups)
	assignAll := make([]Assignment, total.assignments)
	for i, c := range cs {
		u := &units[i]
		u.Alerts, alertsAll = carve(alertsAll, c.alerts)
		u.KeyDays, kdsAll = carve(kdsAll, c.keyDays)
		u.Checks, checksAll = carve(checksAll, c.checks)
		u.Groups, groupsAll = carve(groupsAll, c.groups)
		u.Assignments, assignAll = carve(assignAll, c.assignments)
	}
	for i, id := range b.order {
		if nodes := b.touchedBy(i); len(nodes) > 0 {
			u := &units[unitOf(nodes[0])]
			u.Alerts = append(u.Alerts, id)
		}
	}
	b.kdSlab.each(func(w *kdWork) {
		ui := unitOf(w.node)
		if ui < 0 {
			return
		}
		u := &units[ui]
		if w.dirty {
			w.kd.Version = w.version + 1
			u.KeyDays = append(u.KeyDays, w.kd)
		} else {
			u.Checks = append(u.Checks, KeyDayCheck{ID: w.id, Version: w.version})
		}
	})
	for _, w := range b.gs {
		if !w.dirty && len(w.assign) == 0 {
			continue
		}
		ui := unitOf(w.node)
		if ui < 0 {
			continue
		}
		u := &units[ui]
		if w.dirty {
			u.Groups = append(u.Groups, w.g)
		}
		u.Assignments, _ = w.assignments(u.Assignments, false)
	}
	list := units[:0]
	for _, u := range units {
		if len(u.KeyDays) == 0 && len(u.Groups) == 0 && len(u.Assignments) == 0 {
			continue
		}
		slices.Sort(u.Alerts)
		slices.SortFunc(u.KeyDays, func(x, y *KeyDay) int { return kdCmp(x.ID(), y.ID()) })
		slices.SortFunc(u.Checks, func(x, y KeyDayCheck) int { return kdCmp(x.ID, y.ID) })
		slices.SortFunc(u.Groups, func(x, y *Group) int { return strings.Compare(x.ID(), y.ID()) })
		slices.SortFunc(u.Assignments, func(x, y Assignment) int { return strings.Compare(x.AlertID, y.AlertID) })
		list = append(list, u)
	}
	if len(list) > 0 {
		b.ch.Units = list
	}
	slices.Sort(b.ch.Created)
	slices.Sort(b.ch.Merged)
	slices.Sort(b.ch.Promoted)
}

// touchedBy returns the records (nodes) the alert order[i] touched.
func (b *batch) touchedBy(i int) []int {
	sp := b.spans[i]
	return b.touched[sp[0]:sp[1]]
}

// carve splits the first n elements off s as an empty slice with room for
// exactly n, and returns the rest.
func carve[T any](s []T, n int) (head, rest []T) {
	return s[:0:n], s[n:]
}

// assignments appends the group's assignments to dst (or, when count is
// set, only counts them) and returns the new slice and the count.
func (w *gWork) assignments(dst []Assignment, count bool) ([]Assignment, int) {
	g := w.g
	if !g.IsIncident || g.Incident.MergedInto != "" {
		return dst, 0
	}
	var set map[string]bool
	if !w.reassign && len(w.assign) > 8 {
		set = make(map[string]bool, len(w.assign))
		for _, id := range w.assign {
			set[id] = true
		}
	}
	if w.reassign && count {
		return dst, len(g.Members)
	}
	n := 0
	for i := range g.Members {
		m := &g.Members[i]
		if w.reassign || (set != nil && set[m.AlertID]) || (set == nil && slices.Contains(w.assign, m.AlertID)) {
			n++
			if !count {
				dst = append(dst, Assignment{AlertID: m.AlertID, IncidentID: g.ID(), FirstSeen: m.FirstSeen, Membership: m.Membership})
			}
		}
	}
	return dst, n
}

func kdCmp(a, b KeyDayID) int {
	if c := strings.Compare(string(a.Key), string(b.Key)); c != 0 {
		return c
	}
	return strings.Compare(a.Day, b.Day)
}

func kdLess(a, b KeyDayID) bool {
	if a.Key != b.Key {
		return a.Key < b.Key
	}
	return a.Day < b.Day
}

func without(ids []string, drop map[string]string) []string {
	out := ids[:0]
	for _, id := range ids {
		if _, ok := drop[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}
