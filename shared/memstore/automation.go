package memstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/muster-sec/muster/shared/automation"
	"github.com/muster-sec/muster/shared/incident"
)

const (
	pkAutoRule     = "AUTORULE#"
	skAutoRule     = "AUTORULE"
	skAutomationOK = "AUTO#"
)

// CreateAutomationRule stores a new rule (id, times and version 1
// assigned); the caller has validated it.
func (s *Store) CreateAutomationRule(ctx context.Context, r automation.Rule) (automation.Rule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.ID == "" {
		r.ID = newID()
	}
	now := s.now().UTC()
	r.CreatedAt, r.UpdatedAt, r.Version, r.Hits, r.LastHitAt = now, now, 1, 0, nil
	return r, s.putNew(pkAutoRule+r.ID, skAutoRule, "automation rule "+r.ID, r)
}

// GetAutomationRule returns a rule or automation.ErrNotFound.
func (s *Store) GetAutomationRule(ctx context.Context, id string) (automation.Rule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return getOne[automation.Rule](s, pkAutoRule+id, skAutoRule, "automation rule "+id, automation.ErrNotFound)
}

// ListAutomationRules returns every rule in run order.
func (s *Store) ListAutomationRules(ctx context.Context) ([]automation.Rule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := listAll[automation.Rule](s, pkAutoRule, skAutoRule)
	automation.Sort(out)
	return out, nil
}

// UpdateAutomationRule applies change if the stored version is version.
func (s *Store) UpdateAutomationRule(ctx context.Context, id string, version int64, change func(*automation.Rule) error) (automation.Rule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var cur automation.Rule
	if !s.get(pkAutoRule+id, skAutoRule, &cur) {
		return cur, fmt.Errorf("automation rule %s: %w", id, automation.ErrNotFound)
	}
	if cur.Version != version {
		return cur, fmt.Errorf("automation rule %s at version %d, not %d: %w", id, cur.Version, version, incident.ErrConflict)
	}
	next := cur
	if err := change(&next); err != nil {
		return cur, err
	}
	next.ID, next.CreatedAt, next.CreatedBy, next.Hits, next.LastHitAt = cur.ID, cur.CreatedAt, cur.CreatedBy, cur.Hits, cur.LastHitAt
	next.Version, next.UpdatedAt = version+1, s.now().UTC()
	s.put(pkAutoRule+id, skAutoRule, next)
	return next, nil
}

// DeleteAutomationRule removes a rule.
func (s *Store) DeleteAutomationRule(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delOne(pkAutoRule+id, skAutoRule, "automation rule "+id, automation.ErrNotFound)
}

// RecordAutomationHits adds one hit per rule id and moves lastHitAt
// forward; unknown rules are skipped.
func (s *Store) RecordAutomationHits(ctx context.Context, ids []string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		var r automation.Rule
		if !s.get(pkAutoRule+id, skAutoRule, &r) {
			continue
		}
		r.Hits++
		if r.LastHitAt == nil || at.After(*r.LastHitAt) {
			t := at.UTC()
			r.LastHitAt = &t
		}
		s.put(pkAutoRule+id, skAutoRule, r)
	}
	return nil
}

// ApplyAutomation stores a run at most once per change, only while the
// incident is still at the version the rules saw (dynamostore's contract).
func (s *Store) ApplyAutomation(ctx context.Context, id string, change int64, out automation.Outcome) error {
	version := out.Incident.Version
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.visible(id)
	if err != nil {
		return err
	}
	if r.Version != version {
		return fmt.Errorf("incident %s at version %d, not %d: %w", id, r.Version, version, incident.ErrConflict)
	}
	var mark bool
	if s.get(pkIncident+id, skAutomationOK+strconv.FormatInt(change, 10), &mark) {
		return fmt.Errorf("incident %s version %d: %w", id, change, automation.ErrApplied)
	}
	s.put(pkIncident+id, skAutomationOK+strconv.FormatInt(change, 10), true)
	if out.Changed {
		r.Version++
		r.Incident = out.Incident
		r.Incident.Version = r.Version
		s.put(pkIncident+id, skIncident, r)
	}
	run := newID()[:6]
	for i, e := range out.Entries {
		s.put(pkIncident+id, fmt.Sprintf("%s%s#%s%02d", skTimeline, sortTime(e.At), run, i), e)
	}
	for _, q := range out.Requests {
		s.put(pkIncident+id, skResponse+sortTime(q.RequestedAt)+"#"+q.ID, q)
	}
	return nil
}
