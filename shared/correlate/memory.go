package correlate

import (
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/muster-sec/muster/shared/incident"
)

// Memory is an in-memory State that can commit Changes: the engine's own
// store for tests and benchmarks. It is safe for concurrent use.
type Memory struct {
	mu       sync.RWMutex
	keyDays  map[KeyDayID]*KeyDay
	groups   map[string]*Group
	timeline map[string][]incident.TimelineEntry
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory {
	return &Memory{keyDays: map[KeyDayID]*KeyDay{}, groups: map[string]*Group{}, timeline: map[string][]incident.TimelineEntry{}}
}

var _ State = (*Memory)(nil)

// KeyDay returns the stored key-day record.
func (m *Memory) KeyDay(id KeyDayID) (*KeyDay, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if kd, ok := m.keyDays[id]; ok {
		return kd, nil
	}
	return nil, ErrNotFound
}

// Group returns the stored group.
func (m *Memory) Group(id string) (*Group, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if g, ok := m.groups[id]; ok {
		return g, nil
	}
	return nil, ErrNotFound
}

// Commit applies one unit if every record still has the version it was
// read at; otherwise it changes nothing and returns ErrConflict.
func (m *Memory) Commit(u *Unit) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, kd := range u.KeyDays {
		if cur := m.keyDayVersion(kd.ID()); cur != kd.Version-1 {
			return fmt.Errorf("key-day %s %s: %w", kd.Key, kd.Day, ErrConflict)
		}
	}
	for _, c := range u.Checks {
		if cur := m.keyDayVersion(c.ID); cur != c.Version {
			return fmt.Errorf("key-day %s %s: %w", c.ID.Key, c.ID.Day, ErrConflict)
		}
	}
	for _, g := range u.Groups {
		cur := int64(0)
		if old, ok := m.groups[g.ID()]; ok {
			cur = old.Version
		}
		if cur != g.Version-1 {
			return fmt.Errorf("group %s: %w", g.ID(), ErrConflict)
		}
	}
	for _, kd := range u.KeyDays {
		m.keyDays[kd.ID()] = kd
	}
	for _, g := range u.Groups {
		m.groups[g.ID()] = g
	}
	for _, r := range u.Timeline {
		m.timeline[r.IncidentID] = append(m.timeline[r.IncidentID], r.Entry)
	}
	return nil
}

// Timeline returns the entries committed for an incident, oldest first.
func (m *Memory) Timeline(id string) []incident.TimelineEntry {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.timeline[id])
}

// CommitAll commits every unit of ch.
func (m *Memory) CommitAll(ch *Changes) error {
	for i := range ch.Units {
		if err := m.Commit(&ch.Units[i]); err != nil {
			return err
		}
	}
	return nil
}

func (m *Memory) keyDayVersion(id KeyDayID) int64 {
	if kd, ok := m.keyDays[id]; ok {
		return kd.Version
	}
	return 0
}

// Groups returns every stored group, by id.
func (m *Memory) Groups() []*Group {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]*Group, 0, len(m.groups))
	for _, g := range m.groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID() < out[j].ID() })
	return out
}

// PutGroup stores g as it is (tests use it to set up incidents a person
// changed, such as a resolved or dismissed one).
func (m *Memory) PutGroup(g *Group) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.groups[g.ID()] = g
}

// KeyDays returns every stored key-day record.
func (m *Memory) KeyDays() []*KeyDay {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]*KeyDay, 0, len(m.keyDays))
	for _, kd := range m.keyDays {
		out = append(out, kd)
	}
	slices.SortFunc(out, func(x, y *KeyDay) int { return compareKeyDays(x.ID(), y.ID()) })
	return out
}
