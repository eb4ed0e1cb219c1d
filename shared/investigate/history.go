package investigate

import (
	"cmp"
	"slices"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
)

// MaxResources bounds the resources a History names.
const MaxResources = 100

// Sighting is one alert indexed under a key: when it was first seen, the
// group it joined then, its name and up to three of its resources.
type Sighting struct {
	AlertID   string
	Day       string
	FirstSeen time.Time
	Group     string
	Name      string
	Resources []string
}

// History is what a key's key-days say about it.
type History struct {
	Key                 alert.Key
	FirstSeen, LastSeen time.Time // zero when the key was not seen
	Alerts              int
	Days                int
	// Full is set when a day held correlate.MaxEntriesPerKeyDay alerts:
	// later alerts of that day were not indexed, so Alerts is a floor.
	Full bool
	// Noisy is set when the key turned noisy on some day; NoisySince is
	// the earliest time it did and NoisyDays the days it was noisy on,
	// newest first.
	Noisy      bool
	NoisySince time.Time
	NoisyDays  []string
	// Resources are the resources its alerts named, sorted, at most
	// MaxResources (ResourcesCut set when there were more).
	Resources    []string
	ResourcesCut bool
	// Sightings are its alerts, newest first (Newer).
	Sightings []Sighting
}

// Summarise reads a key's key-days (any order) into its History.
func Summarise(key alert.Key, kds []*correlate.KeyDay) History {
	h := History{Key: key, Days: len(kds), NoisyDays: []string{}}
	resources := map[string]bool{}
	for _, kd := range kds {
		h.Full = h.Full || len(kd.Entries) >= correlate.MaxEntriesPerKeyDay
		if kd.Noisy {
			h.Noisy = true
			h.NoisyDays = append(h.NoisyDays, kd.Day)
			if h.NoisySince.IsZero() || kd.NoisySince.Before(h.NoisySince) {
				h.NoisySince = kd.NoisySince
			}
		}
		for _, e := range kd.Entries {
			h.Sightings = append(h.Sightings, Sighting{AlertID: e.AlertID, Day: kd.Day, FirstSeen: e.FirstSeen.UTC(),
				Group: e.Group, Name: e.Name, Resources: e.Resources})
			for _, r := range e.Resources {
				resources[r] = true
			}
		}
	}
	slices.SortFunc(h.Sightings, Newer)
	slices.SortFunc(h.NoisyDays, func(a, b string) int { return cmp.Compare(b, a) })
	h.Alerts = len(h.Sightings)
	if n := len(h.Sightings); n > 0 {
		h.LastSeen, h.FirstSeen = h.Sightings[0].FirstSeen, h.Sightings[n-1].FirstSeen
	}
	for r := range resources {
		h.Resources = append(h.Resources, r)
	}
	slices.Sort(h.Resources)
	if len(h.Resources) > MaxResources {
		h.Resources, h.ResourcesCut = h.Resources[:MaxResources], true
	}
	return h
}

// Newer orders sightings newest first, then by alert id.
func Newer(a, b Sighting) int {
	if c := b.FirstSeen.Compare(a.FirstSeen); c != 0 {
		return c
	}
	return cmp.Compare(a.AlertID, b.AlertID)
}

// Position is where a page of sightings ended: the last sighting shown.
type Position struct {
	FirstSeen time.Time
	AlertID   string
}

// Page returns at most limit sightings (newest first) after pos (the
// first page when pos is nil) and the position to continue from, nil on
// the last page.
func Page(s []Sighting, pos *Position, limit int) ([]Sighting, *Position) {
	start := 0
	if pos != nil {
		start, _ = slices.BinarySearchFunc(s, Sighting{FirstSeen: pos.FirstSeen, AlertID: pos.AlertID}, Newer)
		if start < len(s) && s[start].AlertID == pos.AlertID && s[start].FirstSeen.Equal(pos.FirstSeen) {
			start++
		}
	}
	end := min(start+limit, len(s))
	page := s[start:end]
	if end == len(s) || len(page) == 0 {
		return page, nil
	}
	last := page[len(page)-1]
	return page, &Position{FirstSeen: last.FirstSeen, AlertID: last.AlertID}
}
