package correlate

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
)

// Whether a group is an incident: its confidence, weighed from its
// members alone, so that it does not depend on arrival order
// (docs/correlation.md, "Confidence").

// Assessment is how strongly a group's alerts look like one attack.
type Assessment struct {
	Confidence int
	Reasons    []string
}

// Weights of the confidence.
const (
	confidenceSource     = 100 // a source called an alert an incident
	confidenceProgress   = 50  // MinStages real stages, in kill-chain order
	confidencePerStage   = 10  // each real stage beyond MinStages
	confidenceUnordered  = 35  // MinStages real stages, never in order
	confidenceStage      = 15  // each real stage below MinStages
	confidenceActor      = 10  // alerts share an actor that is not noisy
	confidenceSeverity   = 5   // a High or Critical alert at a real stage
	maxProgressionWeight = 90
)

// realStage reports whether a stage is a step of an attack rather than
// looking around: PreAttack (reconnaissance, probes) and Discovery are
// what routine scanners, monitoring and administrators do every day.
func realStage(s killchain.Stage) bool {
	return s.Counts() && s != killchain.PreAttack && s != killchain.Discovery
}

// assess weighs a group's evidence.
func assess(g *Group, cfg Config) Assessment {
	var a Assessment
	if i := slices.IndexFunc(g.Members, func(m Member) bool { return m.Source }); i >= 0 || g.Forced {
		who := "its source"
		if i >= 0 {
			who = providerName(g.Members[i].Provider)
		}
		a.Confidence = confidenceSource
		a.Reasons = append(a.Reasons, who+" reported it as an incident or attack sequence")
		return a
	}
	var strong []*Member
	mass := 0
	var looked killchain.Set
	for i := range g.Members {
		m := &g.Members[i]
		if m.inert() {
			mass++
			continue
		}
		strong = append(strong, m)
		for _, s := range m.Stages.Stages() {
			if !realStage(s) {
				looked = looked.With(s)
			}
		}
	}
	stages := realStages(strong)
	ordered, first, later := progression(strong)
	n := stages.Len()
	switch {
	case n >= cfg.MinStages && ordered:
		a.Confidence = min(maxProgressionWeight, confidenceProgress+confidencePerStage*(n-cfg.MinStages))
		a.Reasons = append(a.Reasons, stageList(n, stages)+", in kill-chain order")
	case n >= cfg.MinStages:
		a.Confidence = confidenceUnordered
		a.Reasons = append(a.Reasons, stageList(n, stages)+", but never in kill-chain order ("+
			later.Label()+" only before "+first.Label()+")")
	default:
		a.Confidence = confidenceStage * n
		a.Reasons = append(a.Reasons, stageList(n, stages)+"; an incident needs "+strconv.Itoa(cfg.MinStages))
	}
	if looked.Len() > 0 {
		a.Reasons = append(a.Reasons, "reconnaissance and discovery ("+labels(looked)+") do not count as attack steps")
	}
	if mass > 0 {
		a.Reasons = append(a.Reasons, strconv.Itoa(mass)+" alert(s) are mass activity (their actor is noisy that day) and count as weak evidence")
	}
	if sharedActor(strong) {
		a.Confidence += confidenceActor
		a.Reasons = append(a.Reasons, "alerts share an actor (address, account or access key) that is not noisy")
	}
	if severeStep(strong) {
		a.Confidence += confidenceSeverity
		a.Reasons = append(a.Reasons, "High or Critical alerts at attack steps")
	}
	a.Confidence = min(a.Confidence, 100)
	return a
}

func realStages(ms []*Member) killchain.Set {
	var out killchain.Set
	for _, m := range ms {
		for _, s := range m.Stages.Stages() {
			if realStage(s) {
				out = out.With(s)
			}
		}
	}
	return out
}

// progression reports whether the real stages follow the kill chain in
// time: some alert at an earlier stage first seen no later than some alert
// at a later stage. When they do not, first and later name the group's
// earliest and latest stages, which were seen out of order.
func progression(ms []*Member) (ok bool, first, later killchain.Stage) {
	earliest := map[killchain.Stage]time.Time{}
	latest := map[killchain.Stage]time.Time{}
	for _, m := range ms {
		for _, s := range m.Stages.Stages() {
			if !realStage(s) {
				continue
			}
			if t, ok := earliest[s]; !ok || m.FirstSeen.Before(t) {
				earliest[s] = m.FirstSeen
			}
			if t, ok := latest[s]; !ok || m.FirstSeen.After(t) {
				latest[s] = m.FirstSeen
			}
		}
	}
	stages := slices.Sorted(maps.Keys(earliest))
	if len(stages) < 2 {
		return true, 0, 0
	}
	for i, x := range stages {
		for _, y := range stages[i+1:] {
			if !earliest[x].After(latest[y]) {
				return true, x, y
			}
		}
	}
	return false, stages[0], stages[len(stages)-1]
}

// sharedActor reports whether two strong members share an actor key that
// links them (not noisy).
func sharedActor(ms []*Member) bool {
	seen := map[string]bool{}
	for _, m := range ms {
		for _, h := range m.Actors {
			if !m.links(h) {
				continue
			}
			if seen[h] {
				return true
			}
			seen[h] = true
		}
	}
	return false
}

func severeStep(ms []*Member) bool {
	for _, m := range ms {
		if m.Severity >= alert.High && realStages([]*Member{m}).Len() > 0 {
			return true
		}
	}
	return false
}

func stageList(n int, s killchain.Set) string {
	switch n {
	case 0:
		return "no attack step beyond reconnaissance and discovery"
	case 1:
		return "one attack step (" + labels(s) + ")"
	}
	return strconv.Itoa(n) + " attack steps (" + labels(s) + ")"
}

func labels(s killchain.Set) string {
	var out []string
	for _, st := range s.Stages() {
		out = append(out, st.Label())
	}
	return strings.Join(out, ", ")
}
