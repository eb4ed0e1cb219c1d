package investigate

import (
	"cmp"
	"slices"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/incident"
)

// MaxKeys bounds the keys of an incident whose history Related reads, and
// MaxGroups the groups its alerts are resolved to.
const (
	MaxKeys   = 20
	MaxGroups = 200
)

// IncidentKeys returns the correlation keys an incident names: its
// resources and its strong entities, resources first, at most MaxKeys.
func IncidentKeys(inc *incident.Incident) []alert.Key {
	a := alert.Alert{Resources: inc.Resources, Entities: inc.Entities}
	keys := a.Keys()
	return keys[:min(len(keys), MaxKeys)]
}

// SharedKey is a key two incidents share: whether it was noisy on a day an
// alert of the other incident was indexed under it, and how many of the
// other incident's alerts it names.
type SharedKey struct {
	Key    alert.Key
	Noisy  bool
	Alerts int
}

// Relation is an incident related to another through shared keys; Gap is
// the time between their activities (zero when they overlap).
type Relation struct {
	Incident incident.Incident
	Keys     []SharedKey
	Gap      time.Duration
}

// Refs lists the alerts of the histories to resolve: per key, newest
// first, until MaxGroups distinct groups are named.
func Refs(hist map[alert.Key][]Sighting) []Ref {
	var refs []Ref
	groups := map[string]bool{}
	for _, k := range sortedKeys(hist) {
		for _, s := range hist[k] {
			if !groups[s.Group] && len(groups) >= MaxGroups {
				continue
			}
			groups[s.Group] = true
			refs = append(refs, Ref{AlertID: s.AlertID, Group: s.Group})
		}
	}
	return refs
}

// Related lists the incidents other than self that alerts of the
// histories live in (where maps alert id to its group now), with the keys
// they share with self, nearest in time first. noisy names the key-days
// that are noisy ("key\x00day").
func Related(self *incident.Incident, hist map[alert.Key][]Sighting, noisy map[string]bool, where map[string]*correlate.Group) []Relation {
	byID := map[string]*Relation{}
	for _, k := range sortedKeys(hist) {
		for _, s := range hist[k] {
			g := where[s.AlertID]
			if g == nil || !g.IsIncident || g.ID() == self.ID {
				continue
			}
			rel := byID[g.ID()]
			if rel == nil {
				rel = &Relation{Incident: g.Incident, Gap: gap(self, &g.Incident)}
				byID[g.ID()] = rel
			}
			if n := len(rel.Keys); n == 0 || rel.Keys[n-1].Key != k {
				rel.Keys = append(rel.Keys, SharedKey{Key: k})
			}
			sk := &rel.Keys[len(rel.Keys)-1]
			sk.Alerts++
			sk.Noisy = sk.Noisy || noisy[string(k)+"\x00"+s.Day]
		}
	}
	out := make([]Relation, 0, len(byID))
	for _, r := range byID {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Relation) int {
		if c := cmp.Compare(a.Gap, b.Gap); c != 0 {
			return c
		}
		return cmp.Compare(a.Incident.ID, b.Incident.ID)
	})
	return out
}

// gap is the time between two incidents' activity, zero when they overlap.
func gap(a, b *incident.Incident) time.Duration {
	switch {
	case b.FirstActivity.After(a.LastActivity):
		return b.FirstActivity.Sub(a.LastActivity)
	case a.FirstActivity.After(b.LastActivity):
		return a.FirstActivity.Sub(b.LastActivity)
	}
	return 0
}

func sortedKeys[V any](m map[alert.Key]V) []alert.Key {
	keys := make([]alert.Key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
