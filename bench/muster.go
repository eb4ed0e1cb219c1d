package bench

import (
	"fmt"
	"math/rand/v2"
	"sort"
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
	// Batch is the batch size; 100 when zero (the quality figures'
	// batches, whatever the deployed batch size).
	Batch int
	// Err is the first error met (the grouping is then partial).
	Err error
}

var _ quality.Timeline = (*Muster)(nil)

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

// GroupInTime implements quality.Timeline: it replays the alerts one at a
// time in firstSeen order (processing time = the alert's firstSeen, so no
// delivery delay) and notes, for every group the engine promotes, the
// firstSeen of the alert that promoted it. An incident that absorbed
// others formed at the earliest promotion among them.
func (m *Muster) GroupInTime(alerts []*alert.Alert) []quality.Formed {
	eng, err := correlate.New(m.Config)
	if err != nil {
		m.Err = err
		return nil
	}
	in := append([]*alert.Alert(nil), alerts...)
	sort.SliceStable(in, func(i, j int) bool {
		if !in[i].FirstSeen.Equal(in[j].FirstSeen) {
			return in[i].FirstSeen.Before(in[j].FirstSeen)
		}
		return in[i].ID < in[j].ID
	})
	mem := correlate.NewMemory()
	promoted := map[string]time.Time{}
	for i, a := range in {
		ch, err := eng.Apply(mem, []alert.Alert{*a}, a.FirstSeen)
		if err == nil {
			err = mem.CommitAll(ch)
		}
		if err != nil {
			m.Err = fmt.Errorf("replay alert %d: %w", i, err)
			break
		}
		for _, id := range ch.Promoted {
			if _, ok := promoted[id]; !ok {
				promoted[id] = a.FirstSeen
			}
		}
	}
	return formed(mem, promoted)
}

// formed lists mem's live incidents, each formed at the earliest
// promotion among itself and the groups merged into it.
func formed(mem *correlate.Memory, promoted map[string]time.Time) []quality.Formed {
	byID := map[string]*correlate.Group{}
	for _, g := range mem.Groups() {
		byID[g.ID()] = g
	}
	final := func(id string) string {
		for range len(byID) { // a merge chain is at most as long as the groups
			g, ok := byID[id]
			if !ok || g.Incident.MergedInto == "" {
				break
			}
			id = g.Incident.MergedInto
		}
		return id
	}
	at := map[string]time.Time{}
	for id, t := range promoted {
		f := final(id)
		if cur, ok := at[f]; !ok || t.Before(cur) {
			at[f] = t
		}
	}
	var out []quality.Formed
	for _, g := range mem.Groups() {
		if g.IsIncident && g.Incident.MergedInto == "" {
			out = append(out, quality.Formed{IDs: g.MemberIDs(), At: at[g.ID()]})
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
