package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/muster-sec/muster/shared/suppress"
)

const (
	pkRule = "RULE#"
	skRule = "RULE"
)

// suppressionRules are the store's suppression rules.
var suppressionRules = ruleKind[suppress.Rule]{pk: pkRule, sk: skRule, what: "rule", notFound: suppress.ErrNotFound,
	validate: func(r *suppress.Rule, now time.Time) error { return r.ValidateAt(now) }}

// CreateRule validates and stores a new rule (id, times and version 1
// assigned).
func (s *Store) CreateRule(ctx context.Context, r suppress.Rule) (suppress.Rule, error) {
	return createRule(s, suppressionRules, r)
}

// GetRule returns a rule or suppress.ErrNotFound.
func (s *Store) GetRule(ctx context.Context, id string) (suppress.Rule, error) {
	return getRule(s, suppressionRules, id)
}

// ListRules returns every rule, oldest first.
func (s *Store) ListRules(ctx context.Context) ([]suppress.Rule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := listAll[suppress.Rule](s, pkRule, skRule)
	slices.SortFunc(out, func(a, b suppress.Rule) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
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
	return updateRule(s, suppressionRules, id, version, change)
}

// DeleteRule removes a rule.
func (s *Store) DeleteRule(ctx context.Context, id string) error {
	return deleteRule(s, suppressionRules, id)
}

// RecordHits adds hit counts and moves lastHitAt forward; unknown rules
// are skipped.
func (s *Store) RecordHits(ctx context.Context, hits map[string]int, at time.Time) error {
	recordRuleHits(s, suppressionRules, hits, at)
	return nil
}
