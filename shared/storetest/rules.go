package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/suppress"
)

// RuleStore is the suppression-rule area: CRUD for the API, ActiveRules and
// RecordHits for ingest.
type RuleStore interface {
	CreateRule(ctx context.Context, r suppress.Rule) (suppress.Rule, error)
	GetRule(ctx context.Context, id string) (suppress.Rule, error)
	ListRules(ctx context.Context) ([]suppress.Rule, error)
	UpdateRule(ctx context.Context, id string, version int64, change func(*suppress.Rule) error) (suppress.Rule, error)
	DeleteRule(ctx context.Context, id string) error
	ActiveRules(ctx context.Context) ([]suppress.Rule, error)
	RecordHits(ctx context.Context, hits map[string]int, at time.Time) error
}

// ruleStore returns a store from newStore as a RuleStore, skipping the
// test when it is not one.
func ruleStore(t *testing.T, newStore func(t *testing.T) Store) RuleStore {
	t.Helper()
	return storeAs[RuleStore](t, newStore, "the rule area")
}

func init() { register("rules", RunRules) }

// RunRules runs the suppression-rule area's conformance tests.
func RunRules(t *testing.T, newStore func(t *testing.T) Store) {
	runSubtests(t, newStore, []subtest{
		{"crud with version", rulesCRUDWithVersion},
		{"active rules, shadow and expiry", rulesActiveShadowExpiry},
		{"hits add up", rulesHitsAddUp},
	})
}

// probeRule is a rule for port probes in state.
func probeRule(state suppress.State) suppress.Rule {
	return suppress.Rule{Name: "probe", Match: suppress.Match{AlertType: "Recon:EC2/PortProbeUnprotectedPort"}, Reason: "Expected activity", State: state}
}

// rulesCRUDWithVersion: crud with version.
func rulesCRUDWithVersion(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	s := ruleStore(t, newStore)
	if _, err := s.CreateRule(ctx, suppress.Rule{Reason: "x"}); !errors.Is(err, suppress.ErrInvalid) {
		t.Fatalf("invalid rule: %v", err)
	}
	r, err := s.CreateRule(ctx, probeRule(suppress.Enabled))
	if err != nil || r.ID == "" || r.Version != 1 || r.CreatedAt.IsZero() {
		t.Fatalf("create = %+v, %v", r, err)
	}
	got, err := s.GetRule(ctx, r.ID)
	if err != nil || got.Name != "probe" || got.Version != 1 {
		t.Fatalf("get = %+v, %v", got, err)
	}
	set := func(x *suppress.Rule) error { x.State = suppress.Disabled; return nil }
	if _, err := s.UpdateRule(ctx, r.ID, 9, set); !errors.Is(err, incident.ErrConflict) {
		t.Fatalf("stale update: %v", err)
	}
	up, err := s.UpdateRule(ctx, r.ID, 1, set)
	if err != nil || up.Version != 2 || up.State != suppress.Disabled {
		t.Fatalf("update = %+v, %v", up, err)
	}
	bad := func(x *suppress.Rule) error { x.Reason = ""; return nil }
	if _, err := s.UpdateRule(ctx, r.ID, 2, bad); !errors.Is(err, suppress.ErrInvalid) {
		t.Fatalf("invalid update: %v", err)
	}
	if err := s.DeleteRule(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRule(ctx, r.ID); !errors.Is(err, suppress.ErrNotFound) {
		t.Fatalf("deleted rule: %v", err)
	}
	if err := s.DeleteRule(ctx, r.ID); !errors.Is(err, suppress.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

// rulesActiveShadowExpiry: active rules, shadow and expiry.
func rulesActiveShadowExpiry(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	s := ruleStore(t, newStore)
	enabled, _ := s.CreateRule(ctx, probeRule(suppress.Enabled))
	shadow, _ := s.CreateRule(ctx, probeRule(suppress.Shadow))
	_, _ = s.CreateRule(ctx, probeRule(suppress.Disabled))
	past := time.Now().Add(-time.Hour)
	exp := probeRule(suppress.Enabled)
	exp.ExpiresAt = &past
	expired, _ := s.CreateRule(ctx, exp)
	all, err := s.ListRules(ctx)
	if err != nil || len(all) != 4 {
		t.Fatalf("list = %d, %v", len(all), err)
	}
	active, err := s.ActiveRules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range active {
		ids[r.ID] = true
	}
	if len(active) != 2 || !ids[enabled.ID] || !ids[shadow.ID] || ids[expired.ID] {
		t.Fatalf("active = %+v", active)
	}
}

// rulesHitsAddUp: hits add up.
func rulesHitsAddUp(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	s := ruleStore(t, newStore)
	r, _ := s.CreateRule(ctx, probeRule(suppress.Shadow))
	t1 := time.Now().UTC().Truncate(time.Second)
	if err := s.RecordHits(ctx, map[string]int{r.ID: 2, "gone": 4}, t1); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordHits(ctx, map[string]int{r.ID: 3}, t1.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetRule(ctx, r.ID)
	if got.Hits != 5 || got.LastHitAt == nil || !got.LastHitAt.Equal(t1) {
		t.Fatalf("hits = %d, last = %v", got.Hits, got.LastHitAt)
	}
	set := func(x *suppress.Rule) error { x.Comment = "kept hits"; return nil }
	if up, err := s.UpdateRule(ctx, r.ID, 1, set); err != nil || up.Hits != 5 {
		t.Fatalf("update lost hits: %+v, %v", up, err)
	}
	if _, err := s.GetRule(ctx, "gone"); !errors.Is(err, suppress.ErrNotFound) {
		t.Fatal("hits created a rule")
	}
}
