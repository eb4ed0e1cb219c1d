package quality_test

import (
	"math"
	"reflect"
	"testing"

	"github.com/muster-sec/muster/shared/quality"
)

// labels for the hand-made cases: campaign c1 has three alerts, c2 two, and
// two noise alerts. True pairs: C(3,2) + C(2,2) = 3 + 1 = 4.
var labels = map[string]string{
	"a1": "c1", "a2": "c1", "a3": "c1",
	"b1": "c2", "b2": "c2",
	"n1": quality.Noise, "n2": quality.Noise,
}

func TestScoreHandMadeCases(t *testing.T) {
	tests := []struct {
		name      string
		incidents [][]string
		labels    map[string]string
		want      quality.Result
	}{
		{
			// Exactly the truth: 4 predicted pairs, all correct.
			// P = 4/4, R = 4/4. Noise reduction 7 alerts / 2 incidents = 3.5;
			// alerts per incident 5/2 = 2.5; n1 and n2 ungrouped.
			name:      "perfect",
			incidents: [][]string{{"a1", "a2", "a3"}, {"b1", "b2"}},
			want: quality.Result{Alerts: 7, Campaigns: 2, Incidents: 2, Grouped: 5, Ungrouped: 2,
				TruePairs: 4, PredictedPairs: 4, CorrectPairs: 4, Precision: 1, Recall: 1, F1: 1,
				Pure: 2, IncidentPrecision: 1, Detected: 2, NoiseReduced: 3.5, AlertsPerInc: 2.5},
		},
		{
			// One incident of all 7: C(7,2) = 21 predicted pairs, 4 correct.
			// P = 4/21, R = 4/4 = 1, F1 = 2·(4/21)·1 / (4/21 + 1) = (8/21)/(25/21) = 8/25.
			// Both campaigns have all their alerts in it: detected. Its largest
			// campaign holds 3 of 7 and noise 2 of 7: neither pure nor false.
			name:      "everything in one incident",
			incidents: [][]string{{"a1", "a2", "a3", "b1", "b2", "n1", "n2"}},
			want: quality.Result{Alerts: 7, Campaigns: 2, Incidents: 1, Grouped: 7,
				TruePairs: 4, PredictedPairs: 21, CorrectPairs: 4, Precision: 4.0 / 21, Recall: 1, F1: 8.0 / 25,
				IncidentPrecision: 0, Detected: 2, NoiseReduced: 7, AlertsPerInc: 7, NoiseInInc: 2},
		},
		{
			// No incidents: no predicted pairs, so P = 1 by definition; R = 0/4;
			// F1 = 0. Both campaigns missed; noise reduction undefined → 0;
			// incident precision 1 by definition (no incident is impure).
			name:      "no incidents",
			incidents: nil,
			want: quality.Result{Alerts: 7, Campaigns: 2, Ungrouped: 7, TruePairs: 4,
				Precision: 1, Recall: 0, F1: 0, IncidentPrecision: 1, Missed: 2, MissedIDs: []string{"c1", "c2"}},
		},
		{
			// {a1,a2} {a3,n1} {b1} {b2}: predicted pairs 1 + 1 + 0 + 0 = 2;
			// correct: only (a1,a2) = 1. P = 1/2, R = 1/4,
			// F1 = 2·(1/2)(1/4) / (3/4) = (1/4)/(3/4) = 1/3.
			// c1: 2 of 3 in one incident, 2 > 3/2 → detected.
			// c2: at most 1 of 2 together, 1 is not more than half → missed.
			// 4 incidents hold 6 alerts; n2 ungrouped; n1 is noise in an incident.
			// {a3,n1} is half campaign, half noise: neither pure nor false, so
			// incident precision is 3/4 and there is no false incident.
			name:      "split campaigns and noise mixed in",
			incidents: [][]string{{"a1", "a2"}, {"a3", "n1"}, {"b1"}, {"b2"}},
			want: quality.Result{Alerts: 7, Campaigns: 2, Incidents: 4, Grouped: 6, Ungrouped: 1,
				TruePairs: 4, PredictedPairs: 2, CorrectPairs: 1, Precision: 0.5, Recall: 0.25, F1: 1.0 / 3,
				Pure: 3, IncidentPrecision: 0.75,
				Detected: 1, Missed: 1, MissedIDs: []string{"c2"}, NoiseReduced: 7.0 / 4, AlertsPerInc: 1.5, NoiseInInc: 1},
		},
		{
			// Unknown id zz is ignored; a2's second appearance is ignored, leaving
			// {a3} as a singleton incident. Truth: c1 only, 3 true pairs.
			// Predicted: (a1,a2) = 1 pair, correct. P = 1, R = 1/3,
			// F1 = 2·(1/3) / (4/3) = 1/2. c1: 2 of 3 together → detected.
			// Both incidents are all c1: incident precision 1.
			name:      "unknown and duplicated ids",
			incidents: [][]string{{"a1", "a2", "zz"}, {"a2", "a3"}},
			labels:    map[string]string{"a1": "c1", "a2": "c1", "a3": "c1"},
			want: quality.Result{Alerts: 3, Campaigns: 1, Incidents: 2, Grouped: 3,
				TruePairs: 3, PredictedPairs: 1, CorrectPairs: 1, Precision: 1, Recall: 1.0 / 3, F1: 0.5,
				Pure: 2, IncidentPrecision: 1, Detected: 1, NoiseReduced: 1.5, AlertsPerInc: 1.5, UnknownIDs: 1, DuplicatedIDs: 1},
		},
		{
			// Only noise, grouped in pairs: 2 predicted pairs, none correct.
			// P = 0/2 = 0; no true pairs, so R = 1; F1 = 0. Both incidents are
			// false; with no campaign, false incidents per attack is 0.
			name:      "noise only",
			incidents: [][]string{{"n1", "n2"}, {"n3", "n4"}},
			labels:    map[string]string{"n1": quality.Noise, "n2": quality.Noise, "n3": quality.Noise, "n4": quality.Noise},
			want: quality.Result{Alerts: 4, Incidents: 2, Grouped: 4, PredictedPairs: 2,
				Precision: 0, Recall: 1, F1: 0, False: 2, NoiseReduced: 2, AlertsPerInc: 2, NoiseInInc: 4},
		},
		{
			// Both campaigns exact, plus {n1,n2}: predicted pairs 3 + 1 + 1 = 5,
			// correct 4. P = 4/5, R = 1, F1 = 2·(4/5) / (9/5) = 8/9. Two of three
			// incidents are pure (2/3); one is false: 1 per 2 attacks = 0.5.
			name:      "a false incident",
			incidents: [][]string{{"a1", "a2", "a3"}, {"b1", "b2"}, {"n1", "n2"}},
			want: quality.Result{Alerts: 7, Campaigns: 2, Incidents: 3, Grouped: 7,
				TruePairs: 4, PredictedPairs: 5, CorrectPairs: 4, Precision: 0.8, Recall: 1, F1: 8.0 / 9,
				Pure: 2, IncidentPrecision: 2.0 / 3, False: 1, FalsePerAttack: 0.5,
				Detected: 2, NoiseReduced: 7.0 / 3, AlertsPerInc: 7.0 / 3, NoiseInInc: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.labels
			if l == nil {
				l = labels
			}
			got := quality.Score(tt.incidents, l)
			for _, f := range []struct {
				name      string
				got, want float64
			}{
				{"precision", got.Precision, tt.want.Precision},
				{"recall", got.Recall, tt.want.Recall},
				{"f1", got.F1, tt.want.F1},
				{"noise reduction", got.NoiseReduced, tt.want.NoiseReduced},
				{"alerts per incident", got.AlertsPerInc, tt.want.AlertsPerInc},
				{"incident precision", got.IncidentPrecision, tt.want.IncidentPrecision},
				{"false incidents per attack", got.FalsePerAttack, tt.want.FalsePerAttack},
			} {
				if math.Abs(f.got-f.want) > 1e-12 {
					t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
				}
			}
			got.Precision, got.Recall, got.F1, got.NoiseReduced, got.AlertsPerInc = 0, 0, 0, 0, 0
			got.IncidentPrecision, got.FalsePerAttack = 0, 0
			want := tt.want
			want.Precision, want.Recall, want.F1, want.NoiseReduced, want.AlertsPerInc = 0, 0, 0, 0, 0
			want.IncidentPrecision, want.FalsePerAttack = 0, 0
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Score =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestScoreIgnoresOrder(t *testing.T) {
	a := quality.Score([][]string{{"a1", "n1", "a2"}, {"b2", "b1"}}, labels)
	b := quality.Score([][]string{{"b1", "b2"}, {"a2", "a1", "n1"}}, labels)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("order changed the score:\n%+v\n%+v", a, b)
	}
}
