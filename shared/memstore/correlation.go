package memstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/resources"
)

var _ correlate.Store = (*Store)(nil)

// A group is kept as two items: the incident item (incidentRecord, the
// shape the incident methods read and patch, with the memberships) and the
// correlator's private state next to it (skGroupState), so an analyst's
// patch through the incident methods never drops correlation state. The
// incident item's version is the group's version.
const skGroupState = "CORRELATION"

func keyDayPK(id correlate.KeyDayID) (string, string) {
	return resources.PrefixKey + string(id.Key), resources.SKKeyDay + id.Day
}

// LoadKeyDays returns the key-day records that exist among ids.
func (s *Store) LoadKeyDays(_ context.Context, ids []correlate.KeyDayID) (map[correlate.KeyDayID]*correlate.KeyDay, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[correlate.KeyDayID]*correlate.KeyDay{}
	for _, id := range ids {
		var kd correlate.KeyDay
		if pk, sk := keyDayPK(id); s.get(pk, sk, &kd) {
			out[id] = &kd
		}
	}
	return out, nil
}

func (s *Store) loadGroup(id string) (*correlate.Group, bool) {
	var r incidentRecord
	if !s.get(pkIncident+id, skIncident, &r) {
		return nil, false
	}
	var st correlate.GroupState
	if !s.get(pkIncident+id, skGroupState, &st) {
		// An incident seeded without correlation state: its memberships.
		for _, m := range r.Members {
			st.Members = append(st.Members, correlate.Member{Membership: m})
		}
	}
	return correlate.NewGroupFrom(r.Incident, st, r.IsIncident, r.Version), true
}

// LoadGroups returns the groups that exist among ids.
func (s *Store) LoadGroups(_ context.Context, ids []string) (map[string]*correlate.Group, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]*correlate.Group{}
	for _, id := range ids {
		if g, ok := s.loadGroup(id); ok {
			out[id] = g
		}
	}
	return out, nil
}

func (s *Store) storedVersion(pk, sk string) int64 {
	var v struct {
		Version int64 `json:"version"`
	}
	if !s.get(pk, sk, &v) {
		return 0
	}
	return v.Version
}

// Commit writes a unit atomically, every record conditioned on its
// version (correlate.ErrConflict when one changed).
func (s *Store) Commit(_ context.Context, u *correlate.Unit) error {
	if u.Items() > correlate.MaxTransactionItems {
		return fmt.Errorf("commit correlation: %d records exceed one transaction", u.Items())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, kd := range u.KeyDays {
		if pk, sk := keyDayPK(kd.ID()); s.storedVersion(pk, sk) != kd.Version-1 {
			return fmt.Errorf("key-day %s %s: %w", kd.Key, kd.Day, correlate.ErrConflict)
		}
	}
	for _, c := range u.Checks {
		if pk, sk := keyDayPK(c.ID); s.storedVersion(pk, sk) != c.Version {
			return fmt.Errorf("key-day %s %s: %w", c.ID.Key, c.ID.Day, correlate.ErrConflict)
		}
	}
	for _, g := range u.Groups {
		if s.storedVersion(pkIncident+g.ID(), skIncident) != g.Version-1 {
			return fmt.Errorf("group %s: %w", g.ID(), correlate.ErrConflict)
		}
	}
	for _, kd := range u.KeyDays {
		pk, sk := keyDayPK(kd.ID())
		s.put(pk, sk, kd)
	}
	for _, g := range u.Groups {
		inc := g.Incident
		inc.Version = g.Version
		members := make([]incident.Membership, len(g.Members))
		for i, m := range g.Members {
			members[i] = m.Membership
		}
		s.put(pkIncident+g.ID(), skIncident, incidentRecord{Incident: inc, Members: members, IsIncident: g.IsIncident, Version: g.Version})
		s.put(pkIncident+g.ID(), skGroupState, g.State())
	}
	for _, r := range u.Timeline {
		s.put(pkIncident+r.IncidentID, skTimeline+sortTime(r.Entry.At)+"#"+newID()[:8], r.Entry)
	}
	return nil
}

// Assign sets incidentId on stored alerts (at the next version, as the
// DynamoDB store does); alerts not stored or already assigned are skipped.
func (s *Store) Assign(_ context.Context, as []correlate.Assignment) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range as {
		var cur alertItem
		pk := resources.PrefixAlert + a.AlertID
		if !s.get(pk, resources.SKAlert, &cur) || cur.Doc.IncidentID == a.IncidentID {
			continue
		}
		cur.Doc.IncidentID = a.IncidentID
		cur.Version++
		s.put(pk, resources.SKAlert, cur)
	}
	return nil
}

// NoisyKeys lists the keys that turned noisy since the given time, newest
// first.
func (s *Store) NoisyKeys(_ context.Context, since time.Time, limit int) ([]correlate.NoisyKey, error) {
	if limit <= 0 {
		limit = 100
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []correlate.NoisyKey
	for _, pk := range s.partitions(resources.PrefixKey) {
		s.each(pk, resources.SKKeyDay, false, func(sk string, raw []byte) bool {
			var kd correlate.KeyDay
			if err := json.Unmarshal(raw, &kd); err == nil && kd.Noisy && !kd.NoisySince.Before(since) {
				kd.Day = strings.TrimPrefix(sk, resources.SKKeyDay)
				out = append(out, correlate.NoisyKeyOf(&kd))
			}
			return true
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Since.Equal(out[j].Since) {
			return out[i].Since.After(out[j].Since)
		}
		return out[i].Key < out[j].Key
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ListCandidates lists candidates (linked groups below the incident
// threshold) last active since the given time, newest first.
func (s *Store) ListCandidates(_ context.Context, since time.Time, limit int) ([]incident.Incident, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []incident.Incident
	for _, pk := range s.partitions(pkIncident) {
		var r incidentRecord
		if !s.get(pk, skIncident, &r) || r.Incident.LastActivity.Before(since) ||
			r.IsIncident || r.Incident.MergedInto != "" || r.Incident.AlertCount < 2 || r.Incident.Status != incident.StatusActive {
			continue
		}
		r.Incident.Version = r.Version
		out = append(out, r.Incident)
	}
	slices.SortFunc(out, func(a, b incident.Incident) int {
		if c := b.LastActivity.Compare(a.LastActivity); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out[:min(len(out), limit)], nil
}
