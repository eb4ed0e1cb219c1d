package memstore

import (
	"fmt"
	"time"

	"github.com/muster-sec/muster/shared/rulemeta"
)

// ruleKind is one kind of stored rule: its key, its name in errors, its
// not-found error and, when the store validates it, how.
type ruleKind[R any] struct {
	pk, sk   string
	what     string
	notFound error
	validate func(r *R, now time.Time) error // nil: the caller validated
}

func (k ruleKind[R]) name(id string) string { return k.what + " " + id }

// createRule stores r as a new rule (rulemeta.Meta.Created).
func createRule[R any, P rulemeta.Rule[R]](s *Store, k ruleKind[R], r R) (R, error) {
	if k.validate != nil {
		if err := k.validate(&r, s.now()); err != nil {
			return r, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := P(&r).RuleMeta()
	m.Created(s.now().UTC(), newID)
	return r, s.putNew(k.pk+m.ID, k.sk, k.name(m.ID), r)
}

// getRule returns the rule id or k.notFound.
func getRule[R any](s *Store, k ruleKind[R], id string) (R, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return getOne[R](s, k.pk+id, k.sk, k.name(id), k.notFound)
}

// updateRule applies change to rule id if it is stored at version
// (incident.ErrConflict otherwise) and stores it as the next version.
func updateRule[R any, P rulemeta.Rule[R]](s *Store, k ruleKind[R], id string, version int64, change func(*R) error) (R, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var cur R
	if !s.get(k.pk+id, k.sk, &cur) {
		return cur, fmt.Errorf("%s: %w", k.name(id), k.notFound)
	}
	next, err := rulemeta.Change[R, P](cur, version, s.now(), k.name(id), change, k.validate)
	if err != nil {
		return cur, err
	}
	s.put(k.pk+id, k.sk, next)
	return next, nil
}

// deleteRule removes rule id (k.notFound when there is none).
func deleteRule[R any](s *Store, k ruleKind[R], id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delOne(k.pk+id, k.sk, k.name(id), k.notFound)
}

// recordRuleHits adds hits per rule id at time at; unknown rules are
// skipped.
func recordRuleHits[R any, P rulemeta.Rule[R]](s *Store, k ruleKind[R], hits map[string]int, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, n := range hits {
		var r R
		if n <= 0 || !s.get(k.pk+id, k.sk, &r) {
			continue
		}
		P(&r).RuleMeta().Hit(n, at)
		s.put(k.pk+id, k.sk, r)
	}
}
