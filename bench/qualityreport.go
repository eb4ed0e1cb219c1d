package bench

import (
	"fmt"
	"strings"
)

// qualityMarkdown renders the correlation quality section.
func (r *Report) qualityMarkdown(p func(string, ...any)) {
	s := r.Scenario
	p("\n## Correlation quality\n\nScenario (seed %d, %s noise): %d alerts over %.0f days — %d campaigns (%d across several instances, %d repeat attacks on an earlier campaign's resource ≥ 72 h later, %d second attackers on a running campaign's resource) holding %d alerts; %d noise alerts; %d deliveries out of firstSeen order. Providers: %s.\n\n",
		s.Seed, s.Noise, s.Alerts, s.SpanDays, s.Campaigns, s.MultiResource, s.Repeats, s.Overlaps, s.CampaignAlert, s.NoiseAlerts, s.OutOfOrder, providers(s.Providers))
	p("Noise patterns (shared/scenario/doc.go says where each comes from and why its rate):\n\n| Pattern | Alerts | Resources | Days |\n|---|---|---|---|\n")
	for _, x := range s.Patterns {
		p("| %s | %d | %d | %d |\n", x.Name, x.Alerts, x.Resources, x.Days)
	}

	p("\n### Muster per seed (realistic noise)\n\n| Family | Seed | Attacks detected | Pairwise P | Pairwise R | F1 | Incident precision | False incidents / attack | Time to detect median / p90 | Incidents | Identical partitions, delivery vs shuffled |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, q := range r.QualitySeeds {
		if q.Grouper != GrouperMuster {
			continue
		}
		x := q.Result
		if q.Error != "" {
			p("| %s | %d | error: %s |||||||||\n", q.Family, q.Seed, q.Error)
			continue
		}
		p("| %s | %d | %d / %d | %.3f | %.3f | **%.3f** | %.3f | %.2f | %s | %d | %s |\n", q.Family, q.Seed, x.Detected, x.Campaigns,
			x.Precision, x.Recall, x.F1, x.IncidentPrecision, x.FalsePerAttack, ttd(q), x.Incidents, identical(q.ShuffledDiff))
	}

	p("\n### Every grouper, mean over each seed family\n\nTuned seeds may be used to tune the engine; untuned seeds never are (report them apart, and distrust a gain that shows only on tuned seeds). Attacks detected is the total over the family; the other figures are means over its seeds; time to detect is the mean of the per-seed median and p90.\n\n")
	p("| Grouper | Family | Attacks detected | Pairwise P | Pairwise R | F1 | Incident precision | False incidents / attack | Time to detect median / p90 | Incidents | Identical partitions |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, st := range familyStats(r.QualitySeeds) {
		t, same := "—", "—"
		if st.timed {
			t = hours(st.ttdMed) + " / " + hours(st.ttdP90)
		}
		if st.diffed > 0 {
			same = fmt.Sprintf("%d / %d seeds", st.identical, st.diffed)
		}
		p("| %s | %s (%s) | %d / %d | %.3f | %.3f | **%.3f** | %.3f | %.2f | %s | %.0f | %s |\n", st.grouper, st.family, seedRange(st.seeds),
			st.detected, st.total, st.p, st.r, st.f1, st.incP, st.falsePer, t, st.incidents, same)
	}

	p("\n### Seed %d in detail\n\n| Grouper | Noise | Precision | Recall | F1 | Attacks detected | Incidents | Noise reduction (alerts ÷ incidents) | Alerts per incident | Alerts left ungrouped | Noise alerts in incidents |\n|---|---|---|---|---|---|---|---|---|---|---|\n", s.Seed)
	for _, q := range r.Quality {
		x := q.Result
		if q.Error != "" {
			p("| %s | %s | error: %s |||||||||\n", q.Grouper, q.Noise, q.Error)
			continue
		}
		p("| %s | %s | %.3f | %.3f | **%.3f** | %d / %d | %d | %.1f | %.1f | %d | %d |\n", q.Grouper, q.Noise, x.Precision, x.Recall, x.F1,
			x.Detected, x.Campaigns, x.Incidents, x.NoiseReduced, x.AlertsPerInc, x.Ungrouped, x.NoiseInInc)
	}
	p("\nRules:\n\n")
	for _, q := range r.Quality {
		p("- **%s**: %s\n", q.Grouper, q.Rule)
	}
	p("\nMetrics (shared/quality): pairwise precision and recall over alert pairs in one incident vs one campaign (noise alerts are singletons in the truth; alerts in no incident are singletons in the prediction); an attack is detected when one incident holds more than half of its alerts; incident precision is the share of incidents more than half of whose alerts are from one campaign; a false incident is one more than half noise; time to detect runs from a campaign's first alert to the moment the incident holding most of it had formed and held one of its alerts, in alert time (firstSeen), from a replay in firstSeen order; identical partitions compares every alert's incident between delivery order and a shuffled order (the number is how many alerts differ).\n")
}

func ttd(q QualityRow) string {
	if q.Detect == nil {
		return "—"
	}
	return hours(q.Detect.Median) + " / " + hours(q.Detect.P90)
}

func identical(diff *int) string {
	switch {
	case diff == nil:
		return "—"
	case *diff == 0:
		return "yes"
	}
	return fmt.Sprintf("no (%d alerts differ)", *diff)
}

// qualityTargets are the correlation quality targets: Muster on the
// realistic scenario, per seed family.
func (r *Report) qualityTargets() []Target {
	var out []Target
	stats := familyStats(r.QualitySeeds)
	var muster []familyStat
	for _, st := range stats {
		if st.grouper == GrouperMuster {
			muster = append(muster, st)
		}
	}
	measured := len(muster) > 0
	each := func(name, goal string, show func(familyStat) string, ok func(familyStat) bool) {
		t := Target{Name: name, Target: goal}
		var parts []string
		all := measured
		for _, st := range muster {
			parts = append(parts, fmt.Sprintf("%s (%s): %s", st.family, seedRange(st.seeds), show(st)))
			all = all && st.errors == 0 && ok(st)
		}
		t.Measured = strings.Join(parts, "; ")
		t.Status = status(measured, all)
		out = append(out, t)
	}
	each("Attacks detected", "100 % on every seed",
		func(st familyStat) string { return fmt.Sprintf("%d / %d", st.detected, st.total) },
		func(st familyStat) bool { return st.detected == st.total })
	each("Pairwise recall", fmt.Sprintf("≥ %.2f (family mean)", TargetRecall),
		func(st familyStat) string { return fmt.Sprintf("%.3f", st.r) },
		func(st familyStat) bool { return st.r >= TargetRecall })
	each("Incident precision", fmt.Sprintf("≥ %.2f (family mean)", TargetIncidentPrecision),
		func(st familyStat) string { return fmt.Sprintf("%.3f", st.incP) },
		func(st familyStat) bool { return st.incP >= TargetIncidentPrecision })
	each("Pairwise F1", fmt.Sprintf("≥ %.2f (family mean)", TargetF1),
		func(st familyStat) string { return fmt.Sprintf("%.3f", st.f1) },
		func(st familyStat) bool { return st.f1 >= TargetF1 })
	each("Identical partitions, delivery vs shuffled order", "on every seed",
		func(st familyStat) string { return fmt.Sprintf("%d / %d seeds", st.identical, st.diffed) },
		func(st familyStat) bool { return st.diffed > 0 && st.identical == st.diffed })
	out = append(out, r.beatsBaselines())
	return out
}

// beatsBaselines is the target "Muster's F1 above both baselines on every
// seed of every family".
func (r *Report) beatsBaselines() Target {
	t := Target{Name: "Grouping F1 above both baselines on every seed", Target: "Muster F1 > by-resource and > by-entity per seed"}
	muster := map[string]float64{}
	for _, q := range r.QualitySeeds {
		if q.Grouper == GrouperMuster {
			muster[q.Family+fmt.Sprint(q.Seed)] = q.Result.F1
		}
	}
	wins, n := map[string]int{}, map[string]int{}
	for _, q := range r.QualitySeeds {
		if q.Grouper == GrouperResource || q.Grouper == GrouperEntity {
			n[q.Grouper]++
			if muster[q.Family+fmt.Sprint(q.Seed)] > q.Result.F1 {
				wins[q.Grouper]++
			}
		}
	}
	all := len(n) == 2
	var parts []string
	for _, g := range []string{GrouperResource, GrouperEntity} {
		parts = append(parts, fmt.Sprintf("beats %s on %d / %d", g, wins[g], n[g]))
		all = all && wins[g] == n[g]
	}
	t.Measured = strings.Join(parts, "; ")
	t.Status = status(len(n) == 2, all)
	return t
}
