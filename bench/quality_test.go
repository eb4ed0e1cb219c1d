package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/quality"
	"github.com/muster-sec/muster/shared/scenario"
)

// A short run scores both seed families: every grouper per seed, the
// "before" row on the legacy noise, time to detect on Muster rows and the
// delivery-vs-shuffled comparison on the Muster row.
func TestScoreFamilies(t *testing.T) {
	o := Options{Seed: 1, Seeds: 2, Untuned: []uint64{101}, Short: true}
	first, all := scoreFamilies(o, qualityConfig(1, true, scenario.NoiseRealistic))
	perSeed := len(groupers()) + 1
	if len(first) != perSeed || len(all) != 3*perSeed {
		t.Fatalf("%d first-seed rows and %d in all, want %d and %d", len(first), len(all), perSeed, 3*perSeed)
	}
	families := map[uint64]string{}
	for _, q := range all {
		if q.Error != "" {
			t.Fatalf("%s seed %d: %s", q.Grouper, q.Seed, q.Error)
		}
		families[q.Seed] = q.Family
		wantNoise := "realistic"
		if q.Grouper == GrouperBefore {
			wantNoise = "legacy"
		}
		if q.Noise != wantNoise {
			t.Errorf("%s seed %d: noise %s, want %s", q.Grouper, q.Seed, q.Noise, wantNoise)
		}
		if timed := strings.HasPrefix(q.Grouper, "Muster") && q.Grouper != GrouperShuffled; timed != (q.Detect != nil) {
			t.Errorf("%s seed %d: time to detect %v", q.Grouper, q.Seed, q.Detect)
		}
		if (q.Grouper == GrouperMuster) != (q.ShuffledDiff != nil) {
			t.Errorf("%s seed %d: shuffled diff %v", q.Grouper, q.Seed, q.ShuffledDiff)
		}
	}
	want := map[uint64]string{1: FamilyTuned, 2: FamilyTuned, 101: FamilyUntuned}
	for s, f := range want {
		if families[s] != f {
			t.Errorf("seed %d in family %q, want %q", s, families[s], f)
		}
	}
}

func row(grouper, family string, seed uint64, r quality.Result, diff *int, d *quality.Detection) QualityRow {
	return QualityRow{Grouper: grouper, Family: family, Seed: seed, Result: r, ShuffledDiff: diff, Detect: d}
}

func TestQualityTargets(t *testing.T) {
	zero, some := 0, 7
	good := quality.Result{Campaigns: 10, Detected: 10, Recall: 1, Precision: 0.95, F1: 0.97, IncidentPrecision: 0.9}
	weak := quality.Result{Campaigns: 10, Detected: 9, Recall: 0.97, Precision: 0.5, F1: 0.66, IncidentPrecision: 0.3}
	base := quality.Result{F1: 0.5}
	det := &quality.Detection{Median: time.Hour, P90: 3 * time.Hour}
	tests := []struct {
		name string
		rows []QualityRow
		want map[string]string // target name → status
	}{
		{
			name: "every target met on both families",
			rows: []QualityRow{
				row(GrouperMuster, FamilyTuned, 1, good, &zero, det), row(GrouperResource, FamilyTuned, 1, base, nil, nil), row(GrouperEntity, FamilyTuned, 1, base, nil, nil),
				row(GrouperMuster, FamilyUntuned, 101, good, &zero, det), row(GrouperResource, FamilyUntuned, 101, base, nil, nil), row(GrouperEntity, FamilyUntuned, 101, base, nil, nil),
			},
			want: map[string]string{"Attacks detected": "met", "Pairwise recall": "met", "Incident precision": "met", "Pairwise F1": "met",
				"Identical partitions, delivery vs shuffled order": "met", "Grouping F1 above both baselines on every seed": "met"},
		},
		{
			name: "the untuned family misses",
			rows: []QualityRow{
				row(GrouperMuster, FamilyTuned, 1, good, &zero, det), row(GrouperResource, FamilyTuned, 1, base, nil, nil), row(GrouperEntity, FamilyTuned, 1, base, nil, nil),
				row(GrouperMuster, FamilyUntuned, 101, weak, &some, det), row(GrouperResource, FamilyUntuned, 101, base, nil, nil), row(GrouperEntity, FamilyUntuned, 101, good, nil, nil),
			},
			want: map[string]string{"Attacks detected": "missed", "Pairwise recall": "missed", "Incident precision": "missed", "Pairwise F1": "missed",
				"Identical partitions, delivery vs shuffled order": "missed", "Grouping F1 above both baselines on every seed": "missed"},
		},
		{
			name: "nothing measured",
			want: map[string]string{"Attacks detected": "not measured", "Pairwise F1": "not measured", "Grouping F1 above both baselines on every seed": "not measured"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{QualitySeeds: tt.rows}
			got := map[string]string{}
			for _, tg := range r.qualityTargets() {
				got[tg.Name] = tg.Status
			}
			for name, st := range tt.want {
				if got[name] != st {
					t.Errorf("%s: %q, want %q", name, got[name], st)
				}
			}
			md := func() string {
				var b strings.Builder
				r.qualityMarkdown(func(f string, a ...any) { b.WriteString(f) })
				return b.String()
			}()
			if !strings.Contains(md, "Every grouper, mean over each seed family") {
				t.Error("quality section lacks the family table")
			}
		})
	}
}

func TestFamilyStatsAverages(t *testing.T) {
	zero, one := 0, 1
	rows := []QualityRow{
		row(GrouperMuster, FamilyTuned, 1, quality.Result{Campaigns: 4, Detected: 4, F1: 0.8, IncidentPrecision: 0.5, Incidents: 10}, &zero, &quality.Detection{Median: time.Hour, P90: 2 * time.Hour}),
		row(GrouperMuster, FamilyTuned, 2, quality.Result{Campaigns: 4, Detected: 3, F1: 0.6, IncidentPrecision: 1, Incidents: 20}, &one, &quality.Detection{Median: 3 * time.Hour, P90: 4 * time.Hour}),
	}
	st := familyStats(rows)
	if len(st) != 1 {
		t.Fatalf("%d stats, want 1", len(st))
	}
	s := st[0]
	if s.detected != 7 || s.total != 8 || s.identical != 1 || s.diffed != 2 || s.incidents != 15 ||
		s.ttdMed != 2*time.Hour || s.ttdP90 != 3*time.Hour || s.f1 < 0.7-1e-9 || s.f1 > 0.7+1e-9 || s.incP != 0.75 {
		t.Fatalf("stats = %+v", s)
	}
	if got := seedRange(s.seeds); got != "seeds 1–2" {
		t.Fatalf("seedRange = %q", got)
	}
}
