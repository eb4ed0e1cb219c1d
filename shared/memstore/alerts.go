package memstore

import (
	"context"
	"fmt"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/normalize"
	"github.com/muster-sec/muster/shared/resources"
)

// alertItem is an alert as memstore keeps it at (ALERT#<id>, ALERT): the
// document and its version, as in the DynamoDB item.
type alertItem struct {
	Doc     alert.Alert `json:"doc"`
	Version int64       `json:"version"`
}

// PutAlert stores a idempotently with the same rules as the DynamoDB store:
// new → Accepted at version 1; known → merged and shrunk to the budget
// (normalize.MergeStored), Duplicate, rewritten at version+1 only when the
// result differs from what is stored. A merge that would take the alert
// over alert.MaxStoredBytes even shrunk is refused with an error wrapping
// alert.ErrInvalid.
func (s *Store) PutAlert(_ context.Context, a *alert.Alert) (normalize.PutResult, error) {
	if a == nil || a.ID == "" {
		return normalize.PutResult{}, fmt.Errorf("put alert: %w", alert.Invalid("id", "is required"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pk := resources.PrefixAlert + a.ID
	var cur alertItem
	if !s.getAlert(a.ID, &cur) {
		s.put(pk, resources.SKAlert, alertItem{Doc: *a, Version: 1})
		return normalize.PutResult{Outcome: normalize.Accepted, Changed: true, Alert: *a}, nil
	}
	merged, changed, err := normalize.MergeStored(cur.Doc, *a)
	if err != nil {
		// As in the DynamoDB store: a merge over the stored budget is
		// refused and the stored alert stays as it was.
		return normalize.PutResult{}, fmt.Errorf("merge alert %s: %w", a.ID, err)
	}
	if !changed {
		return normalize.PutResult{Outcome: normalize.Duplicate, Alert: cur.Doc}, nil
	}
	s.put(pk, resources.SKAlert, alertItem{Doc: merged, Version: cur.Version + 1})
	return normalize.PutResult{Outcome: normalize.Duplicate, Changed: true, Alert: merged}, nil
}

// GetAlert returns a stored alert; the error wraps incident.ErrNotFound
// when there is none.
func (s *Store) GetAlert(_ context.Context, id string) (alert.Alert, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var cur alertItem
	if !s.getAlert(id, &cur) {
		return alert.Alert{}, fmt.Errorf("alert %s: %w", id, incident.ErrNotFound)
	}
	return cur.Doc, nil
}

// getAlert reads the alert item of id unless it is absent or expired. The
// caller must hold mu.
func (s *Store) getAlert(id string, cur *alertItem) bool {
	if !s.get(resources.PrefixAlert+id, resources.SKAlert, cur) {
		return false
	}
	exp := cur.Doc.ExpiresAt(s.retention)
	return exp.IsZero() || s.now().Before(exp)
}

// SetAlertStatus sets the given alerts' status (as the DynamoDB store does
// when a person resolves, dismisses or reopens their incident) and returns
// how many it changed.
func (s *Store) SetAlertStatus(_ context.Context, ids []string, st alert.Status) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := 0
	for _, id := range ids {
		var cur alertItem
		pk := resources.PrefixAlert + id
		if !s.get(pk, resources.SKAlert, &cur) || cur.Doc.Status == st {
			continue
		}
		cur.Doc.Status = st
		cur.Version++
		s.put(pk, resources.SKAlert, cur)
		changed++
	}
	return changed, nil
}
