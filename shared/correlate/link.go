package correlate

import (
	"cmp"
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
	// routine is set when the alert's detection fired on one of its
	// places on another day within reach; repeats lists those alerts.
	routine bool
	repeats []candidate
	// own lists the alert's accounts that are also its resources (a role
	// named as the principal of a finding about the role): places, not
	// actors.
	own []alert.Key
	// det is the alert's DetectionHash, once computed.
	det string
	// reach lists the other days a repeat of the alert's detection may
	// fall on, once computed.
	reach []string
}

// reachDays returns the days other than the scanned alert's own, at most
// n days before or after it, on which a repeat of its detection makes it
// routine.
func (s *scan) reachDays(a *alert.Alert, n int) []string {
	if s.reach == nil {
		s.reach = make([]string, 0, 2*n)
		for i := 1; i <= n; i++ {
			s.reach = append(s.reach, Day(a.FirstSeen.UTC().AddDate(0, 0, -i)), Day(a.FirstSeen.UTC().AddDate(0, 0, i)))
		}
	}
	return s.reach
}

// detection returns the scanned alert's DetectionHash.
func (s *scan) detection(a *alert.Alert) string {
	if s.det == "" {
		s.det = DetectionHash(a)
	}
	return s.det
}

// place reports whether k names where the scanned alert happened.
func (s *scan) place(k alert.Key) bool { return isPlace(k) || slices.Contains(s.own, k) }

// actor reports whether k names who acted in the scanned alert.
func (s *scan) actor(k alert.Key) bool { return isActor(k) && !slices.Contains(s.own, k) }

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
	return cmp.Or(cmp.Compare(l.dist, old.dist), cmp.Compare(l.alertID, old.alertID), cmp.Compare(l.key, old.key)) < 0
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
	s := &scan{links: map[string]link{}, own: ownAccounts(a)}
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
		if s.routine && s.place(k) {
			continue // a routine detection links through no place
		}
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
		switch {
		case s.actor(k):
			actors = append(actors, k)
		case k.Kind() == "host":
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
	window := b.e.linkWindow(s.place(k))
	det := ""
	if k.Kind() == "res" {
		det = s.detection(a) // a detection repeats on a resource
	}
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
		if det != "" && d != today {
			b.findRepeats(a, det, w.kd, s)
		}
		if w.kd.Noisy {
			continue
		}
		for _, x := range w.kd.Entries {
			if absDuration(x.FirstSeen.Sub(a.FirstSeen)) <= window {
				cands = append(cands, candidate{x.AlertID, x.Entry})
			}
		}
	}
	return cands, named, noisy, nil
}

// findRepeats notes, in s, the alerts of kd (a key-day of one of a's
// resources, on another day) raised by the same detection as a on a day
// within reach: each of them, and a, is a routine detection.
func (b *batch) findRepeats(a *alert.Alert, det string, kd *KeyDay, s *scan) {
	if !slices.Contains(s.reachDays(a, b.e.routineReach()), kd.Day) {
		return
	}
	for _, x := range kd.Entries {
		if x.Detection == det && x.AlertID != a.ID && absDuration(x.FirstSeen.Sub(a.FirstSeen)) >= routineGap {
			s.routine = true
			s.repeats = append(s.repeats, candidate{x.AlertID, x.Entry})
		}
	}
}

// markRoutine marks the alerts s found repeating a's detection as routine
// (they may have joined groups through their places before the repeat was
// seen) and splits the groups they held together. It reports whether any
// group changed.
func (b *batch) markRoutine(s *scan) (bool, error) {
	var changed []*gWork
	for _, c := range s.repeats {
		w, err := b.resolve(c.e.Group, c.id, false)
		if err != nil {
			return false, err
		}
		if w == nil {
			continue
		}
		i, ok := w.g.memberIndex(c.id)
		if !ok || w.g.Members[i].Routine {
			continue
		}
		b.mutable(w).Members[i].Routine = true
		b.touch(w.node)
		if !slices.Contains(changed, w) {
			changed = append(changed, w)
		}
	}
	for _, w := range changed {
		if w.g.Live() {
			if err := b.repartition(w); err != nil {
				return false, err
			}
		}
	}
	return len(changed) > 0, nil
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
	var m *Member
	if i, ok := g.memberIndex(c.id); ok {
		m = &g.Members[i]
	}
	if !b.links(s, a, k, m, c.e) {
		return nil
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

// links reports whether a and the indexed alert e (member m of its group,
// when found) are linked through the key k they share: neither is mass
// activity nor a posture finding, and when k is a place of either one
// (docs/correlation.md, "The resource window" and "Routine detections") they
// were first seen within the resource window and neither is a routine
// detection. Both alerts' views count, so the answer does not depend on
// which one arrived first.
func (b *batch) links(s *scan, a *alert.Alert, k alert.Key, m *Member, e Entry) bool {
	if m == nil {
		return !s.place(k) || !s.routine
	}
	if m.inert() {
		return false
	}
	if !s.place(k) && (k.Kind() != "account" || !m.place(KeyHash(k))) {
		// (only an account may be a place of one alert and not the other)
		return true
	}
	return !s.routine && !m.Routine && absDuration(e.FirstSeen.Sub(a.FirstSeen)) <= b.e.cfg.ResourceWindow
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

// isPlace reports whether a key names where an alert happened: a resource
// or a host (and, for one alert, an account that is its resource: see
// ownAccounts).
func isPlace(k alert.Key) bool {
	kind := k.Kind()
	return kind == "res" || kind == "host"
}

// isActor reports whether a key names who acted: a public IP, an account
// or an access key (unless the account is the alert's own resource).
func isActor(k alert.Key) bool {
	switch k.Kind() {
	case "ip", "account", "accesskey":
		return true
	}
	return false
}

// ownAccounts lists the account keys of a that name one of its resources:
// a finding about a role that names the role as its principal says where
// it happened, not who acted.
func ownAccounts(a *alert.Alert) []alert.Key {
	var out []alert.Key
	for _, e := range a.Entities {
		if e.Type != alert.EntityAccount {
			continue
		}
		if k, ok := e.Key(); ok && slices.ContainsFunc(a.Resources, func(r alert.Resource) bool { return r.ID == e.Value }) {
			out = append(out, k)
		}
	}
	return out
}

// linkWindow is how far apart two alerts sharing a key may be first seen
// and be linked by it: the resource window for a place, W for the rest.
func (e *Engine) linkWindow(place bool) time.Duration {
	if place {
		return e.cfg.ResourceWindow
	}
	return e.cfg.Window
}

// routineReach is how many days apart a detection may repeat on a
// resource and make it routine: the whole days of W, so that both
// alerts' windows read each other's day.
func (e *Engine) routineReach() int {
	return int(e.cfg.Window / (24 * time.Hour))
}

// routineGap is how long after (or before) an alert the same detection
// must fire again on its place to be a routine: repeats closer together
// are one attack repeating a step.
const routineGap = 16 * time.Hour

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
