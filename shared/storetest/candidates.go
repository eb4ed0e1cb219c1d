package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
)

// CandidateStore lists candidates: linked groups below the incident
// threshold.
type CandidateStore interface {
	ListCandidates(ctx context.Context, since time.Time, limit int) ([]incident.Incident, error)
}

func init() { register("candidates", runCandidates) }

// runCandidates: a linked group below the threshold is listed, newest
// first; a lone alert, an incident and a merged group are not.
func runCandidates(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	raw := newStore(t)
	cs, ok := raw.(CandidateStore)
	st, ok2 := raw.(correlate.Store)
	if !ok || !ok2 {
		t.Skip("store keeps no candidates")
	}
	e, err := correlate.New(correlate.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	svc := correlate.NewService(e, st, correlate.ServiceOptions{Now: func() time.Time { return corrDay.Add(48 * time.Hour) }})
	alerts := []alert.Alert{
		corrAlert("cand-1", 0, killchain.PreAttack, "cand-web-1"),
		corrAlert("cand-2", time.Hour, killchain.Discovery, "cand-web-1"),   // with cand-1: a candidate
		corrAlert("cand-3", 2*time.Hour, killchain.PreAttack, "cand-web-2"), // alone
		corrAlert("inc-1", 3*time.Hour, killchain.InitialAccess, "cand-web-3"),
		corrAlert("inc-2", 4*time.Hour, killchain.Execution, "cand-web-3"), // an incident
	}
	res := svc.Correlate(ctx, alerts)
	if len(res.Failed) > 0 {
		t.Fatalf("correlate failed for %v", res.Failed)
	}
	got, err := cs.ListCandidates(ctx, corrDay.Add(-24*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].AlertCount != 2 || got[0].Confidence >= 50 || got[0].Version < 1 {
		t.Fatalf("candidates = %+v, want the one group of two alerts below the threshold", got)
	}
	if none, err := cs.ListCandidates(ctx, corrDay.Add(24*time.Hour), 10); err != nil || len(none) != 0 {
		t.Fatalf("candidates since a later day = %v, %v", none, err)
	}
}
