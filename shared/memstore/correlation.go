package memstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/resources"
)

var _ correlate.Store = (*Store)(nil)

// groupRecord is the incident (group) item: the same parts as the DynamoDB
// incident item (dynamostore.IncidentRecord).
type groupRecord struct {
	Incident   incident.Incident `json:"incident"`
	Group      json.RawMessage   `json:"group,omitempty"`
	IsIncident bool              `json:"isIncident"`
	Version    int64             `json:"version"`
}

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
			if kd.Entries == nil {
				kd.Entries = map[string]correlate.Entry{}
			}
			out[id] = &kd
		}
	}
	return out, nil
}

func (s *Store) loadGroup(id string) (*correlate.Group, bool) {
	var r groupRecord
	if !s.get(resources.PrefixIncident+id, resources.SKIncident, &r) {
		return nil, false
	}
	var st correlate.GroupState
	if len(r.Group) > 0 {
		if err := json.Unmarshal(r.Group, &st); err != nil {
			panic("memstore: corrupt group state " + id + ": " + err.Error())
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
		if s.storedVersion(resources.PrefixIncident+g.ID(), resources.SKIncident) != g.Version-1 {
			return fmt.Errorf("group %s: %w", g.ID(), correlate.ErrConflict)
		}
	}
	for _, kd := range u.KeyDays {
		pk, sk := keyDayPK(kd.ID())
		s.put(pk, sk, kd)
	}
	for _, g := range u.Groups {
		st, err := json.Marshal(g.State())
		if err != nil {
			return fmt.Errorf("encode group %s: %w", g.ID(), err)
		}
		inc := g.Incident
		inc.Version = g.Version
		s.put(resources.PrefixIncident+g.ID(), resources.SKIncident,
			groupRecord{Incident: inc, Group: st, IsIncident: g.IsIncident, Version: g.Version})
	}
	return nil
}

// Assign sets incidentId on stored alerts (an alert item is the alert's
// JSON); alerts not stored are skipped.
func (s *Store) Assign(_ context.Context, as []correlate.Assignment) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range as {
		var doc map[string]json.RawMessage
		pk := resources.PrefixAlert + a.AlertID
		if !s.get(pk, resources.SKAlert, &doc) {
			continue
		}
		var id string
		if err := json.Unmarshal(doc["id"], &id); err != nil || id != a.AlertID {
			continue // not an alert document this store understands
		}
		inc, _ := json.Marshal(a.IncidentID)
		doc["incidentId"] = inc
		s.put(pk, resources.SKAlert, doc)
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
				out = append(out, correlate.NoisyKey{Key: kd.Key, Day: strings.TrimPrefix(sk, resources.SKKeyDay), Since: kd.NoisySince})
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
