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

// automationRules are the store's automation rules, which the caller
// validates.
var automationRules = ruleKind[automation.Rule]{pk: pkAutoRule, sk: skAutoRule, what: "automation rule", notFound: automation.ErrNotFound}

// CreateAutomationRule stores a new rule (id, times and version 1
// assigned); the caller has validated it.
func (s *Store) CreateAutomationRule(ctx context.Context, r automation.Rule) (automation.Rule, error) {
	return createRule(s, automationRules, r)
}

// GetAutomationRule returns a rule or automation.ErrNotFound.
func (s *Store) GetAutomationRule(ctx context.Context, id string) (automation.Rule, error) {
	return getRule(s, automationRules, id)
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
	return updateRule(s, automationRules, id, version, change)
}

// DeleteAutomationRule removes a rule.
func (s *Store) DeleteAutomationRule(ctx context.Context, id string) error {
	return deleteRule(s, automationRules, id)
}

// RecordAutomationHits adds one hit per rule id and moves lastHitAt
// forward; unknown rules are skipped.
func (s *Store) RecordAutomationHits(ctx context.Context, ids []string, at time.Time) error {
	hits := make(map[string]int, len(ids))
	for _, id := range ids {
		hits[id]++
	}
	recordRuleHits(s, automationRules, hits, at)
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
