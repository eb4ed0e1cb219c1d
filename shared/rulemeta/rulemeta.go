// Package rulemeta holds the bookkeeping every stored rule carries, the
// same for suppression and automation rules: identity, authorship,
// optimistic version and hit counters. The stores keep it; a rule's own
// package owns what the rule means.
package rulemeta

import (
	"fmt"
	"time"

	"github.com/muster-sec/muster/shared/incident"
)

// Meta is the bookkeeping of a stored rule. Embedded in a rule type, its
// fields appear in the rule's JSON at the rule's own level.
type Meta struct {
	ID        string     `json:"id"`
	CreatedAt time.Time  `json:"createdAt"`
	CreatedBy string     `json:"createdBy,omitempty"`
	UpdatedAt time.Time  `json:"updatedAt"`
	Version   int64      `json:"version"`
	Hits      int64      `json:"hits"`
	LastHitAt *time.Time `json:"lastHitAt,omitempty"`
}

// RuleMeta returns m, so that code generic over rule types reaches the
// bookkeeping of any rule that embeds Meta.
func (m *Meta) RuleMeta() *Meta { return m }

// Rule is a pointer to a rule type R that embeds Meta.
type Rule[R any] interface {
	*R
	RuleMeta() *Meta
}

// Created is m as a new rule is first stored: id (when empty, from
// newID), both times now, version 1, no hits.
func (m *Meta) Created(now time.Time, newID func() string) {
	if m.ID == "" {
		m.ID = newID()
	}
	m.CreatedAt, m.UpdatedAt, m.Version, m.Hits, m.LastHitAt = now, now, 1, 0, nil
}

// Updated is m after a change to the rule stored as cur: what a change
// may not touch (id, creation, hits) taken from cur, version one past
// cur's, updated now.
func (m *Meta) Updated(cur Meta, now time.Time) {
	m.ID, m.CreatedAt, m.CreatedBy, m.Hits, m.LastHitAt = cur.ID, cur.CreatedAt, cur.CreatedBy, cur.Hits, cur.LastHitAt
	m.Version, m.UpdatedAt = cur.Version+1, now
}

// Hit adds n hits at time at, moving LastHitAt forward only.
func (m *Meta) Hit(n int, at time.Time) {
	m.Hits += int64(n)
	if m.LastHitAt == nil || at.After(*m.LastHitAt) {
		t := at.UTC()
		m.LastHitAt = &t
	}
}

// Change is the next version of cur, a rule stored at version: change
// applied to a copy, the bookkeeping moved on (Updated), then validate
// (when set). A cur at another version is incident.ErrConflict; what
// names the rule in errors.
func Change[R any, P Rule[R]](cur R, version int64, now time.Time, what string, change func(*R) error, validate func(*R, time.Time) error) (R, error) {
	m := *P(&cur).RuleMeta()
	if m.Version != version {
		return cur, fmt.Errorf("%s at version %d, not %d: %w", what, m.Version, version, incident.ErrConflict)
	}
	next := cur
	if err := change(&next); err != nil {
		return cur, err
	}
	P(&next).RuleMeta().Updated(m, now.UTC())
	if validate != nil {
		if err := validate(&next, now); err != nil {
			return cur, err
		}
	}
	return next, nil
}
