package memstore

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/suppress"
)

const (
	pkRule = "RULE#"
	skRule = "RULE"
)

// CreateRule validates and stores a new rule (id, times and version 1
// assigned).
func (s *Store) CreateRule(ctx context.Context, r suppress.Rule) (suppress.Rule, error) {
	if err := r.ValidateAt(s.now()); err != nil {
		return r, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.ID == "" {
		r.ID = newID()
	}
	now := s.now().UTC()
	r.CreatedAt, r.UpdatedAt, r.Version, r.Hits, r.LastHitAt = now, now, 1, 0, nil
	return r, s.putNew(pkRule+r.ID, skRule, "rule "+r.ID, r)
}

// GetRule returns a rule or suppress.ErrNotFound.
func (s *Store) GetRule(ctx context.Context, id string) (suppress.Rule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return getOne[suppress.Rule](s, pkRule+id, skRule, "rule "+id, suppress.ErrNotFound)
}

// ListRules returns every rule, oldest first.
func (s *Store) ListRules(ctx context.Context) ([]suppress.Rule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := listAll[suppress.Rule](s, pkRule, skRule)
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// ActiveRules returns the rules whose effective state is Enabled or Shadow.
func (s *Store) ActiveRules(ctx context.Context) ([]suppress.Rule, error) {
	all, err := s.ListRules(ctx)
	if err != nil {
		return nil, err
	}
	return suppress.Active(all, s.now()), nil
}

// UpdateRule applies change if the stored version is version.
func (s *Store) UpdateRule(ctx context.Context, id string, version int64, change func(*suppress.Rule) error) (suppress.Rule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var cur suppress.Rule
	if !s.get(pkRule+id, skRule, &cur) {
		return cur, fmt.Errorf("rule %s: %w", id, suppress.ErrNotFound)
	}
	if cur.Version != version {
		return cur, fmt.Errorf("rule %s at version %d, not %d: %w", id, cur.Version, version, incident.ErrConflict)
	}
	next := cur
	if err := change(&next); err != nil {
		return cur, err
	}
	next.ID, next.CreatedAt, next.CreatedBy, next.Hits, next.LastHitAt = cur.ID, cur.CreatedAt, cur.CreatedBy, cur.Hits, cur.LastHitAt
	if err := next.ValidateAt(s.now()); err != nil {
		return cur, err
	}
	next.Version = version + 1
	next.UpdatedAt = s.now().UTC()
	s.put(pkRule+id, skRule, next)
	return next, nil
}

// DeleteRule removes a rule.
func (s *Store) DeleteRule(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delOne(pkRule+id, skRule, "rule "+id, suppress.ErrNotFound)
}

// RecordHits adds hit counts and moves lastHitAt forward; unknown rules
// are skipped.
func (s *Store) RecordHits(ctx context.Context, hits map[string]int, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, n := range hits {
		var r suppress.Rule
		if n <= 0 || !s.get(pkRule+id, skRule, &r) {
			continue
		}
		r.Hits += int64(n)
		if r.LastHitAt == nil || at.After(*r.LastHitAt) {
			t := at.UTC()
			r.LastHitAt = &t
		}
		s.put(pkRule+id, skRule, r)
	}
	return nil
}
