package bench

import (
	"fmt"
	"time"

	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/quality"
	"github.com/muster-sec/muster/shared/scenario"
)

// Seed families of the quality section. Tuned seeds are the ones the
// engine's rules may be tuned on; untuned seeds are never looked at while
// tuning, so their figures show whether a gain generalises.
const (
	FamilyTuned   = "tuned"
	FamilyUntuned = "untuned"
)

// DefaultUntuned is the untuned seed family: 101–105.
var DefaultUntuned = []uint64{101, 102, 103, 104, 105}

// Grouper names the report uses in tables and targets.
const (
	GrouperMuster   = "Muster"
	GrouperBefore   = "Muster on the legacy noise (before)"
	GrouperShuffled = "Muster (shuffled delivery)"
	GrouperResource = "By resource"
	GrouperEntity   = "By entity (5h)"
)

// Quality targets (Muster on the realistic scenario, mean over each seed
// family; detection and identical partitions on every seed).
const (
	TargetRecall            = 0.98
	TargetIncidentPrecision = 0.80
	TargetF1                = 0.95
)

type namedGrouper struct {
	name, rule string
	g          quality.Grouper
}

// groupers are the groupings the report compares on the realistic
// scenario, fresh for each scenario.
func groupers() []namedGrouper {
	noisy20 := correlate.DefaultConfig()
	noisy20.NoisyKeyResources = 20
	return []namedGrouper{
		{GrouperMuster, "shared/correlate with its defaults, alerts fed in delivery order in stream batches of 100; incidents = groups that reached the incident threshold and were not merged away. Time to detect from a second run that replays the alerts one by one in firstSeen order.", &Muster{Config: correlate.DefaultConfig()}},
		{"Muster (noisy key > 20 resources)", "as Muster with MUSTER_NOISY_KEY_RESOURCES=20 (sensitivity of the noisy-key threshold).", &Muster{Config: noisy20}},
		{GrouperShuffled, "as Muster, the same alerts delivered in a random order (the outcome must not depend on arrival order).", &Shuffled{Muster: Muster{Config: correlate.DefaultConfig()}, Seed: 99}},
		{GrouperResource, "Alertmanager group_by resource: every alert with the same primary resource in one group, for all time; a group with ≥ 2 alerts is an incident.", quality.ByResource{}},
		{GrouperEntity, "Sentinel-style: alerts sharing any resource id or entity value (any type, private IPs included) with firstSeen ≤ 5 h apart are linked; connected components with ≥ 2 alerts are incidents.", quality.ByEntity{}},
	}
}

// beforeRule describes the "before" row.
const beforeRule = "Muster, as above, on the same seed's scenario under the legacy noise model (random single-stage noise and internet scanners only): the baseline these figures replace."

// scoreSeed scores every grouper on the realistic scenario cfg describes,
// and Muster on the same seed's legacy scenario.
func scoreSeed(family string, cfg, legacy scenario.Config) []QualityRow {
	sc := scenario.Generate(cfg)
	var rows []QualityRow
	var delivery, shuffled [][]string
	musterRow := 0
	for _, g := range groupers() {
		row, groups := scoreOne(g, sc)
		row.Family = family
		switch g.name {
		case GrouperMuster:
			delivery, musterRow = groups, len(rows)
		case GrouperShuffled:
			shuffled = groups
		}
		rows = append(rows, row)
	}
	diff := quality.PartitionDiff(delivery, shuffled)
	same := diff == 0
	rows[musterRow].ShuffledDiff, rows[musterRow].Identical = &diff, &same

	before, _ := scoreOne(namedGrouper{GrouperBefore, beforeRule, &Muster{Config: correlate.DefaultConfig()}}, scenario.Generate(legacy))
	before.Family = family
	return append(rows, before)
}

// scoreOne runs one grouper on sc and scores it; a *Muster grouper is also
// timed (time to detect).
func scoreOne(g namedGrouper, sc *scenario.Scenario) (QualityRow, [][]string) {
	t := time.Now()
	groups := g.g.Group(sc.Alerts)
	row := QualityRow{Grouper: g.name, Rule: g.rule, Seed: sc.Config.Seed, Noise: sc.Config.Noise.String(),
		Result: quality.Score(groups, sc.Labels)}
	if m, ok := g.g.(*Muster); ok {
		d := quality.TimeToDetect(m.GroupInTime(sc.Alerts), sc.Alerts, sc.Labels)
		row.Detect = &d
	}
	row.Seconds = time.Since(t).Seconds()
	switch m := g.g.(type) {
	case *Muster:
		row.Error = errText(m.Err)
	case *Shuffled:
		row.Error = errText(m.Err)
	}
	return row, groups
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// familyStat is one grouper's figures over one seed family.
type familyStat struct {
	grouper, family string
	seeds           []uint64
	detected, total int
	p, r, f1        float64 // means
	incP, falsePer  float64 // means
	ttdMed, ttdP90  time.Duration
	timed           bool
	incidents       float64
	identical       int // seeds with identical partitions (Muster only)
	diffed          int // seeds where the partition was compared
	errors          int
}

// familyStats averages rows per (family, grouper), in order of first
// appearance.
func familyStats(rows []QualityRow) []familyStat {
	var order []string
	by := map[string][]QualityRow{}
	for _, q := range rows {
		k := q.Family + "\x00" + q.Grouper
		if _, ok := by[k]; !ok {
			order = append(order, k)
		}
		by[k] = append(by[k], q)
	}
	out := make([]familyStat, 0, len(order))
	for _, k := range order {
		out = append(out, summarise(by[k]))
	}
	return out
}

func summarise(qs []QualityRow) familyStat {
	st := familyStat{grouper: qs[0].Grouper, family: qs[0].Family}
	n := float64(len(qs))
	var med, p90 time.Duration
	for _, q := range qs {
		x := q.Result
		st.seeds = append(st.seeds, q.Seed)
		st.detected += x.Detected
		st.total += x.Campaigns
		st.p, st.r, st.f1 = st.p+x.Precision/n, st.r+x.Recall/n, st.f1+x.F1/n
		st.incP, st.falsePer = st.incP+x.IncidentPrecision/n, st.falsePer+x.FalsePerAttack/n
		st.incidents += float64(x.Incidents) / n
		if q.Detect != nil {
			st.timed = true
			med += q.Detect.Median
			p90 += q.Detect.P90
		}
		if q.ShuffledDiff != nil {
			st.diffed++
			if *q.ShuffledDiff == 0 {
				st.identical++
			}
		}
		if q.Error != "" {
			st.errors++
		}
	}
	st.ttdMed, st.ttdP90 = med/time.Duration(len(qs)), p90/time.Duration(len(qs))
	return st
}

func seedRange(seeds []uint64) string {
	if len(seeds) == 0 {
		return ""
	}
	lo, hi := seeds[0], seeds[0]
	for _, s := range seeds {
		lo, hi = min(lo, s), max(hi, s)
	}
	if lo == hi {
		return fmt.Sprintf("seed %d", lo)
	}
	return fmt.Sprintf("seeds %d–%d", lo, hi)
}

// hours renders a duration in hours, one decimal.
func hours(d time.Duration) string { return fmt.Sprintf("%.1f h", d.Hours()) }
