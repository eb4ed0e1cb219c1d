package correlate

import (
	"slices"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
)

// What links: the rules that find, for one alert, the groups it is linked
// to (docs/correlation.md, "Linked alerts" and "Noisy keys").

// scan is what an alert's keys reveal about it.
type scan struct {
	// links holds the best link to each group the alert joins (by the id
	// of the group that receives alerts now).
	links map[string]link
	// keys are the alert's keys that still link; blocked those noisy on
	// its day.
	keys, blocked []alert.Key
	// indexedIn is the group an earlier delivery of the alert joined.
	indexedIn string
	// saturated is set when a key-day it read is full, so an earlier
	// delivery may not have been indexed there.
	saturated bool
}

// link is the best reason found for joining one group.
type link struct {
	key     alert.Key
	alertID string
	entry   Entry
	dist    time.Duration
	reopen  bool
}

// better reports whether l is a better reason than old: the closer alert
// in time, then the smaller alert id, then the smaller key.
func better(l, old *link) bool {
	if l.dist != old.dist {
		return l.dist < old.dist
	}
	if l.alertID != old.alertID {
		return l.alertID < old.alertID
	}
	return l.key < old.key
}

// candidate is an indexed alert within the window of the alert scanned.
type candidate struct {
	id string
	e  Entry
}

// scan reads the key-days of every key of a over its window and finds the
// groups it links to. A key that names more than NoisyKeyResources
// resources on a's day turns noisy on that day: it links no alert first
// seen that day (the links it made before are undone when the batch
// finishes, see split.go).
func (b *batch) scan(a *alert.Alert) (*scan, error) {
	s := &scan{links: map[string]link{}}
	found := map[alert.Key][]candidate{}
	for _, k := range b.e.Keys(a) {
		cands, named, noisy, err := b.candidates(a, k, s)
		if err != nil {
			return nil, err
		}
		if !noisy {
			for _, r := range resourceIDs(a) {
				named[r] = true
			}
			if len(named) > b.e.cfg.NoisyKeyResources {
				noisy = true
				if err := b.markNoisy(k, a.FirstSeen, named); err != nil {
					return nil, err
				}
			}
		}
		if noisy {
			s.blocked = append(s.blocked, k)
			continue
		}
		s.keys = append(s.keys, k)
		found[k] = cands
	}
	if s.mass() || Posture(a) {
		return s, nil // mass activity and posture findings link nothing
	}
	for _, k := range s.keys {
		for _, c := range found[k] {
			if err := b.consider(s, a, k, c); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// mass reports whether the scanned alert is mass activity (Member.Mass).
func (s *scan) mass() bool {
	var actors, hosts []alert.Key
	for _, k := range slices.Concat(s.keys, s.blocked) {
		switch k.Kind() {
		case "ip", "account", "accesskey":
			actors = append(actors, k)
		case "host":
			hosts = append(hosts, k)
		}
	}
	return isMass(keyStrings(actors), keyStrings(hosts), func(k string) bool { return slices.Contains(s.blocked, alert.Key(k)) })
}

func keyStrings(ks []alert.Key) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

// candidates lists the alerts indexed under k within a's window on days
// the key is not noisy, the resources named under k on a's own day, and
// whether k is noisy on a's day.
func (b *batch) candidates(a *alert.Alert, k alert.Key, s *scan) ([]candidate, map[string]bool, bool, error) {
	var cands []candidate
	named := map[string]bool{}
	noisy := false
	today := Day(a.FirstSeen)
	for _, d := range b.e.WindowDays(a.FirstSeen) {
		w, err := b.keyDay(KeyDayID{Key: k, Day: d})
		if err != nil {
			return nil, nil, false, err
		}
		b.touch(w.node)
		if w.kd == nil {
			continue
		}
		if s.indexedIn == "" {
			if e, ok := w.kd.Entries.Get(a.ID); ok {
				s.indexedIn = e.Group
			}
		}
		s.saturated = s.saturated || len(w.kd.Entries) >= b.e.maxEntries
		if d == today {
			noisy = w.kd.Noisy
			for _, x := range w.kd.Entries {
				for _, r := range x.Resources {
					named[r] = true
				}
			}
		}
		if w.kd.Noisy {
			continue
		}
		for _, x := range w.kd.Entries {
			if absDuration(x.FirstSeen.Sub(a.FirstSeen)) <= b.e.cfg.Window {
				cands = append(cands, candidate{x.AlertID, x.Entry})
			}
		}
	}
	return cands, named, noisy, nil
}

// markNoisy records that k turned noisy on the day of t.
func (b *batch) markNoisy(k alert.Key, t time.Time, named map[string]bool) error {
	id := KeyDayID{Key: k, Day: Day(t)}
	w, err := b.keyDay(id)
	if err != nil {
		return err
	}
	kd := w.mutable()
	kd.Noisy, kd.NoisySince = true, t
	kd.NoisyResources, kd.NoisySample = len(named), noisySample(named)
	b.ch.NoisyKeys = append(b.ch.NoisyKeys, k)
	b.turnedNoisy = append(b.turnedNoisy, id)
	return nil
}

// consider records the link to a candidate's group when the group may
// take the alert: a Dismissed incident never grows again, and a Resolved
// one only reopens within the window of its last activity.
func (b *batch) consider(s *scan, a *alert.Alert, k alert.Key, c candidate) error {
	w, err := b.resolve(c.e.Group, c.id, true)
	if err != nil || w == nil {
		return err
	}
	g := w.g
	if i, ok := g.memberIndex(c.id); ok && g.Members[i].inert() {
		return nil // mass activity and posture findings link nothing
	}
	reopen := false
	switch g.Incident.Status {
	case incident.StatusDismissed:
		return nil
	case incident.StatusResolved:
		if !b.e.cfg.ReopenResolved || absDuration(a.FirstSeen.Sub(g.Incident.LastActivity)) > b.e.cfg.Window {
			return nil
		}
		reopen = true
	}
	l := link{key: k, alertID: c.id, entry: c.e, dist: absDuration(c.e.FirstSeen.Sub(a.FirstSeen)), reopen: reopen}
	if old, ok := s.links[g.ID()]; !ok || better(&l, &old) {
		s.links[g.ID()] = l
	}
	return nil
}

// linkedGroups returns the groups s links to except skip, oldest first.
func (b *batch) linkedGroups(s *scan, skip *gWork) []*gWork {
	var out []*gWork
	for id := range s.links {
		if w := b.gs[id]; w != skip {
			out = append(out, w)
		}
	}
	slices.SortFunc(out, cmpOlder)
	return out
}

// older orders groups by first activity, then id: the older one keeps its
// id when groups merge.
func cmpOlder(a, b *gWork) int {
	if c := a.g.Incident.FirstActivity.Compare(b.g.Incident.FirstActivity); c != 0 {
		return c
	}
	switch {
	case a.g.ID() < b.g.ID():
		return -1
	case a.g.ID() > b.g.ID():
		return 1
	}
	return 0
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

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
