package correlate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/muster-sec/muster/shared/alert"
)

// Store persists correlation state: key-day records and groups (incident
// items). Implementations: dynamostore.Store (DynamoDB) and memstore.Store
// (tests); both pass storetest's "correlation" suite.
type Store interface {
	// LoadKeyDays returns the records that exist among ids (strongly
	// consistent reads); absent ones are left out of the map.
	LoadKeyDays(ctx context.Context, ids []KeyDayID) (map[KeyDayID]*KeyDay, error)
	// LoadGroups returns the groups that exist among ids; absent ones are
	// left out of the map.
	LoadGroups(ctx context.Context, ids []string) (map[string]*Group, error)
	// Commit writes a unit atomically: every key-day record and group at
	// its Version, on the condition that the stored version is Version-1
	// (absent when 1), and every check's record still at its version
	// (absent when 0). When a condition fails nothing is written and the
	// error wraps ErrConflict.
	Commit(ctx context.Context, u *Unit) error
	// Assign records each alert's incident on the alert item (idempotent;
	// alerts that no longer exist are skipped).
	Assign(ctx context.Context, as []Assignment) error
	// NoisyKeys lists the keys that turned noisy since the given time,
	// newest first, at most limit.
	NoisyKeys(ctx context.Context, since time.Time, limit int) ([]NoisyKey, error)
}

// NoisyKey is a key that stopped linking: it linked more than the
// configured number of resources within the window.
type NoisyKey struct {
	Key   alert.Key `json:"key"`
	Day   string    `json:"day"`
	Since time.Time `json:"since"`
	// Resources and Sample are the key-day's NoisyResources and NoisySample.
	Resources int      `json:"resources"`
	Sample    []string `json:"sample,omitempty"`
}

// NoisyKeyOf returns the listing of a noisy key-day.
func NoisyKeyOf(kd *KeyDay) NoisyKey {
	return NoisyKey{Key: kd.Key, Day: kd.Day, Since: kd.NoisySince, Resources: kd.NoisyResources, Sample: kd.NoisySample}
}

// MaxTransactionItems is the most records one Commit may hold (DynamoDB
// TransactWriteItems takes 100 actions).
const MaxTransactionItems = 100

// Snapshot is a State loaded from a Store for one batch: the key-day
// records the batch reads and the groups they point to. A group the
// preload missed is fetched on demand.
type Snapshot struct {
	ctx     context.Context
	store   Store
	keyDays map[KeyDayID]*KeyDay
	planned map[KeyDayID]bool
	groups  map[string]*Group
	absent  map[string]bool
}

var _ State = (*Snapshot)(nil)

// Load reads everything applying alerts needs, in few round trips: the
// key-day records of every key over every alert's window (one batch), the
// groups their entries point to plus the groups the alerts would start
// (one batch), then merge and continuation targets until none is missing.
func Load(ctx context.Context, store Store, e *Engine, alerts []alert.Alert) (*Snapshot, error) {
	ids := e.Plan(alerts)
	kds, err := store.LoadKeyDays(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load key-days: %w", err)
	}
	s := &Snapshot{ctx: ctx, store: store, keyDays: kds, planned: map[KeyDayID]bool{},
		groups: map[string]*Group{}, absent: map[string]bool{}}
	for _, id := range ids {
		s.planned[id] = true
	}
	want := map[string]bool{}
	for _, kd := range kds {
		for _, en := range kd.Entries {
			want[en.Group] = true
		}
	}
	for i := range alerts {
		want[GroupIDFor(alerts[i].ID)] = true
	}
	for len(want) > 0 {
		list := make([]string, 0, len(want))
		for id := range want {
			if _, ok := s.groups[id]; !ok && !s.absent[id] {
				list = append(list, id)
			}
		}
		if len(list) == 0 {
			break
		}
		got, err := store.LoadGroups(ctx, list)
		if err != nil {
			return nil, fmt.Errorf("load groups: %w", err)
		}
		want = map[string]bool{}
		for _, id := range list {
			g, ok := got[id]
			if !ok {
				s.absent[id] = true
				continue
			}
			s.groups[id] = g
			for _, next := range []string{g.Incident.MergedInto, g.Incident.ContinuedIn} {
				if next != "" {
					want[next] = true
				}
			}
		}
	}
	return s, nil
}

// NewSnapshot returns a State that reads records from store as they are
// needed (an analyst's correction reads a few).
func NewSnapshot(ctx context.Context, store Store) *Snapshot {
	return &Snapshot{ctx: ctx, store: store, keyDays: map[KeyDayID]*KeyDay{}, planned: map[KeyDayID]bool{},
		groups: map[string]*Group{}, absent: map[string]bool{}}
}

// KeyDay returns a loaded key-day record.
func (s *Snapshot) KeyDay(id KeyDayID) (*KeyDay, error) {
	if kd, ok := s.keyDays[id]; ok {
		return kd, nil
	}
	if s.planned[id] {
		return nil, ErrNotFound
	}
	got, err := s.store.LoadKeyDays(s.ctx, []KeyDayID{id})
	if err != nil {
		return nil, err
	}
	s.planned[id] = true
	if kd, ok := got[id]; ok {
		s.keyDays[id] = kd
		return kd, nil
	}
	return nil, ErrNotFound
}

// Group returns a loaded group, fetching it when the preload missed it.
func (s *Snapshot) Group(id string) (*Group, error) {
	if g, ok := s.groups[id]; ok {
		return g, nil
	}
	if s.absent[id] {
		return nil, ErrNotFound
	}
	got, err := s.store.LoadGroups(s.ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if g, ok := got[id]; ok {
		s.groups[id] = g
		return g, nil
	}
	s.absent[id] = true
	return nil, ErrNotFound
}

// IsConflict reports whether err is a version conflict worth retrying.
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }
