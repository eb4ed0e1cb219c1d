package rulemeta_test

import (
	"errors"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/rulemeta"
)

type rule struct {
	rulemeta.Meta
	Name string
}

func TestChangeKeepsTheBookkeeping(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var cur rule
	cur.Created(t0, func() string { return "r1" })
	cur.CreatedBy, cur.Name = "alice", "before"
	cur.Hit(3, t0.Add(time.Hour))

	next, err := rulemeta.Change(cur, 1, t0.Add(2*time.Hour), "rule r1", func(r *rule) error {
		r.Name, r.ID, r.Hits, r.CreatedBy = "after", "forged", 0, "mallory"
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if next.Name != "after" || next.ID != "r1" || next.Hits != 3 || next.CreatedBy != "alice" {
		t.Errorf("changed rule %+v: want the new name with id, hits and author kept", next)
	}
	if next.Version != 2 || !next.UpdatedAt.Equal(t0.Add(2*time.Hour)) || !next.CreatedAt.Equal(t0) {
		t.Errorf("version %d updated %s created %s: want 2, the change's time, the creation kept", next.Version, next.UpdatedAt, next.CreatedAt)
	}

	_, err = rulemeta.Change(cur, 7, t0, "rule r1", func(*rule) error { return nil }, nil)
	if !errors.Is(err, incident.ErrConflict) {
		t.Errorf("stale version: %v, want ErrConflict", err)
	}
	refuse := errors.New("refused")
	got, err := rulemeta.Change(cur, 1, t0, "rule r1", func(r *rule) error { r.Name = "x"; return nil },
		func(*rule, time.Time) error { return refuse })
	if !errors.Is(err, refuse) || got.Name != "before" {
		t.Errorf("invalid change: %v, rule %q; want the validation error and the stored rule", err, got.Name)
	}
}

func TestHitMovesLastHitForwardOnly(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var m rulemeta.Meta
	m.Hit(2, t0)
	m.Hit(1, t0.Add(-time.Hour))
	if m.Hits != 3 || m.LastHitAt == nil || !m.LastHitAt.Equal(t0) {
		t.Errorf("hits %d last %v, want 3 at %s", m.Hits, m.LastHitAt, t0)
	}
}
