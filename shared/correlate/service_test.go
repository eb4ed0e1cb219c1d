package correlate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/memstore"
)

// countingStore records the size of every commit.
type countingStore struct {
	correlate.Store
	largest, commits int
}

func (c *countingStore) Commit(ctx context.Context, u *correlate.Unit) error {
	c.commits++
	c.largest = max(c.largest, u.Items())
	return c.Store.Commit(ctx, u)
}

// TestServiceSplitsUnitsOverOneTransaction: one attacker IP on 40
// resources in one batch is one component of more than 100 records; the
// service applies it in smaller parts, each within one transaction, and
// still builds one incident.
func TestServiceSplitsUnitsOverOneTransaction(t *testing.T) {
	cfg := correlate.DefaultConfig()
	cfg.NoisyKeyResources = 100
	e := mustEngine(t, cfg)
	st := &countingStore{Store: memstore.New(nil)}
	svc := correlate.NewService(e, st, correlate.ServiceOptions{Now: func() time.Time { return base }})
	var batch []alert.Alert
	for i := 0; i < 40; i++ {
		batch = append(batch, mk(spec{src: fmt.Sprintf("a%d", i), at: time.Duration(i) * time.Minute,
			stages: []killchain.Stage{killchain.Stage(1 + i%13)}, res: []string{fmt.Sprintf("r%d", i)},
			ents: []alert.Entity{ip("203.0.113.66")}}))
	}
	res := svc.Correlate(context.Background(), batch)
	if len(res.Failed) != 0 {
		t.Fatalf("failed: %v", res.Failed)
	}
	if st.largest > correlate.MaxTransactionItems || st.commits < 2 {
		t.Fatalf("commits = %d, largest = %d records", st.commits, st.largest)
	}
	ids := make([]string, len(batch))
	for i := range batch {
		ids[i] = correlate.GroupIDFor(batch[i].ID)
	}
	gs, err := st.LoadGroups(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	live := 0
	for _, g := range gs {
		if g.Live() {
			live++
			if len(g.Members) != 40 || !g.IsIncident {
				t.Errorf("incident has %d members (incident=%v), want all 40", len(g.Members), g.IsIncident)
			}
		}
	}
	if live != 1 {
		t.Errorf("live groups = %d, want 1", live)
	}
}
