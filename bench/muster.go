package bench

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/quality"
)

// Muster groups alerts with the correlation engine, in memory: alerts are
// fed in delivery order in batches of Batch (the correlator's stream batch
// size), each batch applied and committed, and the incidents are the
// stored groups that became incidents and were not merged away.
type Muster struct {
	Config correlate.Config
	// Batch is the batch size; resources.Correlator.BatchSize when zero.
	Batch int
	// Err is the first error met (the grouping is then partial).
	Err error
}

var _ quality.Grouper = (*Muster)(nil)

// Group implements quality.Grouper.
func (m *Muster) Group(alerts []*alert.Alert) [][]string {
	eng, err := correlate.New(m.Config)
	if err != nil {
		m.Err = err
		return nil
	}
	mem := correlate.NewMemory()
	if err := Feed(eng, mem, alerts, m.batch()); err != nil {
		m.Err = err
	}
	var out [][]string
	for _, g := range mem.Groups() {
		if g.IsIncident && g.Incident.MergedInto == "" {
			out = append(out, g.MemberIDs())
		}
	}
	return out
}

func (m *Muster) batch() int {
	if m.Batch > 0 {
		return m.Batch
	}
	return 100
}

// Feed applies alerts to mem in batches of size n, in order, using each
// batch's latest ReceivedAt as the processing time.
func Feed(eng *correlate.Engine, mem *correlate.Memory, alerts []*alert.Alert, n int) error {
	buf := make([]alert.Alert, 0, n)
	for i := 0; i < len(alerts); i += n {
		buf = buf[:0]
		var now time.Time
		for _, a := range alerts[i:min(i+n, len(alerts))] {
			buf = append(buf, *a)
			if a.ReceivedAt.After(now) {
				now = a.ReceivedAt
			}
		}
		ch, err := eng.Apply(mem, buf, now)
		if err != nil {
			return fmt.Errorf("apply batch at %d: %w", i, err)
		}
		if err := mem.CommitAll(ch); err != nil {
			return fmt.Errorf("commit batch at %d: %w", i, err)
		}
	}
	return nil
}

// Shuffled runs Muster on the same alerts in a different, seeded random
// delivery order. Correlation's outcome should not depend on arrival order
// (docs/correlation.md); a score that differs from Muster's shows where it
// does.
type Shuffled struct {
	Muster
	Seed uint64
}

// Group implements quality.Grouper.
func (s *Shuffled) Group(alerts []*alert.Alert) [][]string {
	in := append([]*alert.Alert(nil), alerts...)
	r := rand.New(rand.NewPCG(s.Seed, s.Seed+1))
	r.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
	return s.Muster.Group(in)
}
